package service

import (
	"context"
	"strings"
	"unicode/utf8"

	"strongroom.dev/strongroom/internal/audit"
	"strongroom.dev/strongroom/internal/authz"
	"strongroom.dev/strongroom/internal/crm"
	"strongroom.dev/strongroom/internal/errs"
	"strongroom.dev/strongroom/internal/fieldcrypt"
	"strongroom.dev/strongroom/internal/store"
)

// RevealCustomerField shows one field of one customer in full to a role
// that sees it masked but may reveal it. The reason is required and kept
// in the audit event with the field's name.
func (s *Service) RevealCustomerField(ctx context.Context, a authz.Actor, id, field, reason string) (string, error) {
	if !crm.ValidID(id) {
		return "", errCustomerNotFound
	}
	if crm.ClassOf(field) == "" {
		return "", errs.InvalidField("field", "unknown field "+field)
	}
	reason, err := crm.FreeText("reason", reason, 0)
	if err != nil {
		return "", err
	}
	reason = strings.Join(strings.Fields(reason), " ")
	if n := utf8.RuneCountInString(reason); n < 5 || n > 200 {
		return "", errs.InvalidField("reason", "give a reason of 5 to 200 characters; it is kept in the audit log")
	}
	var value string
	denied := false
	err = s.db.WithTx(ctx, func(tx *store.Tx) error {
		row, isDenied, err := s.customerInScope(ctx, tx, a, id, "customer.reveal")
		if denied = isDenied; err != nil || denied {
			return err
		}
		if authz.Decide(a, authz.ActionReveal, customerRes(row)).Field(field) < authz.Read {
			return errs.E(errs.Permission, "you may not reveal "+field)
		}
		if err := s.requireStepUp(a); err != nil {
			return err
		}
		if err := s.useGrantedReveal(ctx, tx, a, id, field); err != nil {
			return err
		}
		key, err := s.openKey(row)
		if err != nil {
			return err
		}
		if value, err = fieldcrypt.Open(key, customerPlace(id, field), row.Sealed[field]); err != nil {
			return errs.Wrap(errs.Internal, "service.RevealCustomerField", "", err)
		}
		return s.record(ctx, tx, a, "customer.reveal", "customer", id, []string{field}, audit.Success, reason)
	})
	if err == nil && denied {
		err = errCustomerNotFound
	}
	if err != nil {
		return "", err
	}
	return value, nil
}
