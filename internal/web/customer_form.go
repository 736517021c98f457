package web

import (
	"errors"
	"net/http"

	"strongroom.dev/strongroom/internal/crm"
	"strongroom.dev/strongroom/internal/errs"
	"strongroom.dev/strongroom/internal/service/core"
	"strongroom.dev/strongroom/internal/service/records"
)

type formField struct {
	Name, Label, Value  string
	Required, Multiline bool
	Error               string
}

type customerFormView struct {
	ID        string // empty when creating
	Action    string
	Fields    []formField
	Error     string
	Companies []crm.Company // the companies the actor may link to
	CanLink   bool          // show the company picker
	CompanyID string
	// ConsentChannels are offered for the separate consent a
	// special-category field needs.
	ConsentChannels []string
}

// FieldErrors are the fields at fault, for the summary above the form.
func (v customerFormView) FieldErrors() []formField { return fieldErrors(v.Fields) }

func fieldErrors(fields []formField) []formField {
	var out []formField
	for _, f := range fields {
		if f.Error != "" {
			out = append(out, f)
		}
	}
	return out
}

// fieldError puts err's message beside its field when the form has it,
// and returns the message for above the form otherwise.
func fieldError(q *request, fields []formField, err error) (string, []formField) {
	msg, field := q.public(err)
	for i := range fields {
		if field != "" && fields[i].Name == field {
			fields[i].Error = msg
			return "", fields
		}
	}
	return msg, fields
}

// withCompanies fills the company picker with the companies the actor can
// see (the first 200), when the actor may read companies at all.
func (h *customersPages) withCompanies(q *request, v *customerFormView) error {
	if !h.abilities(q).Companies {
		return nil
	}
	page, err := h.companiesSvc.ListCompanies(q.r.Context(), q.actor, records.CompanyQuery{Limit: 200})
	if err != nil {
		return err
	}
	v.Companies, v.CanLink = page.Companies, true
	return nil
}

// formFields lists the fields can lets the actor write, with values from
// vals.
func formFields(lang string, can records.Can, vals map[string]string) []formField {
	var out []formField
	for _, f := range crm.CustomerFields {
		if !can.Writes(f.Name) {
			continue
		}
		out = append(out, formField{Name: f.Name, Label: tr(lang, f.Name), Value: vals[f.Name],
			Required: f.Name == crm.FieldName, Multiline: f.Name == crm.FieldNotes || f.Name == crm.FieldAssessment})
	}
	return out
}

// formInput reads the writable fields from the posted form. Creating
// leaves out empty fields; updating sends them, which clears them.
func formInput(q *request, fields []formField, create bool) (crm.CustomerInput, map[string]string) {
	in := crm.CustomerInput{Fields: map[string]*string{}}
	if _, ok := q.r.PostForm["company_id"]; ok {
		v := q.r.PostFormValue("company_id")
		in.CompanyID = &v
	}
	if q.r.PostFormValue("sensitive_consent") == "1" {
		in.SensitiveConsent = &crm.ConsentInput{Channel: q.r.PostFormValue("sensitive_channel"),
			Minor: q.r.PostFormValue("sensitive_minor") == "1", GuardianName: q.r.PostFormValue("sensitive_guardian")}
	}
	vals := map[string]string{}
	for _, f := range fields {
		v := q.r.PostFormValue(f.Name)
		vals[f.Name] = v
		if create && v == "" {
			continue
		}
		in.Fields[f.Name] = &v
	}
	return in, vals
}

// formError puts an input error next to its field, or above the form.
func formError(q *request, v *customerFormView, err error) {
	var e *errs.Error
	msg, _ := q.public(err)
	if errors.As(err, &e) && e.Field != "" {
		for i := range v.Fields {
			if v.Fields[i].Name == e.Field {
				v.Fields[i].Error = msg
				return
			}
		}
	}
	v.Error = msg
}

func (h *customersPages) newCustomer(q *request) error {
	can := h.customersSvc.NewCustomerCan(q.actor)
	if !can.Edit {
		return errs.E(errs.Permission, "you may not create customers")
	}
	v := customerFormView{Action: "/customers", Fields: formFields(q.lang, can, nil), ConsentChannels: sensitiveChannels}
	if err := h.withCompanies(q, &v); err != nil {
		return err
	}
	h.render(q, http.StatusOK, "customer_form", "new_customer", v)
	return nil
}

func (h *customersPages) createCustomer(q *request) error {
	can := h.customersSvc.NewCustomerCan(q.actor)
	fields := formFields(q.lang, can, nil)
	in, vals := formInput(q, fields, true)
	c, err := h.customersSvc.CreateCustomer(q.r.Context(), q.actor, in)
	if errs.Is(err, errs.Invalid) {
		v := customerFormView{Action: "/customers", Fields: formFields(q.lang, can, vals), CompanyID: q.r.PostFormValue("company_id"), ConsentChannels: sensitiveChannels}
		formError(q, &v, err)
		if err := h.withCompanies(q, &v); err != nil {
			return err
		}
		h.render(q, http.StatusBadRequest, "customer_form", "new_customer", v)
		return nil
	}
	if err != nil {
		return err
	}
	q.redirect("/customers/"+c.ID, "customer_saved")
	return nil
}

func (h *customersPages) editCustomer(q *request) error {
	c, can, err := h.customersSvc.CustomerToEdit(q.r.Context(), q.actor, q.r.PathValue("id"))
	if err != nil {
		return err
	}
	if !can.Edit {
		return errs.E(errs.Permission, "you may not change this customer")
	}
	v := customerFormView{ID: c.ID, Action: "/customers/" + c.ID, Fields: formFields(q.lang, can, c.Fields), CompanyID: c.CompanyID, ConsentChannels: sensitiveChannels}
	if err := h.withCompanies(q, &v); err != nil {
		return err
	}
	h.render(q, http.StatusOK, "customer_form", "edit", v)
	return nil
}

func (h *customersPages) updateCustomer(q *request) error {
	id := q.r.PathValue("id")
	// The form offers the fields writable on this customer; the service
	// checks again, and refuses what the actor may not write.
	_, can, err := h.customersSvc.CustomerToEdit(q.r.Context(), q.actor, id)
	if err != nil {
		return err
	}
	fields := formFields(q.lang, can, nil)
	in, vals := formInput(q, fields, false)
	if _, err := h.customersSvc.UpdateCustomer(q.r.Context(), q.actor, id, in); err != nil {
		if !errs.Is(err, errs.Invalid) {
			return err
		}
		v := customerFormView{ID: id, Action: "/customers/" + id, Fields: formFields(q.lang, can, vals), CompanyID: q.r.PostFormValue("company_id"), ConsentChannels: sensitiveChannels}
		formError(q, &v, err)
		if err := h.withCompanies(q, &v); err != nil {
			return err
		}
		h.render(q, http.StatusBadRequest, "customer_form", "edit", v)
		return nil
	}
	q.redirect("/customers/"+id, "customer_saved")
	return nil
}

func (h *customersPages) deleteCustomer(q *request) error {
	if err := h.customersSvc.DeleteCustomer(q.r.Context(), q.actor, q.r.PathValue("id")); err != nil {
		if errs.Is(err, errs.ApprovalNeeded) {
			return h.renderAccessForm(q, http.StatusForbidden, accessFormView{Kind: core.KindDelete, ObjectID: q.r.PathValue("id")})
		}
		return err
	}
	q.redirect("/customers", "customer_deleted")
	return nil
}

// sensitiveChannels are how the separate consent to sensitive processing
// is given, as the form offers them.
var sensitiveChannels = []string{"in_person", "paper", "phone", "email"}
