package web

import (
	"net/http"

	"strongroom.dev/strongroom/internal/errs"
)

// findForBreakGlass is the break-glass picker: the user gives the
// customer's full email or full name (posted, so it stays out of the
// address bar and the server's logs) and picks from the few exact
// matches, instead of typing a raw customer id.
func (h *approvalsPages) findForBreakGlass(q *request) error {
	v := breakGlassView{FindEmail: q.r.PostFormValue("find_email"), FindName: q.r.PostFormValue("find_name"), Searched: true}
	var err error
	v.Candidates, err = h.approvalsSvc.FindForBreakGlass(q.r.Context(), q.actor, v.FindEmail, v.FindName)
	if err != nil {
		if !errs.Is(err, errs.Invalid) && !errs.Is(err, errs.Permission) {
			return err
		}
		v.FindError, _ = errs.Public(err)
		h.render(q, errs.KindOf(err).Status(), "break_glass", "break_glass", v)
		return nil
	}
	if len(v.Candidates) == 1 {
		v.CustomerID = v.Candidates[0].ID
	}
	h.render(q, http.StatusOK, "break_glass", "break_glass", v)
	return nil
}
