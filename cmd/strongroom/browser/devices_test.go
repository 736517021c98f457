package browser_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"

	"strongroom.dev/strongroom/internal/e2e"
	"strongroom.dev/strongroom/internal/testkit"
)

// online switches the tab's network on or off: requests fail while it is
// off, and navigator.onLine and the online/offline events follow.
func online(on bool) chromedp.Action[chromedp.Void] {
	return func(ctx context.Context, t *chromedp.Target) (chromedp.Void, error) {
		if _, err := cdp.Call(ctx, t, network.Enable, network.EnableParams{}); err != nil {
			return chromedp.Void{}, err
		}
		yes := !on
		rule := network.EmulateNetworkConditionsByRuleParams{EmulateOfflineServiceWorker: &yes,
			MatchedNetworkConditions: []*network.Conditions{{Offline: !on, DownloadThroughput: -1, UploadThroughput: -1}}}
		if _, err := cdp.Call(ctx, t, network.EmulateNetworkConditionsByRule, rule); err != nil {
			return chromedp.Void{}, err
		}
		_, err := cdp.Call(ctx, t, network.OverrideNetworkState, network.OverrideNetworkStateParams{Offline: !on, DownloadThroughput: -1, UploadThroughput: -1})
		return chromedp.Void{}, err
	}
}

// appState waits until the field app's status says state.
func appState(state string) chromedp.Action[chromedp.Void] {
	return chromedp.WaitVisible(byCSS(`#status[data-state="` + state + `"]`))
}

// stored lists the keys the field app keeps in its IndexedDB ("" when the
// database is gone).
const stored = `(async () => {
  const dbs = await indexedDB.databases();
  if (!dbs.some((d) => d.name === "strongroom-field")) { return ""; }
  const db = await new Promise((ok, no) => { const r = indexedDB.open("strongroom-field"); r.onsuccess = () => ok(r.result); r.onerror = () => no(r.error); });
  if (!db.objectStoreNames.contains("kv")) { db.close(); return ""; }
  const keys = await new Promise((ok) => { const r = db.transaction("kv").objectStore("kv").getAllKeys(); r.onsuccess = () => ok(r.result); });
  db.close();
  return keys.sort().join(",");
})()`

