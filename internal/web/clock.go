package web

import (
	"net/http"
	"strings"

	"strongroom.dev/strongroom/internal/errs"
	"strongroom.dev/strongroom/internal/zone"
)

// zoneCookie carries the browser's time zone, written by static/tz.js on
// the login page (Intl.DateTimeFormat().resolvedOptions().timeZone); the
// __Host- prefix keeps a sibling subdomain from planting one. It is
// read only as a suggestion: at login it becomes the zone of a user who
// never chose one, and before login it is the zone pages are shown in.
// Anything that is not a tz database name is ignored, so without
// JavaScript (or with a planted value) times are in UTC, which they say.
const zoneCookie = "__Host-strongroom-tz"

// browserZone is the zone the browser reported, or "" for none or unknown.
func browserZone(r *http.Request) string {
	c, err := r.Cookie(zoneCookie)
	if err != nil {
		return ""
	}
	return zone.Canonical(c.Value)
}

// clock is how q's reader gets times: a logged-in user's own zone and
// format, else the browser's zone, else UTC; always in q's language.
func (q *request) clock() zone.Clock {
	if q.actor.UserID != "" {
		return zone.For(q.lang, q.actor.TimeZone, q.actor.TimeFormat)
	}
	return zone.For(q.lang, browserZone(q.r), "")
}

// timeForm is the sessions page's section where a user sets their own
// time zone and date format.
type timeForm struct {
	Zone, Format string
	Zones        []string // suggestions; any tz database name is accepted
	Formats      []string
	Error        string
}

// commonZones are the zones the form suggests; the field takes any other.
var commonZones = []string{"UTC", "Asia/Shanghai", "Asia/Hong_Kong", "Asia/Taipei", "Asia/Singapore", "Asia/Tokyo", "Asia/Kolkata", "Asia/Dubai",
	"Europe/London", "Europe/Berlin", "Europe/Paris", "Europe/Moscow", "Africa/Johannesburg", "America/New_York", "America/Chicago", "America/Denver",
	"America/Los_Angeles", "America/Sao_Paulo", "America/Toronto", "Australia/Sydney", "Pacific/Auckland"}

func timeFormFor(q *request) timeForm {
	return timeForm{Zone: q.clock().ZoneName(), Format: q.actor.TimeFormat, Zones: commonZones, Formats: zone.Formats}
}

// setMyTime keeps the actor's time zone and date format. A zone that is
// not in the tz database is refused on the page, with what was typed.
func (h *identityPages) setMyTime(q *request) error {
	z, f := strings.TrimSpace(q.r.PostFormValue("time_zone")), q.r.PostFormValue("time_format")
	if err := h.usersSvc.SetMyTime(q.r.Context(), q.actor, z, f); err != nil {
		if !errs.Is(err, errs.Invalid) {
			return err
		}
		v := sessionsView{}
		list, lerr := h.sessionsSvc.Sessions(q.r.Context(), q.actor, "")
		if lerr != nil {
			return lerr
		}
		v.Sessions, v.Time = list, timeFormFor(q)
		v.Time.Zone, v.Time.Format = z, f
		v.Time.Error = tr(q.lang, "time_zone_unknown")
		if zone.CheckFormat(f) != nil {
			v.Time.Error = tr(q.lang, "time_format_unknown")
		}
		h.render(q, http.StatusBadRequest, "sessions", "sessions", v)
		return nil
	}
	q.redirect("/sessions", "time_saved")
	return nil
}
