package api

import (
	"net/http"

	"strongroom.dev/strongroom/internal/authz"
	"strongroom.dev/strongroom/internal/httpx"
)

func (h *Handler) listReviews(w http.ResponseWriter, r *http.Request, a authz.Actor) error {
	list, err := h.svc.Approvals.Reviews(r.Context(), a)
	if err != nil {
		return err
	}
	list = nonNil(list)
	httpx.WriteJSON(w, http.StatusOK, map[string]any{"items": list})
	return nil
}

func (h *Handler) startReview(w http.ResponseWriter, r *http.Request, a authz.Actor) error {
	rev, err := h.svc.Approvals.StartReview(r.Context(), a)
	if err != nil {
		return err
	}
	httpx.WriteJSON(w, http.StatusCreated, rev)
	return nil
}

func (h *Handler) showReview(w http.ResponseWriter, r *http.Request, a authz.Actor) error {
	rev, err := h.svc.Approvals.Review(r.Context(), a, r.PathValue("id"))
	if err != nil {
		return err
	}
	httpx.WriteJSON(w, http.StatusOK, rev)
	return nil
}

func (h *Handler) decideReview(confirm bool) authedFunc {
	return func(w http.ResponseWriter, r *http.Request, a authz.Actor) error {
		if err := h.svc.Approvals.DecideReviewItem(r.Context(), a, r.PathValue("id"), r.PathValue("user"), confirm); err != nil {
			return err
		}
		return h.showReview(w, r, a)
	}
}

func (h *Handler) signOffReview(w http.ResponseWriter, r *http.Request, a authz.Actor) error {
	rev, err := h.svc.Approvals.SignOffReview(r.Context(), a, r.PathValue("id"))
	if err != nil {
		return err
	}
	httpx.WriteJSON(w, http.StatusOK, rev)
	return nil
}

// reviewReport answers the kept report byte for byte, its SHA-256 in a
// header, so anyone can check it against the audit log.
func (h *Handler) reviewReport(w http.ResponseWriter, r *http.Request, a authz.Actor) error {
	report, hash, err := h.svc.Approvals.ReviewReport(r.Context(), a, r.PathValue("id"))
	if err != nil {
		return err
	}
	w.Header().Set("X-Report-SHA256", hash)
	writeRaw(w, http.StatusOK, report)
	return nil
}
