package crm

import (
	"strings"
	"testing"
)

func TestTextRules(t *testing.T) {
	for _, tt := range []struct {
		in     string
		label  string // what Label returns, or "!" for refused
		free   string // what FreeText returns, or "!"
		msgHas string // in the refusal's message
	}{
		{"  王小明 ", "王小明", "王小明", ""},
		{"محمد علي", "محمد علي", "محمد علي", ""},
		{"a\x00b", "!", "!", "a control character (U+0000)"},
		{"a\x07b", "!", "!", "U+0007"},
		{"a\x7fb", "!", "!", "U+007F"},
		{"a\u0085b", "!", "!", "U+0085"},
		{"a\xffb", "!", "!", "not valid UTF-8"},
		{"a\xed\xa0\x80b", "!", "!", "not valid UTF-8"}, // a surrogate, encoded
		{"one\r\ntwo\tthree", "!", "one\ntwo\tthree", "a tab or line break"},
		{"one\rtwo", "!", "!", "U+000D"},
		{"one\r\r\ntwo", "!", "!", "U+000D"},
		{"paypal\u202ecom.exe", "!", "paypal\u202ecom.exe", "an invisible text-direction character (U+202E)"},
		{"a\u2066b\u2069", "!", "a\u2066b\u2069", "U+2066"},
		{"a\u200eb", "!", "a\u200eb", "U+200E"},
		{"a\u061cb", "!", "a\u061cb", "U+061C"},
		{"a\u2028b", "!", "a\u2028b", "U+2028"},
		{"\ufffd", "\ufffd", "\ufffd", ""}, // a replacement character the user typed is text
	} {
		for _, c := range []struct {
			name string
			fn   func(field, v string, max int) (string, error)
			want string
		}{{"Label", Label, tt.label}, {"FreeText", FreeText, tt.free}} {
			got, err := c.fn("subject", tt.in, 0)
			if c.want == "!" {
				msg := ""
				if err != nil {
					msg = err.Error()
				}
				if err == nil || !strings.HasPrefix(msg, "subject ") || !strings.Contains(msg, tt.msgHas) {
					t.Errorf("%s(%q) = %q, %v; want refused naming subject and %q", c.name, tt.in, got, err, tt.msgHas)
				}
				continue
			}
			if err != nil || got != c.want {
				t.Errorf("%s(%q) = %q, %v; want %q", c.name, tt.in, got, err, c.want)
			}
		}
	}
	if _, err := Label("name", strings.Repeat("名", 11), 10); err == nil || !strings.Contains(err.Error(), "longer than 10 characters") {
		t.Errorf("over-long label: %v", err)
	}
	if _, err := Label("name", strings.Repeat("名", 10), 10); err != nil {
		t.Errorf("ten characters refused: %v", err)
	}
}
