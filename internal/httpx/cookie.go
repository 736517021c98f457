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

// ClearSiteData asks the browser to drop what it keeps for this origin:
// cached responses (which may hold personal data), cookies and storage.
// Logging out sends it, so the next person at a shared computer finds
// nothing of the last one's session.
func ClearSiteData(w http.ResponseWriter) {
	w.Header().Set("Clear-Site-Data", `"cache", "cookies", "storage"`)
}
