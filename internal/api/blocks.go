package api

import (
	"net/http"
	"time"

	"strongroom.dev/strongroom/internal/authz"
	"strongroom.dev/strongroom/internal/errs"
	"strongroom.dev/strongroom/internal/httpx"
	"strongroom.dev/strongroom/internal/service/governance"
)

// listBlocks lists the networks blocked now (admin, auditor).
func (h *rolesAPI) listBlocks(w http.ResponseWriter, r *http.Request, a authz.Actor) error {
	items, err := h.roles.Blocks(r.Context(), a)
	if err != nil {
		return err
	}
	if items == nil {
		items = []governance.Block{}
	}
	httpx.WriteJSON(w, http.StatusOK, map[string]any{"items": items})
	return nil
}

// createBlock blocks a network for some minutes (admin).
func (h *rolesAPI) createBlock(w http.ResponseWriter, r *http.Request, a authz.Actor) error {
	var in struct {
		Network string `json:"network"`
		Minutes int    `json:"minutes"`
		Reason  string `json:"reason"`
	}
	if err := httpx.DecodeJSON(w, r, &in, "network", "minutes"); err != nil {
		return err
	}
	b, err := h.roles.BlockNetwork(r.Context(), a, in.Network, time.Duration(in.Minutes)*time.Minute, in.Reason)
	if err != nil {
		return err
	}
	httpx.WriteJSON(w, http.StatusCreated, b)
	return nil
}

// deleteBlock lifts a block (admin); the network is a query parameter,
// since a prefix holds a slash.
func (h *rolesAPI) deleteBlock(w http.ResponseWriter, r *http.Request, a authz.Actor) error {
	q, err := httpx.Query(r, "network")
	if err != nil {
		return err
	}
	if q["network"] == "" {
		return errs.InvalidField("network", "give ?network=the blocked prefix")
	}
	if err := h.roles.UnblockNetwork(r.Context(), a, q["network"]); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}
