package main_test

import (
	"encoding/json"
	"encoding/pem"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"strongroom.dev/strongroom/internal/testkit"
	"strongroom.dev/strongroom/internal/webhook"
)

// Webhooks end to end, on both engines: a partner's TLS endpoint on
// loopback (the range the administrator allows with --webhook-allow, its
// certificate given with --webhook-ca) subscribes as the marketing role;
// destinations in other special-purpose ranges are refused with
// problem+json (loopback itself passes only because its range is
// allowed); a customer made through the API reaches the partner as
// customer.created, signed with the secret shown once, first answered 500
// and retried with the same webhook-id; the payload lacks the fields
// marketing may not read and masks the email; the delivery log shows two
// attempts; auditors read the subscriptions but may not change them, and
// sales may not see them.
func TestWebhooksEndToEnd(t *testing.T) {
	testkit.ForEachDB(t, func(t *testing.T, db testkit.DB) {
		type msg struct {
			header http.Header
			body   []byte
		}
		var mu sync.Mutex
		answers := []int{http.StatusInternalServerError}
		got := make(chan msg, 10)
		partner := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			body, _ := io.ReadAll(r.Body)
			mu.Lock()
			code := http.StatusNoContent
			if len(answers) > 0 {
				code, answers = answers[0], answers[1:]
			}
			mu.Unlock()
			got <- msg{r.Header.Clone(), body}
			w.WriteHeader(code)
		}))
		defer partner.Close()
		ca := filepath.Join(t.TempDir(), "partner.pem")
		if err := os.WriteFile(ca, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: partner.Certificate().Raw}), 0o600); err != nil {
			t.Fatal(err)
		}

		storage := storageArgs(t, db)
		addUser(t, storage, "admin@example.com", "admin")
		addUser(t, storage, "auditor@example.com", "auditor")
		addUser(t, storage, "sales@example.com", "sales")
		s := start(t, storage, "--webhook-allow", "127.0.0.0/8", "--webhook-ca", ca, "--webhook-retry", "1s")
		admin := s.Login(t, "admin@example.com", password)
		auditor := s.Login(t, "auditor@example.com", password)
		sales := s.Login(t, "sales@example.com", password)

		sub := map[string]any{"name": "Logistics partner", "url": partner.URL + "/strongroom", "role": "marketing", "events": []string{"customer.created"}}
		for _, bad := range []string{"https://169.254.169.254/latest/meta-data/", "https://[::1]:8443/", "https://[::ffff:10.0.0.1]/", "https://[2002:a9fe:a9fe::]/", "https://[fd00::1]/", "https://100.64.0.1/", "http://" + strings.TrimPrefix(partner.URL, "https://")} {
			b := map[string]any{"name": "x", "url": bad, "role": "marketing", "events": []string{"customer.created"}}
			if r := s.Do(t, "POST", "/api/v1/webhooks", admin, b); r.Status != http.StatusBadRequest || r.Header.Get("Content-Type") != "application/problem+json" {
				t.Errorf("destination %s: %d %s", bad, r.Status, r.Body)
			}
		}
		if r := s.Do(t, "POST", "/api/v1/webhooks", auditor, sub); r.Status != http.StatusForbidden {
			t.Fatalf("an auditor subscribing: %d", r.Status)
		}
		r := s.Do(t, "POST", "/api/v1/webhooks", admin, sub)
		if r.Status != http.StatusCreated || !strings.HasPrefix(r.Str("secret"), "whsec_") || r.Header.Get("Cache-Control") != "no-store" {
			t.Fatalf("subscribe: %d %s", r.Status, r.Body)
		}
		id, secret := r.Str("id"), r.Str("secret")
		key, err := webhook.ParseSecret(secret)
		if err != nil {
			t.Fatal(err)
		}
		if r := s.Do(t, "GET", "/api/v1/webhooks/"+id, auditor, nil); r.Status != http.StatusOK || strings.Contains(string(r.Body), secret) {
			t.Fatalf("the auditor's view: %d %s", r.Status, r.Body)
		}
		if r := s.Do(t, "GET", "/api/v1/webhooks", sales, nil); r.Status != http.StatusForbidden {
			t.Fatalf("sales listing webhooks: %d", r.Status)
		}

		c := s.Do(t, "POST", "/api/v1/customers", admin, map[string]string{"name": "Lin Mei", "email": "lin.mei@example.com", "national_id": "110101199003071234", "notes": "prefers evenings"})
		if c.Status != http.StatusCreated {
			t.Fatalf("customer: %d %s", c.Status, c.Body)
		}
		var first, second msg
		for i, m := range []*msg{&first, &second} {
			select {
			case *m = <-got:
			case <-time.After(90 * time.Second):
				t.Fatalf("message %d never came", i+1)
			}
		}
		if first.header.Get(webhook.HeaderID) == "" || first.header.Get(webhook.HeaderID) != second.header.Get(webhook.HeaderID) {
			t.Fatalf("the retry has another id: %q, %q", first.header.Get(webhook.HeaderID), second.header.Get(webhook.HeaderID))
		}
		if err := webhook.VerifyStandard(key, second.header, second.body, time.Now(), 5*time.Minute); err != nil {
			t.Fatalf("signature: %v", err)
		}
		var m struct {
			Type string `json:"type"`
			Data struct {
				ID     string            `json:"id"`
				Fields map[string]string `json:"fields"`
			} `json:"data"`
		}
		if err := json.Unmarshal(second.body, &m); err != nil {
			t.Fatal(err)
		}
		if m.Type != "customer.created" || m.Data.ID != c.Str("id") || m.Data.Fields["name"] != "Lin Mei" {
			t.Fatalf("message: %s", second.body)
		}
		for _, secretField := range []string{"national_id", "110101199003071234", "notes", "prefers evenings", "lin.mei@example.com"} {
			if strings.Contains(string(second.body), secretField) {
				t.Errorf("the payload carries %q, which marketing may not read: %s", secretField, second.body)
			}
		}
		if e := m.Data.Fields["email"]; !strings.Contains(e, "*") {
			t.Errorf("email %q, want masked", e)
		}

		var log struct {
			Deliveries []struct {
				ID         string `json:"id"`
				Status     string `json:"status"`
				Attempts   int    `json:"attempts"`
				StatusCode int    `json:"status_code"`
			} `json:"deliveries"`
		}
		for {
			r := s.Do(t, "GET", "/api/v1/webhooks/"+id+"/deliveries", auditor, nil)
			if r.Status != http.StatusOK {
				t.Fatalf("deliveries: %d %s", r.Status, r.Body)
			}
			json.Unmarshal(r.Body, &log)
			if len(log.Deliveries) == 1 && log.Deliveries[0].Status != "pending" {
				break
			}
			time.Sleep(200 * time.Millisecond)
		}
		if d := log.Deliveries[0]; d.Status != "delivered" || d.Attempts != 2 || d.StatusCode != http.StatusNoContent || d.ID != first.header.Get(webhook.HeaderID) {
			t.Fatalf("delivery log: %+v", d)
		}
		if strings.Contains(string(s.Do(t, "GET", "/api/v1/webhooks/"+id+"/deliveries", admin, nil).Body), "Lin Mei") {
			t.Fatal("the delivery log holds personal data")
		}
		if r := s.Do(t, "DELETE", "/api/v1/webhooks/"+id, auditor, nil); r.Status != http.StatusForbidden {
			t.Fatalf("an auditor deleting: %d", r.Status)
		}
		if r := s.Do(t, "DELETE", "/api/v1/webhooks/"+id, admin, nil); r.Status != http.StatusNoContent {
			t.Fatalf("delete: %d %s", r.Status, r.Body)
		}
	})
}

