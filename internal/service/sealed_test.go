package service_test

import (
	"bytes"
	"context"
	"crypto/ecdh"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"strongroom.dev/strongroom/internal/authz"
	"strongroom.dev/strongroom/internal/crm"
	"strongroom.dev/strongroom/internal/errs"
	"strongroom.dev/strongroom/internal/keyring"
	"strongroom.dev/strongroom/internal/service/sealed"
	"strongroom.dev/strongroom/internal/store"
	"strongroom.dev/strongroom/internal/testkit"
)

// sealer is a staff member's browser, played by the Go implementation of
// the formats: their key pair, made and wrapped as the browser does.
type sealer struct {
	actor authz.Actor
	priv  *ecdh.PrivateKey
}

func newSealer(t *testing.T, f *fixture, a authz.Actor) sealer {
	t.Helper()
	priv, err := keyring.NewSealKey()
	if err != nil {
		t.Fatal(err)
	}
	w, err := keyring.WrapSealKey(priv, "passphrase of "+a.UserID, a.UserID)
	if err != nil {
		t.Fatal(err)
	}
	if err := f.Service.Sealed.SetMyKey(context.Background(), a, sealed.SealKey{PublicKey: priv.PublicKey().Bytes(), PrivateCT: w.PrivateCT,
		PrivateNonce: w.Nonce, KDF: keyring.SealKDF, KDFSalt: w.Salt, KDFIterations: w.Iterations}); err != nil {
		t.Fatal(err)
	}
	return sealer{actor: a, priv: priv}
}

func newNoteID() string {
	b := make([]byte, 16)
	rand.Read(b)
	return "snt_" + hex.EncodeToString(b)
}

// seal seals body under a new note key for recipients (id → public key).
func seal(t *testing.T, id, body string, recipients map[string][]byte) (sealed.Sealed, []byte) {
	t.Helper()
	key := keyring.NewNoteKey()
	ct, nonce, err := keyring.SealNote(key, id, []byte(body))
	if err != nil {
		t.Fatal(err)
	}
	out := sealed.Sealed{Ciphertext: ct, Nonce: nonce, Envelopes: map[string][]byte{}}
	for r, pub := range recipients {
		if out.Envelopes[r], err = keyring.SealEnvelope(key, pub, id, r); err != nil {
			t.Fatal(err)
		}
	}
	return out, key
}

// read opens note id as s's browser would.
func (s sealer) read(t *testing.T, f *fixture, id string) (string, []byte, error) {
	t.Helper()
	n, err := f.Service.Sealed.Note(context.Background(), s.actor, id)
	if err != nil {
		return "", nil, err
	}
	key, err := keyring.OpenEnvelope(s.priv, n.Envelope, id, s.actor.UserID)
	if err != nil {
		t.Fatalf("%s's envelope does not open: %v", s.actor.UserID, err)
	}
	body, err := keyring.OpenNote(key, id, n.Ciphertext, n.Nonce)
	if err != nil {
		t.Fatalf("the note does not open with %s's key: %v", s.actor.UserID, err)
	}
	return string(body), key, nil
}

