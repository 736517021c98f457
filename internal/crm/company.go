package crm

import (
	"time"

	"strongroom.dev/strongroom/internal/errs"
)

// Company field names.
const (
	CompanyName    = "name"
	CompanyAddress = "address"
	CompanyPhone   = "phone"
	CompanyNotes   = "notes"
	CompanyTags    = "tags"
)

// CompanyFields lists every sealed field of a company with its class.
var CompanyFields = []struct {
	Name  string
	Class FieldClass
}{
	{CompanyName, ClassIdentity},
	{CompanyAddress, ClassContact},
	{CompanyPhone, ClassContact},
	{CompanyNotes, ClassNotes},
	{CompanyTags, ClassNotes},
}

// Company is an account; a store (visited by field reps) is a company
// with an address.
type Company struct {
	ID        string
	OwnerID   string
	OwnerTeam string
	IsStore   bool
	Fields    map[string]string
	CreatedAt time.Time
	UpdatedAt time.Time
}

// CompanyInput is a create or partial update, like CustomerInput.
type CompanyInput struct {
	Fields  map[string]*string
	IsStore *bool
	OwnerID *string
}

// Normalise validates in; create requires a name, and a store an address.
func (in *CompanyInput) Normalise(create bool) error {
	for name, v := range in.Fields {
		if v == nil {
			continue
		}
		var n string
		var err error
		switch name {
		case CompanyName, CompanyAddress:
			n, err = Label(name, *v, 300)
		case CompanyPhone:
			n, err = NormalisePhone(*v)
		case CompanyTags:
			n, err = NormaliseTags(*v)
		case CompanyNotes:
			n, err = FreeText(name, *v, maxNotes)
		default:
			err = errs.InvalidField(name, "unknown field "+name)
		}
		if err != nil {
			return err
		}
		in.Fields[name] = &n
	}
	if v, ok := in.Fields[CompanyName]; (create && (!ok || v == nil || *v == "")) || (ok && v != nil && *v == "") {
		return errs.InvalidField(CompanyName, "name is required")
	}
	if create && in.IsStore != nil && *in.IsStore {
		if v := in.Fields[CompanyAddress]; v == nil || *v == "" {
			return errs.InvalidField(CompanyAddress, "a store needs an address")
		}
	}
	if in.OwnerID != nil && !ValidID(*in.OwnerID) {
		return errs.InvalidField("owner_id", "owner_id is not a valid user id")
	}
	return nil
}
