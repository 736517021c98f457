package service_test

import (
	"context"
	"encoding/json"
	"slices"
	"strings"
	"testing"

	"strongroom.dev/strongroom/internal/authz"
	"strongroom.dev/strongroom/internal/errs"
	"strongroom.dev/strongroom/internal/service/identity"
	"strongroom.dev/strongroom/internal/service/training"
	"strongroom.dev/strongroom/internal/store"
	"strongroom.dev/strongroom/internal/testkit"
)

// The training gate on both engines: once a module is required for a
// role, a user in it owes it (the wrappers then refuse customer data)
// until they pass the current version; a new version re-requires it. The
// correct answers never reach a reader, and only the server scores.
func TestTrainingGate(t *testing.T) {
	testkit.ForEachDB(t, func(t *testing.T, db testkit.DB) {
		f := newFixture(t, db)
		ctx := context.Background()
		svc := f.Service
		// A fresh session's view of a user, as every request sees it.
		actor := func(email string) authz.Actor {
			t.Helper()
			sess, err := svc.Sessions.Login(ctx, email, pw, identity.Client{IP: "192.0.2.1"})
			if err != nil {
				t.Fatal(err)
			}
			a, err := svc.Sessions.Authenticate(ctx, sess.Token, identity.Client{IP: "192.0.2.1"})
			if err != nil {
				t.Fatal(err)
			}
			return a
		}
		// Two-step login is not what this test is about.
		if err := svc.Sessions.SetMFARequiredRoles(ctx, authz.System(), nil); err != nil {
			t.Fatal(err)
		}
		if a := actor("sales1@example.com"); a.Owes(authz.GateFull) != "" {
			t.Fatalf("before any assignment sales owes %q", a.Owes(authz.GateFull))
		}
		// A session already open and looked up (so cached) sees the
		// assignment at its next request.
		open, err := svc.Sessions.Login(ctx, "sales2@example.com", pw, identity.Client{IP: "192.0.2.1"})
		if err != nil {
			t.Fatal(err)
		}
		if a, err := svc.Sessions.Authenticate(ctx, open.Token, identity.Client{IP: "192.0.2.1"}); err != nil || a.Owes(authz.GateFull) != "" {
			t.Fatalf("an open session before the assignment: %v %v", a.Owes(authz.GateFull), err)
		}
		if _, err := svc.Training.Assign(ctx, f.sales1, "customer-data", []string{"sales"}, true); !errs.Is(err, errs.Permission) {
			t.Fatalf("sales assigning training: %v", err)
		}
		if _, err := svc.Training.Assign(ctx, f.admin, "customer-data", []string{"sales", "no-such-role"}, true); !errs.Is(err, errs.Invalid) {
			t.Fatalf("an unknown role: %v", err)
		}
		if _, err := svc.Training.Assign(ctx, f.admin, "customer-data", []string{"sales"}, true); err != nil {
			t.Fatal(err)
		}
		sales := actor("sales1@example.com")
		if got := sales.Owes(authz.GateFull); got != "training" {
			t.Fatalf("a salesperson who has not passed owes %q, want training", got)
		}
		if got := sales.Owes(authz.GateTraining); got != "" {
			t.Fatalf("the training page refuses them: owes %q", got)
		}
		if a, err := svc.Sessions.Authenticate(ctx, open.Token, identity.Client{IP: "192.0.2.1"}); err != nil || a.Owes(authz.GateFull) != "training" {
			t.Fatalf("an open session after the assignment owes %q (%v), want training", a.Owes(authz.GateFull), err)
		}
		if a := actor("admin@example.com"); a.Owes(authz.GateFull) != "" {
			t.Fatalf("an administrator (not assigned) owes %q", a.Owes(authz.GateFull))
		}

		m, err := svc.Training.Module(ctx, sales, "customer-data")
		if err != nil || m.Version != 1 || len(m.Questions) != 5 || !m.Assigned || !m.Required || m.Passed {
			t.Fatalf("the module: %+v %v", m, err)
		}
		// The reader never gets the answers.
		b, _ := json.Marshal(m)
		if strings.Contains(string(b), "answer") {
			t.Fatalf("the module as sent holds its answers: %s", b)
		}

		// Wrong answers fail; answers out of range, too few, or to an old
		// version are refused; right ones pass.
		for _, bad := range []struct {
			version int64
			answers []int
		}{{1, []int{1, 2, 0}}, {1, []int{1, 2, 0, 1, 7}}, {1, []int{1, 2, 0, 1, -1}}, {2, []int{1, 2, 0, 1, 0}}} {
			if _, err := svc.Training.Take(ctx, sales, "customer-data", bad.version, bad.answers); !errs.Is(err, errs.Invalid) {
				t.Fatalf("answers %v to version %d: %v", bad.answers, bad.version, err)
			}
		}
		r, err := svc.Training.Take(ctx, sales, "customer-data", 1, []int{0, 0, 0, 0, 0})
		if err != nil || r.Passed || r.Score != 40 {
			t.Fatalf("two right of five: %+v %v", r, err)
		}
		if actor("sales1@example.com").Owes(authz.GateFull) != "training" {
			t.Fatal("a failed attempt lifted the gate")
		}
		// Guessing is capped: a few failures a day, then refused.
		for range training.MaxFailedAttempts - 1 {
			if r, err := svc.Training.Take(ctx, sales, "customer-data", 1, []int{0, 0, 0, 0, 0}); err != nil || r.Passed {
				t.Fatalf("a failed attempt: %+v %v", r, err)
			}
		}
		if _, err := svc.Training.Take(ctx, sales, "customer-data", 1, []int{1, 2, 0, 1, 0}); !errs.Is(err, errs.TooMany) {
			t.Fatalf("attempt %d in a day: %v", training.MaxFailedAttempts+1, err)
		}
		if _, err := db.Raw(t).ExecContext(ctx, q(db, "UPDATE training_attempts SET taken_at = taken_at - 86400000000 WHERE user_id = ?"), sales.UserID); err != nil {
			t.Fatal(err)
		}
		r, err = svc.Training.Take(ctx, sales, "customer-data", 1, []int{1, 2, 0, 1, 0})
		if err != nil || !r.Passed || r.Score != 100 {
			t.Fatalf("all right: %+v %v", r, err)
		}
		if got := actor("sales1@example.com").Owes(authz.GateFull); got != "" {
			t.Fatalf("after passing sales owes %q", got)
		}
		if actor("sales2@example.com").Owes(authz.GateFull) != "training" {
			t.Fatal("another salesperson's gate was lifted too")
		}
		cov, err := svc.Training.Coverage(ctx, f.auditor)
		if err != nil || len(cov) != 1 || cov[0].Assigned != 2 || cov[0].Passed != 1 || cov[0].Roles[0] != (training.RoleCoverage{Role: "sales", Users: 2, Passed: 1}) {
			t.Fatalf("coverage: %+v %v", cov, err)
		}
		if _, err := svc.Training.Coverage(ctx, f.sales1); !errs.Is(err, errs.Permission) {
			t.Fatalf("sales reading coverage: %v", err)
		}

		// A new version is required again.
		v2 := training.Input{Key: "customer-data", TitleEN: "Handling customer data (2027)", TitleZH: "处理客户数据（2027）", BodyEN: "Read carefully.", BodyZH: "请仔细阅读。",
			Questions: []training.QuestionInput{{Question: training.Question{TextEN: "Report a breach?", TextZH: "报告泄露？", ChoicesEN: []string{"Later", "At once"}, ChoicesZH: []string{"以后", "立即"}}, Answer: 1}},
			PassMark:  100, Roles: []string{"sales"}, Required: true}
		if _, err := svc.Training.Publish(ctx, f.sales1, v2); !errs.Is(err, errs.Permission) {
			t.Fatalf("sales publishing: %v", err)
		}
		bad := v2
		bad.Questions = []training.QuestionInput{{Question: v2.Questions[0].Question, Answer: 2}}
		if _, err := svc.Training.Publish(ctx, f.admin, bad); !errs.Is(err, errs.Invalid) {
			t.Fatalf("an answer that is not a choice: %v", err)
		}
		pub, err := svc.Training.Publish(ctx, f.admin, v2)
		if err != nil || pub.Version != 2 {
			t.Fatalf("publish: %+v %v", pub, err)
		}
		if got := actor("sales1@example.com").Owes(authz.GateFull); got != "training" {
			t.Fatalf("after a new version sales owes %q, want training", got)
		}
		var assigned, passed int
		if err := f.Store.WithTx(ctx, func(tx *store.Tx) error {
			var err error
			assigned, passed, err = tx.TrainingCoverage(ctx)
			return err
		}); err != nil || assigned != 2 || passed != 0 {
			t.Fatalf("TrainingCoverage after v2: %d of %d, %v", passed, assigned, err)
		}
		if r, err := svc.Training.Take(ctx, sales, "customer-data", 2, []int{1}); err != nil || !r.Passed {
			t.Fatalf("v2: %+v %v", r, err)
		}
		if got := actor("sales1@example.com").Owes(authz.GateFull); got != "" {
			t.Fatalf("after passing v2 sales owes %q", got)
		}
		if err := f.Store.WithTx(ctx, func(tx *store.Tx) error {
			var err error
			assigned, passed, err = tx.TrainingCoverage(ctx)
			return err
		}); err != nil || assigned != 2 || passed != 1 {
			t.Fatalf("TrainingCoverage after passing v2: %d of %d, %v", passed, assigned, err)
		}
		events := auditActions(t, f)
		for _, want := range []string{"training.assign", "training.attempt", "training.publish", "training.coverage"} {
			if !slices.Contains(events, want) {
				t.Errorf("no %s event in the audit log", want)
			}
		}
	})
}
