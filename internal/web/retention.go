package web

import (
	"net/http"
	"strconv"

	"strongroom.dev/strongroom/internal/errs"
	"strongroom.dev/strongroom/internal/service/privacy"
)

type retentionView struct {
	Rules        []privacy.RetentionRule
	Runs         []privacy.RetentionRun
	AuditArchive int                   // days audit events stay before they are archived; 0: never
	Result       *privacy.RetentionRun // the run just made, dry or real
	Posted       postedForm            // a refused form: "rule-" or "run-" and its target
	Target       string                // the rule the error is about
}

// showRetention lists the retention rules and their latest runs.
func (h *retentionPages) showRetention(q *request) error {
	return h.renderRetention(q, http.StatusOK, nil, postedForm{}, "")
}

// ruleRefused and runRefused are a target's refused rule or run form.
func ruleRefused(q *request, target string, err error) postedForm {
	return q.refused("rule-"+target, err, map[string]string{"after_days": "days-" + target, "note": "note-" + target})
}

func runRefused(q *request, target string, err error) postedForm {
	return q.refused("run-"+target, err, map[string]string{"confirm": "confirm-" + target})
}

func (h *retentionPages) renderRetention(q *request, code int, result *privacy.RetentionRun, posted postedForm, target string) error {
	rules, runs, err := h.retentionSvc.Rules(q.r.Context(), q.actor)
	if err != nil {
		return err
	}
	v := retentionView{Rules: rules, Runs: runs, AuditArchive: int(h.retentionSvc.AuditArchive().Hours() / 24), Result: result, Target: target}
	if posted.Msg != "" {
		v.Posted = posted
		v.Posted.Msg = tr(q.lang, "retention_target_"+target) + ": " + posted.Msg
	}
	h.render(q, code, "retention", "retention", v)
	return nil
}

// setRetention sets one rule's period, note and whether it is on.
func (h *retentionPages) setRetention(q *request) error {
	target := q.r.PathValue("target")
	days, err := strconv.Atoi(q.r.PostFormValue("after_days"))
	if err != nil {
		return h.renderRetention(q, http.StatusBadRequest, nil, ruleRefused(q, target, errs.InvalidField("after_days", tr(q.lang, "retention_days_needed"))), target)
	}
	in := privacy.RetentionRuleInput{Target: target, AfterDays: days, Enabled: q.r.PostFormValue("enabled") == "on", Note: q.r.PostFormValue("note")}
	if _, err := h.retentionSvc.SetRule(q.r.Context(), q.actor, in); errs.Is(err, errs.Invalid) || errs.Is(err, errs.Conflict) {
		return h.renderRetention(q, http.StatusBadRequest, nil, ruleRefused(q, target, err), target)
	} else if err != nil {
		return err
	}
	q.redirect("/privacy/retention", "retention_saved")
	return nil
}

// runRetention previews a rule (dry run) or runs it now, and shows the
// report on the page.
func (h *retentionPages) runRetention(q *request) error {
	target := q.r.PathValue("target")
	run := h.retentionSvc.Apply
	if q.r.PostFormValue("dry_run") == "true" {
		run = h.retentionSvc.DryRun
	} else if q.r.PostFormValue("confirm") != "1" {
		return h.renderRetention(q, http.StatusBadRequest, nil, runRefused(q, target, errs.InvalidField("confirm", tr(q.lang, "retention_confirm_needed"))), target)
	}
	got, err := run(q.r.Context(), q.actor, target)
	if errs.Is(err, errs.Conflict) || errs.Is(err, errs.NotExist) {
		return h.renderRetention(q, http.StatusConflict, nil, runRefused(q, target, err), target)
	} else if err != nil {
		return err
	}
	return h.renderRetention(q, http.StatusOK, &got, postedForm{}, target)
}
