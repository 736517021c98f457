package browser_test

import (
	"context"
	"encoding/json"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"strongroom.dev/strongroom/internal/e2e"
	"strongroom.dev/strongroom/internal/testkit"
)

// clicker counts the taps a user makes: every click goes through it.
type clicker struct{ n int }

func (c *clicker) click(sel byCSS) chromedp.Action[chromedp.Void] {
	c.n++
	return chromedp.Click(sel)
}

// phoneLogin logs in on a phone: the header's links may sit behind a menu
// there, so it waits for the logout button to exist, not to be visible.
func phoneLogin(base, email, pw string) chromedp.Action[chromedp.Void] {
	return chromedp.Steps(
		chromedp.Navigate(base+"/login"),
		chromedp.WaitVisible(byID(`email`)),
		chromedp.SendKeys(byID(`email`), email),
		chromedp.SendKeys(byID(`password`), pw),
		chromedp.Submit(byID(`password`)),
		chromedp.WaitReady(byID(`logout`)),
	)
}

// logoutNow ends the session from any page (the button may be in a
// closed menu on a phone, so it submits its form).
var logoutNow = chromedp.Steps(
	chromedp.Submit(byID(`logout`)),
	chromedp.WaitVisible(byID(`email`)),
)

// Every role's first screen after login is its landing page, never an
// error, on a 390-pixel phone; a field rep checks in to today's visit
// from it with at most two taps, the location explained before the tap.
func TestBrowserLandingAndCheckIn(t *testing.T) {
	chromium(t)
	db := testkit.NewSQLite(t)
	storage := e2e.StorageArgs(t, db)
	roles := []string{"admin", "sales", "field_rep", "counsellor", "finance", "auditor", "privacy_officer", "manager", "marketing", "support"}
	for _, r := range roles {
		if r == "field_rep" {
			e2e.AddUserInTeam(t, storage, "field_rep@example.com", r, "east")
			continue
		}
		e2e.AddUser(t, storage, r+"@example.com", r)
	}
	s := e2e.Start(t, storage)
	admin := s.Login(t, "admin@example.com", e2e.Password)
	repID := s.Do(t, "GET", "/api/v1/me", s.Login(t, "field_rep@example.com", e2e.Password), nil).Str("user_id")
	shop := s.Do(t, "POST", "/api/v1/companies", admin, map[string]any{"name": "Jade Store", "address": "9 Huaihai Road", "is_store": true, "owner_id": repID})
	if shop.Status != 201 {
		t.Fatalf("store: %d %s", shop.Status, shop.Body)
	}
	visit := s.Do(t, "POST", "/api/v1/visits", admin, map[string]any{"company_id": shop.Str("id"), "rep_id": repID, "planned_for": time.Now().UTC().Format(time.DateOnly)})
	if visit.Status != 201 {
		t.Fatalf("visit: %d %s", visit.Status, visit.Body)
	}
	visitID := visit.Str("id")
	shop2 := s.Do(t, "POST", "/api/v1/companies", admin, map[string]any{"name": "玉石门店", "address": "淮海路9号", "is_store": true, "owner_id": repID})
	visit2 := s.Do(t, "POST", "/api/v1/visits", admin, map[string]any{"company_id": shop2.Str("id"), "rep_id": repID, "planned_for": time.Now().UTC().Format(time.DateOnly)})
	if visit2.Status != 201 {
		t.Fatalf("second visit: %d %s", visit2.Status, visit2.Body)
	}
	shot := newShots(t)

	ctx := newTab(t, 390, 844)
	for _, role := range roles {
		t.Run(role, func(t *testing.T) {
			do(t, ctx, phoneLogin(s.URL, role+"@example.com", e2e.Password))
			if url := value(t, ctx, chromedp.Location()); url != s.URL+"/" {
				t.Errorf("%s lands on %s, want the dashboard", role, url)
			}
			if n := value(t, ctx, chromedp.Evaluate[string](`String(document.querySelectorAll("#error-message").length)`)); n != "0" {
				t.Fatalf("%s's landing page is an error: %s", role, value(t, ctx, chromedp.Text(byCSS(`main`))))
			}
			if role == "field_rep" {
				checkIn(t, ctx, visitID, shot)
			}
			if role == "admin" { // every column of the sessions and administration tables has a header
				for _, path := range []string{"/sessions", "/admin", "/admin/roles"} {
					do(t, ctx, chromedp.Navigate(s.URL+path), chromedp.WaitReady(byCSS(`table thead`)))
					if n := value(t, ctx, chromedp.Evaluate[string](`String([...document.querySelectorAll("th")].filter(th => th.textContent.trim() === "").length)`)); n != "0" {
						t.Errorf("%s has %s empty table headers", path, n)
					}
				}
			}
			do(t, ctx, logoutNow)
		})
	}

	// In Chinese, on a 360-pixel phone, the same: one tap, explained first.
	zh := newTab(t, 360, 780)
	do(t, zh, chromedp.Navigate(s.URL+"/login"), chromedp.WaitVisible(byCSS(`form[action="/lang"] button`)),
		chromedp.Click(byCSS(`form[action="/lang"] button`)), chromedp.WaitVisible(byCSS(`html[lang="zh-CN"] #email`)),
		phoneLogin(s.URL, "field_rep@example.com", e2e.Password))
	if note := value(t, zh, chromedp.Text(byID(`checkin-location-note`))); !strings.Contains(note, "位置") || !strings.Contains(note, "拒绝") {
		t.Fatalf("the Chinese location note %q", note)
	}
	var taps clicker
	do(t, zh, geolocation(31.2, 121.4, 20), taps.click(byCSS(`#checkin-`+visit2.Str("id")+` button`)), chromedp.WaitVisible(byID(`checkin-location`)))
	if taps.n > 2 {
		t.Fatalf("check-in took %d taps", taps.n)
	}
	if w := value(t, zh, chromedp.Evaluate[string](`String(document.documentElement.scrollWidth <= innerWidth)`)); w != "true" {
		t.Error("the visit page pans sideways at 360 px")
	}
}

