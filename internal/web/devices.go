package web

import (
	"net/http"

	"strongroom.dev/strongroom/internal/service/devices"
)

// devicesPages are the field devices page: each device's state, last
// contact and coarse place, app version, and the lock and wipe buttons.
type devicesPages struct {
	*Handler
	devicesSvc *devices.Devices
}

type devicesView struct {
	Devices []devices.Device
	Lease   string // the offline lease, e.g. 12h0m0s
}

// showDevices lists the devices the reader may see: everyone's for
// administrators and auditors, else their own.
func (h *devicesPages) showDevices(q *request) error {
	list, err := h.devicesSvc.List(q.r.Context(), q.actor, false)
	if err != nil {
		return err
	}
	h.render(q, http.StatusOK, "devices", "devices", devicesView{Devices: list, Lease: h.devicesSvc.OfflineLease().String()})
	return nil
}

// lockDevice locks a device at once.
func (h *devicesPages) lockDevice(q *request) error {
	if !h.confirmed(q, "confirm_device_lock", "device_lock", "/devices") {
		return nil
	}
	if _, err := h.devicesSvc.Lock(q.r.Context(), q.actor, q.r.PathValue("id"), q.r.PostFormValue("reason")); err != nil {
		return err
	}
	q.redirect("/devices", "device_locked")
	return nil
}

// wipeDevice orders a device's wipe.
func (h *devicesPages) wipeDevice(q *request) error {
	if !h.confirmed(q, "confirm_device_wipe", "device_wipe", "/devices") {
		return nil
	}
	if _, err := h.devicesSvc.Wipe(q.r.Context(), q.actor, q.r.PathValue("id"), q.r.PostFormValue("reason")); err != nil {
		return err
	}
	q.redirect("/devices", "device_wipe_ordered")
	return nil
}
