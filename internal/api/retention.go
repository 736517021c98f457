package api

import (
	"net/http"

	"strongroom.dev/strongroom/internal/authz"
	"strongroom.dev/strongroom/internal/httpx"
	"strongroom.dev/strongroom/internal/service/privacy"
)

// retentionAPI serves the retention rules, their dry runs and runs.
type retentionAPI struct{ retention *privacy.Retention }

// listRetention lists a rule for every kind of record and the latest runs.
func (h *retentionAPI) listRetention(w http.ResponseWriter, r *http.Request, a authz.Actor) error {
	rules, runs, err := h.retention.Rules(r.Context(), a)
	if err != nil {
		return err
	}
	if runs == nil {
		runs = []privacy.RetentionRun{}
	}
	httpx.WriteJSON(w, http.StatusOK, map[string]any{"rules": rules, "runs": runs, "audit_archive_days": int(h.retention.AuditArchive().Hours() / 24)})
	return nil
}

// setRetention sets one rule: {"after_days":…, "enabled":…, "note":…}.
func (h *retentionAPI) setRetention(w http.ResponseWriter, r *http.Request, a authz.Actor) error {
	var in struct {
		AfterDays int    `json:"after_days"`
		Enabled   bool   `json:"enabled"`
		Note      string `json:"note"`
	}
	if err := httpx.DecodeJSON(w, r, &in, "after_days"); err != nil {
		return err
	}
	rule, err := h.retention.SetRule(r.Context(), a, privacy.RetentionRuleInput{Target: r.PathValue("target"), AfterDays: in.AfterDays, Enabled: in.Enabled, Note: in.Note})
	if err != nil {
		return err
	}
	httpx.WriteJSON(w, http.StatusOK, rule)
	return nil
}

// runRetention runs one rule: {"dry_run": true} previews it.
func (h *retentionAPI) runRetention(w http.ResponseWriter, r *http.Request, a authz.Actor) error {
	var in struct {
		DryRun bool `json:"dry_run"`
	}
	if err := httpx.DecodeJSON(w, r, &in, "dry_run"); err != nil {
		return err
	}
	run := h.retention.Apply
	if in.DryRun {
		run = h.retention.DryRun
	}
	out, err := run(r.Context(), a, r.PathValue("target"))
	if err != nil {
		return err
	}
	httpx.WriteJSON(w, http.StatusOK, out)
	return nil
}
