package api

import (
	"net/http"

	"strongroom.dev/strongroom/internal/authz"
	"strongroom.dev/strongroom/internal/httpx"
	"strongroom.dev/strongroom/internal/service/vendors"
)

// vendorsAPI serves the vendors register.
type vendorsAPI struct{ vendors *vendors.Vendors }

// vendorFields are the members a vendor's PUT must carry: a field is
// cleared by an explicit empty value, never by leaving it out.
var vendorFields = []string{"name", "role", "purpose", "data_categories", "locations", "transfer", "agreement_ref", "agreement_signed", "dpa",
	"certifications", "links", "next_review", "status"}

// listVendors lists the register (administrators, auditors) and the parts
// of this server that send data to a third party no vendor names.
func (h *vendorsAPI) listVendors(w http.ResponseWriter, r *http.Request, a authz.Actor) error {
	if _, err := httpx.Query(r); err != nil {
		return err
	}
	list, err := h.vendors.List(r.Context(), a)
	if err != nil {
		return err
	}
	httpx.WriteJSON(w, http.StatusOK, map[string]any{"vendors": list, "unlinked": h.vendors.Unlinked(list)})
	return nil
}

// createVendor adds a vendor (administrators).
func (h *vendorsAPI) createVendor(w http.ResponseWriter, r *http.Request, a authz.Actor) error {
	var in vendors.Input
	if err := httpx.DecodeJSON(w, r, &in, "name", "role", "purpose"); err != nil {
		return err
	}
	v, err := h.vendors.Create(r.Context(), a, in)
	if err != nil {
		return err
	}
	w.Header().Set("Location", "/api/v1/vendors/"+v.ID)
	httpx.WriteJSON(w, http.StatusCreated, v)
	return nil
}

// showVendor answers one vendor with its reviews and findings.
func (h *vendorsAPI) showVendor(w http.ResponseWriter, r *http.Request, a authz.Actor) error {
	d, err := h.vendors.Vendor(r.Context(), a, r.PathValue("id"))
	if err != nil {
		return err
	}
	httpx.WriteJSON(w, http.StatusOK, d)
	return nil
}

// updateVendor replaces a vendor's record (administrators).
func (h *vendorsAPI) updateVendor(w http.ResponseWriter, r *http.Request, a authz.Actor) error {
	var in vendors.Input
	if err := httpx.DecodeJSON(w, r, &in, vendorFields...); err != nil {
		return err
	}
	v, err := h.vendors.Update(r.Context(), a, r.PathValue("id"), in)
	if err != nil {
		return err
	}
	httpx.WriteJSON(w, http.StatusOK, v)
	return nil
}

// recordVendorReview records a review (administrators).
func (h *vendorsAPI) recordVendorReview(w http.ResponseWriter, r *http.Request, a authz.Actor) error {
	var in vendors.ReviewInput
	if err := httpx.DecodeJSON(w, r, &in, "reviewer", "outcome"); err != nil {
		return err
	}
	rev, err := h.vendors.RecordReview(r.Context(), a, r.PathValue("id"), in)
	if err != nil {
		return err
	}
	httpx.WriteJSON(w, http.StatusCreated, rev)
	return nil
}

// raiseVendorFinding records a finding (administrators).
func (h *vendorsAPI) raiseVendorFinding(w http.ResponseWriter, r *http.Request, a authz.Actor) error {
	var in vendors.FindingInput
	if err := httpx.DecodeJSON(w, r, &in, "text", "severity"); err != nil {
		return err
	}
	f, err := h.vendors.RaiseFinding(r.Context(), a, r.PathValue("id"), in)
	if err != nil {
		return err
	}
	httpx.WriteJSON(w, http.StatusCreated, f)
	return nil
}

// fixVendorFinding closes a finding with what fixed it (administrators).
func (h *vendorsAPI) fixVendorFinding(w http.ResponseWriter, r *http.Request, a authz.Actor) error {
	var in struct {
		Fix string `json:"fix"`
	}
	if err := httpx.DecodeJSON(w, r, &in, "fix"); err != nil {
		return err
	}
	if err := h.vendors.FixFinding(r.Context(), a, r.PathValue("id"), r.PathValue("finding"), in.Fix); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}
