package web

import (
	"net/http"

	"strongroom.dev/strongroom/internal/zone"
)

// zoneCookie carries the browser's time zone, written by static/tz.js on
// the login page (Intl.DateTimeFormat().resolvedOptions().timeZone). It is
// read only as a suggestion: at login it becomes the zone of a user who
// never chose one, and before login it is the zone pages are shown in.
// Anything that is not a tz database name is ignored, so without
// JavaScript (or with a planted value) times are in UTC, which they say.
const zoneCookie = "strongroom-tz"

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
