package api

import (
	"net/http"

	"strongroom.dev/strongroom/internal/authz"
	"strongroom.dev/strongroom/internal/httpx"
)

func (h *approvalsAPI) listReviews(w http.ResponseWriter, r *http.Request, a authz.Actor) error {
	list, err := h.approvals.Reviews(r.Context(), a)
	if err != nil {
		return err
	}
	list = nonNil(list)
	httpx.WriteJSON(w, http.StatusOK, map[string]any{"items": list})
	return nil
}

func (h *approvalsAPI) startReview(w http.ResponseWriter, r *http.Request, a authz.Actor) error {
	rev, err := h.approvals.StartReview(r.Context(), a)
	if err != nil {
		return err
	}
	httpx.WriteJSON(w, http.StatusCreated, rev)
	return nil
}

func (h *approvalsAPI) showReview(w http.ResponseWriter, r *http.Request, a authz.Actor) error {
	rev, err := h.approvals.Review(r.Context(), a, r.PathValue("id"))
	if err != nil {
		return err
	}
	httpx.WriteJSON(w, http.StatusOK, rev)
	return nil
}

func (h *approvalsAPI) decideReview(confirm bool) authedFunc {
	return func(w http.ResponseWriter, r *http.Request, a authz.Actor) error {
		if err := h.approvals.DecideReviewItem(r.Context(), a, r.PathValue("id"), r.PathValue("user"), confirm); err != nil {
			return err
		}
		return h.showReview(w, r, a)
	}
}

func (h *approvalsAPI) signOffReview(w http.ResponseWriter, r *http.Request, a authz.Actor) error {
	rev, err := h.approvals.SignOffReview(r.Context(), a, r.PathValue("id"))
	if err != nil {
		return err
	}
	httpx.WriteJSON(w, http.StatusOK, rev)
	return nil
}

// reviewReport answers the kept report byte for byte, its SHA-256 in a
// header, so anyone can check it against the audit log.
func (h *approvalsAPI) reviewReport(w http.ResponseWriter, r *http.Request, a authz.Actor) error {
	report, hash, err := h.approvals.ReviewReport(r.Context(), a, r.PathValue("id"))
	if err != nil {
		return err
	}
	w.Header().Set("X-Report-SHA256", hash)
	writeRaw(w, http.StatusOK, report)
	return nil
}
