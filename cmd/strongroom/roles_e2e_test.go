package main_test

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"html"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"strongroom.dev/strongroom/internal/testkit"
)

// TestDefinedRolesOverHTTP: an administrator defines a role through the
// API; its holder sees exactly what it grants in JSON, search and CSV; an
// edit applies to the holder's open session; the command line lists,
// shows, copies and retires roles.
func TestDefinedRolesOverHTTP(t *testing.T) {
	testkit.ForEachDB(t, func(t *testing.T, db testkit.DB) {
		storage := storageArgs(t, db)
		addUser(t, storage, "admin@example.com", "admin")
		addUser(t, storage, "sales1@example.com", "sales")
		s := start(t, storage)
		admin := s.Login(t, "admin@example.com", password)
		sales := s.Login(t, "sales1@example.com", password)
		if r := s.Do(t, "POST", "/api/v1/customers", sales, map[string]any{"name": "Gao Yan", "email": "gao@example.com", "phone": "+86 139 0000 1111"}); r.Status != 201 {
			t.Fatalf("create: %d %s", r.Status, r.Body)
		}
		role := map[string]any{"summary": "looks up customers for claims", "grants": map[string]any{
			"customer": map[string]any{"actions": map[string]string{"read": "all", "export": "all"}, "classes": map[string]string{"identity": "read", "contact": "masked"}},
		}}
		if r := s.Do(t, "PUT", "/api/v1/roles/claims_clerk", sales, role); r.Status != 403 {
			t.Fatalf("a salesperson defined a role: %d", r.Status)
		}
		for _, bad := range []any{
			map[string]any{"summary": "x", "grants": map[string]any{"customer": map[string]any{"actions": map[string]string{"read": "everyone"}}}},
			map[string]any{"summary": "x", "grants": map[string]any{"customer": map[string]any{"actions": map[string]string{"read": "all"}, "fields": map[string]string{"salary": "read"}}}},
			map[string]any{"summary": "x", "grants": map[string]any{}, "extra": true},
		} {
			if r := s.Do(t, "PUT", "/api/v1/roles/claims_clerk", admin, bad); r.Status != 400 {
				t.Fatalf("a bad definition %v: %d %s", bad, r.Status, r.Body)
			}
		}
		if r := s.Do(t, "PUT", "/api/v1/roles/claims_clerk", admin, role); r.Status != 200 {
			t.Fatalf("define: %d %s", r.Status, r.Body)
		}
		if r := s.Do(t, "POST", "/api/v1/users", admin, map[string]string{"email": "clerk@example.com", "role": "claims_clerk", "password": password}); r.Status != 201 {
			t.Fatalf("a user with the role: %d %s", r.Status, r.Body)
		}
		clerkID := ""
		clerk := s.Login(t, "clerk@example.com", password)
		// The administrator chose the password: the clerk changes it first.
		if r := s.Do(t, "POST", "/api/v1/me/password", clerk, map[string]string{"current_password": password, "new_password": "a fresh passphrase of my own"}); r.Status != 204 {
			t.Fatalf("the clerk's first password change: %d %s", r.Status, r.Body)
		}
		list := s.Do(t, "GET", "/api/v1/customers", clerk, nil)
		if list.Status != 200 || strings.Contains(string(list.Body), "gao@example.com") || !strings.Contains(string(list.Body), "Gao Yan") {
			t.Fatalf("the clerk's list: %d %s", list.Status, list.Body)
		}
		if r := s.Do(t, "POST", "/api/v1/customers/search", clerk, map[string]string{"email": "gao@example.com"}); r.Status != 400 || strings.Contains(string(r.Body), "Gao Yan") {
			t.Fatalf("search by a field the role sees only masked must be refused (no oracle): %d %s", r.Status, r.Body)
		}

		role["grants"].(map[string]any)["customer"].(map[string]any)["classes"] = map[string]string{"identity": "read", "contact": "hidden"}
		if r := s.Do(t, "PUT", "/api/v1/roles/claims_clerk", admin, role); r.Status != 200 {
			t.Fatalf("edit: %d %s", r.Status, r.Body)
		}
		list = s.Do(t, "GET", "/api/v1/customers", clerk, nil)
		if strings.Contains(string(list.Body), `"email"`) || strings.Contains(string(list.Body), `"phone"`) {
			t.Fatalf("after the edit the open session still gets contact fields: %s", list.Body)
		}
		csv := s.Do(t, "GET", "/api/v1/customers/export", clerk, nil)
		if csv.Status != 200 || strings.Contains(string(csv.Body), "email") || strings.Contains(string(csv.Body), "00001111") || !strings.Contains(string(csv.Body), "Gao Yan") {
			t.Fatalf("export after the edit: %d %s", csv.Status, csv.Body)
		}
		if r := s.Do(t, "POST", "/api/v1/customers/search", clerk, map[string]string{"email": "gao@example.com"}); r.Status != 400 || strings.Contains(string(r.Body), "Gao Yan") {
			t.Fatalf("search by a hidden field: %d %s", r.Status, r.Body)
		}

		var users struct {
			Users []struct{ ID, Email string }
		}
		json.Unmarshal(s.Do(t, "GET", "/api/v1/users", admin, nil).Body, &users)
		for _, u := range users.Users {
			if u.Email == "clerk@example.com" {
				clerkID = u.ID
			}
		}
		access := s.Do(t, "GET", "/api/v1/users/"+clerkID+"/access", admin, nil)
		if access.Status != 200 || !strings.Contains(string(access.Body), `"roles":["claims_clerk"]`) {
			t.Fatalf("effective access: %d %s", access.Status, access.Body)
		}

		code, out, _ := run(t, "", append([]string{"role", "list"}, storage...)...)
		if code != 0 || !strings.Contains(out, "claims_clerk") || !strings.Contains(out, "built-in") {
			t.Fatalf("role list: %d\n%s", code, out)
		}
		code, out, _ = run(t, "", append([]string{"role", "show", "--name", "sales"}, storage...)...)
		if code != 0 || !strings.Contains(out, `"national_id": true`) {
			t.Fatalf("role show: %d\n%s", code, out)
		}
		file := filepath.Join(t.TempDir(), "role.json")
		os.WriteFile(file, []byte(`{"name":"night_desk","summary":"reads names at night","grants":{"customer":{"actions":{"read":"all"},"classes":{"identity":"read"}}}}`), 0o600)
		if code, out, errOut := run(t, "", append([]string{"role", "save", "--file", file}, storage...)...); code != 0 {
			t.Fatalf("role save: %d %s %s", code, out, errOut)
		}
		if code, _, errOut := run(t, "", append([]string{"role", "retire", "--name", "claims_clerk"}, storage...)...); code != 1 || !strings.Contains(errOut, "1 users hold") {
			t.Fatalf("retiring a held role: %d %q", code, errOut)
		}
		if code, out, _ := run(t, "", append([]string{"role", "copy", "--from", "night_desk", "--name", "day_desk"}, storage...)...); code != 0 || !strings.Contains(out, "day_desk") {
			t.Fatalf("role copy: %d %s", code, out)
		}
		if code, _, _ := run(t, "", append([]string{"role", "retire", "--name", "day_desk"}, storage...)...); code != 0 {
			t.Fatalf("role retire: %d", code)
		}
		log := string(s.Do(t, "GET", "/api/v1/audit?object_type=role", admin, nil).Body)
		for _, want := range []string{`"action":"role.create"`, `"action":"role.update"`, `"action":"role.retire"`, `before: `} {
			if !strings.Contains(log, want) {
				t.Errorf("the audit log lacks %s", want)
			}
		}
		aud := s.Do(t, "GET", "/api/v1/customers/"+list.JSON["items"].([]any)[0].(map[string]any)["id"].(string)+"/audience", admin, nil)
		if aud.Status != 200 || !strings.Contains(string(aud.Body), "clerk@example.com") || !strings.Contains(string(aud.Body), "sales1@example.com") {
			t.Fatalf("who can see the customer: %d %s", aud.Status, aud.Body)
		}
		if r := s.Do(t, "GET", "/api/v1/roles", admin, nil); r.Status != 200 || !strings.Contains(string(r.Body), `"retired":true`) {
			t.Fatalf("roles list: %d", r.Status)
		}
	})
}

