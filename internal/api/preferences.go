package api

import (
	"net/http"

	"strongroom.dev/strongroom/internal/authz"
	"strongroom.dev/strongroom/internal/crm"
	"strongroom.dev/strongroom/internal/errs"
	"strongroom.dev/strongroom/internal/httpx"
)

type marketingJSON struct {
	Preferences crm.Preferences `json:"preferences"`
	Feedback    []crm.Feedback  `json:"feedback"`
	Average     float64         `json:"average_rating,omitempty"`
}

func (h *customersAPI) showPreferences(w http.ResponseWriter, r *http.Request, a authz.Actor) error {
	m, err := h.customers.CustomerMarketing(r.Context(), a, r.PathValue("id"))
	if err != nil {
		return err
	}
	if m == nil {
		return errs.E(errs.Permission, "you may not read this customer's preferences")
	}
	out := marketingJSON{Preferences: m.Preferences, Feedback: m.Feedback, Average: m.Average}
	out.Feedback = nonNil(out.Feedback)
	httpx.WriteJSON(w, http.StatusOK, out)
	return nil
}

func (h *customersAPI) updatePreferences(w http.ResponseWriter, r *http.Request, a authz.Actor) error {
	var in struct {
		OptIn     []string `json:"opt_in"`
		Interests []string `json:"interests"`
	}
	if err := httpx.DecodeJSON(w, r, &in, "opt_in", "interests"); err != nil {
		return err
	}
	if err := h.customers.SetPreferences(r.Context(), a, r.PathValue("id"), crm.Preferences{OptIn: in.OptIn, Interests: in.Interests}); err != nil {
		return err
	}
	return h.showPreferences(w, r, a)
}

func (h *customersAPI) createFeedback(w http.ResponseWriter, r *http.Request, a authz.Actor) error {
	var in struct {
		Channel string `json:"channel"`
		Rating  int    `json:"rating"`
		Comment string `json:"comment"`
	}
	if err := httpx.DecodeJSON(w, r, &in, "rating"); err != nil {
		return err
	}
	f, err := h.customers.AddFeedback(r.Context(), a, r.PathValue("id"), crm.Feedback{Channel: in.Channel, Rating: in.Rating, Comment: in.Comment})
	if err != nil {
		return err
	}
	httpx.WriteJSON(w, http.StatusCreated, f)
	return nil
}
