package browser_test

import (
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"strongroom.dev/strongroom/internal/e2e"
	"strongroom.dev/strongroom/internal/testkit"
)

// TestBrowserAuditLogDetails: an auditor filters the audit log with the
// chooser of actions (in words), opens an event from its row and reads
// its details and chain position, in English and in Chinese; the page
// was once oldest first, in raw action names, with no details at all.
func TestBrowserAuditLogDetails(t *testing.T) {
	chromium(t)
	db := testkit.NewSQLite(t)
	storage := e2e.StorageArgs(t, db)
	e2e.AddUser(t, storage, "sales1@example.com", "sales")
	e2e.AddUser(t, storage, "auditor@example.com", "auditor")
	s := e2e.Start(t, storage)
	shot := newShots(t)

	ctx := newTab(t, 1280, 900)
	do(t, ctx,
		login(s.URL, "sales1@example.com", e2e.Password),
		chromedp.Navigate(s.URL+"/customers/new"),
		chromedp.WaitVisible(byID(`f-name`)),
		chromedp.SendKeys(byID(`f-name`), "Ada Lovelace"),
		chromedp.Submit(byID(`f-name`)),
		chromedp.WaitVisible(byID(`logout`)),
	)

	actx := newTab(t, 1280, 900)
	do(t, actx,
		login(s.URL, "auditor@example.com", e2e.Password),
		chromedp.Navigate(s.URL+"/audit"),
		chromedp.WaitVisible(byID(`af-action`)),
		chromedp.SetValue(byID(`af-action`), "customer.create"),
		chromedp.Submit(byID(`af-action`)),
		chromedp.WaitVisible(byCSS(`table.audit tbody tr`)),
	)
	if loc := value(t, actx, chromedp.Location()); !strings.Contains(loc, "action=customer.create") {
		t.Fatalf("the filter is not in the address: %s", loc)
	}
	if row := value(t, actx, chromedp.Text(byCSS(`table.audit tbody tr`))); !strings.Contains(row, "Customer: created") {
		t.Fatalf("the row does not say the action in words: %q", row)
	}
	shot.take(actx, "audit")
	do(t, actx,
		chromedp.Click(byCSS(`table.audit tbody tr a[href^="/audit/"]`)),
		chromedp.WaitVisible(byID(`audit-chain`)),
	)
	details := value(t, actx, chromedp.Text(byCSS(`main`)))
	for _, want := range []string{"Customer: created", "Chain position", "Previous hash", "signed checkpoint", "customer.create"} {
		if !strings.Contains(details, want) {
			t.Errorf("the details lack %q:\n%s", want, details)
		}
	}
	shot.take(actx, "audit-event")
	// The details lead back to the list with its filters.
	if back, err := chromedp.Run(actx, chromedp.AttributeValue(byID(`audit-back`), "href")); err != nil || !strings.Contains(back.Value, "action=customer.create") {
		t.Fatalf("the way back forgets the filters: %q %v", back.Value, err)
	}
	do(t, actx,
		chromedp.Click(byCSS(`form[action="/lang"] button`)),
		chromedp.WaitVisible(byCSS(`html[lang="zh-CN"] #audit-chain`)),
	)
	details = value(t, actx, chromedp.Text(byCSS(`main`)))
	for _, want := range []string{"客户：创建", "链上位置", "前一哈希", "签名检查点"} {
		if !strings.Contains(details, want) {
			t.Errorf("the Chinese details lack %q:\n%s", want, details)
		}
	}
	do(t, actx,
		chromedp.Click(byID(`audit-back`)),
		chromedp.WaitVisible(byID(`af-action`)),
	)
	if h := value(t, actx, chromedp.Text(byCSS(`main h1`))); h != "审计日志" {
		t.Fatalf("back on the log the heading is %q", h)
	}

	// On a phone, in Chinese: the filters and rows fit the width (no
	// sideways panning inside the page), and an event opens from its row.
	// (Logged in at desk width: the phone header is another part's work.)
	pctx := actx
	do(t, pctx,
		chromedp.EmulateViewport(390, 844),
		chromedp.Navigate(s.URL+"/audit?action=customer.create"),
		chromedp.WaitVisible(byCSS(`table.audit tbody tr`)),
	)
	fits := `(() => { const m = document.querySelector("main"); return m.scrollWidth <= m.clientWidth; })()`
	if ok, err := chromedp.Run(pctx, chromedp.Evaluate[bool](fits)); err != nil || !ok {
		t.Fatalf("the audit page pans sideways on a phone: %v", err)
	}
	shot.take(pctx, "audit-phone-zh")
	do(t, pctx,
		chromedp.Click(byCSS(`table.audit tbody tr a[href^="/audit/"]`)),
		chromedp.WaitVisible(byID(`audit-back`)), // the end of the page: all of it laid out
	)
	if ok, err := chromedp.Run(pctx, chromedp.Evaluate[bool](fits)); err != nil || !ok {
		wide, _ := chromedp.Run(pctx, chromedp.Evaluate[string](`(() => { const m = document.querySelector("main"); let out = m.scrollWidth + ">" + m.clientWidth; for (const e of m.querySelectorAll("*")) { if (e.scrollWidth > m.clientWidth) out += " " + e.tagName + "." + e.className + ":" + e.scrollWidth; } return out; })()`))
		t.Fatalf("an event's details pan sideways on a phone: %v %s", err, wide)
	}
	if h := value(t, pctx, chromedp.Text(byCSS(`main h1`))); !strings.HasPrefix(h, "事件 ") {
		t.Fatalf("the details heading on a phone is %q", h)
	}
}
