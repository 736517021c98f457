package browser_test

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	cdpwebauthn "github.com/chromedp/cdproto/webauthn"
	"github.com/chromedp/chromedp"

	"strongroom.dev/strongroom/internal/e2e"
	"strongroom.dev/strongroom/internal/keyring"
	"strongroom.dev/strongroom/internal/testkit"
)

// sealedTexts are the messages the test waits for, by language (the web
// catalogue's sealed_ready, sealed_saved, sealed_wrong_passphrase and
// sealed_tampered).
var sealedTexts = map[string]struct{ ready, saved, wrong, tampered, summary, removed, shared, notYours, prfAdded string }{
	"en": {"Your key is unlocked in this page until you leave it.", "Sealed and saved.", "Wrong passphrase: your key did not open.",
		"This note could not be opened: it was altered, or it is not sealed to your key.", "Sealed notes",
		"Removed: the note was sealed again under a new key for the remaining readers.", "Shared.", "Not sealed to you",
		"Passkey added: it unlocks your key from now on; the passphrase still works."},
	"zh-CN": {"在您离开此页面之前，您的密钥保持解锁。", "已加密并保存。", "口令错误：无法打开您的密钥。",
		"无法打开这条笔记：它已被篡改，或未密封给您的密钥。", "密封笔记",
		"已移除：笔记已用新密钥为其余读者重新加密。", "已分享。", "未密封给您",
		"已添加通行密钥：今后可用它解锁您的密钥；口令仍然有效。"},
}

// TestBrowserSealedNotes, in English and in Chinese: a clinical
// supervisor and a counsellor each make a sealed-notes key in Chromium
// (WebCrypto); the counsellor writes a note sealed to the supervisor, who
// opens it; the administrator's API answers, the audit log and the raw
// database files never hold the plaintext; the recovery key made offline
// opens the browser's note with keys recovery-open; a wrong passphrase,
// a tampered ciphertext and a tampered envelope are refused in the
// browser with a readable message; a passkey (WebAuthn PRF) unlocks the
// supervisor's key; removing a reader re-keys; a key wrapped and a note
// sealed by the Go implementation open in the browser.
func TestBrowserSealedNotes(t *testing.T) {
	chromium(t)
	for _, lang := range []string{"en", "zh-CN"} {
		t.Run(lang, func(t *testing.T) { sealedNotesIn(t, lang) })
	}
}

