package api

import (
	"net/http"

	"strongroom.dev/strongroom/internal/authz"
	"strongroom.dev/strongroom/internal/httpx"
	"strongroom.dev/strongroom/internal/service/governance"
)

// backupsAPI shows the backups and starts runs.
type backupsAPI struct{ svc *governance.Backups }

// listBackups shows each target's schedule and the latest runs (admin,
// auditor).
func (h *backupsAPI) listBackups(w http.ResponseWriter, r *http.Request, a authz.Actor) error {
	q, err := httpx.Query(r, "limit")
	if err != nil {
		return err
	}
	limit, err := httpx.Int(q, "limit")
	if err != nil {
		return err
	}
	out, err := h.svc.Overview(r.Context(), a, int(limit))
	if err != nil {
		return err
	}
	if out.Targets == nil {
		out.Targets = []governance.BackupTarget{}
	}
	httpx.WriteJSON(w, http.StatusOK, out)
	return nil
}

type startAnswer struct {
	Kind   string                 `json:"kind"`
	Status string                 `json:"status"` // done | running
	Runs   []governance.BackupRun `json:"runs"`
}

// startBackup starts a backup or a drill of every target (admin).
func (h *backupsAPI) startBackup(w http.ResponseWriter, r *http.Request, a authz.Actor) error {
	var in struct {
		Kind string `json:"kind"`
	}
	if err := httpx.DecodeJSON(w, r, &in, "kind"); err != nil {
		return err
	}
	runs, done, err := h.svc.Start(r.Context(), a, in.Kind)
	if err != nil {
		return err
	}
	if !done {
		httpx.WriteJSON(w, http.StatusAccepted, startAnswer{Kind: in.Kind, Status: "running", Runs: []governance.BackupRun{}})
		return nil
	}
	httpx.WriteJSON(w, http.StatusOK, startAnswer{Kind: in.Kind, Status: "done", Runs: runs})
	return nil
}
