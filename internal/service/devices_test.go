package service_test

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"

	jose "github.com/go-jose/go-jose/v4"

	"strongroom.dev/strongroom/internal/authz"
	"strongroom.dev/strongroom/internal/errs"
	"strongroom.dev/strongroom/internal/service"
	"strongroom.dev/strongroom/internal/service/devices"
	"strongroom.dev/strongroom/internal/service/identity"
	"strongroom.dev/strongroom/internal/testkit"
)

const deviceURL = "https://crm.example.com/api/v1/devices"

// signProof is a DPoP proof by key for POST deviceURL at now.
func signProof(t *testing.T, key *ecdsa.PrivateKey, now time.Time, token string) string {
	t.Helper()
	signer, err := jose.NewSigner(jose.SigningKey{Algorithm: jose.ES256, Key: key}, (&jose.SignerOptions{EmbedJWK: true}).WithType("dpop+jwt"))
	if err != nil {
		t.Fatal(err)
	}
	jti := make([]byte, 12)
	rand.Read(jti)
	c := map[string]any{"htm": "POST", "htu": deviceURL, "iat": now.Unix(), "jti": base64.RawURLEncoding.EncodeToString(jti)}
	if token != "" {
		sum := sha256.Sum256([]byte(token))
		c["ath"] = base64.RawURLEncoding.EncodeToString(sum[:])
	}
	b, _ := json.Marshal(c)
	jws, err := signer.Sign(b)
	if err != nil {
		t.Fatal(err)
	}
	out, _ := jws.CompactSerialize()
	return out
}

