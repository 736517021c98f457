package httpx

import (
	"net/http"
	"time"
)

// SessionCookie is the session cookie's name, shared by the API and the
// web UI (one login serves both). The __Host- prefix makes browsers
// refuse it unless it is Secure, host-only and for path /.
const SessionCookie = "__Host-strongroom-session"

// SetSessionCookie gives the browser a session token until expires.
func SetSessionCookie(w http.ResponseWriter, token string, expires time.Time) {
	http.SetCookie(w, &http.Cookie{Name: SessionCookie, Value: token, Path: "/", Expires: expires, Secure: true, HttpOnly: true, SameSite: http.SameSiteStrictMode})
}

// ClearSessionCookie makes the browser forget its session token.
func ClearSessionCookie(w http.ResponseWriter) {
	http.SetCookie(w, &http.Cookie{Name: SessionCookie, Value: "", Path: "/", MaxAge: -1, Secure: true, HttpOnly: true, SameSite: http.SameSiteStrictMode})
}

// DeviceCookie marks a browser in which a user has logged in before (see
// service.Client.Device): failed logins from elsewhere do not lock it out.
// It holds no session and survives logout.
const DeviceCookie = "__Host-strongroom-device"

// deviceCookieAge is how long a browser stays known without a new login.
const deviceCookieAge = 365 * 24 * time.Hour

// SetDeviceCookie gives the browser its device cookie ("" sets nothing).
func SetDeviceCookie(w http.ResponseWriter, value string) {
	if value == "" {
		return
	}
	http.SetCookie(w, &http.Cookie{Name: DeviceCookie, Value: value, Path: "/", MaxAge: int(deviceCookieAge.Seconds()), Secure: true, HttpOnly: true, SameSite: http.SameSiteStrictMode})
}

// DeviceCookieValue is the device cookie r carries, or "".
func DeviceCookieValue(r *http.Request) string {
	c, err := r.Cookie(DeviceCookie)
	if err != nil || len(c.Value) > 128 {
		return ""
	}
	return c.Value
}

// ClearSiteData asks the browser to drop what it keeps for this origin:
// cached responses (which may hold personal data) and storage. Logging out
// sends it, so the next person at a shared computer finds nothing of the
// last one's session. Cookies are not cleared wholesale: logout expires the
// session cookie itself, and the device cookie (which opens nothing) must
// survive so that a lockout from elsewhere does not keep its owner out.
func ClearSiteData(w http.ResponseWriter) {
	w.Header().Set("Clear-Site-Data", `"cache", "storage"`)
}
