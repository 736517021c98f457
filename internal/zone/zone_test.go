package zone

import (
	"testing"
	"time"

	"strongroom.dev/strongroom/internal/errs"
)

func TestClock(t *testing.T) {
	at := time.Date(2026, 11, 24, 14, 5, 0, 0, time.UTC)
	summer := time.Date(2026, 7, 1, 14, 5, 0, 0, time.UTC)
	for _, c := range []struct {
		lang, zone, format string
		at                 time.Time
		want, wantDate     string
	}{
		{"en", "", "", at, "24 Nov 2026 14:05 UTC", "24 Nov 2026"},
		{"zh-CN", "", "", at, "2026年11月24日 14:05 UTC", "2026年11月24日"},
		{"en", "Asia/Shanghai", "", at, "24 Nov 2026 22:05 UTC+8", "24 Nov 2026"},
		{"zh-CN", "Asia/Shanghai", "", at, "2026年11月24日 22:05 UTC+8", "2026年11月24日"},
		{"en", "America/New_York", "", at, "24 Nov 2026 09:05 UTC−5", "24 Nov 2026"},
		{"en", "America/New_York", "", summer, "1 Jul 2026 10:05 UTC−4", "1 Jul 2026"},
		{"zh-CN", "America/New_York", "iso", at, "2026-11-24 09:05 UTC−5", "2026-11-24"},
		{"en", "Asia/Kolkata", "iso", at, "2026-11-24 19:35 UTC+5:30", "2026-11-24"},
		{"en", "Pacific/Kiritimati", "", at, "25 Nov 2026 04:05 UTC+14", "25 Nov 2026"}, // the day moves too
		{"en", "Not/AZone", "", at, "24 Nov 2026 14:05 UTC", "24 Nov 2026"},             // a stale zone falls back to UTC, said
	} {
		c := c
		t.Run(c.lang+" "+c.zone+" "+c.format, func(t *testing.T) {
			k := For(c.lang, c.zone, c.format)
			if got := k.Time(c.at); got != c.want {
				t.Errorf("Time = %q, want %q", got, c.want)
			}
			if got := k.Date(c.at); got != c.wantDate {
				t.Errorf("Date = %q, want %q", got, c.wantDate)
			}
		})
	}
	if got := (Clock{}).Time(time.Time{}); got != "" {
		t.Errorf("zero time = %q", got)
	}
}

func TestLoad(t *testing.T) {
	for name, ok := range map[string]bool{
		"":                  true,
		"UTC":               true,
		"Asia/Shanghai":     true,
		"America/New_York":  true,
		"Europe/Berlin":     true,
		"Local":             false, // the server's zone is not a user's
		"Mars/Olympus":      false,
		"../../etc/passwd":  false,
		"/etc/localtime":    false,
		"Asia/Shanghai\x00": false,
	} {
		_, err := Load(name)
		if ok != (err == nil) {
			t.Errorf("Load(%q) = %v, want ok=%v", name, err, ok)
		}
		if err != nil && !errs.Is(err, errs.Invalid) {
			t.Errorf("Load(%q): %v is not Invalid", name, err)
		}
	}
	if err := CheckFormat("iso"); err != nil {
		t.Error(err)
	}
	if err := CheckFormat("us"); !errs.Is(err, errs.Invalid) {
		t.Errorf("CheckFormat(us) = %v", err)
	}
}

func BenchmarkClockTime(b *testing.B) {
	at := time.Date(2026, 11, 24, 14, 5, 0, 0, time.UTC)
	for b.Loop() {
		For("zh-CN", "Asia/Shanghai", "").Time(at)
	}
}
