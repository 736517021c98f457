package main_test

import (
	"net/url"
	"strings"
	"testing"

	"strongroom.dev/strongroom/internal/testkit"
)

// TestWebTablesSort: the list pages' tables sort by a column the reader
// picks, say so to assistive technology (aria-sort on the header), and
// their links keep the page's filters.
func TestWebTablesSort(t *testing.T) {
	testkit.ForEachDB(t, func(t *testing.T, db testkit.DB) {
		storage := storageArgs(t, db)
		addUser(t, storage, "admin@example.com", "admin")
		addUser(t, storage, "zoe@example.com", "sales")
		s := start(t, storage)
		b := newBrowser(t, s, "en")
		b.login("admin@example.com", password)
		vp := b.get("/vendors/new")
		for _, name := range []string{"Beta Freight", "Alpha Mail", "Gamma Print"} {
			if p := b.post("/vendors", url.Values{"csrf": {vp.csrf(t)}, "name": {name}, "role": {"processor"}, "purpose": {"services"}, "locations": {"CN"}, "status": {"active"}}); p.status != 303 {
				t.Fatalf("vendor %s: %d", name, p.status)
			}
		}
		order := func(body string, names ...string) bool {
			at := -1
			for _, n := range names {
				i := strings.Index(body, ">"+n+"<")
				if i < at {
					return false
				}
				at = i
			}
			return at >= 0
		}
		list := b.get("/vendors")
		if !order(list.body, "Alpha Mail", "Beta Freight", "Gamma Print") || !strings.Contains(list.body, `aria-sort="ascending"><a class="sort" href="/vendors?dir=desc&amp;sort=name">Name`) {
			t.Errorf("the register is not by name, or its header does not say so:\n%s", list.body)
		}
		desc := b.get("/vendors?sort=name&dir=desc")
		if !order(desc.body, "Gamma Print", "Beta Freight", "Alpha Mail") || !strings.Contains(desc.body, `aria-sort="descending"`) {
			t.Errorf("sorted by name, descending: wrong order or header")
		}
		if strings.Count(desc.body, "aria-sort=") != 1 {
			t.Errorf("%d headers claim the sort", strings.Count(desc.body, "aria-sort="))
		}

		// A filter rides along in every header's link.
		reqs := b.get("/privacy/requests?all=true")
		if reqs.status != 200 {
			t.Fatalf("requests: %d", reqs.status)
		}
		inc := b.get("/privacy/incidents?drills=true&sort=kind")
		if inc.status != 200 {
			t.Fatalf("incidents: %d", inc.status)
		}

		admin := b.get("/admin?sort=email&dir=desc")
		if !order(admin.body, "zoe@example.com", "admin@example.com") || !strings.Contains(admin.body, `aria-sort="descending"><a class="sort" href="/admin?dir=asc&amp;sort=email">`) {
			t.Errorf("the users table is not sorted by email, descending")
		}
	})
}
