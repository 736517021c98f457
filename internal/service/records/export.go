package records

import (
	"bytes"
	"context"
	"encoding/csv"
	"fmt"
	"io"
	"strings"

	"strongroom.dev/strongroom/internal/audit"
	"strongroom.dev/strongroom/internal/authz"
	"strongroom.dev/strongroom/internal/crm"
	"strongroom.dev/strongroom/internal/errs"
	"strongroom.dev/strongroom/internal/service/core"
	"strongroom.dev/strongroom/internal/store"
)

// MaxExportRows bounds one export; a larger one must be narrowed.
const MaxExportRows = 100_000

// ExportCustomers writes the customers matching q that the actor may
// export to w as CSV: only the columns the actor may read, masked where
// masked. The export is audited with its row count and columns before a
// byte is written; values that a spreadsheet would run as a formula are
// prefixed with an apostrophe.
func (s *Customers) ExportCustomers(ctx context.Context, a authz.Actor, q CustomerQuery, w io.Writer) (int, error) {
	d := authz.Decide(a, authz.ActionExport, authz.Resource{Object: authz.ObjectCustomer})
	rd := authz.Decide(a, authz.ActionRead, authz.Resource{Object: authz.ObjectCustomer})
	if !d.Allowed || !rd.Allowed {
		return 0, errs.E(errs.Permission, "you may not export customers")
	}
	if err := s.c.RequireStepUp(a); err != nil {
		return 0, err
	}
	var fields []string
	for _, f := range crm.CustomerFields {
		if rd.Field(f.Name) >= authz.Masked {
			fields = append(fields, f.Name)
		}
	}
	q.Limit = core.MaxLimit
	f, reason, err := s.customerFilter(a, rd, q)
	if err != nil {
		return 0, err
	}
	var buf bytes.Buffer
	cw := csv.NewWriter(&buf)
	cw.Write(append([]string{"id", "owner_id"}, fields...))
	n := 0
	err = core.Change(ctx, s.c, exportStoreOf, func(tx exportStore) error {
		reads, exports := authz.NewDecisions(a, authz.ActionRead), authz.NewDecisions(a, authz.ActionExport)
		for {
			rows, err := tx.ListCustomers(ctx, f)
			if err != nil {
				return err
			}
			for _, row := range rows {
				rowD := reads.Decide(core.CustomerRes(row))
				if !rowD.Allowed || !exports.Decide(core.CustomerRes(row)).Allowed {
					continue
				}
				c, _, err := s.openCustomer(row, rowD)
				if err != nil {
					return err
				}
				rec := []string{c.ID, c.OwnerID}
				for _, name := range fields {
					rec = append(rec, SpreadsheetSafe(c.Fields[name]))
				}
				cw.Write(rec)
				if n++; n == s.c.BulkExport+1 { // before decrypting more: may this export be this large?
					if err := s.c.UseGrant(ctx, tx, a, core.KindBulkExport, core.BulkExportObject, "", fmt.Sprintf("exporting more than %d customers at once", s.c.BulkExport)); err != nil {
						return err
					}
				}
				if n > MaxExportRows {
					return errs.E(errs.TooLarge, fmt.Sprintf("the export has more than %d rows; narrow it with a filter", MaxExportRows))
				}
			}
			if len(rows) < f.Limit {
				break
			}
			last := rows[len(rows)-1]
			f.After = &store.Cursor{CreatedAt: last.CreatedAt, ID: last.ID}
		}
		cw.Flush()
		if err := cw.Error(); err != nil {
			return err
		}
		labels := make([]string, len(fields))
		for i, name := range fields {
			labels[i] = fieldLabel(name, rd.Field(name))
		}
		return s.c.Record(ctx, tx, a, "customer.export", "customer", "", labels, audit.Success, fmt.Sprintf("%s: %d rows", reason, n))
	})
	if err != nil {
		return 0, err
	}
	_, err = w.Write(buf.Bytes())
	return n, err
}

// SpreadsheetSafe defuses values a spreadsheet would evaluate (OWASP CSV
// injection): a leading = + - @ tab or carriage return gets an apostrophe.
func SpreadsheetSafe(v string) string {
	if v != "" && strings.ContainsRune("=+-@\t\r", rune(v[0])) {
		return "'" + v
	}
	return v
}

// exportStore is what the methods in export.go read and write.
type exportStore interface {
	audit.Appender
	core.GrantStore
	ListCustomers(ctx context.Context, f store.CustomerFilter) ([]store.CustomerRow, error)
}

// exportStoreOf is the compiler's check that the store has every method of exportStore.
func exportStoreOf(tx *store.Tx) exportStore { return tx }
