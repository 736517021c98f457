package browser_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
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
	actx, cancelA := chromedp.NewExecAllocator(context.Background(), chromeOptions(t, width, height)...)
	bctx, cancelC := chromedp.NewContext(actx, chromedp.WithListener(listen))
	if err := chromedp.Do(bctx); err != nil {
		cancelC()
		cancelA()
		t.Fatalf("start chromium: %v", err)
	}
	t.Cleanup(func() { cancelC(); cancelA() })
	if width < 500 {
		if _, err := step(bctx, phoneViewport(width)); err != nil {
			t.Fatal(err)
		}
	}
	return bctx
}

// phoneViewport makes the page as wide as a phone: headless Chromium does
// not make its window narrower than 500 px, so a window size alone does
// not reach 360-414 px.
func phoneViewport(width int) chromedp.Action[chromedp.Void] {
	return chromedp.EmulateViewport(int64(width), 844, chromedp.EmulateMobile, chromedp.EmulateTouch)
}

// switchToChinese submits the header's language form (POST /lang) and
// waits, polling, until the page that follows is Chinese. A click followed
// by a wait on the next document could hang while the navigation replaced
// the document under it; each poll here has a short deadline of its own.
func switchToChinese(ctx context.Context) error {
	for range 3 { // the form again from wherever the last try landed
		if _, err := step(ctx, chromedp.Evaluate[string](`(document.querySelector('form[action="/lang"]').requestSubmit(), "sent")`)); err != nil {
			continue
		}
		for range 50 {
			pctx, cancel := context.WithTimeout(ctx, 5*time.Second)
			lang, err := chromedp.Run(pctx, chromedp.Evaluate[string](`document.readyState === "complete" && document.querySelector("main") ? document.documentElement.lang : ""`))
			cancel()
			if err == nil && lang == "zh-CN" {
				return nil
			}
			time.Sleep(200 * time.Millisecond)
		}
	}
	return fmt.Errorf("the page did not turn Chinese after the language form, three times")
}

// step runs actions with a deadline of their own.
func step[T any](ctx context.Context, a chromedp.Action[T]) (T, error) {
	sctx, cancel := context.WithTimeout(ctx, 90*time.Second)
	defer cancel()
	return chromedp.Run(sctx, a)
}

// linkedPages are pages a role reaches from another page rather than from
// the header; they are scanned after the header's.
var linkedPages = map[string][]string{"admin": {"/security/keys"}}

// recordLists are the header's lists whose first record is scanned too.
var recordLists = map[string]bool{"/customers": true, "/deals": true, "/companies": true, "/visits": true}

// scans counts the pages axeScan checked, for the test's log.
var scans atomic.Int64

