package browser_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/url"
	"os"
	"regexp"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/chromedp"

	"strongroom.dev/strongroom/internal/e2e"
	"strongroom.dev/strongroom/internal/testkit"
)

// axeSource is axe-core's axe.min.js, which .ci/run fetches once from the
// npm registry (a pinned version, cached) and names in STRONGROOM_TEST_AXE.
// Outside CI a machine without it skips the accessibility tests; in CI a
// missing file fails.
func axeSource(t *testing.T) string {
	t.Helper()
	path := os.Getenv("STRONGROOM_TEST_AXE")
	if path == "" {
		if os.Getenv("CI") != "" {
			t.Fatal("STRONGROOM_TEST_AXE is not set; .ci/run fetches axe-core and sets it")
		}
		t.Skip("STRONGROOM_TEST_AXE is not set (npm pack axe-core; see .ci/run)")
	}
	src, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("axe-core: %v", err)
	}
	return string(src)
}

// axeRun runs axe-core on the page with the WCAG 2.0, 2.1 and 2.2 A and AA
// rules and the target-size rule (WCAG 2.2, 2.5.8) on, and returns the
// serious and critical violations, one line per element.
const axeRun = `(async () => {
  const r = await axe.run(document, {
    runOnly: {type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'wcag22a', 'wcag22aa']},
    rules: {'target-size': {enabled: true}},
    resultTypes: ['violations'],
  });
  const out = [];
  for (const v of r.violations) {
    if (v.impact !== 'serious' && v.impact !== 'critical') continue;
    for (const n of v.nodes) out.push(v.id + ' (' + v.impact + ') ' + n.target.join(' ') + ': ' + (n.failureSummary || '').replace(/\s+/g, ' ').slice(0, 200));
  }
  return JSON.stringify(out);
})()`

// a11yTab is newTab without the overall deadline: a role's scan visits many
// pages; each step gets its own deadline instead.
func a11yTab(t *testing.T, width, height int, listen func(ev any)) context.Context {
	t.Helper()
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(chromium(t)),
		chromedp.NoSandbox,
		chromedp.DisableGPU,
		chromedp.IgnoreCertErrors,
		chromedp.UserDataDir(t.TempDir()),
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.WindowSize(width, height),
	)
	actx, cancelA := chromedp.NewExecAllocator(context.Background(), opts...)
	bctx, cancelC := chromedp.NewContext(actx, chromedp.WithListener(listen))
	if err := chromedp.Do(bctx); err != nil {
		cancelC()
		cancelA()
		t.Fatalf("start chromium: %v", err)
	}
	t.Cleanup(func() { cancelC(); cancelA() })
	return bctx
}

// step runs actions with a deadline of their own.
func step[T any](ctx context.Context, a chromedp.Action[T]) (T, error) {
	sctx, cancel := context.WithTimeout(ctx, 90*time.Second)
	defer cancel()
	return chromedp.Run(sctx, a)
}

// visit opens a page and waits for its main element. A navigation that
// Chromium reports as aborted (a page that sends the browser on to
// another, such as a redirect to owed training) still ends on a page.
func visit(ctx context.Context, url string) error {
	if _, err := step(ctx, chromedp.Navigate(url)); err != nil && !strings.Contains(err.Error(), "ERR_ABORTED") {
		return err
	}
	_, err := step(ctx, chromedp.WaitReady(chromedp.CSS(`main`)))
	return err
}

// TestAccessibility is the "Done when" for accessibility: axe-core
// finds no serious or critical WCAG 2.2 A/AA violation (target-size on) on
// any page reachable from the header, for five roles of the demo data, in
// English and Chinese, at desk (1280 px) and phone (390 px) widths. The
// same walk checks that no page pans sideways on the phone and that no page
// fetches a resource that is not there (the favicon answered 404).
func TestAccessibility(t *testing.T) {
	chromium(t)
	axeSrc := axeSource(t)
	db := testkit.NewSQLite(t)
	storage := e2e.StorageArgs(t, db)
	s := e2e.Start(t, storage, "--demo")
	logins := map[string][2]string{}
	for _, m := range regexp.MustCompile(`(?m)^\s+([a-z_]+)\s+(\S+@\S+)\s+(\S+)$`).FindAllStringSubmatch(s.Banner, -1) {
		if _, ok := logins[m[1]]; !ok {
			logins[m[1]] = [2]string{m[2], m[3]}
		}
	}
	var found []string
	for _, role := range []string{"admin", "sales", "field_rep", "finance", "counsellor"} {
		acct, ok := logins[role]
		if !ok {
			t.Fatalf("the demo banner has no %s login:\n%s", role, s.Banner)
		}
		for _, width := range []int{1280, 390} {
			found = append(found, scanRole(t, s.URL, axeSrc, role, acct[0], acct[1], width)...)
		}
	}
	if len(found) > 0 {
		sort.Strings(found)
		t.Errorf("%d accessibility findings:\n%s", len(found), strings.Join(found, "\n"))
	}
}