// checkIn is the field rep's check-in from the landing page, tap by tap.
func checkIn(t *testing.T, ctx context.Context, visitID string, shot shots) {
	t.Helper()
	var taps clicker
	do(t, ctx, geolocation(31.230416, 121.473701, 12), chromedp.WaitVisible(byID(`today-`+visitID)))
	// The location is explained in plain words before the button.
	note := value(t, ctx, chromedp.Text(byID(`checkin-location-note`)))
	if !strings.Contains(note, "location") || !strings.Contains(note, "refuse") {
		t.Fatalf("location note %q", note)
	}
	if before := value(t, ctx, chromedp.Evaluate[string](`String(!!(document.getElementById("checkin-location-note").compareDocumentPosition(document.querySelector("#checkin-`+visitID+` button")) & Node.DOCUMENT_POSITION_FOLLOWING))`)); before != "true" {
		t.Fatal("the location note comes after the check-in button")
	}
	shot.take(ctx, "landing-field-rep-phone")
	do(t, ctx, taps.click(byCSS(`#checkin-`+visitID+` button`)), chromedp.WaitVisible(byID(`checkin-location`)))
	if taps.n > 2 {
		t.Fatalf("check-in took %d taps from login", taps.n)
	}
	if loc := value(t, ctx, chromedp.Text(byID(`checkin-location`))); !strings.HasPrefix(loc, "31.230416, 121.473701") {
		t.Fatalf("check-in location %q", loc)
	}
	if st := value(t, ctx, chromedp.Text(byID(`visit-status`))); st == "" || strings.Contains(st, "planned") {
		t.Fatalf("visit status after check-in %q", st)
	}
}

