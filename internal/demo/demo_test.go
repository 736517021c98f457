package demo_test

import (
	"context"
	"slices"
	"strings"
	"testing"

	"strongroom.dev/strongroom/internal/authz"
	"strongroom.dev/strongroom/internal/demo"
	"strongroom.dev/strongroom/internal/keyring"
	"strongroom.dev/strongroom/internal/service"
	"strongroom.dev/strongroom/internal/service/devices"
	"strongroom.dev/strongroom/internal/service/identity"
	"strongroom.dev/strongroom/internal/service/sealed"
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

// TestDemoShowsSealedNotes: the demo's clinical supervisor unlocks her
// seal key with the demo passphrase and opens the counsellor's sealed
// note; the recovery key is set; the counsellor's colleagues in sales
// cannot use sealed notes at all.
func TestDemoShowsSealedNotes(t *testing.T) {
	ctx := context.Background()
	env := testkit.NewEnv(t, testkit.NewSQLite(t), service.Options{})
	logins, err := demo.Seed(ctx, env.Service)
	if err != nil {
		t.Fatal(err)
	}
	var pw string
	for _, l := range logins {
		if l.Email == "dr.zhou@demo.strongroom.test" {
			pw = l.Password
		}
	}
	if pw == "" {
		t.Fatal("no demo login for the clinical supervisor")
	}
	sess, err := env.Service.Sessions.Login(ctx, "dr.zhou@demo.strongroom.test", pw, identity.Client{IP: "192.0.2.1"})
	if err != nil {
		t.Fatal(err)
	}
	zhou, err := env.Service.Sessions.Authenticate(ctx, sess.Token, identity.Client{IP: "192.0.2.1"})
	if err != nil {
		t.Fatal(err)
	}
	k, err := env.Service.Sealed.MyKey(ctx, zhou)
	if err != nil {
		t.Fatal(err)
	}
	priv, err := keyring.UnwrapSealKey(keyring.WrappedSealKey{PrivateCT: k.PrivateCT, Nonce: k.PrivateNonce, Salt: k.KDFSalt, Iterations: k.KDFIterations}, demo.SealedPassphrase, zhou.UserID)
	if err != nil {
		t.Fatalf("the demo passphrase does not unlock dr.zhou's key: %v", err)
	}
	var raw []byte
	if err := env.DB.Raw(t).QueryRow("SELECT id FROM sealed_notes").Scan(&raw); err != nil {
		t.Fatal(err)
	}
	n, err := env.Service.Sealed.Note(ctx, zhou, string(raw))
	if err != nil {
		t.Fatal(err)
	}
	key, err := keyring.OpenEnvelope(priv, n.Envelope, n.ID, zhou.UserID)
	if err != nil {
		t.Fatal(err)
	}
	body, err := keyring.OpenNote(key, n.ID, n.Ciphertext, n.Nonce)
	if err != nil || !strings.Contains(string(body), "Supervision") {
		t.Fatalf("the demo note: %q %v", body, err)
	}
	if !slices.Contains(n.Recipients, sealed.Recovery) {
		t.Fatalf("the demo note is not sealed to the recovery key: %v", n.Recipients)
	}
}
