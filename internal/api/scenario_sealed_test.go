package api_test

import (
	"crypto/ecdh"
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"testing"

	"strongroom.dev/strongroom/internal/keyring"
)

// sealedScenarios are the sealed notes' routes: a counsellor makes a seal
// key, seals a note on their client, shares it with a second counsellor
// and re-keys it; sales, the administrator and malformed input are
// refused with problem+json. The bodies are sealed by the Go
// implementation of the browser's formats.
func sealedScenarios() []scenario {
	keys := map[string]*ecdh.PrivateKey{}
	noteKey := []byte(nil)
	b64 := base64.StdEncoding.EncodeToString
	keyBody := func(user string) func(t *testing.T, r *runner) {
		return func(t *testing.T, r *runner) {
			priv, _ := keyring.NewSealKey()
			keys[user] = priv
			w, err := keyring.WrapSealKey(priv, "passphrase", r.vars["u."+user])
			if err != nil {
				t.Fatal(err)
			}
			b, _ := json.Marshal(map[string]any{"public_key": priv.PublicKey().Bytes(), "private_ct": w.PrivateCT, "private_nonce": w.Nonce,
				"kdf": keyring.SealKDF, "kdf_salt": w.Salt, "kdf_iterations": w.Iterations})
			r.vars["sealKeyBody"] = string(b)
		}
	}
	// note seals a body for the counsellor into {noteBody} ({noteID} made
	// on the first call); truncate spoils the envelope.
	note := func(version int, truncate bool) func(t *testing.T, r *runner) {
		return func(t *testing.T, r *runner) {
			if r.vars["noteID"] == "" {
				id := make([]byte, 16)
				rand.Read(id)
				r.vars["noteID"] = "snt_" + hex.EncodeToString(id)
			}
			id, me := r.vars["noteID"], r.vars["u.counsellor"]
			noteKey = keyring.NewNoteKey()
			ct, nonce, _ := keyring.SealNote(noteKey, id, []byte("sealed words"))
			env, err := keyring.SealEnvelope(noteKey, keys["counsellor"].PublicKey().Bytes(), id, me)
			if err != nil {
				t.Fatal(err)
			}
			if truncate {
				env = env[:60]
			}
			body := map[string]any{"ciphertext": ct, "nonce": nonce, "envelopes": map[string][]byte{me: env}}
			if version == 0 {
				body["id"] = id
			} else {
				body["key_version"] = version
			}
			b, _ := json.Marshal(body)
			r.vars["noteBody"] = string(b)
		}
	}
	share := func(t *testing.T, r *runner) {
		id := r.vars["noteID"]
		env, err := keyring.SealEnvelope(noteKey, keys["counsellor2"].PublicKey().Bytes(), id, r.vars["u.counsellor2"])
		if err != nil {
			t.Fatal(err)
		}
		r.vars["shareBody"] = `{"recipient_id":"` + r.vars["u.counsellor2"] + `","envelope":"` + b64(env) + `"}`
	}
	prfBody := `{"credential_id":"` + b64(make([]byte, 32)) + `","salt":"` + b64(make([]byte, 32)) + `","private_ct":"` + b64(make([]byte, 100)) + `","private_nonce":"` + b64(make([]byte, 12)) + `"}`
	return []scenario{
		{name: "sealed: sales holds no seal key", as: "salesA", method: "PUT", path: "/api/v1/me/seal-key", body: `{"public_key":"","private_ct":"","private_nonce":"","kdf":"","kdf_salt":"","kdf_iterations":0}`,
			status: 403, audit: []string{"security.forbidden denied"}},
		{name: "sealed: no key yet", as: "counsellor", method: "GET", path: "/api/v1/me/seal-key", status: 404},
		{name: "sealed: a key that is not one", as: "counsellor", method: "PUT", path: "/api/v1/me/seal-key", body: `{"public_key":"AAAA","private_ct":"","private_nonce":"","kdf":"PBKDF2-SHA256","kdf_salt":"","kdf_iterations":600000}`,
			status: 400, contains: []string{`"field":"public_key"`}},
		{name: "sealed: a counsellor stores their key", as: "counsellor", method: "PUT", path: "/api/v1/me/seal-key", body: "{sealKeyBody}", before: keyBody("counsellor"),
			status: 204, audit: []string{"sealed.key_set success"}},
		{name: "sealed: a second counsellor stores theirs", as: "counsellor2", method: "PUT", path: "/api/v1/me/seal-key", body: "{sealKeyBody}", before: keyBody("counsellor2"),
			status: 204, audit: []string{"sealed.key_set success"}},
		{name: "sealed: a passkey unlock before a key", as: "salesA", method: "PUT", path: "/api/v1/me/seal-key/prf", body: prfBody,
			status: 403, audit: []string{"security.forbidden denied"}},
		{name: "sealed: a short PRF salt", as: "counsellor", method: "PUT", path: "/api/v1/me/seal-key/prf", body: `{"credential_id":"` + b64(make([]byte, 32)) + `","salt":"AAAA","private_ct":"` + b64(make([]byte, 100)) + `","private_nonce":"` + b64(make([]byte, 12)) + `"}`,
			status: 400, contains: []string{`"field":"salt"`}},
		{name: "sealed: a passkey unlock", as: "counsellor", method: "PUT", path: "/api/v1/me/seal-key/prf", body: prfBody,
			status: 204, audit: []string{"sealed.key_prf_set success"}},
		{name: "sealed: my key", as: "counsellor", method: "GET", path: "/api/v1/me/seal-key",
			status: 200, contains: []string{`"kdf":"PBKDF2-SHA256"`, `"kdf_iterations":600000`, `"prf":{"credential_id":`}, audit: []string{"sealed.key_read success"}},
		{name: "sealed: recipients", as: "counsellor", method: "GET", path: "/api/v1/customers/{cusC}/sealed-recipients",
			status: 200, contains: []string{"{u.counsellor2}", "counsellor2@example.com"}, audit: []string{"sealed.recipients success"}},
		{name: "sealed: sales may not list recipients", as: "salesA", method: "GET", path: "/api/v1/customers/{cusA}/sealed-recipients",
			status: 403, audit: []string{"security.forbidden denied"}},
		{name: "sealed: a truncated envelope", as: "counsellor", method: "POST", path: "/api/v1/customers/{cusC}/sealed-notes", body: "{noteBody}", before: note(0, true),
			status: 400, contains: []string{`"field":"envelopes"`}},
		{name: "sealed: a counsellor seals a note", as: "counsellor", method: "POST", path: "/api/v1/customers/{cusC}/sealed-notes", body: "{noteBody}", before: note(0, false),
			status: 201, contains: []string{"{noteID}", `"readable":true`}, absent: []string{"sealed words"}, audit: []string{"sealed.create success"}},
		{name: "sealed: the same id twice", as: "counsellor", method: "POST", path: "/api/v1/customers/{cusC}/sealed-notes", body: "{noteBody}",
			status: 400, contains: []string{`"field":"id"`}},
		{name: "sealed: sales may not write one", as: "salesA", method: "POST", path: "/api/v1/customers/{cusA}/sealed-notes", body: "{noteBody}",
			status: 403, audit: []string{"security.forbidden denied"}},
		{name: "sealed: the list", as: "counsellor", method: "GET", path: "/api/v1/customers/{cusC}/sealed-notes",
			status: 200, contains: []string{"{noteID}", `"ciphertext"`}, audit: []string{"sealed.list success"}},
		{name: "sealed: a counsellor without the client", as: "counsellor2", method: "GET", path: "/api/v1/customers/{cusC}/sealed-notes",
			status: 404, audit: []string{"sealed.list denied"}},
		{name: "sealed: the administrator may not read it", as: "admin", method: "GET", path: "/api/v1/sealed-notes/{noteID}",
			status: 403, audit: []string{"security.forbidden denied"}},
		{name: "sealed: its writer reads it", as: "counsellor", method: "GET", path: "/api/v1/sealed-notes/{noteID}",
			status: 200, contains: []string{`"envelope"`, `"key_version":1`}, audit: []string{"sealed.read success"}},
		{name: "sealed: sharing it", as: "counsellor", method: "POST", path: "/api/v1/sealed-notes/{noteID}/recipients", body: "{shareBody}", before: share,
			status: 204, audit: []string{"sealed.share success"}},
		{name: "sealed: sharing it twice", as: "counsellor", method: "POST", path: "/api/v1/sealed-notes/{noteID}/recipients", body: "{shareBody}",
			status: 409, audit: []string{}},
		{name: "sealed: a stale re-key", as: "counsellor", method: "PUT", path: "/api/v1/sealed-notes/{noteID}", body: "{noteBody}", before: note(7, false),
			status: 409},
		{name: "sealed: re-keying it without the second counsellor", as: "counsellor", method: "PUT", path: "/api/v1/sealed-notes/{noteID}", body: "{noteBody}", before: note(1, false),
			status: 200, contains: []string{`"key_version":2`}, audit: []string{"sealed.rekey success"}},
	}
}