// TestWebRoleEditor: an administrator copies a role in the web UI, changes
// one level, assigns it, and the holder's pages follow; the effective
// access page names the role.
func TestWebRoleEditor(t *testing.T) {
	testkit.ForEachDB(t, func(t *testing.T, db testkit.DB) {
		storage := storageArgs(t, db)
		addUser(t, storage, "admin@example.com", "admin")
		addUser(t, storage, "sales1@example.com", "sales")
		addUser(t, storage, "mkt@example.com", "marketing")
		s := start(t, storage)
		sales := s.Login(t, "sales1@example.com", password)
		if r := s.Do(t, "POST", "/api/v1/customers", sales, map[string]any{"name": "Gao Yan", "email": "gao@example.com"}); r.Status != 201 {
			t.Fatal(r.Status)
		}
		admin := newBrowser(t, s, "en")
		admin.login("admin@example.com", password)
		roles := admin.get("/admin/roles")
		if roles.status != 200 || !strings.Contains(roles.body, `href="/admin/roles/sales"`) {
			t.Fatalf("roles page: %d", roles.status)
		}
		p := admin.post("/admin/roles", url.Values{"csrf": {roles.csrf(t)}, "name": {"brand_team"}, "from": {"marketing"}})
		if p.status != http.StatusSeeOther || !strings.HasPrefix(p.location, "/admin/roles/brand_team") {
			t.Fatalf("copy: %d %s\n%s", p.status, p.location, p.body)
		}
		form := admin.get("/admin/roles/brand_team")
		if !strings.Contains(form.body, `name="c.customer.contact"`) {
			t.Fatalf("the role form:\n%s", form.body)
		}
		// Marketing sees contact masked; the copy sees it in full.
		values := formValues(form.body)
		values.Set("csrf", form.csrf(t))
		values.Set("c.customer.contact", "read")
		if p := admin.post("/admin/roles/brand_team", values); p.status != http.StatusSeeOther {
			t.Fatalf("save: %d\n%s", p.status, p.body)
		}
		ap := admin.get("/admin")
		if !strings.Contains(ap.body, `<option value="brand_team">brand_team</option>`) { // a defined role shows as named
			t.Fatal("the new role cannot be assigned on the admin page")
		}
		code, out, errOut := run(t, "", append([]string{"user", "set-role", "--email", "mkt@example.com", "--role", "brand_team"}, storage...)...)
		if code != 0 {
			t.Fatalf("set-role: %d %s %s", code, out, errOut)
		}
		mkt := newBrowser(t, s, "en")
		mkt.login("mkt@example.com", password)
		if list := mkt.get("/customers"); !strings.Contains(list.body, "gao@example.com") {
			t.Fatalf("the holder of the edited copy does not see the email in full:\n%s", list.body)
		}
		var users struct{ Users []struct{ ID, Email string } }
		json.Unmarshal(s.Do(t, "GET", "/api/v1/users", s.Login(t, "admin@example.com", password), nil).Body, &users)
		for _, u := range users.Users {
			if u.Email == "mkt@example.com" {
				if acc := admin.get("/admin/users/" + u.ID + "/access"); !strings.Contains(acc.body, `href="/admin/roles/brand_team"`) {
					t.Fatalf("effective access page:\n%s", acc.body)
				}
			}
		}
		if p := admin.get("/admin/roles/sales"); strings.Contains(p.body, `id="role-save"`) {
			t.Fatal("a built-in role can be edited")
		}
		roles = admin.get("/admin/roles")
		if p := admin.post("/admin/role-templates/auction_house", url.Values{"csrf": {roles.csrf(t)}}); p.status != http.StatusSeeOther {
			t.Fatalf("apply a template: %d\n%s", p.status, p.body)
		}
		if p := admin.get("/admin/roles"); !strings.Contains(p.body, `href="/admin/roles/auction_specialist"`) {
			t.Fatal("the template's roles are not listed")
		}
		if code, out, errOut := run(t, "", append([]string{"role", "template", "--name", "field_sales"}, storage...)...); code != 0 || !strings.Contains(out, "role store_rep defined") {
			t.Fatalf("role template: %d %s %s", code, out, errOut)
		}
	})
}

