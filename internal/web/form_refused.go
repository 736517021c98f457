package web

import (
	"html/template"
	"net/url"
)

// postedForm is a refused form shown again: what was typed, the refusal's
// message and the field it is about. It is the one way a page keeps a
// refused form's input and marks its field (aria-invalid, and
// aria-describedby pointing to the message beside the field); a page with
// a zero postedForm shows its form as new.
type postedForm struct {
	Values url.Values // nil when the form was not refused
	Field  string     // the field at fault, one of the form's; empty: the form as a whole
	Msg    string     // the refusal, in the page's language
	Form   string     // the form's name: its message's element is Form+"-error"
	Target string     // the element the summary's link leads to: the field at fault
}

// refused is the postedForm of q's form, named form, refused with err.
// ids maps the form's field names to their elements' ids; a field err
// names that the form does not have leaves the message for the form as a
// whole.
func (q *request) refused(form string, err error, ids map[string]string) postedForm {
	msg, field := q.public(err)
	f := postedForm{Values: q.r.PostForm, Msg: msg, Form: form}
	if id, ok := ids[field]; ok && field != "" {
		f.Field, f.Target = field, id
	}
	return f
}

// Get is the value typed into field, or def when the form is new.
func (f postedForm) Get(field, def string) string {
	if f.Values == nil {
		return def
	}
	return f.Values.Get(field)
}

// Checked is whether a checkbox was ticked, or def when the form is new.
func (f postedForm) Checked(field string, def bool) bool {
	if f.Values == nil {
		return def
	}
	return f.Values.Get(field) != ""
}

// ErrorID is the id of the element holding the message.
func (f postedForm) ErrorID() string { return f.Form + "-error" }

// Invalid marks field as the one at fault: aria-invalid, and described by
// the message beside it.
func (f postedForm) Invalid(field string) template.HTMLAttr {
	if f.Msg == "" || f.Field == "" || f.Field != field {
		return ""
	}
	return template.HTMLAttr(` aria-invalid="true" aria-describedby="` + template.HTMLEscapeString(f.ErrorID()) + `"`)
}

// ErrorAt is the message, beside field when it is the one at fault.
func (f postedForm) ErrorAt(field string) template.HTML {
	if f.Msg == "" || f.Field == "" || f.Field != field {
		return ""
	}
	return template.HTML(`<p class="error field-error" id="` + template.HTMLEscapeString(f.ErrorID()) + `">` + template.HTMLEscapeString(f.Msg) + `</p>`)
}

// For is f when it is the form named form, and a new form otherwise: a
// page with several forms shows only the refused one again.
func (f postedForm) For(form string) postedForm {
	if f.Form != form {
		return postedForm{}
	}
	return f
}
