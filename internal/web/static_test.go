package web

import (
	"net/http"
	"net/http/httptest"
	"testing"
	"testing/fstest"
)

// TestStaticServesNoDirectory: a folder below /static/ answers 404 like
// /static/ itself; its files are served.
func TestStaticServesNoDirectory(t *testing.T) {
	tree := fstest.MapFS{
		"app.css":         {Data: []byte("body{}")},
		"fonts/a.woff2":   {Data: []byte("font")},
		"fonts/deep/b.js": {Data: []byte("x")},
	}
	h := http.StripPrefix("/static/", http.FileServerFS(filesOnly{tree}))
	for path, want := range map[string]int{
		"/static/":                404,
		"/static/fonts/":          404,
		"/static/fonts/deep/":     404,
		"/static/fonts":           404,
		"/static/app.css":         200,
		"/static/fonts/a.woff2":   200,
		"/static/fonts/deep/b.js": 200,
	} {
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, httptest.NewRequest("GET", path, nil))
		if rec.Code != want {
			t.Errorf("GET %s: %d, want %d: %s", path, rec.Code, want, rec.Body)
		}
	}
}
