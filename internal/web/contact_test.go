package web

import "testing"

func TestContactHref(t *testing.T) {
	for _, c := range []struct{ field, value, want string }{
		{"email", "chen.jing@example.cn", "mailto:chen.jing@example.cn"},
		{"email", "c******************n", ""}, // masked
		{"email", "Chen <chen@example.cn>", ""},
		{"email", "a@b.cn?cc=evil@example.com", ""},
		{"phone", "+86 137 0000 2222", "tel:+8613700002222"},
		{"phone", "(021) 5555-0100", "tel:02155550100"},
		{"phone", "+***************2", ""}, // masked
		{"phone", "12", ""},
		{"phone", "javascript:alert(1)", ""},
		{"name", "陈静", ""},
	} {
		if got := string(contactHref(c.field, c.value)); got != c.want {
			t.Errorf("contactHref(%q, %q) = %q, want %q", c.field, c.value, got, c.want)
		}
	}
}
