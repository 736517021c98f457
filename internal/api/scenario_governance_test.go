package api_test

import (
	"context"
	"encoding/json"
	"net/http"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"filippo.io/age"

	"strongroom.dev/strongroom/internal/authz"
	"strongroom.dev/strongroom/internal/backup"
	"strongroom.dev/strongroom/internal/checkpoint"
	"strongroom.dev/strongroom/internal/detect"
	"strongroom.dev/strongroom/internal/service/governance"
)

// Governance: users, teams, roles, approvals, break-glass, access
// reviews, the audit log and the security policy.

// attachBackups makes the service's backups real, as serve does: a
// runner backing up the fixture's database to a directory daily, signed
// with an audit key and encrypted to a drill identity.
func attachBackups(t *testing.T, r *runner) {
	signer, _, err := checkpoint.LoadOrCreateKey(filepath.Join(t.TempDir(), "audit.key"), "test/strongroom/audit")
	if err != nil {
		t.Fatal(err)
	}
	id, _, err := backup.LoadOrCreateIdentity(filepath.Join(t.TempDir(), "drill.key"))
	if err != nil {
		t.Fatal(err)
	}
	spec, err := backup.ParseSpec(t.TempDir()+"?every=24h&keep=7,4,12", func(string) string { return "" })
	if err != nil {
		t.Fatal(err)
	}
	runner := &backup.Runner{
		Maker:   &backup.Maker{DB: r.env.Store, Signer: signer, Recipients: []string{id.Recipient().String()}, Host: "test"},
		Targets: []backup.Spec{spec}, DrillEvery: 7 * 24 * time.Hour,
		Drill: backup.Drill{Identities: []age.Identity{id}, VerifierKey: signer.VerifierKey(), Scratch: t.TempDir()},
	}
	r.env.Service.Backups.Attach(&backup.Driver{Ctx: context.Background(), Runner: runner})
}

// raiseAlert runs the detectors over the log so far, as serve does, with
// every failed login an alert, and keeps the first alert's id as {name}.
func raiseAlert(name string) func(t *testing.T, r *runner) {
	return func(t *testing.T, r *runner) {
		cfg := detect.Defaults()
		burst := cfg[detect.FailedLoginBurst]
		burst.Threshold = 1
		cfg[detect.FailedLoginBurst] = burst
		runner := &detect.Runner{DB: r.env.Store, Config: cfg}
		for {
			raised, more, err := runner.Step(context.Background())
			if err != nil {
				t.Fatal(err)
			}
			if len(raised) > 0 && r.vars[name] == "" {
				r.vars[name] = raised[0].ID
			}
			if !more {
				break
			}
		}
		if r.vars[name] == "" {
			t.Fatal("the detectors raised no alert")
		}
	}
}

// lastSeq keeps as {name} the seq of the last audit event of action.
func lastSeq(name, action string) func(t *testing.T, r *runner) {
	return func(t *testing.T, r *runner) {
		var seq int64
		for after := int64(0); ; {
			page, err := r.env.Service.AuditLog.Events(context.Background(), authz.System(), governance.AuditQuery{AfterSeq: after, Limit: 1000})
			if err != nil {
				t.Fatal(err)
			}
			for _, e := range page.Events {
				if e.Action == action {
					seq = e.Seq
				}
			}
			if after = page.NextAfter; after == 0 {
				break
			}
		}
		if seq == 0 {
			t.Fatalf("no %s event in the log", action)
		}
		r.vars[name] = strconv.FormatInt(seq, 10)
	}
}

// decideAll confirms every user still pending in the review kept as
// {name}, each by their reviewer, through the API.
func decideAll(name string) func(t *testing.T, r *runner) {
	return func(t *testing.T, r *runner) {
		byID := map[string]string{}
		for key, u := range r.users {
			byID[u.id] = key
		}
		var rev governance.Review
		b, _ := json.Marshal(r.do(t, "admin", "GET", "/api/v1/access-reviews/{"+name+"}", "", http.StatusOK))
		if err := json.Unmarshal(b, &rev); err != nil {
			t.Fatal(err)
		}
		for _, it := range rev.Items {
			if it.Decision != "pending" {
				continue
			}
			reviewer, ok := byID[it.ReviewerID]
			if !ok {
				t.Fatalf("%s reviews %s: no user of the fixture", it.ReviewerID, it.Email)
			}
			r.do(t, reviewer, "POST", "/api/v1/access-reviews/{"+name+"}/items/"+it.UserID+"/confirm", "", http.StatusOK)
		}
	}
}

