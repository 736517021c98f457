package browser_test

import (
	"encoding/pem"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"strongroom.dev/strongroom/internal/e2e"
	"strongroom.dev/strongroom/internal/testkit"
	"strongroom.dev/strongroom/internal/webhook"
)

// Webhooks in Chromium: an administrator subscribes a partner's TLS
// endpoint (on loopback, the range serve allows) as the marketing role on
// /admin/webhooks and sees the secret once; a customer made through the
// API reaches the partner signed with that secret and without the fields
// marketing may not read; the delivery log shows it delivered; the
// administrator pauses the subscription, and deletes it only once the box
// is ticked.
func TestBrowserWebhooks(t *testing.T) {
	chromium(t)
	got := make(chan []byte, 4)
	var secret []byte
	partner := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		if webhook.VerifyStandard(secret, r.Header, body, time.Now(), 5*time.Minute) != nil {
			http.Error(w, "bad signature", http.StatusUnauthorized)
			return
		}
		got <- body
	}))
	defer partner.Close()
	ca := filepath.Join(t.TempDir(), "partner.pem")
	if err := os.WriteFile(ca, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: partner.Certificate().Raw}), 0o600); err != nil {
		t.Fatal(err)
	}
	db := testkit.NewSQLite(t)
	storage := e2e.StorageArgs(t, db)
	e2e.AddUser(t, storage, "admin@example.com", "admin")
	s := e2e.Start(t, storage, "--webhook-allow", "127.0.0.0/8", "--webhook-ca", ca)
	tok := s.Login(t, "admin@example.com", e2e.Password)
	shot := newShots(t)

	tab := newTab(t, 1280, 900)
	do(t, tab, login(s.URL, "admin@example.com", e2e.Password),
		chromedp.Navigate(s.URL+"/admin"),
		chromedp.Click(byID(`webhooks-link`)),
		chromedp.WaitVisible(byID(`no-webhooks`)),
		chromedp.SendKeys(byID(`webhook-name`), "Logistics partner"),
		chromedp.SendKeys(byID(`webhook-url`), partner.URL+"/in"),
		chromedp.SetValue(byID(`webhook-role`), "marketing"),
		chromedp.Click(byCSS(`input[name=events][value="customer.created"]`)),
		chromedp.Click(byID(`webhook-create`)),
		chromedp.WaitVisible(byID(`webhook-secret`)),
	)
	shot.take(tab, "webhooks")
	sec := regexp.MustCompile(`whsec_\S+`).FindString(value(t, tab, chromedp.Text(byID(`webhook-secret`))))
	key, err := webhook.ParseSecret(sec)
	if err != nil {
		t.Fatalf("the secret on the page: %q %v", sec, err)
	}
	secret = key
	do(t, tab, chromedp.Navigate(s.URL+"/admin/webhooks"), chromedp.WaitVisible(byCSS(`table.webhooks`)))
	if body := value(t, tab, chromedp.Text(byCSS(`main`))); strings.Contains(body, "whsec_") {
		t.Fatal("the secret is shown again")
	}

	if c := s.Do(t, "POST", "/api/v1/customers", tok, map[string]any{"name": "Wu Lan", "email": "wu.lan@example.cn", "national_id": "110101199003071234"}); c.Status != 201 {
		t.Fatalf("create: %d %s", c.Status, c.Body)
	}
	var body []byte
	select {
	case body = <-got:
	case <-time.After(60 * time.Second):
		t.Fatal("the partner got nothing")
	}
	if !strings.Contains(string(body), "customer.created") || !strings.Contains(string(body), "Wu Lan") || strings.Contains(string(body), "110101199003071234") || strings.Contains(string(body), "wu.lan@example.cn") {
		t.Fatalf("the message: %s", body)
	}

	do(t, tab, chromedp.Click(byCSS(`table.webhooks a`)), chromedp.WaitVisible(byID(`webhook-delete`)))
	for deadline := time.Now().Add(20 * time.Second); ; time.Sleep(200 * time.Millisecond) {
		v, err := chromedp.Run(tab, chromedp.Text(byCSS(`main`)))
		if err == nil && strings.Contains(v, "delivered") {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the delivery log: %q", v)
		}
		do(t, tab, chromedp.Reload(), chromedp.WaitVisible(byID(`webhook-delete`)))
	}
	shot.take(tab, "webhook-deliveries")

	do(t, tab, chromedp.Navigate(s.URL+"/admin/webhooks"), chromedp.Click(byCSS(`button.webhook-pause`)), chromedp.WaitVisible(byCSS(`button.webhook-resume`)))
	waitText(t, tab, `td.webhook-state`, "paused")

	do(t, tab, chromedp.Click(byCSS(`table.webhooks a`)), chromedp.WaitVisible(byID(`webhook-delete-button`)),
		chromedp.Click(byID(`webhook-delete-button`)), chromedp.WaitVisible(byCSS(`p.error`)))
	do(t, tab, chromedp.Click(byID(`webhook-delete-confirm`)), chromedp.Click(byID(`webhook-delete-button`)), chromedp.WaitVisible(byID(`no-webhooks`)))
}