var selectRE = regexp.MustCompile(`(?s)<select id="[^"]+" name="([^"]+)"[^>]*>(.*?)</select>`)
var selectedRE = regexp.MustCompile(`<option value="([^"]*)" selected>`)
var checkedRE = regexp.MustCompile(`<input type="checkbox" id="[^"]+" name="([^"]+)" value="1" checked`)
var summaryRE = regexp.MustCompile(`id="summary" name="summary" value="([^"]*)"`)

// formValues reads the role form's current choices, as a browser would send them.
func formValues(body string) url.Values {
	v := url.Values{}
	for _, m := range selectRE.FindAllStringSubmatch(body, -1) {
		if s := selectedRE.FindStringSubmatch(m[2]); s != nil {
			v.Set(m[1], s[1])
		}
	}
	for _, m := range checkedRE.FindAllStringSubmatch(body, -1) {
		v.Set(m[1], "1")
	}
	if m := summaryRE.FindStringSubmatch(body); m != nil {
		v.Set("summary", html.UnescapeString(m[1]))
	}
	return v
}

// TestRoleNetworksOverHTTP: limiting a role to other address ranges
// refuses its holders' requests from here (loopback) at once.
func TestRoleNetworksOverHTTP(t *testing.T) {
	testkit.ForEachDB(t, func(t *testing.T, db testkit.DB) {
		storage := storageArgs(t, db)
		addUser(t, storage, "admin@example.com", "admin")
		addUser(t, storage, "sales1@example.com", "sales")
		s := start(t, storage)
		admin := s.Login(t, "admin@example.com", password)
		sales := s.Login(t, "sales1@example.com", password)
		if r := s.Do(t, "PUT", "/api/v1/roles/admin/networks", admin, map[string]any{"networks": []string{"10.0.0.0/8"}}); r.Status != 400 || !strings.Contains(r.Str("detail"), "lock yourself out") {
			t.Fatalf("an admin excluding their own address: %d %s", r.Status, r.Body)
		}
		if r := s.Do(t, "PUT", "/api/v1/roles/sales/networks", admin, map[string]any{"networks": []string{"10.0.0.0/8", "192.168.0.1"}}); r.Status != 200 || !strings.Contains(string(r.Body), "192.168.0.1/32") {
			t.Fatalf("limit sales: %d %s", r.Status, r.Body)
		}
		if r := s.Do(t, "GET", "/api/v1/customers", sales, nil); r.Status != 403 || !strings.Contains(r.Str("detail"), "network address") {
			t.Fatalf("a salesperson from outside the ranges: %d %s", r.Status, r.Body)
		}
		if r := s.Do(t, "POST", "/api/v1/sessions", "", map[string]string{"email": "sales1@example.com", "password": password}); r.Status != 401 {
			t.Fatalf("login from outside the ranges: %d %s", r.Status, r.Body)
		}
		if p := newBrowserAs(t, s, "admin@example.com").get("/admin/roles/sales"); !strings.Contains(p.body, "10.0.0.0/8") {
			t.Fatalf("the role page does not show the ranges")
		}
		if code, out, errOut := run(t, "", append([]string{"role", "networks", "--name", "sales", "--set", ""}, storage...)...); code != 0 || !strings.Contains(out, "anywhere") {
			t.Fatalf("lift the limit: %d %s %s", code, out, errOut)
		}
		if r := s.Do(t, "GET", "/api/v1/customers", sales, nil); r.Status != 200 {
			t.Fatalf("after lifting the limit: %d %s", r.Status, r.Body)
		}
		if log := string(s.Do(t, "GET", "/api/v1/audit?object_type=user&limit=1000", admin, nil).Body); !strings.Contains(log, "session.network") {
			t.Fatalf("refused requests are not audited: %s", log)
		}
	})
}

