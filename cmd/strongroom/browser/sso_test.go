package browser_test

import (
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"strongroom.dev/strongroom/internal/e2e"
	"strongroom.dev/strongroom/internal/testkit"
	"strongroom.dev/strongroom/internal/testkit/oidctest"
)

// TestBrowserSingleSignOn clicks "Sign in with …" on the login page in
// Chromium, passes through a real OpenID Connect provider and lands on the
// customers page logged in (the session cookie, SameSite=Strict, set by the
// callback the provider's cross-site redirect reached, is sent on the next
// page). Then a user whose groups grant no role sees the refusal.
func TestBrowserSingleSignOn(t *testing.T) {
	chromium(t)
	testkit.ForEachDB(t, func(t *testing.T, db testkit.DB) {
		storage := e2e.StorageArgs(t, db)
		e2e.AddUser(t, storage, "sales1@example.com", "sales")
		idp := oidctest.Start(t)
		t.Setenv("STRONGROOM_OIDC_CLIENT_SECRET", idp.ClientSecret)
		s := e2e.Start(t, storage, "--oidc-issuer", idp.Issuer, "--oidc-client-id", idp.ClientID, "--oidc-ca", idp.CAFile,
			"--oidc-name", "Example IdP", "--oidc-role-map", "crm-sales=sales")
		idp.AllowRedirect(s.URL + "/login/sso/callback")
		shot := newShots(t)

		idp.LoginAs(oidctest.User{Subject: "browser-sales1", Email: "sales1@example.com", EmailVerified: true, Groups: []string{"crm-sales"}})
		ctx := newTab(t, 1280, 900)
		do(t, ctx, chromedp.Navigate(s.URL+"/login"), chromedp.WaitVisible(byID(`sso-button`)))
		if label := value(t, ctx, chromedp.Text(byID(`sso-button`))); label != "Sign in with Example IdP" {
			t.Fatalf("button: %q", label)
		}
		shot.take(ctx, "login-sso")
		do(t, ctx, chromedp.Click(byID(`sso-button`)), chromedp.WaitVisible(byID(`logout`)))
		if u := value(t, ctx, chromedp.Location()); u != s.URL+"/" { // the landing page
			t.Fatalf("after single sign-on: %s", u)
		}

		idp.LoginAs(oidctest.User{Subject: "browser-guest", Email: "guest@example.com", EmailVerified: true, Groups: []string{"visitors"}})
		other := newTab(t, 1280, 900)
		do(t, other, chromedp.Navigate(s.URL+"/login"), chromedp.WaitVisible(byID(`sso-button`)),
			chromedp.Click(byID(`sso-button`)), chromedp.WaitVisible(byID(`login-error`)))
		if msg := value(t, other, chromedp.Text(byID(`login-error`))); !strings.Contains(msg, "your groups grant no role") {
			t.Fatalf("refusal: %q", msg)
		}
	})
}
