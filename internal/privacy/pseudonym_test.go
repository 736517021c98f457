package privacy

import (
	"slices"
	"testing"
	"time"
)

func TestFromNationalID(t *testing.T) {
	for _, tt := range []struct {
		id       string
		birth    string
		province string
		ok       bool
	}{
		{"11010119800307123X", "1980-03-07", "Beijing", true},
		{"440103200512310011", "2005-12-31", "Guangdong", true},
		{"110101198013071234", "", "", false}, // month 13
		{"99010119800307123X", "1980-03-07", "", false},
		{"1101011980030712", "", "", false},
		{"A1010119800307123X", "", "", false},
		{"", "", "", false},
	} {
		birth, province, ok := FromNationalID(tt.id)
		if ok != tt.ok || province != tt.province || (tt.birth != "" && birth.Format(time.DateOnly) != tt.birth) {
			t.Errorf("FromNationalID(%q) = %v %q %v", tt.id, birth, province, ok)
		}
	}
}

func TestCountryOfPhone(t *testing.T) {
	for in, want := range map[string]string{
		"+8613900001111": "CN", "+85291234567": "HK", "+14155550100": "US/CA", "+447700900123": "GB",
		"+99912345": "", "13900001111": "", "": "",
	} {
		if got := CountryOfPhone(in); got != want {
			t.Errorf("CountryOfPhone(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestGeneraliseAndK(t *testing.T) {
	now := time.Date(2026, 11, 30, 0, 0, 0, 0, time.UTC)
	since := time.Date(2024, 5, 2, 0, 0, 0, 0, time.UTC)
	q := Quasi{Birth: time.Date(1984, 12, 1, 0, 0, 0, 0, time.UTC), Region: "Shanghai", Country: "CN", Since: since}
	for level, want := range [][]string{
		{"40-49", "Shanghai", "2024-05"},
		{"40-59", "CN", "2024"},
		{"*", "CN", "2024"},
		{"*", "*", "*"},
	} {
		if got := Generalise(q, level, now); !slices.Equal(got, want) {
			t.Errorf("level %d: %v, want %v", level, got, want)
		}
	}
	if got := Generalise(Quasi{Since: since}, 0, now); !slices.Equal(got, []string{"?", "?", "2024-05"}) {
		t.Errorf("unknown: %v", got)
	}
	if KAnonymity(nil) != 0 || KAnonymity([][]string{{"a"}, {"a"}, {"b"}}) != 1 || KAnonymity([][]string{{"a"}, {"a"}}) != 2 {
		t.Error("KAnonymity counts the smallest group")
	}
	// Five people: two in their forties in Shanghai, three
	// in their sixties in Beijing, all customers since 2024. Month and province keep k at 1
	// (one joined in June); 20-year bands and the country reach 2; without age, 5.
	people := []Quasi{
		{Birth: time.Date(1980, 1, 1, 0, 0, 0, 0, time.UTC), Region: "Shanghai", Country: "CN", Since: since},
		{Birth: time.Date(1981, 1, 1, 0, 0, 0, 0, time.UTC), Region: "Shanghai", Country: "CN", Since: since},
		{Birth: time.Date(1960, 1, 1, 0, 0, 0, 0, time.UTC), Region: "Beijing", Country: "CN", Since: since},
		{Birth: time.Date(1961, 1, 1, 0, 0, 0, 0, time.UTC), Region: "Beijing", Country: "CN", Since: since},
		{Birth: time.Date(1962, 1, 1, 0, 0, 0, 0, time.UTC), Region: "Beijing", Country: "CN", Since: since.AddDate(0, 1, 0)},
	}
	for _, tt := range []struct {
		k, level, got int
		ok            bool
	}{
		{1, 0, 1, true},
		{2, 1, 2, true},
		{3, 2, 5, true},
		{5, 2, 5, true},
		{6, 3, 5, false},
	} {
		level, got, ok := Ladder(people, tt.k, now)
		if level != tt.level || got != tt.got || ok != tt.ok {
			t.Errorf("Ladder(k=%d) = level %d, k %d, %v; want %d, %d, %v", tt.k, level, got, ok, tt.level, tt.got, tt.ok)
		}
	}
}

func TestPseudonym(t *testing.T) {
	a, b := []byte("key of recipient a.............."), []byte("key of recipient b..............")
	if Pseudonym(a, "cus_1") != Pseudonym(a, "cus_1") || Pseudonym(a, "cus_1") == Pseudonym(b, "cus_1") || Pseudonym(a, "cus_1") == Pseudonym(a, "cus_2") {
		t.Fatal("a pseudonym is stable for one recipient and differs between recipients and people")
	}
	if len(Pseudonym(a, "cus_1")) != 32 {
		t.Fatal("128 bits in hex")
	}
}