func newBrowserAs(t *testing.T, s *server, email string) *browser {
	b := newBrowser(t, s, "en")
	b.login(email, password)
	return b
}

// TestApprovalsOverHTTP: the maker-checker API on both engines.
func TestApprovalsOverHTTP(t *testing.T) {
	testkit.ForEachDB(t, func(t *testing.T, db testkit.DB) {
		storage := storageArgs(t, db)
		file := filepath.Join(t.TempDir(), "role.json")
		os.WriteFile(file, []byte(`{"name":"case_worker","summary":"own clients; assessments with approval","grants":{"customer":{"actions":{"read":"own","reveal":"own"},"classes":{"identity":"read","special":"masked"},"reveal":{"assessment":true}}}}`), 0o600)
		if code, _, errOut := run(t, "", append([]string{"role", "save", "--file", file}, storage...)...); code != 0 {
			t.Fatal(errOut)
		}
		addUser(t, storage, "admin@example.com", "admin")
		addUser(t, storage, "worker@example.com", "case_worker")
		addUser(t, storage, "mgr@example.com", "manager")
		s := start(t, storage)
		admin, worker, mgr := s.Login(t, "admin@example.com", password), s.Login(t, "worker@example.com", password), s.Login(t, "mgr@example.com", password)
		me := s.Do(t, "GET", "/api/v1/me", worker, nil).Str("user_id")
		c := s.Do(t, "POST", "/api/v1/customers", admin, map[string]any{"name": "Client Zero", "assessment": "weekly sessions", "owner_id": me, "sensitive_consent": map[string]string{"channel": "paper"}})
		if c.Status != 201 {
			t.Fatalf("create: %d %s", c.Status, c.Body)
		}
		reveal := map[string]string{"field": "assessment", "reason": "the client asked for a copy"}
		if r := s.Do(t, "POST", "/api/v1/customers/"+c.Str("id")+"/reveal", worker, reveal); r.Status != 403 || !strings.HasSuffix(r.Str("type"), "/approval_required") {
			t.Fatalf("reveal without approval: %d %s", r.Status, r.Body)
		}
		req := s.Do(t, "POST", "/api/v1/access-requests", worker, map[string]string{"customer_id": c.Str("id"), "field": "assessment", "reason": "the client asked for a copy"})
		if req.Status != 201 || req.Str("status") != "pending" {
			t.Fatalf("request: %d %s", req.Status, req.Body)
		}
		if r := s.Do(t, "POST", "/api/v1/access-requests/"+req.Str("id")+"/approve", worker, nil); r.Status != 403 {
			t.Fatalf("self-approval: %d", r.Status)
		}
		if r := s.Do(t, "POST", "/api/v1/access-requests/"+req.Str("id")+"/approve", mgr, nil); r.Status != 403 {
			t.Fatalf("a manager approved while the default rule names admins: %d %s", r.Status, r.Body)
		}
		if r := s.Do(t, "POST", "/api/v1/access-requests/"+req.Str("id")+"/approve", admin, nil); r.Status != 200 || r.Str("status") != "approved" {
			t.Fatalf("approve: %d %s", r.Status, r.Body)
		}
		if r := s.Do(t, "POST", "/api/v1/customers/"+c.Str("id")+"/reveal", worker, reveal); r.Status != 200 || !strings.Contains(string(r.Body), "weekly sessions") {
			t.Fatalf("reveal with approval: %d %s", r.Status, r.Body)
		}
		if r := s.Do(t, "POST", "/api/v1/customers/"+c.Str("id")+"/reveal", worker, reveal); r.Status != 403 {
			t.Fatalf("the approval worked twice: %d", r.Status)
		}
		if r := s.Do(t, "PUT", "/api/v1/approval-rules/reveal_special", admin, map[string]any{"levels": [][]string{{"nobody_role"}}}); r.Status != 400 {
			t.Fatalf("a rule naming an unknown role: %d", r.Status)
		}
		if r := s.Do(t, "GET", "/api/v1/approval-rules", admin, nil); r.Status != 200 || !strings.Contains(string(r.Body), `"reveal_special":[["admin"]]`) {
			t.Fatalf("rules: %d %s", r.Status, r.Body)
		}
		if r := s.Do(t, "POST", "/api/v1/customers/"+c.Str("id")+"/break-glass", mgr, map[string]string{"reason": "a long enough reason for emergency access"}); r.Status != 403 {
			t.Fatalf("break-glass by a role not designated: %d %s", r.Status, r.Body)
		}
	})
}

