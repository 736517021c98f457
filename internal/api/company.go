package api

import (
	"net/http"
	"strings"
	"time"

	"strongroom.dev/strongroom/internal/authz"
	"strongroom.dev/strongroom/internal/crm"
	"strongroom.dev/strongroom/internal/httpx"
	"strongroom.dev/strongroom/internal/service/records"
)

type companyJSON struct {
	ID        string         `json:"id"`
	OwnerID   string         `json:"owner_id,omitempty"`
	IsStore   bool           `json:"is_store"`
	Name      *string        `json:"name,omitempty"`
	Address   *string        `json:"address,omitempty"`
	Phone     *string        `json:"phone,omitempty"`
	Notes     *string        `json:"notes,omitempty"`
	Tags      []string       `json:"tags,omitempty"`
	Customers []customerJSON `json:"customers,omitempty"`
	CreatedAt time.Time      `json:"created_at"`
	UpdatedAt time.Time      `json:"updated_at"`
}

func toCompanyJSON(c crm.Company) companyJSON {
	field := func(name string) *string {
		if v, ok := c.Fields[name]; ok {
			return &v
		}
		return nil
	}
	return companyJSON{ID: c.ID, OwnerID: c.OwnerID, IsStore: c.IsStore, Name: field(crm.CompanyName), Address: field(crm.CompanyAddress),
		Phone: field(crm.CompanyPhone), Notes: field(crm.CompanyNotes), Tags: crm.Tags(c.Fields[crm.CompanyTags]), CreatedAt: c.CreatedAt, UpdatedAt: c.UpdatedAt}
}

type companyInput struct {
	Name    *string   `json:"name"`
	Address *string   `json:"address"`
	Phone   *string   `json:"phone"`
	Notes   *string   `json:"notes"`
	Tags    *[]string `json:"tags"`
	IsStore *bool     `json:"is_store"`
	OwnerID *string   `json:"owner_id"`
}

func (in companyInput) toCRM() crm.CompanyInput {
	out := crm.CompanyInput{Fields: map[string]*string{}, IsStore: in.IsStore, OwnerID: in.OwnerID}
	if in.Tags != nil {
		joined := strings.Join(*in.Tags, ",")
		out.Fields[crm.CompanyTags] = &joined
	}
	for name, v := range map[string]*string{crm.CompanyName: in.Name, crm.CompanyAddress: in.Address, crm.CompanyPhone: in.Phone, crm.CompanyNotes: in.Notes} {
		if v != nil {
			out.Fields[name] = v
		}
	}
	return out
}

func (h *companiesAPI) createCompany(w http.ResponseWriter, r *http.Request, a authz.Actor) error {
	var in companyInput
	if err := httpx.DecodeJSON(w, r, &in, "name"); err != nil {
		return err
	}
	c, err := h.companies.CreateCompany(r.Context(), a, in.toCRM())
	if err != nil {
		return err
	}
	w.Header().Set("Location", "/api/v1/companies/"+c.ID)
	httpx.WriteJSON(w, http.StatusCreated, toCompanyJSON(c))
	return nil
}

func (h *companiesAPI) showCompany(w http.ResponseWriter, r *http.Request, a authz.Actor) error {
	v, err := h.companies.Company(r.Context(), a, r.PathValue("id"))
	if err != nil {
		return err
	}
	out := toCompanyJSON(v.Company)
	for _, c := range v.Customers {
		out.Customers = append(out.Customers, toCustomerJSON(c))
	}
	httpx.WriteJSON(w, http.StatusOK, out)
	return nil
}

func (h *companiesAPI) updateCompany(w http.ResponseWriter, r *http.Request, a authz.Actor) error {
	var in companyInput
	if err := httpx.DecodePatch(w, r, &in); err != nil {
		return err
	}
	c, err := h.companies.UpdateCompany(r.Context(), a, r.PathValue("id"), in.toCRM())
	if err != nil {
		return err
	}
	httpx.WriteJSON(w, http.StatusOK, toCompanyJSON(c))
	return nil
}

func (h *companiesAPI) deleteCompany(w http.ResponseWriter, r *http.Request, a authz.Actor) error {
	if err := h.companies.DeleteCompany(r.Context(), a, r.PathValue("id")); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// companySearchRoute takes the searches GET /api/v1/companies refuses.
const companySearchRoute = "POST /api/v1/companies/search"

// companySearch is the body of POST /api/v1/companies/search; a company's
// name may be a person's (a sole trader), and tags are sealed like it.
type companySearch struct {
	Name   string `json:"name"`
	Tag    string `json:"tag"`
	Stores bool   `json:"stores"`
	Cursor string `json:"cursor"`
	Limit  int    `json:"limit"`
}

// listCompanies lists without search: only stores, and paging.
func (h *companiesAPI) listCompanies(w http.ResponseWriter, r *http.Request, a authz.Actor) error {
	if err := personalInURL(r, companySearchRoute, "q", "name", "tag"); err != nil {
		return err
	}
	q, err := httpx.Query(r, "stores", "cursor", "limit")
	if err != nil {
		return err
	}
	limit, err := httpx.Int(q, "limit")
	if err != nil {
		return err
	}
	return h.companyPage(w, r, a, companySearch{Stores: q["stores"] == "true", Cursor: q["cursor"], Limit: int(limit)})
}

// searchCompanies lists with the filters of the body.
func (h *companiesAPI) searchCompanies(w http.ResponseWriter, r *http.Request, a authz.Actor) error {
	if err := personalInURL(r, companySearchRoute, "q", "name", "tag"); err != nil {
		return err
	}
	var in companySearch
	if err := httpx.DecodeJSON(w, r, &in); err != nil {
		return err
	}
	return h.companyPage(w, r, a, in)
}

func (h *companiesAPI) companyPage(w http.ResponseWriter, r *http.Request, a authz.Actor, in companySearch) error {
	page, err := h.companies.ListCompanies(r.Context(), a, records.CompanyQuery{Name: in.Name, Tag: in.Tag, StoresOnly: in.Stores, Cursor: in.Cursor, Limit: in.Limit})
	if err != nil {
		return err
	}
	out := struct {
		Items      []companyJSON `json:"items"`
		NextCursor string        `json:"next_cursor,omitempty"`
	}{Items: make([]companyJSON, 0, len(page.Companies)), NextCursor: page.Next}
	for _, c := range page.Companies {
		out.Items = append(out.Items, toCompanyJSON(c))
	}
	httpx.WriteJSON(w, http.StatusOK, out)
	return nil
}
