package api

import (
	"mime"
	"net/http"
	"strconv"
	"time"

	"strongroom.dev/strongroom/internal/authz"
	"strongroom.dev/strongroom/internal/crm"
	"strongroom.dev/strongroom/internal/errs"
	"strongroom.dev/strongroom/internal/httpx"
	"strongroom.dev/strongroom/internal/service/records"
)

type visitJSON struct {
	ID          string        `json:"id"`
	CompanyID   string        `json:"company_id"`
	StoreName   string        `json:"store_name"`
	RepID       string        `json:"rep_id"`
	PlannedFor  string        `json:"planned_for"`
	Status      string        `json:"status"`
	CheckinAt   *time.Time    `json:"checkin_at,omitempty"`
	CheckoutAt  *time.Time    `json:"checkout_at,omitempty"`
	CheckinLoc  *crm.Location `json:"checkin_location,omitempty"`
	CheckoutLoc *crm.Location `json:"checkout_location,omitempty"`
	Notes       string        `json:"notes,omitempty"`
	Photos      []crm.Photo   `json:"photos,omitempty"`
}

func toVisitJSON(v crm.Visit) visitJSON {
	return visitJSON{ID: v.ID, CompanyID: v.CompanyID, StoreName: v.StoreName, RepID: v.RepID, PlannedFor: v.PlannedFor, Status: v.Status(),
		CheckinAt: v.CheckinAt, CheckoutAt: v.CheckoutAt, CheckinLoc: v.CheckinLoc, CheckoutLoc: v.CheckoutLoc, Notes: v.Notes, Photos: v.Photos}
}

type visitPlan struct {
	CompanyID  string `json:"company_id"`
	RepID      string `json:"rep_id"`
	PlannedFor string `json:"planned_for"`
}

func (h *visitsAPI) planVisit(w http.ResponseWriter, r *http.Request, a authz.Actor) error {
	var in visitPlan
	if err := httpx.DecodeJSON(w, r, &in, "company_id", "planned_for"); err != nil {
		return err
	}
	v, err := h.visits.PlanVisit(r.Context(), a, in.CompanyID, in.RepID, in.PlannedFor)
	if err != nil {
		return err
	}
	httpx.WriteJSON(w, http.StatusCreated, toVisitJSON(v))
	return nil
}

func (h *visitsAPI) listVisits(w http.ResponseWriter, r *http.Request, a authz.Actor) error {
	q, err := httpx.Query(r, "from", "to")
	if err != nil {
		return err
	}
	from, to := q["from"], q["to"]
	if from == "" {
		from = time.Now().UTC().Format(time.DateOnly)
	}
	if to == "" {
		to = from
	}
	visits, err := h.visits.Visits(r.Context(), a, from, to)
	if err != nil {
		return err
	}
	out := struct {
		Items []visitJSON `json:"items"`
	}{Items: make([]visitJSON, 0, len(visits))}
	for _, v := range visits {
		out.Items = append(out.Items, toVisitJSON(v))
	}
	httpx.WriteJSON(w, http.StatusOK, out)
	return nil
}

func (h *visitsAPI) showVisit(w http.ResponseWriter, r *http.Request, a authz.Actor) error {
	v, err := h.visits.Visit(r.Context(), a, r.PathValue("id"))
	if err != nil {
		return err
	}
	httpx.WriteJSON(w, http.StatusOK, toVisitJSON(v))
	return nil
}

type visitCheck struct {
	Location *crm.Location `json:"location"`
	Notes    *string       `json:"notes"`
}

func (h *visitsAPI) checkVisit(checkIn bool) authedFunc {
	return func(w http.ResponseWriter, r *http.Request, a authz.Actor) error {
		var in visitCheck
		if err := httpx.DecodeJSON(w, r, &in); err != nil {
			return err
		}
		v, err := h.visits.UpdateVisit(r.Context(), a, r.PathValue("id"), records.VisitUpdate{CheckIn: checkIn, CheckOut: !checkIn, Location: in.Location, Notes: in.Notes})
		if err != nil {
			return err
		}
		httpx.WriteJSON(w, http.StatusOK, toVisitJSON(v))
		return nil
	}
}

func (h *visitsAPI) updateVisitNotes(w http.ResponseWriter, r *http.Request, a authz.Actor) error {
	var in struct {
		Notes string `json:"notes"`
	}
	if err := httpx.DecodeJSON(w, r, &in, "notes"); err != nil {
		return err
	}
	v, err := h.visits.UpdateVisit(r.Context(), a, r.PathValue("id"), records.VisitUpdate{Notes: &in.Notes})
	if err != nil {
		return err
	}
	httpx.WriteJSON(w, http.StatusOK, toVisitJSON(v))
	return nil
}

func (h *visitsAPI) addVisitPhoto(w http.ResponseWriter, r *http.Request, a authz.Actor) error {
	ct, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if ct != "image/jpeg" && ct != "image/png" && ct != "image/webp" {
		return errs.E(errs.Invalid, "send the photo as the body with Content-Type image/jpeg, image/png or image/webp")
	}
	p, err := h.visits.AddPhoto(r.Context(), a, r.PathValue("id"), http.MaxBytesReader(w, r.Body, records.MaxPhoto+1))
	if err != nil {
		return err
	}
	httpx.WriteJSON(w, http.StatusCreated, p)
	return nil
}

func (h *visitsAPI) showVisitPhoto(w http.ResponseWriter, r *http.Request, a authz.Actor) error {
	data, ct, err := h.visits.Photo(r.Context(), a, r.PathValue("id"), r.PathValue("photo"))
	if err != nil {
		return err
	}
	w.Header().Set("Content-Type", ct)
	w.Header().Set("Content-Length", strconv.Itoa(len(data)))
	httpx.Download(w, crm.PhotoFileName(r.PathValue("id"), r.PathValue("photo"), ct))
	w.Write(data)
	return nil
}
