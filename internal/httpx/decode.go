package httpx

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"reflect"
	"slices"
	"strings"
	"unicode"

	"strongroom.dev/strongroom/internal/crm"
	"strongroom.dev/strongroom/internal/errs"
)

// MaxBody is the largest request body the API reads.
const MaxBody = 1 << 20

// DecodeJSON reads exactly one JSON object from r's body into dst. It
// refuses another content type, a body that is not an object (null, a
// list, a string, a number), unknown fields, a member given as null, two
// members whose names differ only in case, trailing data and bodies over
// MaxBody, each with a clear message.
//
// Each name in required must be a member of the object. A setting is
// therefore never changed by leaving it out (or by a body of {} or null):
// it is cleared only by an explicit empty value, such as "roles": [].
//
// A dst of type *json.RawMessage takes the object as it is (a browser's
// WebAuthn answer, say); only its required members are checked.
func DecodeJSON(w http.ResponseWriter, r *http.Request, dst any, required ...string) error {
	return decode(w, r, dst, false, required)
}

// DecodePatch is DecodeJSON for a partial update: every member is
// optional, but an empty object changes nothing and is refused.
func DecodePatch(w http.ResponseWriter, r *http.Request, dst any) error {
	return decode(w, r, dst, true, nil)
}

func decode(w http.ResponseWriter, r *http.Request, dst any, patch bool, required []string) error {
	ct, _, err := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if err != nil || (ct != "application/json" && ct != "application/merge-patch+json") {
		return errs.E(errs.Invalid, "the body must be JSON, sent with Content-Type: application/json")
	}
	body, err := readText(w, r)
	if err != nil {
		return err
	}
	// First the object's members as they were sent, to see which are
	// present and which are null: decoding into dst cannot tell.
	var members map[string]json.RawMessage
	dec := json.NewDecoder(bytes.NewReader(body))
	if err := dec.Decode(&members); err != nil {
		return jsonError(err)
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		if err != nil {
			return jsonError(err)
		}
		return errs.E(errs.Invalid, "the body must hold exactly one JSON object")
	}
	if members == nil {
		return errs.E(errs.Invalid, "the body must be a JSON object, not null")
	}
	if patch && len(members) == 0 {
		return errs.E(errs.Invalid, "nothing to change: give at least one field")
	}
	names := make([]string, 0, len(members))
	for name := range members {
		names = append(names, name)
	}
	slices.Sort(names)
	// encoding/json matches names ignoring case, the last one winning: a
	// second spelling could null a member this function saw as set.
	seen := make(map[string]string, len(names))
	for _, name := range names {
		f := fold(name)
		if other, ok := seen[f]; ok {
			return errs.InvalidField(name, fmt.Sprintf("%q and %q name the same field; give it once", other, name))
		}
		seen[f] = name
	}
	for _, name := range required {
		v, ok := members[name]
		switch {
		case !ok:
			msg := name + " is required"
			if want := valueOf(dst, name); want != "" {
				msg += ": " + want
			}
			return errs.InvalidField(name, msg)
		case isNull(v):
			return errs.InvalidField(name, name+" cannot be null: give "+orValue(valueOf(dst, name)))
		}
	}
	strict := json.NewDecoder(bytes.NewReader(body))
	strict.DisallowUnknownFields()
	if err := strict.Decode(dst); err != nil {
		return jsonError(err)
	}
	if _, raw := dst.(*json.RawMessage); raw {
		return nil
	}
	for _, name := range names {
		if isNull(members[name]) {
			return errs.InvalidField(name, name+" cannot be null: leave it out or give "+orValue(valueOf(dst, name)))
		}
	}
	return nil
}

func isNull(v json.RawMessage) bool { return bytes.Equal(v, []byte("null")) }

func orValue(want string) string {
	if want == "" {
		return "a value"
	}
	return want
}

// fold is the case folding encoding/json applies to member names.
func fold(s string) string {
	return strings.Map(func(r rune) rune { return unicode.ToUpper(unicode.ToLower(r)) }, s)
}

// valueOf says, for messages, what the member name of the struct dst
// holds: "a list (send [] to clear)", "a string", …; "" when dst is not a
// struct or has no such member.
func valueOf(dst any, name string) string {
	t := reflect.TypeOf(dst)
	for t != nil && t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	if t == nil || t.Kind() != reflect.Struct {
		return ""
	}
	for f := range t.Fields() {
		if tag, _, _ := strings.Cut(f.Tag.Get("json"), ","); tag == name {
			return valueWord(f.Type)
		}
	}
	return ""
}

var rawMessage = reflect.TypeFor[json.RawMessage]()

// valueWord names a Go type as a JSON value.
func valueWord(t reflect.Type) string {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	switch k := t.Kind(); {
	case t == rawMessage, k == reflect.Map, k == reflect.Struct:
		return "an object"
	case k == reflect.Slice, k == reflect.Array:
		return "a list (send [] to clear)"
	case k == reflect.String:
		return "a string"
	case k == reflect.Bool:
		return "true or false"
	case k >= reflect.Int && k <= reflect.Uint64:
		return "a whole number"
	case k == reflect.Float32, k == reflect.Float64:
		return "a number"
	}
	return "a " + t.String()
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
		return errs.InvalidField(typ.Field, fmt.Sprintf("%s must be %s", typ.Field, valueWord(typ.Type)))
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
