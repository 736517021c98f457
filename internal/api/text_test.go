package api_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"strongroom.dev/strongroom/internal/api"
	"strongroom.dev/strongroom/internal/authz"
	"strongroom.dev/strongroom/internal/crm"
	"strongroom.dev/strongroom/internal/service"
	"strongroom.dev/strongroom/internal/service/core"
	"strongroom.dev/strongroom/internal/service/identity"
	"strongroom.dev/strongroom/internal/testkit"
)

const password = "a long enough passphrase for tests"

// apiEnv is the API over a test database, with an administrator logged in.
type apiEnv struct {
	*testkit.Env
	srv   *httptest.Server
	token string // the administrator's
	actor authz.Actor
}

func newAPIEnv(t *testing.T, db testkit.DB) *apiEnv {
	t.Helper()
	env := testkit.NewEnv(t, db, service.Options{})
	if err := env.Service.Sessions.SetMFARequiredRoles(context.Background(), authz.System(), nil); err != nil {
		t.Fatal(err)
	}
	mux := http.NewServeMux()
	api.New(env.Service, slog.New(slog.DiscardHandler)).Routes(mux)
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	e := &apiEnv{Env: env, srv: srv}
	e.token, e.actor = e.user(t, "admin@example.com", "admin")
	return e
}

// user adds a user with role and logs them in.
func (e *apiEnv) user(t *testing.T, email, role string) (string, authz.Actor) {
	t.Helper()
	ctx := context.Background()
	if _, err := e.Service.Users.CreateUser(ctx, authz.System(), identity.NewUser{Email: email, Role: role, Password: password}); err != nil {
		t.Fatal(err)
	}
	sess, err := e.Service.Sessions.Login(ctx, email, password, identity.Client{})
	if err != nil {
		t.Fatal(err)
	}
	a, err := e.Service.Sessions.Authenticate(ctx, sess.Token, identity.Client{})
	if err != nil {
		t.Fatal(err)
	}
	return sess.Token, a
}

// send sends a raw JSON body as the administrator.
func (e *apiEnv) send(t *testing.T, method, path, body string) (int, map[string]any) {
	t.Helper()
	return e.sendAs(t, e.token, method, path, body)
}