// scanRole logs in as one user at one width and scans every page the
// header links to, in English and then in Chinese.
func scanRole(t *testing.T, base, axeSrc, role, email, pw string, width int) []string {
	t.Helper()
	var mu sync.Mutex
	var missing []string
	listen := func(ev any) {
		if r, ok := ev.(*network.EventResponseReceived); ok && r.Response.Status == 404 && strings.HasPrefix(r.Response.URL, base) {
			mu.Lock()
			missing = append(missing, fmt.Sprintf("%d %s", r.Response.Status, strings.TrimPrefix(r.Response.URL, base)))
			mu.Unlock()
		}
	}
	ctx := a11yTab(t, width, 844, listen)
	if _, err := step(ctx, login(base, email, pw)); err != nil {
		t.Fatalf("%s: login: %v", role, err)
	}
	var found []string
	for _, lang := range []string{"en", "zh-CN"} {
		if lang != "en" {
			if err := visit(ctx, base+"/"); err != nil {
				t.Fatalf("%s: %v", role, err)
			}
			if _, err := step(ctx, chromedp.Steps(
				chromedp.Click(chromedp.CSS(`form[action="/lang"] button`)),
				chromedp.WaitReady(chromedp.CSS(`html[lang="zh-CN"] main`)),
			)); err != nil {
				t.Fatalf("%s: switch to Chinese: %v", role, err)
			}
		}
		if err := visit(ctx, base+"/"); err != nil {
			t.Fatalf("%s: %v", role, err)
		}
		linksJSON, err := step(ctx, chromedp.Evaluate[string](`JSON.stringify([...document.querySelectorAll('header a[href]')].map(a => a.getAttribute('href')))`))
		if err != nil {
			t.Fatalf("%s: header links: %v", role, err)
		}
		var links []string
		json.Unmarshal([]byte(linksJSON), &links)
		seen := map[string]bool{}
		for _, href := range links {
			u, err := url.Parse(href)
			if err != nil || u.Host != "" || u.Path == "" || seen[u.Path] {
				continue
			}
			seen[u.Path] = true
			where := fmt.Sprintf("%s %s %dpx %s", role, lang, width, u.Path)
			if err := visit(ctx, base+u.Path); err != nil {
				found = append(found, where+": does not load: "+err.Error())
				continue
			}
			if _, err := step(ctx, chromedp.Evaluate[chromedp.Void](axeSrc)); err != nil {
				t.Fatalf("%s: inject axe-core: %v", where, err)
			}
			out, err := step(ctx, chromedp.Evaluate[string](axeRun, chromedp.EvalAwaitPromise))
			if err != nil {
				t.Fatalf("%s: axe.run: %v", where, err)
			}
			var violations []string
			if err := json.Unmarshal([]byte(out), &violations); err != nil {
				t.Fatalf("%s: axe.run: %v", where, err)
			}
			for _, v := range violations {
				found = append(found, where+": "+v)
			}
			if width < 640 {
				wide, err := step(ctx, chromedp.Evaluate[bool](`document.documentElement.scrollWidth > window.innerWidth + 1`))
				if err == nil && wide {
					found = append(found, where+": the page pans sideways")
				}
			}
		}
	}
	// Checked at the end: a favicon's answer can come after the page's load.
	mu.Lock()
	defer mu.Unlock()
	for _, m := range dedupe(missing) {
		found = append(found, fmt.Sprintf("%s %dpx: a page fetches a missing resource: %s", role, width, m))
	}
	return found
}

func dedupe(in []string) []string {
	seen := map[string]bool{}
	var out []string
	for _, s := range in {
		if !seen[s] {
			seen[s] = true
			out = append(out, s)
		}
	}
	return out
}
