package web

import (
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"testing"
	"time"

	"strongroom.dev/strongroom/internal/crm"
	"strongroom.dev/strongroom/internal/service/breach"
	"strongroom.dev/strongroom/internal/zone"
)

// TestCatalogsComplete checks that every key used by a template exists in
// every language, and that the languages have the same keys.
func TestCatalogsComplete(t *testing.T) {
	used := map[string]bool{}
	re := regexp.MustCompile(`tr \$?\.Lang "([a-z_]+)"`)
	err := fs.WalkDir(files, "templates", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, _ := fs.ReadFile(files, p)
		for _, m := range re.FindAllStringSubmatch(string(b), -1) {
			used[m[1]] = true
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(used) < 20 {
		t.Fatalf("found only %d keys in templates; the pattern is not matching", len(used))
	}
	// Keys chosen at run time: flash messages named in redirects, and the
	// values templates translate directly.
	flash := regexp.MustCompile(`redirect\([^,]+, "([a-z_]+)"\)`)
	sources, _ := filepath.Glob("*.go")
	for _, f := range sources {
		b, _ := os.ReadFile(f)
		for _, m := range flash.FindAllStringSubmatch(string(b), -1) {
			used[m[1]] = true
		}
		for _, m := range regexp.MustCompile(`flash := "([a-z_]+)"|flash = "([a-z_]+)"`).FindAllStringSubmatch(string(b), -1) {
			used[m[1]+m[2]] = true
		}
	}
	for _, k := range crm.ActivityKinds {
		used[k] = true
	}
	for _, k := range crm.TransactionKinds {
		used["tx_"+k] = true
	}
	for _, k := range []string{"planned", "in_progress", "done"} { // crm.Visit.Status values
		used[k] = true
	}
	for _, k := range breach.Kinds {
		used["incident_kind_"+k] = true
	}
	for _, k := range breach.Statuses {
		used["incident_status_"+k] = true
	}
	for _, k := range breach.PeopleReasons {
		used["people_reason_"+k] = true
	}
	for _, lang := range []string{langEN, langZH} {
		for k := range used {
			if _, ok := catalog[lang][k]; !ok {
				t.Errorf("%s lacks %q", lang, k)
			}
		}
	}
	for k := range catalog[langEN] {
		if _, ok := catalog[langZH][k]; !ok {
			t.Errorf("zh-CN lacks %q", k)
		}
	}
	for k := range catalog[langZH] {
		if _, ok := catalog[langEN][k]; !ok {
			t.Errorf("en lacks %q", k)
		}
	}
}

// TestFormatTime: the language no longer decides the zone (English was
// UTC, Chinese was Beijing time without saying so); the reader's zone does,
// and it is said.
func TestFormatTime(t *testing.T) {
	at := time.Date(2026, 11, 24, 14, 5, 0, 0, time.UTC)
	for _, c := range []struct {
		clock zone.Clock
		want  string
	}{
		{zone.For(langEN, "", ""), "24 Nov 2026 14:05 UTC"},
		{zone.For(langZH, "", ""), "2026年11月24日 14:05 UTC"},
		{zone.For(langZH, "Asia/Shanghai", ""), "2026年11月24日 22:05 UTC+8"},
		{zone.For(langEN, "America/New_York", "iso"), "2026-11-24 09:05 UTC−5"},
	} {
		c := c
		if got := formatTime(c.clock, at); got != c.want {
			t.Errorf("%+v: %q, want %q", c.clock, got, c.want)
		}
	}
	// A template that still passes $.Lang gets UTC, said, never an unlabelled zone.
	if got := formatTime(langZH, at); got != "2026年11月24日 14:05 UTC" {
		t.Errorf("a bare language: %q", got)
	}
}

func TestSafeNext(t *testing.T) {
	for in, want := range map[string]string{
		"/customers/cus_1":     "/customers/cus_1",
		"":                     "/",
		"https://evil.example": "/",
		"//evil.example":       "/",
		"/\\evil.example":      "/",
		"/ok\r\nSet-Cookie: x": "/",
		"/\t/evil.example":     "/",
		"/\x7f":                "/",
	} {
		if got := safeNext(in); got != want {
			t.Errorf("safeNext(%q) = %q, want %q", in, got, want)
		}
	}
}

// TestTemplatesWriteTimesForTheReader: every time and date in a template
// goes through the page's Clock (the reader's zone and format), never a
// bare language, which would show UTC to everyone.
func TestTemplatesWriteTimesForTheReader(t *testing.T) {
	bare := regexp.MustCompile(`\b(time|date) \$(\.Lang|lang)\b|\.Format "`)
	names, err := fs.Glob(files, "templates/*.html")
	if err != nil {
		t.Fatal(err)
	}
	for _, n := range names {
		b, err := fs.ReadFile(files, n)
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range bare.FindAllString(string(b), -1) {
			t.Errorf("%s: %q writes a time without the reader's zone; use {{time $.Clock …}}", n, m)
		}
	}
}
