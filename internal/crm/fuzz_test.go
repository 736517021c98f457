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