// The pipeline on a phone, with the demo's deals: each stage a section
// that opens on demand, with its count and total, so the page is short;
// every card names its customer (and company), never "Customers →"; the
// deal page names them too.
func TestBrowserPipelineNamesCustomers(t *testing.T) {
	chromium(t)
	db := testkit.NewSQLite(t)
	storage := e2e.StorageArgs(t, db)
	e2e.AddUser(t, storage, "admin@example.com", "admin")
	s := e2e.Start(t, storage, "--demo")
	ctx := newTab(t, 390, 844)
	do(t, ctx, phoneLogin(s.URL, "admin@example.com", e2e.Password), chromedp.Navigate(s.URL+"/deals"), chromedp.WaitVisible(byCSS(`details.stage summary`)))
	js := func(expr string) string { return value(t, ctx, chromedp.Evaluate[string](expr)) }
	// Compact: closed stages, each with its count and total, fit in two
	// screens and a small page; no customer is named (read) until asked for.
	if h := js(`String(document.documentElement.scrollHeight <= 2*innerHeight)`); h != "true" {
		t.Fatalf("the pipeline is %s px long on a phone", js(`String(document.documentElement.scrollHeight)`))
	}
	if n := js(`String([...document.querySelectorAll("details.stage summary")].filter(s => !/\d/.test(s.querySelector(".stage-count").textContent)).length)`); n != "0" {
		t.Fatal("a stage shows no count")
	}
	if n := js(`String(document.documentElement.outerHTML.length)`); len(n) > 5 { // under 100,000 bytes
		t.Fatalf("the closed pipeline is %s bytes of HTML", n)
	}
	t.Logf("pipeline, stages closed: %s bytes of HTML", js(`String(document.documentElement.outerHTML.length)`))
	if n := js(`String(document.querySelectorAll(".deal").length)`); n != "0" {
		t.Fatalf("%s deal cards drawn in closed stages", n)
	}
	// A tap opens a stage, a second shows its deals; the first deal's page
	// names the same customer.
	first := js(`[...document.querySelectorAll("details.stage")].find(d => d.querySelector(".show-stage")).id`)
	do(t, ctx, chromedp.Click(byCSS(`#`+first+` > summary`)), chromedp.WaitVisible(byCSS(`#`+first+` .show-stage`)),
		chromedp.Click(byCSS(`#`+first+` .show-stage`)), chromedp.WaitVisible(byCSS(`#`+first+` .deal a`)))
	name := js(`document.querySelector("#` + first + ` .deal-party a").textContent.trim()`)
	do(t, ctx, chromedp.Click(byCSS(`#`+first+` .deal strong a`)), chromedp.WaitVisible(byID(`deal-customer`)))
	if got := value(t, ctx, chromedp.Text(byID(`deal-customer`))); got != name {
		t.Fatalf("the deal page names %q, the card %q", got, name)
	}
	if open := js(`String(document.getElementById("add-activity").open)`); open != "false" {
		t.Fatal("the deal page's activity form is open before it is asked for")
	}
	// Every stage open: every card names its customer, never "Customers →".
	do(t, ctx, chromedp.Navigate(s.URL+"/deals?open=all"), chromedp.WaitVisible(byCSS(`.deal`)))
	if n := js(`String([...document.querySelectorAll("main a")].filter(a => a.textContent.includes("Customers →")).length)`); n != "0" {
		t.Fatalf("%s links read \"Customers →\"", n)
	}
	if n := js(`String([...document.querySelectorAll(".deal")].filter(d => !d.querySelector(".deal-party a[href^='/customers/']") || d.querySelector(".deal-party a").textContent.trim() === "").length)`); n != "0" {
		t.Fatalf("%s deal cards do not name their customer", n)
	}
	if n := js(`String(document.querySelectorAll(".deal-party a[href^='/companies/']").length)`); n == "0" {
		t.Fatal("no deal card names a company")
	}
	t.Logf("pipeline, every stage open: %s deals, %s bytes of HTML", js(`String(document.querySelectorAll(".deal").length)`), js(`String(document.documentElement.outerHTML.length)`))
	newShots(t).take(ctx, "pipeline-phone")
}