// Devices on both engines, with the server's clock: the lease lasts
// --offline-lease from each contact; a locked device gets no lease; a
// wipe not confirmed within --wipe-escalate raises one high alert (for the
// security page), a confirmed one none; a field rep needs a device for
// the API, others do not.
func TestDeviceLeaseAndWipeEscalation(t *testing.T) {
	testkit.ForEachDB(t, func(t *testing.T, db testkit.DB) {
		ctx := context.Background()
		clk := &clock{now: time.Date(2026, 12, 1, 8, 0, 0, 0, time.UTC)}
		env := testkit.NewEnv(t, db, service.Options{Now: clk.Now, IdleTimeout: 30 * 24 * time.Hour, AbsoluteTimeout: 30 * 24 * time.Hour,
			OfflineLease: 8 * time.Hour, WipeEscalate: 24 * time.Hour, DeviceRequiredRoles: []string{"field_rep"}})
		svc := env.Service
		if err := svc.Sessions.SetMFARequiredRoles(ctx, authz.System(), nil); err != nil {
			t.Fatal(err)
		}
		c := identity.Client{IP: "192.0.2.7"}
		for _, u := range []identity.NewUser{{Email: "rep@example.com", Role: "field_rep", Password: pw}, {Email: "admin@example.com", Role: "admin", Password: pw}} {
			if _, err := svc.Users.CreateUser(ctx, authz.System(), u); err != nil {
				t.Fatal(err)
			}
		}
		login := func(email string) authz.Actor {
			s, err := svc.Sessions.Login(ctx, email, pw, c)
			if err != nil {
				t.Fatal(err)
			}
			return mustAuth(t, svc, s.Token, c)
		}
		rep, admin := login("rep@example.com"), login("admin@example.com")
		if err := svc.Devices.Posture(rep); !errs.Is(err, errs.Permission) {
			t.Fatalf("a field rep without a device: %v", err)
		}
		if err := svc.Devices.Posture(admin); err != nil {
			t.Fatalf("an administrator: %v", err)
		}
		enrol := func(name string) (devices.Enrolment, *ecdsa.PrivateKey) {
			t.Helper()
			key, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
			p, err := svc.Devices.Proof(signProof(t, key, clk.Now(), ""), "POST", deviceURL, "")
			if err != nil {
				t.Fatal(err)
			}
			e, err := svc.Devices.Enrol(ctx, rep, devices.Input{Name: name, Platform: "Android", AppVersion: "1.0.0"}, p)
			if err != nil {
				t.Fatal(err)
			}
			return e, key
		}
		contact := func(e devices.Enrolment, key *ecdsa.PrivateKey) (authz.Actor, error) {
			t.Helper()
			p, err := svc.Devices.Proof(signProof(t, key, clk.Now(), e.Token), "POST", deviceURL, e.Token)
			if err != nil {
				t.Fatal(err)
			}
			a, authErr := svc.Sessions.Authenticate(ctx, e.Token, c)
			return svc.Devices.Contact(ctx, p, a, authErr)
		}

		phone, phoneKey := enrol("phone")
		dev, err := contact(phone, phoneKey)
		if err != nil || dev.DeviceID != phone.Device.ID || svc.Devices.Posture(dev) != nil {
			t.Fatalf("the device's contact: %+v %v", dev, err)
		}
		lease, err := svc.Devices.Lease(ctx, dev, &devices.Place{Lat: 31.2304, Lon: 121.4737})
		if err != nil || !lease.ExpiresAt.Equal(clk.Now().Add(8*time.Hour)) || lease.Seconds != 8*3600 {
			t.Fatalf("lease: %+v %v", lease, err)
		}
		if _, err := svc.Devices.Lease(ctx, rep, nil); !errs.Is(err, errs.Permission) {
			t.Fatalf("a lease for a plain session: %v", err)
		}
		lease0 := lease
		again, _ := svc.Devices.Lease(ctx, dev, nil)
		if again.Secret != lease.Secret {
			t.Fatal("the lease secret changed between contacts: the offline copy would be lost")
		}
		// The rep's sessions page names the device's session.
		infos, err := svc.Sessions.Sessions(ctx, rep, rep.UserID)
		if err != nil || len(infos) != 2 || !strings.Contains(infos[0].Agent+infos[1].Agent, "field app 1.0.0: phone (Android)") {
			t.Fatalf("the rep's sessions: %+v %v", infos, err)
		}
		list, err := svc.Devices.List(ctx, admin, false)
		if err != nil || len(list) != 1 || list[0].LastPlace != "31.23, 121.47" {
			t.Fatalf("admin's list: %+v %v", list, err)
		}

		// What the database holds of the device is sealed: its name, its place, its lease secret.
		rows, err := db.Raw(t).Query("SELECT name_ct, last_place_ct, lease_ct FROM devices")
		if err != nil {
			t.Fatal(err)
		}
		for rows.Next() {
			var name, place, lease []byte
			if err := rows.Scan(&name, &place, &lease); err != nil {
				t.Fatal(err)
			}
			secret, _ := base64.RawURLEncoding.DecodeString(lease0.Secret)
			if bytes.Contains(name, []byte("phone")) || bytes.Contains(place, []byte("31.23")) || bytes.Contains(lease, secret) {
				t.Fatal("a device's name, place or lease secret is stored in the clear")
			}
		}
		rows.Close()

		// Lock: no lease, and the device's next contact is refused as locked.
		if _, err := svc.Devices.Lock(ctx, rep, phone.Device.ID, "lost"); err != nil {
			t.Fatal(err)
		}
		var ref *devices.Refused
		if _, err := contact(phone, phoneKey); !errors.As(err, &ref) || ref.State != devices.Locked {
			t.Fatalf("a locked device's contact: %v", err)
		}
		if _, err := svc.Devices.Lease(ctx, dev, nil); !errs.Is(err, errs.Permission) {
			t.Fatalf("a locked device's lease: %v", err)
		}

		// Wipes: one never confirmed, one confirmed.
		tablet, tabletKey := enrol("tablet")
		laptop, laptopKey := enrol("laptop")
		for _, id := range []string{tablet.Device.ID, laptop.Device.ID} {
			if _, err := svc.Devices.Wipe(ctx, admin, id, "left the company"); err != nil {
				t.Fatal(err)
			}
		}
		var order *devices.WipeOrder
		if _, err := contact(laptop, laptopKey); !errors.As(err, &order) {
			t.Fatalf("wipe delivery: %v", err)
		}
		if err := svc.Devices.ConfirmWipe(ctx, laptop.Device.ID, order.Code, "192.0.2.7"); err != nil {
			t.Fatal(err)
		}
		if err := svc.Devices.ConfirmWipe(ctx, laptop.Device.ID, order.Code, "192.0.2.7"); !errs.Is(err, errs.NotExist) {
			t.Fatalf("a code used twice: %v", err)
		}
		_ = tabletKey
		clk.Advance(23 * time.Hour)
		if n, err := svc.Devices.EscalateWipes(ctx); err != nil || n != 0 {
			t.Fatalf("before --wipe-escalate: %d %v", n, err)
		}
		clk.Advance(2 * time.Hour)
		if n, err := svc.Devices.EscalateWipes(ctx); err != nil || n != 1 {
			t.Fatalf("after --wipe-escalate: %d %v", n, err)
		}
		if n, err := svc.Devices.EscalateWipes(ctx); err != nil || n != 0 {
			t.Fatalf("a second run: %d %v", n, err)
		}
		alerts, err := svc.AuditLog.Alerts(ctx, admin, "open", 10)
		if err != nil || len(alerts) != 1 || alerts[0].Rule != "device_wipe_unconfirmed" || alerts[0].Severity != "high" || !strings.Contains(alerts[0].Summary, tablet.Device.ID) {
			t.Fatalf("alerts: %+v %v", alerts, err)
		}
	})
}
