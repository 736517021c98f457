package browser_test

import (
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	cdpbrowser "github.com/chromedp/cdproto/browser"
	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/emulation"
	cdpwebauthn "github.com/chromedp/cdproto/webauthn"
	"github.com/chromedp/chromedp"

	"strongroom.dev/strongroom/internal/e2e"
	"strongroom.dev/strongroom/internal/testkit"
)

func TestMain(m *testing.M) { e2e.Main(m) }

// TestBinarySources makes the package's cached result depend on every file
// the binary is built from (e2e.ReadSources).
func TestBinarySources(t *testing.T) { e2e.ReadSources(t, "../../..") }

// chromium finds the browser. Outside CI a machine without it skips the
// browser tests with the reason; in CI (CI=true), where .ci/run installs
// it, a missing browser fails.
func chromium(t *testing.T) string {
	t.Helper()
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	if os.Getenv("CI") != "" {
		t.Fatal("chromium is not installed; .ci/run installs the Debian packages chromium and chromium-driver")
	}
	t.Skip("chromium is not installed (apt-get install chromium chromium-driver); .ci/run installs it and runs these tests")
	return ""
}

// chromeOptions are headless Chromium's flags for a test: a fresh
// profile, a window of width × height.
func chromeOptions(t *testing.T, width, height int) []chromedp.ExecAllocatorOption {
	return append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(chromium(t)),
		chromedp.NoSandbox,
		chromedp.DisableGPU,
		chromedp.IgnoreCertErrors, // the test server's certificate is self-signed
		chromedp.UserDataDir(t.TempDir()),
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.WindowSize(width, height),
	)
}

// newTab starts headless Chromium with a fresh profile and returns a tab.
func newTab(t *testing.T, width, height int) context.Context {
	t.Helper()
	actx, cancelA := chromedp.NewExecAllocator(context.Background(), chromeOptions(t, width, height)...)
	bctx, cancelC := chromedp.NewContext(actx)
	if err := chromedp.Do(bctx); err != nil { // starts the browser; no timeout on this first call
		cancelC()
		cancelA()
		t.Fatalf("start chromium: %v", err)
	}
	ctx, cancelT := context.WithTimeout(bctx, 90*time.Second)
	t.Cleanup(func() { cancelT(); cancelC(); cancelA() })
	return ctx
}

// shots saves full-page screenshots to docs/screenshots when
// STRONGROOM_SCREENSHOTS=1 (see README: "Screenshots").
type shots struct {
	t   *testing.T
	dir string
}

func newShots(t *testing.T) shots {
	if os.Getenv("STRONGROOM_SCREENSHOTS") == "" {
		return shots{t: t}
	}
	dir, _ := filepath.Abs("../../../docs/screenshots")
	os.MkdirAll(dir, 0o755)
	return shots{t: t, dir: dir}
}

func (s shots) take(ctx context.Context, name string) {
	if s.dir == "" {
		return
	}
	png, err := chromedp.Run(ctx, chromedp.FullScreenshot(100)) // quality 100 means PNG
	if err != nil {
		s.t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(s.dir, name+".png"), png, 0o644); err != nil {
		s.t.Fatal(err)
	}
}

type (
	byCSS = chromedp.CSS
	byID  = chromedp.ID
)

