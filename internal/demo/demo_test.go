package demo_test

import (
	"context"
	"testing"

	"strongroom.dev/strongroom/internal/authz"
	"strongroom.dev/strongroom/internal/demo"
	"strongroom.dev/strongroom/internal/service"
	"strongroom.dev/strongroom/internal/service/devices"
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

// TestDemoShowsTheIntegrations: the demo data holds issue 15's partners
// and devices as an administrator finds them: one OAuth client (the
// payments partner, finance's grants), one paused webhook, and the field
// rep's phone enrolled beside a lost tablet whose wipe awaits contact.
func TestDemoShowsTheIntegrations(t *testing.T) {
	ctx := context.Background()
	env := testkit.NewEnv(t, testkit.NewSQLite(t), service.Options{})
	if _, err := demo.Seed(ctx, env.Service); err != nil {
		t.Fatal(err)
	}
	sys := authz.System()
	cs, err := env.Service.Clients.List(ctx, sys)
	if err != nil || len(cs) != 1 || cs[0].Role != "finance" || cs[0].Status != "active" {
		t.Fatalf("OAuth clients: %+v %v", cs, err)
	}
	hs, err := env.Service.Hooks.List(ctx, sys)
	if err != nil || len(hs) != 1 || !hs[0].Paused {
		t.Fatalf("webhooks: %+v %v", hs, err)
	}
	ds, err := env.Service.Devices.List(ctx, sys, false)
	if err != nil || len(ds) != 2 {
		t.Fatalf("devices: %+v %v", ds, err)
	}
	states := map[string]bool{}
	for _, d := range ds {
		if d.UserEmail != "field.rep@demo.strongroom.test" {
			t.Errorf("device %q belongs to %q", d.Name, d.UserEmail)
		}
		states[d.State] = d.WipeOrderedAt != nil
	}
	if wiped, ok := states[devices.WipeOrdered]; !ok || !wiped || len(states) != 2 {
		t.Fatalf("device states: %v", states)
	}
}