// axeScan runs axe-core on the page in ctx and, on a phone, checks that
// the page does not pan sideways; it returns the findings, each led by
// where.
func axeScan(t *testing.T, ctx context.Context, axeSrc, where string, width int) []string {
	t.Helper()
	scans.Add(1)
	if _, err := step(ctx, chromedp.Evaluate[chromedp.Void](axeSrc)); err != nil {
		t.Fatalf("%s: inject axe-core: %v", where, err)
	}
	out, err := step(ctx, chromedp.Evaluate[string](axeRun, chromedp.EvalAwaitPromise))
	if err != nil {
		t.Fatalf("%s: axe.run: %v", where, err)
	}
	var violations, found []string
	if err := json.Unmarshal([]byte(out), &violations); err != nil {
		t.Fatalf("%s: axe.run: %v", where, err)
	}
	for _, v := range violations {
		found = append(found, where+": "+v)
	}
	// A column without a header reads as nothing to a screen reader (the
	// sessions and administration pages had such columns).
	if empty, err := step(ctx, chromedp.Evaluate[int](`[...document.querySelectorAll('th')].filter(th => !th.textContent.trim()).length`)); err == nil && empty > 0 {
		found = append(found, fmt.Sprintf("%s: %d empty table headers", where, empty))
	}
	if width < 640 {
		if wide, err := step(ctx, chromedp.Evaluate[bool](`document.documentElement.scrollWidth > window.innerWidth + 1`)); err == nil && wide {
			found = append(found, where+": the page pans sideways")
		}
	}
	return found
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
// the public pages and on any page reachable from the header, for five
// roles of the demo data, in
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
	// Before login: the pages anyone can open.
	for _, width := range []int{1280, 390} {
		ctx := a11yTab(t, width, 844, func(any) {})
		for _, lang := range []string{"en", "zh-CN"} {
			for _, path := range []string{"/login", "/password/forgot", "/privacy", "/privacy/ask"} {
				where := fmt.Sprintf("anyone %s %dpx %s", lang, width, path)
				if err := visit(ctx, s.URL+path); err != nil {
					t.Fatalf("%s: %v", where, err)
				}
				if lang != "en" && value(t, ctx, chromedp.Evaluate[string](`document.documentElement.lang`)) != lang {
					if err := switchToChinese(ctx); err != nil {
						t.Fatalf("%s: switch to Chinese: %v", where, err)
					}
				}
				found = append(found, axeScan(t, ctx, axeSrc, where, width)...)
			}
		}
	}
	for _, role := range []string{"admin", "sales", "field_rep", "finance", "counsellor"} {
		acct, ok := logins[role]
		if !ok {
			t.Fatalf("the demo banner has no %s login:\n%s", role, s.Banner)
		}
		for _, width := range []int{1280, 390} {
			found = append(found, scanRole(t, s.URL, axeSrc, role, acct[0], acct[1], width)...)
		}
	}
	t.Logf("axe-core checked %d pages", scans.Load())
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
			if err := visit(ctx, base+"/sessions"); err != nil {
				t.Fatalf("%s: %v", role, err)
			}
			if err := switchToChinese(ctx); err != nil {
				t.Fatalf("%s: switch to Chinese: %v", role, err)
			}
		}
		if err := visit(ctx, base+"/sessions"); err != nil {
			t.Fatalf("%s: %v", role, err)
		}
		linksJSON, err := step(ctx, chromedp.Evaluate[string](`JSON.stringify([...document.querySelectorAll('header a[href]')].map(a => a.getAttribute('href')))`))
		if err != nil {
			t.Fatalf("%s: header links: %v", role, err)
		}
		var links []string
		json.Unmarshal([]byte(linksJSON), &links)
		links = append(links, linkedPages[role]...)
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
			found = append(found, axeScan(t, ctx, axeSrc, where, width)...)
			// One record of each kind: the first the list links to.
			if !recordLists[u.Path] {
				continue
			}
			record, err := step(ctx, chromedp.Evaluate[string](`(() => { const a = [...document.querySelectorAll('main a[href^="`+u.Path+`/"]')].map(a => a.getAttribute('href')).find(h => !/\/(new|import|export|search)\b/.test(h)); return a || ''; })()`))
			if err != nil || record == "" {
				continue
			}
			where = fmt.Sprintf("%s %s %dpx %s (a record)", role, lang, width, record)
			if err := visit(ctx, base+record); err != nil {
				found = append(found, where+": does not load: "+err.Error())
				continue
			}
			found = append(found, axeScan(t, ctx, axeSrc, where, width)...)
		}
		// The phone's menu, open: its links' contrast and size.
		if width < 640 {
			where := fmt.Sprintf("%s %s %dpx /sessions (menu open)", role, lang, width)
			if err := visit(ctx, base+"/sessions"); err != nil {
				t.Fatalf("%s: %v", where, err)
			}
			if _, err := step(ctx, chromedp.Steps(chromedp.Click(chromedp.CSS(`#menu > summary`)), chromedp.WaitVisible(chromedp.CSS(`#menu a[href="/approvals"]`)))); err != nil {
				found = append(found, where+": the menu does not open: "+err.Error())
				continue
			}
			found = append(found, axeScan(t, ctx, axeSrc, where, width)...)
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

// TestHeaderOnPhoneAndDesk: the header's defects from issue 16. On a
// 360-pixel phone, in English and Chinese, the header fits the screen, its
// links sit behind a menu button that opens without JavaScript, each link
// is one line (Chinese did wrap one character per line) and at least 44 px
// tall; on a desk the links show without a click. Search works from the
// header; the skip link is the first thing the keyboard reaches; the
// administration page's roles can be seen and changed on a phone.
func TestHeaderOnPhoneAndDesk(t *testing.T) {
	chromium(t)
	db := testkit.NewSQLite(t)
	storage := e2e.StorageArgs(t, db)
	e2e.AddUser(t, storage, "admin@example.com", "admin")
	e2e.AddUser(t, storage, "sales@example.com", "sales")
	s := e2e.Start(t, storage, "--demo")
	shot := newShots(t)

	// linkBoxes describes every menu link: visible, right edge, height,
	// and the line height of its text.
	const linkBoxes = `JSON.stringify([...document.querySelectorAll('#menu a')].map(a => {
	  const r = a.getBoundingClientRect(), lh = parseFloat(getComputedStyle(a).lineHeight) || 24;
	  const range = document.createRange(); range.selectNodeContents(a);
	  return {href: a.getAttribute('href'), visible: a.checkVisibility(), right: r.right, height: r.height, lines: Math.round(range.getBoundingClientRect().height / lh)};
	}))`
	type box struct {
		Href    string
		Visible bool
		Right   float64
		Height  float64
		Lines   int
	}
	boxes := func(ctx context.Context) []box {
		var out []box
		json.Unmarshal([]byte(value(t, ctx, chromedp.Evaluate[string](linkBoxes))), &out)
		if len(out) < 8 {
			t.Fatalf("the admin's menu has %d links", len(out))
		}
		return out
	}

	phone := newTab(t, 390, 844)
	do(t, phone, phoneViewport(360), login(s.URL, "admin@example.com", e2e.Password))
	for _, lang := range []string{"en", "zh-CN"} {
		if lang != "en" {
			do(t, phone, chromedp.Click(byCSS(`form[action="/lang"] button`)), chromedp.WaitReady(byCSS(`html[lang="zh-CN"] main`)))
		}
		do(t, phone, chromedp.Navigate(s.URL+"/customers"), chromedp.WaitVisible(byCSS(`#menu > summary`)))
		for _, b := range boxes(phone) {
			if b.Visible {
				t.Errorf("%s phone: %s shows before the menu is opened", lang, b.Href)
			}
		}
		do(t, phone, chromedp.Click(byCSS(`#menu > summary`)), chromedp.WaitVisible(byCSS(`#menu a[href="/admin"]`)))
		shot.view(phone, "header-menu-phone-"+lang)
		for _, b := range boxes(phone) {
			switch {
			case !b.Visible:
				t.Errorf("%s phone: %s is hidden in the open menu", lang, b.Href)
			case b.Right > 360:
				t.Errorf("%s phone: %s runs off the screen (right edge %.0f px)", lang, b.Href, b.Right)
			case b.Lines > 1:
				t.Errorf("%s phone: %s wraps over %d lines", lang, b.Href, b.Lines)
			case b.Height < 44:
				t.Errorf("%s phone: %s is %.0f px tall, under 44", lang, b.Href, b.Height)
			}
		}
		if wide := value(t, phone, chromedp.Evaluate[string](`String(document.documentElement.scrollWidth > window.innerWidth + 1)`)); wide == "true" {
			t.Errorf("%s phone: the page pans sideways with the menu open", lang)
		}
	}

	// The users' roles on a Chinese phone: readable (named in Chinese:
	// 销售 for sales, 客服 for support), each role a check box of at least
	// 24 px, and a change saves.
	do(t, phone, chromedp.Navigate(s.URL+"/admin"), chromedp.WaitVisible(byCSS(`.roles-pick > summary`)))
	rows := value(t, phone, chromedp.Evaluate[string](`JSON.stringify([...document.querySelectorAll('.roles-pick')].map(d => [d.id, d.querySelector('.role-names').textContent]))`))
	var picks [][2]string
	json.Unmarshal([]byte(rows), &picks)
	target := ""
	for _, p := range picks {
		if p[1] == "销售" {
			target = p[0]
		}
	}
	if target == "" {
		t.Fatalf("no user shows the role sales on the administration page: %s", rows)
	}
	do(t, phone, chromedp.Click(byCSS(`#`+target+` > summary`)), chromedp.WaitVisible(byCSS(`#`+target+` input[value="support"]`)))
	shot.view(phone, "admin-roles-phone-zh-CN")
	size := value(t, phone, chromedp.Evaluate[string](`(() => { const r = document.querySelector('#`+target+` input[value="support"]').getBoundingClientRect(); return r.width + 'x' + r.height; })()`))
	var w, h float64
	fmt.Sscanf(size, "%gx%g", &w, &h)
	if w < 24 || h < 24 {
		t.Errorf("a role's check box is %s px, under 24x24", size)
	}
	do(t, phone,
		chromedp.Click(byCSS(`#`+target+` input[value="support"]`)),
		chromedp.Submit(byCSS(`#`+target+` input[value="support"]`)),
		chromedp.WaitVisible(byCSS(`p.flash`)),
	)
	if roles := value(t, phone, chromedp.Text(byCSS(`#`+target+` .role-names`))); roles != "销售、客服" && roles != "客服、销售" {
		t.Errorf("after adding support the user's roles read %q", roles)
	}

	// On a desk the links show without a click, and the skip link is the
	// first stop of the keyboard.
	desk := newTab(t, 1280, 900)
	do(t, desk, login(s.URL, "sales@example.com", e2e.Password), chromedp.Navigate(s.URL+"/customers"), chromedp.WaitVisible(byCSS(`#menu a[href="/deals"]`)))
	shot.view(desk, "header-desk")
	if shown := value(t, desk, chromedp.Evaluate[string](`String(getComputedStyle(document.querySelector('#menu > summary')).display !== 'none')`)); shown == "true" {
		t.Error("the desk header shows a menu button")
	}
	do(t, desk, chromedp.KeyEvent("\t"))
	if focused := value(t, desk, chromedp.Evaluate[string](`document.activeElement.className + ' ' + (document.activeElement.getBoundingClientRect().left >= 0)`)); focused != "skip true" {
		t.Errorf("the first Tab reaches %q, not the visible skip link", focused)
	}
	// No keyboard trap: Tab moves on from the header into the page.
	reached := false
	for i := 0; i < 40 && !reached; i++ {
		do(t, desk, chromedp.KeyEvent("\t"))
		reached = value(t, desk, chromedp.Evaluate[string](`String(!!document.activeElement.closest('main'))`)) == "true"
	}
	if !reached {
		t.Error("40 presses of Tab do not leave the header")
	}
	// The icon every page names, and the address browsers ask for on
	// their own, are there (the favicon answered 404).
	for _, path := range []string{"/favicon.ico", "/static/favicon.svg"} {
		resp, err := s.Client.Get(s.URL + path)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != 200 || resp.Header.Get("Content-Type") != "image/svg+xml" {
			t.Errorf("GET %s: %d %s", path, resp.StatusCode, resp.Header.Get("Content-Type"))
		}
	}
	// Search from the header of any page.
	do(t, desk,
		chromedp.Navigate(s.URL+"/deals"),
		chromedp.WaitVisible(byID(`top-q`)),
		chromedp.SendKeys(byID(`top-q`), "example"),
		chromedp.Submit(byID(`top-q`)),
		chromedp.WaitVisible(byID(`found-customers`)),
	)
	if url := value(t, desk, chromedp.Location()); !strings.HasSuffix(url, "/search") {
		t.Errorf("the header's search went to %s", url)
	}
}

// view saves what the screen shows (not the whole page) when screenshots
// are on: the header and an open menu on a phone.
func (s shots) view(ctx context.Context, name string) {
	if s.dir == "" {
		return
	}
	png, err := chromedp.Run(ctx, chromedp.CaptureScreenshot())
	if err != nil {
		s.t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(s.dir, name+".png"), png, 0o644); err != nil {
		s.t.Fatal(err)
	}
}
