package main_test

import (
	"bytes"
	"mime/multipart"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"strongroom.dev/strongroom/internal/testkit"
)

// browser is an HTTPS client with a cookie jar that does not follow
// redirects, so that tests see each step.
type browser struct {
	t   *testing.T
	s   *server
	c   *http.Client
	url string
}

func newBrowser(t *testing.T, s *server, lang string) *browser {
	jar, _ := cookiejar.New(nil)
	c := &http.Client{Transport: &langTransport{base: s.Client.Transport, lang: lang}, Jar: jar,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	return &browser{t: t, s: s, c: c}
}

type langTransport struct {
	base http.RoundTripper
	lang string
}

func (l *langTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	r.Header.Set("Accept-Language", l.lang)
	return l.base.RoundTrip(r)
}

type page struct {
	status   int
	location string
	body     string
	header   http.Header
}

func (b *browser) get(path string) page {
	b.t.Helper()
	resp, err := b.c.Get(b.s.URL + path)
	if err != nil {
		b.t.Fatal(err)
	}
	if rateLimited(resp) {
		return b.get(path)
	}
	return b.read(resp)
}

func (b *browser) post(path string, form url.Values) page {
	b.t.Helper()
	resp, err := b.c.PostForm(b.s.URL+path, form)
	if err != nil {
		b.t.Fatal(err)
	}
	if rateLimited(resp) {
		return b.post(path, form)
	}
	return b.read(resp)
}

// rateLimited reports, after waiting a second, whether resp is the
// server's per-address request limit (200 a second), which tests that
// sweep many requests hit; a well-behaved client tries again. Login and
// code throttling answer 429 too but with their own message, and are not
// retried.

func (b *browser) read(resp *http.Response) page {
	defer resp.Body.Close()
	var sb strings.Builder
	buf := make([]byte, 32<<10)
	for {
		n, err := resp.Body.Read(buf)
		sb.Write(buf[:n])
		if err != nil {
			break
		}
	}
	p := page{status: resp.StatusCode, location: resp.Header.Get("Location"), body: sb.String(), header: resp.Header}
	if p.status >= 500 {
		b.t.Errorf("%s %s: %d\n%s", resp.Request.Method, resp.Request.URL.Path, p.status, p.body)
	}
	if ct := resp.Header.Get("Content-Type"); strings.HasPrefix(ct, "text/html") {
		csp := resp.Header.Get("Content-Security-Policy")
		if !strings.Contains(csp, "default-src 'none'") || strings.Contains(csp, "unsafe-inline") {
			b.t.Errorf("%s: CSP %q", resp.Request.URL.Path, csp)
		}
		for _, part := range strings.Split(p.body, "<script")[1:] {
			if !strings.HasPrefix(part, ` src="/static/`) {
				b.t.Errorf("%s: inline or foreign script: <script%.40s", resp.Request.URL.Path, part)
			}
		}
	}
	return p
}

var csrfField = regexp.MustCompile(`name="csrf" value="([^"]+)"`)

// search posts a search form to path, with the CSRF token of a logged-in
// page: searches travel in the body, never in the address.
func (b *browser) search(path string, form url.Values) page {
	b.t.Helper()
	form.Set("csrf", b.get("/").csrf(b.t))
	return b.post(path, form)
}

func (p page) csrf(t *testing.T) string {
	t.Helper()
	m := csrfField.FindStringSubmatch(p.body)
	if m == nil {
		t.Fatalf("no CSRF token on the page:\n%s", p.body)
	}
	return m[1]
}

func (b *browser) login(email, pw string) page {
	b.t.Helper()
	form := b.get("/login")
	return b.post("/login", url.Values{"csrf": {form.csrf(b.t)}, "email": {email}, "password": {pw}, "next": {"/customers"}})
}

func TestWebJourneys(t *testing.T) {
	testkit.ForEachDB(t, func(t *testing.T, db testkit.DB) {
		storage := storageArgs(t, db)
		addUser(t, storage, "admin@example.com", "admin")
		addUser(t, storage, "sales1@example.com", "sales")
		addUser(t, storage, "sales2@example.com", "sales")
		addUser(t, storage, "auditor@example.com", "auditor")
		s := start(t, storage)

		anon := newBrowser(t, s, "en")
		if p := anon.get("/customers"); p.status != http.StatusSeeOther || !strings.HasPrefix(p.location, "/login") {
			t.Fatalf("anonymous /customers: %d %s", p.status, p.location)
		}
		if p := anon.login("sales1@example.com", "wrong password entirely"); p.status != 401 || !strings.Contains(p.body, "email or password is incorrect") {
			t.Fatalf("wrong password: %d", p.status)
		}
		if p := anon.post("/login", url.Values{"email": {"sales1@example.com"}, "password": {password}}); p.status != 403 {
			t.Fatalf("login without CSRF token: %d", p.status)
		}

		sales := newBrowser(t, s, "en")
		if p := sales.login("sales1@example.com", password); p.status != http.StatusSeeOther || p.location != "/customers" {
			t.Fatalf("login: %d %s", p.status, p.location)
		}
		list := sales.get("/customers")
		if list.status != 200 || !strings.Contains(list.body, "New customer") || strings.Contains(list.body, `href="/audit"`) {
			t.Fatalf("sales list page: %d", list.status)
		}
		// Create through the form; the national id field is not offered (masked for sales).
		newForm := sales.get("/customers/new")
		if strings.Contains(newForm.body, `name="national_id"`) {
			t.Error("the form offers national_id to sales, who may not write it")
		}
		bad := sales.post("/customers", url.Values{"csrf": {newForm.csrf(t)}, "name": {"张伟"}, "email": {"not-an-email"}})
		if bad.status != 400 || !strings.Contains(bad.body, `id="error-email"`) || !strings.Contains(bad.body, `value="张伟"`) {
			t.Fatalf("invalid email: %d; want the form again with the error at the email field and the name kept", bad.status)
		}
		created := sales.post("/customers", url.Values{"csrf": {newForm.csrf(t)}, "name": {"张伟"}, "email": {"zhang.wei@example.cn"}, "phone": {"+86 139 1234 5678"}})
		if created.status != http.StatusSeeOther || !strings.HasPrefix(created.location, "/customers/cus_") {
			t.Fatalf("create: %d %s\n%s", created.status, created.location, created.body)
		}
		custPath := strings.SplitN(created.location, "?", 2)[0]
		if p := sales.post("/customers", url.Values{"name": {"no token"}}); p.status != 403 {
			t.Fatalf("form without CSRF token: %d", p.status)
		}

		admin := newBrowser(t, s, "en")
		admin.login("admin@example.com", password)
		edit := admin.get(custPath + "/edit")
		if !strings.Contains(edit.body, `name="national_id"`) {
			t.Fatal("admin's form lacks national_id")
		}
		if p := admin.post(custPath, url.Values{"csrf": {edit.csrf(t)}, "name": {"张伟"}, "email": {"zhang.wei@example.cn"}, "phone": {"+8613912345678"}, "national_id": {"110101199003071234"}, "notes": {"VIP"}}); p.status != http.StatusSeeOther {
			t.Fatalf("admin update: %d\n%s", p.status, p.body)
		}

		show := sales.get(custPath)
		if !strings.Contains(show.body, "1****************4") || strings.Contains(show.body, "110101199003071234") || !strings.Contains(show.body, "Masked") {
			t.Fatalf("sales sees the national id unmasked or unmarked:\n%s", show.body)
		}
		if strings.Contains(show.body, "Delete") {
			t.Error("sales is offered a delete button")
		}
		if p := admin.get(custPath); !strings.Contains(p.body, "110101199003071234") {
			t.Error("admin does not see the national id")
		}
		// Sales may reveal the masked national id, giving a reason.
		if !strings.Contains(show.body, `action="`+custPath+`/reveal"`) {
			t.Fatal("sales is not offered a reveal control for the masked national id")
		}
		if p := sales.post(custPath+"/reveal", url.Values{"csrf": {show.csrf(t)}, "field": {"national_id"}, "reason": {"x"}}); p.status != 400 || strings.Contains(p.body, "110101199003071234") {
			t.Fatalf("reveal with a too short reason: %d", p.status)
		}
		if p := sales.post(custPath+"/reveal", url.Values{"csrf": {show.csrf(t)}, "field": {"national_id"}, "reason": {"Verifying identity for a contract"}}); p.status != 200 || !strings.Contains(p.body, `<span id="field-national_id">110101199003071234</span>`) {
			t.Fatalf("reveal: %d\n%s", p.status, p.body)
		}
		if p := sales.get(custPath); strings.Contains(p.body, "110101199003071234") {
			t.Fatal("the revealed value stays on the page after the reveal")
		}

		// Log a call and a task from the customer page; the task is on the dashboard until done.
		page := sales.get(custPath)
		if p := sales.post(custPath+"/activities", url.Values{"csrf": {page.csrf(t)}, "kind": {"call"}, "subject": {""}}); p.status != 400 || !strings.Contains(p.body, `id="log-error"`) {
			t.Fatalf("activity without a subject: %d", p.status)
		}
		if p := sales.post(custPath+"/activities", url.Values{"csrf": {page.csrf(t)}, "kind": {"call"}, "subject": {"Called about the spring sale"}, "body": {"Interested in lot 12"}}); p.status != http.StatusSeeOther {
			t.Fatalf("log a call: %d %s", p.status, p.body)
		}
		if p := sales.post(custPath+"/activities", url.Values{"csrf": {page.csrf(t)}, "kind": {"task"}, "subject": {"Send the catalogue"}, "due": {"2026-12-01"}}); p.status != http.StatusSeeOther {
			t.Fatalf("log a task: %d %s", p.status, p.body)
		}
		if p := sales.get(custPath); !strings.Contains(p.body, "Called about the spring sale") || !strings.Contains(p.body, "Interested in lot 12") {
			t.Fatal("the call is not on the customer page")
		}
		dash := sales.get("/")
		if dash.status != 200 || !strings.Contains(dash.body, "Send the catalogue") || !strings.Contains(dash.body, "1 Dec 2026") {
			t.Fatalf("dashboard: %d\n%s", dash.status, dash.body)
		}
		m := regexp.MustCompile(`action="(/activities/act_[0-9a-f]+/done)"`).FindStringSubmatch(dash.body)
		if m == nil {
			t.Fatal("no done button on the dashboard")
		}
		if p := sales.post(m[1], url.Values{"csrf": {dash.csrf(t)}, "done": {"1"}, "back": {"/"}}); p.status != http.StatusSeeOther {
			t.Fatalf("done: %d", p.status)
		}
		if p := sales.get("/"); strings.Contains(p.body, "Send the catalogue") {
			t.Fatal("a done task is still on the dashboard")
		}

		// Open a deal on the customer, move it on the board; the dashboard totals it.
		page = sales.get(custPath)
		if p := sales.post(custPath+"/deals", url.Values{"csrf": {page.csrf(t)}, "title": {"Porcelain lot 12"}, "amount": {"abc"}, "currency": {"CNY"}}); p.status != 400 || !strings.Contains(p.body, `id="deal-error"`) {
			t.Fatalf("deal with a bad amount: %d", p.status)
		}
		if p := sales.post(custPath+"/deals", url.Values{"csrf": {page.csrf(t)}, "title": {"Porcelain lot 12"}, "amount": {"1,250,000.50"}, "currency": {"CNY"}, "expected_close": {"2026-12-20"}}); p.status != http.StatusSeeOther {
			t.Fatalf("open a deal: %d %s", p.status, p.body)
		}
		if p := sales.get(custPath); !strings.Contains(p.body, "Expected close 2026-12-20") {
			t.Fatal("expected close date not shown")
		}
		board := sales.get("/deals?open=lead") // a stage draws its cards when opened
		if !strings.Contains(board.body, "Porcelain lot 12") || !strings.Contains(board.body, "CNY 1,250,000.50") {
			t.Fatalf("board:\n%s", board.body)
		}
		mv := regexp.MustCompile(`action="(/deals/dea_[0-9a-f]+/stage)"`).FindStringSubmatch(board.body)
		if mv == nil {
			t.Fatal("no move control on the board")
		}
		if p := sales.post(mv[1], url.Values{"csrf": {board.csrf(t)}, "stage": {"negotiation"}, "back": {"/deals?open=lead"}}); p.status != http.StatusSeeOther || p.location != "/deals?open=negotiation&flash=deal_moved" {
			t.Fatalf("move: %d %s %s", p.status, p.location, p.body)
		}
		if p := sales.get("/deals?open=negotiation"); !strings.Contains(p.body[strings.Index(p.body, `id="stage-negotiation"`):], "Porcelain lot 12") {
			t.Fatal("the deal is not in negotiation after the move")
		}
		dealPath := strings.TrimSuffix(mv[1], "/stage")
		dp := sales.get(dealPath)
		if p := sales.post(dealPath+"/activities", url.Values{"csrf": {dp.csrf(t)}, "kind": {"meeting"}, "subject": {"Viewing of lot 12"}}); p.status != http.StatusSeeOther {
			t.Fatalf("deal activity: %d %s", p.status, p.body)
		}
		if p := sales.get(dealPath); !strings.Contains(p.body, "Viewing of lot 12") {
			t.Fatal("the activity is not on the deal page")
		}
		if p := sales.get(custPath); !strings.Contains(p.body, "Viewing of lot 12") || !strings.Contains(p.body, `href="`+dealPath+`"`) {
			t.Fatal("the deal's activity is not on the customer's timeline with a link to the deal")
		}
		if p := sales.get("/"); !strings.Contains(p.body, `id="pipeline-totals"`) || !strings.Contains(p.body, "CNY 937,500.37") {
			t.Fatalf("dashboard totals:\n%s", p.body)
		}

		other := newBrowser(t, s, "en")
		other.login("sales2@example.com", password)
		if p := other.get(custPath); p.status != 404 || strings.Contains(p.body, "张伟") {
			t.Fatalf("another sales user: %d", p.status)
		}
		if p := other.post(custPath+"/activities", url.Values{"csrf": {other.get("/").csrf(t)}, "kind": {"note"}, "subject": {"sneaky"}}); p.status != 404 {
			t.Fatalf("another sales user logging on the customer: %d", p.status)
		}
		if p := other.get("/deals?open=all"); strings.Contains(p.body, "Porcelain lot 12") {
			t.Fatal("another sales user sees the deal")
		}
		if p := other.post(mv[1], url.Values{"csrf": {other.get("/").csrf(t)}, "stage": {"won"}}); p.status != 404 {
			t.Fatalf("another sales user moving the deal: %d", p.status)
		}
		if p := other.search("/customers/search", url.Values{"q": {"zhang.wei@example.cn"}}); strings.Contains(p.body, "张伟") {
			t.Fatal("another sales user finds the customer by search")
		}
		if p := sales.search("/customers/search", url.Values{"q": {"ZHANG.WEI@example.cn"}}); !strings.Contains(p.body, "张伟") {
			t.Fatal("owner cannot find the customer by email")
		}

		aud := newBrowser(t, s, "zh-CN")
		aud.login("auditor@example.com", password)
		auditPage := aud.get("/audit?object_id=" + strings.TrimPrefix(custPath, "/customers/"))
		if auditPage.status != 200 || !strings.Contains(auditPage.body, "审计日志") || !strings.Contains(auditPage.body, "customer.read") || strings.Contains(auditPage.body, "张伟") || strings.Contains(auditPage.body, "1101011990") {
			t.Fatalf("auditor's audit page (zh-CN): %d\n%s", auditPage.status, auditPage.body)
		}
		// The reveal's reason is not in the log, only that one was given; the
		// auditor opens it, and that is recorded.
		open := regexp.MustCompile(`已给出理由（已加密） <a href="(/audit/[0-9]+/reason)">`).FindStringSubmatch(auditPage.body)
		if open == nil || strings.Contains(auditPage.body, "Verifying identity") {
			t.Fatalf("the reveal's reason on the audit page:\n%s", auditPage.body)
		}
		if p := aud.get(open[1]); p.status != 200 || !strings.Contains(p.body, `<p id="audit-reason">Verifying identity for a contract</p>`) {
			t.Fatalf("opening the reason: %d\n%s", p.status, p.body)
		}
		if p := aud.get("/audit?object_id=" + strings.TrimPrefix(custPath, "/customers/")); !strings.Contains(p.body, "audit.reason_read") {
			t.Fatal("opening the reason is not recorded on the customer")
		}
		if p := sales.get(open[1]); p.status != 403 || strings.Contains(p.body, "Verifying identity") {
			t.Fatalf("sales opening a reason: %d", p.status)
		}
		if p := aud.get("/customers"); p.status != 403 || strings.Contains(p.body, "张伟") {
			t.Fatalf("auditor /customers: %d", p.status)
		}
		if p := sales.get("/audit"); p.status != 403 {
			t.Fatalf("sales /audit: %d", p.status)
		}

		// Language switch sticks.
		if p := sales.post("/lang", url.Values{"lang": {"zh-CN"}, "back": {"/customers"}}); p.status != http.StatusForbidden {
			t.Fatalf("lang without the form's token, logged in: %d", p.status)
		}
		if p := sales.post("/lang", url.Values{"lang": {"zh-CN"}, "back": {"/customers"}, "csrf": {sales.get("/customers").csrf(t)}}); p.status != http.StatusSeeOther {
			t.Fatalf("lang: %d", p.status)
		}
		// From a page shown without a session (here the login page), the switch
		// works too, for this browser only.
		if p := sales.post("/lang", url.Values{"lang": {"zh-CN"}, "back": {"/login"}, "public": {"1"}}); p.status != http.StatusSeeOther {
			t.Fatalf("lang from a public page while logged in: %d", p.status)
		}
		if p := sales.get("/customers"); !strings.Contains(p.body, "新建客户") || p.header.Get("Content-Language") != "zh-CN" {
			t.Fatal("language switch did not apply")
		}
		// The choice is the user's: another browser (English, no cookie) gets it after login.
		again := newBrowser(t, s, "en")
		again.login("sales1@example.com", password)
		if p := again.get("/customers"); p.header.Get("Content-Language") != "zh-CN" {
			t.Fatalf("the user's language did not follow them: %q", p.header.Get("Content-Language"))
		}

		// Admin deletes; logout ends the session.
		del := admin.get(custPath)
		if p := admin.post(custPath+"/delete", url.Values{"csrf": {del.csrf(t)}, "confirm": {"1"}}); p.status != http.StatusSeeOther {
			t.Fatalf("delete: %d", p.status)
		}
		if p := sales.get(custPath); p.status != 404 {
			t.Fatalf("after delete: %d", p.status)
		}
		lo := sales.get("/customers")
		if p := sales.post("/logout", url.Values{"csrf": {lo.csrf(t)}}); p.status != http.StatusSeeOther {
			t.Fatalf("logout: %d", p.status)
		}
		if p := sales.get("/customers"); p.status != http.StatusSeeOther {
			t.Fatalf("after logout: %d", p.status)
		}
	})
}

func TestWebCompanies(t *testing.T) {
	db := testkit.NewSQLite(t)
	storage := storageArgs(t, db)
	addUser(t, storage, "sales1@example.com", "sales")
	addUserInTeam(t, storage, "rep@example.com", "field_rep", "east")
	s := start(t, storage)

	sales := newBrowser(t, s, "en")
	sales.login("sales1@example.com", password)
	form := sales.get("/companies/new")
	if p := sales.post("/companies", url.Values{"csrf": {form.csrf(t)}, "name": {"Jade Store"}, "is_store": {"1"}}); p.status != 400 || !strings.Contains(p.body, "a store needs an address") {
		t.Fatalf("store without address: %d", p.status)
	}
	p := sales.post("/companies", url.Values{"csrf": {form.csrf(t)}, "name": {"Jade Store"}, "address": {"9 Huaihai Road"}, "is_store": {"1"}})
	if p.status != http.StatusSeeOther || !strings.HasPrefix(p.location, "/companies/com_") {
		t.Fatalf("create company: %d %s", p.status, p.body)
	}
	companyPath := strings.SplitN(p.location, "?", 2)[0]
	companyID := strings.TrimPrefix(companyPath, "/companies/")

	newCust := sales.get("/customers/new")
	if !strings.Contains(newCust.body, `<option value="`+companyID+`"`) {
		t.Fatal("the customer form does not offer the company")
	}
	p = sales.post("/customers", url.Values{"csrf": {newCust.csrf(t)}, "name": {"Manager Gu"}, "company_id": {companyID}})
	if p.status != http.StatusSeeOther {
		t.Fatalf("create linked customer: %d %s", p.status, p.body)
	}
	if page := sales.get(companyPath); !strings.Contains(page.body, "Manager Gu") || !strings.Contains(page.body, "9 Huaihai Road") {
		t.Fatalf("company page:\n%s", page.body)
	}
	if page := sales.get("/companies?stores=1"); !strings.Contains(page.body, "Jade Store") {
		t.Fatal("stores list lacks the store")
	}
	rep := newBrowser(t, s, "en")
	rep.login("rep@example.com", password)
	if page := rep.get(companyPath); page.status != 404 || strings.Contains(page.body, "Huaihai") {
		t.Fatalf("field rep sees another's store: %d", page.status)
	}
	// The sales owner logs a task on the store; it is on their dashboard, linked to the store.
	cp := sales.get(companyPath)
	if p := sales.post(companyPath+"/activities", url.Values{"csrf": {cp.csrf(t)}, "kind": {"task"}, "subject": {"Deliver colour cards"}, "due": {"2026-12-03"}}); p.status != http.StatusSeeOther {
		t.Fatalf("company task: %d %s", p.status, p.body)
	}
	if p := sales.get(companyPath); !strings.Contains(p.body, "Deliver colour cards") {
		t.Fatal("the task is not on the company page")
	}
	if p := sales.get("/"); !strings.Contains(p.body, `<a href="`+companyPath+`">Jade Store</a>`) {
		t.Fatalf("the company task is not on the dashboard:\n%s", p.body)
	}
	if page := rep.get("/customers"); page.status != 403 {
		t.Fatalf("field rep /customers: %d", page.status)
	}
}

// TestWebTeamEdit: a role whose grant reaches its team's customers
// (support may change their contact details) opens the edit form that the
// customer page links to, and saves it, as the API lets it; another team's
// support finds nothing.
func TestWebTeamEdit(t *testing.T) {
	db := testkit.NewSQLite(t)
	storage := storageArgs(t, db)
	addUserInTeam(t, storage, "sales@example.com", "sales", "north")
	addUserInTeam(t, storage, "support@example.com", "support", "north")
	addUserInTeam(t, storage, "far@example.com", "support", "south")
	s := start(t, storage)

	sales := newBrowser(t, s, "en")
	sales.login("sales@example.com", password)
	form := sales.get("/customers/new")
	p := sales.post("/customers", url.Values{"csrf": {form.csrf(t)}, "name": {"Qian Hui"}, "phone": {"+86 138 0000 1111"}})
	if p.status != http.StatusSeeOther {
		t.Fatalf("create: %d %s", p.status, p.body)
	}
	custPath := strings.SplitN(p.location, "?", 2)[0]

	support := newBrowser(t, s, "en")
	support.login("support@example.com", password)
	if page := support.get(custPath); !strings.Contains(page.body, `href="`+custPath+`/edit"`) {
		t.Fatalf("support's customer page has no edit link: %d", page.status)
	}
	edit := support.get(custPath + "/edit")
	if edit.status != http.StatusOK || !strings.Contains(edit.body, `name="phone"`) || strings.Contains(edit.body, `name="name"`) {
		t.Fatalf("support's edit form: %d\n%s", edit.status, edit.body)
	}
	if p := support.post(custPath, url.Values{"csrf": {edit.csrf(t)}, "phone": {"+86 138 0000 2222"}}); p.status != http.StatusSeeOther {
		t.Fatalf("support saves: %d %s", p.status, p.body)
	}
	if page := support.get(custPath); !strings.Contains(page.body, "2222") || strings.Contains(page.body, "1111") {
		t.Fatal("the new phone number is not on the page")
	}
	far := newBrowser(t, s, "en")
	far.login("far@example.com", password)
	if page := far.get(custPath + "/edit"); page.status != http.StatusNotFound || strings.Contains(page.body, "Qian") {
		t.Fatalf("another team's support: %d", page.status)
	}
}

func TestWebVisits(t *testing.T) {
	testkit.ForEachDB(t, func(t *testing.T, db testkit.DB) {
		storage := storageArgs(t, db)
		addUser(t, storage, "admin@example.com", "admin")
		addUserInTeam(t, storage, "rep@example.com", "field_rep", "east")
		addUserInTeam(t, storage, "rep2@example.com", "field_rep", "west")
		addUserInTeam(t, storage, "boss@example.com", "manager", "east")
		// The rep also reads the API with a plain token here (the photo's
		// download headers); the field app's device rule is TestDevicesE2E's.
		s := start(t, storage, "--device-required-roles", "")
		admin := s.Login(t, "admin@example.com", password)
		repAPI := s.Login(t, "rep@example.com", password)
		repID := s.Do(t, "GET", "/api/v1/me", repAPI, nil).Str("user_id")
		store := s.Do(t, "POST", "/api/v1/companies", admin, map[string]any{"name": "Jade Store", "address": "9 Huaihai Road", "is_store": true, "owner_id": repID})
		if store.Status != 201 {
			t.Fatalf("store: %d %s", store.Status, store.Body)
		}

		rep := newBrowser(t, s, "en")
		rep.login("rep@example.com", password)
		list := rep.get("/visits")
		if !strings.Contains(list.body, "Jade Store") {
			t.Fatal("the plan form does not offer the rep's store")
		}
		today := time.Now().UTC().Format(time.DateOnly)
		p := rep.post("/visits", url.Values{"csrf": {list.csrf(t)}, "company_id": {store.Str("id")}, "planned_for": {today}})
		if p.status != http.StatusSeeOther || !strings.HasPrefix(p.location, "/visits/vis_") {
			t.Fatalf("plan: %d %s", p.status, p.body)
		}
		visitPath := strings.SplitN(p.location, "?", 2)[0]
		vp := rep.get(visitPath)
		if !strings.Contains(vp.header.Get("Content-Security-Policy"), "script-src 'self'") || !strings.Contains(vp.body, `id="checkin-form"`) ||
			!strings.Contains(vp.header.Get("Permissions-Policy"), "geolocation=(self)") {
			t.Fatalf("visit page: CSP %q, Permissions-Policy %q", vp.header.Get("Content-Security-Policy"), vp.header.Get("Permissions-Policy"))
		}
		if pp := list.header.Get("Permissions-Policy"); !strings.Contains(pp, "geolocation=()") {
			t.Fatalf("pages without check-in must deny geolocation: %q", pp)
		}
		if p := rep.post(visitPath+"/checkin", url.Values{"csrf": {vp.csrf(t)}, "lat": {"95"}, "lon": {"121.47"}}); p.status != 400 || !strings.Contains(p.body, "latitude") {
			t.Fatalf("bad latitude: %d", p.status)
		}
		if p := rep.post(visitPath+"/checkin", url.Values{"csrf": {vp.csrf(t)}, "lat": {"31.230416"}, "lon": {"121.473701"}, "accuracy": {"12"}}); p.status != http.StatusSeeOther {
			t.Fatalf("check in: %d %s", p.status, p.body)
		}
		vp = rep.get(visitPath)
		if !strings.Contains(vp.body, "31.230416, 121.473701") || !strings.Contains(vp.body, `id="checkout-form"`) {
			t.Fatalf("after check-in:\n%s", vp.body)
		}
		// A photo, streamed; a text file is refused.
		upload := func(name string, data []byte) page {
			var body bytes.Buffer
			mw := multipart.NewWriter(&body)
			mw.WriteField("csrf", vp.csrf(t))
			fw, _ := mw.CreateFormFile("photo", name)
			fw.Write(data)
			mw.Close()
			resp, err := rep.c.Post(s.URL+visitPath+"/photos", mw.FormDataContentType(), &body)
			if err != nil {
				t.Fatal(err)
			}
			return rep.read(resp)
		}
		if p := upload("evil.png", []byte("<script>alert(1)</script>")); p.status != 400 || !strings.Contains(p.body, "not a JPEG, PNG or WebP") {
			t.Fatalf("a script as a photo: %d", p.status)
		}
		pngData := []byte("\x89PNG\r\n\x1a\n" + strings.Repeat("x", 64))
		if p := upload("shelf.png", pngData); p.status != http.StatusSeeOther {
			t.Fatalf("photo: %d %s", p.status, p.body)
		}
		vp = rep.get(visitPath)
		img := regexp.MustCompile(`<img src="(/visits/vis_[0-9a-f]+/photos/att_[0-9a-f]+)"`).FindStringSubmatch(vp.body)
		if img == nil {
			t.Fatal("no photo on the page")
		}
		if got := rep.get(img[1]); got.status != 200 || got.header.Get("Content-Type") != "image/png" || got.body != string(pngData) {
			t.Fatalf("photo bytes: %d %s", got.status, got.header.Get("Content-Type"))
		}
		// Downloads are attachments under a name the server makes, never the
		// uploaded one ("shelf.png"), and never sniffed: on the page and in the API.
		ids := regexp.MustCompile(`/visits/(vis_[0-9a-f]+)/photos/(att_[0-9a-f]+)`).FindStringSubmatch(img[1])
		wantDisp := "attachment; filename=visit-" + ids[1] + "-" + ids[2] + ".png"
		for name, h := range map[string]http.Header{"web": rep.get(img[1]).header, "api": s.Do(t, "GET", "/api/v1"+img[1], repAPI, nil).Header} {
			if d := h.Get("Content-Disposition"); d != wantDisp || strings.Contains(d, "shelf") {
				t.Errorf("%s photo Content-Disposition %q, want %q", name, d, wantDisp)
			}
			if n := h.Get("X-Content-Type-Options"); n != "nosniff" {
				t.Errorf("%s photo X-Content-Type-Options %q", name, n)
			}
		}
		if p := rep.post(visitPath+"/checkout", url.Values{"csrf": {vp.csrf(t)}, "notes": {"Shelf space doubled"}}); p.status != http.StatusSeeOther {
			t.Fatalf("check out: %d %s", p.status, p.body)
		}
		boss := newBrowser(t, s, "en")
		boss.login("boss@example.com", password)
		if p := boss.get(visitPath); p.status != 200 || !strings.Contains(p.body, "Shelf space doubled") || strings.Contains(p.body, `id="checkout-form"`) {
			t.Fatalf("manager's view: %d", p.status)
		}
		other := newBrowser(t, s, "en")
		other.login("rep2@example.com", password)
		if p := other.get(visitPath); p.status != 404 || strings.Contains(p.body, "Shelf") {
			t.Fatalf("another rep: %d", p.status)
		}
		if p := other.get(img[1]); p.status != 404 {
			t.Fatalf("another rep fetching the photo: %d", p.status)
		}
	})
}

func TestWebPurchaseHistory(t *testing.T) {
	db := testkit.NewSQLite(t)
	storage := storageArgs(t, db)
	addUser(t, storage, "sales1@example.com", "sales")
	addUser(t, storage, "fin@example.com", "finance")
	addUser(t, storage, "mkt@example.com", "marketing")
	s := start(t, storage)
	salesTok := s.Login(t, "sales1@example.com", password)
	c := s.Do(t, "POST", "/api/v1/customers", salesTok, map[string]string{"name": "Collector Qian"})
	custPath := "/customers/" + c.Str("id")

	fin := newBrowser(t, s, "en")
	fin.login("fin@example.com", password)
	page := fin.get(custPath)
	if !strings.Contains(page.body, `id="purchases"`) || !strings.Contains(page.body, `action="`+custPath+`/transactions"`) {
		t.Fatal("finance is not offered the purchase history and its form")
	}
	if !strings.Contains(page.body, "C"+strings.Repeat("*", 12)+"n") {
		t.Fatal("finance should see the customer's name masked")
	}
	if p := fin.post(custPath+"/transactions", url.Values{"csrf": {page.csrf(t)}, "kind": {"order"}, "occurred_on": {"2026-11-20"}, "amount": {"10"}, "premium": {"2"}, "currency": {"CNY"}}); p.status != 400 || !strings.Contains(p.body, "buyer&#39;s premium") {
		t.Fatalf("premium on an order: %d", p.status)
	}
	if p := fin.post(custPath+"/transactions", url.Values{"csrf": {page.csrf(t)}, "kind": {"lot"}, "occurred_on": {"2026-11-20"}, "reference": {"Lot 128"},
		"amount": {"3,200,000"}, "premium": {"640,000"}, "currency": {"CNY"}}); p.status != http.StatusSeeOther {
		t.Fatalf("record a lot: %d %s", p.status, p.body)
	}
	sales := newBrowser(t, s, "en")
	sales.login("sales1@example.com", password)
	if p := sales.get(custPath); !strings.Contains(p.body, "Lot 128") || !strings.Contains(p.body, "CNY 3,840,000.00") || strings.Contains(p.body, `/transactions"`) {
		t.Fatalf("sales' view of the purchase history:\n%s", p.body)
	}
	mkt := newBrowser(t, s, "en")
	mkt.login("mkt@example.com", password)
	if p := mkt.get(custPath); p.status != 200 || strings.Contains(p.body, "Lot 128") || strings.Contains(p.body, `id="purchases"`) {
		t.Fatalf("marketing sees the purchase history: %d", p.status)
	}
}

func TestWebPreferences(t *testing.T) {
	db := testkit.NewSQLite(t)
	storage := storageArgs(t, db)
	addUser(t, storage, "sales1@example.com", "sales")
	addUser(t, storage, "mkt@example.com", "marketing")
	addUser(t, storage, "fin@example.com", "finance")
	s := start(t, storage)
	c := s.Do(t, "POST", "/api/v1/customers", s.Login(t, "sales1@example.com", password), map[string]string{"name": "Ms Lin", "email": "lin@example.com"})
	custPath := "/customers/" + c.Str("id")

	mkt := newBrowser(t, s, "en")
	mkt.login("mkt@example.com", password)
	page := mkt.get(custPath)
	if !strings.Contains(page.body, `action="`+custPath+`/preferences"`) || strings.Contains(page.body, `href="`+custPath+`/edit"`) {
		t.Fatal("marketing: want the preferences form and no customer edit button")
	}
	if !strings.Contains(page.body, "l*************m") || strings.Contains(page.body, "lin@example.com") {
		t.Fatal("marketing must see the email masked")
	}
	if p := mkt.post(custPath+"/preferences", url.Values{"csrf": {page.csrf(t)}, "opt_in": {"email", "wechat"}, "interests": {"Ceramics, Ink painting"}}); p.status != http.StatusSeeOther {
		t.Fatalf("preferences: %d %s", p.status, p.body)
	}
	if p := mkt.post(custPath+"/feedback", url.Values{"csrf": {page.csrf(t)}, "rating": {"9"}}); p.status != 400 {
		t.Fatalf("rating 9: %d", p.status)
	}
	if p := mkt.post(custPath+"/feedback", url.Values{"csrf": {page.csrf(t)}, "rating": {"4"}, "channel": {"survey"}, "comment": {"Loved the preview"}}); p.status != http.StatusSeeOther {
		t.Fatalf("feedback: %d %s", p.status, p.body)
	}
	sales := newBrowser(t, s, "en")
	sales.login("sales1@example.com", password)
	if p := sales.get(custPath); !strings.Contains(p.body, `<span id="opt-in">email, WeChat</span>`) || !strings.Contains(p.body, "Loved the preview") || strings.Contains(p.body, `/preferences"`) {
		t.Fatalf("sales' read-only view:\n%s", p.body)
	}
	fin := newBrowser(t, s, "en")
	fin.login("fin@example.com", password)
	if p := fin.get(custPath); strings.Contains(p.body, "Loved the preview") || strings.Contains(p.body, `id="preferences"`) {
		t.Fatal("finance sees preferences")
	}
}

func TestWebNameSearch(t *testing.T) {
	db := testkit.NewSQLite(t)
	storage := storageArgs(t, db)
	addUser(t, storage, "sales1@example.com", "sales")
	s := start(t, storage)
	tok := s.Login(t, "sales1@example.com", password)
	for _, n := range []string{"陈静怡", "Grace Hopper"} {
		if r := s.Do(t, "POST", "/api/v1/customers", tok, map[string]string{"name": n}); r.Status != 201 {
			t.Fatal(r.Status)
		}
	}
	if r := s.Do(t, "POST", "/api/v1/customers/search", tok, map[string]string{"name": "静怡"}); !strings.Contains(string(r.Body), "陈静怡") || strings.Contains(string(r.Body), "Grace") {
		t.Fatalf("API name search: %s", r.Body)
	}
	b := newBrowser(t, s, "zh-CN")
	b.login("sales1@example.com", password)
	if p := b.search("/customers/search", url.Values{"q": {"grace"}}); !strings.Contains(p.body, "Grace Hopper") || strings.Contains(p.body, "陈静怡") {
		t.Fatalf("UI name search:\n%s", p.body)
	}
	if p := b.search("/customers/search", url.Values{"q": {"陈"}}); p.status != 400 {
		t.Fatalf("one character: %d", p.status)
	}
}

func TestWebSearchEverything(t *testing.T) {
	db := testkit.NewSQLite(t)
	storage := storageArgs(t, db)
	addUser(t, storage, "sales1@example.com", "sales")
	addUser(t, storage, "sales2@example.com", "sales")
	s := start(t, storage)
	tok := s.Login(t, "sales1@example.com", password)
	s.Do(t, "POST", "/api/v1/customers", tok, map[string]string{"name": "Jade Collector", "email": "jade@example.com"})
	s.Do(t, "POST", "/api/v1/companies", tok, map[string]any{"name": "Jade Trading Co"})
	b := newBrowser(t, s, "en")
	b.login("sales1@example.com", password)
	p := b.search("/search", url.Values{"q": {"jade"}})
	if !strings.Contains(p.body, "Jade Collector") || !strings.Contains(p.body, "Jade Trading Co") {
		t.Fatalf("search:\n%s", p.body)
	}
	if p := b.search("/search", url.Values{"q": {"jade@example.com"}}); !strings.Contains(p.body, "Jade Collector") || strings.Contains(p.body, "Jade Trading") {
		t.Fatal("search by email")
	}
	tagged := s.Do(t, "POST", "/api/v1/customers", tok, map[string]any{"name": "Tagged One", "tags": []string{"VIP", "Porcelain"}})
	if p := b.get("/customers/" + tagged.Str("id")); !strings.Contains(p.body, `<form method="post" action="/customers/search" class="inline">`) ||
		!strings.Contains(p.body, `<input type="hidden" name="tag" value="VIP"><button type="submit" class="link tag">VIP</button>`) {
		t.Fatal("tags are not buttons posting the filtered list")
	}
	if p := b.search("/customers/search", url.Values{"tag": {"vip"}}); !strings.Contains(p.body, "Tagged One") || strings.Contains(p.body, "Jade Collector") {
		t.Fatal("tag filter")
	}
	other := newBrowser(t, s, "en")
	other.login("sales2@example.com", password)
	if p := other.search("/search", url.Values{"q": {"jade"}}); strings.Contains(p.body, "Jade Collector") || strings.Contains(p.body, "Jade Trading") {
		t.Fatal("another sales user finds what they may not see")
	}
}

func TestWebAdmin(t *testing.T) {
	db := testkit.NewSQLite(t)
	storage := storageArgs(t, db)
	addUser(t, storage, "admin@example.com", "admin")
	addUser(t, storage, "sales1@example.com", "sales")
	s := start(t, storage)
	admin := newBrowser(t, s, "en")
	admin.login("admin@example.com", password)
	page := admin.get("/admin")
	if page.status != 200 || !strings.Contains(page.body, "sales1@example.com") || !strings.Contains(page.body, "lead 10 open") {
		t.Fatalf("admin page: %d\n%s", page.status, page.body)
	}
	if p := admin.post("/admin/users", url.Values{"csrf": {page.csrf(t)}, "email": {"new@example.com"}, "role": {"support"}, "password": {"short"}}); p.status != 400 || !strings.Contains(p.body, "at least 12") {
		t.Fatalf("weak password: %d", p.status)
	}
	if p := admin.post("/admin/users", url.Values{"csrf": {page.csrf(t)}, "email": {"new@example.com"}, "role": {"support"}, "team": {"east"}, "password": {password}}); p.status != http.StatusSeeOther {
		t.Fatalf("add user: %d %s", p.status, p.body)
	}
	sales := newBrowser(t, s, "en")
	sales.login("sales1@example.com", password)
	salesID := s.Do(t, "GET", "/api/v1/me", s.Login(t, "sales1@example.com", password), nil).Str("user_id")
	if p := admin.post("/admin/users/"+salesID, url.Values{"csrf": {page.csrf(t)}, "role": {"manager"}, "team": {"east"}}); p.status != http.StatusSeeOther {
		t.Fatalf("change role and team: %d %s", p.status, p.body)
	}
	if p := sales.get("/customers"); strings.Contains(p.body, "New customer") == false {
		t.Fatal("the new manager cannot reach customers")
	}
	if p := admin.post("/admin/pipeline", url.Values{"csrf": {page.csrf(t)}, "stages": {"lead 10\nviewing 40 open\nwon 100 won\nlost 0 lost"}}); p.status != http.StatusSeeOther {
		t.Fatalf("pipeline: %d %s", p.status, p.body)
	}
	if p := admin.get("/admin"); !strings.Contains(p.body, "viewing 40 open") {
		t.Fatal("pipeline not saved")
	}
	if p := sales.get("/admin"); p.status != 403 || strings.Contains(p.body, "admin@example.com") {
		t.Fatalf("a manager on the admin page: %d", p.status)
	}
}

func TestWebSessions(t *testing.T) {
	db := testkit.NewSQLite(t)
	storage := storageArgs(t, db)
	addUser(t, storage, "admin@example.com", "admin")
	addUser(t, storage, "sales1@example.com", "sales")
	s := start(t, storage)
	laptop := newBrowser(t, s, "en")
	laptop.login("sales1@example.com", password)
	phone := newBrowser(t, s, "en")
	phone.login("sales1@example.com", password)

	page := laptop.get("/sessions")
	if page.status != 200 || strings.Count(page.body, `action="/sessions/ses_`) != 1 || !strings.Contains(page.body, "this session") || !strings.Contains(page.body, "Go-http-client") {
		t.Fatalf("my sessions:\n%s", page.body)
	}
	if p := laptop.post("/sessions/end-others", url.Values{"csrf": {page.csrf(t)}, "confirm": {"1"}}); p.status != http.StatusSeeOther {
		t.Fatalf("end others: %d", p.status)
	}
	if p := phone.get("/customers"); p.status != http.StatusSeeOther {
		t.Fatalf("the phone's session still works: %d", p.status)
	}
	if p := laptop.get("/customers"); p.status != 200 {
		t.Fatalf("the laptop's own session ended: %d", p.status)
	}
	// An administrator sees and ends another user's session; the user may not see others'.
	admin := newBrowser(t, s, "en")
	admin.login("admin@example.com", password)
	salesID := s.Do(t, "GET", "/api/v1/me", s.Login(t, "sales1@example.com", password), nil).Str("user_id")
	ap := admin.get("/sessions?user_id=" + salesID)
	m := regexp.MustCompile(`action="(/sessions/ses_[0-9a-f]+/end)"`).FindAllStringSubmatch(ap.body, -1)
	if ap.status != 200 || len(m) < 2 {
		t.Fatalf("admin's view of the user's sessions: %d, %d end buttons", ap.status, len(m))
	}
	for _, e := range m {
		if p := admin.post(e[1], url.Values{"csrf": {ap.csrf(t)}, "user_id": {salesID}, "confirm": {"1"}}); p.status != http.StatusSeeOther {
			t.Fatalf("admin ending: %d", p.status)
		}
	}
	if p := laptop.get("/customers"); p.status != http.StatusSeeOther {
		t.Fatalf("the session an administrator ended still works: %d", p.status)
	}
	adminID := s.Do(t, "GET", "/api/v1/me", s.Login(t, "admin@example.com", password), nil).Str("user_id")
	salesTok := s.Login(t, "sales1@example.com", password)
	if r := s.Do(t, "GET", "/api/v1/sessions?user_id="+adminID, salesTok, nil); r.Status != 403 {
		t.Fatalf("sales listing the admin's sessions: %d", r.Status)
	}
	if r := s.Do(t, "GET", "/api/v1/sessions", salesTok, nil); r.Status != 200 || !strings.Contains(string(r.Body), `"current":true`) {
		t.Fatalf("API sessions: %d %s", r.Status, r.Body)
	}
}

func TestWebPasswordAndDisable(t *testing.T) {
	db := testkit.NewSQLite(t)
	storage := storageArgs(t, db)
	addUser(t, storage, "admin@example.com", "admin")
	addUser(t, storage, "sales1@example.com", "sales")
	s := start(t, storage)
	b := newBrowser(t, s, "en")
	b.login("sales1@example.com", password)
	elsewhere := newBrowser(t, s, "en")
	elsewhere.login("sales1@example.com", password)
	page := b.get("/sessions")
	if p := b.post("/password", url.Values{"csrf": {page.csrf(t)}, "current_password": {"not my password!!"}, "new_password": {"a brand new passphrase"}}); p.status != 400 || !strings.Contains(p.body, "current password is not right") {
		t.Fatalf("wrong current password: %d", p.status)
	}
	if p := b.post("/password", url.Values{"csrf": {page.csrf(t)}, "current_password": {password}, "new_password": {"iloveyou12345"}}); p.status != 400 || !strings.Contains(p.body, "too common") {
		t.Fatalf("common new password: %d", p.status)
	}
	if p := b.post("/password", url.Values{"csrf": {page.csrf(t)}, "current_password": {password}, "new_password": {"a brand new passphrase"}}); p.status != http.StatusSeeOther {
		t.Fatalf("change: %d %s", p.status, p.body)
	}
	if p := b.get("/customers"); p.status != 200 {
		t.Fatalf("this session ended too: %d", p.status)
	}
	if p := elsewhere.get("/customers"); p.status != http.StatusSeeOther {
		t.Fatalf("the other session survived: %d", p.status)
	}
	admin := newBrowser(t, s, "en")
	admin.login("admin@example.com", password)
	ap := admin.get("/admin")
	salesID := s.Do(t, "GET", "/api/v1/me", s.Login(t, "sales1@example.com", "a brand new passphrase"), nil).Str("user_id")
	if p := admin.post("/admin/users/"+salesID+"/disabled", url.Values{"csrf": {ap.csrf(t)}, "disabled": {"1"}, "confirm": {"1"}}); p.status != http.StatusSeeOther {
		t.Fatalf("disable: %d", p.status)
	}
	if p := b.get("/customers"); p.status != http.StatusSeeOther {
		t.Fatalf("a disabled user's session still works: %d", p.status)
	}
	if p := b.login("sales1@example.com", "a brand new passphrase"); p.status != 401 {
		t.Fatalf("a disabled user logs in: %d", p.status)
	}
	if p := admin.post("/admin/users/"+salesID+"/disabled", url.Values{"csrf": {ap.csrf(t)}, "disabled": {"0"}}); p.status != http.StatusSeeOther {
		t.Fatalf("enable: %d", p.status)
	}
	if p := b.login("sales1@example.com", "a brand new passphrase"); p.status != http.StatusSeeOther {
		t.Fatalf("re-enabled login: %d", p.status)
	}
}

func TestSecurityPolicy(t *testing.T) {
	testkit.ForEachDB(t, func(t *testing.T, db testkit.DB) {
		storage := storageArgs(t, db)
		addUser(t, storage, "admin@example.com", "admin")
		addUser(t, storage, "sales1@example.com", "sales")
		s := start(t, storage)
		sales := newBrowser(t, s, "zh-CN")
		sales.login("sales1@example.com", password)
		if p := sales.get("/customers"); p.status != 200 {
			t.Fatalf("without a policy nothing is required: %d", p.status)
		}
		adminTok := s.Login(t, "admin@example.com", password)
		if r := s.Do(t, "PUT", "/api/v1/policy", adminTok, map[string]string{"text_en": "No shared accounts.", "text_zh": ""}); r.Status != 400 {
			t.Fatalf("a policy without Chinese text: %d", r.Status)
		}
		if r := s.Do(t, "PUT", "/api/v1/policy", adminTok, map[string]string{"text_en": "No shared accounts. No casual downloads of customer data.", "text_zh": "禁止共用账号。禁止随意下载客户数据。"}); r.Status != 201 {
			t.Fatalf("publish: %d %s", r.Status, r.Body)
		}
		// Now the user is sent to the policy (in their language) until they accept it.
		if p := sales.get("/customers"); p.status != http.StatusSeeOther || p.location != "/policy" {
			t.Fatalf("before accepting: %d %s", p.status, p.location)
		}
		pol := sales.get("/policy")
		if !strings.Contains(pol.body, "禁止共用账号") {
			t.Fatalf("policy page:\n%s", pol.body)
		}
		salesTok := s.Login(t, "sales1@example.com", password)
		if r := s.Do(t, "GET", "/api/v1/customers", salesTok, nil); r.Status != 403 || !strings.Contains(string(r.Body), "security policy") {
			t.Fatalf("API before accepting: %d %s", r.Status, r.Body)
		}
		if r := s.Do(t, "POST", "/api/v1/policy/accept", salesTok, map[string]int{"version": 7}); r.Status != 400 {
			t.Fatalf("accepting a version that is not current: %d", r.Status)
		}
		if p := sales.post("/policy", url.Values{"csrf": {pol.csrf(t)}, "version": {"1"}}); p.status != http.StatusSeeOther {
			t.Fatalf("accept: %d %s", p.status, p.body)
		}
		if p := sales.get("/customers"); p.status != 200 {
			t.Fatalf("after accepting: %d", p.status)
		}
		if r := s.Do(t, "GET", "/api/v1/customers", salesTok, nil); r.Status != 200 {
			t.Fatalf("API after accepting: %d", r.Status)
		}
		if r := s.Do(t, "POST", "/api/v1/policy/accept", adminTok, map[string]int{"version": 1}); r.Status != 204 {
			t.Fatalf("admin accepting: %d", r.Status)
		}
		acc := s.Do(t, "GET", "/api/v1/policy/acceptances", adminTok, nil)
		if !strings.Contains(string(acc.Body), "sales1@example.com") || !strings.Contains(string(acc.Body), "admin@example.com") {
			t.Fatalf("acceptances: %s", acc.Body)
		}
		// A new version must be accepted again.
		if r := s.Do(t, "PUT", "/api/v1/policy", adminTok, map[string]string{"text_en": "v2", "text_zh": "第二版"}); r.Status != 201 {
			t.Fatalf("publish v2: %d", r.Status)
		}
		if p := sales.get("/customers"); p.status != http.StatusSeeOther {
			t.Fatalf("v2 not required: %d", p.status)
		}
	})
}
