package api

import (
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"strongroom.dev/strongroom/internal/errs"
)

func intParam(q map[string]string, name string) (int64, error) {
	v, ok := q[name]
	if !ok {
		return 0, nil
	}
	n, err := strconv.ParseInt(v, 10, 64)
	if err != nil {
		return 0, errs.InvalidField(name, name+" must be a whole number")
	}
	return n, nil
}

func timeParam(q map[string]string, name string) (time.Time, error) {
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

// personalInURL refuses a request whose URL carries any of the named
// parameters: personal data and free-text searches, which proxies, server
// logs and browser history keep with the URL. The detail names route, which
// takes them in its JSON body; it never repeats a value.
func personalInURL(r *http.Request, route string, names ...string) error {
	q := r.URL.Query()
	var found []string
	for _, n := range names {
		if q.Has(n) {
			found = append(found, n)
		}
	}
	if len(found) == 0 {
		return nil
	}
	return errs.InvalidField(found[0], fmt.Sprintf("%s may not be sent in the URL, which proxies and browser history keep: send the search in the JSON body of %s",
		strings.Join(found, ", "), route))
}
