package main_test

import (
	"archive/zip"
	"bytes"
	"io"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"strongroom.dev/strongroom/internal/testkit"
)

var requestLink = regexp.MustCompile(`href="/privacy/requests/(dsr_[0-9a-f]+)"`)

// The privacy centre in the web UI, on both engines: the public notice, a
// consent recorded and withdrawn on a customer's consents page, an access
// request taken in there, handled on the requests page (its zip holds the
// person's data and the staff who read it) and completed; an erasure
// request that needs its box ticked, then erases the person.
func TestWebPrivacyRequests(t *testing.T) {
	testkit.ForEachDB(t, func(t *testing.T, db testkit.DB) {
		storage := storageArgs(t, db)
		addUser(t, storage, "admin@example.com", "admin")
		addUser(t, storage, "dpo@example.com", "privacy_officer")
		s := start(t, storage)
		b := newBrowser(t, s, "en")
		if p := b.get("/privacy"); p.status != 200 || !strings.Contains(p.body, "encrypted") {
			t.Fatalf("the public privacy notice: %d", p.status)
		}
		b.login("admin@example.com", password)
		tok := s.Login(t, "admin@example.com", password)
		c := s.Do(t, "POST", "/api/v1/customers", tok, map[string]any{"name": "Wu Lan", "email": "wu.lan@example.cn"})
		if c.Status != 201 {
			t.Fatalf("create: %d %s", c.Status, c.Body)
		}
		id := c.Str("id")
		cp := b.get("/customers/" + id + "/consents")
		if cp.status != 200 || !strings.Contains(cp.body, "No consent recorded.") {
			t.Fatalf("consents page: %d", cp.status)
		}
		if p := b.post("/customers/"+id+"/consents", url.Values{"csrf": {cp.csrf(t)}, "purpose": {"marketing_sms"}, "basis": {"consent"}, "channel": {"phone"}}); p.status != 303 {
			t.Fatalf("record a consent: %d %s", p.status, p.body)
		}
		cp = b.get("/customers/" + id + "/consents")
		if !strings.Contains(cp.body, "Marketing by SMS") || !strings.Contains(cp.body, "Stands") {
			t.Fatal("the consent is not on the page")
		}
		if p := b.post("/customers/"+id+"/consents/withdraw", url.Values{"csrf": {cp.csrf(t)}, "purpose": {"marketing_sms"}}); p.status != 303 {
			t.Fatalf("withdraw: %d", p.status)
		}
		if p := b.post("/customers/"+id+"/requests", url.Values{"csrf": {cp.csrf(t)}, "kind": {"access"}, "law": {"pipl"}, "details": {"what do you hold"}}); p.status != 303 {
			t.Fatalf("take a request: %d %s", p.status, p.body)
		}
		list := b.get("/privacy/requests")
		m := requestLink.FindStringSubmatch(list.body)
		if m == nil || !strings.Contains(list.body, "Access") || !strings.Contains(list.body, "PIPL") {
			t.Fatalf("the requests page lacks the request:\n%s", list.body)
		}
		rp := b.get("/privacy/requests/" + m[1])
		if !strings.Contains(rp.body, "what do you hold") || !strings.Contains(rp.body, `id="request-export"`) {
			t.Fatal("the request page lacks its words or the download")
		}
		zp := b.get("/privacy/requests/" + m[1] + "/export")
		zr, err := zip.NewReader(strings.NewReader(zp.body), int64(len(zp.body)))
		if zp.status != 200 || err != nil {
			t.Fatalf("export: %d %v", zp.status, err)
		}
		files := map[string]string{}
		for _, f := range zr.File {
			r, _ := f.Open()
			var buf bytes.Buffer
			io.Copy(&buf, r)
			r.Close()
			files[f.Name] = buf.String()
		}
		if !strings.Contains(files["data.json"], "wu.lan@example.cn") || !strings.Contains(files["consents.csv"], "marketing_sms") ||
			!strings.Contains(files["staff-accesses.csv"], "customer.create") {
			t.Fatalf("the zip lacks the person's data: %v", files)
		}
		if p := b.post("/privacy/requests/"+m[1], url.Values{"csrf": {rp.csrf(t)}, "status": {"completed"}, "outcome": {"zip handed over in person"}}); p.status != 303 {
			t.Fatalf("complete: %d %s", p.status, p.body)
		}
		if p := b.get("/privacy/requests/" + m[1]); !strings.Contains(p.body, "zip handed over in person") {
			t.Fatal("the outcome is not shown")
		}

		// Erasure: the box must be ticked; then the person is gone.
		e := s.Do(t, "POST", "/api/v1/customers/"+id+"/requests", tok, map[string]any{"kind": "erasure"})
		ep := b.get("/privacy/requests/" + e.Str("id"))
		if p := b.post("/privacy/requests/"+e.Str("id")+"/erase", url.Values{"csrf": {ep.csrf(t)}}); p.status != 400 || !strings.Contains(p.body, "Tick the box") {
			t.Fatalf("erase without confirming: %d", p.status)
		}
		// A second handler approves the erasure (TestWebRequestWorkflow does it on the pages).
		dpoTok := s.Login(t, "dpo@example.com", password)
		if r := s.Do(t, "POST", "/api/v1/privacy/requests/"+e.Str("id")+"/approval", tok, nil); r.Status != 200 {
			t.Fatalf("ask approval: %d %s", r.Status, r.Body)
		}
		if r := s.Do(t, "POST", "/api/v1/privacy/requests/"+e.Str("id")+"/approval/approve", dpoTok, nil); r.Status != 200 {
			t.Fatalf("approve: %d %s", r.Status, r.Body)
		}
		if p := b.post("/privacy/requests/"+e.Str("id")+"/erase", url.Values{"csrf": {ep.csrf(t)}, "confirm": {"1"}}); p.status != 303 {
			t.Fatalf("erase: %d %s", p.status, p.body)
		}
		if r := s.Do(t, "GET", "/api/v1/customers/"+id, tok, nil); r.Status != 404 {
			t.Fatalf("the erased customer: %d", r.Status)
		}
		if p := b.get("/privacy/report?law=pipl"); p.status != 200 || !strings.Contains(p.body, "Sensitive data only with consent") || !strings.Contains(p.body, "Art. 29") {
			t.Fatalf("the compliance report: %d", p.status)
		}
		zh := newBrowser(t, s, "zh-CN")
		zh.login("admin@example.com", password)
		if p := zh.get("/privacy/requests?all=true"); !strings.Contains(p.body, "隐私请求") || !strings.Contains(p.body, "已完成") {
			t.Fatal("the requests page is not in Chinese")
		}

		// Too few people for a k-anonymous export: refused on the form.
		pp := b.get("/customers/pseudonymised")
		if p := b.post("/customers/pseudonymised", url.Values{"csrf": {pp.csrf(t)}, "recipient": {"analytics partner"}}); p.status != 400 || !strings.Contains(p.body, "k-anonymous") {
			t.Fatalf("a pseudonymised export of too few people: %d", p.status)
		}

		// The privacy officer runs retention and sees no customer.
		dpo := newBrowser(t, s, "en")
		dpo.login("dpo@example.com", password)
		if p := dpo.get("/customers"); p.status != 403 {
			t.Fatalf("the privacy officer lists customers: %d", p.status)
		}
		rp = dpo.get("/privacy/retention")
		if rp.status != 200 || !strings.Contains(rp.body, "Inactive customers") || !strings.Contains(rp.body, "not set") {
			t.Fatalf("the retention page: %d", rp.status)
		}
		if p := dpo.post("/privacy/retention/inactive_customers", url.Values{"csrf": {rp.csrf(t)}, "after_days": {"1095"}, "enabled": {"on"}}); p.status != 400 || !strings.Contains(p.body, "dry run") {
			t.Fatalf("switched on without a dry run: %d", p.status)
		}
		if p := dpo.post("/privacy/retention/inactive_customers", url.Values{"csrf": {rp.csrf(t)}, "after_days": {"1095"}, "note": {"three years after the last contact"}}); p.status != 303 {
			t.Fatalf("set a rule: %d %s", p.status, p.body)
		}
		if p := dpo.post("/privacy/retention/inactive_customers/runs", url.Values{"csrf": {rp.csrf(t)}, "dry_run": {"true"}}); p.status != 200 || !strings.Contains(p.body, `id="retention-result"`) {
			t.Fatalf("dry run: %d", p.status)
		}
		if p := dpo.post("/privacy/retention/inactive_customers", url.Values{"csrf": {rp.csrf(t)}, "after_days": {"1095"}, "enabled": {"on"}}); p.status != 303 {
			t.Fatalf("switch on after the dry run: %d %s", p.status, p.body)
		}
		if p := dpo.post("/privacy/retention/inactive_customers/runs", url.Values{"csrf": {rp.csrf(t)}, "dry_run": {"false"}}); p.status != 400 || !strings.Contains(p.body, "Tick the box") {
			t.Fatalf("run without confirming: %d", p.status)
		}
		if p := dpo.post("/privacy/retention/inactive_customers/runs", url.Values{"csrf": {rp.csrf(t)}, "dry_run": {"false"}, "confirm": {"1"}}); p.status != 200 || !strings.Contains(p.body, `id="retention-removed">0<`) {
			t.Fatalf("run: %d", p.status)
		}
		if p := zh.get("/privacy/retention"); !strings.Contains(p.body, "保留期限") || !strings.Contains(p.body, "已开启") {
			t.Fatal("the retention page is not in Chinese")
		}
		if p := dpo.get("/privacy/ropa"); p.status != 200 || !strings.Contains(p.body, "Record of processing activities") || !strings.Contains(p.body, "Legal obligation") {
			t.Fatalf("the record of processing: %d", p.status)
		}
		if p := dpo.get("/privacy/report?law=gdpr"); p.status != 200 || !strings.Contains(p.body, "A privacy officer is appointed") || !strings.Contains(p.body, "Vendors and processors") {
			t.Fatalf("the report for the privacy officer: %d", p.status)
		}
		if p := zh.get("/privacy/ropa?download=1"); !strings.Contains(p.body, "个人信息处理活动记录") {
			t.Fatal("the record of processing is not in Chinese")
		}
	})
}

