package main_test

import (
	"encoding/json"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"strongroom.dev/strongroom/internal/testkit"
)

// TestWebWordsE2E: every word a user reads is in their language — the
// server's own messages (a wrong password, a refusal, a field's
// validation) on the web and in the API's problem+json, the pipeline's
// stage names and the confirmations after an action; and a refused deal
// keeps what was typed, says why at the top and beside the field.
func TestWebWordsE2E(t *testing.T) {
	testkit.ForEachDB(t, func(t *testing.T, db testkit.DB) {
		storage := storageArgs(t, db)
		addUser(t, storage, "sales1@example.com", "sales")
		addUser(t, storage, "rep@example.com", "field_rep")
		addUser(t, storage, "admin@example.com", "admin")
		s := start(t, storage)
		adminTok := s.Login(t, "admin@example.com", password)
		repID := s.Do(t, "GET", "/api/v1/me", s.Login(t, "rep@example.com", password), nil).Str("user_id")
		store := s.Do(t, "POST", "/api/v1/companies", adminTok, map[string]any{"name": "静安门店", "address": "南京西路1号", "is_store": true, "owner_id": repID})
		if store.Status != 201 {
			t.Fatalf("store: %d %s", store.Status, store.Body)
		}
		storeID := store.Str("id")

		for _, c := range []struct {
			lang                              string
			wrongPassword, refused, badAmount string
			stage, saved, ended               string
			storeAddress, noSubject, badDate  string
		}{
			{"en", "email or password is incorrect", "you may not read customers", "amount must be a number, like 1250000.50",
				`class="stage-name">Lead</span>`, "Deal opened.", "The session is ended.", "a store needs an address", "subject is required", "planned_for must be a date, like 2026-11-24"},
			{"zh-CN", "邮箱或密码不正确", "您无权查看客户", "金额须为数字，例如 1250000.50",
				`class="stage-name">线索</span>`, "商机已创建。", "会话已结束。", "门店需要地址", "须填写主题", "计划日期须为日期，例如 2026-11-24"},
		} {
			t.Run(c.lang, func(t *testing.T) {
				anon := newBrowser(t, s, c.lang)
				if p := anon.login("sales1@example.com", "wrong password entirely"); p.status != 401 || !strings.Contains(p.body, c.wrongPassword) {
					t.Errorf("wrong password: %d, want the page to say %q", p.status, c.wrongPassword)
				}

				rep := newBrowser(t, s, c.lang)
				rep.login("rep@example.com", password)
				if p := rep.get("/customers"); p.status != 403 || !strings.Contains(p.body, c.refused) {
					t.Errorf("field rep's /customers: %d, want a refusal saying %q:\n%s", p.status, c.refused, p.body)
				}

				// A refused visit plan keeps the store and date chosen, in the page's language.
				visits := rep.get("/visits")
				p := rep.post("/visits", url.Values{"csrf": {visits.csrf(t)}, "company_id": {storeID}, "planned_for": {"24/12/2026"}})
				for _, want := range []string{`<option value="` + storeID + `" selected>`, `value="24/12/2026" aria-invalid="true" aria-describedby="plan-error"`, `<a href="#planned_for">` + c.badDate + `</a>`, `id="plan-error">` + c.badDate + `</p>`} {
					if p.status != 400 || !strings.Contains(p.body, want) {
						t.Errorf("a refused visit plan (%d) lacks %s", p.status, want)
					}
				}

				sales := newBrowser(t, s, c.lang)
				sales.login("sales1@example.com", password)
				form := sales.get("/customers/new")
				created := sales.post("/customers", url.Values{"csrf": {form.csrf(t)}, "name": {"王芳"}, "email": {"wang.fang@example.cn"}})
				if created.status != http.StatusSeeOther {
					t.Fatalf("create a customer: %d\n%s", created.status, created.body)
				}
				custPath := strings.SplitN(created.location, "?", 2)[0]
				page := sales.get(custPath)

				// A refused deal: the page comes back with what was typed, the
				// message first (linking to the field) and beside the field.
				bad := sales.post(custPath+"/deals", url.Values{"csrf": {page.csrf(t)}, "title": {"Porcelain lot 12"}, "amount": {"abc"}, "currency": {"USD"}, "expected_close": {"2026-12-20"}})
				if bad.status != 400 {
					t.Fatalf("deal with a bad amount: %d", bad.status)
				}
				for _, want := range []string{
					`value="Porcelain lot 12"`, `value="abc"`, `<option selected>USD</option>`, `value="2026-12-20"`,
					`<a href="#deal-amount">` + c.badAmount + `</a>`,
					`name="amount" inputmode="decimal" required placeholder="1250000.00" value="abc" aria-invalid="true" aria-describedby="deal-error">`,
					`<p class="error field-error" id="deal-error">` + c.badAmount + `</p>`,
				} {
					if !strings.Contains(bad.body, want) {
						t.Errorf("the refused deal's page lacks %s", want)
					}
				}
				summary, section := strings.Index(bad.body, `id="form-problems"`), strings.Index(bad.body, `id="deals"`)
				if summary < 0 || summary > section || summary > strings.Index(bad.body, `<section`) {
					t.Errorf("the error summary is not first on the page (at %d, the deals at %d)", summary, section)
				}
				if n := strings.Count(bad.body, `aria-invalid="true"`); n != 1 {
					t.Errorf("%d fields marked invalid, want the amount only", n)
				}

				// A refused company keeps what was typed and marks its field.
				cform := sales.get("/companies/new")
				badCo := sales.post("/companies", url.Values{"csrf": {cform.csrf(t)}, "name": {"Jade Store"}, "is_store": {"1"}})
				for _, want := range []string{`value="Jade Store"`, `<a href="#f-address">`, `aria-invalid="true" aria-describedby="error-address"`, `id="error-address">` + c.storeAddress + `</p>`} {
					if badCo.status != 400 || !strings.Contains(badCo.body, want) {
						t.Errorf("the refused company's page (%d) lacks %s", badCo.status, want)
					}
				}

				// A refused purchase likewise keeps what was typed.
				admin := newBrowser(t, s, c.lang)
				admin.login("admin@example.com", password)
				badTx := admin.post(custPath+"/transactions", url.Values{"csrf": {admin.get(custPath).csrf(t)}, "kind": {"lot"}, "occurred_on": {"2026-11-02"}, "reference": {"Lot 88"}, "amount": {"9000"}, "premium": {"lots"}, "currency": {"HKD"}})
				for _, want := range []string{
					`<option value="lot" selected>`, `value="2026-11-02"`, `value="Lot 88"`, `value="9000"`, `<option selected>HKD</option>`,
					`<a href="#tx-premium">` + c.badAmount + `</a>`,
					`value="lots" aria-invalid="true" aria-describedby="tx-error">`,
				} {
					if badTx.status != 400 || !strings.Contains(badTx.body, want) {
						t.Errorf("the refused purchase's page (%d) lacks %s", badTx.status, want)
					}
				}

				ok := sales.post(custPath+"/deals", url.Values{"csrf": {page.csrf(t)}, "title": {"Porcelain lot 12"}, "amount": {"1250000"}, "currency": {"CNY"}})
				if ok.status != http.StatusSeeOther {
					t.Fatalf("open a deal: %d\n%s", ok.status, ok.body)
				}
				if p := sales.get(ok.location); !strings.Contains(p.body, `<p class="flash" role="status">`+c.saved) {
					t.Errorf("no confirmation %q after saving the deal", c.saved)
				}
				// The deal page's activity form keeps what was typed too.
				dealPath := strings.SplitN(ok.location, "?", 2)[0]
				if d := regexp.MustCompile(`href="(/deals/dea_[0-9a-f]+)"`).FindStringSubmatch(sales.get(dealPath).body); d != nil {
					dealPage := sales.get(d[1])
					p := sales.post(d[1]+"/activities", url.Values{"csrf": {dealPage.csrf(t)}, "kind": {"meeting"}, "subject": {""}, "body": {"Viewing on Saturday at ten"}})
					for _, want := range []string{`<option value="meeting" selected>`, `>Viewing on Saturday at ten</textarea>`, `id="log-error">` + c.noSubject + `</p>`} {
						if p.status != 400 || !strings.Contains(p.body, want) {
							t.Errorf("the deal page's refused activity (%d) lacks %s", p.status, want)
						}
					}
				} else {
					t.Error("no link to the deal on the customer page")
				}
				board := sales.get("/deals")
				if !strings.Contains(board.body, c.stage) {
					t.Errorf("the board's first stage is not shown as %q", c.stage)
				}
				// Each stage counts its deals in words, with the plural right.
				counts := map[string][]string{"en": {`stage-count">1 deal<`, `stage-count">0 deals<`}, "zh-CN": {`stage-count">0 个商机<`}}
				for _, want := range counts[c.lang] {
					if !strings.Contains(board.body, want) {
						t.Errorf("the board lacks the count %s", want)
					}
				}
				if strings.Contains(board.body, `stage-count">1 deals<`) || strings.Contains(board.body, "Deals</span>") {
					t.Error("the board counts one deal as Deals")
				}
				// Ending another session of one's own: a confirmation.
				other := newBrowser(t, s, c.lang)
				other.login("sales1@example.com", password)
				list := sales.get("/sessions")
				ends := regexp.MustCompile(`action="(/sessions/[^"/]+/end)"`).FindAllStringSubmatch(list.body, -1)
				if len(ends) == 0 {
					t.Fatalf("no session to end on /sessions")
				}
				end := sales.post(ends[len(ends)-1][1], url.Values{"csrf": {list.csrf(t)}, "confirm": {"1"}})
				if end.status != http.StatusSeeOther {
					t.Fatalf("end a session: %d", end.status)
				}
				if p := sales.get(end.location); !strings.Contains(p.body, `<p class="flash" role="status">`+c.ended+`</p>`) {
					t.Errorf("no confirmation %q after ending a session (%s)", c.ended, end.location)
				}
			})
		}

		// The audit log keeps the refusals' reason in one language, English,
		// whichever language the page showed it in.
		admin := s.Login(t, "admin@example.com", password)
		var log struct {
			Items []struct {
				ObjectID string `json:"object_id"`
				Reason   string `json:"reason"`
			} `json:"items"`
		}
		json.Unmarshal(s.Do(t, "GET", "/api/v1/audit?object_type=route&limit=1000", admin, nil).Body, &log)
		refusals := 0
		for _, e := range log.Items {
			if e.ObjectID == "GET /customers" {
				refusals++
				if e.Reason != "you may not read customers" {
					t.Errorf("a refusal is logged with the reason %q", e.Reason)
				}
			}
		}
		if refusals != 2 {
			t.Errorf("%d refusals of GET /customers logged, want one a language", refusals)
		}

		// The API answers in the language the client asks for; the type stays the stable part.
		sales := s.Login(t, "sales1@example.com", password)
		en := s.Do(t, "GET", "/api/v1/audit", sales, nil)
		zh := s.Do(t, "GET", "/api/v1/audit", sales, nil, "Accept-Language", "zh-CN,zh;q=0.9,en;q=0.5")
		if en.Status != 403 || zh.Status != 403 || en.Str("type") != zh.Str("type") {
			t.Fatalf("API refusal: %d %s / %d %s", en.Status, en.Body, zh.Status, zh.Body)
		}
		if !strings.HasPrefix(en.Str("detail"), "you may not") || !strings.HasPrefix(zh.Str("detail"), "您无权") || zh.Header.Get("Content-Language") != "zh-CN" {
			t.Errorf("API details: en %q, zh %q (Content-Language %q)", en.Str("detail"), zh.Str("detail"), zh.Header.Get("Content-Language"))
		}

		// Starting an access review, publishing the security policy and
		// accepting it each end on a confirmation in the page's language.
		zhAdmin := newBrowser(t, s, "zh-CN")
		zhAdmin.login("admin@example.com", password)
		adminPage := zhAdmin.get("/admin")
		for _, step := range []struct {
			path string
			form url.Values
			want string
		}{
			{"/reviews", url.Values{}, "访问审查已开始。"},
			{"/admin/policy", url.Values{"text_en": {"Do not share accounts."}, "text_zh": {"禁止共用账号。"}}, "政策已发布；每个人在下次登录时接受。"},
			{"/policy", url.Values{"version": {"1"}}, "您已接受安全政策。"},
		} {
			step.form.Set("csrf", adminPage.csrf(t))
			p := zhAdmin.post(step.path, step.form)
			if p.status != http.StatusSeeOther {
				t.Fatalf("POST %s: %d\n%s", step.path, p.status, p.body)
			}
			if after := zhAdmin.get(p.location); !strings.Contains(after.body, `<p class="flash" role="status">`+step.want+`</p>`) {
				t.Errorf("after POST %s (to %s): no confirmation %q", step.path, p.location, step.want)
			}
		}
	})
}
