// Package crm holds Strongroom's domain types and their validation. It has
// no SQL and no HTTP.
package crm

import (
	"net/mail"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"strongroom.dev/strongroom/internal/errs"
)

// FieldClass is the data-protection class of a personal field.
type FieldClass string

const (
	ClassIdentity   FieldClass = "identity"
	ClassContact    FieldClass = "contact"
	ClassFinancial  FieldClass = "financial"
	ClassPreference FieldClass = "preference"
	ClassNotes      FieldClass = "notes"
	ClassSpecial    FieldClass = "special"
)

// Classes lists the field classes in display order.
var Classes = []FieldClass{ClassIdentity, ClassContact, ClassFinancial, ClassPreference, ClassNotes, ClassSpecial}

// Customer field names, as they appear in the API and the audit log.
const (
	FieldName       = "name"
	FieldEmail      = "email"
	FieldPhone      = "phone"
	FieldNationalID = "national_id"
	FieldNotes      = "notes"
	FieldAssessment = "assessment" // e.g. a counselling assessment: special category
	FieldTags       = "tags"       // comma-separated labels, e.g. "VIP, collector"
)

// CustomerFields lists every personal field of a customer with its class,
// in display order. It is the one place a customer field's class is set.
var CustomerFields = []struct {
	Name  string
	Class FieldClass
}{
	{FieldName, ClassIdentity},
	{FieldEmail, ClassContact},
	{FieldPhone, ClassContact},
	{FieldNationalID, ClassIdentity},
	{FieldNotes, ClassNotes},
	{FieldTags, ClassNotes},
	{FieldAssessment, ClassSpecial},
}

// ClassOf is the class of a customer field, or "" for an unknown one.
func ClassOf(field string) FieldClass {
	for _, f := range CustomerFields {
		if f.Name == field {
			return f.Class
		}
	}
	return ""
}

// Customer is a person the business holds data about.
type Customer struct {
	ID        string
	OwnerID   string
	OwnerTeam string            // the owner's team; decides team-scoped access
	CompanyID string            // the company (account or store) the person belongs to, if any
	Fields    map[string]string // personal fields by name; absent = not visible or empty
	CreatedAt time.Time
	UpdatedAt time.Time
}

// CustomerInput is a create or a partial update: a nil pointer leaves the
// field as it is; a pointer to "" clears it.
type CustomerInput struct {
	Fields    map[string]*string
	OwnerID   *string
	CompanyID *string // "" unlinks
	// SensitiveConsent records, with the change, the person's separate
	// consent to processing their sensitive information, which writing a
	// special-category field needs (PIPL Art. 29, GDPR Art. 9). Its
	// purpose is set to sensitive.
	SensitiveConsent *ConsentInput
}

// SetsSpecial reports whether in writes a special-category field.
func (in CustomerInput) SetsSpecial() bool {
	for name, v := range in.Fields {
		if v != nil && *v != "" && ClassOf(name) == ClassSpecial {
			return true
		}
	}
	return false
}

const (
	maxName  = 200
	maxEmail = 254
	maxNotes = 10000
)

// Normalise validates in and rewrites its values into their stored form
// (trimmed, canonical). create requires a name.
func (in *CustomerInput) Normalise(create bool) error {
	for name, v := range in.Fields {
		if v == nil {
			continue
		}
		n, err := normaliseField(name, *v)
		if err != nil {
			return err
		}
		in.Fields[name] = &n
	}
	if create {
		if v := in.Fields[FieldName]; v == nil || *v == "" {
			return errs.InvalidField(FieldName, "name is required")
		}
	} else if v, ok := in.Fields[FieldName]; ok && v != nil && *v == "" {
		return errs.InvalidField(FieldName, "name cannot be empty")
	}
	if in.OwnerID != nil && !ValidID(*in.OwnerID) {
		return errs.InvalidField("owner_id", "owner_id is not a valid user id")
	}
	if in.CompanyID != nil && *in.CompanyID != "" && !ValidID(*in.CompanyID) {
		return errs.InvalidField("company_id", "company_id is not a valid company id")
	}
	return nil
}

