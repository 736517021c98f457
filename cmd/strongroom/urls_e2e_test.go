package main_test

import (
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"strongroom.dev/strongroom/internal/testkit"
)

// TestWebSearchOutOfURLs: search terms are personal data, and addresses
// are kept by history, proxies and logs. The UI posts searches and pages
// through results by posting again; an address carrying a search is
// refused with a readable message that repeats nothing of it.
func TestWebSearchOutOfURLs(t *testing.T) {
	testkit.ForEachDB(t, func(t *testing.T, db testkit.DB) {
		storage := storageArgs(t, db)
		addUser(t, storage, "sales1@example.com", "sales")
		s := start(t, storage)
		tok := s.Login(t, "sales1@example.com", password)
		var csv strings.Builder
		csv.WriteString("name,email\n")
		for i := 1; i <= 51; i++ {
			fmt.Fprintf(&csv, "Pager %02d,pager%02d@example.com\n", i, i)
		}
		if r := s.Do(t, "POST", "/api/v1/customers/import", tok, csv.String(), "Content-Type", "text/csv"); r.Status != http.StatusCreated {
			t.Fatalf("import: %d %s", r.Status, r.Body)
		}
		if r := s.Do(t, "POST", "/api/v1/companies", tok, map[string]any{"name": "Jade Trading Co"}); r.Status != http.StatusCreated {
			t.Fatalf("company: %d %s", r.Status, r.Body)
		}

		en, zh := newBrowser(t, s, "en"), newBrowser(t, s, "zh-CN")
		en.login("sales1@example.com", password)
		zh.login("sales1@example.com", password)
		for _, tc := range []struct {
			name, path string
			b          *browser
			msg        string
		}{
			{"list by email", "/customers?q=pager07@example.com", en, "Searches are not taken from the page address"},
			{"list by name, Chinese", "/customers?q=Pager", zh, "搜索内容不从网页地址中读取"},
			{"list by tag", "/customers?tag=pager", en, "Searches are not taken from the page address"},
			{"list by email field", "/customers?email=pager07@example.com&order=newest", en, "Searches are not taken from the page address"},
			{"list by phone field", "/customers?phone=13800001111", zh, "搜索内容不从网页地址中读取"},
			{"search everything", "/search?q=pager07@example.com", en, "Searches are not taken from the page address"},
			{"search everything, Chinese", "/search?q=Pager", zh, "搜索内容不从网页地址中读取"},
			{"companies", "/companies?q=Jade&stores=1", en, "Searches are not taken from the page address"},
			{"export", "/customers/export?q=pager07@example.com", en, "Searches are not taken from the page address"},
		} {
			t.Run(tc.name, func(t *testing.T) {
				p := tc.b.get(tc.path)
				if p.status != http.StatusBadRequest || !strings.Contains(p.body, tc.msg) || !strings.HasPrefix(p.header.Get("Content-Type"), "text/html") {
					t.Fatalf("%d %s\n%s", p.status, p.header.Get("Content-Type"), p.body)
				}
				for _, leak := range []string{"pager07", "Pager 0", "Jade", "13800001111"} {
					if strings.Contains(p.body, leak) {
						t.Errorf("the page shows %q", leak)
					}
				}
			})
		}
		for _, path := range []string{"/customers", "/customers?order=newest", "/customers/search", "/companies?stores=0", "/search", "/companies/search"} {
			if p := en.get(path); p.status != http.StatusOK {
				t.Errorf("%s without a search: %d", path, p.status)
			}
		}

		// A search posts; its pages post again, the term and the cursor in
		// hidden fields, so no address on the page holds the term.
		first := en.search("/customers/search", url.Values{"q": {"pager"}})
		found := map[string]bool{}
		names := regexp.MustCompile(`>Pager (\d\d)<`)
		for _, m := range names.FindAllStringSubmatch(first.body, -1) {
			found[m[1]] = true
		}
		if first.status != http.StatusOK || len(found) != 50 {
			t.Fatalf("first page: %d, %d found\n%s", first.status, len(found), first.body)
		}
		// A result's mailto: link holds its own email, not the search: a
		// mail client opens it; no browser history, proxy or log gets it.
		for _, m := range regexp.MustCompile(`(?:href|action)="([^"]*)"`).FindAllStringSubmatch(first.body, -1) {
			if strings.HasPrefix(m[1], "mailto:") || strings.HasPrefix(m[1], "tel:") {
				continue
			}
			if strings.Contains(strings.ToLower(m[1]), "pager") || strings.Contains(m[1], "q=") || strings.Contains(m[1], "cursor=") {
				t.Errorf("an address on the results page holds the search: %s", m[1])
			}
		}
		pageForm := func(id string) *regexp.Regexp {
			return regexp.MustCompile(`(?s)<form method="post" action="/customers/search" class="inline">\s*<input type="hidden" name="csrf" value="[^"]+">\s*<input type="hidden" name="q" value="pager">\s*<input type="hidden" name="cursor" value="([^"]*)">((?:<input type="hidden" name="prev" value="[^"]*">)*)\s*<button type="submit" id="` + id + `">`)
		}
		prevs := regexp.MustCompile(`name="prev" value="([^"]*)"`)
		if strings.Contains(first.body, `id="prev-page"`) {
			t.Error("the first page offers a previous page")
		}
		next := pageForm("next-page").FindStringSubmatch(first.body)
		if next == nil {
			t.Fatalf("no next-page form carrying the search and the cursor:\n%s", first.body)
		}
		form := url.Values{"q": {"pager"}, "cursor": {next[1]}}
		for _, m := range prevs.FindAllStringSubmatch(next[2], -1) {
			form.Add("prev", m[1])
		}
		second := en.search("/customers/search", form)
		rest := names.FindAllStringSubmatch(second.body, -1)
		if second.status != http.StatusOK || len(rest) != 1 || found[rest[0][1]] || strings.Contains(second.body, `id="next-page"`) {
			t.Fatalf("second page: %d\n%s", second.status, second.body)
		}
		// The last page leads back to the first: its cursors ride along.
		prev := pageForm("prev-page").FindStringSubmatch(second.body)
		if prev == nil {
			t.Fatalf("no previous-page form on the second page:\n%s", second.body)
		}
		form = url.Values{"q": {"pager"}, "cursor": {prev[1]}}
		for _, m := range prevs.FindAllStringSubmatch(prev[2], -1) {
			form.Add("prev", m[1])
		}
		back := en.search("/customers/search", form)
		if again := names.FindAllStringSubmatch(back.body, -1); back.status != http.StatusOK || len(again) != 50 || strings.Contains(back.body, `id="prev-page"`) {
			t.Fatalf("back to the first page: %d, %d found", back.status, len(again))
		}

		// Without a search the pages are links, both ways, keeping the order.
		list := en.get("/customers?order=newest")
		nextLink := regexp.MustCompile(`id="next-page" href="([^"]+)"`).FindStringSubmatch(list.body)
		if nextLink == nil || !strings.Contains(nextLink[1], "order=newest") {
			t.Fatalf("no next-page link keeping the order:\n%s", list.body)
		}
		page2 := en.get(strings.ReplaceAll(nextLink[1], "&amp;", "&"))
		prevLink := regexp.MustCompile(`id="prev-page" href="([^"]+)"`).FindStringSubmatch(page2.body)
		if page2.status != http.StatusOK || prevLink == nil || !strings.Contains(prevLink[1], "order=newest") {
			t.Fatalf("no previous-page link on page 2 (%d):\n%s", page2.status, page2.body)
		}
		if page1 := en.get(strings.ReplaceAll(prevLink[1], "&amp;", "&")); page1.status != http.StatusOK || page1.body != list.body && strings.Contains(page1.body, `id="prev-page"`) {
			t.Errorf("the previous page of page 2 is not the first (%d)", page1.status)
		}
		if p := en.search("/customers/search", url.Values{"q": {"pager07@example.com"}}); !strings.Contains(p.body, ">Pager 07<") || strings.Contains(p.body, ">Pager 08<") {
			t.Fatalf("search by exact email:\n%s", p.body)
		}
		if p := en.search("/companies/search", url.Values{"q": {"jade"}}); !strings.Contains(p.body, "Jade Trading Co") {
			t.Fatalf("company search:\n%s", p.body)
		}
		exp := en.search("/customers/export", url.Values{"q": {"pager07@example.com"}})
		if exp.status != http.StatusOK || !strings.HasPrefix(exp.header.Get("Content-Type"), "text/csv") || !strings.Contains(exp.body, "pager07@example.com") || strings.Contains(exp.body, "pager08") {
			t.Fatalf("export of a posted search: %d %s\n%s", exp.status, exp.header.Get("Content-Type"), exp.body)
		}
		if p := en.post("/customers/search", url.Values{"q": {"pager"}}); p.status != http.StatusForbidden || strings.Contains(p.body, "Pager") {
			t.Fatalf("a search posted without the CSRF token: %d", p.status)
		}

		// Logging out asks the browser to drop what it kept.
		out := en.post("/logout", url.Values{"csrf": {en.get("/").csrf(t)}})
		if out.status != http.StatusSeeOther || out.header.Get("Clear-Site-Data") != `"cache", "storage"` {
			t.Fatalf("logout: %d, Clear-Site-Data %q", out.status, out.header.Get("Clear-Site-Data"))
		}
	})
}

// TestWebLinkWithoutToken: the page of an emailed link opened without the
// token (its cookie gone) says the link is not valid.
func TestWebLinkWithoutToken(t *testing.T) {
	s := start(t, storageArgs(t, testkit.NewSQLite(t)))
	b := newBrowser(t, s, "en")
	for _, path := range []string{"/password/reset", "/invite"} {
		if p := b.get(path); p.status != http.StatusBadRequest || !strings.Contains(p.body, "not valid") || strings.Contains(p.body, `name="password2"`) {
			t.Errorf("%s without a token: %d", path, p.status)
		}
		if p := b.get(path + "?token=srl_forged"); p.status != http.StatusSeeOther || p.location != path {
			t.Errorf("%s with a forged token: %d %q", path, p.status, p.location)
		}
		if p := b.get(path); p.status != http.StatusBadRequest || !strings.Contains(p.body, "not valid") {
			t.Errorf("%s with a forged token: %d", path, p.status)
		}
	}
}
