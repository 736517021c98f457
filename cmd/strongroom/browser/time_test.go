package browser_test

import (
	"context"
	"strings"
	"testing"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/chromedp"

	"strongroom.dev/strongroom/internal/e2e"
	"strongroom.dev/strongroom/internal/testkit"
)

// timeZone makes the tab's browser report zone, as a machine set to it would.
func timeZone(zone string) chromedp.Action[chromedp.Void] {
	return func(ctx context.Context, t *chromedp.Target) (chromedp.Void, error) {
		_, err := cdp.Call(ctx, t, emulation.SetTimezoneOverride, emulation.SetTimezoneOverrideParams{TimezoneID: zone})
		return chromedp.Void{}, err
	}
}

// noScript turns JavaScript off in the tab.
func noScript() chromedp.Action[chromedp.Void] {
	return func(ctx context.Context, t *chromedp.Target) (chromedp.Void, error) {
		_, err := cdp.Call(ctx, t, emulation.SetScriptExecutionDisabled, emulation.SetScriptExecutionDisabledParams{Value: true})
		return chromedp.Void{}, err
	}
}

// Times default from the browser before login: a browser in New York logs
// in and reads its sessions in New York time, with the offset said; one in
// Shanghai in Chinese reads Beijing time, said; a browser without
// JavaScript reads UTC, said. Deleting a customer, once one click, now
// asks with the consequence spelled out, and says afterwards what happened.
func TestBrowserTimeZoneAndConfirm(t *testing.T) {
	chromium(t)
	db := testkit.NewSQLite(t)
	storage := e2e.StorageArgs(t, db)
	e2e.AddUser(t, storage, "admin@example.com", "admin")
	e2e.AddUser(t, storage, "wang@example.com", "sales")
	e2e.AddUser(t, storage, "nojs@example.com", "sales")
	s := e2e.Start(t, storage)

	for _, c := range []struct {
		email, zone, lang string
		noJS              bool
		wantZone, offset  string
	}{
		{"admin@example.com", "America/New_York", "en", false, "America/New_York", "UTC−5"},
		{"wang@example.com", "Asia/Shanghai", "zh-CN", false, "Asia/Shanghai", "UTC+8"},
		{"nojs@example.com", "Asia/Tokyo", "en", true, "UTC", " UTC"},
	} {
		ctx := newTab(t, 1280, 900)
		steps := []chromedp.Action[chromedp.Void]{timeZone(c.zone)}
		if c.noJS {
			steps = append(steps, noScript())
		}
		if c.lang != "en" {
			steps = append(steps, chromedp.Navigate(s.URL+"/login"), chromedp.WaitVisible(byID(`email`)),
				chromedp.Click(byCSS(`form[action="/lang"] button`)), chromedp.WaitVisible(byCSS(`html[lang="zh-CN"] #email`)))
		}
		do(t, ctx, steps...)
		do(t, ctx, login(s.URL, c.email, e2e.Password), chromedp.Navigate(s.URL+"/sessions"), chromedp.WaitVisible(byID(`time_zone`)))
		if z := value(t, ctx, chromedp.Evaluate[string](`document.getElementById("time_zone").value`)); z != c.wantZone {
			t.Fatalf("%s, browser in %s: the zone is %q, want %q", c.email, c.zone, z, c.wantZone)
		}
		if txt := value(t, ctx, chromedp.Text(byID(`session-list`))); !strings.Contains(txt, c.offset) {
			t.Fatalf("%s: the session list does not say %q:\n%s", c.email, c.offset, txt)
		}
	}

	tok := s.Login(t, "admin@example.com", e2e.Password)
	id := s.Do(t, "POST", "/api/v1/customers", tok, map[string]any{"name": "Wu Lan"}).Str("id")
	ctx := newTab(t, 1280, 900)
	do(t, ctx, login(s.URL, "admin@example.com", e2e.Password), chromedp.Navigate(s.URL+"/customers/"+id),
		chromedp.Click(byCSS(`form.danger-zone button`)), chromedp.WaitVisible(byID(`confirm-consequence`)))
	if txt := value(t, ctx, chromedp.Text(byID(`confirm-consequence`))); !strings.Contains(txt, "cannot be undone") {
		t.Fatalf("the confirmation says %q", txt)
	}
	// The box is required: the button alone does not send the form.
	do(t, ctx, chromedp.Click(byID(`confirm-button`)))
	if still := value(t, ctx, chromedp.Evaluate[string](`document.getElementById("confirm-box") ? "asked" : "gone"`)); still != "asked" {
		t.Fatal("the confirmation went through without its box")
	}
	do(t, ctx, chromedp.Click(byID(`confirm-box`)), chromedp.Click(byID(`confirm-button`)), chromedp.WaitVisible(byCSS(`.flash`)))
	if txt := value(t, ctx, chromedp.Text(byCSS(`.flash`))); !strings.Contains(txt, "Customer deleted.") {
		t.Fatalf("after deleting: %q", txt)
	}
}