// sendAs sends a raw JSON body with token and returns the status and the
// decoded answer.
func (e *apiEnv) sendAs(t *testing.T, token, method, path, body string) (int, map[string]any) {
	t.Helper()
	req, err := http.NewRequest(method, e.srv.URL+path, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	var out map[string]any
	json.Unmarshal(b, &out)
	if resp.StatusCode >= 500 {
		t.Errorf("%s %s: %d %s", method, path, resp.StatusCode, b)
	}
	return resp.StatusCode, out
}

// rows counts the rows of the tables a text input could land in.
func (e *apiEnv) rows(t *testing.T) map[string]int {
	t.Helper()
	raw := e.DB.Raw(t)
	out := map[string]int{}
	for _, table := range []string{"audit_events", "customers", "companies", "deals", "activities", "transactions", "feedback",
		"preferences", "visits", "access_requests", "roles", "security_policies", "users", "team_parents", "passkeys"} {
		var n int
		if err := raw.QueryRow("SELECT COUNT(*) FROM " + table).Scan(&n); err != nil {
			t.Fatalf("count %s: %v", table, err)
		}
		out[table] = n
	}
	return out
}

// Bad text, as JSON string literals (the body is sent as written, so the
// lone surrogates and the invalid UTF-8 reach the server as they are).
var (
	// refused in every text field
	badEverywhere = []struct{ name, literal string }{
		{"NUL", `"text long enough \u0000 to pass"`},
		{"lone high surrogate", `"text long enough \ud800 to pass"`},
		{"lone low surrogate", `"text long enough \udc00 to pass"`},
		{"surrogates in the wrong order", `"text long enough \udc00\ud800 to pass"`},
		{"high surrogate then a letter", `"text long enough \ud83dA to pass"`},
		{"invalid UTF-8", "\"text long enough \xff to pass\""},
		{"UTF-8 encoded surrogate", "\"text long enough \xed\xa0\x80 to pass\""},
		{"bell", `"text long enough \u0007 to pass"`},
		{"escape", `"text long enough \u001b[31m to pass"`},
		{"DEL", `"text long enough \u007f to pass"`},
		{"C1 control", `"text long enough \u0085 to pass"`},
		{"lone CR", `"text long enough \r to pass"`},
	}
	// refused in labels only (free text may hold them)
	badInLabels = []struct{ name, literal string }{
		{"newline", `"text long enough \n to pass"`},
		{"tab", `"text long enough \t to pass"`},
		{"right-to-left override", `"text long enough \u202e to pass"`},
		{"left-to-right embedding", `"text long enough \u202a to pass"`},
		{"first-strong isolate", `"text long enough \u2068 to pass"`},
		{"right-to-left mark", `"text long enough \u200f to pass"`},
		{"Arabic letter mark", `"text long enough \u061c to pass"`},
		{"line separator", `"text long enough \u2028 to pass"`},
	}
)

// TestTextInputRules: every text field refuses invalid UTF-8, lone
// surrogates and control characters (and labels also refuse line breaks
// and text-direction controls) with 400 naming the field; nothing is
// stored, and nothing is silently replaced with U+FFFD.
func TestTextInputRules(t *testing.T) {
	testkit.ForEachDB(t, func(t *testing.T, db testkit.DB) {
		e := newAPIEnv(t, db)
		ctx := context.Background()
		s := func(v string) *string { return &v }
		// A sales rep owns the customer and may reveal its national id, which
		// they see masked; sales may break glass; deleting a customer needs
		// an approval. So each refused request below would otherwise go
		// through.
		sales, salesActor := e.user(t, "sales@example.com", "sales")
		cus, err := e.Service.Customers.CreateCustomer(ctx, salesActor, crm.CustomerInput{Fields: map[string]*string{crm.FieldName: s("Wang Fang")}})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := e.Service.Customers.UpdateCustomer(ctx, e.actor, cus.ID, crm.CustomerInput{Fields: map[string]*string{crm.FieldNationalID: s("110101199003071234")}}); err != nil {
			t.Fatal(err)
		}
		if err := e.Service.Approvals.SetBreakGlassRoles(ctx, e.actor, []string{"sales"}); err != nil {
			t.Fatal(err)
		}
		if err := e.Service.Approvals.SetApprovalRule(ctx, e.actor, core.KindDelete, [][]string{{"admin"}}); err != nil {
			t.Fatal(err)
		}
		shop, err := e.Service.Companies.CreateCompany(ctx, e.actor, crm.CompanyInput{Fields: map[string]*string{crm.CompanyName: s("Shop"), crm.CompanyAddress: s("1 Road")}, IsStore: new(true)})
		if err != nil {
			t.Fatal(err)
		}
		visit, err := e.Service.Visits.PlanVisit(ctx, e.actor, shop.ID, "", "2026-11-24")
		if err != nil {
			t.Fatal(err)
		}
		cp := "/api/v1/customers/" + cus.ID

		fields := []struct {
			method, path, body, field string
			label                     bool
			token                     string // "" for the administrator
		}{
			{"POST", "/api/v1/customers", `{"name":%s}`, "name", true, ""},
			{"PATCH", cp, `{"name":%s}`, "name", true, ""},
			{"POST", "/api/v1/customers", `{"name":"A","email":%s}`, "email", true, ""},
			{"POST", "/api/v1/customers", `{"name":"A","phone":%s}`, "phone", true, ""},
			{"POST", "/api/v1/customers", `{"name":"A","national_id":%s}`, "national_id", true, ""},
			{"POST", "/api/v1/customers", `{"name":"A","tags":["vip",%s]}`, "tags", true, ""},
			{"POST", "/api/v1/customers", `{"name":"A","notes":%s}`, "notes", false, ""},
			{"PATCH", cp, `{"assessment":%s,"sensitive_consent":{"channel":"in_person"}}`, "assessment", false, ""},
			{"POST", "/api/v1/companies", `{"name":%s}`, "name", true, ""},
			{"POST", "/api/v1/companies", `{"name":"A","address":%s}`, "address", true, ""},
			{"POST", "/api/v1/companies", `{"name":"A","tags":[%s]}`, "tags", true, ""},
			{"POST", "/api/v1/companies", `{"name":"A","notes":%s}`, "notes", false, ""},
			{"POST", cp + "/deals", `{"title":%s,"amount":1,"currency":"CNY"}`, "title", true, ""},
			{"POST", cp + "/activities", `{"kind":"note","subject":%s}`, "subject", true, ""},
			{"POST", cp + "/activities", `{"kind":"note","subject":"s","body":%s}`, "body", false, ""},
			{"POST", "/api/v1/companies/" + shop.ID + "/activities", `{"kind":"note","subject":%s}`, "subject", true, ""},
			{"POST", cp + "/transactions", `{"kind":"order","currency":"CNY","occurred_on":"2026-01-02","amount":1,"reference":%s}`, "reference", true, ""},
			{"POST", cp + "/transactions", `{"kind":"order","currency":"CNY","occurred_on":"2026-01-02","amount":1,"description":%s}`, "description", false, ""},
			{"PUT", cp + "/preferences", `{"opt_in":["email"],"interests":["tea",%s]}`, "interests", true, ""},
			{"POST", cp + "/feedback", `{"rating":5,"comment":%s}`, "comment", false, ""},
			{"PATCH", "/api/v1/visits/" + visit.ID, `{"notes":%s}`, "notes", false, ""},
			{"POST", cp + "/reveal", `{"field":"national_id","reason":%s}`, "reason", false, sales},
			{"POST", "/api/v1/access-requests", `{"kind":"customer_delete","customer_id":"` + cus.ID + `","reason":%s}`, "reason", false, ""},
			{"POST", cp + "/break-glass", `{"reason":%s}`, "reason", false, sales},
			{"PUT", "/api/v1/roles/helpdesk", `{"summary":%s,"grants":{}}`, "summary", false, ""},
			{"POST", "/api/v1/roles/sales/copy", `{"name":"sales_copy","summary":%s}`, "summary", false, ""},
			{"PUT", "/api/v1/policy", `{"text_en":%s,"text_zh":"政策"}`, "text_en", false, ""},
			{"PUT", "/api/v1/policy", `{"text_en":"Policy","text_zh":%s}`, "text_zh", false, ""},
			{"POST", "/api/v1/users", `{"email":%s,"role":"sales","password":"` + password + `"}`, "email", true, ""},
			{"POST", "/api/v1/users", `{"email":"new@example.com","role":"sales","team":%s,"password":"` + password + `"}`, "team", true, ""},
			{"POST", "/api/v1/invitations", `{"email":"new@example.com","role":"sales","team":%s}`, "team", true, ""},
			{"PUT", "/api/v1/teams/north", `{"parent":%s}`, "parent", true, ""},
			{"POST", "/api/v1/vendors", `{"name":%s,"role":"processor","purpose":"payments"}`, "name", true, ""},
			{"POST", "/api/v1/vendors", `{"name":"PayFast","role":"processor","purpose":%s}`, "purpose", false, ""},
			{"POST", "/api/v1/vendors", `{"name":"PayFast","role":"processor","purpose":"payments","data_categories":[%s]}`, "data_categories", true, ""},
			{"PUT", "/api/v1/training/customer-data", `{"title_en":%s,"title_zh":"标题","body_en":"b","body_zh":"b","questions":[{"text_en":"q","text_zh":"q","choices_en":["a","b"],"choices_zh":["a","b"],"answer":0}],"pass_mark":100,"roles":[],"required":false}`, "title_en", true, ""},
			{"PUT", "/api/v1/training/customer-data", `{"title_en":"T","title_zh":"标题","body_en":%s,"body_zh":"b","questions":[{"text_en":"q","text_zh":"q","choices_en":["a","b"],"choices_zh":["a","b"],"answer":0}],"pass_mark":100,"roles":[],"required":false}`, "body_en", false, ""},
		}
		before := e.rows(t)
		for _, f := range fields {
			bad := badEverywhere
			if f.label {
				bad = append(bad[:len(bad):len(bad)], badInLabels...)
			}
			for _, b := range bad {
				t.Run(f.method+" "+f.path+" "+f.field+" "+b.name, func(t *testing.T) {
					token := f.token
					if token == "" {
						token = e.token
					}
					status, p := e.sendAs(t, token, f.method, f.path, fmt.Sprintf(f.body, b.literal))
					detail, _ := p["detail"].(string)
					if status != http.StatusBadRequest || p["field"] != f.field {
						t.Fatalf("status %d, field %v (%s); want 400 naming %s", status, p["field"], detail, f.field)
					}
					if !strings.Contains(detail, "not valid UTF-8") && !strings.Contains(detail, "not allowed") {
						t.Errorf("detail %q does not say what is wrong", detail)
					}
				})
			}
		}
		if after := e.rows(t); fmt.Sprint(after) != fmt.Sprint(before) {
			t.Errorf("refused input changed the database:\nbefore %v\nafter  %v", before, after)
		}
	})
}

// TestFreeTextKeepsLineBreaks: free text keeps tabs, line breaks (CRLF
// becomes LF) and text-direction characters; labels keep any script.
func TestFreeTextKeepsLineBreaks(t *testing.T) {
	testkit.ForEachDB(t, func(t *testing.T, db testkit.DB) {
		e := newAPIEnv(t, db)
		status, p := e.send(t, "POST", "/api/v1/customers", `{"name":"王小明 محمد","tags":["贵宾"],"notes":"  line one\r\nline\ttwo \u202eabc\u202c\n  "}`)
		if status != http.StatusCreated {
			t.Fatalf("create: %d %v", status, p)
		}
		if p["name"] != "王小明 محمد" || p["notes"] != "line one\nline\ttwo \u202eabc\u202c" {
			t.Errorf("stored %q and %q", p["name"], p["notes"])
		}
	})
}

// TestTextInAddresses: the same rules hold for the path and the query (a
// %00 in a role's name, a %FF in a search): 400, naming the parameter,
// never a 500 from a database that cannot hold the value.
func TestTextInAddresses(t *testing.T) {
	testkit.ForEachDB(t, func(t *testing.T, db testkit.DB) {
		e := newAPIEnv(t, db)
		for _, c := range []struct{ method, path, body, field string }{
			{"GET", "/api/v1/roles/a%00b", "", ""},
			{"GET", "/api/v1/roles/a%FFb/networks", "", ""},
			{"PUT", "/api/v1/roles/a%E2%80%AEb", `{"summary":"x","grants":{}}`, ""},
			{"PATCH", "/api/v1/users/usr_%00", `{"role":"sales"}`, ""},
			{"GET", "/api/v1/users/usr_%ED%A0%80/access", "", ""},
			{"PUT", "/api/v1/teams/a%00b", `{"parent":""}`, ""},
			{"GET", "/api/v1/customers?name=a%00b", "", "name"},
			{"GET", "/api/v1/customers?email=a%FF@example.com", "", "email"},
			{"GET", "/api/v1/companies?tag=a%E2%80%AEb", "", "tag"},
			{"GET", "/api/v1/audit?actor=a%00b", "", "actor"},
			{"GET", "/api/v1/audit?object_id=a%0Ab", "", "object_id"},
			{"GET", "/api/v1/sessions?user_id=usr_%00", "", "user_id"},
		} {
			status, p := e.send(t, c.method, c.path, c.body)
			if status != http.StatusBadRequest || (c.field != "" && p["field"] != c.field) {
				t.Errorf("%s %s: %d %v; want 400 naming %q", c.method, c.path, status, p, c.field)
			}
		}
		// Identifiers in bodies are refused by their own checks.
		for _, body := range []string{`{"roles":["sa\u0000les"]}`, `{"roles":["sa\u202eles"]}`} {
			if status, p := e.send(t, "PUT", "/api/v1/break-glass/roles", body); status != http.StatusBadRequest || p["field"] != "role" {
				t.Errorf("break-glass roles %s: %d %v", body, status, p)
			}
		}
	})
}
