package demo_test

import (
	"context"
	"testing"

	"strongroom.dev/strongroom/internal/authz"
	"strongroom.dev/strongroom/internal/demo"
	"strongroom.dev/strongroom/internal/service"
	"strongroom.dev/strongroom/internal/testkit"
)

// TestDemoShowsADrill: the demo data holds one breach drill, run to the
// end, so the breach page shows the workflow: scoped from the audit log,
// decided, its tasks done, closed, and kept out of the real incidents.
func TestDemoShowsADrill(t *testing.T) {
	ctx := context.Background()
	env := testkit.NewEnv(t, testkit.NewSQLite(t), service.Options{})
	if _, err := demo.Seed(ctx, env.Service); err != nil {
		t.Fatal(err)
	}
	sys := authz.System()
	real, err := env.Service.Incidents.Incidents(ctx, sys, false)
	if err != nil || len(real) != 0 {
		t.Fatalf("real incidents in the demo: %d %v", len(real), err)
	}
	all, err := env.Service.Incidents.Incidents(ctx, sys, true)
	if err != nil || len(all) != 1 {
		t.Fatalf("drills: %d %v", len(all), err)
	}
	d, err := env.Service.Incidents.Incident(ctx, sys, all[0].ID)
	if err != nil {
		t.Fatal(err)
	}
	if !d.Drill || d.Status != "closed" || d.Affected == 0 || d.Decision == nil || d.Decision.PeopleReason != "art34_3a" || len(d.Tasks) != 2 || d.Tasks[0].DoneAt.IsZero() {
		t.Fatalf("the drill: %+v", d)
	}
}
