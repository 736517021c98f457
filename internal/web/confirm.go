package web

import (
	"net/http"
	"slices"
)

// Destructive actions (deleting a customer or an OAuth client, disabling a
// user, ending sessions, locking or wiping a device) run only with the
// form's confirm=1. A form posted without it — the one-click button of a
// list, or a page that predates the box — is answered with a confirmation
// page instead: the consequence in plain words, the same form again with a
// required checkbox, and a way back. It needs no JavaScript, and the
// server decides, so a script that skips the box is refused the same way.

type confirmView struct {
	Action      string // where the confirmed form posts: the same path
	Consequence string // what will happen, translated
	Button      string // the action's name, translated
	Back        string // where "Cancel" leads
	Fields      []confirmField
}

type confirmField struct{ Name, Value string }

// confirmed is whether q's form carries its confirmation. When it does
// not, it renders the confirmation page (400: nothing was done) and the
// handler returns without acting. consequence and button are i18n keys.
func (h *Handler) confirmed(q *request, consequence, button, back string) bool {
	if q.r.PostFormValue("confirm") == "1" {
		return true
	}
	v := confirmView{Action: q.r.URL.Path, Consequence: tr(q.lang, consequence), Button: tr(q.lang, button), Back: safeNext(back)}
	keys := make([]string, 0, len(q.r.PostForm))
	for k := range q.r.PostForm {
		if k != csrfField && k != "confirm" {
			keys = append(keys, k)
		}
	}
	slices.Sort(keys)
	for _, k := range keys {
		for _, val := range q.r.PostForm[k] {
			v.Fields = append(v.Fields, confirmField{k, val})
		}
	}
	h.render(q, http.StatusBadRequest, "confirm", "confirm_title", v)
	return false
}