// A person with no account asks on the public page: the answer is the
// same whether the address is held; the link goes only to an address on
// record, works once, and makes a request the administrators see.
func TestPublicPrivacyRequest(t *testing.T) {
	storage := []string{"--data", t.TempDir()}
	addUser(t, storage, "admin@example.com", "admin")
	s, smtp := startWithMail(t, storage)
	tok := s.Login(t, "admin@example.com", password)
	if r := s.Do(t, "POST", "/api/v1/customers", tok, map[string]any{"name": "Zhang Wei", "email": "zhang.wei@example.cn"}); r.Status != 201 {
		t.Fatalf("create: %d", r.Status)
	}
	b := newBrowser(t, s, "en")
	ask := func(email string) page {
		form := b.get("/privacy/ask")
		return b.post("/privacy/ask", url.Values{"csrf": {form.csrf(t)}, "email": {email}, "kind": {"erasure"}, "law": {"gdpr"}, "details": {"please forget me"}})
	}
	unknown := ask("nobody@example.org")
	known := ask("Zhang.Wei@example.cn")
	if unknown.status != 200 || known.status != 200 || !strings.Contains(unknown.body, `id="ask-sent"`) || !strings.Contains(known.body, `id="ask-sent"`) {
		t.Fatalf("the answers differ or fail: %d %d", unknown.status, known.status)
	}
	m := smtp.Next(t)
	if m.To != "zhang.wei@example.cn" || !strings.Contains(m.Body, "erasure") {
		t.Fatalf("the confirmation email: to %s\n%s", m.To, m.Body)
	}
	smtp.None(t, 500*time.Millisecond) // nothing for the unknown address
	link := linkPath(t, m)
	if p := b.get(link); p.status != 303 || strings.Contains(p.location, "token") {
		t.Fatalf("opening the link: %d %s", p.status, p.location)
	}
	cp := b.get("/privacy/ask/confirm")
	done := b.post("/privacy/ask/confirm", url.Values{"csrf": {cp.csrf(t)}})
	if done.status != 200 || !strings.Contains(done.body, `id="ask-done"`) {
		t.Fatalf("confirming: %d\n%s", done.status, done.body)
	}
	// The link works once.
	b.get(link)
	cp = b.get("/privacy/ask/confirm")
	if again := b.post("/privacy/ask/confirm", url.Values{"csrf": {cp.csrf(t)}}); again.status != 400 {
		t.Fatalf("the link a second time: %d", again.status)
	}
	list := s.Do(t, "GET", "/api/v1/privacy/requests", tok, nil)
	if !strings.Contains(string(list.Body), `"channel":"public_page"`) || !strings.Contains(string(list.Body), `"kind":"erasure"`) {
		t.Fatalf("the request is not listed: %s", list.Body)
	}
}
