package httpx

import (
	"mime"
	"net/http"
)

// Download marks a response as a file to save, not to show: Content-
// Disposition attachment with name (made by the server, never taken from
// an upload), and nosniff so that a browser never reads the bytes as
// anything but the declared Content-Type. An <img> element still shows it.
func Download(w http.ResponseWriter, name string) {
	w.Header().Set("Content-Disposition", mime.FormatMediaType("attachment", map[string]string{"filename": name}))
	w.Header().Set("X-Content-Type-Options", "nosniff")
}
