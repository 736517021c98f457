package privacy

import "testing"

func TestMask(t *testing.T) {
	for _, tt := range []struct{ in, want string }{
		{"", ""},
		{"a", "*"},
		{"abc", "***"},
		{"abcd", "a**d"},
		{"110101199003071234", "1****************4"},
		{"王小明先生", "王***生"},
	} {
		if got := Mask(tt.in); got != tt.want {
			t.Errorf("Mask(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}
