package browser_test

import (
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"strongroom.dev/strongroom/internal/e2e"
	"strongroom.dev/strongroom/internal/testkit"
)

// An application acting for a user (the authorisation code flow with
// PKCE), in Chromium: an administrator registers it on /admin/clients and
// copies its secret; a salesperson, sent by the app to Strongroom, logs
// in, approves it on the consent page and comes back to the app (a real
// HTTPS server on loopback) with a code; the app exchanges it with its
// verifier, and its token reads what the salesperson may and not the
// audit log, although the client's role (admin) could: never more than
// the approving user.
func TestBrowserOAuthCodeFlow(t *testing.T) {
	chromium(t)
	db := testkit.NewSQLite(t)
	storage := e2e.StorageArgs(t, db)
	e2e.AddUser(t, storage, "admin@example.com", "admin")
	e2e.AddUser(t, storage, "sales@example.com", "sales")
	s := e2e.Start(t, storage)

	codes := make(chan url.Values, 1)
	app := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case codes <- r.URL.Query():
		default:
		}
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		w.Write([]byte(`<!doctype html><title>app</title><p id="app-done">signed in</p>`))
	}))
	defer app.Close()
	redirect := app.URL + "/cb"

	admin := newTab(t, 1280, 900)
	do(t, admin, login(s.URL, "admin@example.com", e2e.Password),
		chromedp.Navigate(s.URL+"/admin/clients"),
		chromedp.WaitVisible(byID(`client-name`)),
		chromedp.SendKeys(byID(`client-name`), "Field App"),
		chromedp.SendKeys(byID(`client-role`), "admin"),
		chromedp.SendKeys(byID(`client-uris`), redirect),
		chromedp.Click(byID(`client-register`)),
		chromedp.WaitVisible(byID(`client-secret`)),
	)
	clientID := value(t, admin, chromedp.Text(byID(`client-id`)))
	secret := value(t, admin, chromedp.Text(byID(`client-secret`)))
	if !strings.HasPrefix(secret, "src_") {
		t.Fatalf("secret %q", secret)
	}

	verifier := "the-app-keeps-this-verifier-to-itself-0123456789abcdef"
	sum := sha256.Sum256([]byte(verifier))
	q := url.Values{"client_id": {clientID}, "redirect_uri": {redirect}, "response_type": {"code"}, "scope": {"api"}, "state": {"s-42"},
		"code_challenge": {base64.RawURLEncoding.EncodeToString(sum[:])}, "code_challenge_method": {"S256"}}
	user := newTab(t, 1280, 900)
	do(t, user, login(s.URL, "sales@example.com", e2e.Password),
		chromedp.Navigate(s.URL+"/oauth/authorize?"+q.Encode()),
		chromedp.WaitVisible(byID(`consent-approve`)),
	)
	if name := value(t, user, chromedp.Text(byID(`consent-client`))); name != "Field App" {
		t.Fatalf("the consent page names %q", name)
	}
	do(t, user, chromedp.Click(byID(`consent-approve`)), chromedp.WaitVisible(byID(`app-done`)))
	var back url.Values
	select {
	case back = <-codes:
	case <-time.After(20 * time.Second):
		t.Fatal("the app never got its code")
	}
	if back.Get("state") != "s-42" || back.Get("code") == "" {
		t.Fatalf("back at the app: %v", back)
	}

	form := url.Values{"grant_type": {"authorization_code"}, "code": {back.Get("code")}, "redirect_uri": {redirect}, "code_verifier": {verifier}}
	req, _ := http.NewRequest("POST", s.URL+"/oauth/token", strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.SetBasicAuth(url.QueryEscape(clientID), url.QueryEscape(secret))
	resp, err := s.Client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	var tok struct {
		AccessToken string `json:"access_token"`
	}
	json.NewDecoder(resp.Body).Decode(&tok)
	resp.Body.Close()
	if resp.StatusCode != 200 || tok.AccessToken == "" {
		t.Fatalf("exchange: %d", resp.StatusCode)
	}
	if r := s.Do(t, "GET", "/api/v1/customers", tok.AccessToken, nil); r.Status != 200 {
		t.Fatalf("the app reading the salesperson's customers: %d %s", r.Status, r.Body)
	}
	if r := s.Do(t, "GET", "/api/v1/audit", tok.AccessToken, nil); r.Status != 403 {
		t.Fatalf("the app reading the audit log through a salesperson: %d", r.Status)
	}

	// The administrator sees its use.
	do(t, admin, chromedp.Navigate(s.URL+"/admin/clients"), chromedp.WaitVisible(byID(`client-`+clientID)))
	if n := value(t, admin, chromedp.Text(byCSS(`#client-`+clientID+` .client-requests`))); n == "0" {
		t.Fatal("the clients page shows no requests")
	}
}