// A customer page shows the record first: a header with the contact
// details as tap-to-call and tap-to-mail links, its actions, privacy in
// plain words; the forms to add a call, a deal or a purchase stay closed
// until asked for (a <details>, no script). A role that sees contact
// details masked gets no link.
func TestBrowserRecordFirst(t *testing.T) {
	chromium(t)
	db := testkit.NewSQLite(t)
	storage := e2e.StorageArgs(t, db)
	e2e.AddUser(t, storage, "sales1@example.com", "sales")
	e2e.AddUser(t, storage, "marketing@example.com", "marketing")
	s := e2e.Start(t, storage)
	c := s.Do(t, "POST", "/api/v1/customers", s.Login(t, "sales1@example.com", e2e.Password), map[string]any{"name": "陈静", "email": "chen.jing@example.cn", "phone": "+86 137 0000 2222"})
	if c.Status != 201 {
		t.Fatalf("customer: %d %s", c.Status, c.Body)
	}
	path := "/customers/" + c.Str("id")

	ctx := newTab(t, 390, 844)
	do(t, ctx, phoneLogin(s.URL, "sales1@example.com", e2e.Password), chromedp.Navigate(s.URL+path), chromedp.WaitVisible(byID(`record-header`)))
	js := func(ctx context.Context, expr string) string { return value(t, ctx, chromedp.Evaluate[string](expr)) }
	for id, want := range map[string]string{"contact-email": "mailto:chen.jing@example.cn", "contact-phone": "tel:+8613700002222"} {
		if got := js(ctx, `document.getElementById("`+id+`").getAttribute("href")`); got != want {
			t.Errorf("%s links to %q, want %q", id, got, want)
		}
	}
	if got := js(ctx, `document.querySelector("#field-email a").getAttribute("href")`); got != "mailto:chen.jing@example.cn" {
		t.Errorf("the email field links to %q", got)
	}
	// The record first: no add-form field is visible until asked for, and
	// the header is on the first screen.
	visible := `String([...document.querySelectorAll("main input:not([type=hidden]), main select, main textarea")].filter(e => e.checkVisibility()).length)`
	if n := js(ctx, visible); n != "0" {
		t.Fatalf("%s form fields open on a customer page: %s", n, js(ctx, `[...document.querySelectorAll("main input:not([type=hidden]), main select, main textarea")].filter(e => e.checkVisibility()).map(e => e.id || e.name).join(",")`))
	}
	if js(ctx, `String(document.getElementById("record-header").getBoundingClientRect().bottom <= innerHeight)`) != "true" {
		t.Error("the record header runs past the first screen")
	}
	do(t, ctx, chromedp.Click(byCSS(`#privacy-note > summary`)), chromedp.WaitVisible(byCSS(`#privacy-note li`)))
	if note := value(t, ctx, chromedp.Text(byID(`privacy-note`))); !strings.Contains(note, "reason") || !strings.Contains(note, "audit log") {
		t.Errorf("privacy note %q", note)
	}
	var taps clicker
	do(t, ctx, taps.click(byCSS(`#add-activity > summary`)), chromedp.WaitVisible(byID(`subject`)),
		chromedp.SendKeys(byID(`subject`), "Called about the preview"),
		taps.click(byCSS(`#add-activity button[type=submit]`)),
		chromedp.WaitVisible(byCSS(`.flash`)))
	if body := value(t, ctx, chromedp.Text(byID(`activities`))); !strings.Contains(body, "Called about the preview") {
		t.Fatalf("the call is not on the page:\n%s", body)
	}
	if n := js(ctx, visible); n != "0" {
		t.Fatalf("after logging, %s form fields are open", n)
	}
	newShots(t).take(ctx, "customer-phone")
	// The list links them too.
	do(t, ctx, chromedp.Navigate(s.URL+"/customers"), chromedp.WaitVisible(byCSS(`table.list`)))
	if n := js(ctx, `String(document.querySelectorAll("table.list a[href='mailto:chen.jing@example.cn'], table.list a[href='tel:+8613700002222']").length)`); n != "2" {
		t.Fatalf("the customer list has %s contact links, want 2", n)
	}

	// Marketing sees contact details masked: no link to call or mail.
	mctx := newTab(t, 390, 844)
	do(t, mctx, phoneLogin(s.URL, "marketing@example.com", e2e.Password), chromedp.Navigate(s.URL+path), chromedp.WaitVisible(byID(`record-header`)))
	if n := js(mctx, `String(document.querySelectorAll("main a[href^='tel:'], main a[href^='mailto:']").length)`); n != "0" {
		t.Fatalf("marketing gets %s contact links to masked values", n)
	}
	if txt := value(t, mctx, chromedp.Text(byID(`key-facts`))); strings.Contains(txt, "chen.jing@example.cn") || !strings.Contains(txt, "Masked") {
		t.Fatalf("marketing's key facts %q", txt)
	}
	do(t, mctx, chromedp.Navigate(s.URL+"/customers"), chromedp.WaitVisible(byCSS(`table.list`)))
	if n := js(mctx, `String(document.querySelectorAll("main a[href^='tel:'], main a[href^='mailto:']").length)`); n != "0" {
		t.Fatalf("marketing's customer list has %s contact links to masked values", n)
	}
}

