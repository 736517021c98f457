package api

import (
	"fmt"
	"net/http"
	"strings"

	"strongroom.dev/strongroom/internal/errs"
	"strongroom.dev/strongroom/internal/httpx"
)

// personalInURL refuses a request whose URL carries any of the named
// parameters: personal data and free-text searches, which proxies, server
// logs and browser history keep with the URL. The detail names route, which
// takes them in its JSON body; it never repeats a value.
func personalInURL(r *http.Request, route string, names ...string) error {
	found := httpx.ParamsIn(r, names...)
	if len(found) == 0 {
		return nil
	}
	return errs.InvalidField(found[0], fmt.Sprintf("%s may not be sent in the URL, which proxies and browser history keep: send the search in the JSON body of %s",
		strings.Join(found, ", "), route))
}
