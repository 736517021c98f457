package main_test

import (
	"encoding/base64"
	"net/url"
	"regexp"
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

// TestWebListsRememberFilters: a list opened without filters shows the
// ones its user chose there last, from a __Host- cookie (HttpOnly, Secure,
// SameSite=Lax) holding only filter parameters, never a search; the next
// user of the browser does not get them: the cookie is cleared at their
// login and ignored.
func TestWebListsRememberFilters(t *testing.T) {
	testkit.ForEachDB(t, func(t *testing.T, db testkit.DB) {
		storage := storageArgs(t, db)
		addUser(t, storage, "admin@example.com", "admin")
		addUser(t, storage, "dpo@example.com", "admin")
		s := start(t, storage)
		b := newBrowser(t, s, "en")
		b.login("admin@example.com", password)

		p := b.get("/privacy/requests?all=true")
		set := p.header.Get("Set-Cookie")
		for _, want := range []string{"__Host-strongroom-lists=", "Path=/", "HttpOnly", "Secure", "SameSite=Lax"} {
			if !strings.Contains(set, want) {
				t.Errorf("the filters' cookie %q lacks %s", set, want)
			}
		}
		if strings.Contains(set, "Domain=") {
			t.Errorf("a __Host- cookie names a domain: %s", set)
		}
		allCurrent := `href="/privacy/requests?all=true" aria-current="page"`
		if p := b.get("/privacy/requests"); !strings.Contains(p.body, allCurrent) {
			t.Errorf("the requests list forgot its filter:\n%s", p.body)
		}
		b.get("/vendors?sort=name&dir=desc")
		b.get("/customers?order=newest")
		if p := b.get("/customers"); !strings.Contains(p.body, `id="order-toggle">Oldest first`) && !strings.Contains(p.body, `href="/customers?order=oldest"`) {
			t.Errorf("the customers list forgot its order")
		}
		// A search is posted and never kept.
		b.search("/customers/search", url.Values{"q": {"Lin Mei"}, "order": {"newest"}})
		for _, c := range b.c.Jar.Cookies(mustURL(t, s.URL)) {
			if c.Name == "__Host-strongroom-lists" {
				v, err := base64.RawURLEncoding.DecodeString(c.Value)
				if err != nil {
					t.Fatal(err)
				}
				if strings.Contains(string(v), "Lin") || strings.Contains(string(v), "admin@") {
					t.Errorf("the cookie holds personal data: %s", v)
				}
				if !strings.Contains(string(v), "sort=name") || !strings.Contains(string(v), "all=true") {
					t.Errorf("the cookie lacks the filters: %s", v)
				}
			}
		}
		// The audit log keeps its outcome and order, not an actor; its
		// "clear" clears them.
		denied := `<option value="denied" selected>`
		b.get("/audit?outcome=denied&order=oldest")
		if p := b.get("/audit"); !strings.Contains(p.body, denied) || !strings.Contains(p.body, `name="order" value="oldest" checked`) {
			t.Error("the audit log forgot its filters")
		}
		if p := b.get("/audit?actor=usr_00000000000000000000000000000000"); strings.Contains(p.body, denied) {
			t.Error("a link to one actor's events got the kept filters")
		}
		if p := b.get("/audit"); !strings.Contains(p.body, `id="audit-clear"`) {
			t.Error("no clear link on the filtered audit log")
		} else if m := regexp.MustCompile(`href="([^"]+)" id="audit-clear"`).FindStringSubmatch(p.body); m == nil {
			t.Error("no clear link")
		} else if b.get(strings.ReplaceAll(m[1], "&amp;", "&")); strings.Contains(b.get("/audit").body, denied) {
			t.Error("clearing the audit log's filters did not stick")
		}

		// The open requests again, by a link that says so.
		if p := b.get("/privacy/requests?all=false&mine=false"); strings.Contains(p.body, allCurrent) {
			t.Error("the open requests' link still shows all")
		}
		b.get("/privacy/requests?all=true")

		// Another user logs in on the same browser: the cookie is cleared.
		b.post("/logout", url.Values{"csrf": {b.get("/").csrf(t)}})
		in := b.login("dpo@example.com", password)
		if !strings.Contains(strings.Join(in.header.Values("Set-Cookie"), "\n"), "__Host-strongroom-lists=; Path=/; Max-Age=0") {
			t.Errorf("the login did not clear the last user's filters: %q", in.header.Values("Set-Cookie"))
		}
		if p := b.get("/privacy/requests"); strings.Contains(p.body, allCurrent) {
			t.Error("the next user got the last user's filters")
		}
	})
}

func mustURL(t *testing.T, s string) *url.URL {
	t.Helper()
	u, err := url.Parse(s)
	if err != nil {
		t.Fatal(err)
	}
	return u
}
