package api

import (
	"net/http"

	"strongroom.dev/strongroom/internal/authz"
	"strongroom.dev/strongroom/internal/httpx"
	"strongroom.dev/strongroom/internal/service/keys"
	"strongroom.dev/strongroom/internal/service/records"
)

// keysAPI is the master key's status and a customer's or company's
// data-key rotation.
type keysAPI struct {
	keys      *keys.Keys
	customers *records.Customers // a customer's data key is rotated with the customer's data
	companies *records.Companies // and a company's (or store's) with the company's
}

func (h *keysAPI) showKeys(w http.ResponseWriter, r *http.Request, a authz.Actor) error {
	st, err := h.keys.Status(r.Context(), a)
	if err != nil {
		return err
	}
	httpx.WriteJSON(w, http.StatusOK, st)
	return nil
}

type keyRotationRequest struct {
	Reason string `json:"reason"`
}

type keyRotationResponse struct {
	CustomerID string `json:"customer_id,omitempty"`
	CompanyID  string `json:"company_id,omitempty"`
	Resealed   int    `json:"resealed"`
}

func (h *keysAPI) rotateCustomerKey(w http.ResponseWriter, r *http.Request, a authz.Actor) error {
	var in keyRotationRequest
	if err := httpx.DecodeJSON(w, r, &in, "reason"); err != nil {
		return err
	}
	n, err := h.customers.RotateKey(r.Context(), a, r.PathValue("id"), in.Reason)
	if err != nil {
		return err
	}
	httpx.WriteJSON(w, http.StatusOK, keyRotationResponse{CustomerID: r.PathValue("id"), Resealed: n})
	return nil
}

func (h *keysAPI) rotateCompanyKey(w http.ResponseWriter, r *http.Request, a authz.Actor) error {
	var in keyRotationRequest
	if err := httpx.DecodeJSON(w, r, &in, "reason"); err != nil {
		return err
	}
	n, err := h.companies.RotateKey(r.Context(), a, r.PathValue("id"), in.Reason)
	if err != nil {
		return err
	}
	httpx.WriteJSON(w, http.StatusOK, keyRotationResponse{CompanyID: r.PathValue("id"), Resealed: n})
	return nil
}
