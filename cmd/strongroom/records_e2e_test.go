package main_test

import (
	"regexp"
	"strings"
	"testing"

	"strongroom.dev/strongroom/internal/testkit"
)

// TestWebRecordHeaders: company and deal pages open, as the customer page
// does, with a record header — the name, the key facts (tap-to-call
// phone, address; amount, customer, company, probability) and the
// actions — before the rest of the record.
func TestWebRecordHeaders(t *testing.T) {
	testkit.ForEachDB(t, func(t *testing.T, db testkit.DB) {
		storage := storageArgs(t, db)
		addUser(t, storage, "admin@example.com", "admin")
		s := start(t, storage)
		tok := s.Login(t, "admin@example.com", password)
		co := s.Do(t, "POST", "/api/v1/companies", tok, map[string]any{"name": "Jade Trading Co", "address": "1 Nanjing Road", "phone": "+86 21 5555 0101"})
		cust := s.Do(t, "POST", "/api/v1/customers", tok, map[string]any{"name": "Wang Fang", "company_id": co.Str("id")})
		deal := s.Do(t, "POST", "/api/v1/customers/"+cust.Str("id")+"/deals", tok, map[string]any{"title": "Porcelain lot 12", "amount": 125000000, "currency": "CNY", "expected_close": "2026-12-20"})
		if co.Status != 201 || cust.Status != 201 || deal.Status != 201 {
			t.Fatalf("fixture: %d %d %d %s", co.Status, cust.Status, deal.Status, deal.Body)
		}
		b := newBrowser(t, s, "en")
		b.login("admin@example.com", password)

		header := regexp.MustCompile(`(?s)<div class="heading record-header" id="record-header">(.*?)</div>\s*</div>`)
		cp := b.get("/companies/" + co.Str("id"))
		h := header.FindStringSubmatch(cp.body)
		if h == nil {
			t.Fatalf("the company page has no record header:\n%s", cp.body)
		}
		for _, want := range []string{"<h1>Jade Trading Co", `<a href="tel:`, "1 Nanjing Road", `href="/companies/` + co.Str("id") + `/edit"`, `href="#add-activity"`, `href="#delete-company"`} {
			if !strings.Contains(h[1], want) {
				t.Errorf("the company's header lacks %s:\n%s", want, h[1])
			}
		}
		if !strings.Contains(cp.body, `id="delete-company"`) || !strings.Contains(cp.body, `id="add-activity"`) {
			t.Error("the company header's actions lead nowhere")
		}

		dp := b.get("/deals/" + deal.Str("id"))
		h = header.FindStringSubmatch(dp.body)
		if h == nil {
			t.Fatalf("the deal page has no record header:\n%s", dp.body)
		}
		for _, want := range []string{"<h1>Porcelain lot 12", `id="fact-amount"`, "1,250,000", `<a href="/customers/` + cust.Str("id") + `">Wang Fang</a>`,
			`<a href="/companies/` + co.Str("id") + `">Jade Trading Co</a>`, "2026-12-20", `href="#add-activity"`, `id="deal-on-board"`} {
			if !strings.Contains(h[1], want) {
				t.Errorf("the deal's header lacks %s:\n%s", want, h[1])
			}
		}
		if strings.Index(dp.body, `id="record-header"`) > strings.Index(dp.body, `id="activities"`) {
			t.Error("the deal's header is not first")
		}
	})
}
