package crm

import (
	"strings"
	"testing"
)

func TestNameTokens(t *testing.T) {
	for _, tt := range []struct{ in, want string }{
		{"王小明", "王小 小明 王小明"},
		{"Wang Xiaoming", "wang xiaoming"},
		{"王小明 Wang", "王小 小明 王小明 wang"},
		{"Anne-Marie O'Neil", "anne marie neil"},
		{"A B", ""},
		{"李", ""},
		{"Müller GmbH", "müller gmbh"},
		{"瑞丰拍卖 3", "瑞丰 丰拍 拍卖 瑞丰拍卖"},
	} {
		if got := strings.Join(NameTokens(tt.in), " "); got != tt.want {
			t.Errorf("NameTokens(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}