// TestSealedNotes, on both engines: a counsellor seals a note to a
// clinical supervisor and the recovery key; only recipients get the
// ciphertext and an envelope; a reader shares it; removing a recipient
// re-keys it so the removed reader's key opens nothing served; the
// recovery key opens it on the host; every step is audited; the raw
// database never holds the plaintext; erasing the client deletes notes
// and envelopes.
func TestSealedNotes(t *testing.T) {
	testkit.ForEachDB(t, func(t *testing.T, db testkit.DB) {
		f := newFixture(t, db)
		ctx := context.Background()
		svc := f.Service
		if _, err := svc.Roles.ApplyTemplate(ctx, authz.System(), "counselling_agency"); err != nil {
			t.Fatal(err)
		}
		counsellor := actorAs(t, f, "ann@example.com", "counsellor", "north")
		colleague := actorAs(t, f, "carl@example.com", "counsellor", "north")
		supervisor := actorAs(t, f, "zhou@example.com", "clinical_supervisor", "north")
		second := actorAs(t, f, "dee@example.com", "clinical_supervisor", "north")
		plain := "Client disclosed marital conflict; plan: weekly sessions " + strings.ToUpper(rand.Text()[:8])

		client, err := svc.Customers.CreateCustomer(ctx, counsellor, input("name", "Lin Mei"))
		if err != nil {
			t.Fatal(err)
		}

		// Seal keys: those whose role has sealed notes only.
		if err := svc.Sealed.SetMyKey(ctx, f.sales1, sealed.SealKey{}); !errs.Is(err, errs.Permission) {
			t.Fatalf("sales setting a seal key: %v", err)
		}
		if _, err := svc.Sealed.MyKey(ctx, counsellor); !errs.Is(err, errs.NotExist) {
			t.Fatalf("a key before one is made: %v", err)
		}
		a, b, c, d := newSealer(t, f, counsellor), newSealer(t, f, supervisor), newSealer(t, f, colleague), newSealer(t, f, second)
		if k, err := svc.Sealed.MyKey(ctx, counsellor); err != nil || !bytes.Equal(k.PublicKey, a.priv.PublicKey().Bytes()) {
			t.Fatalf("my key: %v", err)
		} else if back, err := keyring.UnwrapSealKey(keyring.WrappedSealKey{PrivateCT: k.PrivateCT, Nonce: k.PrivateNonce, Salt: k.KDFSalt, Iterations: k.KDFIterations}, "passphrase of "+counsellor.UserID, counsellor.UserID); err != nil || !back.Equal(a.priv) {
			t.Fatalf("my key does not unwrap: %v", err)
		}
		bad := sealed.SealKey{PublicKey: bytes.Repeat([]byte{4}, 65), PrivateCT: make([]byte, 100), PrivateNonce: make([]byte, 12), KDF: keyring.SealKDF, KDFSalt: make([]byte, 16), KDFIterations: keyring.SealKDFIterations}
		if err := svc.Sealed.SetMyKey(ctx, counsellor, bad); !errs.Is(err, errs.Invalid) {
			t.Fatalf("a public key off the curve: %v", err)
		}
		bad.PublicKey, bad.KDFIterations = a.priv.PublicKey().Bytes(), 1000
		if err := svc.Sealed.SetMyKey(ctx, counsellor, bad); !errs.Is(err, errs.Invalid) {
			t.Fatalf("a weak KDF: %v", err)
		}

		// A passkey unlock: after the key, dropped when the key is replaced.
		prf := sealed.PRFUnlock{CredentialID: make([]byte, 32), Salt: make([]byte, 32), PrivateCT: make([]byte, 100), PrivateNonce: make([]byte, 12)}
		if err := svc.Sealed.SetMyPRF(ctx, second, prf); err != nil {
			t.Fatal(err)
		}
		if k, err := svc.Sealed.MyKey(ctx, second); err != nil || k.PRF == nil || len(k.PRF.Salt) != 32 {
			t.Fatalf("the passkey unlock: %+v %v", k.PRF, err)
		}
		if err := svc.Sealed.SetMyPRF(ctx, f.sales1, prf); !errs.Is(err, errs.Permission) {
			t.Fatalf("sales: %v", err)
		}
		// Replacing a key needs a fresh step-up, and no API client may do it.
		again := sealed.SealKey{PublicKey: d.priv.PublicKey().Bytes(), PrivateCT: make([]byte, 100), PrivateNonce: make([]byte, 12), KDF: keyring.SealKDF, KDFSalt: make([]byte, 16), KDFIterations: keyring.SealKDFIterations}
		stale := second
		stale.VerifiedAt = time.Now().Add(-time.Hour) // logged in an hour ago, not verified since
		if err := svc.Sealed.SetMyKey(ctx, stale, again); !errs.Is(err, errs.StepUp) {
			t.Fatalf("replacing a seal key without a step-up: %v", err)
		}
		viaClient := second
		viaClient.ClientID = "cli_integration"
		if err := svc.Sealed.SetMyKey(ctx, viaClient, again); !errs.Is(err, errs.Permission) {
			t.Fatalf("an API client replacing a seal key: %v", err)
		}
		d = newSealer(t, f, second) // a new key: the passkey unlock wrapped the old one
		if k, err := svc.Sealed.MyKey(ctx, second); err != nil || k.PRF != nil {
			t.Fatalf("a replaced key kept its passkey unlock: %+v %v", k.PRF, err)
		}

		// The recovery key: set on the host only.
		recovery, _ := keyring.NewSealKey()
		if err := svc.Sealed.SetRecoveryKey(ctx, f.admin, recovery.PublicKey().Bytes()); !errs.Is(err, errs.Permission) {
			t.Fatalf("an administrator setting the recovery key over the web: %v", err)
		}
		if err := svc.Sealed.SetRecoveryKey(ctx, authz.System(), recovery.PublicKey().Bytes()); err != nil {
			t.Fatal(err)
		}
		rs, err := svc.Sealed.Recipients(ctx, counsellor, client.ID)
		if err != nil {
			t.Fatal(err)
		}
		if len(rs) != 5 || rs[0].ID != sealed.Recovery || rs[1].Email != "ann@example.com" {
			t.Fatalf("recipients: %+v", rs)
		}

		// Writing: checked shapes, the writer and the recovery key always.
		id := newNoteID()
		to := map[string][]byte{counsellor.UserID: a.priv.PublicKey().Bytes(), supervisor.UserID: b.priv.PublicKey().Bytes(), sealed.Recovery: recovery.PublicKey().Bytes()}
		in, _ := seal(t, id, plain, to)
		for name, mutate := range map[string]func(n *sealed.NewNote){
			"a bad id":             func(n *sealed.NewNote) { n.ID = "note-1" },
			"no recovery envelope": func(n *sealed.NewNote) { delete(n.Envelopes, sealed.Recovery) },
			"not to the writer":    func(n *sealed.NewNote) { delete(n.Envelopes, counsellor.UserID) },
			"a truncated envelope": func(n *sealed.NewNote) { n.Envelopes[supervisor.UserID] = n.Envelopes[supervisor.UserID][:100] },
			"a keyless recipient":  func(n *sealed.NewNote) { n.Envelopes[f.sales1.UserID] = n.Envelopes[supervisor.UserID] },
			"a short nonce":        func(n *sealed.NewNote) { n.Nonce = n.Nonce[:8] },
			"an oversized body":    func(n *sealed.NewNote) { n.Ciphertext = make([]byte, sealed.MaxBody+17) },
		} {
			n := sealed.NewNote{ID: id, Sealed: sealed.Sealed{Ciphertext: in.Ciphertext, Nonce: in.Nonce, Envelopes: maps(in.Envelopes)}}
			mutate(&n)
			if _, err := svc.Sealed.Create(ctx, counsellor, client.ID, n); !errs.Is(err, errs.Invalid) {
				t.Errorf("%s: %v", name, err)
			}
		}
		if _, err := svc.Sealed.Create(ctx, f.sales1, client.ID, sealed.NewNote{ID: id, Sealed: in}); !errs.Is(err, errs.Permission) {
			t.Fatalf("sales writing a sealed note: %v", err)
		}
		if _, err := svc.Sealed.Create(ctx, colleague, client.ID, sealed.NewNote{ID: id, Sealed: in}); !errs.Is(err, errs.NotExist) {
			t.Fatalf("a counsellor writing on another's client: %v", err)
		}
		note, err := svc.Sealed.Create(ctx, counsellor, client.ID, sealed.NewNote{ID: id, Sealed: in})
		if err != nil {
			t.Fatal(err)
		}
		if !note.Readable || len(note.Recipients) != 3 {
			t.Fatalf("created: %+v", note)
		}

		// Reading: recipients only.
		if got, _, err := b.read(t, f, id); err != nil || got != plain {
			t.Fatalf("the supervisor reads %q, %v", got, err)
		}
		if _, _, err := d.read(t, f, id); !errs.Is(err, errs.Permission) {
			t.Fatalf("a supervisor the note is not sealed to: %v", err)
		}
		if _, _, err := c.read(t, f, id); !errs.Is(err, errs.NotExist) {
			t.Fatalf("a counsellor without the client: %v", err)
		}
		if _, err := svc.Sealed.Note(ctx, f.admin, id); !errs.Is(err, errs.Permission) {
			t.Fatalf("the administrator: %v", err)
		}
		list, err := svc.Sealed.List(ctx, second, client.ID)
		if err != nil || len(list) != 1 || list[0].Readable || list[0].Ciphertext != nil || list[0].Envelope != nil {
			t.Fatalf("a non-recipient's list: %+v %v", list, err)
		}

		// Sharing: a reader wraps the key they opened to another.
		_, key, _ := b.read(t, f, id)
		env, _ := keyring.SealEnvelope(key, d.priv.PublicKey().Bytes(), id, second.UserID)
		if err := svc.Sealed.Share(ctx, c.actor, id, second.UserID, env); !errs.Is(err, errs.NotExist) {
			t.Fatalf("sharing by someone without the client: %v", err)
		}
		// Not to an account that is disabled (it keeps its seal key).
		if err := svc.Users.SetUserDisabled(ctx, authz.System(), second.UserID, true); err != nil {
			t.Fatal(err)
		}
		if err := svc.Sealed.Share(ctx, supervisor, id, second.UserID, env); !errs.Is(err, errs.Invalid) {
			t.Fatalf("sharing with a disabled account: %v", err)
		}
		if err := svc.Users.SetUserDisabled(ctx, authz.System(), second.UserID, false); err != nil {
			t.Fatal(err)
		}
		if err := svc.Sealed.Share(ctx, supervisor, id, second.UserID, env); err != nil {
			t.Fatal(err)
		}
		if err := svc.Sealed.Share(ctx, supervisor, id, second.UserID, env); !errs.Is(err, errs.Conflict) {
			t.Fatalf("sharing twice: %v", err)
		}
		got, oldKey, err := d.read(t, f, id)
		if err != nil || got != plain {
			t.Fatalf("the supervisor it was shared with: %q %v", got, err)
		}

		// Removing a recipient re-keys the note; only its author may (a
		// reader replacing the text would leave it under the author's name).
		rekeyed, newKey := seal(t, id, plain, to)
		if _, err := svc.Sealed.Rekey(ctx, supervisor, id, 1, rekeyed); !errs.Is(err, errs.Permission) {
			t.Fatalf("a reader who is not the author re-keys: %v", err)
		}
		if _, err := svc.Sealed.Rekey(ctx, counsellor, id, 1, rekeyed); err != nil {
			t.Fatal(err)
		}
		if _, err := svc.Sealed.Rekey(ctx, counsellor, id, 1, rekeyed); !errs.Is(err, errs.Conflict) {
			t.Fatalf("a stale re-key: %v", err)
		}
		if _, _, err := d.read(t, f, id); !errs.Is(err, errs.Permission) {
			t.Fatalf("the removed recipient: %v", err)
		}
		served, err := svc.Sealed.Note(ctx, supervisor, id)
		if err != nil || served.KeyVersion != 2 {
			t.Fatalf("after re-keying: %+v %v", served, err)
		}
		if _, err := keyring.OpenNote(oldKey, id, served.Ciphertext, served.Nonce); !errors.Is(err, keyring.ErrSealOpen) {
			t.Fatalf("the removed recipient's old key opens the new ciphertext: %v", err)
		}
		if body, err := keyring.OpenNote(newKey, id, served.Ciphertext, served.Nonce); err != nil || string(body) != plain {
			t.Fatalf("the new key: %v", err)
		}
		if got, _, err := b.read(t, f, id); err != nil || got != plain {
			t.Fatalf("a remaining recipient after re-keying: %q %v", got, err)
		}

		// Recovery, on the host.
		if _, err := svc.Sealed.ForRecovery(ctx, f.admin, id, "test"); !errs.Is(err, errs.Permission) {
			t.Fatalf("recovery over the web: %v", err)
		}
		rn, err := svc.Sealed.ForRecovery(ctx, authz.System(), id, "counsellor left")
		if err != nil {
			t.Fatal(err)
		}
		rk, err := keyring.OpenEnvelope(recovery, rn.Envelope, id, sealed.Recovery)
		if err != nil {
			t.Fatal(err)
		}
		if body, err := keyring.OpenNote(rk, id, rn.Ciphertext, rn.Nonce); err != nil || string(body) != plain {
			t.Fatalf("recovered: %q %v", body, err)
		}

		// Audited, refusals included.
		actions := auditActions(t, f)
		for _, want := range []string{"sealed.key_set", "sealed.recovery_set", "sealed.recipients", "sealed.create", "sealed.read", "sealed.list", "sealed.share", "sealed.rekey", "sealed.recovery_open"} {
			if !slices.Contains(actions, want) {
				t.Errorf("no %s event in %v", want, actions)
			}
		}
		var denied int
		f.DB.Raw(t).QueryRow(q(db, "SELECT count(*) FROM audit_events WHERE action = ? AND outcome = ?"), "sealed.read", "denied").Scan(&denied)
		if denied < 2 {
			t.Errorf("%d denied sealed.read events, want the refusals recorded", denied)
		}

		// The raw database: ciphertext, never the plaintext.
		raw := db.Raw(t)
		live := liveRows(t, db, raw)
		if !bytes.Contains(live, served.Ciphertext) && !bytes.Contains(live, []byte(hex.EncodeToString(served.Ciphertext))) {
			t.Fatal("control: the note's ciphertext is not in the dump")
		}
		var dumps [][]byte
		if db.Engine == store.SQLite {
			dumps = sqliteFiles(t, db.Path)
		} else {
			dumps = postgresDump(t, db)
		}
		all := bytes.Join(append(dumps, live), []byte{0})
		for _, form := range []string{plain, plain[len(plain)-8:], hex.EncodeToString([]byte(plain))} {
			if bytes.Contains(all, []byte(form)) {
				t.Errorf("%q is in the raw database", form)
			}
		}

		// Erasing the client deletes their sealed notes and envelopes.
		req, err := svc.Requests.TakeRequest(ctx, f.admin, client.ID, crm.RequestInput{Kind: "erasure", Law: "gdpr"})
		if err != nil {
			t.Fatal(err)
		}
		dpo := actorAs(t, f, "dpo@example.com", "privacy_officer", "")
		if _, err := svc.Requests.AskApproval(ctx, f.admin, req.ID); err != nil {
			t.Fatal(err)
		}
		if _, err := svc.Requests.Approve(ctx, dpo, req.ID); err != nil {
			t.Fatal(err)
		}
		if _, err := svc.Customers.EraseForRequest(ctx, dpo, req.ID); err != nil {
			t.Fatal(err)
		}
		var notes, envs int
		raw.QueryRow(q(db, "SELECT count(*) FROM sealed_notes WHERE id = ?"), id).Scan(&notes)
		raw.QueryRow(q(db, "SELECT count(*) FROM sealed_envelopes WHERE note_id = ?"), id).Scan(&envs)
		if notes != 0 || envs != 0 {
			t.Fatalf("after erasure: %d notes, %d envelopes", notes, envs)
		}
		if after := liveRows(t, db, raw); bytes.Contains(after, served.Ciphertext) || bytes.Contains(after, []byte(hex.EncodeToString(served.Ciphertext))) {
			t.Fatal("the note's ciphertext outlives the erasure")
		}
	})
}

func maps(m map[string][]byte) map[string][]byte {
	out := map[string][]byte{}
	for k, v := range m {
		out[k] = bytes.Clone(v)
	}
	return out
}