// value runs an action that returns a string and fails the test on error.
func value(t *testing.T, ctx context.Context, a chromedp.Action[string]) string {
	t.Helper()
	v, err := chromedp.Run(ctx, a)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

func do(t *testing.T, ctx context.Context, steps ...chromedp.Action[chromedp.Void]) {
	t.Helper()
	if err := chromedp.Do(ctx, steps...); err != nil {
		t.Fatal(err)
	}
}

// geolocation grants the page the geolocation permission and makes the
// device report lat, lon with accuracy acc metres.
func geolocation(lat, lon, acc float64) chromedp.Action[chromedp.Void] {
	return func(ctx context.Context, t *chromedp.Target) (chromedp.Void, error) {
		perm := cdpbrowser.SetPermissionParams{Permission: &cdpbrowser.PermissionDescriptor{Name: "geolocation"}, Setting: cdpbrowser.PermissionSettingGranted}
		if _, err := cdp.Call(ctx, chromedp.FromContext(ctx).Browser, cdpbrowser.SetPermission, perm); err != nil {
			return chromedp.Void{}, err
		}
		_, err := cdp.Call(ctx, t, emulation.SetGeolocationOverride, emulation.SetGeolocationOverrideParams{Latitude: &lat, Longitude: &lon, Accuracy: &acc})
		return chromedp.Void{}, err
	}
}

func login(base, email, pw string) chromedp.Action[chromedp.Void] {
	return chromedp.Steps(
		chromedp.Navigate(base+"/login"),
		chromedp.WaitVisible(chromedp.ID(`email`)),
		chromedp.SendKeys(chromedp.ID(`email`), email),
		chromedp.SendKeys(chromedp.ID(`password`), pw),
		chromedp.Submit(chromedp.ID(`password`)),
		chromedp.WaitVisible(chromedp.ID(`logout`)), // only logged-in pages have it
	)
}

func TestBrowserJourneys(t *testing.T) {
	chromium(t)
	db := testkit.NewSQLite(t)
	storage := e2e.StorageArgs(t, db)
	e2e.AddUser(t, storage, "admin@example.com", "admin")
	e2e.AddUser(t, storage, "sales1@example.com", "sales")
	e2e.AddUser(t, storage, "sales2@example.com", "sales")
	e2e.AddUser(t, storage, "auditor@example.com", "auditor")
	e2e.AddUserInTeam(t, storage, "rep@example.com", "field_rep", "east")
	s := e2e.Start(t, storage, "--demo")
	shot := newShots(t)

	// Sales: log in, create a customer through the form.
	ctx := newTab(t, 1280, 900)
	do(t, ctx, login(s.URL, "sales1@example.com", e2e.Password))
	if url := value(t, ctx, chromedp.Location()); url != s.URL+"/" { // every role lands on its dashboard
		t.Fatalf("after login: %s", url)
	}
	do(t, ctx, chromedp.Navigate(s.URL+"/customers"), chromedp.WaitVisible(byCSS(`a[href="/customers/new"]`)))
	shot.take(ctx, "customers")
	do(t, ctx,
		chromedp.Click(byCSS(`a[href="/customers/new"]`)),
		chromedp.WaitVisible(byID(`f-name`)),
		chromedp.SendKeys(byID(`f-name`), "陈静"),
		chromedp.SendKeys(byID(`f-email`), "chen.jing@example.cn"),
		chromedp.SendKeys(byID(`f-phone`), "+86 137 0000 2222"),
		chromedp.SendKeys(byID(`f-notes`), "Met at the spring preview."),
		chromedp.Submit(byID(`f-name`)),
		chromedp.WaitVisible(byID(`field-email`)),
	)
	if body := value(t, ctx, chromedp.Text(byCSS(`main`))); !strings.Contains(body, "chen.jing@example.cn") || !strings.Contains(body, "Customer saved") {
		t.Fatalf("after create:\n%s", body)
	}
	custPath := strings.SplitN(strings.TrimPrefix(value(t, ctx, chromedp.Location()), s.URL), "?", 2)[0]

	// Admin adds the national id.
	actx := newTab(t, 1280, 900)
	do(t, actx,
		login(s.URL, "admin@example.com", e2e.Password),
		chromedp.Navigate(s.URL+custPath+"/edit"),
		chromedp.WaitVisible(byID(`f-national_id`)),
		chromedp.SendKeys(byID(`f-national_id`), "110101199003071234"),
		chromedp.Submit(byID(`f-national_id`)),
		chromedp.WaitVisible(byID(`field-national_id`)),
	)
	if nid := value(t, actx, chromedp.Text(byID(`field-national_id`))); nid != "110101199003071234" {
		t.Fatalf("admin sees national id %q", nid)
	}
	shot.take(actx, "customer-admin")

	// Sales finds it by email and sees the national id masked, nowhere in full.
	do(t, ctx,
		chromedp.Navigate(s.URL+"/customers"),
		chromedp.WaitVisible(byID(`q`)),
		chromedp.SendKeys(byID(`q`), "CHEN.JING@example.cn"),
		chromedp.Submit(byID(`q`)),
		chromedp.WaitVisible(byID(`clear-search`)), // only on a result page
	)
	if body := value(t, ctx, chromedp.Text(byCSS(`table.list`))); !strings.Contains(body, "陈静") {
		t.Fatalf("search by email did not find the customer:\n%s", body)
	}
	if u := value(t, ctx, chromedp.Location()); !strings.HasSuffix(u, "/customers/search") || strings.Contains(strings.ToLower(u), "chen.jing") {
		t.Fatalf("the search is in the address: %s", u)
	}
	shot.take(ctx, "customers-search")
	do(t, ctx, chromedp.Click(byCSS(`table.list a`)), chromedp.WaitVisible(byID(`field-national_id`)))
	nid := value(t, ctx, chromedp.Text(byID(`field-national_id`)))
	if html := value(t, ctx, chromedp.OuterHTML(byCSS(`html`))); !strings.HasPrefix(nid, "1****************4") || strings.Contains(html, "110101199003071234") {
		t.Fatalf("sales sees national id %q; the page must hold only the masked form", nid)
	}
	shot.take(ctx, "customer-sales-masked")

	// Log a call from the customer page: the form opens on demand.
	do(t, ctx,
		chromedp.Click(byCSS(`#add-activity > summary`)),
		chromedp.WaitVisible(byID(`subject`)),
		chromedp.SetValue(byID(`kind`), "call"),
		chromedp.SendKeys(byID(`subject`), "Called about the preview"),
		chromedp.SendKeys(byID(`body`), "Will attend on Saturday."),
		chromedp.Submit(byID(`subject`)),
		chromedp.WaitVisible(byCSS(`.flash`)),
	)
	if body := value(t, ctx, chromedp.Text(byID(`activities`))); !strings.Contains(body, "Called about the preview") {
		t.Fatalf("the call is not on the page:\n%s", body)
	}
	shot.take(ctx, "customer-activities")

	// Open a deal and move it on the pipeline board.
	do(t, ctx,
		chromedp.Click(byCSS(`#add-deal > summary`)),
		chromedp.WaitVisible(byID(`deal-title`)),
		chromedp.SendKeys(byID(`deal-title`), "Spring preview consignment"),
		chromedp.SendKeys(byID(`deal-amount`), "880000"),
		chromedp.Submit(byID(`deal-title`)),
		chromedp.WaitVisible(byCSS(`#deals .timeline`)),
		chromedp.Navigate(s.URL+"/deals?open=lead"),
		chromedp.WaitVisible(byCSS(`#stage-lead .deal select`)),
		chromedp.SetValue(byCSS(`#stage-lead .deal select`), "proposal"),
		chromedp.Submit(byCSS(`#stage-lead .deal select`)),
		chromedp.WaitVisible(byCSS(`#stage-proposal .deal`)),
	)
	if body := value(t, ctx, chromedp.Text(byID(`stage-proposal`))); !strings.Contains(body, "Spring preview consignment") {
		t.Fatalf("the deal did not move:\n%s", body)
	}
	shot.take(ctx, "pipeline")
	do(t, ctx, chromedp.Navigate(s.URL+"/"), chromedp.WaitVisible(byID(`pipeline-totals`)))
	shot.take(ctx, "dashboard")

	// Import a CSV (a HubSpot contact export) through the form.
	csvPath := filepath.Join(t.TempDir(), "hubspot.csv")
	os.WriteFile(csvPath, []byte("Record ID,First Name,Last Name,Email,Phone Number\n7,Hui,Zhao,zhao.hui@example.cn,+86 136 0000 7777\n8,Bad,Row,not-an-email,\n"), 0o600)
	do(t, ctx,
		chromedp.Navigate(s.URL+"/customers/import"),
		chromedp.WaitVisible(byID(`file`)),
		chromedp.SetUploadFiles(byID(`file`), []string{csvPath}),
		chromedp.Click(byCSS(`input[name="dry_run"]`)), // store, not just check
		chromedp.Click(byCSS(`input[name="partial"]`)),
		chromedp.Submit(byID(`file`)),
		chromedp.WaitVisible(byID(`import-report`)),
	)
	if created, invalid := value(t, ctx, chromedp.Text(byID(`import-created`))), value(t, ctx, chromedp.Text(byID(`import-invalid`))); created != "1" || invalid != "1" {
		t.Fatalf("import report: created %q invalid %q", created, invalid)
	}
	shot.take(ctx, "import-report")

	// A field rep on a phone plans today's visit to their store and checks in
	// with the device's location.
	rctx := newTab(t, 390, 844)
	do(t, rctx, login(s.URL, "rep@example.com", e2e.Password))
	admin := s.Login(t, "admin@example.com", e2e.Password)
	repID := s.Do(t, "GET", "/api/v1/me", s.Login(t, "rep@example.com", e2e.Password), nil).Str("user_id")
	if r := s.Do(t, "POST", "/api/v1/companies", admin, map[string]any{"name": "静安门店", "address": "南京西路1号", "is_store": true, "owner_id": repID}); r.Status != 201 {
		t.Fatalf("store: %d %s", r.Status, r.Body)
	}
	do(t, rctx,
		geolocation(31.228611, 121.454722, 15),
		chromedp.Navigate(s.URL+"/visits"),
		chromedp.WaitVisible(byID(`planned_for`)),
		chromedp.Submit(byID(`planned_for`)),
		chromedp.WaitVisible(byID(`checkin-form`)),
		chromedp.Click(byCSS(`#checkin-form button`)), // a click fires the submit event the page's script handles
		chromedp.WaitVisible(byID(`checkin-location`)),
	)
	if loc := value(t, rctx, chromedp.Text(byID(`checkin-location`))); !strings.HasPrefix(loc, "31.228611, 121.454722") {
		t.Fatalf("check-in location %q", loc)
	}
	shot.take(rctx, "visit-checked-in-phone")

	// Another sales user gets "not found".
	octx := newTab(t, 1280, 900)
	do(t, octx, login(s.URL, "sales2@example.com", e2e.Password), chromedp.Navigate(s.URL+custPath), chromedp.WaitVisible(byID(`error-message`)))
	if html := value(t, octx, chromedp.OuterHTML(byCSS(`html`))); !strings.Contains(html, "customer not found") || strings.Contains(html, "陈静") || strings.Contains(html, "chen.jing") {
		t.Fatal("another sales user sees the customer")
	}

	// The auditor sees who read it, and no personal data.
	uctx := newTab(t, 1280, 900)
	do(t, uctx, login(s.URL, "auditor@example.com", e2e.Password),
		chromedp.Navigate(s.URL+"/audit?object_id="+strings.TrimPrefix(custPath, "/customers/")),
		chromedp.WaitVisible(byCSS(`table.audit`)))
	if html := value(t, uctx, chromedp.OuterHTML(byCSS(`html`))); !strings.Contains(html, "customer.read") || strings.Contains(html, "陈静") || strings.Contains(html, "chen.jing") {
		t.Fatal("the auditor's page lacks the reads or shows personal data")
	}
	shot.take(uctx, "audit-log")

	// Chinese, on a phone-sized screen; then log out.
	mctx := newTab(t, 390, 844)
	do(t, mctx, login(s.URL, "sales1@example.com", e2e.Password),
		chromedp.Navigate(s.URL+"/customers"), chromedp.WaitVisible(byCSS(`a[href="/customers/new"]`)),
		chromedp.Click(byCSS(`form[action="/lang"] button`)),
		chromedp.WaitVisible(byCSS(`html[lang="zh-CN"] a[href="/customers/new"]`)))
	if h1 := value(t, mctx, chromedp.Text(byCSS(`h1`))); h1 != "客户" {
		t.Fatalf("after switching language the heading is %q", h1)
	}
	shot.take(mctx, "customers-phone-zh")
	do(t, mctx, chromedp.Click(byID(`logout`)), chromedp.WaitVisible(byID(`email`)))
	shot.take(mctx, "login-phone-zh")
}

// TestBrowserTOTP: enrol an authenticator, log out, log in with password
// and code, then with a recovery code.
func TestBrowserTOTP(t *testing.T) {
	chromium(t)
	db := testkit.NewSQLite(t)
	storage := e2e.StorageArgs(t, db)
	e2e.AddUser(t, storage, "sales1@example.com", "sales")
	s := e2e.Start(t, storage)
	ctx := newTab(t, 1280, 900)
	do(t, ctx,
		login(s.URL, "sales1@example.com", e2e.Password),
		chromedp.Navigate(s.URL+"/mfa"),
		chromedp.Click(byID(`mfa-begin`)),
		chromedp.WaitVisible(byID(`totp-secret`)),
	)
	secret := value(t, ctx, chromedp.Text(byID(`totp-secret`)))
	do(t, ctx,
		chromedp.SendKeys(byID(`code`), e2e.TOTPCode(t, secret, -1)), // the previous step still counts
		chromedp.Submit(byID(`code`)),
		chromedp.WaitVisible(byID(`recovery-codes`)),
	)
	recovery := strings.Fields(value(t, ctx, chromedp.Text(byID(`recovery-codes`))))
	if len(recovery) != 10 {
		t.Fatalf("recovery codes: %q", recovery)
	}
	for i, c := range []string{e2e.TOTPCode(t, secret, 0), recovery[3]} {
		do(t, ctx,
			chromedp.Click(byID(`logout`)),
			chromedp.WaitVisible(byID(`email`)),
			login(s.URL, "sales1@example.com", e2e.Password),
		)
		if u := value(t, ctx, chromedp.Location()); !strings.Contains(u, "/mfa/verify") {
			t.Fatalf("login %d did not ask for the second step: %s", i, u)
		}
		do(t, ctx,
			chromedp.SendKeys(byID(`code`), c),
			chromedp.Submit(byID(`code`)),
			chromedp.WaitVisible(byID(`dashboard`)),
		)
		if u := value(t, ctx, chromedp.Location()); u != s.URL+"/" {
			t.Fatalf("after the second step %d: %s", i, u)
		}
	}
}

// TestBrowserResetAndLock: forget a password, reset it by the emailed
// link, log in with the new one; then lock the account by failed attempts
// and see the lock email and the unchanged error message.
func TestBrowserResetAndLock(t *testing.T) {
	chromium(t)
	db := testkit.NewSQLite(t)
	storage := e2e.StorageArgs(t, db)
	e2e.AddUser(t, storage, "sales1@example.com", "sales")
	s, smtp := e2e.StartWithMail(t, storage)
	ctx := newTab(t, 1280, 900)
	do(t, ctx,
		chromedp.Navigate(s.URL+"/login"),
		chromedp.Click(byID(`forgot-link`)),
		chromedp.WaitVisible(byID(`email`)),
		chromedp.SendKeys(byID(`email`), "sales1@example.com"),
		chromedp.Submit(byID(`email`)),
		chromedp.WaitVisible(byID(`reset-sent`)),
	)
	link := e2e.LinkPath(t, smtp.Next(t))
	const next = "reset in a real browser today"
	do(t, ctx,
		chromedp.Navigate(s.URL+link),
		chromedp.WaitVisible(byID(`password2`)),
	)
	if u := value(t, ctx, chromedp.Location()); u != s.URL+"/password/reset" {
		t.Fatalf("the reset page's address is %s; the token must be out of it", u)
	}
	do(t, ctx,
		chromedp.SendKeys(byID(`password`), next),
		chromedp.SendKeys(byID(`password2`), next),
		chromedp.Submit(byID(`password2`)),
		chromedp.WaitVisible(byCSS(`.flash`)),
	)
	if u := value(t, ctx, chromedp.Location()); !strings.Contains(u, "/login") {
		t.Fatalf("after the reset: %s", u)
	}
	do(t, ctx, login(s.URL, "sales1@example.com", next), chromedp.Click(byID(`logout`)), chromedp.WaitVisible(byID(`email`)))

	wait := regexp.MustCompile(`try again in (\d+) seconds`)
	for i := 0; i < 10; {
		do(t, ctx,
			chromedp.Navigate(s.URL+"/login"),
			chromedp.WaitVisible(byID(`email`)),
			chromedp.SendKeys(byID(`email`), "sales1@example.com"),
			chromedp.SendKeys(byID(`password`), "a wrong guess, attempt "+strconv.Itoa(i)),
			chromedp.Submit(byID(`password`)),
			chromedp.WaitVisible(byID(`login-error`)),
		)
		msg := value(t, ctx, chromedp.Text(byID(`login-error`)))
		if m := wait.FindStringSubmatch(msg); m != nil { // the growing delay
			n, _ := strconv.Atoi(m[1])
			time.Sleep(time.Duration(n) * time.Second)
			continue
		}
		if msg != "email or password is incorrect" {
			t.Fatalf("attempt %d: %q", i+1, msg)
		}
		i++
	}
	if m := smtp.Next(t); m.To != "sales1@example.com" || !strings.Contains(m.Subject, "locked") {
		t.Fatalf("lock email: %s %q", m.To, m.Subject)
	}
	do(t, ctx,
		chromedp.Navigate(s.URL+"/login"),
		chromedp.WaitVisible(byID(`email`)),
		chromedp.SendKeys(byID(`email`), "sales1@example.com"),
		chromedp.SendKeys(byID(`password`), next),
		chromedp.Submit(byID(`password`)),
		chromedp.WaitVisible(byID(`login-error`)),
	)
	if msg := value(t, ctx, chromedp.Text(byID(`login-error`))); msg != "email or password is incorrect" {
		t.Fatalf("locked account, right password: %q", msg)
	}
}

// virtualAuthenticator gives the tab a platform authenticator (like a
// laptop's fingerprint reader) that verifies the user without a prompt.
func virtualAuthenticator() chromedp.Action[chromedp.Void] {
	return func(ctx context.Context, t *chromedp.Target) (chromedp.Void, error) {
		if _, err := cdp.Call(ctx, t, cdpwebauthn.Enable, cdpwebauthn.EnableParams{}); err != nil {
			return chromedp.Void{}, err
		}
		_, err := cdp.Call(ctx, t, cdpwebauthn.AddVirtualAuthenticator, cdpwebauthn.AddVirtualAuthenticatorParams{Options: &cdpwebauthn.VirtualAuthenticatorOptions{
			Protocol: cdpwebauthn.AuthenticatorProtocolCtap2, Transport: cdpwebauthn.AuthenticatorTransportInternal,
			HasResidentKey: true, HasUserVerification: true, IsUserVerified: true, AutomaticPresenceSimulation: true,
		}})
		return chromedp.Void{}, err
	}
}

// TestBrowserPasskey: add a passkey with the device's authenticator, log
// out, log in with the password and the passkey.
func TestBrowserPasskey(t *testing.T) {
	chromium(t)
	db := testkit.NewSQLite(t)
	storage := e2e.StorageArgs(t, db)
	e2e.AddUser(t, storage, "sales1@example.com", "sales")
	s := e2e.Start(t, storage)
	if !strings.Contains(s.URL, "://localhost:") {
		t.Fatalf("the server's address %s is not one passkeys work on", s.URL)
	}
	ctx := newTab(t, 1280, 900)
	do(t, ctx,
		virtualAuthenticator(),
		login(s.URL, "sales1@example.com", e2e.Password),
		chromedp.Navigate(s.URL+"/mfa"),
		chromedp.WaitVisible(byID(`passkey-name`)),
		chromedp.SendKeys(byID(`passkey-name`), "Test laptop"),
		chromedp.Click(byID(`passkey-add-button`)),
		chromedp.WaitVisible(byID(`passkeys`)),
	)
	if list := value(t, ctx, chromedp.Text(byID(`passkeys`))); !strings.Contains(list, "Test laptop") {
		t.Fatalf("passkeys listed: %q", list)
	}
	do(t, ctx,
		chromedp.Click(byID(`logout`)),
		chromedp.WaitVisible(byID(`email`)),
		login(s.URL, "sales1@example.com", e2e.Password),
	)
	if u := value(t, ctx, chromedp.Location()); !strings.Contains(u, "/mfa/verify") {
		t.Fatalf("a user with a passkey was not asked for the second step: %s", u)
	}
	do(t, ctx,
		chromedp.Click(byID(`passkey-use`)),
		chromedp.WaitVisible(byID(`dashboard`)),
	)
	if u := value(t, ctx, chromedp.Location()); u != s.URL+"/" {
		t.Fatalf("after the passkey: %s", u)
	}
}

// TestBrowserRoleEditor: an administrator copies a role in Chromium,
// raises one field class, and its holder sees the effect on the next page
// load; lowering it again hides the field at once.
func TestBrowserRoleEditor(t *testing.T) {
	chromium(t)
	db := testkit.NewSQLite(t)
	storage := e2e.StorageArgs(t, db)
	e2e.AddUser(t, storage, "admin@example.com", "admin")
	e2e.AddUser(t, storage, "sales1@example.com", "sales")
	e2e.AddUser(t, storage, "mkt@example.com", "marketing")
	s := e2e.Start(t, storage)
	if r := s.Do(t, "POST", "/api/v1/customers", s.Login(t, "sales1@example.com", e2e.Password), map[string]any{"name": "Gao Yan", "email": "gao@example.com"}); r.Status != 201 {
		t.Fatal(r.Status)
	}
	admin := newTab(t, 1280, 900)
	do(t, admin,
		login(s.URL, "admin@example.com", e2e.Password),
		chromedp.Navigate(s.URL+"/admin/roles"),
		chromedp.WaitVisible(byID(`role-name`)),
		chromedp.SendKeys(byID(`role-name`), "brand_team"),
		chromedp.SetValue(byID(`role-from`), "marketing"),
		chromedp.Submit(byID(`role-name`)),
		chromedp.WaitVisible(byID(`role-form`)),
		chromedp.SetValue(byID(`c-customer-contact`), "read"),
		chromedp.Click(byID(`role-save`)),
		chromedp.WaitVisible(byCSS(`.flash`)),
	)
	if code, out, errOut := e2e.Run(t, "", append([]string{"user", "set-role", "--email", "mkt@example.com", "--role", "brand_team"}, storage...)...); code != 0 {
		t.Fatalf("set-role: %d %s %s", code, out, errOut)
	}
	mkt := newTab(t, 1280, 900)
	do(t, mkt, login(s.URL, "mkt@example.com", e2e.Password), chromedp.Navigate(s.URL+"/customers"), chromedp.WaitVisible(byCSS(`table.list`)))
	if body := value(t, mkt, chromedp.Text(byCSS(`main`))); !strings.Contains(body, "gao@example.com") {
		t.Fatalf("the holder does not see the email after the edit:\n%s", body)
	}
	do(t, admin,
		chromedp.Navigate(s.URL+"/admin/roles/brand_team"),
		chromedp.WaitVisible(byID(`role-form`)),
		chromedp.SetValue(byID(`c-customer-contact`), "hidden"),
		chromedp.Click(byID(`role-save`)),
		chromedp.WaitVisible(byCSS(`.flash`)),
	)
	do(t, mkt, chromedp.Reload(), chromedp.WaitVisible(byID(`logout`)))
	if body := value(t, mkt, chromedp.Text(byCSS(`main`))); strings.Contains(body, "gao@example.com") || !strings.Contains(body, "Gao Yan") {
		t.Fatalf("the open session still sees the email after the role lost it:\n%s", body)
	}
}

// TestBrowserApprovalsAndBreakGlass: a case worker asks to reveal a
// client's assessment, a manager approves in their inbox, the worker
// reveals it once; a night-line worker breaks glass on a client outside
// their team, sees the record, and the reviewer gets the alert email.
func TestBrowserApprovalsAndBreakGlass(t *testing.T) {
	chromium(t)
	db := testkit.NewSQLite(t)
	storage := e2e.StorageArgs(t, db)
	role := filepath.Join(t.TempDir(), "case_worker.json")
	os.WriteFile(role, []byte(`{"name":"case_worker","summary":"their own clients; assessments revealed with approval","grants":{"customer":{"actions":{"read":"own","reveal":"own"},"classes":{"identity":"read","special":"masked"},"reveal":{"assessment":true}}}}`), 0o600)
	if code, out, errOut := e2e.Run(t, "", append([]string{"role", "save", "--file", role}, storage...)...); code != 0 {
		t.Fatalf("role save: %d %s %s", code, out, errOut)
	}
	e2e.AddUser(t, storage, "admin@example.com", "admin")
	e2e.AddUser(t, storage, "worker@example.com", "case_worker")
	e2e.AddUser(t, storage, "mgr@example.com", "manager")
	e2e.AddUserInTeam(t, storage, "night@example.com", "support", "south")
	s, smtp := e2e.StartWithMail(t, storage)
	admin := s.Login(t, "admin@example.com", e2e.Password)
	var users struct{ Users []struct{ ID, Email string } }
	json.Unmarshal(s.Do(t, "GET", "/api/v1/users", admin, nil).Body, &users)
	ids := map[string]string{}
	for _, u := range users.Users {
		ids[u.Email] = u.ID
	}
	r := s.Do(t, "POST", "/api/v1/customers", admin, map[string]any{"name": "Client Zero", "assessment": "moderate anxiety; weekly sessions", "owner_id": ids["worker@example.com"], "sensitive_consent": map[string]string{"channel": "paper"}})
	if r.Status != 201 {
		t.Fatalf("create: %d %s", r.Status, r.Body)
	}
	client := r.Str("id")
	if r := s.Do(t, "PUT", "/api/v1/approval-rules/reveal_special", admin, map[string]any{"levels": [][]string{{"manager"}}}); r.Status != 200 {
		t.Fatalf("rule: %d %s", r.Status, r.Body)
	}
	if r := s.Do(t, "PUT", "/api/v1/break-glass/roles", admin, map[string]any{"roles": []string{"support"}}); r.Status != 200 {
		t.Fatalf("break-glass roles: %d %s", r.Status, r.Body)
	}

	worker := newTab(t, 1280, 900)
	do(t, worker,
		login(s.URL, "worker@example.com", e2e.Password),
		chromedp.Navigate(s.URL+"/customers/"+client),
		chromedp.Click(byCSS(`details:has(#reason-assessment) > summary`)),
		chromedp.WaitVisible(byID(`reason-assessment`)),
		chromedp.SendKeys(byID(`reason-assessment`), "the client asked for their assessment"),
		chromedp.Submit(byID(`reason-assessment`)),
		chromedp.WaitVisible(byID(`request-send`)),
		chromedp.Click(byID(`request-send`)),
		chromedp.WaitVisible(byID(`mine`)),
	)
	if m := smtp.Next(t); m.To != "mgr@example.com" {
		t.Fatalf("the approval email went to %s", m.To)
	}
	mgr := newTab(t, 1280, 900)
	do(t, mgr,
		login(s.URL, "mgr@example.com", e2e.Password),
		chromedp.Navigate(s.URL+"/approvals"),
		chromedp.WaitVisible(byCSS(`#waiting button[value="approve"]`)),
		chromedp.Click(byCSS(`#waiting button[value="approve"]`)),
		chromedp.WaitVisible(byCSS(`.flash`)),
	)
	do(t, worker,
		chromedp.Navigate(s.URL+"/customers/"+client),
		chromedp.Click(byCSS(`details:has(#reason-assessment) > summary`)),
		chromedp.WaitVisible(byID(`reason-assessment`)),
		chromedp.SendKeys(byID(`reason-assessment`), "the client asked for their assessment"),
		chromedp.Submit(byID(`reason-assessment`)),
		chromedp.WaitVisible(byID(`revealed-assessment`)),
	)
	if v := value(t, worker, chromedp.Text(byID(`field-assessment`))); v != "moderate anxiety; weekly sessions" {
		t.Fatalf("after approval the worker sees %q; requests: %s", v, s.Do(t, "GET", "/api/v1/access-requests", admin, nil).Body)
	}

	night := newTab(t, 1280, 900)
	do(t, night,
		login(s.URL, "night@example.com", e2e.Password),
		chromedp.Navigate(s.URL+"/break-glass?customer="+client),
		chromedp.WaitVisible(byID(`glass-reason`)),
		chromedp.SendKeys(byID(`glass-reason`), "client in crisis on the night line; need the record now"),
		chromedp.Click(byID(`glass-open`)),
		chromedp.WaitVisible(byID(`field-name`)),
	)
	if v := value(t, night, chromedp.Text(byID(`field-name`))); v != "Client Zero" {
		t.Fatalf("the opened record shows %q", v)
	}
	for {
		m := smtp.Next(t)
		if strings.Contains(m.Subject, "ALERT") {
			if m.To != "admin@example.com" {
				t.Fatalf("the alert went to %s", m.To)
			}
			break
		}
	}
}

// TestBrowserSecurityAlertAndLiveSession: a burst of failed logins on one
// account raises an alert that the administrator sees and acknowledges on
// the security page; on the live sessions page, which refreshes itself,
// the administrator ends another user's session, whose next page asks
// them to log in again.
func TestBrowserSecurityAlertAndLiveSession(t *testing.T) {
	chromium(t)
	db := testkit.NewSQLite(t)
	storage := e2e.StorageArgs(t, db)
	e2e.AddUser(t, storage, "admin@example.com", "admin")
	e2e.AddUser(t, storage, "sales1@example.com", "sales")
	e2e.AddUser(t, storage, "sales2@example.com", "sales")
	s := e2e.Start(t, storage)

	guesser := newTab(t, 1280, 900)
	for i := range 8 { // the account's delay turns some away: they count too
		do(t, guesser,
			chromedp.Navigate(s.URL+"/login"),
			chromedp.WaitVisible(byID(`email`)),
			chromedp.SendKeys(byID(`email`), "sales1@example.com"),
			chromedp.SendKeys(byID(`password`), "guess number "+strconv.Itoa(i)),
			chromedp.Submit(byID(`password`)),
			chromedp.WaitVisible(byID(`login-error`)),
		)
	}
	rep := newTab(t, 390, 844)
	do(t, rep, login(s.URL, "sales2@example.com", e2e.Password))
	admin := newTab(t, 1280, 900)
	do(t, admin, login(s.URL, "admin@example.com", e2e.Password))

	// The detectors read the log every 10 seconds.
	for deadline := time.Now().Add(45 * time.Second); ; {
		do(t, admin, chromedp.Navigate(s.URL+"/security"), chromedp.WaitVisible(byID(`logout`)))
		if strings.Contains(value(t, admin, chromedp.Text(byCSS(`main`))), "Failed logins on one account") {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("no alert on the security page:\n%s", value(t, admin, chromedp.Text(byCSS(`main`))))
		}
		time.Sleep(2 * time.Second)
	}
	do(t, admin,
		chromedp.Click(chromedp.Search(`//tr[contains(., 'Failed logins on one account')]//button[contains(., 'Acknowledge')]`)),
		chromedp.WaitVisible(byCSS(`.flash`)),
	)
	if body := value(t, admin, chromedp.Text(byCSS(`main`))); !strings.Contains(body, "No alerts.") {
		t.Fatalf("the acknowledged alert is still open:\n%s", body)
	}
	do(t, admin,
		chromedp.Navigate(s.URL+"/security?status=acknowledged"),
		chromedp.WaitVisible(byCSS(`table.alerts`)),
	)

	admin = newTab(t, 1280, 900) // a tab's steps have 90 seconds in all
	do(t, admin,
		login(s.URL, "admin@example.com", e2e.Password),
		chromedp.Navigate(s.URL+"/admin/live"),
		chromedp.WaitVisible(byID(`live-sessions`)),
		chromedp.WaitVisible(byCSS(`#live-sessions[data-refreshed]`)), // live.js swapped in a fresh table
	)
	if body := value(t, admin, chromedp.Text(byID(`live-sessions`))); !strings.Contains(body, "sales2@example.com") {
		t.Fatalf("the rep's session is not on the live page:\n%s", body)
	}
	do(t, admin,
		chromedp.Click(chromedp.Search(`//tr[contains(., 'sales2@example.com')]//button[starts-with(@id, 'end-')]`)),
		chromedp.WaitVisible(byID(`confirm-box`)), chromedp.Click(byID(`confirm-box`)), chromedp.Click(byID(`confirm-button`)),
		// The page comes back from the form without the ended session.
		chromedp.WaitNotPresent(chromedp.Search(`//tr[contains(., 'sales2@example.com')]`)),
		chromedp.WaitVisible(byID(`live-sessions`)),
	)
	do(t, rep, chromedp.Reload(), chromedp.WaitVisible(byID(`email`)))
}

// An administrator sees the first backup and drill a new server made,
// drills again from the page, and reads the outcome; on a phone in
// Chinese the page reads as a list, not a table that pans sideways.
func TestBrowserBackups(t *testing.T) {
	chromium(t)
	db := testkit.NewSQLite(t)
	storage := e2e.StorageArgs(t, db)
	e2e.AddUser(t, storage, "admin@example.com", "admin")
	s := e2e.Start(t, storage)
	shot := newShots(t)

	admin := newTab(t, 1280, 900)
	do(t, admin, login(s.URL, "admin@example.com", e2e.Password))
	for deadline := time.Now().Add(45 * time.Second); ; time.Sleep(time.Second) {
		do(t, admin, chromedp.Navigate(s.URL+"/backups"), chromedp.WaitVisible(byID(`logout`)))
		if strings.Contains(value(t, admin, chromedp.Text(byCSS(`main`))), "Restore drill") {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("no drill on the backups page:\n%s", value(t, admin, chromedp.Text(byCSS(`main`))))
		}
	}
	do(t, admin,
		chromedp.Click(byID(`drill-now`)),
		chromedp.WaitVisible(byCSS(`.flash`)),
	)
	if flash := value(t, admin, chromedp.Text(byCSS(`.flash`))); !strings.Contains(flash, "The drill restored and checked the latest backup.") {
		t.Fatalf("after Drill now: %q", flash)
	}
	body := value(t, admin, chromedp.Text(byCSS(`table.backup-runs`)))
	if strings.Count(body, "Restore drill") < 2 || !strings.Contains(body, "audit log verified") || !strings.Contains(body, "RTO") {
		t.Fatalf("the history lacks the drills:\n%s", body)
	}
	shot.take(admin, "backups")

	phone := newTab(t, 390, 844)
	do(t, phone,
		login(s.URL, "admin@example.com", e2e.Password),
		chromedp.Navigate(s.URL+"/backups"),
		chromedp.WaitVisible(byCSS(`table.backup-runs`)),
		chromedp.Click(byCSS(`form[action="/lang"] button`)),
		chromedp.WaitReady(byCSS(`html[lang="zh-CN"] table.backup-runs`)),
	)
	if body := value(t, phone, chromedp.Text(byCSS(`main`))); !strings.Contains(body, "恢复演练") || !strings.Contains(body, "立即演练") {
		t.Fatalf("the backups page in Chinese:\n%s", body)
	}
	wide, err := chromedp.Run(phone, chromedp.Evaluate[bool](`document.documentElement.scrollWidth > window.innerWidth + 1`))
	if err != nil {
		t.Fatal(err)
	}
	if wide {
		t.Error("the backups page pans sideways on a 390-pixel phone")
	}
	shot.take(phone, "backups-phone-zh")
}
