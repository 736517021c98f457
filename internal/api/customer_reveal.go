package api

import (
	"net/http"

	"strongroom.dev/strongroom/internal/authz"
	"strongroom.dev/strongroom/internal/httpx"
)

type revealRequest struct {
	Field  string `json:"field"`
	Reason string `json:"reason"`
}

type revealResponse struct {
	Field string `json:"field"`
	Value string `json:"value"`
}

func (h *customersAPI) revealCustomerField(w http.ResponseWriter, r *http.Request, a authz.Actor) error {
	var in revealRequest
	if err := httpx.DecodeJSON(w, r, &in, "field", "reason"); err != nil {
		return err
	}
	v, err := h.customers.RevealCustomerField(r.Context(), a, r.PathValue("id"), in.Field, in.Reason)
	if err != nil {
		return err
	}
	httpx.WriteJSON(w, http.StatusOK, revealResponse{Field: in.Field, Value: v})
	return nil
}
