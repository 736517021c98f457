package main_test

import (
	"net/url"
	"regexp"
	"strings"
	"testing"

	"strongroom.dev/strongroom/internal/testkit"
)

var vendorLink = regexp.MustCompile(`href="/vendors/(vnd_[0-9a-f]+)"`)

// The vendors register and staff training in the web UI, on both engines:
// an administrator registers a vendor whose review is overdue, records a
// review, raises a finding and fixes it; sales may not open the register.
// Training required of sales sends a salesperson from the customers to
// the training until they pass its quiz; a new version sends them back.
func TestWebVendorsAndTraining(t *testing.T) {
	testkit.ForEachDB(t, func(t *testing.T, db testkit.DB) {
		storage := storageArgs(t, db)
		addUser(t, storage, "admin@example.com", "admin")
		addUser(t, storage, "sales@example.com", "sales")
		s := start(t, storage)
		admin := newBrowser(t, s, "en")
		admin.login("admin@example.com", password)

		if p := admin.get("/vendors"); p.status != 200 || !strings.Contains(p.body, "No vendors registered yet.") {
			t.Fatalf("the empty register: %d %s", p.status, p.location)
		}
		form := admin.get("/vendors/new")
		if p := admin.post("/vendors", url.Values{"csrf": {form.csrf(t)}, "name": {"ShipQuick"}, "role": {"processor"}, "purpose": {"deliveries"},
			"locations": {"China"}}); p.status != 400 || !strings.Contains(p.body, "two-letter country codes") || !strings.Contains(p.body, "ShipQuick") {
			t.Fatalf("a country that is not a code: %d\n%s", p.status, p.body)
		}
		p := admin.post("/vendors", url.Values{"csrf": {form.csrf(t)}, "name": {"ShipQuick Logistics"}, "role": {"processor"}, "purpose": {"deliveries to customers"},
			"data_categories": {"name, address, phone"}, "locations": {"cn"}, "agreement_ref": {"LOG-2025-3"}, "dpa": {"1"},
			"certifications": {"ISO 27001 2030-06-30"}, "next_review": {"2025-01-31"}, "status": {"active"}})
		if p.status != 303 || !strings.HasPrefix(p.location, "/vendors/vnd_") {
			t.Fatalf("create: %d %s %s", p.status, p.location, p.body)
		}
		list := admin.get("/vendors")
		m := vendorLink.FindStringSubmatch(list.body)
		if m == nil || !strings.Contains(list.body, "ShipQuick Logistics") || !strings.Contains(list.body, "overdue") {
			t.Fatalf("the register lacks the overdue vendor:\n%s", list.body)
		}
		vp := admin.get("/vendors/" + m[1])
		if vp.status != 200 || !strings.Contains(vp.body, `id="vendor-due"`) || !strings.Contains(vp.body, "ISO 27001") {
			t.Fatalf("the vendor page: %d", vp.status)
		}
		if p := admin.post("/vendors/"+m[1]+"/reviews", url.Values{"csrf": {vp.csrf(t)}, "reviewer": {"Ann Lee"}, "outcome": {"findings"}, "next_review": {"2099-01-31"}}); p.status != 303 {
			t.Fatalf("review: %d %s", p.status, p.body)
		}
		if p := admin.post("/vendors/"+m[1]+"/findings", url.Values{"csrf": {vp.csrf(t)}, "text": {"Drivers' phones keep delivery photos"}, "severity": {"high"}, "owner": {"ShipQuick IT"}}); p.status != 303 {
			t.Fatalf("finding: %d %s", p.status, p.body)
		}
		vp = admin.get("/vendors/" + m[1])
		fix := regexp.MustCompile(`action="(/vendors/vnd_[0-9a-f]+/findings/vfd_[0-9a-f]+/fix)"`).FindStringSubmatch(vp.body)
		if strings.Contains(vp.body, `id="vendor-due"`) || !strings.Contains(vp.body, "Ann Lee") || fix == nil {
			t.Fatalf("after the review the page still shows it due, or lacks the review or the finding:\n%s", vp.body)
		}
		if p := admin.post(fix[1], url.Values{"csrf": {vp.csrf(t)}, "fix": {"photos wiped nightly"}}); p.status != 303 {
			t.Fatalf("fix: %d %s", p.status, p.body)
		}
		if vp = admin.get("/vendors/" + m[1]); !strings.Contains(vp.body, "photos wiped nightly") {
			t.Fatal("the fix is not on the page")
		}

		sales := newBrowser(t, s, "en")
		sales.login("sales@example.com", password)
		if p := sales.get("/vendors"); p.status != 403 {
			t.Fatalf("sales opening the register: %d", p.status)
		}
		if p := sales.get("/customers"); p.status != 200 {
			t.Fatalf("sales before any training is required: %d %s", p.status, p.location)
		}

		// Required of sales: the customers send the salesperson to training.
		cov := admin.get("/training/coverage")
		if p := admin.post("/training/customer-data/assignment", url.Values{"csrf": {cov.csrf(t)}, "roles": {"sales"}, "required": {"1"}}); p.status != 303 {
			t.Fatalf("assign: %d %s", p.status, p.body)
		}
		if p := sales.get("/customers"); p.status != 303 || p.location != "/training" {
			t.Fatalf("sales owing training reached /customers: %d %s", p.status, p.location)
		}
		if p := sales.get("/training"); p.status != 200 || !strings.Contains(p.body, `id="training-owed"`) {
			t.Fatalf("the training page: %d", p.status)
		}
		mod := sales.get("/training/customer-data")
		if mod.status != 200 || !strings.Contains(mod.body, "reporting a breach") || !strings.Contains(mod.body, `name="q4"`) {
			t.Fatalf("the module: %d", mod.status)
		}
		answers := func(a ...string) url.Values {
			v := url.Values{"csrf": {mod.csrf(t)}, "version": {"1"}}
			for i, x := range a {
				v.Set("q"+string(rune('0'+i)), x)
			}
			return v
		}
		if p := sales.post("/training/customer-data", answers("0", "0", "0", "0", "0")); p.status != 200 || !strings.Contains(p.body, `id="training-result"`) || !strings.Contains(p.body, "40%") {
			t.Fatalf("wrong answers: %d", p.status)
		}
		if p := sales.get("/customers"); p.status != 303 {
			t.Fatalf("a failed quiz lifted the gate: %d", p.status)
		}
		if p := sales.post("/training/customer-data", answers("1", "2", "0", "1", "0")); p.status != 303 || !strings.Contains(p.location, "training_passed") {
			t.Fatalf("right answers: %d %s %s", p.status, p.location, p.body)
		}
		if p := sales.get("/customers"); p.status != 200 {
			t.Fatalf("sales after passing: %d %s", p.status, p.location)
		}
		if cov = admin.get("/training/coverage"); !strings.Contains(cov.body, "1 / 1") {
			t.Fatalf("coverage lacks 1 / 1:\n%s", cov.body)
		}

		// In Chinese.
		zh := newBrowser(t, s, "zh-CN")
		zh.login("admin@example.com", password)
		if p := zh.get("/vendors"); p.status != 200 || !strings.Contains(p.body, "供应商") || !strings.Contains(p.body, "受托处理者") {
			t.Fatalf("the register in Chinese: %d", p.status)
		}
		if p := zh.get("/training/customer-data"); p.status != 200 || !strings.Contains(p.body, "处理客户数据与报告数据泄露") || !strings.Contains(p.body, "工作需要时") {
			t.Fatalf("the module in Chinese: %d", p.status)
		}

		// A new version, published on the web, is required again.
		pub := admin.get("/training/publish?key=customer-data")
		if pub.status != 200 || !strings.Contains(pub.body, "reporting a breach") {
			t.Fatalf("the publish form: %d", pub.status)
		}
		if p := admin.post("/training/publish", url.Values{"csrf": {pub.csrf(t)}, "key": {"customer-data"}, "title_en": {"Handling customer data (2027)"}, "title_zh": {"处理客户数据（2027）"},
			"body_en": {"Report a breach at once."}, "body_zh": {"立即报告泄露。"}, "pass_mark": {"100"}, "roles": {"sales"}, "required": {"1"},
			"q0_en": {"When do you report a breach?"}, "q0_zh": {"何时报告泄露？"}, "q0_choices_en": {"Later\nAt once"}, "q0_choices_zh": {"以后\n立即"}, "q0_answer": {"2"}}); p.status != 303 {
			t.Fatalf("publish: %d %s", p.status, p.body)
		}
		if p := sales.get("/customers"); p.status != 303 || p.location != "/training" {
			t.Fatalf("after a new version sales reached /customers: %d %s", p.status, p.location)
		}
	})
}
