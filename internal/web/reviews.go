package web

import (
	"net/http"

	"strongroom.dev/strongroom/internal/errs"
	"strongroom.dev/strongroom/internal/service/governance"
)

type reviewsView struct {
	Reviews []governance.Review
	Error   string
}

func (h *approvalsPages) showReviews(q *request) error { return h.renderReviews(q, http.StatusOK, "") }

func (h *approvalsPages) renderReviews(q *request, status int, msg string) error {
	list, err := h.approvalsSvc.Reviews(q.r.Context(), q.actor)
	if err != nil {
		return err
	}
	h.render(q, status, "reviews", "access_reviews", reviewsView{Reviews: list, Error: msg})
	return nil
}

func (h *approvalsPages) startReview(q *request) error {
	rev, err := h.approvalsSvc.StartReview(q.r.Context(), q.actor)
	if errs.Is(err, errs.Conflict) {
		msg, _ := q.public(err)
		return h.renderReviews(q, http.StatusConflict, msg)
	}
	if err != nil {
		return err
	}
	q.redirect("/reviews/"+rev.ID, "done_review_started")
	return nil
}

type reviewView struct {
	Review governance.Review
	Error  string
}

func (h *approvalsPages) showReview(q *request) error { return h.renderReview(q, http.StatusOK, "") }

func (h *approvalsPages) renderReview(q *request, status int, msg string) error {
	rev, err := h.approvalsSvc.Review(q.r.Context(), q.actor, q.r.PathValue("id"))
	if err != nil {
		return err
	}
	h.render(q, status, "review", "access_reviews", reviewView{Review: rev, Error: msg})
	return nil
}

func (h *approvalsPages) decideReview(q *request) error {
	id := q.r.PathValue("id")
	err := h.approvalsSvc.DecideReviewItem(q.r.Context(), q.actor, id, q.r.PathValue("user"), q.r.PostFormValue("decision") == "confirm")
	if errs.Is(err, errs.Conflict) {
		msg, _ := q.public(err)
		return h.renderReview(q, http.StatusConflict, msg)
	}
	if err != nil {
		return err
	}
	q.redirect("/reviews/"+id, "decision_saved")
	return nil
}

func (h *approvalsPages) signOffReview(q *request) error {
	id := q.r.PathValue("id")
	_, err := h.approvalsSvc.SignOffReview(q.r.Context(), q.actor, id)
	if errs.Is(err, errs.Conflict) {
		msg, _ := q.public(err)
		return h.renderReview(q, http.StatusConflict, msg)
	}
	if err != nil {
		return err
	}
	q.redirect("/reviews/"+id, "review_signed")
	return nil
}

// reviewReport downloads the kept report.
func (h *approvalsPages) reviewReport(q *request) error {
	id := q.r.PathValue("id")
	report, hash, err := h.approvalsSvc.ReviewReport(q.r.Context(), q.actor, id)
	if err != nil {
		return err
	}
	q.w.Header().Set("Content-Type", "application/json")
	q.w.Header().Set("Content-Disposition", `attachment; filename="access-review-`+id+`.json"`)
	q.w.Header().Set("X-Report-SHA256", hash)
	q.w.Write(report)
	return nil
}
