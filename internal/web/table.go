package web

import (
	"cmp"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"
)

// A list page's table: sorted by the column the reader picks (aria-sort on
// its header), cut into pages with previous and next links. Every link
// keeps the page's other parameters — its filters — so sorting or paging
// never loses them. The address carries sort (a column's key), dir (asc,
// desc) and page (from 1).

// tablePageSize is how many rows a page of a table shows.
const tablePageSize = 50

// column is one sortable column of a table of T.
type column[T any] struct {
	Key   string           // the sort parameter's value
	Label string           // the catalog key of its header
	Cmp   func(a, b T) int // nil: the column does not sort
}

// tableHeader is one column's header: its label, and the link that sorts
// by it (the other way when it sorts by it already).
type tableHeader struct {
	Label, Href string
	Sort        string // aria-sort: ascending, descending, or "" when the table is not sorted by it
}

// tableView is a table's headers and its pages.
type tableView struct {
	Headers     []tableHeader
	Prev, Next  string // the neighbouring pages' addresses; empty at either end
	Page, Pages int
	Total       int
}

// sortTable sorts rows by the column the address names (def, ascending
// unless defDesc, when it names none it knows), and returns the address's
// page of them with the table's headers and page links, under path (the
// list's own address: a refused form's page is answered at another).
func sortTable[T any](q *request, path string, rows []T, cols []column[T], def string, defDesc bool) ([]T, tableView) {
	qs := q.r.URL.Query()
	key, desc := def, defDesc
	for _, c := range cols {
		if c.Cmp != nil && c.Key == qs.Get("sort") {
			key, desc = c.Key, qs.Get("dir") == "desc"
		}
	}
	link := func(set map[string]string) string {
		v := url.Values{}
		for k, vs := range qs {
			if k != "flash" && k != "page" {
				v[k] = vs
			}
		}
		for k, val := range set {
			if val == "" {
				v.Del(k)
			} else {
				v.Set(k, val)
			}
		}
		if len(v) == 0 {
			return path
		}
		return path + "?" + v.Encode()
	}
	var tv tableView
	for _, c := range cols {
		h := tableHeader{Label: tr(q.lang, c.Label)}
		if c.Cmp != nil {
			dir := "asc"
			if c.Key == key {
				h.Sort = "ascending"
				if desc {
					h.Sort = "descending"
				} else {
					dir = "desc"
				}
			}
			h.Href = link(map[string]string{"sort": c.Key, "dir": dir})
		}
		if c.Key == key && c.Cmp != nil {
			by := c.Cmp
			sorted := slices.Clone(rows)
			slices.SortStableFunc(sorted, func(a, b T) int {
				if desc {
					return by(b, a)
				}
				return by(a, b)
			})
			rows = sorted
		}
		tv.Headers = append(tv.Headers, h)
	}
	tv.Total = len(rows)
	tv.Pages = max(1, (len(rows)+tablePageSize-1)/tablePageSize)
	tv.Page, _ = strconv.Atoi(qs.Get("page"))
	tv.Page = min(max(tv.Page, 1), tv.Pages)
	pageLink := func(n int) string {
		if n == 1 {
			return link(map[string]string{"page": ""})
		}
		return link(map[string]string{"page": strconv.Itoa(n)})
	}
	if tv.Page > 1 {
		tv.Prev = pageLink(tv.Page - 1)
	}
	if tv.Page < tv.Pages {
		tv.Next = pageLink(tv.Page + 1)
	}
	from := (tv.Page - 1) * tablePageSize
	return rows[from:min(from+tablePageSize, len(rows))], tv
}

// Comparisons for columns.
func byText[T any](f func(T) string) func(a, b T) int {
	return func(a, b T) int { return cmp.Compare(strings.ToLower(f(a)), strings.ToLower(f(b))) }
}

func byTime[T any](f func(T) time.Time) func(a, b T) int {
	return func(a, b T) int { return f(a).Compare(f(b)) }
}

func byInt[T any](f func(T) int) func(a, b T) int {
	return func(a, b T) int { return cmp.Compare(f(a), f(b)) }
}

// maxTrail bounds how many earlier pages a keyset-paged list remembers.
const maxTrail = 50

// cursorPages is where a keyset-paged list (customers, companies) is:
// this page's cursor, the cursors of the pages before it (prev, repeated
// in the address or the posted search), and the next page's cursor, so
// that "previous page" needs no query backwards.
type cursorPages struct {
	Cursor   string   // this page's; "" for the first
	Trail    []string // the earlier pages' cursors, oldest first
	Next     string   // the next page's cursor; "" on the last page
	PrevHref string   // the previous page's address, for a list not searched
	NextHref string   // likewise the next page's
	// Search is where a searched list posts for its other pages (a search
	// never travels in an address), with Kept, the search's own fields
	// (name, value); "" for a list not searched, which links.
	Search string
	Kept   [][2]string
}

// Pages is p, for the shared "cursorpager" template.
func (p cursorPages) Pages() cursorPages { return p }

// searched makes p page by posting the search's fields to action, each of
// kept whose value is not empty.
func (p cursorPages) searched(action string, kept ...[2]string) cursorPages {
	p.Search = action
	for _, f := range kept {
		if f[1] != "" {
			p.Kept = append(p.Kept, f)
		}
	}
	return p
}

// trail reads the earlier pages' cursors from the address or, for a
// posted search, the form.
func (q *request) trail() []string {
	t := q.r.URL.Query()["prev"]
	if q.r.Method == "POST" {
		t = q.r.PostForm["prev"]
	}
	if len(t) > maxTrail {
		t = t[len(t)-maxTrail:]
	}
	return t
}

// HasPrev reports whether there is a page before this one.
func (p cursorPages) HasPrev() bool { return len(p.Trail) > 0 }

// PrevCursor and PrevTrail are the previous page's cursor and trail.
func (p cursorPages) PrevCursor() string { return p.Trail[len(p.Trail)-1] }

func (p cursorPages) PrevTrail() []string { return p.Trail[:len(p.Trail)-1] }

// NextTrail is the next page's trail: this one's and this page.
func (p cursorPages) NextTrail() []string {
	t := append(slices.Clone(p.Trail), p.Cursor)
	if len(t) > maxTrail {
		t = t[len(t)-maxTrail:]
	}
	return t
}

// withLinks sets the previous and next pages' addresses under path,
// keeping the parameters in keep (the list's filters).
func (p cursorPages) withLinks(path string, keep url.Values) cursorPages {
	link := func(cursor string, trail []string) string {
		v := url.Values{}
		for k, vs := range keep {
			v[k] = vs
		}
		if cursor != "" {
			v.Set("cursor", cursor)
		}
		if len(trail) > 0 {
			v["prev"] = trail
		}
		if len(v) == 0 {
			return path
		}
		return path + "?" + v.Encode()
	}
	if p.HasPrev() {
		p.PrevHref = link(p.PrevCursor(), p.PrevTrail())
	}
	if p.Next != "" {
		p.NextHref = link(p.Next, p.NextTrail())
	}
	return p
}