// TestAccessReviewOverHTTP: start a campaign, a team manager confirms
// their report in the web UI, an admin revokes another, signs off, and the
// report downloads with the hash the audit log holds.
func TestAccessReviewOverHTTP(t *testing.T) {
	testkit.ForEachDB(t, func(t *testing.T, db testkit.DB) {
		storage := storageArgs(t, db)
		addUser(t, storage, "admin@example.com", "admin")
		addUserInTeam(t, storage, "boss@example.com", "manager", "north")
		addUserInTeam(t, storage, "rep@example.com", "sales", "north")
		addUser(t, storage, "loner@example.com", "support")
		s := start(t, storage)
		admin := s.Login(t, "admin@example.com", password)
		rev := s.Do(t, "POST", "/api/v1/access-reviews", admin, nil)
		if rev.Status != 201 {
			t.Fatalf("start: %d %s", rev.Status, rev.Body)
		}
		id := rev.Str("id")
		var full struct {
			Items []struct {
				UserID string `json:"user_id"`
				Email  string
			}
		}
		json.Unmarshal(rev.Body, &full)
		ids := map[string]string{}
		for _, it := range full.Items {
			ids[it.Email] = it.UserID
		}
		if len(ids) != 4 {
			t.Fatalf("items: %s", rev.Body)
		}
		boss := newBrowserAs(t, s, "boss@example.com")
		page := boss.get("/reviews/" + id)
		if !strings.Contains(page.body, `id="confirm-`+ids["rep@example.com"]+`"`) || strings.Contains(page.body, "loner@example.com") {
			t.Fatalf("the manager's review page:\n%s", page.body)
		}
		if p := boss.post("/reviews/"+id+"/items/"+ids["rep@example.com"], url.Values{"csrf": {page.csrf(t)}, "decision": {"confirm"}}); p.status != http.StatusSeeOther {
			t.Fatalf("confirm: %d\n%s", p.status, p.body)
		}
		if r := s.Do(t, "POST", "/api/v1/access-reviews/"+id+"/sign-off", admin, nil); r.Status != 409 {
			t.Fatalf("sign-off with items pending: %d", r.Status)
		}
		if r := s.Do(t, "POST", "/api/v1/access-reviews/"+id+"/items/"+ids["loner@example.com"]+"/revoke", admin, nil); r.Status != 200 {
			t.Fatalf("revoke: %d %s", r.Status, r.Body)
		}
		if r := s.Do(t, "POST", "/api/v1/sessions", "", map[string]string{"email": "loner@example.com", "password": password}); r.Status != 401 {
			t.Fatalf("a revoked user logs in: %d", r.Status)
		}
		if r := s.Do(t, "POST", "/api/v1/access-reviews/"+id+"/items/"+ids["admin@example.com"]+"/confirm", admin, nil); r.Status != 403 {
			t.Fatalf("an admin confirmed themselves: %d", r.Status)
		}
		addUser(t, storage, "second.admin@example.com", "admin") // joined after the review began
		admin2 := s.Login(t, "second.admin@example.com", password)
		for _, who := range []string{"admin@example.com", "boss@example.com"} {
			if r := s.Do(t, "POST", "/api/v1/access-reviews/"+id+"/items/"+ids[who]+"/confirm", admin2, nil); r.Status != 200 {
				t.Fatalf("confirm %s: %d %s", who, r.Status, r.Body)
			}
		}
		signed := s.Do(t, "POST", "/api/v1/access-reviews/"+id+"/sign-off", admin, nil)
		if signed.Status != 200 || signed.Str("report_sha256") == "" {
			t.Fatalf("sign-off: %d %s", signed.Status, signed.Body)
		}
		report := s.Do(t, "GET", "/api/v1/access-reviews/"+id+"/report", admin, nil)
		sum := sha256.Sum256(report.Body)
		if report.Status != 200 || hex.EncodeToString(sum[:]) != signed.Str("report_sha256") || report.Header.Get("X-Report-SHA256") != signed.Str("report_sha256") {
			t.Fatalf("report: %d, header %s, body hash %x, signed %s", report.Status, report.Header.Get("X-Report-SHA256"), sum, signed.Str("report_sha256"))
		}
	})
}

