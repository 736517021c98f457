package web

import "net/http"

// showBackups shows each target's schedule, its last backup and drill,
// and the history of runs (admin, auditor).
func (h *backupsPages) showBackups(q *request) error {
	v, err := h.backupsSvc.Overview(q.r.Context(), q.actor, 100)
	if err != nil {
		return err
	}
	h.render(q, http.StatusOK, "backups", "backups", v)
	return nil
}

// startBackup backs up or drills every target now and comes back to the
// page, which shows the runs (admin).
func (h *backupsPages) startBackup(q *request) error {
	kind := q.r.PostFormValue("kind")
	runs, done, err := h.backupsSvc.Start(q.r.Context(), q.actor, kind)
	if err != nil {
		return err
	}
	flash := kind + "_running"
	if done {
		flash = kind + "_done"
		for _, r := range runs {
			if !r.OK {
				flash = kind + "_failed"
			}
		}
	}
	q.redirect("/backups", flash)
	return nil
}
