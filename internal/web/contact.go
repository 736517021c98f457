package web

import (
	"html/template"
	"net/mail"
	"net/url"
	"strings"
)

// contactHref is the tap-to-call or tap-to-mail link for a customer's
// phone number or email address, or "" when value is not one the viewer
// sees in full: a masked value ("1**********8") is neither an address
// nor a number, so it never becomes a link.
func contactHref(field, value string) template.URL {
	value = strings.TrimSpace(value)
	switch field {
	case "email":
		a, err := mail.ParseAddress(value)
		if err != nil || a.Name != "" || a.Address != value || strings.ContainsAny(value, "*?#") {
			return ""
		}
		return template.URL((&url.URL{Scheme: "mailto", Opaque: url.PathEscape(value)}).String())
	case "phone":
		var digits strings.Builder
		for i, r := range value {
			switch {
			case r >= '0' && r <= '9':
				digits.WriteRune(r)
			case r == '+' && i == 0:
				digits.WriteRune(r)
			case r == ' ' || r == '-' || r == '(' || r == ')' || r == '.':
			default:
				return "" // a mask or anything else: no link
			}
		}
		if n := strings.TrimPrefix(digits.String(), "+"); len(n) < 3 || len(n) > 15 {
			return ""
		}
		return template.URL("tel:" + digits.String())
	}
	return ""
}
