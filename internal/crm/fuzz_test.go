package crm

import (
	"strings"
	"testing"
	"unicode/utf8"

	"strongroom.dev/strongroom/internal/errs"
)

// FuzzNormalise: any input is either accepted in a stable form or refused
// with an Invalid error naming the field; never a panic.
func FuzzNormalise(f *testing.F) {
	for _, s := range []string{"", "王小明", "a@b.c", "+86 (138) 0013-8000", "110101199003071234", "\x00", "\xff\xfe", strings.Repeat("名", 300), "VIP, vip ，a"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, v string) {
		for _, field := range []string{FieldName, FieldEmail, FieldPhone, FieldNationalID, FieldNotes, FieldTags, FieldAssessment} {
			n, err := normaliseField(field, v)
			if err != nil {
				if !errs.Is(err, errs.Invalid) {
					t.Fatalf("%s %q: error of kind %v", field, v, errs.KindOf(err))
				}
				continue
			}
			if !utf8.ValidString(n) {
				t.Fatalf("%s %q: invalid UTF-8 out", field, v)
			}
			free := field == FieldNotes || field == FieldAssessment
			for _, r := range n {
				if forbidden(r, free) {
					t.Fatalf("%s %q: %q holds U+%04X", field, v, n, r)
				}
			}
			if again, err := normaliseField(field, n); err != nil || again != n {
				t.Fatalf("%s %q: not stable: %q then %q, %v", field, v, n, again, err)
			}
		}
		for _, tok := range NameTokens(v) {
			if utf8.RuneCountInString(tok) < 2 {
				t.Fatalf("NameTokens(%q) gave a one-character token %q", v, tok)
			}
		}
	})
}

// FuzzText: for any input, Label and FreeText either refuse it with an
// Invalid error naming the field, or return valid UTF-8 without a
// forbidden character, trimmed, and the same when given their own output.
func FuzzText(f *testing.F) {
	for _, s := range []string{"", " 王小明 ", "a\x00b", "a\r\nb", "a\r\r\nb", "\r\n", "a\rb", "\t x \n", "\u202eevil", "a\u200fb",
		"\u0085x\u0085", "\xed\xa0\x80", "\xff", "\u2028", "محمد", "x\u007f", "\ufffd"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, v string) {
		for _, free := range []bool{false, true} {
			check := Label
			if free {
				check = FreeText
			}
			n, err := check("field", v, 50)
			if err != nil {
				var e *errs.Error
				if !errs.Is(err, errs.Invalid) || !asField(err, &e) || e.Field != "field" {
					t.Fatalf("free=%v %q: error %v does not name the field", free, v, err)
				}
				continue
			}
			if !utf8.ValidString(n) {
				t.Fatalf("free=%v %q: invalid UTF-8 out: %q", free, v, n)
			}
			if utf8.RuneCountInString(n) > 50 || n != strings.TrimSpace(n) {
				t.Fatalf("free=%v %q: %q is too long or not trimmed", free, v, n)
			}
			for _, r := range n {
				if forbidden(r, free) {
					t.Fatalf("free=%v %q: %q holds U+%04X", free, v, n, r)
				}
			}
			if again, err := check("field", n, 50); err != nil || again != n {
				t.Fatalf("free=%v %q: not idempotent: %q then %q, %v", free, v, n, again, err)
			}
		}
	})
}

// forbidden restates the input rules independently of the code under test.
func forbidden(r rune, free bool) bool {
	control := r < 0x20 || (r >= 0x7F && r <= 0x9F)
	if free {
		return control && r != '\t' && r != '\n'
	}
	direction := (r >= 0x202A && r <= 0x202E) || (r >= 0x2066 && r <= 0x2069) || r == 0x200E || r == 0x200F || r == 0x061C
	return control || direction || r == 0x2028 || r == 0x2029
}
