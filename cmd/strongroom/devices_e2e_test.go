package main_test

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	jose "github.com/go-jose/go-jose/v4"

	"strongroom.dev/strongroom/internal/testkit"
)

// deviceKey is a field device's P-256 key pair, as the app holds it.
type deviceKey struct{ priv *ecdsa.PrivateKey }

func newDeviceKey(t *testing.T) deviceKey {
	t.Helper()
	k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	return deviceKey{k}
}

// proof is a DPoP proof (RFC 9449) by k for method and url, bound to token
// ("" for none); claims override the defaults.
func (k deviceKey) proof(t *testing.T, method, url, token string, claims map[string]any) string {
	t.Helper()
	opts := (&jose.SignerOptions{EmbedJWK: true}).WithType("dpop+jwt")
	signer, err := jose.NewSigner(jose.SigningKey{Algorithm: jose.ES256, Key: k.priv}, opts)
	if err != nil {
		t.Fatal(err)
	}
	jti := make([]byte, 16)
	rand.Read(jti)
	c := map[string]any{"htm": method, "htu": url, "iat": time.Now().Unix(), "jti": base64.RawURLEncoding.EncodeToString(jti)}
	if token != "" {
		sum := sha256.Sum256([]byte(token))
		c["ath"] = base64.RawURLEncoding.EncodeToString(sum[:])
	}
	for k, v := range claims {
		if v == nil {
			delete(c, k)
		} else {
			c[k] = v
		}
	}
	payload, _ := json.Marshal(c)
	jws, err := signer.Sign(payload)
	if err != nil {
		t.Fatal(err)
	}
	s, err := jws.CompactSerialize()
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// call is a device's request: its token as Authorization: DPoP and a fresh proof.
func (k deviceKey) call(t *testing.T, s *server, method, path, token string, body any) reply {
	t.Helper()
	return s.Do(t, method, path, "", body, "Authorization", "DPoP "+token, "DPoP", k.proof(t, method, s.URL+path, token, nil))
}

// Field devices end to end, on both engines: enrolment binds the token to
// the device's key (DPoP), so the token copied to another key, sent as a
// Bearer token, or a replayed or altered proof is refused; a field rep
// reaches the API only from an enrolled device; the lease hands out the
// wrapping secret; lock ends the tokens at once; a wipe is delivered with
// Clear-Site-Data and confirmed; all audited with the device named.
func TestDevicesE2E(t *testing.T) {
	testkit.ForEachDB(t, func(t *testing.T, db testkit.DB) {
		storage := storageArgs(t, db)
		addUser(t, storage, "admin@example.com", "admin")
		addUserInTeam(t, storage, "rep@example.com", "field_rep", "east")
		addUserInTeam(t, storage, "rep2@example.com", "field_rep", "east")
		s := start(t, storage, "--device-min-version", "1.0.0", "--offline-lease", "2h")
		admin := s.Login(t, "admin@example.com", password)
		rep := s.Login(t, "rep@example.com", password)

		// Posture: a field rep's plain session reaches the API's data only through a device.
		if r := s.Do(t, "GET", "/api/v1/visits", rep, nil); r.Status != http.StatusForbidden || !strings.Contains(r.Str("detail"), "enrolled device") {
			t.Fatalf("a field rep without a device: %d %s", r.Status, r.Body)
		}
		if r := s.Do(t, "GET", "/api/v1/visits", admin, nil); r.Status != http.StatusOK {
			t.Fatalf("an administrator (no device rule): %d %s", r.Status, r.Body)
		}

		key := newDeviceKey(t)
		enrol := func(k deviceKey, session string, in map[string]any, claims map[string]any) reply {
			return s.Do(t, "POST", "/api/v1/devices", session, in, "DPoP", k.proof(t, "POST", s.URL+"/api/v1/devices", "", claims))
		}
		in := map[string]any{"name": "Li's phone", "platform": "Android", "app_version": "1.0.0"}
		for _, c := range []struct {
			name   string
			in     map[string]any
			claims map[string]any
			status int
			detail string
		}{
			{"old app", map[string]any{"name": "x", "platform": "Android", "app_version": "0.9"}, nil, 403, "older than the minimum"},
			{"wrong method", in, map[string]any{"htm": "GET"}, 401, "htm"},
			{"wrong URL", in, map[string]any{"htu": "https://evil.example/api/v1/devices"}, 401, "htu"},
			{"old proof", in, map[string]any{"iat": time.Now().Add(-time.Hour).Unix()}, 401, "iat"},
			{"no jti", in, map[string]any{"jti": nil}, 401, "jti"},
			{"ath without token", in, map[string]any{"ath": "abc"}, 401, "ath"},
		} {
			if r := enrol(key, rep, c.in, c.claims); r.Status != c.status || !strings.Contains(r.Str("detail"), c.detail) {
				t.Errorf("%s: %d %s", c.name, r.Status, r.Body)
			}
		}
		if r := s.Do(t, "POST", "/api/v1/devices", rep, in); r.Status != http.StatusUnauthorized {
			t.Fatalf("enrolment without a proof: %d %s", r.Status, r.Body)
		}
		r := enrol(key, rep, in, nil)
		if r.Status != http.StatusCreated || r.Str("token_type") != "DPoP" {
			t.Fatalf("enrol: %d %s", r.Status, r.Body)
		}
		token := r.Str("access_token")
		dev := r.JSON["device"].(map[string]any)
		devID := dev["id"].(string)

		// The device's own calls work, with a fresh proof each time.
		if r := key.call(t, s, "GET", "/api/v1/visits", token, nil); r.Status != http.StatusOK {
			t.Fatalf("device reads visits: %d %s", r.Status, r.Body)
		}
		lease := key.call(t, s, "POST", "/api/v1/devices/current/lease", token, map[string]any{"place": map[string]any{"lat": 31.230416, "lon": 121.473701}})
		if lease.Status != http.StatusOK || len(lease.Str("secret")) != 43 || lease.JSON["seconds"].(float64) != 7200 || lease.Header.Get("Cache-Control") != "no-store" {
			t.Fatalf("lease: %d %s", lease.Status, lease.Body)
		}
		// A copied token: from another key, as a Bearer token, with a replayed proof.
		thief := newDeviceKey(t)
		if r := thief.call(t, s, "GET", "/api/v1/visits", token, nil); r.Status != http.StatusUnauthorized || !strings.Contains(r.Str("detail"), "copied token") {
			t.Fatalf("the token from another key: %d %s", r.Status, r.Body)
		}
		if r := s.Do(t, "GET", "/api/v1/visits", token, nil); r.Status != http.StatusUnauthorized || !strings.Contains(r.Str("detail"), "DPoP") {
			t.Fatalf("the token as Bearer: %d %s", r.Status, r.Body)
		}
		p := key.proof(t, "GET", s.URL+"/api/v1/visits", token, nil)
		if r := s.Do(t, "GET", "/api/v1/visits", "", nil, "Authorization", "DPoP "+token, "DPoP", p); r.Status != http.StatusOK {
			t.Fatalf("first use of a proof: %d %s", r.Status, r.Body)
		}
		if r := s.Do(t, "GET", "/api/v1/visits", "", nil, "Authorization", "DPoP "+token, "DPoP", p); r.Status != http.StatusUnauthorized || !strings.Contains(r.Str("detail"), "used before") {
			t.Fatalf("a replayed proof: %d %s", r.Status, r.Body)
		}
		other := s.Login(t, "rep2@example.com", password)
		if r := key.call(t, s, "GET", "/api/v1/visits", other, nil); r.Status != http.StatusUnauthorized {
			t.Fatalf("another user's plain token with this device's proof: %d %s", r.Status, r.Body)
		}

		// Another user may neither see nor lock it; the list shows state, contact and the coarse place.
		if r := s.Do(t, "POST", "/api/v1/devices/"+devID+"/lock", other, map[string]any{}); r.Status != http.StatusNotFound {
			t.Fatalf("another rep locks it: %d %s", r.Status, r.Body)
		}
		list := s.Do(t, "GET", "/api/v1/devices", admin, nil)
		if list.Status != 200 || !strings.Contains(string(list.Body), `"last_place":"31.23, 121.47"`) || !strings.Contains(string(list.Body), `"state":"active"`) {
			t.Fatalf("admin's list: %d %s", list.Status, list.Body)
		}

		// Lock: at once the device's token and lease end.
		if r := s.Do(t, "POST", "/api/v1/devices/"+devID+"/lock", admin, map[string]any{"reason": "reported stolen"}); r.Status != 200 || r.Str("state") != "locked" {
			t.Fatalf("lock: %d %s", r.Status, r.Body)
		}
		r = key.call(t, s, "POST", "/api/v1/devices/current/lease", token, map[string]any{})
		if r.Status != http.StatusForbidden || r.Header.Get("Strongroom-Device-State") != "locked" {
			t.Fatalf("a locked device's lease: %d %s", r.Status, r.Body)
		}
		if r := enrol(key, rep, in, nil); r.Status != http.StatusForbidden {
			t.Fatalf("a locked device enrols again: %d %s", r.Status, r.Body)
		}

		// Wipe: a second device, ordered by its own user; delivered at the next contact.
		key2 := newDeviceKey(t)
		r = enrol(key2, rep, map[string]any{"name": "Tablet", "platform": "iPadOS", "app_version": "1.2.0"}, nil)
		if r.Status != http.StatusCreated {
			t.Fatalf("second device: %d %s", r.Status, r.Body)
		}
		token2, dev2 := r.Str("access_token"), r.JSON["device"].(map[string]any)["id"].(string)
		if r := s.Do(t, "POST", "/api/v1/devices/"+dev2+"/wipe", rep, map[string]any{"reason": "left in a taxi"}); r.Status != http.StatusAccepted || r.Str("state") != "wipe_ordered" {
			t.Fatalf("wipe: %d %s", r.Status, r.Body)
		}
		r = key2.call(t, s, "GET", "/api/v1/visits", token2, nil)
		code := r.Str("confirmation_code")
		if r.Status != http.StatusGone || r.Header.Get("Clear-Site-Data") != `"cache", "cookies", "storage"` || code == "" {
			t.Fatalf("wipe delivery: %d %v %s", r.Status, r.Header, r.Body)
		}
		if r := key2.call(t, s, "GET", "/api/v1/visits", token2, nil); r.Status != http.StatusGone {
			t.Fatalf("a delivered wipe is delivered again until confirmed: %d %s", r.Status, r.Body)
		}
		if r := s.Do(t, "POST", "/api/v1/devices/"+dev2+"/wipe-confirmation", "", map[string]any{"confirmation_code": "srl_wrong"}); r.Status != http.StatusNotFound {
			t.Fatalf("a wrong code: %d %s", r.Status, r.Body)
		}
		// the second delivery issued a new code; take it
		r = key2.call(t, s, "GET", "/api/v1/visits", token2, nil)
		code = r.Str("confirmation_code")
		if r := s.Do(t, "POST", "/api/v1/devices/"+dev2+"/wipe-confirmation", "", map[string]any{"confirmation_code": code}); r.Status != http.StatusNoContent {
			t.Fatalf("confirm: %d %s", r.Status, r.Body)
		}
		if r := key2.call(t, s, "GET", "/api/v1/visits", token2, nil); r.Status != http.StatusForbidden || r.Header.Get("Strongroom-Device-State") != "wiped" {
			t.Fatalf("a wiped device: %d %s", r.Status, r.Body)
		}

		// The devices page, in Chinese for the rep: their own devices with their state; the
		// rep orders a wipe from it; another rep sees none of them.
		web := newBrowser(t, s, "zh-CN")
		web.login("rep@example.com", password)
		page := web.get("/devices")
		if page.status != 200 || !strings.Contains(page.body, "Li&#39;s phone") || !strings.Contains(page.body, "已锁定") || !strings.Contains(page.body, "已擦除") {
			t.Fatalf("the rep's devices page: %d\n%s", page.status, page.body)
		}
		key3 := newDeviceKey(t)
		if r := enrol(key3, rep, map[string]any{"name": "Spare", "platform": "Android", "app_version": "1.0.0"}, nil); r.Status != http.StatusCreated {
			t.Fatalf("third device: %d %s", r.Status, r.Body)
		}
		page = web.get("/devices")
		dev3 := regexp.MustCompile(`action="/devices/(dev_[0-9a-f]+)/wipe"`).FindStringSubmatch(page.body)
		if dev3 == nil {
			t.Fatalf("no wipe button:\n%s", page.body)
		}
		// One click is not enough: the page spells out what a wipe does and asks again.
		if p := web.post("/devices/"+dev3[1]+"/wipe", url.Values{"csrf": {page.csrf(t)}}); p.status != http.StatusBadRequest || !strings.Contains(p.body, `id="confirm-box"`) || !strings.Contains(p.body, "无法撤销") {
			t.Fatalf("an unconfirmed wipe: %d %s", p.status, p.body)
		}
		if page := web.get("/devices"); !strings.Contains(page.body, `action="/devices/`+dev3[1]+`/wipe"`) {
			t.Fatal("an unconfirmed wipe was ordered")
		}
		if p := web.post("/devices/"+dev3[1]+"/wipe", url.Values{"csrf": {page.csrf(t)}, "confirm": {"1"}}); p.status != http.StatusSeeOther {
			t.Fatalf("wipe from the page: %d %s", p.status, p.body)
		}
		if page := web.get("/devices"); !strings.Contains(page.body, "已下达擦除") {
			t.Fatalf("after the wipe order:\n%s", page.body)
		}
		rep2web := newBrowser(t, s, "en")
		rep2web.login("rep2@example.com", password)
		if page := rep2web.get("/devices"); strings.Contains(page.body, "Li&#39;s phone") || strings.Contains(page.body, devID) {
			t.Fatal("another rep sees the rep's devices")
		}
		if p := rep2web.post("/devices/"+devID+"/wipe", url.Values{"csrf": {rep2web.get("/devices").csrf(t)}, "confirm": {"1"}}); p.status != http.StatusNotFound {
			t.Fatalf("another rep wipes the rep's device: %d", p.status)
		}

		// The field app: its own files only, a strict CSP that lets its service worker in.
		for path, typ := range map[string]string{"/app/": "text/html", "/app/app.js": "text/javascript", "/app/sw.js": "text/javascript", "/app/manifest.webmanifest": "application/manifest+json"} {
			resp, err := s.Client.Get(s.URL + path)
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			csp := resp.Header.Get("Content-Security-Policy")
			if resp.StatusCode != 200 || !strings.HasPrefix(resp.Header.Get("Content-Type"), typ) || !strings.Contains(csp, "worker-src 'self'") ||
				!strings.Contains(csp, "script-src 'self'") || strings.Contains(csp, "unsafe") {
				t.Errorf("%s: %d %s %q", path, resp.StatusCode, resp.Header.Get("Content-Type"), csp)
			}
		}
		if resp, err := s.Client.Get(s.URL + "/app/secret.txt"); err != nil || resp.StatusCode != 404 {
			t.Errorf("an unknown file under /app/: %v %v", resp, err)
		} else {
			resp.Body.Close()
		}

		// The CLI lists them; the audit log names the device on its own requests.
		codeN, out, errOut := run(t, "", append([]string{"device", "list"}, storage...)...)
		if codeN != 0 || !strings.Contains(out, devID) || !strings.Contains(out, "rep@example.com") || !strings.Contains(out, "locked") || !strings.Contains(out, "wiped") {
			t.Fatalf("device list: %d %s %s", codeN, out, errOut)
		}
		if codeN, _, errOut := run(t, "", append([]string{"device", "lock"}, storage...)...); codeN == 0 || strings.Count(strings.TrimSpace(errOut), "\n") != 0 {
			t.Fatalf("device lock without --id: %d %q", codeN, errOut)
		}
		audit := s.Do(t, "GET", "/api/v1/audit?limit=200", admin, nil)
		body := string(audit.Body)
		for _, want := range []string{"device.enrol", "device.lease", "device.lock", "device.wipe.order", "device.wipe.deliver", "device.wipe.confirm", `"device_id":"` + dev2 + `"`} {
			if !strings.Contains(body, want) {
				t.Errorf("the audit log lacks %s", want)
			}
		}
	})
}

// The device commands and flags on the command line: documented in --help,
// and bad values refused with one line and a non-zero exit.
func TestDeviceCommandLine(t *testing.T) {
	code, out, _ := run(t, "", "--help")
	for _, want := range []string{"device list", "device wipe", "--offline-lease", "--wipe-escalate", "--device-min-version", "--device-required-roles"} {
		if code != 0 || !strings.Contains(out, want) {
			t.Errorf("--help lacks %q", want)
		}
	}
	data := t.TempDir()
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"device"}, "device needs a subcommand"},
		{[]string{"device", "erase"}, "unknown device subcommand"},
		{[]string{"device", "wipe", "--data", data}, "needs --id"},
		{[]string{"serve", "--data", data, "--offline-lease", "10s"}, "--offline-lease must be between 1m and 168h"},
		{[]string{"serve", "--data", data, "--wipe-escalate", "0s"}, "--wipe-escalate must be at least 1m"},
		{[]string{"serve", "--data", data, "--device-min-version", "v2"}, "--device-min-version must be dotted numbers"},
	} {
		code, _, errOut := run(t, "", c.args...)
		if code == 0 || !strings.Contains(errOut, c.want) || strings.Count(strings.TrimSpace(errOut), "\n") != 0 {
			t.Errorf("%v: exit %d, %q", c.args, code, errOut)
		}
	}
}