func sealedNotesIn(t *testing.T, lang string) {
	want := sealedTexts[lang]
	db := testkit.NewSQLite(t)
	storage := e2e.StorageArgs(t, db)
	e2e.AddUser(t, storage, "admin@example.com", "admin")
	if code, out, errOut := e2e.Run(t, "", append([]string{"role", "template", "--name", "counselling_agency"}, storage...)...); code != 0 {
		t.Fatalf("role template: exit %d\n%s%s", code, out, errOut)
	}
	e2e.AddUserInTeam(t, storage, "ann@example.com", "counsellor", "north")
	e2e.AddUserInTeam(t, storage, "zhou@example.com", "clinical_supervisor", "north")
	e2e.AddUserInTeam(t, storage, "dee@example.com", "clinical_supervisor", "north")
	keys := filepath.Join(t.TempDir(), "offline")
	if code, out, errOut := e2e.Run(t, "", "keys", "recovery-init", "--out", keys); code != 0 {
		t.Fatalf("recovery-init: exit %d\n%s%s", code, out, errOut)
	}
	if code, out, errOut := e2e.Run(t, "", append([]string{"keys", "recovery-set", "--public", filepath.Join(keys, "seal-recovery.pub")}, storage...)...); code != 0 {
		t.Fatalf("recovery-set: exit %d\n%s%s", code, out, errOut)
	}
	s := e2e.Start(t, storage)
	ann := s.Login(t, "ann@example.com", e2e.Password)
	zhouID := s.Do(t, "GET", "/api/v1/me", s.Login(t, "zhou@example.com", e2e.Password), nil).Str("user_id")
	c := s.Do(t, "POST", "/api/v1/customers", ann, map[string]any{"name": "Lin Mei"})
	if c.Status != 201 {
		t.Fatalf("client: %d %s", c.Status, c.Body)
	}
	page := s.URL + "/customers/" + c.Str("id")
	plain := "Disclosed a family conflict; weekly sessions agreed 家庭矛盾 " + strings.ToUpper(time.Now().Format("150405.000"))

	ctx := newTab(t, 1280, 1000)
	do(t, ctx, prfAuthenticator())
	// as logs in as email in the test's language and opens the client's
	// sealed notes.
	as := func(email string) {
		t.Helper()
		do(t, ctx, chromedp.Navigate(s.URL+"/login"), chromedp.WaitReady(byCSS(`main`)))
		if v := value(t, ctx, chromedp.Evaluate[string](`document.getElementById("logout") ? "in" : "out"`)); v == "in" {
			do(t, ctx, chromedp.Click(byID(`logout`)), chromedp.WaitVisible(byID(`email`)))
		}
		do(t, ctx, login(s.URL, email, e2e.Password))
		if value(t, ctx, chromedp.Evaluate[string](`document.documentElement.lang`)) != lang {
			if err := switchToChinese(ctx); err != nil {
				t.Fatal(err)
			}
		}
		do(t, ctx, chromedp.Navigate(page), chromedp.WaitVisible(byCSS(`#sealed summary`)))
		if got := value(t, ctx, chromedp.Text(byCSS(`#sealed summary`))); got != want.summary {
			t.Fatalf("the section's summary: %q, want %q", got, want.summary)
		}
		do(t, ctx, chromedp.Click(byCSS(`#sealed summary`)))
	}
	setup := func(pass string) {
		t.Helper()
		do(t, ctx, chromedp.WaitVisible(byID(`sealed-setup`)),
			chromedp.SendKeys(byID(`sealed-new-pass`), pass), chromedp.SendKeys(byID(`sealed-new-pass2`), pass),
			chromedp.Click(byID(`sealed-create`)), chromedp.WaitVisible(byID(`sealed-write`)))
		waitText(t, ctx, `#sealed-status`, want.ready)
	}
	unlock := func(pass string) {
		t.Helper()
		do(t, ctx, chromedp.WaitVisible(byID(`sealed-unlock`)))
		value(t, ctx, chromedp.Evaluate[string](`document.getElementById("sealed-pass").value = ""`))
		do(t, ctx, chromedp.SendKeys(byID(`sealed-pass`), pass), chromedp.Click(byID(`sealed-unlock-button`)))
	}

	// The supervisor makes a key; the counsellor makes one and writes.
	as("zhou@example.com")
	setup("supervisor passphrase 1")
	as("ann@example.com")
	setup("counsellor passphrase 1")
	do(t, ctx, chromedp.WaitVisible(byID(`sealed-to-`+zhouID)), chromedp.Click(byID(`sealed-to-`+zhouID)),
		chromedp.SendKeys(byID(`sealed-text`), plain), chromedp.Click(byID(`sealed-save`)))
	waitText(t, ctx, `#sealed-status`, want.saved)
	do(t, ctx, chromedp.WaitVisible(byCSS(`#sealed-list li[data-note] .sealed-open`)))
	noteID := value(t, ctx, chromedp.Evaluate[string](`document.querySelector("#sealed-list li[data-note]").dataset.note`))

	// The supervisor: a wrong passphrase, then the right one, and the note.
	as("zhou@example.com")
	unlock("not my passphrase at all")
	waitText(t, ctx, `#sealed-error`, want.wrong)
	unlock("supervisor passphrase 1")
	waitText(t, ctx, `#sealed-status`, want.ready)
	do(t, ctx, chromedp.Click(byCSS(`#note-`+noteID+` .sealed-open`)), chromedp.WaitVisible(byCSS(`#note-`+noteID+` .sealed-body`)))
	waitText(t, ctx, `#note-`+noteID+` .sealed-body`, plain)

	// She adds a passkey (WebAuthn PRF) and unlocks with it next time.
	do(t, ctx, chromedp.WaitVisible(byID(`sealed-prf`)), chromedp.SendKeys(byID(`sealed-prf-pass`), "supervisor passphrase 1"),
		chromedp.Click(byID(`sealed-prf-add`)))
	waitText(t, ctx, `#sealed-status`, want.prfAdded)
	if r := s.Do(t, "GET", "/api/v1/audit?action=sealed.key_prf_set&limit=5", admin0(t, s), nil); !strings.Contains(string(r.Body), "sealed.key_prf_set") {
		t.Fatalf("the passkey unlock is not audited: %s", r.Body)
	}
	as("zhou@example.com")
	do(t, ctx, chromedp.WaitVisible(byID(`sealed-passkey-unlock`)), chromedp.Click(byID(`sealed-passkey-unlock`)))
	waitText(t, ctx, `#sealed-status`, want.ready)
	do(t, ctx, chromedp.Click(byCSS(`#note-`+noteID+` .sealed-open`)))
	waitText(t, ctx, `#note-`+noteID+` .sealed-body`, plain)

	// The counsellor removes the supervisor (the browser re-keys the note),
	// who then finds it not sealed to her; the counsellor shares it again.
	openAs := func(email, pass string) {
		t.Helper()
		as(email)
		unlock(pass)
		waitText(t, ctx, `#sealed-status`, want.ready)
	}
	openAs("ann@example.com", "counsellor passphrase 1")
	do(t, ctx, chromedp.Click(byCSS(`#note-`+noteID+` .sealed-open`)), chromedp.WaitVisible(byCSS(`#note-`+noteID+` .sealed-remove`)),
		chromedp.Click(byCSS(`#note-`+noteID+` .sealed-remove`)))
	waitText(t, ctx, `#sealed-status`, want.removed)
	if r := s.Do(t, "GET", "/api/v1/sealed-notes/"+noteID, ann, nil); !strings.Contains(string(r.Body), `"key_version":2`) || strings.Contains(string(r.Body), zhouID) {
		t.Fatalf("after removing the supervisor: %s", r.Body)
	}
	openAs("zhou@example.com", "supervisor passphrase 1")
	waitText(t, ctx, `#note-`+noteID+` .badge`, want.notYours)
	openAs("ann@example.com", "counsellor passphrase 1")
	do(t, ctx, chromedp.Click(byCSS(`#note-`+noteID+` .sealed-open`)), chromedp.WaitVisible(byID(`share-`+noteID)),
		chromedp.SetValue(byID(`share-`+noteID), zhouID), chromedp.Click(byCSS(`#note-`+noteID+` .sealed-share`)))
	waitText(t, ctx, `#sealed-status`, want.shared)
	openAs("zhou@example.com", "supervisor passphrase 1")
	do(t, ctx, chromedp.Click(byCSS(`#note-`+noteID+` .sealed-open`)))
	waitText(t, ctx, `#note-`+noteID+` .sealed-body`, plain)

	// Neither the administrator nor the database holds the plaintext.
	admin := s.Login(t, "admin@example.com", e2e.Password)
	for _, path := range []string{"/api/v1/customers/" + c.Str("id") + "/sealed-notes", "/api/v1/sealed-notes/" + noteID, "/api/v1/customers/" + c.Str("id"),
		"/api/v1/customers/" + c.Str("id") + "/activities", "/api/v1/audit?limit=200"} {
		r := s.Do(t, "GET", path, admin, nil)
		if bytes.Contains(r.Body, []byte(plain[:40])) || bytes.Contains(r.Body, []byte("家庭矛盾")) {
			t.Errorf("the administrator's GET %s answers the plaintext", path)
		}
	}
	if r := s.Do(t, "GET", "/api/v1/sealed-notes/"+noteID, ann, nil); r.Status != 200 || !strings.Contains(string(r.Body), `"ciphertext"`) || strings.Contains(string(r.Body), "weekly sessions") {
		t.Fatalf("the writer's API answer: %d %s", r.Status, r.Body)
	}
	data := e2e.DataDir(storage)
	var files []byte
	for _, f := range []string{"strongroom.db", "strongroom.db-wal"} {
		b, _ := os.ReadFile(filepath.Join(data, f))
		files = append(files, b...)
	}
	if !bytes.Contains(files, []byte(noteID)) {
		t.Fatal("control: the note's id is not in the database files")
	}
	for _, v := range []string{plain, plain[:40], "家庭矛盾", "weekly sessions"} {
		if bytes.Contains(files, []byte(v)) {
			t.Errorf("the database files hold %q", v)
		}
	}

	// The recovery key, offline, opens what the browser sealed.
	code, out, errOut := e2e.Run(t, "", append([]string{"keys", "recovery-open", "--private", filepath.Join(keys, "seal-recovery.key"), "--note", noteID,
		"--reason", "browser test"}, storage...)...)
	if code != 0 || strings.TrimSpace(out) != plain {
		t.Fatalf("recovery-open of the browser's note: exit %d %q %s", code, out, errOut)
	}

	// Tampering: a flipped bit of the ciphertext, then of the envelope,
	// is refused in the browser, readably.
	raw := db.Raw(t)
	flip := func(table, column, where string, args ...any) func() {
		t.Helper()
		var orig []byte
		if err := raw.QueryRow("SELECT "+column+" FROM "+table+" WHERE "+where, args...).Scan(&orig); err != nil {
			t.Fatal(err)
		}
		bad := bytes.Clone(orig)
		bad[len(bad)-5] ^= 0x01
		if _, err := raw.Exec("UPDATE "+table+" SET "+column+" = ? WHERE "+where, append([]any{bad}, args...)...); err != nil {
			t.Fatal(err)
		}
		return func() {
			if _, err := raw.Exec("UPDATE "+table+" SET "+column+" = ? WHERE "+where, append([]any{orig}, args...)...); err != nil {
				t.Fatal(err)
			}
		}
	}
	for _, tamper := range []struct{ table, column, where string }{
		{"sealed_notes", "ciphertext", "id = ?"},
		{"sealed_envelopes", "envelope", "note_id = ? AND recipient_id = '" + zhouID + "'"},
	} {
		restore := flip(tamper.table, tamper.column, tamper.where, noteID)
		as("zhou@example.com")
		unlock("supervisor passphrase 1")
		waitText(t, ctx, `#sealed-status`, want.ready)
		do(t, ctx, chromedp.Click(byCSS(`#note-`+noteID+` .sealed-open`)))
		waitText(t, ctx, `#sealed-error`, want.tampered)
		if v := value(t, ctx, chromedp.Evaluate[string](`document.querySelector("#note-`+noteID+` .sealed-body") ? "shown" : "none"`)); v != "none" {
			t.Fatalf("a tampered %s.%s was shown", tamper.table, tamper.column)
		}
		restore()
	}

	// The Go implementation (the demo's, recovery's) and the browser's
	// agree: a key wrapped in Go unlocks in Chromium, and a note sealed in
	// Go (to the counsellor's browser-made key too) opens there.
	dee := s.Login(t, "dee@example.com", e2e.Password)
	deeID := s.Do(t, "GET", "/api/v1/me", dee, nil).Str("user_id")
	deeKey, _ := keyring.NewSealKey()
	w, err := keyring.WrapSealKey(deeKey, "made in go passphrase", deeID)
	if err != nil {
		t.Fatal(err)
	}
	if r := s.Do(t, "PUT", "/api/v1/me/seal-key", dee, map[string]any{"public_key": deeKey.PublicKey().Bytes(), "private_ct": w.PrivateCT, "private_nonce": w.Nonce,
		"kdf": keyring.SealKDF, "kdf_salt": w.Salt, "kdf_iterations": w.Iterations}); r.Status != 204 {
		t.Fatalf("dee's key: %d %s", r.Status, r.Body)
	}
	var rs struct {
		Recipients []struct {
			ID        string `json:"id"`
			PublicKey []byte `json:"public_key"`
		} `json:"recipients"`
	}
	if err := json.Unmarshal(s.Do(t, "GET", "/api/v1/customers/"+c.Str("id")+"/sealed-recipients", ann, nil).Body, &rs); err != nil {
		t.Fatal(err)
	}
	goID, goText := "snt_00112233445566778899aabbccddeeff", "Sealed in Go, opened in the browser 在浏览器中打开"
	noteKey := keyring.NewNoteKey()
	ct, nonce, _ := keyring.SealNote(noteKey, goID, []byte(goText))
	envs := map[string][]byte{}
	for _, r := range rs.Recipients {
		if envs[r.ID], err = keyring.SealEnvelope(noteKey, r.PublicKey, goID, r.ID); err != nil {
			t.Fatal(err)
		}
	}
	if r := s.Do(t, "POST", "/api/v1/customers/"+c.Str("id")+"/sealed-notes", ann, map[string]any{"id": goID, "ciphertext": ct, "nonce": nonce, "envelopes": envs}); r.Status != 201 {
		t.Fatalf("the Go-sealed note: %d %s", r.Status, r.Body)
	}
	as("dee@example.com")
	unlock("made in go passphrase")
	waitText(t, ctx, `#sealed-status`, want.ready)
	do(t, ctx, chromedp.Click(byCSS(`#note-`+goID+` .sealed-open`)))
	waitText(t, ctx, `#note-`+goID+` .sealed-body`, goText)
}

// prfAuthenticator gives the tab a virtual platform authenticator with
// user verification and WebAuthn's PRF extension (CTAP2 hmac-secret).
func prfAuthenticator() chromedp.Action[chromedp.Void] {
	return func(ctx context.Context, t *chromedp.Target) (chromedp.Void, error) {
		if _, err := cdp.Call(ctx, t, cdpwebauthn.Enable, cdpwebauthn.EnableParams{}); err != nil {
			return chromedp.Void{}, err
		}
		_, err := cdp.Call(ctx, t, cdpwebauthn.AddVirtualAuthenticator, cdpwebauthn.AddVirtualAuthenticatorParams{Options: &cdpwebauthn.VirtualAuthenticatorOptions{
			Protocol: cdpwebauthn.AuthenticatorProtocolCtap2, Transport: cdpwebauthn.AuthenticatorTransportInternal,
			HasResidentKey: true, HasUserVerification: true, IsUserVerified: true, AutomaticPresenceSimulation: true, HasPrf: true,
		}})
		return chromedp.Void{}, err
	}
}

// admin0 logs in the test's administrator through the API.
func admin0(t *testing.T, s *e2e.Server) string { return s.Login(t, "admin@example.com", e2e.Password) }