// The webhook command on the host, on both engines: a loopback
// destination is refused in one line with a non-zero exit unless its
// range is allowed; add prints the secret once; list, pause, resume and
// delete work by id.
func TestWebhookCommand(t *testing.T) {
	testkit.ForEachDB(t, func(t *testing.T, db testkit.DB) {
		storage := storageArgs(t, db)
		add := append([]string{"webhook", "add", "--name", "Partner", "--url", "https://127.0.0.1:9443/in", "--role", "finance", "--events", "customer.created,deal.stage_changed"}, storage...)
		code, out, errOut := run(t, "", add...)
		if code == 0 || strings.Count(strings.TrimSpace(errOut), "\n") != 0 || !strings.Contains(errOut, "--webhook-allow") {
			t.Fatalf("loopback without an allowed range: exit %d\n%s%s", code, out, errOut)
		}
		code, out, errOut = run(t, "", append(add, "--webhook-allow", "127.0.0.0/8")...)
		secret := regexp.MustCompile(`whsec_\S+`).FindString(out)
		id := regexp.MustCompile(`whk_[0-9a-f]+`).FindString(out)
		if code != 0 || secret == "" || id == "" {
			t.Fatalf("add: exit %d\n%s%s", code, out, errOut)
		}
		if code, out, _ = run(t, "", append([]string{"webhook", "pause", "--id", id}, storage...)...); code != 0 {
			t.Fatalf("pause: %d %s", code, out)
		}
		code, out, _ = run(t, "", append([]string{"webhook", "list"}, storage...)...)
		if code != 0 || !strings.Contains(out, id) || !strings.Contains(out, "paused") || strings.Contains(out, secret) {
			t.Fatalf("list: %d\n%s", code, out)
		}
		if code, out, _ = run(t, "", append([]string{"webhook", "resume", "--id", id}, storage...)...); code != 0 {
			t.Fatalf("resume: %d %s", code, out)
		}
		if code, out, _ = run(t, "", append([]string{"webhook", "delete", "--id", id}, storage...)...); code != 0 {
			t.Fatalf("delete: %d %s", code, out)
		}
		if code, _, errOut = run(t, "", append([]string{"webhook", "delete", "--id", id}, storage...)...); code == 0 || !strings.Contains(errOut, "not found") {
			t.Fatalf("deleting again: %d %s", code, errOut)
		}
	})
}
