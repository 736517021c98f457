package privacy

import (
	"context"
	"fmt"
	"time"

	"strongroom.dev/strongroom/internal/audit"
	"strongroom.dev/strongroom/internal/authz"
	"strongroom.dev/strongroom/internal/crm"
	"strongroom.dev/strongroom/internal/errs"
	"strongroom.dev/strongroom/internal/service/core"
	"strongroom.dev/strongroom/internal/store"
)

// Minimisation is the data-minimisation report (GDPR Art. 5(1)(c), PIPL
// Art. 6): which customer fields are filled but never read, which fields
// each industry template collects, and what each role can see of each.
type Minimisation struct{ c *core.Core }

// NewMinimisation returns the minimisation report over c.
func NewMinimisation(c *core.Core) *Minimisation { return &Minimisation{c: c} }

// MinimisationReport is the report. It holds counts and the rules, never
// personal data.
type MinimisationReport struct {
	Days      int
	Since     time.Time
	Fields    []FieldUse
	Templates []TemplateFields
	Roles     []RoleFields
}

// FieldUse is one customer field: how many customers have it filled, how
// many records it was shown for in full or masked in the period (reads,
// reveals, exports, from the audit log), and whether it is filled but was
// never shown: a field to stop collecting, or to erase.
type FieldUse struct {
	Field       string
	Class       crm.FieldClass
	Filled      int64
	Shown       int64
	Masked      int64
	NeverShown  bool // filled by someone, shown to no one in the period
	Special     bool // a special category (sensitive personal information)
	CollectedBy int  // how many of the roles listed may write it
}

// FieldLevel is what a role (or a template's roles together) has on one
// customer field: hidden, masked, read or write, and whether it may
// reveal it when masked.
type FieldLevel struct {
	Field  string
	Level  string
	Reveal bool
}

// TemplateFields is what an industry template's roles together see of a
// customer, and which fields they collect (may write).
type TemplateFields struct {
	Name     string
	Title    string
	Fields   []FieldLevel
	Collects []string
}

// RoleFields is what one role sees of each customer field.
type RoleFields struct {
	Role    string
	BuiltIn bool
	Fields  []FieldLevel
}

// Report builds the report over the last days days (default 90, at most
// 3650). For those who read the privacy centre (the privacy officer,
// administrators, auditors). Audited (privacy.minimisation).
func (s *Minimisation) Report(ctx context.Context, a authz.Actor, days int) (MinimisationReport, error) {
	if err := core.May(a, authz.ActionRead, authz.ObjectPrivacy, "you may not read the minimisation report"); err != nil {
		return MinimisationReport{}, err
	}
	switch {
	case days == 0:
		days = 90
	case days < 1 || days > 3650:
		return MinimisationReport{}, errs.InvalidField("days", "days is 1 to 3650")
	}
	out := MinimisationReport{Days: days, Since: s.c.Now().AddDate(0, 0, -days)}
	var defined []authz.RoleDef
	err := core.Change(ctx, s.c, minimisationStoreOf, func(tx minimisationStore) error {
		use, err := tx.FieldUse(ctx, out.Since)
		if err != nil {
			return err
		}
		rows, err := tx.ListRoles(ctx)
		if err != nil {
			return err
		}
		for _, r := range rows {
			if r.Retired {
				continue
			}
			d, err := core.RoleFromRow(r)
			if err != nil {
				return err
			}
			defined = append(defined, d)
		}
		for _, u := range use {
			out.Fields = append(out.Fields, FieldUse{Field: u.Field, Class: crm.ClassOf(u.Field), Filled: u.Filled, Shown: u.Shown, Masked: u.Masked,
				NeverShown: u.Filled > 0 && u.Shown+u.Masked == 0, Special: crm.ClassOf(u.Field) == crm.ClassSpecial})
		}
		never := 0
		for _, f := range out.Fields {
			if f.NeverShown {
				never++
			}
		}
		return s.c.Record(ctx, tx, a, "privacy.minimisation", "privacy", "", nil, audit.Success,
			fmt.Sprintf("%d days: %d fields filled but never shown", days, never))
	})
	if err != nil {
		return out, err
	}
	for _, r := range authz.Roles {
		out.Roles = append(out.Roles, RoleFields{Role: string(r), BuiltIn: true, Fields: customerLevels(authz.Actor{Roles: []authz.Role{r}})})
	}
	for _, d := range defined {
		out.Roles = append(out.Roles, RoleFields{Role: string(d.Name), Fields: customerLevels(authz.Actor{Roles: []authz.Role{d.Name},
			Defined: map[authz.Role]map[authz.Object]authz.Grant{d.Name: d.Grants}})})
	}
	for i, f := range out.Fields {
		for _, r := range out.Roles {
			for _, l := range r.Fields {
				if l.Field == f.Field && l.Level == authz.Write.String() {
					out.Fields[i].CollectedBy++
				}
			}
		}
	}
	for _, t := range authz.Templates {
		act := authz.Actor{Defined: map[authz.Role]map[authz.Object]authz.Grant{}}
		for _, r := range t.Roles {
			act.Roles = append(act.Roles, r.Name)
			act.Defined[r.Name] = r.Grants
		}
		tf := TemplateFields{Name: t.Name, Title: t.Title, Fields: customerLevels(act)}
		for _, l := range tf.Fields {
			if l.Level == authz.Write.String() {
				tf.Collects = append(tf.Collects, l.Field)
			}
		}
		out.Templates = append(out.Templates, tf)
	}
	return out, nil
}

// customerLevels is what a sees of each customer field, from
// authz.Explain (so it never disagrees with the decisions): hidden for
// every field when a may not read customers at all.
func customerLevels(a authz.Actor) []FieldLevel {
	var out []FieldLevel
	for _, oa := range authz.Explain(a) {
		if oa.Object != authz.ObjectCustomer {
			continue
		}
		for _, f := range oa.Fields {
			out = append(out, FieldLevel{Field: f.Field, Level: f.Level.String(), Reveal: len(f.RevealBy) > 0})
		}
	}
	if out == nil {
		for _, f := range crm.CustomerFields {
			out = append(out, FieldLevel{Field: f.Name, Level: authz.Hidden.String()})
		}
	}
	return out
}

// minimisationStore is what the methods in minimisation.go read and write.
type minimisationStore interface {
	audit.Appender
	FieldUse(ctx context.Context, since time.Time) ([]store.FieldUse, error)
	ListRoles(ctx context.Context) ([]store.RoleRow, error)
}

// minimisationStoreOf is the compiler's check that the store has every method of minimisationStore.
func minimisationStoreOf(tx *store.Tx) minimisationStore { return tx }
