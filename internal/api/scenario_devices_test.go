package api_test

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"testing"

	jose "github.com/go-jose/go-jose/v4"
)

// deviceScenarios are the field devices' routes: a field rep enrols a
// device (DPoP proof of its key), the device takes its lease, an
// administrator locks it, orders the wipe of a second one, which is
// delivered at its next contact and confirmed with the order's code.
func deviceScenarios() []scenario {
	keys := map[string]*ecdsa.PrivateKey{}
	// proof makes a DPoP proof by the device key named dev for method and
	// path, bound to the token in {tokenVar} ("" for none), into {dpop}.
	proof := func(dev, method, path, tokenVar string) func(t *testing.T, r *runner) {
		return func(t *testing.T, r *runner) {
			if keys[dev] == nil || method == "POST" && path == "/api/v1/devices" {
				keys[dev], _ = ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
			}
			signer, err := jose.NewSigner(jose.SigningKey{Algorithm: jose.ES256, Key: keys[dev]}, (&jose.SignerOptions{EmbedJWK: true}).WithType("dpop+jwt"))
			if err != nil {
				t.Fatal(err)
			}
			jti := make([]byte, 12)
			rand.Read(jti)
			c := map[string]any{"htm": method, "htu": "http://example.com" + r.fill(t, path), "iat": r.clock.Now().Unix(), "jti": base64.RawURLEncoding.EncodeToString(jti)}
			if tokenVar != "" {
				sum := sha256.Sum256([]byte(r.vars[tokenVar]))
				c["ath"] = base64.RawURLEncoding.EncodeToString(sum[:])
			}
			b, _ := json.Marshal(c)
			jws, err := signer.Sign(b)
			if err != nil {
				t.Fatal(err)
			}
			r.vars["dpop"], _ = jws.CompactSerialize()
		}
	}
	enrolBody := `{"name":"Rep phone","platform":"Android","app_version":"1.0.0"}`
	return []scenario{
		{name: "devices: enrol without a DPoP proof", as: "fieldrep", before: acceptPolicy("fieldrep"), method: "POST", path: "/api/v1/devices", body: enrolBody, status: 401},
		{name: "devices: a field rep enrols a device", as: "fieldrep", method: "POST", path: "/api/v1/devices", body: enrolBody,
			before: proof("phone", "POST", "/api/v1/devices", ""), header: map[string]string{"DPoP": "{dpop}"},
			status: 201, contains: []string{`"token_type":"DPoP"`, `"state":"active"`}, audit: []string{"device.enrol success"},
			save: map[string]string{"phoneToken": "access_token", "phone": "device.id"}},
		{name: "devices: the device takes its lease", method: "POST", path: "/api/v1/devices/current/lease", body: `{"place":{"lat":31.2304,"lon":121.4737}}`,
			before: proof("phone", "POST", "/api/v1/devices/current/lease", "phoneToken"), header: map[string]string{"DPoP": "{dpop}", "Authorization": "DPoP {phoneToken}"},
			status: 200, contains: []string{`"secret"`, `"expires_at"`}, audit: []string{"device.lease success"}},
		{name: "devices: a plain session gets no lease", as: "fieldrep", method: "POST", path: "/api/v1/devices/current/lease", body: `{}`,
			status: 403, audit: []string{"security.forbidden denied"}},
		{name: "devices: an administrator lists every device", as: "admin", method: "GET", path: "/api/v1/devices",
			status: 200, contains: []string{"{phone}", `"last_place":"31.23, 121.47"`}, audit: []string{"device.list success"}},
		{name: "devices: listing needs a login", method: "GET", path: "/api/v1/devices", status: 401},
		{name: "devices: another user may not lock it", as: "salesA", method: "POST", path: "/api/v1/devices/{phone}/lock", body: `{}`,
			status: 404, audit: []string{"device.lock denied"}},
		{name: "devices: an administrator locks it", as: "admin", method: "POST", path: "/api/v1/devices/{phone}/lock", body: `{"reason":"reported stolen"}`,
			status: 200, contains: []string{`"state":"locked"`}, audit: []string{"device.lock success"}},
		{name: "devices: a second device", as: "fieldrep", method: "POST", path: "/api/v1/devices", body: `{"name":"Rep tablet","platform":"iPadOS","app_version":"1.0.0"}`,
			before: proof("tablet", "POST", "/api/v1/devices", ""), header: map[string]string{"DPoP": "{dpop}"},
			status: 201, audit: []string{"device.enrol success"}, save: map[string]string{"tabletToken": "access_token", "tablet": "device.id"}},
		{name: "devices: its user orders its wipe", as: "fieldrep", method: "POST", path: "/api/v1/devices/{tablet}/wipe", body: `{"reason":"lost"}`,
			status: 202, contains: []string{`"state":"wipe_ordered"`}, audit: []string{"device.wipe.order success"}},
		{name: "devices: a wipe is ordered once", as: "admin", method: "POST", path: "/api/v1/devices/{tablet}/wipe", body: `{}`, status: 409},
		{name: "devices: the wipe is delivered at the next contact", method: "POST", path: "/api/v1/devices/current/lease", body: `{}`,
			before: proof("tablet", "POST", "/api/v1/devices/current/lease", "tabletToken"), header: map[string]string{"DPoP": "{dpop}", "Authorization": "DPoP {tabletToken}"},
			status: 410, contains: []string{`"wipe":true`, "confirmation_code"}, audit: []string{"device.wipe.deliver success"}, save: map[string]string{"wipeCode": "confirmation_code"}},
		{name: "devices: a wrong wipe code", method: "POST", path: "/api/v1/devices/{tablet}/wipe-confirmation", body: `{"confirmation_code":"srl_nope"}`, status: 404},
		{name: "devices: the app confirms its wipe", method: "POST", path: "/api/v1/devices/{tablet}/wipe-confirmation", body: `{"confirmation_code":"{wipeCode}"}`,
			status: 204, audit: []string{"device.wipe.confirm success"}},
	}
}
