package crm_test

import (
	"testing"

	"strongroom.dev/strongroom/internal/crm"
)

func TestJoinName(t *testing.T) {
	cases := []struct{ given, family, want string }{
		{"伟", "李", "李伟"},
		{"小明", "王", "王小明"},
		{"民準", "金", "金民準"},
		{"민준", "김", "김민준"},
		{"さくら", "山田", "山田さくら"},
		{"Ada", "Lovelace", "Ada Lovelace"},
		{" José ", " García ", "José García"},
		{"", "李", "李"},
		{"Ada", "", "Ada"},
		{"", "", ""},
	}
	for _, c := range cases {
		if got := crm.JoinName(c.given, c.family); got != c.want {
			t.Errorf("JoinName(%q, %q) = %q, want %q", c.given, c.family, got, c.want)
		}
	}
}
