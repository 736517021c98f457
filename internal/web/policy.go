package web

import (
	"net/http"
	"strconv"

	"strongroom.dev/strongroom/internal/errs"
	"strongroom.dev/strongroom/internal/service/governance"
)

type policyView struct {
	Policy   governance.Policy
	Exists   bool
	Text     string // in the user's language
	Accepted bool
}

func (h *adminPages) showPolicy(q *request) error {
	p, ok, err := h.rolesSvc.CurrentPolicy(q.r.Context())
	if err != nil {
		return err
	}
	v := policyView{Policy: p, Exists: ok, Text: p.TextEN, Accepted: !q.actor.PolicyPending}
	if q.lang == langZH {
		v.Text = p.TextZH
	}
	h.render(q, http.StatusOK, "policy", "security_policy", v)
	return nil
}

func (h *adminPages) acceptPolicy(q *request) error {
	version, _ := strconv.ParseInt(q.r.PostFormValue("version"), 10, 64)
	if err := h.rolesSvc.AcceptPolicy(q.r.Context(), q.actor, version); err != nil {
		return err
	}
	q.redirect("/", "done_policy_accepted")
	return nil
}

func (h *adminPages) publishPolicy(q *request) error {
	if _, err := h.rolesSvc.PublishPolicy(q.r.Context(), q.actor, q.r.PostFormValue("text_en"), q.r.PostFormValue("text_zh")); err != nil {
		if errs.Is(err, errs.Invalid) {
			msg, _ := q.public(err)
			return h.renderAdmin(q, msg, "")
		}
		return err
	}
	q.redirect("/policy", "done_policy_published")
	return nil
}
