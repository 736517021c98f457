package web

import (
	"net/http"
	"net/url"
	"strings"
	"time"

	"strongroom.dev/strongroom/internal/crm"
	"strongroom.dev/strongroom/internal/errs"
	"strongroom.dev/strongroom/internal/service/records"
)

type companyListView struct {
	Query     string
	Error     string
	Companies []crm.Company
	cursorPages
	StoresOnly bool
	CanCreate  bool
}

// listCompanies lists companies without a search: "only stores" and the
// page ride in the address; a search never does (searchInURL).
func (h *companiesPages) listCompanies(q *request) error {
	q.rememberFilters()
	qs := q.r.URL.Query()
	v := companyListView{StoresOnly: qs.Get("stores") == "1"}
	if q.searchInURL() {
		if !h.abilities(q).Companies {
			return errs.E(errs.Permission, "you may not read companies")
		}
		v.Error = tr(q.lang, "search_in_url")
		return h.renderCompanies(q, v, http.StatusBadRequest)
	}
	return h.companies(q, v, qs.Get("cursor"))
}

// searchCompanies answers the search form: the name typed, "only stores"
// and the cursor of the page, all in the posted form.
func (h *companiesPages) searchCompanies(q *request) error {
	f := q.r.PostFormValue
	q.back = "/companies"
	return h.companies(q, companyListView{Query: strings.TrimSpace(f("q")), StoresOnly: f("stores") == "1"}, f("cursor"))
}

func (h *companiesPages) companies(q *request, v companyListView, cursor string) error {
	page, err := h.companiesSvc.ListCompanies(q.r.Context(), q.actor, records.CompanyQuery{Name: v.Query, StoresOnly: v.StoresOnly, Cursor: cursor})
	if errs.Is(err, errs.Invalid) {
		v.Error, _ = q.public(err)
		return h.renderCompanies(q, v, http.StatusBadRequest)
	} else if err != nil {
		return err
	}
	v.Companies = page.Companies
	keep := url.Values{}
	if v.StoresOnly {
		keep.Set("stores", "1")
	}
	v.cursorPages = cursorPages{Cursor: cursor, Trail: q.trail(), Next: page.Next}.withLinks("/companies", keep)
	if v.Query != "" {
		v.cursorPages = v.cursorPages.searched("/companies/search", [2]string{"q", v.Query}, [2]string{"stores", keep.Get("stores")})
	}
	return h.renderCompanies(q, v, http.StatusOK)
}

func (h *companiesPages) renderCompanies(q *request, v companyListView, status int) error {
	v.CanCreate = h.abilities(q).CreateCompany
	h.render(q, status, "companies", "companies", v)
	return nil
}

type companyView struct {
	records.CompanyView
	Fields     []fieldView
	CanEdit    bool
	CanDelete  bool
	Activities []crm.Activity
	CanLog     bool
	Kinds      []string
	LogError   string
	LogInput   postedForm // what was typed, when the activity was refused
}

func (h *companiesPages) showCompany(q *request) error {
	return h.renderCompany(q, "")
}

func (h *companiesPages) renderCompany(q *request, logErr string) error {
	o, err := h.companiesSvc.CompanyOverview(q.r.Context(), q.actor, q.r.PathValue("id"))
	if err != nil {
		return err
	}
	c, can := o.Company, o.Can
	v := companyView{CompanyView: o.CompanyView, CanEdit: can.Edit, CanDelete: can.Delete}
	for _, f := range crm.CompanyFields {
		if val, ok := c.Fields[f.Name]; ok {
			v.Fields = append(v.Fields, fieldView{Name: f.Name, Label: tr(q.lang, "company_"+f.Name), Value: val,
				Masked: can.Masks(f.Name), Multiline: f.Name == crm.CompanyNotes})
		}
	}
	v.Activities, v.CanLog = o.Activities, can.LogActivity
	v.Kinds, v.LogError = crm.ActivityKinds, logErr
	status := http.StatusOK
	if logErr != "" {
		status, v.LogInput = http.StatusBadRequest, postedForm{Values: q.r.PostForm}
	}
	h.render(q, status, "company", "companies", v)
	return nil
}

func (h *companiesPages) logCompanyActivity(q *request) error {
	id := q.r.PathValue("id")
	in := crm.ActivityInput{Kind: q.r.PostFormValue("kind"), Subject: q.r.PostFormValue("subject"), Body: q.r.PostFormValue("body")}
	if due := strings.TrimSpace(q.r.PostFormValue("due")); due != "" {
		t, err := time.Parse(time.DateOnly, due)
		if err != nil {
			return h.renderCompany(q, "the due date must be a date, like 2026-12-01")
		}
		in.DueAt = &t
	}
	if _, err := h.activitiesSvc.LogCompanyActivity(q.r.Context(), q.actor, id, in); err != nil {
		if !errs.Is(err, errs.Invalid) {
			return err
		}
		msg, _ := q.public(err)
		return h.renderCompany(q, msg)
	}
	q.redirect("/companies/"+id, "activity_logged")
	return nil
}

