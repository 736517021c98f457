package httpx

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"strings"

	"strongroom.dev/strongroom/internal/crm"
	"strongroom.dev/strongroom/internal/errs"
)

// MaxBody is the largest request body the API reads.
const MaxBody = 1 << 20

// DecodeJSON reads exactly one JSON object from r's body into dst. It
// refuses another content type, unknown fields, trailing data and bodies
// over MaxBody, each with a clear message.
func DecodeJSON(w http.ResponseWriter, r *http.Request, dst any) error {
	ct, _, err := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if err != nil || (ct != "application/json" && ct != "application/merge-patch+json") {
		return errs.E(errs.Invalid, "the body must be JSON, sent with Content-Type: application/json")
	}
	body, err := readText(w, r)
	if err != nil {
		return err
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(dst); err != nil {
		return jsonError(err)
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		if err != nil {
			return jsonError(err)
		}
		return errs.E(errs.Invalid, "the body must hold exactly one JSON object")
	}
	return nil
}

func jsonError(err error) error {
	var syntax *json.SyntaxError
	var typ *json.UnmarshalTypeError
	var tooBig *http.MaxBytesError
	switch {
	case errors.As(err, &tooBig):
		return errs.E(errs.TooLarge, fmt.Sprintf("the body is larger than %d bytes", MaxBody))
	case errors.As(err, &syntax):
		return errs.E(errs.Invalid, fmt.Sprintf("the body is not valid JSON (at byte %d)", syntax.Offset))
	case errors.As(err, &typ):
		if typ.Field == "" {
			return errs.E(errs.Invalid, "the body must be a JSON object")
		}
		return errs.InvalidField(typ.Field, fmt.Sprintf("%s must be a %s", typ.Field, typ.Type.String()))
	case errors.Is(err, io.EOF):
		return errs.E(errs.Invalid, "the body is empty; a JSON object is required")
	case errors.Is(err, io.ErrUnexpectedEOF):
		return errs.E(errs.Invalid, "the body ends in the middle of its JSON")
	case strings.HasPrefix(err.Error(), "json: unknown field "):
		name := strings.Trim(strings.TrimPrefix(err.Error(), "json: unknown field "), `"`)
		return errs.InvalidField(name, fmt.Sprintf("unknown field %q", name))
	}
	return errs.Wrap(errs.Invalid, "httpx.DecodeJSON", "the body could not be read as JSON", err)
}

// Query checks that r's query holds only the allowed parameters, each at
// most once, and returns it.
func Query(r *http.Request, allowed ...string) (map[string]string, error) {
	q, err := parseQuery(r.URL.RawQuery)
	if err != nil {
		return nil, errs.E(errs.Invalid, "the query string is malformed")
	}
	out := map[string]string{}
	for k, vs := range q {
		ok := false
		for _, a := range allowed {
			ok = ok || a == k
		}
		if !ok {
			return nil, errs.InvalidField(k, fmt.Sprintf("unknown query parameter %q; allowed: %s", k, strings.Join(allowed, ", ")))
		}
		if len(vs) > 1 {
			return nil, errs.InvalidField(k, fmt.Sprintf("query parameter %q is given more than once", k))
		}
		if _, err := crm.Label(k, vs[0], 0); err != nil {
			return nil, err
		}
		out[k] = vs[0]
	}
	return out, nil
}