// The field app in Chromium: a field rep enrols the browser as a device,
// loads the week's visits, goes offline, checks in, comes back online and
// the check-in reaches the server; past the offline lease the copy cannot
// be read; an administrator locks the device from another session and the
// app is refused and forgets its keys; a wipe empties its storage and is
// confirmed.
func TestBrowserFieldApp(t *testing.T) {
	chromium(t)
	db := testkit.NewSQLite(t)
	storage := e2e.StorageArgs(t, db)
	e2e.AddUser(t, storage, "admin@example.com", "admin")
	e2e.AddUserInTeam(t, storage, "rep@example.com", "field_rep", "east")
	s := e2e.Start(t, storage)
	admin := s.Login(t, "admin@example.com", e2e.Password)
	repID := s.Do(t, "GET", "/api/v1/me", s.Login(t, "rep@example.com", e2e.Password), nil).Str("user_id")
	shop := s.Do(t, "POST", "/api/v1/companies", admin, map[string]any{"name": "Jade Store", "address": "9 Huaihai Road", "is_store": true, "owner_id": repID})
	if shop.Status != 201 {
		t.Fatalf("store: %d %s", shop.Status, shop.Body)
	}
	visit := s.Do(t, "POST", "/api/v1/visits", admin, map[string]any{"company_id": shop.Str("id"), "rep_id": repID, "planned_for": time.Now().UTC().Format(time.DateOnly)})
	if visit.Status != 201 {
		t.Fatalf("visit: %d %s", visit.Status, visit.Body)
	}
	visitID := visit.Str("id")

	ctx := newTab(t, 420, 900)
	do(t, ctx, login(s.URL, "rep@example.com", e2e.Password), geolocation(31.230416, 121.473701, 12),
		chromedp.Navigate(s.URL+"/app/"), appState("enrol"),
		chromedp.SetValue(byID(`enrol-name`), "Li's phone"),
		chromedp.Click(byID(`enrol-submit`)),
		appState("ready"),
		chromedp.WaitVisible(byID(`checkin-`+visitID)),
	)
	// Installable: Chromium finds nothing missing (manifest, icon, service worker, HTTPS).
	if errs, err := chromedp.Run(ctx, chromedp.Action[page.GetInstallabilityErrorsResult](func(ctx context.Context, tg *chromedp.Target) (page.GetInstallabilityErrorsResult, error) {
		return cdp.Call(ctx, tg, page.GetInstallabilityErrors, cdp.Empty{})
	})); err != nil || len(errs.InstallabilityErrors) > 0 {
		for _, e := range errs.InstallabilityErrors {
			t.Errorf("not installable: %s %v", e.ErrorID, e.ErrorArguments)
		}
		if err != nil {
			t.Fatal(err)
		}
	}
	if txt := value(t, ctx, chromedp.Text(byID(`visit-`+visitID))); !strings.Contains(txt, "Jade Store") || !strings.Contains(txt, "planned") {
		t.Fatalf("the visit in the app: %q", txt)
	}
	if keys := value(t, ctx, chromedp.Evaluate[string](stored, chromedp.EvalAwaitPromise)); !strings.Contains(keys, "device,lease") || !strings.Contains(keys, "sign,visits,wrapped") {
		t.Fatalf("the app's storage: %q", keys)
	}
	// What it keeps is ciphertext: the store's name is nowhere in it.
	if plain := value(t, ctx, chromedp.Evaluate[string](`(async () => {
	  const db = await new Promise((ok) => { const r = indexedDB.open("strongroom-field"); r.onsuccess = () => ok(r.result); });
	  const box = await new Promise((ok) => { const r = db.transaction("kv").objectStore("kv").get("visits"); r.onsuccess = () => ok(r.result); });
	  db.close();
	  return String(new TextDecoder().decode(box.ct).includes("Jade"));
	})()`, chromedp.EvalAwaitPromise)); plain != "false" {
		t.Fatal("the offline copy holds the store's name in plaintext")
	}

	// Offline: the check-in is queued, encrypted; the server has not seen it.
	photo := filepath.Join(t.TempDir(), "shelf.png")
	if err := os.WriteFile(photo, []byte("\x89PNG\r\n\x1a\n"+strings.Repeat("x", 64)), 0o600); err != nil {
		t.Fatal(err)
	}
	do(t, ctx, online(false), appState("offline"), chromedp.Click(byID(`checkin-`+visitID)),
		chromedp.WaitVisible(byCSS(`#queue-count[data-pending="1"]`)),
		chromedp.SetUploadFiles(byID(`photo-`+visitID), []string{photo}),
		chromedp.WaitVisible(byCSS(`#queue-count[data-pending="2"]`)))
	if txt := value(t, ctx, chromedp.Text(byID(`visit-`+visitID))); !strings.Contains(txt, "checked in (to sync)") {
		t.Fatalf("offline check-in: %q", txt)
	}
	if v := s.Do(t, "GET", "/api/v1/visits/"+visitID, admin, nil); v.Str("status") != "planned" {
		t.Fatalf("the server saw an offline check-in: %s", v.Body)
	}
	// Back online: the queue is applied through the API.
	do(t, ctx, online(true), chromedp.WaitVisible(byCSS(`#queue-count[data-pending="0"]`)), appState("ready"))
	if txt := value(t, ctx, chromedp.Text(byID(`queue-count`))); txt != "synced" {
		t.Fatalf("after sync the queue shows %q", txt)
	}
	v := s.Do(t, "GET", "/api/v1/visits/"+visitID, admin, nil)
	if v.Str("status") != "in_progress" || !strings.Contains(string(v.Body), "31.230416") || !strings.Contains(string(v.Body), `"content_type":"image/png"`) {
		t.Fatalf("the synced check-in on the server: %s", v.Body)
	}

	// A conflict: offline, the app checks out; meanwhile the rep checks out on the web
	// (another tab, online). Back online the server refuses the queued check-out, and
	// the app shows it.
	do(t, ctx, online(false), appState("offline"), chromedp.Click(byID(`checkout-`+visitID)),
		chromedp.WaitVisible(byCSS(`#queue-count[data-pending="1"]`)))
	web, cancelWeb := chromedp.NewContext(ctx)
	defer cancelWeb()
	do(t, web, geolocation(31.230416, 121.473701, 12), chromedp.Navigate(s.URL+"/visits/"+visitID), chromedp.WaitVisible(byID(`checkout-form`)),
		chromedp.Submit(byID(`checkout-form`)), chromedp.WaitNotPresent(byID(`checkout-form`)))
	for v := s.Do(t, "GET", "/api/v1/visits/"+visitID, admin, nil); v.Str("status") != "done"; v = s.Do(t, "GET", "/api/v1/visits/"+visitID, admin, nil) {
		if ctx.Err() != nil {
			t.Fatalf("the web check-out did not arrive: %s", v.Body)
		}
		time.Sleep(50 * time.Millisecond) // the page's form is sent once the location is known
	}
	do(t, ctx, online(true), chromedp.WaitVisible(byCSS(`#conflicts li.conflict`)), chromedp.WaitVisible(byCSS(`#queue-count[data-pending="0"]`)))
	if txt := value(t, ctx, chromedp.Text(byID(`conflicts`))); !strings.Contains(txt, "checkout") || !strings.Contains(txt, "already checked out") {
		t.Fatalf("the conflict shown: %q", txt)
	}

	// Past the offline lease (12 h; the device's clock moved on) the copy cannot be read.
	do(t, ctx, online(false), appState("offline"))
	do(t, ctx, chromedp.Evaluate[chromedp.Void](`(() => { const real = Date.now.bind(Date); Date.now = () => real() + 13 * 3600 * 1000; })()`),
		chromedp.Click(byID(`refresh`)), appState("expired"))
	if keys := value(t, ctx, chromedp.Evaluate[string](stored, chromedp.EvalAwaitPromise)); strings.Contains(keys, "lease") {
		t.Fatalf("an expired lease is still kept: %q", keys)
	}
	// Online again (the clock too): a new lease, readable again.
	do(t, ctx, chromedp.Reload(), online(true), chromedp.Reload(), appState("ready"))

	// The device's token ends (here: an administrator ends the rep's sessions; idle time
	// does the same): the app asks for a login, then resumes the same device, same key.
	if r := s.Do(t, "DELETE", "/api/v1/users/"+repID+"/sessions", admin, nil); r.Status >= 300 {
		t.Fatalf("end the rep's sessions: %d %s", r.Status, r.Body)
	}
	do(t, ctx, chromedp.Reload(), appState("login"), login(s.URL, "rep@example.com", e2e.Password),
		chromedp.Navigate(s.URL+"/app/"), appState("login"), chromedp.Click(byID(`enrol-submit`)), appState("ready"))
	if list := s.Do(t, "GET", "/api/v1/devices", admin, nil); len(list.JSON["items"].([]any)) != 1 {
		t.Fatalf("resuming made another device: %s", list.Body)
	}

	// Locked from the administrator's session: the app is refused and forgets its keys.
	actx := newTab(t, 1280, 900)
	do(t, actx, login(s.URL, "admin@example.com", e2e.Password), chromedp.Navigate(s.URL+"/devices"), chromedp.WaitVisible(byID(`devices`)))
	if txt := value(t, actx, chromedp.Text(byID(`devices`))); !strings.Contains(txt, "Li's phone") || !strings.Contains(txt, "rep@example.com") || !strings.Contains(txt, "31.23, 121.47") {
		t.Fatalf("the devices page: %q", txt)
	}
	devID := strings.TrimPrefix(value(t, actx, chromedp.Evaluate[string](`document.querySelector("#devices tbody tr").id`)), "device-")
	_ = context.Background
	do(t, actx, chromedp.Click(byID(`lock-`+devID)), chromedp.WaitVisible(byID(`confirm-consequence`)), // what a lock does, asked once more
		chromedp.Click(byID(`confirm-box`)), chromedp.Click(byID(`confirm-button`)), chromedp.WaitVisible(byCSS(`.flash`)))
	if txt := value(t, actx, chromedp.Text(byCSS(`#device-`+devID+` .device-state`))); txt != "Locked" {
		t.Fatalf("after lock the page says %q", txt)
	}
	do(t, ctx, chromedp.Reload(), appState("locked"))
	if keys := value(t, ctx, chromedp.Evaluate[string](stored, chromedp.EvalAwaitPromise)); strings.Contains(keys, "lease") || strings.Contains(keys, "wrapped") || strings.Contains(keys, "visits") {
		t.Fatalf("a locked device keeps %q", keys)
	}

	// A fresh install enrols again; its wipe, ordered by the administrator, empties it.
	do(t, ctx, chromedp.Evaluate[chromedp.Void](`new Promise((ok) => { const r = indexedDB.deleteDatabase("strongroom-field"); r.onsuccess = r.onerror = () => ok(); })`, chromedp.EvalAwaitPromise),
		chromedp.Reload(), appState("enrol"), chromedp.SetValue(byID(`enrol-name`), "Li's tablet"), chromedp.Click(byID(`enrol-submit`)), appState("ready"))
	list := s.Do(t, "GET", "/api/v1/devices", admin, nil)
	items := list.JSON["items"].([]any)
	dev2 := items[0].(map[string]any)["id"].(string) // newest first
	if r := s.Do(t, "POST", "/api/v1/devices/"+dev2+"/wipe", admin, map[string]any{"reason": "left the company"}); r.Status != 202 {
		t.Fatalf("wipe: %d %s", r.Status, r.Body)
	}
	do(t, ctx, chromedp.Click(byID(`sync`)), appState("wiped"))
	if keys := value(t, ctx, chromedp.Evaluate[string](stored, chromedp.EvalAwaitPromise)); keys != "" {
		t.Fatalf("a wiped app keeps %q", keys)
	}
	if n := value(t, ctx, chromedp.Evaluate[string](`caches.keys().then((k) => String(k.length))`, chromedp.EvalAwaitPromise)); n != "0" {
		t.Fatalf("a wiped app keeps %v caches", n)
	}
	list = s.Do(t, "GET", "/api/v1/devices", admin, nil)
	if !strings.Contains(string(list.Body), `"state":"wiped"`) || !strings.Contains(string(list.Body), `"wipe_confirmed_at"`) {
		t.Fatalf("the wipe is not confirmed: %s", list.Body)
	}
}
