package browser_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"strongroom.dev/strongroom/internal/e2e"
	"strongroom.dev/strongroom/internal/testkit"
)

// Every kind of data-subject request, in Chromium: staff take it in on the
// customer's consents page; the privacy officer, who has no grant on
// customers, handles it to its end on the request's page: a download for
// access and portability, a restriction placed and lifted, an outcome for
// the rest, and erasure last: asked by the officer, approved by the
// administrator (maker-checker), carried out after its box is ticked.
func TestBrowserPrivacyRequests(t *testing.T) {
	chromium(t)
	db := testkit.NewSQLite(t)
	storage := e2e.StorageArgs(t, db)
	e2e.AddUser(t, storage, "admin@example.com", "admin")
	e2e.AddUser(t, storage, "dpo@example.com", "privacy_officer")
	s := e2e.Start(t, storage)
	tok := s.Login(t, "admin@example.com", e2e.Password)
	dpoTok := s.Login(t, "dpo@example.com", e2e.Password)
	c := s.Do(t, "POST", "/api/v1/customers", tok, map[string]any{"name": "Wu Lan", "email": "wu.lan@example.cn"})
	if c.Status != 201 {
		t.Fatalf("create: %d %s", c.Status, c.Body)
	}
	id := c.Str("id")
	shot := newShots(t)

	staff := newTab(t, 1280, 900)
	do(t, staff, login(s.URL, "admin@example.com", e2e.Password))
	dpo := newTab(t, 1280, 900)
	do(t, dpo, login(s.URL, "dpo@example.com", e2e.Password))
	if body := value(t, dpo, chromedp.Text(byCSS(`header.top`))); strings.Contains(body, "Customers") {
		t.Fatalf("the privacy officer's navigation offers customers: %q", body)
	}

	for _, kind := range []string{"access", "portability", "rectification", "restriction", "objection", "opt_out_sale", "limit_sensitive", "erasure"} {
		do(t, staff,
			chromedp.Navigate(s.URL+"/customers/"+id+"/consents"),
			chromedp.WaitVisible(byID(`r-kind`)),
			chromedp.SetValue(byID(`r-kind`), kind),
			chromedp.SetValue(byID(`r-law`), "ccpa"),
			chromedp.SendKeys(byID(`r-details`), "asked at the front desk"),
			chromedp.Submit(byID(`r-details`)),
			chromedp.WaitVisible(byCSS(`.flash`)),
		)
		list := s.Do(t, "GET", "/api/v1/privacy/requests", tok, nil)
		var reqID string
		items, _ := list.JSON["items"].([]any)
		for _, it := range items {
			if r, _ := it.(map[string]any); r["kind"] == kind && r["status"] == "open" {
				reqID, _ = r["id"].(string)
			}
		}
		if reqID == "" {
			t.Fatalf("%s: not among the open requests: %s", kind, list.Body)
		}
		do(t, dpo, chromedp.Navigate(s.URL+"/privacy/requests/"+reqID), chromedp.WaitVisible(byID(`request-status`)))
		switch kind {
		case "access", "portability":
			if href, err := chromedp.Run(dpo, chromedp.AttributeValue(byID(`request-export`), "href")); err != nil || href.Value != "/privacy/requests/"+reqID+"/export" {
				t.Fatalf("%s: the download link is %q (%v)", kind, href.Value, err)
			}
			// The page's strict CSP lets no script fetch; the officer's own
			// session fetches the zip as the link would.
			if z := s.Do(t, "GET", "/api/v1/privacy/requests/"+reqID+"/export", dpoTok, nil); z.Status != 200 || len(z.Body) < 200 || z.Header.Get("Content-Type") != "application/zip" {
				t.Fatalf("%s: the zip: %d, %d bytes, %s", kind, z.Status, len(z.Body), z.Header.Get("Content-Type"))
			}
		case "restriction":
			do(t, dpo, chromedp.Click(byID(`restrict-toggle`)))
			waitText(t, dpo, `#request-status`, "In progress")
			if r := s.Do(t, "GET", "/api/v1/customers/"+id, tok, nil); r.Status != 409 {
				t.Fatalf("reading a restricted customer: %d", r.Status)
			}
			do(t, dpo, chromedp.Click(byID(`restrict-toggle`)), chromedp.WaitNotPresent(byID(`restrict-toggle`)))
		case "erasure":
			// Maker-checker: the officer asks, the administrator approves on the same page.
			do(t, dpo, chromedp.Click(byID(`ask-approval`)), chromedp.WaitVisible(byCSS(`.flash`)))
			do(t, staff, chromedp.Navigate(s.URL+"/privacy/requests/"+reqID), chromedp.WaitVisible(byID(`approve-now`)),
				chromedp.Click(byID(`approve-now`)), chromedp.WaitVisible(byCSS(`.flash`)))
			do(t, dpo, chromedp.Navigate(s.URL+"/privacy/requests/"+reqID), chromedp.WaitVisible(byID(`erase-confirm`)),
				chromedp.Click(byID(`erase-confirm`)), chromedp.Click(byID(`erase-now`)), chromedp.WaitVisible(byCSS(`.flash`)))
		}
		if kind != "restriction" && kind != "erasure" {
			do(t, dpo,
				chromedp.SendKeys(byID(`q-outcome`), "done for "+kind),
				chromedp.Click(byCSS(`#close-request button[value="completed"]`)),
				chromedp.WaitVisible(byCSS(`.flash`)),
			)
		}
		waitText(t, dpo, `#request-status`, "Completed")
	}
	shot.take(dpo, "privacy-request")
	if r := s.Do(t, "GET", "/api/v1/customers/"+id, tok, nil); r.Status != 404 {
		t.Fatalf("the erased customer: %d", r.Status)
	}
}

// waitText waits, up to 20 seconds, until the element sel holds want: a
// form posted redirects, and the page before it may still be showing.
func waitText(t *testing.T, ctx context.Context, sel, want string) {
	t.Helper()
	var got string
	for deadline := time.Now().Add(20 * time.Second); time.Now().Before(deadline); time.Sleep(100 * time.Millisecond) {
		v, err := chromedp.Run(ctx, chromedp.Text(byCSS(sel)))
		if got = v; err == nil && v == want {
			return
		}
	}
	t.Fatalf("%s holds %q, want %q", sel, got, want)
}
