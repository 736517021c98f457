package web

import (
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"net/http"
	"net/url"
	"slices"
)

// Lists remember their filters, per user: a list page opened without its
// filters shows the ones last chosen there. They are kept in a cookie
// holding only each list's filter parameters (never a search term or any
// other personal data: the names below are the whole of what is kept)
// and a digest of whose they are. A cookie of another user is ignored and
// cleared, at login and on any list page.

const listsCookie = "__Host-strongroom-lists"

// listFilters names, per list page, the parameters that are its filters.
var listFilters = map[string][]string{
	"/customers":         {"order"},
	"/companies":         {"stores"},
	"/vendors":           {"sort", "dir"},
	"/visits":            {"sort", "dir"},
	"/admin":             {"sort", "dir"},
	"/privacy/requests":  {"all", "mine", "sort", "dir"},
	"/privacy/incidents": {"drills", "sort", "dir"},
	// The audit log keeps its time range, action, outcome and order; an
	// actor or a subject (ids) is a lookup of the moment, not kept.
	"/audit": {"action", "outcome", "from", "to", "order"},
}

// listChoices names, per list page, further parameters with which an
// address chooses its own view (a link to one record's events, a page):
// such an address gets no kept filters added.
var listChoices = map[string][]string{
	"/audit": {"actor", "object_id", "subject", "before", "after"},
}

// savedLists is the cookie's content.
type savedLists struct {
	User  string            `json:"u"` // whose: a digest of the user's id
	Lists map[string]string `json:"l"` // path -> its filters, URL-encoded
}

func listsOwner(userID string) string {
	sum := sha256.Sum256([]byte("strongroom/lists/v1|" + userID))
	return hex.EncodeToString(sum[:8])
}

// readLists is the cookie's lists when they are userID's; a cookie of
// someone else (or unreadable) is cleared.
func readLists(w http.ResponseWriter, r *http.Request, userID string) savedLists {
	own := savedLists{User: listsOwner(userID), Lists: map[string]string{}}
	c, err := r.Cookie(listsCookie)
	if err != nil {
		return own
	}
	var s savedLists
	b, err := base64.RawURLEncoding.DecodeString(c.Value)
	if err != nil || json.Unmarshal(b, &s) != nil || s.User != own.User || s.Lists == nil {
		clearLists(w)
		return own
	}
	return s
}

func clearLists(w http.ResponseWriter) {
	http.SetCookie(w, &http.Cookie{Name: listsCookie, Value: "", Path: "/", MaxAge: -1, Secure: true, HttpOnly: true, SameSite: http.SameSiteLaxMode})
}

// forgetOthersLists clears a cookie of lists that are not userID's: the
// next user of a shared browser does not get the last one's filters.
func forgetOthersLists(w http.ResponseWriter, r *http.Request, userID string) {
	readLists(w, r, userID)
}

// rememberFilters keeps the filters of the list page q opens, when its
// address names any; when it names none, it applies the ones kept, as
// if the address had named them. Call it first in a list's handler.
func (q *request) rememberFilters() {
	names, ok := listFilters[q.r.URL.Path]
	if !ok || q.actor.UserID == "" || q.r.Method != http.MethodGet {
		return
	}
	s := readLists(q.w, q.r, q.actor.UserID)
	qs := q.r.URL.Query()
	mine := url.Values{}
	for _, n := range names {
		if vs, ok := qs[n]; ok {
			mine[n] = vs[:1]
		}
	}
	if len(mine) > 0 {
		if s.Lists[q.r.URL.Path] == mine.Encode() {
			return
		}
		s.Lists[q.r.URL.Path] = mine.Encode()
		b, _ := json.Marshal(s)
		http.SetCookie(q.w, &http.Cookie{Name: listsCookie, Value: base64.RawURLEncoding.EncodeToString(b), Path: "/", MaxAge: 180 * 24 * 3600,
			Secure: true, HttpOnly: true, SameSite: http.SameSiteLaxMode})
		return
	}
	for _, n := range listChoices[q.r.URL.Path] {
		if qs.Has(n) {
			return
		}
	}
	kept, err := url.ParseQuery(s.Lists[q.r.URL.Path])
	if err != nil || len(kept) == 0 {
		return
	}
	for n, vs := range kept {
		if slices.Contains(names, n) && len(vs) > 0 {
			qs.Set(n, vs[0])
		}
	}
	u := *q.r.URL
	u.RawQuery = qs.Encode()
	r := q.r.Clone(q.r.Context())
	r.URL = &u
	q.r = r
}
