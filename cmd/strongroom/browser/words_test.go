package browser_test

import (
	"testing"

	"github.com/chromedp/chromedp"

	"strongroom.dev/strongroom/internal/e2e"
	"strongroom.dev/strongroom/internal/testkit"
)

// TestBrowserDealFormErrors: in both languages, a deal refused for a bad
// amount comes back with what was typed, an error summary that has the
// focus and links to the field, the field marked invalid and described by
// its message, in the page's language; following the link focuses the
// field, and a corrected deal is confirmed in the page's language. Before,
// the form came back empty with one English line below the fold.
func TestBrowserDealFormErrors(t *testing.T) {
	chromium(t)
	db := testkit.NewSQLite(t)
	storage := e2e.StorageArgs(t, db)
	e2e.AddUser(t, storage, "sales1@example.com", "sales")
	s := e2e.Start(t, storage)
	sales := s.Login(t, "sales1@example.com", e2e.Password)

	for _, c := range []struct{ lang, message, saved string }{
		{"en", "amount must be a number, like 1250000.50", "Deal opened."},
		{"zh-CN", "金额须为数字，例如 1250000.50", "商机已创建。"},
	} {
		t.Run(c.lang, func(t *testing.T) {
			r := s.Do(t, "POST", "/api/v1/customers", sales, map[string]string{"name": "陈静 " + c.lang})
			if r.Status != 201 {
				t.Fatalf("customer: %d %s", r.Status, r.Body)
			}
			ctx := newTab(t, 390, 844)
			do(t, ctx, login(s.URL, "sales1@example.com", e2e.Password))
			if c.lang == "zh-CN" {
				do(t, ctx, chromedp.Click(byCSS(`form[action="/lang"] button`)), chromedp.WaitVisible(byCSS(`html[lang="zh-CN"] #logout`)))
			}
			do(t, ctx,
				chromedp.Navigate(s.URL+"/customers/"+r.Str("id")),
				chromedp.Click(byCSS(`#add-deal summary`)), // the deal form opens on demand
				chromedp.WaitVisible(byID(`deal-title`)),
				chromedp.SendKeys(byID(`deal-title`), "Spring preview consignment"),
				chromedp.SendKeys(byID(`deal-amount`), "eight hundred thousand"),
				chromedp.Submit(byID(`deal-title`)),
				chromedp.WaitVisible(byID(`form-problems`)),
			)
			if got := value(t, ctx, chromedp.Value(byID(`deal-title`))); got != "Spring preview consignment" {
				t.Errorf("the title typed is gone: %q", got)
			}
			if got := value(t, ctx, chromedp.Value(byID(`deal-amount`))); got != "eight hundred thousand" {
				t.Errorf("the amount typed is gone: %q", got)
			}
			focused := value(t, ctx, chromedp.Evaluate[string](`document.activeElement.id`))
			if focused != "form-problems" {
				t.Errorf("focus is on %q, want the error summary", focused)
			}
			if got := value(t, ctx, chromedp.Text(byCSS(`#form-problems a[href="#deal-amount"]`))); got != c.message {
				t.Errorf("the summary says %q, want %q", got, c.message)
			}
			invalid, err := chromedp.Run(ctx, chromedp.AttributeValue(byID(`deal-amount`), "aria-invalid"))
			if err != nil {
				t.Fatal(err)
			}
			describedBy, err := chromedp.Run(ctx, chromedp.AttributeValue(byID(`deal-amount`), "aria-describedby"))
			if err != nil {
				t.Fatal(err)
			}
			if invalid.Value != "true" || describedBy.Value != "deal-error" {
				t.Errorf("the amount field: aria-invalid %q, aria-describedby %q", invalid.Value, describedBy.Value)
			}
			if got := value(t, ctx, chromedp.Text(byID(`deal-error`))); got != c.message {
				t.Errorf("beside the field: %q, want %q", got, c.message)
			}
			do(t, ctx, chromedp.Click(byCSS(`#form-problems a`)))
			focused = value(t, ctx, chromedp.Evaluate[string](`document.activeElement.id`))
			if focused != "deal-amount" {
				t.Errorf("following the summary's link focuses %q, want the amount", focused)
			}
			do(t, ctx,
				chromedp.SetValue(byID(`deal-amount`), "880000"),
				chromedp.Submit(byID(`deal-amount`)),
				chromedp.WaitVisible(byCSS(`.flash`)),
			)
			if got := value(t, ctx, chromedp.Text(byCSS(`.flash`))); got != c.saved {
				t.Errorf("confirmation %q, want %q", got, c.saved)
			}
		})
	}
}