// TestSeveralRolesOverHTTP: roles given as a list through the API; two-step
// login required for one of them binds the user; the admin page shows both.
func TestSeveralRolesOverHTTP(t *testing.T) {
	testkit.ForEachDB(t, func(t *testing.T, db testkit.DB) {
		storage := storageArgs(t, db)
		addUser(t, storage, "admin@example.com", "admin")
		addUser(t, storage, "dual@example.com", "sales")
		s := start(t, storage)
		admin := s.Login(t, "admin@example.com", password)
		dual := s.Login(t, "dual@example.com", password)
		me := s.Do(t, "GET", "/api/v1/me", dual, nil).Str("user_id")
		if r := s.Do(t, "PATCH", "/api/v1/users/"+me, admin, map[string]string{"role": "sales,auditor"}); r.Status != 200 || r.Str("role") != "auditor,sales" {
			t.Fatalf("set two roles: %d %s", r.Status, r.Body)
		}
		if r := s.Do(t, "GET", "/api/v1/audit?limit=1", dual, nil); r.Status != 200 {
			t.Fatalf("the auditor half: %d", r.Status)
		}
		if r := s.Do(t, "GET", "/api/v1/customers", dual, nil); r.Status != 200 {
			t.Fatalf("the sales half: %d", r.Status)
		}
		if r := s.Do(t, "PUT", "/api/v1/mfa/required-roles", admin, map[string]any{"roles": []string{"auditor"}}); r.Status != 200 && r.Status != 204 {
			t.Fatalf("require two-step for auditors: %d %s", r.Status, r.Body)
		}
		if r := s.Do(t, "GET", "/api/v1/customers", dual, nil); r.Status != 403 || !strings.Contains(r.Str("detail"), "two-step") {
			t.Fatalf("a holder of a role that must use two-step login: %d %s", r.Status, r.Body)
		}
		page := newBrowserAs(t, s, "admin@example.com").get("/admin")
		sel := regexp.MustCompile(`(?s)<details class="roles-pick" id="roles-` + me + `">.*?</details>`).FindString(page.body)
		if !strings.Contains(sel, `value="auditor" checked`) || !strings.Contains(sel, `value="sales" checked`) {
			t.Fatalf("the admin page does not show both roles selected: %s", sel)
		}
	})
}

