package web

import (
	"strconv"
	"strings"

	"strongroom.dev/strongroom/internal/crm"
	"strongroom.dev/strongroom/internal/errs"
)

// The customer page's purchase history and preferences forms.

func (h *customersPages) recordTransaction(q *request) error {
	id := q.r.PathValue("id")
	t := crm.Transaction{Kind: q.r.PostFormValue("kind"), Currency: q.r.PostFormValue("currency"), OccurredOn: q.r.PostFormValue("occurred_on"),
		Reference: q.r.PostFormValue("reference"), Description: q.r.PostFormValue("description")}
	var err error
	if t.Amount, err = parseMoney(q.r.PostFormValue("amount")); err == nil {
		if p := strings.TrimSpace(q.r.PostFormValue("premium")); p != "" {
			if t.Premium, err = parseMoney(p); err != nil {
				err = errs.InvalidField("premium", "amount must be a number, like 1250000.50")
			}
		}
	}
	if err == nil {
		_, err = h.customersSvc.RecordTransaction(q.r.Context(), q.actor, id, t)
	}
	if errs.Is(err, errs.Invalid) {
		var field string
		q.txErr, field = q.public(err)
		q.tx = postedForm{Values: q.r.PostForm, Field: field}
		return h.renderCustomer(q, "", "", "")
	}
	if err != nil {
		return err
	}
	q.redirect("/customers/"+id, "transaction_saved")
	return nil
}

func (h *customersPages) savePreferences(q *request) error {
	id := q.r.PathValue("id")
	p := crm.Preferences{OptIn: q.r.PostForm["opt_in"], Interests: strings.Split(q.r.PostFormValue("interests"), ",")}
	if err := h.customersSvc.SetPreferences(q.r.Context(), q.actor, id, p); err != nil {
		if !errs.Is(err, errs.Invalid) {
			return err
		}
		q.prefErr, _ = q.public(err)
		return h.renderCustomer(q, "", "", "")
	}
	q.redirect("/customers/"+id, "preferences_saved")
	return nil
}

func (h *customersPages) addFeedback(q *request) error {
	id := q.r.PathValue("id")
	rating, _ := strconv.Atoi(q.r.PostFormValue("rating"))
	_, err := h.customersSvc.AddFeedback(q.r.Context(), q.actor, id, crm.Feedback{Channel: q.r.PostFormValue("channel"), Rating: rating, Comment: q.r.PostFormValue("comment")})
	if errs.Is(err, errs.Invalid) {
		q.prefErr, _ = q.public(err)
		return h.renderCustomer(q, "", "", "")
	}
	if err != nil {
		return err
	}
	q.redirect("/customers/"+id, "feedback_saved")
	return nil
}
