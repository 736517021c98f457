package web

import (
	"fmt"
	"io/fs"
	"net/http/httptest"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"testing"
)

// Every table column has a header a screen reader can announce: an empty
// <th> (the sessions and administration pages had them for their buttons)
// is refused; a column of buttons names itself with visually hidden text.
func TestNoEmptyTableHeaders(t *testing.T) {
	empty := regexp.MustCompile(`<th[^>]*>\s*</th>`)
	names, err := fs.Glob(files, "templates/*.html")
	if err != nil {
		t.Fatal(err)
	}
	for _, n := range names {
		b, err := fs.ReadFile(files, n)
		if err != nil {
			t.Fatal(err)
		}
		if m := empty.FindAll(b, -1); len(m) > 0 {
			t.Errorf("%s has %d empty table headers", n, len(m))
		}
	}
}

// sortTable sorts by the column the address names, marks its header with
// aria-sort, links each header to sort by it (the other way when it is the
// sorted one) and pages, every link keeping the page's filters.
func TestSortTable(t *testing.T) {
	type row struct {
		name string
		n    int
	}
	cols := []column[row]{
		{"name", "name", byText(func(r row) string { return r.name })},
		{"n", "amount", byInt(func(r row) int { return r.n })},
		{"x", "user_actions", nil},
	}
	var rows []row
	for i := range 120 {
		rows = append(rows, row{fmt.Sprintf("r%03d", i), (i * 7) % 120})
	}
	for _, c := range []struct {
		url                    string
		first, last            string // the first and last rows of the page
		nameSort, nSort        string // the headers' aria-sort
		nameHref, nHref        string
		prev, next             string
		page, pages, pageItems int
	}{
		{"/vendors", "r000", "r049", "ascending", "", "/vendors?dir=desc&sort=name", "/vendors?dir=asc&sort=n", "", "/vendors?page=2", 1, 3, 50},
		{"/vendors?sort=name&dir=desc&drills=true", "r119", "r070", "descending", "", "/vendors?dir=asc&drills=true&sort=name", "/vendors?dir=asc&drills=true&sort=n",
			"", "/vendors?dir=desc&drills=true&page=2&sort=name", 1, 3, 50},
		{"/vendors?sort=n&page=3&flash=vendor_saved", "r100", "r017", "", "ascending", "/vendors?dir=asc&sort=name", "/vendors?dir=desc&sort=n",
			"/vendors?page=2&sort=n", "", 3, 3, 20},
		{"/vendors?sort=x&page=99", "r100", "r119", "ascending", "", "/vendors?dir=desc&sort=name", "/vendors?dir=asc&sort=n", "/vendors?page=2&sort=x", "", 3, 3, 20},
	} {
		t.Run(c.url, func(t *testing.T) {
			q := &request{r: httptest.NewRequest("GET", c.url, nil), lang: langEN}
			got, tv := sortTable(q, "/vendors", rows, cols, "name", false)
			if len(got) != c.pageItems || got[0].name != c.first || got[len(got)-1].name != c.last {
				t.Errorf("rows %d, %s … %s; want %d, %s … %s", len(got), got[0].name, got[len(got)-1].name, c.pageItems, c.first, c.last)
			}
			h := tv.Headers
			if h[0].Sort != c.nameSort || h[1].Sort != c.nSort || h[2].Sort != "" || h[2].Href != "" {
				t.Errorf("aria-sort %q %q %q (href %q)", h[0].Sort, h[1].Sort, h[2].Sort, h[2].Href)
			}
			if h[0].Href != c.nameHref || h[1].Href != c.nHref {
				t.Errorf("header links %q %q, want %q %q", h[0].Href, h[1].Href, c.nameHref, c.nHref)
			}
			if tv.Prev != c.prev || tv.Next != c.next || tv.Page != c.page || tv.Pages != c.pages || tv.Total != 120 {
				t.Errorf("pages: prev %q next %q page %d/%d total %d", tv.Prev, tv.Next, tv.Page, tv.Pages, tv.Total)
			}
			if h[1].Label != "Amount" && h[1].Label != tr(langEN, "amount") {
				t.Errorf("label %q", h[1].Label)
			}
		})
	}
	if !slices.IsSortedFunc(rows, func(a, b row) int { return strings.Compare(a.name, b.name) }) {
		t.Error("sortTable changed the caller's rows")
	}
}

// A keyset-paged list's trail: the previous page is the last cursor
// kept, the next page's trail adds this page's cursor.
func TestCursorPages(t *testing.T) {
	keep := url.Values{"order": {"newest"}}
	first := cursorPages{Next: "c2"}.withLinks("/customers", keep)
	if first.HasPrev() || first.PrevHref != "" || first.NextHref != "/customers?cursor=c2&order=newest&prev=" {
		t.Errorf("first page: prev %q next %q", first.PrevHref, first.NextHref)
	}
	third := cursorPages{Cursor: "c3", Trail: []string{"", "c2"}, Next: "c4"}.withLinks("/customers", keep)
	if third.PrevHref != "/customers?cursor=c2&order=newest&prev=" || third.NextHref != "/customers?cursor=c4&order=newest&prev=&prev=c2&prev=c3" {
		t.Errorf("third page: prev %q next %q", third.PrevHref, third.NextHref)
	}
	second := cursorPages{Cursor: "c2", Trail: []string{""}}.withLinks("/companies", nil)
	if second.PrevHref != "/companies" || second.NextHref != "" {
		t.Errorf("last page: prev %q next %q", second.PrevHref, second.NextHref)
	}
}