// acceptPolicy accepts the current security policy as user key.
func acceptPolicy(key string) func(t *testing.T, r *runner) {
	return func(t *testing.T, r *runner) {
		r.do(t, key, "POST", "/api/v1/policy/accept", `{"version":{policy}}`, http.StatusNoContent)
	}
}

const clerkRole = `{"summary":"front desk","grants":{"customer":{"actions":{"read":"own"},"classes":{"identity":"read"}}}}`

var governanceScenarios = []scenario{
	// users
	{name: "users: admin lists", as: "admin", method: "GET", path: "/api/v1/users", status: 200, audit: []string{"user.list success"}, contains: []string{"{u.salesA}", "salesa@example.com"}},
	{name: "users: sales may not list", as: "salesA", method: "GET", path: "/api/v1/users", status: 403, audit: []string{"security.forbidden denied"}, absent: []string{"salesb@example.com"}},
	{name: "users: auditor may not list", as: "auditor", method: "GET", path: "/api/v1/users", status: 403, audit: []string{"security.forbidden denied"}},
	{name: "user access: admin", as: "admin", method: "GET", path: "/api/v1/users/{u.salesA}/access", status: 200, contains: []string{`"objects"`}},
	{name: "user access: sales may not", as: "salesA", method: "GET", path: "/api/v1/users/{u.salesB}/access", status: 403, audit: []string{"security.forbidden denied"}},
	{name: "user create: admin", as: "admin", method: "POST", path: "/api/v1/users", body: `{"email":"clerk@example.com","role":"support","team":"north","password":"` + newPassword + `"}`, status: 201, audit: []string{"user.create success"},
		contains: []string{"clerk@example.com"}, absent: []string{newPassword}, save: map[string]string{"clerk": "id"}},
	{name: "user create: needs a fresh proof", as: "admin", stale: true, method: "POST", path: "/api/v1/users", body: `{"email":"clerk2@example.com","role":"support","password":"` + newPassword + `"}`, status: 403},
	{name: "user create: sales may not", as: "salesA", method: "POST", path: "/api/v1/users", body: `{"email":"clerk2@example.com","role":"admin","password":"` + newPassword + `"}`, status: 403, audit: []string{"security.forbidden denied"}},
	{name: "user update: team needs a fresh proof", as: "admin", stale: true, method: "PATCH", path: "/api/v1/users/{u.target}", body: `{"team":"south"}`, status: 403},
	{name: "user update: role needs a fresh proof", as: "admin", stale: true, method: "PATCH", path: "/api/v1/users/{u.target}", body: `{"role":"support"}`, status: 403},
	{name: "user update: disable needs a fresh proof", as: "admin", stale: true, method: "PATCH", path: "/api/v1/users/{u.target}", body: `{"disabled":true}`, status: 403},
	{name: "invitation: needs a fresh proof", as: "admin", stale: true, method: "POST", path: "/api/v1/invitations", body: `{"email":"late.rep@example.com","role":"sales"}`, status: 403},
	{name: "password reset link: needs a fresh proof", as: "admin", stale: true, method: "POST", path: "/api/v1/users/{u.target}/password-reset", status: 403},
	{name: "mfa reset: needs a fresh proof", as: "admin", stale: true, method: "DELETE", path: "/api/v1/users/{u.target}/mfa", status: 403},
	{name: "mfa roles: setting needs a fresh proof", as: "admin", stale: true, method: "PUT", path: "/api/v1/mfa/required-roles", body: `{"roles":["admin"]}`, status: 403},
	{name: "role save: needs a fresh proof", as: "admin", stale: true, method: "PUT", path: "/api/v1/roles/clerk", body: clerkRole, status: 403},
	{name: "approval rule: needs a fresh proof", as: "admin", stale: true, method: "PUT", path: "/api/v1/approval-rules/role_edit", body: `{"levels":[["admin"]]}`, status: 403},
	{name: "break-glass roles: needs a fresh proof", as: "admin", stale: true, method: "PUT", path: "/api/v1/break-glass/roles", body: `{"roles":["manager"]}`, status: 403},
	{name: "sessions end: everyone's needs a fresh proof", as: "admin", stale: true, method: "DELETE", path: "/api/v1/sessions/all", status: 403},
	{name: "user update: team", as: "admin", method: "PATCH", path: "/api/v1/users/{u.target}", body: `{"team":"south"}`, status: 200, audit: []string{"user.team_change success"}, contains: []string{"south"}},
	{name: "user update: role", as: "admin", method: "PATCH", path: "/api/v1/users/{u.target}", body: `{"role":"support"}`, status: 200, audit: []string{"user.role_change success"}, contains: []string{"support"}},
	{name: "user update: disable", as: "admin", method: "PATCH", path: "/api/v1/users/{clerk}", body: `{"disabled":true}`, status: 204, audit: []string{"user.disable success"}},
	{name: "user update: own role", as: "admin", method: "PATCH", path: "/api/v1/users/{u.admin}", body: `{"role":"sales"}`, status: 403, audit: []string{"security.forbidden denied"}},
	{name: "user update: sales may not", as: "salesA", method: "PATCH", path: "/api/v1/users/{u.salesB}", body: `{"role":"admin"}`, status: 403, audit: []string{"security.forbidden denied"}},

	// teams
	{name: "teams: admin lists", as: "admin", method: "GET", path: "/api/v1/teams", status: 200, contains: []string{`"parents"`}},
	{name: "teams: sales may not list", as: "salesA", method: "GET", path: "/api/v1/teams", status: 403, audit: []string{"security.forbidden denied"}},
	{name: "team nest: admin", as: "admin", method: "PUT", path: "/api/v1/teams/east", body: `{"parent":"north"}`, status: 200, audit: []string{"team.nest success"}, contains: []string{`"east":"north"`}},
	{name: "team nest: sales may not", as: "salesA", method: "PUT", path: "/api/v1/teams/south", body: `{"parent":"north"}`, status: 403, audit: []string{"security.forbidden denied"}},

	// roles
	{name: "roles: admin lists", as: "admin", method: "GET", path: "/api/v1/roles", status: 200, contains: []string{`"sales"`, `"auditor"`}},
	{name: "roles: sales may not list", as: "salesA", method: "GET", path: "/api/v1/roles", status: 403, audit: []string{"security.forbidden denied"}},
	{name: "role: admin reads", as: "admin", method: "GET", path: "/api/v1/roles/sales", status: 200, contains: []string{"national_id"}},
	{name: "role: sales may not read", as: "salesA", method: "GET", path: "/api/v1/roles/sales", status: 403, audit: []string{"security.forbidden denied"}},
	{name: "role: unknown", as: "admin", method: "GET", path: "/api/v1/roles/nosuchrole", status: 404},
	{name: "role save: admin defines", as: "admin", method: "PUT", path: "/api/v1/roles/clerk", body: clerkRole, status: 200, audit: []string{"role.create success"}, contains: []string{"front desk"}},
	{name: "role save: sales may not", as: "salesA", method: "PUT", path: "/api/v1/roles/clerk", body: clerkRole, status: 403, audit: []string{"security.forbidden denied"}},
	{name: "role save: a built-in role", as: "admin", method: "PUT", path: "/api/v1/roles/sales", body: clerkRole, status: 400},
	{name: "role copy: admin", as: "admin", method: "POST", path: "/api/v1/roles/clerk/copy", body: `{"name":"clerk_two","summary":"second desk"}`, status: 201, audit: []string{"role.create success"}, contains: []string{"clerk_two"}},
	{name: "role copy: sales may not", as: "salesA", method: "POST", path: "/api/v1/roles/clerk/copy", body: `{"name":"clerk_three"}`, status: 403, audit: []string{"security.forbidden denied"}},
	{name: "role networks: admin sets", as: "admin", method: "PUT", path: "/api/v1/roles/clerk/networks", body: `{"networks":["10.0.0.0/8"]}`, status: 200, audit: []string{"role.networks success"}, contains: []string{"10.0.0.0/8"}},
	{name: "role networks: sales may not set", as: "salesA", method: "PUT", path: "/api/v1/roles/clerk/networks", body: `{"networks":[]}`, status: 403, audit: []string{"security.forbidden denied"}},
	{name: "role networks: admin reads", as: "admin", method: "GET", path: "/api/v1/roles/clerk/networks", status: 200, contains: []string{"10.0.0.0/8"}},
	{name: "role networks: sales may not read", as: "salesA", method: "GET", path: "/api/v1/roles/clerk/networks", status: 403, audit: []string{"security.forbidden denied"}},
	{name: "role retire: sales may not", as: "salesA", method: "DELETE", path: "/api/v1/roles/clerk_two", status: 403, audit: []string{"security.forbidden denied"}},
	{name: "role retire: admin", as: "admin", method: "DELETE", path: "/api/v1/roles/clerk_two", status: 204, audit: []string{"role.retire success"}},
	{name: "role templates: admin lists", as: "admin", method: "GET", path: "/api/v1/role-templates", status: 200, contains: []string{"auction_house"}},
	{name: "role templates: sales may not list", as: "salesA", method: "GET", path: "/api/v1/role-templates", status: 403, audit: []string{"security.forbidden denied"}},
	{name: "role template: admin applies", as: "admin", method: "POST", path: "/api/v1/role-templates/auction_house/apply", status: 200, audit: []string{"role.create success", "role.create success", "role.create success"}, contains: []string{"auction_specialist"}},
	{name: "role template: sales may not apply", as: "salesA", method: "POST", path: "/api/v1/role-templates/auction_house/apply", status: 403, audit: []string{"security.forbidden denied"}},

	// approvals
	{name: "approval rules: admin reads", as: "admin", method: "GET", path: "/api/v1/approval-rules", status: 200, contains: []string{`"levels"`}},
	{name: "approval rules: sales may not read", as: "salesA", method: "GET", path: "/api/v1/approval-rules", status: 403, audit: []string{"security.forbidden denied"}},
	{name: "approval rule: admin sets", as: "admin", method: "PUT", path: "/api/v1/approval-rules/customer_delete", body: `{"levels":[["admin"]]}`, status: 200, audit: []string{"approval.rule success"}, contains: []string{"customer_delete"}},
	{name: "approval rule: sales may not set", as: "salesA", method: "PUT", path: "/api/v1/approval-rules/customer_delete", body: `{"levels":[]}`, status: 403, audit: []string{"security.forbidden denied"}},
	{name: "customer delete: now needs an approval", as: "admin", method: "DELETE", path: "/api/v1/customers/{cusB}", status: 403, absent: []string{nameB}},
	{name: "access request: admin asks to delete", as: "admin", method: "POST", path: "/api/v1/access-requests", body: `{"kind":"customer_delete","customer_id":"{cusB}","reason":"a duplicate of another record"}`, status: 201, audit: []string{"access.request success"},
		save: map[string]string{"acr": "id"}, absent: []string{nameB}},
	{name: "access request: out of scope", as: "salesA", method: "POST", path: "/api/v1/access-requests", body: `{"kind":"customer_delete","customer_id":"{cusB}","reason":"a duplicate of another record"}`, status: 404, audit: []string{"access.request denied"}},
	{name: "access requests: the other admin sees it", as: "admin2", method: "GET", path: "/api/v1/access-requests", status: 200, audit: []string{"approvals.list success"}, contains: []string{"{acr}"}},
	{name: "access requests: sales sees none of it", as: "salesA", method: "GET", path: "/api/v1/access-requests", status: 200, audit: []string{"approvals.list success"}, absent: []string{"{acr}"}},
	{name: "access requests: without a session", method: "GET", path: "/api/v1/access-requests", status: 401},
	{name: "access request: the requester may not approve", as: "admin", method: "POST", path: "/api/v1/access-requests/{acr}/approve", status: 403, audit: []string{"security.forbidden denied"}},
	{name: "access request: sales may not approve", as: "salesA", method: "POST", path: "/api/v1/access-requests/{acr}/approve", status: 403, audit: []string{"security.forbidden denied"}},
	{name: "access request: approved", as: "admin2", method: "POST", path: "/api/v1/access-requests/{acr}/approve", status: 200, audit: []string{"access.approve success"}, contains: []string{"approved"}},
	{name: "customer delete: with the approval", as: "admin", method: "DELETE", path: "/api/v1/customers/{cusB}", status: 204, audit: []string{"customer.delete success"}},
	{name: "access request: a second one", as: "admin", method: "POST", path: "/api/v1/access-requests", body: `{"kind":"customer_delete","customer_id":"{cusC}","reason":"client asked to be forgotten"}`, status: 201, audit: []string{"access.request success"},
		save: map[string]string{"acr2": "id"}},
	{name: "access request: sales may not reject", as: "salesA", method: "POST", path: "/api/v1/access-requests/{acr2}/reject", status: 403, audit: []string{"security.forbidden denied"}},
	{name: "access request: rejected", as: "admin2", method: "POST", path: "/api/v1/access-requests/{acr2}/reject", status: 200, audit: []string{"access.reject success"}, contains: []string{"rejected"}},

	// break-glass
	{name: "break-glass roles: sales may not set", as: "salesA", method: "PUT", path: "/api/v1/break-glass/roles", body: `{"roles":["sales"]}`, status: 403, audit: []string{"security.forbidden denied"}},
	{name: "break-glass roles: admin sets", as: "admin", method: "PUT", path: "/api/v1/break-glass/roles", body: `{"roles":["support"]}`, status: 200, audit: []string{"breakglass.roles success"}, contains: []string{"support"}},
	{name: "break-glass: a role not designated", as: "salesB", method: "POST", path: "/api/v1/customers/{cusA}/break-glass", body: `{"reason":"the owner is away and the client is waiting"}`, status: 403, audit: []string{"breakglass.open denied"}},
	{name: "break-glass: support may not read another team's customer", as: "support", method: "GET", path: "/api/v1/customers/{cusMoved}", status: 404, audit: []string{"customer.read denied"}, absent: []string{nameMoved}},
	{name: "break-glass: support opens another team's customer", as: "support", method: "POST", path: "/api/v1/customers/{cusMoved}/break-glass", body: `{"reason":"the owner is away and the client is waiting"}`, status: 201, audit: []string{"breakglass.open success"}},

	{name: "break-glass: support reads the opened customer", as: "support", method: "GET", path: "/api/v1/customers/{cusMoved}", status: 200, audit: []string{"customer.read success"}, contains: []string{nameMoved}},
	{name: "company: a deleted customer is gone from it", as: "admin", method: "GET", path: "/api/v1/companies/{coA}", status: 200, audit: []string{"company.read success", "customer.read success"}, contains: []string{"{cusA}"}, absent: []string{"{cusB}", nameB, emailB}},

	// a role kept to networks the caller is not in
	{name: "role networks: a session from before", as: "newcomer", session: "nc", method: "GET", path: "/api/v1/me", status: 200},
	{name: "role networks: a user given the kept role", as: "admin", method: "PATCH", path: "/api/v1/users/{u.newcomer}", body: `{"role":"clerk"}`, status: 200, audit: []string{"user.role_change success"}},
	{name: "role networks: the session is refused outside them", session: "nc", method: "GET", path: "/api/v1/customers", status: 403, audit: []string{"session.network denied"}},
	{name: "role networks: a login outside them answers as a wrong password", method: "POST", path: "/api/v1/sessions", body: `{"email":"newcomer@example.com","password":"` + password + `"}`, status: 401, audit: []string{"session.create failure"}},

	// access reviews
	{name: "access reviews: sales may not start", as: "salesA", method: "POST", path: "/api/v1/access-reviews", status: 403, audit: []string{"security.forbidden denied"}},
	{name: "access reviews: admin starts", as: "admin", method: "POST", path: "/api/v1/access-reviews", status: 201, audit: []string{"review.start success", "review.read success"}, save: map[string]string{"rev": "id"}},
	{name: "access reviews: admin lists", as: "admin", method: "GET", path: "/api/v1/access-reviews", status: 200, contains: []string{"{rev}"}},
	{name: "access reviews: sales sees none", as: "salesA", method: "GET", path: "/api/v1/access-reviews", status: 200, absent: []string{"{rev}"}},
	{name: "access reviews: auditor reads them", as: "auditor", method: "GET", path: "/api/v1/access-reviews", status: 200, contains: []string{"{rev}"}},
	{name: "access reviews: without a session", method: "GET", path: "/api/v1/access-reviews", status: 401},
	{name: "access review: admin reads", as: "admin", method: "GET", path: "/api/v1/access-reviews/{rev}", status: 200, audit: []string{"review.read success"}, contains: []string{"{u.salesA}"}},
	{name: "access review: sales may not read", as: "salesA", method: "GET", path: "/api/v1/access-reviews/{rev}", status: 404, absent: []string{"{u.salesB}"}},
	{name: "access review: confirm a user", as: "admin", method: "POST", path: "/api/v1/access-reviews/{rev}/items/{u.salesA}/confirm", status: 200, audit: []string{"review.confirm success", "review.read success"}},
	{name: "access review: sales may not confirm", as: "salesA", method: "POST", path: "/api/v1/access-reviews/{rev}/items/{u.salesB}/confirm", status: 403, audit: []string{"security.forbidden denied"}},
	{name: "access review: revoke a user", as: "admin", method: "POST", path: "/api/v1/access-reviews/{rev}/items/{u.target}/revoke", status: 200, audit: []string{"user.disable success", "review.revoke success", "review.read success"}},
	{name: "access review: sales may not revoke", as: "salesA", method: "POST", path: "/api/v1/access-reviews/{rev}/items/{u.salesB}/revoke", status: 403, audit: []string{"security.forbidden denied"}},
	{name: "access review: sales may not sign off", as: "salesA", method: "POST", path: "/api/v1/access-reviews/{rev}/sign-off", status: 403, audit: []string{"security.forbidden denied"}},
	{name: "access review: not every user decided yet", as: "admin", method: "POST", path: "/api/v1/access-reviews/{rev}/sign-off", status: 409},
	{name: "access review: report before the sign-off", as: "admin", method: "GET", path: "/api/v1/access-reviews/{rev}/report", status: 409},
	{name: "access review: admin signs off", as: "admin", before: decideAll("rev"), method: "POST", path: "/api/v1/access-reviews/{rev}/sign-off", status: 200, audit: []string{"review.signoff success", "review.read success"}},
	{name: "access review: report", as: "admin", method: "GET", path: "/api/v1/access-reviews/{rev}/report", status: 200, audit: []string{"review.report success"}},
	{name: "access review: sales may not read the report", as: "salesA", method: "GET", path: "/api/v1/access-reviews/{rev}/report", status: 403, audit: []string{"security.forbidden denied"}},

	// the audit log
	{name: "audit: auditor reads", as: "auditor", method: "GET", path: "/api/v1/audit?limit=5", status: 200, audit: []string{"audit.read success"}, contains: []string{`"items"`}},
	{name: "audit: no personal data in the whole log", as: "auditor", method: "GET", path: "/api/v1/audit?limit=1000", status: 200, audit: []string{"audit.read success"}, absent: personalData},
	{name: "audit: sales may not read", as: "salesA", method: "GET", path: "/api/v1/audit", status: 403, audit: []string{"security.forbidden denied"}},
	{name: "audit: a limit out of range", as: "auditor", method: "GET", path: "/api/v1/audit?limit=5000", status: 400},
	{name: "audit reason: auditor opens a reveal's", as: "auditor", before: lastSeq("revealSeq", "customer.reveal"), method: "GET", path: "/api/v1/audit/{revealSeq}/reason", status: 200, audit: []string{"audit.reason_read success"},
		contains: []string{"matching a bank transfer"}},
	// the audit log's filters and details (issue 16)
	{name: "audit: by action, newest first", as: "auditor", method: "GET", path: "/api/v1/audit?action=customer.reveal&order=newest", status: 200, audit: []string{"audit.read success"},
		contains: []string{`"action":"customer.reveal"`}, absent: []string{`"action":"customer.create"`, `"action":"audit.read"`}},
	{name: "audit: by outcome", as: "auditor", method: "GET", path: "/api/v1/audit?outcome=denied&order=newest&limit=1000", status: 200, audit: []string{"audit.read success"},
		contains: []string{`"outcome":"denied"`}, absent: []string{`"outcome":"success"`, `"outcome":"failure"`}},
	{name: "audit: an unknown outcome", as: "auditor", method: "GET", path: "/api/v1/audit?outcome=maybe", status: 400},
	{name: "audit: an unknown order", as: "auditor", method: "GET", path: "/api/v1/audit?order=sideways", status: 400},
	{name: "audit: after and before at once", as: "auditor", method: "GET", path: "/api/v1/audit?after=1&before=9", status: 400},
	{name: "audit event: auditor opens one", as: "auditor", method: "GET", path: "/api/v1/audit/{revealSeq}", status: 200, audit: []string{"audit.read success"},
		contains: []string{`"action":"customer.reveal"`, `"in_checkpoint"`, `"prev_hash"`}},
	{name: "audit event: sales may not", as: "salesA", method: "GET", path: "/api/v1/audit/{revealSeq}", status: 403, audit: []string{"security.forbidden denied"}},
	{name: "audit event: none such", as: "auditor", method: "GET", path: "/api/v1/audit/99999999", status: 404},
	{name: "alerts: admin lists them", as: "admin", before: raiseAlert("alert"), method: "GET", path: "/api/v1/alerts?status=open", status: 200, audit: []string{"alert.list success"},
		contains: []string{"{alert}", `"failed_login_burst"`}, absent: personalData},
	{name: "alerts: auditor lists them", as: "auditor", method: "GET", path: "/api/v1/alerts", status: 200, audit: []string{"alert.list success"}, contains: []string{"{alert}"}},
	{name: "alerts: sales may not", as: "salesA", method: "GET", path: "/api/v1/alerts", status: 403, audit: []string{"security.forbidden denied"}},
	{name: "alerts: an unknown status", as: "admin", method: "GET", path: "/api/v1/alerts?status=solved", status: 400},
	{name: "alert: admin acknowledges", as: "admin", method: "PATCH", path: "/api/v1/alerts/{alert}", body: `{"status":"acknowledged"}`, status: 200, audit: []string{"alert.acknowledged success"},
		contains: []string{`"status":"acknowledged"`}},
	{name: "alert: the auditor may not change it", as: "auditor", method: "PATCH", path: "/api/v1/alerts/{alert}", body: `{"status":"closed"}`, status: 403, audit: []string{"security.forbidden denied"}},
	{name: "alert: an unknown status", as: "admin", method: "PATCH", path: "/api/v1/alerts/{alert}", body: `{"status":"solved"}`, status: 400},
	{name: "alert: unknown id", as: "admin", method: "PATCH", path: "/api/v1/alerts/alr_00000000000000000000000000000000", body: `{"status":"closed"}`, status: 404},
	{name: "backups: a server that runs none", as: "admin", method: "POST", path: "/api/v1/backups", body: `{"kind":"backup"}`, status: 409},
	{name: "backups: admin lists them", as: "admin", before: attachBackups, method: "GET", path: "/api/v1/backups", status: 200, audit: []string{"backup.list success"},
		contains: []string{`"targets"`, `"every":"24h"`, `"keep":{"daily":7,"weekly":4,"monthly":12}`}},
	{name: "backups: admin backs up now", as: "admin", method: "POST", path: "/api/v1/backups", body: `{"kind":"backup"}`, status: 200,
		audit: []string{"backup.request success", "backup.run success"}, contains: []string{`"status":"done"`, `"ok":true`}},
	{name: "backups: admin drills now", as: "admin", method: "POST", path: "/api/v1/backups", body: `{"kind":"drill"}`, status: 200,
		audit: []string{"backup.request success", "backup.drill success"}, contains: []string{`"kind":"drill"`, `"ok":true`, `"rto_seconds"`, "audit log verified"}, absent: personalData},
	{name: "backups: the auditor sees the history", as: "auditor", method: "GET", path: "/api/v1/backups", status: 200, audit: []string{"backup.list success"},
		contains: []string{`"last_drill"`, `"rpo_seconds"`}},
	{name: "backups: the auditor may not start one", as: "auditor", method: "POST", path: "/api/v1/backups", body: `{"kind":"backup"}`, status: 403, audit: []string{"security.forbidden denied"}},
	{name: "backups: sales may not read them", as: "salesA", method: "GET", path: "/api/v1/backups", status: 403, audit: []string{"security.forbidden denied"}},
	{name: "backups: an unknown kind", as: "admin", method: "POST", path: "/api/v1/backups", body: `{"kind":"restore"}`, status: 400},
	{name: "blocks: admin blocks a network", as: "admin", method: "POST", path: "/api/v1/blocks", body: `{"network":"198.51.100.0/24","minutes":30,"reason":"spraying"}`, status: 201, audit: []string{"network.block success"},
		contains: []string{`"198.51.100.0/24"`}},
	{name: "blocks: not wider than a /8", as: "admin", method: "POST", path: "/api/v1/blocks", body: `{"network":"10.0.0.0/4","minutes":30}`, status: 400},
	{name: "blocks: sales may not", as: "salesA", method: "POST", path: "/api/v1/blocks", body: `{"network":"198.51.100.7","minutes":30}`, status: 403, audit: []string{"security.forbidden denied"}},
	{name: "blocks: auditor lists them", as: "auditor", method: "GET", path: "/api/v1/blocks", status: 200, contains: []string{`"198.51.100.0/24"`, "spraying"}},
	{name: "blocks: sales may not list them", as: "salesA", method: "GET", path: "/api/v1/blocks", status: 403, audit: []string{"security.forbidden denied"}},
	{name: "blocks: admin lifts it", as: "admin", method: "DELETE", path: "/api/v1/blocks?network=198.51.100.0/24", status: 204, audit: []string{"network.unblock success"}},
	{name: "blocks: lifting one not blocked", as: "admin", method: "DELETE", path: "/api/v1/blocks?network=198.51.100.0/24", status: 404},
	{name: "live sessions: admin watches", as: "admin", method: "GET", path: "/api/v1/sessions/active", status: 200, audit: []string{"session.list_active success"},
		contains: []string{`"items"`, `"recent"`, "{u.admin}"}},
	{name: "live sessions: sales may not", as: "salesA", method: "GET", path: "/api/v1/sessions/active", status: 403, audit: []string{"security.forbidden denied"}},

	{name: "audit reason: sales may not", as: "salesA", method: "GET", path: "/api/v1/audit/{revealSeq}/reason", status: 403, audit: []string{"security.forbidden denied"}, absent: []string{"matching a bank transfer"}},

	{name: "login: a user revoked by the review", method: "POST", path: "/api/v1/sessions", body: `{"email":"target@example.com","password":"` + password + `"}`, status: 401, audit: []string{"session.create failure"}},

	// the security policy, last: once published, everyone owes its acceptance
	{name: "policy: none yet", as: "salesA", method: "GET", path: "/api/v1/policy", status: 404},
	{name: "policy: sales may not publish", as: "salesA", method: "PUT", path: "/api/v1/policy", body: `{"text_en":"Lock your screen.","text_zh":"锁定屏幕。"}`, status: 403, audit: []string{"security.forbidden denied"}},
	{name: "policy: admin publishes", as: "admin", method: "PUT", path: "/api/v1/policy", body: `{"text_en":"Lock your screen.","text_zh":"锁定屏幕。"}`, status: 201, audit: []string{"policy.publish success"},
		save: map[string]string{"policy": "version"}},
	{name: "policy: owed before anything else", as: "salesA", method: "GET", path: "/api/v1/customers", status: 403, audit: []string{"security.forbidden denied"}, absent: []string{nameA}},
	{name: "policy: read", as: "salesA", method: "GET", path: "/api/v1/policy", status: 200, contains: []string{"Lock your screen.", `"accepted":false`}},
	{name: "policy: accept another version", as: "salesA", method: "POST", path: "/api/v1/policy/accept", body: `{"version":99}`, status: 400},
	{name: "policy: accept", as: "salesA", method: "POST", path: "/api/v1/policy/accept", body: `{"version":{policy}}`, status: 204, audit: []string{"policy.accept success"}},
	{name: "policy: accepted, the customers again", as: "salesA", method: "GET", path: "/api/v1/customers", status: 200, audit: []string{"customer.read success", "customer.read success"}, contains: []string{nameA}},
	{name: "policy: admin lists acceptances", as: "admin", before: acceptPolicy("admin"), method: "GET", path: "/api/v1/policy/acceptances", status: 200, audit: []string{"policy.acceptances success"}, contains: []string{"{u.salesA}"}},
	{name: "policy: sales may not list acceptances", as: "salesA", method: "GET", path: "/api/v1/policy/acceptances", status: 403, audit: []string{"security.forbidden denied"}},
}