type companyFormView struct {
	ID, Action string
	Fields     []formField
	IsStore    bool
	Error      string
}

// FieldErrors are the fields at fault, for the summary above the form.
func (v companyFormView) FieldErrors() []formField { return fieldErrors(v.Fields) }

// companyFormFields lists the fields can lets the actor write, with
// values from vals.
func companyFormFields(lang string, can records.Can, vals map[string]string) []formField {
	var out []formField
	for _, f := range crm.CompanyFields {
		if !can.Writes(f.Name) {
			continue
		}
		out = append(out, formField{Name: f.Name, Label: tr(lang, "company_"+f.Name), Value: vals[f.Name], Required: f.Name == crm.CompanyName, Multiline: f.Name == crm.CompanyNotes})
	}
	return out
}

func companyFormInput(q *request, fields []formField, create bool) (crm.CompanyInput, map[string]string, bool) {
	in := crm.CompanyInput{Fields: map[string]*string{}}
	vals := map[string]string{}
	for _, f := range fields {
		v := q.r.PostFormValue(f.Name)
		vals[f.Name] = v
		if create && v == "" {
			continue
		}
		in.Fields[f.Name] = &v
	}
	store := q.r.PostFormValue("is_store") == "1"
	in.IsStore = &store
	return in, vals, store
}

func (h *companiesPages) newCompany(q *request) error {
	can := h.companiesSvc.NewCompanyCan(q.actor)
	if !can.Edit {
		return errs.E(errs.Permission, "you may not create companies")
	}
	h.render(q, http.StatusOK, "company_form", "new_company", companyFormView{Action: "/companies", Fields: companyFormFields(q.lang, can, nil)})
	return nil
}

func (h *companiesPages) createCompany(q *request) error {
	can := h.companiesSvc.NewCompanyCan(q.actor)
	in, vals, store := companyFormInput(q, companyFormFields(q.lang, can, nil), true)
	c, err := h.companiesSvc.CreateCompany(q.r.Context(), q.actor, in)
	if errs.Is(err, errs.Invalid) {
		v := companyFormView{Action: "/companies", Fields: companyFormFields(q.lang, can, vals), IsStore: store}
		v.Error, v.Fields = fieldError(q, v.Fields, err)
		h.render(q, http.StatusBadRequest, "company_form", "new_company", v)
		return nil
	}
	if err != nil {
		return err
	}
	q.redirect("/companies/"+c.ID, "company_saved")
	return nil
}

func (h *companiesPages) editCompany(q *request) error {
	cv, can, err := h.companiesSvc.CompanyToEdit(q.r.Context(), q.actor, q.r.PathValue("id"))
	if err != nil {
		return err
	}
	c := cv.Company
	if !can.Edit {
		return errs.E(errs.Permission, "you may not change this company")
	}
	h.render(q, http.StatusOK, "company_form", "edit", companyFormView{ID: c.ID, Action: "/companies/" + c.ID, Fields: companyFormFields(q.lang, can, c.Fields), IsStore: c.IsStore})
	return nil
}

func (h *companiesPages) updateCompany(q *request) error {
	id := q.r.PathValue("id")
	_, can, err := h.companiesSvc.CompanyToEdit(q.r.Context(), q.actor, id)
	if err != nil {
		return err
	}
	in, vals, store := companyFormInput(q, companyFormFields(q.lang, can, nil), false)
	if _, err := h.companiesSvc.UpdateCompany(q.r.Context(), q.actor, id, in); err != nil {
		if !errs.Is(err, errs.Invalid) {
			return err
		}
		v := companyFormView{ID: id, Action: "/companies/" + id, Fields: companyFormFields(q.lang, can, vals), IsStore: store}
		v.Error, v.Fields = fieldError(q, v.Fields, err)
		h.render(q, http.StatusBadRequest, "company_form", "edit", v)
		return nil
	}
	q.redirect("/companies/"+id, "company_saved")
	return nil
}

func (h *companiesPages) deleteCompany(q *request) error {
	if err := h.companiesSvc.DeleteCompany(q.r.Context(), q.actor, q.r.PathValue("id")); err != nil {
		return err
	}
	q.redirect("/companies", "company_deleted")
	return nil
}