// TestNestedTeamsOverHTTP: nesting a team (web form, then CLI) widens its
// upper team's managers' reach at once.
func TestNestedTeamsOverHTTP(t *testing.T) {
	testkit.ForEachDB(t, func(t *testing.T, db testkit.DB) {
		storage := storageArgs(t, db)
		addUser(t, storage, "admin@example.com", "admin")
		addUserInTeam(t, storage, "boss@example.com", "manager", "north")
		addUserInTeam(t, storage, "ne@example.com", "sales", "north-east")
		s := start(t, storage)
		if r := s.Do(t, "POST", "/api/v1/customers", s.Login(t, "ne@example.com", password), map[string]any{"name": "North East Client"}); r.Status != 201 {
			t.Fatal(r.Status)
		}
		boss := s.Login(t, "boss@example.com", password)
		seen := func() bool {
			return strings.Contains(string(s.Do(t, "GET", "/api/v1/customers", boss, nil).Body), "North East Client")
		}
		if seen() {
			t.Fatal("the manager sees another team's customer before nesting")
		}
		admin := newBrowserAs(t, s, "admin@example.com")
		page := admin.get("/admin")
		if p := admin.post("/admin/teams", url.Values{"csrf": {page.csrf(t)}, "team": {"north-east"}, "parent": {"north"}}); p.status != http.StatusSeeOther {
			t.Fatalf("nest: %d\n%s", p.status, p.body)
		}
		if !seen() {
			t.Fatal("after nesting the manager's open session does not see the sub-team's customer")
		}
		if code, out, errOut := run(t, "", append([]string{"team", "nest", "--team", "north", "--parent", "north-east"}, storage...)...); code != 1 || !strings.Contains(errOut, "below itself") {
			t.Fatalf("a cycle from the CLI: %d %s %s", code, out, errOut)
		}
		if code, _, _ := run(t, "", append([]string{"team", "nest", "--team", "north-east", "--parent", ""}, storage...)...); code != 0 || seen() {
			t.Fatal("un-nesting did not narrow the manager's reach")
		}
	})
}