// Break-glass without a raw id: a designated role finds the customer by
// full email or full name and picks them; a word of a name finds nobody
// (no browsing), people of one name are told apart by a masked email, a
// role not designated is refused, and every search is in the audit log.
func TestBrowserBreakGlassPicker(t *testing.T) {
	chromium(t)
	db := testkit.NewSQLite(t)
	storage := e2e.StorageArgs(t, db)
	e2e.AddUser(t, storage, "admin@example.com", "admin")
	e2e.AddUser(t, storage, "mgr@example.com", "manager")
	e2e.AddUserInTeam(t, storage, "night@example.com", "support", "south")
	s := e2e.Start(t, storage)
	admin := s.Login(t, "admin@example.com", e2e.Password)
	for _, c := range []map[string]any{
		{"name": "Client Zero", "email": "zero@example.cn"},
		{"name": "Wang Fang", "email": "wang.fang@example.cn"},
		{"name": "Wang  fang", "email": "fang.wang@example.com"},
		{"name": "Wang Fangfang", "email": "ff@example.cn"},
	} {
		if r := s.Do(t, "POST", "/api/v1/customers", admin, c); r.Status != 201 {
			t.Fatalf("customer: %d %s", r.Status, r.Body)
		}
	}
	if r := s.Do(t, "PUT", "/api/v1/break-glass/roles", admin, map[string]any{"roles": []string{"support"}}); r.Status != 200 {
		t.Fatalf("break-glass roles: %d %s", r.Status, r.Body)
	}
	find := func(ctx context.Context, field, value string) chromedp.Action[chromedp.Void] {
		return chromedp.Steps(chromedp.Navigate(s.URL+"/break-glass"), chromedp.WaitVisible(byID(field)),
			chromedp.SendKeys(byID(field), value), chromedp.Click(byID(`glass-find-submit`)), chromedp.WaitReady(byID(`glass-form`)))
	}
	ctx := newTab(t, 390, 844)
	do(t, ctx, phoneLogin(s.URL, "night@example.com", e2e.Password))
	// A word of a name is no name.
	do(t, ctx, find(ctx, `find-name`, "Wang"), chromedp.WaitVisible(byID(`glass-none`)))
	// Two people of one name: both, told apart by a masked email.
	do(t, ctx, find(ctx, `find-name`, "wang fang"), chromedp.WaitVisible(byID(`glass-candidates`)))
	got := value(t, ctx, chromedp.Text(byID(`glass-candidates`)))
	if n := strings.Count(got, "Wang"); n != 2 || strings.Contains(got, "Fangfang") || strings.Contains(got, "wang.fang@example.cn") || !strings.Contains(got, "w******************n") {
		t.Fatalf("candidates for the full name: %q", got)
	}
	// By email: one candidate, chosen; the record opens.
	do(t, ctx, find(ctx, `find-email`, "Zero@Example.cn"), chromedp.WaitVisible(byID(`glass-candidates`)),
		chromedp.SendKeys(byID(`glass-reason`), "client in crisis on the night line; need the record now"),
		chromedp.Click(byID(`glass-open`)),
		chromedp.WaitVisible(byID(`field-name`)))
	if v := value(t, ctx, chromedp.Text(byID(`field-name`))); v != "Client Zero" {
		t.Fatalf("the opened record shows %q", v)
	}
	// A role not designated for break-glass may not search.
	mctx := newTab(t, 1280, 900)
	do(t, mctx, phoneLogin(s.URL, "mgr@example.com", e2e.Password), find(mctx, `find-email`, "zero@example.cn"), chromedp.WaitVisible(byID(`glass-find-error`)))
	if html := value(t, mctx, chromedp.OuterHTML(byCSS(`main`))); strings.Contains(html, "Client Zero") {
		t.Fatal("a role not designated found the customer")
	}
	// Every search is audited: none found, two found, one found, one refused.
	var events []struct{ Action, Outcome string }
	for after := int64(0); ; {
		var page struct {
			Items []struct {
				Action  string `json:"action"`
				Outcome string `json:"outcome"`
			} `json:"items"`
			NextAfter int64 `json:"next_after"`
		}
		json.Unmarshal(s.Do(t, "GET", "/api/v1/audit?object_type=customer&limit=200&after="+strconv.FormatInt(after, 10), admin, nil).Body, &page)
		for _, e := range page.Items {
			events = append(events, struct{ Action, Outcome string }{e.Action, e.Outcome})
		}
		if after = page.NextAfter; after == 0 {
			break
		}
	}
	outcomes := map[string]int{}
	for _, e := range events {
		if e.Action == "breakglass.find" {
			outcomes[e.Outcome]++
		}
	}
	if outcomes["success"] != 4 || outcomes["denied"] != 1 {
		t.Fatalf("break-glass searches in the audit log: %v", outcomes)
	}
}
