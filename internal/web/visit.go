package web

import (
	"net/http"
	"strconv"
	"strings"
	"time"

	"strongroom.dev/strongroom/internal/crm"
	"strongroom.dev/strongroom/internal/errs"
	"strongroom.dev/strongroom/internal/httpx"
	"strongroom.dev/strongroom/internal/service/records"
)

type visitsView struct {
	Today   string
	Visits  []crm.Visit
	Table   tableView
	Stores  []crm.Company
	CanPlan bool
	Input   postedForm // what was chosen, the message and the field, when the plan was refused
}

// planFieldIDs are the ids of the visit plan's fields an error can name.
var planFieldIDs = map[string]string{"company_id": "company_id", "planned_for": "planned_for"}

// visitColumns are the visits table's columns, in its order.
var visitColumns = []column[crm.Visit]{
	{"date", "date", byText(func(v crm.Visit) string { return v.PlannedFor })},
	{"store", "store", byText(func(v crm.Visit) string { return v.StoreName })},
	{"status", "status", byText(func(v crm.Visit) string { return v.Status() })},
}

// listVisits shows the visits of the next seven days and a form to plan one.
func (h *visitsPages) listVisits(q *request) error {
	q.rememberFilters()
	return h.renderVisits(q, postedForm{})
}

func (h *visitsPages) renderVisits(q *request, plan postedForm) error {
	today := time.Now().In(q.clock().Location()) // the reader's today, not UTC's
	v := visitsView{Today: today.Format(time.DateOnly), Input: plan}
	var err error
	if v.Visits, err = h.visitsSvc.Visits(q.r.Context(), q.actor, v.Today, today.AddDate(0, 0, 7).Format(time.DateOnly)); err != nil {
		return err
	}
	v.Visits, v.Table = sortTable(q, "/visits", v.Visits, visitColumns, "date", false)
	can := h.abilities(q)
	v.CanPlan = can.PlanVisit
	if v.CanPlan && can.Companies {
		page, err := h.companiesSvc.ListCompanies(q.r.Context(), q.actor, records.CompanyQuery{StoresOnly: true, Limit: 200})
		if err != nil {
			return err
		}
		v.Stores = page.Companies
	}
	status := http.StatusOK
	if plan.Msg != "" {
		status = http.StatusBadRequest
	}
	h.render(q, status, "visits", "visits", v)
	return nil
}

func (h *visitsPages) planVisit(q *request) error {
	v, err := h.visitsSvc.PlanVisit(q.r.Context(), q.actor, q.r.PostFormValue("company_id"), "", q.r.PostFormValue("planned_for"))
	if errs.Is(err, errs.Invalid) {
		return h.renderVisits(q, q.refused("plan", err, planFieldIDs))
	}
	if err != nil {
		return err
	}
	q.redirect("/visits/"+v.ID, "visit_planned")
	return nil
}

type visitView struct {
	Visit crm.Visit
	IsRep bool
	Error string
}

func (h *visitsPages) showVisit(q *request) error { return h.renderVisit(q, "") }

func (h *visitsPages) renderVisit(q *request, msg string) error {
	v, err := h.visitsSvc.Visit(q.r.Context(), q.actor, q.r.PathValue("id"))
	if err != nil {
		return err
	}
	q.scripts, q.geo = true, true // geolocation at check-in needs the browser
	status := http.StatusOK
	if msg != "" {
		status = http.StatusBadRequest
	}
	h.render(q, status, "visit", "visits", visitView{Visit: v, IsRep: v.RepID == q.actor.UserID, Error: msg})
	return nil
}

// formLocation reads the location the page's script put in the form; an
// empty one means the device gave none.
func formLocation(q *request) (*crm.Location, error) {
	lat, lon := strings.TrimSpace(q.r.PostFormValue("lat")), strings.TrimSpace(q.r.PostFormValue("lon"))
	if lat == "" && lon == "" {
		return nil, nil
	}
	var l crm.Location
	var err1, err2 error
	l.Lat, err1 = strconv.ParseFloat(lat, 64)
	l.Lon, err2 = strconv.ParseFloat(lon, 64)
	if err1 != nil || err2 != nil {
		return nil, errs.InvalidField("lat", "the location must be two numbers: latitude and longitude")
	}
	if acc := strings.TrimSpace(q.r.PostFormValue("accuracy")); acc != "" {
		l.Accuracy, _ = strconv.ParseFloat(acc, 64)
	}
	return &l, nil
}

func (h *visitsPages) checkVisit(checkIn bool) pageFunc {
	return func(q *request) error {
		loc, err := formLocation(q)
		up := records.VisitUpdate{CheckIn: checkIn, CheckOut: !checkIn, Location: loc}
		if notes, ok := q.r.PostForm["notes"]; ok && !checkIn {
			up.Notes = &notes[0]
		}
		if err == nil {
			_, err = h.visitsSvc.UpdateVisit(q.r.Context(), q.actor, q.r.PathValue("id"), up)
		}
		if errs.Is(err, errs.Invalid) || errs.Is(err, errs.Conflict) {
			msg, _ := q.public(err)
			return h.renderVisit(q, msg)
		}
		if err != nil {
			return err
		}
		flash := "checked_out"
		if checkIn {
			flash = "checked_in"
		}
		q.redirect("/visits/"+q.r.PathValue("id"), flash)
		return nil
	}
}

func (h *visitsPages) addVisitPhoto(q *request) error {
	_, file, err := q.upload("photo", records.MaxPhoto+64<<10)
	if err != nil {
		return err
	}
	if _, err := h.visitsSvc.AddPhoto(q.r.Context(), q.actor, q.r.PathValue("id"), file); err != nil {
		if errs.Is(err, errs.Invalid) || errs.Is(err, errs.TooLarge) {
			msg, _ := q.public(err)
			return h.renderVisit(q, msg)
		}
		return err
	}
	q.redirect("/visits/"+q.r.PathValue("id"), "photo_added")
	return nil
}

func (h *visitsPages) showVisitPhoto(q *request) error {
	data, ct, err := h.visitsSvc.Photo(q.r.Context(), q.actor, q.r.PathValue("id"), q.r.PathValue("photo"))
	if err != nil {
		return err
	}
	q.w.Header().Set("Content-Type", ct)
	q.w.Header().Set("Cache-Control", "private, no-store")
	httpx.Download(q.w, crm.PhotoFileName(q.r.PathValue("id"), q.r.PathValue("photo"), ct))
	q.w.Write(data)
	return nil
}
