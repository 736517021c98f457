package httpx

import (
	"net/http"
	"strconv"
	"time"

	"strongroom.dev/strongroom/internal/errs"
)

// Int reads the query parameter name of q (as Query returns it) as a
// whole number: 0 when q has no such parameter, an error naming it when
// it is not a number. Paging reads its limit and after this way.
func Int(q map[string]string, name string) (int64, error) {
	v, ok := q[name]
	if !ok {
		return 0, nil
	}
	return WholeNumber(name, v)
}

// WholeNumber reads v, the value of the parameter name, as a whole
// number, or says that it must be one.
func WholeNumber(name, v string) (int64, error) {
	n, err := strconv.ParseInt(v, 10, 64)
	if err != nil {
		return 0, errs.InvalidField(name, name+" must be a whole number")
	}
	return n, nil
}

// Time reads the query parameter name of q as an RFC 3339 time: the zero
// time when q has no such parameter, an error naming it when it is not one.
func Time(q map[string]string, name string) (time.Time, error) {
	v, ok := q[name]
	if !ok {
		return time.Time{}, nil
	}
	t, err := time.Parse(time.RFC3339, v)
	if err != nil {
		return time.Time{}, errs.InvalidField(name, name+" must be an RFC 3339 time, like 2026-11-24T09:00:00Z")
	}
	return t, nil
}

// PersonalParams are the query parameters that would carry personal data
// or a free-text search: words of a name, a tag, an email, a phone number,
// an identity number. Proxies, server logs and browser history keep an
// address, so searches are posted and a request carrying these in its URL
// is refused (api and web).
var PersonalParams = []string{"q", "name", "tag", "email", "phone", "national_id"}

// ParamsIn returns which of names r's URL carries.
func ParamsIn(r *http.Request, names ...string) []string {
	q := r.URL.Query()
	var found []string
	for _, n := range names {
		if q.Has(n) {
			found = append(found, n)
		}
	}
	return found
}
