package web

import (
	"embed"
	"net/http"
	"strings"
)

// The field app (issue 15): an installable progressive web app, served
// from these embedded files alone. Everything it keeps is encrypted in its
// IndexedDB (app/app.js); its service worker (app/sw.js) caches only these
// files, never API answers.
//
//go:embed app
var appFiles embed.FS

// appCSP lets the app load only Strongroom's own scripts, styles, service
// worker and manifest, and talk only to its own API.
const appCSP = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; connect-src 'self'; worker-src 'self'; manifest-src 'self'; form-action 'none'; frame-ancestors 'none'; base-uri 'none'"

var appTypes = map[string]string{
	"index.html":           "text/html; charset=utf-8",
	"app.js":               "text/javascript; charset=utf-8",
	"sw.js":                "text/javascript; charset=utf-8",
	"app.css":              "text/css; charset=utf-8",
	"manifest.webmanifest": "application/manifest+json",
	"icon.svg":             "image/svg+xml",
}

// fieldApp serves /app/ (index.html) and its files; anything else under
// /app/ is not found. The app itself decides what it may show: it calls
// the API as its device.
func fieldApp() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		name := strings.TrimPrefix(r.URL.Path, "/app/")
		if name == "" {
			name = "index.html"
		}
		typ, ok := appTypes[name]
		if !ok {
			http.NotFound(w, r)
			return
		}
		b, err := appFiles.ReadFile("app/" + name)
		if err != nil {
			http.NotFound(w, r)
			return
		}
		h := w.Header()
		h.Set("Content-Type", typ)
		h.Set("Content-Security-Policy", appCSP)
		h.Set("Permissions-Policy", "camera=(), microphone=(), geolocation=(self), interest-cohort=()")
		h.Set("Cache-Control", "no-cache") // the service worker keeps the offline copy
		w.Write(b)
	})
}
