// Package zone shows instants to a person: in the time zone and the
// date/time format they chose, in their language, with the zone said
// wherever a reader could take the time for another zone's. Times are kept
// in UTC everywhere else; only what a person reads passes through here
// (the web UI, human-facing export columns, emails).
//
// Zones are names from the tz database, checked with time.LoadLocation
// against the copy embedded in the binary (time/tzdata), so a machine
// without /usr/share/zoneinfo knows them too.
package zone

import (
	"fmt"
	"strings"
	"sync"
	"time"
	_ "time/tzdata" // the tz database inside the binary: a bare machine validates and converts zones too

	"strongroom.dev/strongroom/internal/errs"
)

// Formats a user may choose: "" writes dates the language's own way
// (24 Nov 2026 14:05, 2026年11月24日 14:05), ISO writes 2026-11-24 14:05.
const (
	FormatWritten = ""
	FormatISO     = "iso"
)

// Formats lists the choices, the language's own first.
var Formats = []string{FormatWritten, FormatISO}

// Load checks name against the tz database: "" and "UTC" are UTC. A name
// that is not a zone (or a path, or a local-time alias) is Invalid.
func Load(name string) (*time.Location, error) {
	if name == "" || name == "UTC" {
		return time.UTC, nil
	}
	// LoadLocation also accepts "Local" (the server's zone, not the user's)
	// and would look in ZONEINFO for names with dots; keep to plain names.
	if name == "Local" || len(name) > 64 || strings.Contains(name, "..") || strings.HasPrefix(name, "/") {
		return nil, errs.InvalidField("time_zone", "unknown time zone")
	}
	if loc, ok := loaded.Load(name); ok {
		return loc.(*time.Location), nil
	}
	loc, err := time.LoadLocation(name)
	if err != nil {
		return nil, errs.InvalidField("time_zone", "unknown time zone")
	}
	loaded.Store(name, loc) // only zones that exist: at most the tz database's few hundred
	return loc, nil
}

// loaded keeps each zone once read: every page asks for its reader's.
var loaded sync.Map

// Canonical is name when it is a zone, else "" (UTC): for a zone that
// came from a browser and is kept only if it is one.
func Canonical(name string) string {
	if _, err := Load(name); err != nil || name == "UTC" {
		return ""
	}
	return name
}

// CheckFormat refuses a format that is not one of Formats.
func CheckFormat(f string) error {
	for _, g := range Formats {
		if f == g {
			return nil
		}
	}
	return errs.InvalidField("time_format", "unknown date format")
}

// Clock writes instants for one reader: their language, zone and format.
// The zero Clock writes English in UTC.
type Clock struct {
	Lang   string         // "en" or "zh-CN"
	Loc    *time.Location // nil for UTC
	Format string         // FormatWritten or FormatISO
}

// For is the Clock of a reader in lang with the stored zone and format;
// a zone that no longer loads falls back to UTC, which the output says.
func For(lang, zoneName, format string) Clock {
	loc, err := Load(zoneName)
	if err != nil {
		loc = time.UTC
	}
	if CheckFormat(format) != nil {
		format = FormatWritten
	}
	return Clock{Lang: lang, Loc: loc, Format: format}
}

func (c Clock) loc() *time.Location {
	if c.Loc == nil {
		return time.UTC
	}
	return c.Loc
}

// Location is the reader's zone, for reading what they type (a form's
// datetime-local field is in their zone, not UTC).
func (c Clock) Location() *time.Location { return c.loc() }

// ZoneName is the reader's zone as the tz database names it ("UTC" for UTC).
func (c Clock) ZoneName() string { return c.loc().String() }

// Time writes t with its date, hours and minutes and the zone's offset:
// "24 Nov 2026 09:05 UTC−5", "2026年11月24日 22:05 UTC+8",
// "2026-11-24 14:05 UTC". A zero time is "".
func (c Clock) Time(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	t = t.In(c.loc())
	return c.day(t) + " " + t.Format("15:04") + " " + Offset(t)
}

// Date writes the day of t in the reader's zone, without the zone: a
// day is what the reader calls today.
func (c Clock) Date(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return c.day(t.In(c.loc()))
}

// Day writes a calendar day that belongs to no zone (a due date, a
// birthday) as it is, in the reader's format.
func (c Clock) Day(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return c.day(t)
}

func (c Clock) day(t time.Time) string {
	switch {
	case c.Format == FormatISO:
		return t.Format(time.DateOnly)
	case c.Lang == "zh-CN":
		return fmt.Sprintf("%d年%d月%d日", t.Year(), t.Month(), t.Day())
	}
	return t.Format("2 Jan 2006")
}

// Offset is t's offset from UTC as a reader in any zone understands it:
// "UTC", "UTC+8", "UTC−5", "UTC+5:30" (with a true minus sign).
func Offset(t time.Time) string {
	_, off := t.Zone()
	if off == 0 {
		return "UTC"
	}
	sign := "+"
	if off < 0 {
		sign, off = "−", -off
	}
	h, m := off/3600, off%3600/60
	if m == 0 {
		return fmt.Sprintf("UTC%s%d", sign, h)
	}
	return fmt.Sprintf("UTC%s%d:%02d", sign, h, m)
}
