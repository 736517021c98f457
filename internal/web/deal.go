package web

import (
	"fmt"
	"math"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"

	"strongroom.dev/strongroom/internal/crm"
	"strongroom.dev/strongroom/internal/errs"
	"strongroom.dev/strongroom/internal/service/records"
)

// currencies offered in the deal form; the API takes any ISO 4217 code.
var currencies = []string{"CNY", "USD", "EUR", "HKD", "GBP", "JPY"}

type boardView struct {
	Columns []records.StageColumn
	Stages  []crm.Stage
	Parties map[string]records.Party // customer id -> who the deal is with
	Open    string                   // the stage whose section is open ("all": every one)
}

// IsOpen reports whether the board shows stage's cards.
func (v boardView) IsOpen(stage string) bool { return v.Open == "all" || v.Open == stage }

// showDeals is the pipeline: one section per stage with its count and
// totals. Only the stage asked for (?open=, or "all") carries its cards,
// so the page stays small and names (an audited read) only the customers
// it shows; a closed stage links to itself opened. Sections are <details>,
// so it works without JavaScript.
func (h *dealsPages) showDeals(q *request) error {
	cols, err := h.dealsSvc.Pipeline(q.r.Context(), q.actor, "")
	if err != nil {
		return err
	}
	v := boardView{Columns: cols, Open: q.r.URL.Query().Get("open")}
	var customers []string // only the open stages' cards are drawn, and name their customers
	for _, c := range cols {
		v.Stages = append(v.Stages, c.Stage)
		if !v.IsOpen(c.Stage.ID) {
			continue
		}
		for _, d := range c.Deals {
			customers = append(customers, d.CustomerID)
		}
	}
	if v.Parties, err = h.dealsSvc.Parties(q.r.Context(), q.actor, customers); err != nil {
		return err
	}
	h.render(q, http.StatusOK, "deals", "deals", v)
	return nil
}

// parseMoney reads a decimal amount ("1,250,000.50") into minor units.
func parseMoney(s string) (int64, error) {
	s = strings.ReplaceAll(strings.TrimSpace(s), ",", "")
	f, err := strconv.ParseFloat(s, 64)
	if err != nil || f < 0 || f > 1e13 || math.IsNaN(f) {
		return 0, errs.InvalidField("amount", "amount must be a number, like 1250000.50")
	}
	return int64(math.Round(f * 100)), nil
}

// formatMoney shows minor units for lang: "CNY 1,250,000.00", "¥1,250,000.00".
func formatMoney(lang, currency string, minor *int64) string {
	if minor == nil {
		return ""
	}
	v := *minor
	units := strconv.FormatInt(v/100, 10)
	var b strings.Builder
	for i, r := range units {
		if i > 0 && (len(units)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(r)
	}
	amount := fmt.Sprintf("%s.%02d", b.String(), v%100)
	if lang == langZH && currency == "CNY" {
		return "¥" + amount
	}
	return currency + " " + amount
}

// dealForm is what was typed into the customer page's deal form, shown
// again when the deal is refused, with the field at fault.
type dealForm struct {
	Title, Amount, Currency, Stage, ExpectedClose string
	Field                                         string // the field the error is about (dealFields); empty for the form as a whole
}

// dealFields are the deal form's fields, which an error can point to.
var dealFields = []string{"title", "amount", "currency", "expected_close"}

func (h *dealsPages) createDeal(q *request) error {
	id := q.r.PathValue("id")
	form := dealForm{Title: q.r.PostFormValue("title"), Amount: q.r.PostFormValue("amount"), Currency: q.r.PostFormValue("currency"),
		Stage: q.r.PostFormValue("stage"), ExpectedClose: q.r.PostFormValue("expected_close")}
	title, currency := form.Title, form.Currency
	in := crm.DealInput{Title: &title, Currency: &currency}
	amount, err := parseMoney(form.Amount)
	if err == nil {
		in.Amount = &amount
		if st := form.Stage; st != "" {
			in.Stage = &st
		}
		if ec := form.ExpectedClose; ec != "" {
			in.ExpectedClose = &ec
		}
		_, err = h.dealsSvc.CreateDeal(q.r.Context(), q.actor, id, in)
	}
	if errs.Is(err, errs.Invalid) {
		var field string
		q.dealErr, field = q.public(err)
		if slices.Contains(dealFields, field) {
			form.Field = field
		}
		q.deal = form
		return h.renderCustomer(q, "", "", "")
	}
	if err != nil {
		return err
	}
	q.redirect("/customers/"+id, "deal_saved")
	return nil
}

func (h *dealsPages) moveDeal(q *request) error {
	stage := q.r.PostFormValue("stage")
	if _, err := h.dealsSvc.UpdateDeal(q.r.Context(), q.actor, q.r.PathValue("id"), crm.DealInput{Stage: &stage}); err != nil {
		return err
	}
	back := safeNext(q.r.PostFormValue("back"))
	if back == "/deals" || strings.HasPrefix(back, "/deals?") {
		back = "/deals?open=" + url.QueryEscape(stage) // the deal's new stage, open
	}
	q.redirect(back, "deal_moved")
	return nil
}

type dealView struct {
	records.DealView
	Party    records.Party
	Kinds    []string
	LogError string
	LogInput postedForm // what was typed, when the activity was refused
}

func (h *dealsPages) showDeal(q *request) error { return h.renderDeal(q, "") }

func (h *dealsPages) renderDeal(q *request, logErr string) error {
	v, err := h.dealsSvc.Deal(q.r.Context(), q.actor, q.r.PathValue("id"))
	if err != nil {
		return err
	}
	status, in := http.StatusOK, postedForm{}
	if logErr != "" {
		status, in = http.StatusBadRequest, postedForm{Values: q.r.PostForm}
	}
	parties, err := h.dealsSvc.Parties(q.r.Context(), q.actor, []string{v.Deal.CustomerID})
	if err != nil {
		return err
	}
	h.render(q, status, "deal", "deals", dealView{DealView: v, Party: parties[v.Deal.CustomerID], Kinds: crm.ActivityKinds, LogError: logErr, LogInput: in})
	return nil
}

func (h *dealsPages) logDealActivity(q *request) error {
	id := q.r.PathValue("id")
	in := crm.ActivityInput{Kind: q.r.PostFormValue("kind"), Subject: q.r.PostFormValue("subject"), Body: q.r.PostFormValue("body")}
	if _, err := h.dealsSvc.LogDealActivity(q.r.Context(), q.actor, id, in); err != nil {
		if !errs.Is(err, errs.Invalid) {
			return err
		}
		msg, _ := q.public(err)
		return h.renderDeal(q, msg)
	}
	q.redirect("/deals/"+id, "activity_logged")
	return nil
}