func normaliseField(name, v string) (string, error) {
	switch name {
	case FieldName:
		return Label(name, v, maxName)
	case FieldEmail:
		return NormaliseEmail(v)
	case FieldPhone:
		return NormalisePhone(v)
	case FieldNationalID:
		return NormaliseNationalID(v)
	case FieldTags:
		return NormaliseTags(v)
	case FieldNotes, FieldAssessment:
		return FreeText(name, v, maxNotes)
	}
	return "", errs.InvalidField(name, "unknown field "+name)
}

// NormaliseTags cleans a comma-separated tag list: trimmed, de-duplicated
// (case-insensitively), in the order given, each 1 to 40 characters, at
// most 20 tags, joined as "a, b".
func NormaliseTags(v string) (string, error) {
	seen := map[string]bool{}
	var out []string
	for _, t := range strings.FieldsFunc(v, func(r rune) bool { return r == ',' || r == '，' || r == ';' }) {
		t, err := Label(FieldTags, t, 0)
		if err != nil {
			return "", err
		}
		if t == "" || seen[strings.ToLower(t)] {
			continue
		}
		if utf8.RuneCountInString(t) > 40 {
			return "", errs.InvalidField(FieldTags, "a tag is at most 40 characters")
		}
		seen[strings.ToLower(t)] = true
		out = append(out, t)
	}
	if len(out) > 20 {
		return "", errs.InvalidField(FieldTags, "at most 20 tags")
	}
	return strings.Join(out, ", "), nil
}

// Tags splits a normalised tag list.
func Tags(v string) []string {
	if v == "" {
		return nil
	}
	return strings.Split(v, ", ")
}

// NormaliseEmail checks an email address and lower-cases it.
func NormaliseEmail(v string) (string, error) {
	v, err := Label(FieldEmail, v, maxEmail)
	if err != nil {
		return "", err
	}
	v = strings.ToLower(v)
	if v == "" {
		return "", nil
	}
	addr, err := mail.ParseAddress(v)
	if err != nil || addr.Address != v || len(v) > maxEmail || !strings.Contains(v[strings.LastIndexByte(v, '@')+1:], ".") {
		return "", errs.InvalidField(FieldEmail, "email is not a valid address (like name@example.com)")
	}
	return v, nil
}

// NormalisePhone keeps a leading + and the digits; separators are dropped.
func NormalisePhone(v string) (string, error) {
	v, err := Label(FieldPhone, v, 0)
	if err != nil {
		return "", err
	}
	if v == "" {
		return "", nil
	}
	var b strings.Builder
	for i, r := range v {
		switch {
		case r >= '0' && r <= '9':
			b.WriteRune(r)
		case r == '+' && i == 0:
			b.WriteRune(r)
		case r == ' ' || r == '-' || r == '(' || r == ')' || r == '.':
		default:
			return "", errs.InvalidField(FieldPhone, "phone may hold only digits, a leading +, spaces, dashes, dots and brackets")
		}
	}
	n := b.String()
	digits := len(strings.TrimPrefix(n, "+"))
	if digits < 5 || digits > 20 {
		return "", errs.InvalidField(FieldPhone, "phone must have between 5 and 20 digits")
	}
	return n, nil
}

// NormaliseNationalID upper-cases an identity document number and drops
// spaces and dashes.
func NormaliseNationalID(v string) (string, error) {
	v, err := Label(FieldNationalID, v, 0)
	if err != nil {
		return "", err
	}
	var b strings.Builder
	for _, r := range v {
		switch {
		case r >= '0' && r <= '9', r >= 'A' && r <= 'Z':
			b.WriteRune(r)
		case r >= 'a' && r <= 'z':
			b.WriteRune(unicode.ToUpper(r))
		case r == ' ' || r == '-':
		default:
			return "", errs.InvalidField(FieldNationalID, "national_id may hold only letters, digits, spaces and dashes")
		}
	}
	n := b.String()
	if n != "" && (len(n) < 4 || len(n) > 32) {
		return "", errs.InvalidField(FieldNationalID, "national_id must have between 4 and 32 letters or digits")
	}
	return n, nil
}
