// Package httpx holds HTTP helpers shared by the API and the server:
// RFC 9457 problem responses, strict JSON decoding, security headers and
// the request id.
package httpx

import (
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"
	"strconv"

	"strongroom.dev/strongroom/internal/errs"
	"strongroom.dev/strongroom/internal/phrase"
)

// Problem is an RFC 9457 problem details object.
type Problem struct {
	Type      string `json:"type"`
	Title     string `json:"title"`
	Status    int    `json:"status"`
	Detail    string `json:"detail"`
	Instance  string `json:"instance,omitempty"`
	Field     string `json:"field,omitempty"`
	RequestID string `json:"request_id,omitempty"`
}

// ProblemTypeBase prefixes problem type URIs; the kind completes it.
const ProblemTypeBase = "https://strongroom.dev/problems/"

// WriteError answers err as problem+json. It is the one place an error
// becomes an HTTP response. Internal errors are logged with their cause and
// answered with a generic message; their text never reaches the client.
func WriteError(w http.ResponseWriter, r *http.Request, log *slog.Logger, err error) {
	kind := errs.KindOf(err)
	status := kind.Status()
	msg, field := errs.Public(err)
	// The detail in the caller's language (Accept-Language); the type and
	// the field stay the stable, machine-readable part.
	lang := phrase.Accept(r.Header.Get("Accept-Language"))
	msg = phrase.In(lang, msg)
	w.Header().Set("Content-Language", lang)
	w.Header().Add("Vary", "Accept-Language")
	rid := RequestID(r.Context())
	if kind == errs.Internal || kind == errs.Unavailable {
		log.LogAttrs(r.Context(), slog.LevelError, "request failed",
			slog.String("request_id", rid), slog.String("route", r.Pattern), slog.Int("status", status), slog.String("error", err.Error()))
	}
	var e *errs.Error
	if errors.As(err, &e) && e.RetryAfter > 0 {
		w.Header().Set("Retry-After", strconv.Itoa(int(e.RetryAfter.Seconds())+1))
	}
	if kind == errs.Unauthenticated {
		w.Header().Set("WWW-Authenticate", `Bearer realm="strongroom"`)
	}
	WriteProblem(w, Problem{
		Type:      ProblemTypeBase + kind.String(),
		Title:     http.StatusText(status),
		Status:    status,
		Detail:    msg,
		Instance:  r.URL.Path,
		Field:     field,
		RequestID: rid,
	})
}

// WriteProblem writes p with its status.
func WriteProblem(w http.ResponseWriter, p Problem) {
	w.Header().Set("Content-Type", "application/problem+json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(p.Status)
	json.NewEncoder(w).Encode(p)
}

// WriteJSON writes v as JSON with status.
func WriteJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(true)
	enc.Encode(v)
}

type ctxKey int

const requestIDKey ctxKey = 0

// WithRequestID stores id in ctx.
func WithRequestID(ctx context.Context, id string) context.Context {
	return context.WithValue(ctx, requestIDKey, id)
}

// RequestID is the request's id, or "".
func RequestID(ctx context.Context) string {
	id, _ := ctx.Value(requestIDKey).(string)
	return id
}
