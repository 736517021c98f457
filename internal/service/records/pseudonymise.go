package records

import (
	"archive/zip"
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"strconv"
	"time"

	"strongroom.dev/strongroom/internal/audit"
	"strongroom.dev/strongroom/internal/authz"
	"strongroom.dev/strongroom/internal/crm"
	"strongroom.dev/strongroom/internal/errs"
	"strongroom.dev/strongroom/internal/privacy"
	"strongroom.dev/strongroom/internal/service/core"
	"strongroom.dev/strongroom/internal/store"
)

// PseudonymInput asks for a pseudonymised export: who receives it (their
// tokens are their own) and the k-anonymity it must reach (at least the
// server's --min-k).
type PseudonymInput struct {
	Recipient string
	K         int
}

// PseudonymReport says what a pseudonymised export holds and how it was
// made; it goes into the zip as report.json and into the audit event.
type PseudonymReport struct {
	Recipient      string    `json:"recipient"`
	At             time.Time `json:"at"`
	Rows           int       `json:"rows"`
	KRequired      int       `json:"k_required"`
	K              int       `json:"k"`
	Level          int       `json:"generalisation_level"`
	Generalisation string    `json:"generalisation"`
	Columns        []string  `json:"columns"`
	Removed        []string  `json:"direct_identifiers_removed"`
	DerivedFrom    []string  `json:"quasi_identifiers_derived_from"`
	Method         string    `json:"method"`
}

// pseudonymMethod is how the tokens are made, for the report.
const pseudonymMethod = "pseudonym: HMAC-SHA256 of the customer id under a key derived from the master key for this recipient (HKDF), first 128 bits; stable across exports to the same recipient, different for every other, not reversible without the master key. Quasi-identifiers generalised on the ladder until every group of identical quasi-identifiers holds at least k people (k-anonymity); purchases is the analysed value and is not generalised."

// PseudonymisedExport writes a zip for analysis or sharing to w: one row
// per customer the actor may export, with no direct identifier (name,
// email, phone, national id, notes, assessment and tags are left out), a
// keyed token in place of the id, and the quasi-identifiers (age band and
// province from the national id, country from the phone, month the
// customer joined) generalised up the ladder until the export is k-
// anonymous for the k asked (at least the server's). It is refused when
// no level reaches k. Quasi-identifiers come only from fields the actor
// may read in full. Like any export it needs a fresh step-up and, past
// --bulk-export-rows, an approval; audited (customer.pseudonymised_export)
// with the report, before a byte is written.
func (s *Customers) PseudonymisedExport(ctx context.Context, a authz.Actor, in PseudonymInput, w io.Writer) (PseudonymReport, error) {
	d := authz.Decide(a, authz.ActionExport, authz.Resource{Object: authz.ObjectCustomer})
	rd := authz.Decide(a, authz.ActionRead, authz.Resource{Object: authz.ObjectCustomer})
	if !d.Allowed || !rd.Allowed {
		return PseudonymReport{}, errs.E(errs.Permission, "you may not export customers")
	}
	recipient, err := crm.Label("recipient", in.Recipient, 100)
	if err != nil {
		return PseudonymReport{}, err
	}
	if recipient == "" {
		return PseudonymReport{}, errs.InvalidField("recipient", "name who receives the export: their tokens are their own")
	}
	if in.K > 1000 {
		return PseudonymReport{}, errs.InvalidField("k", "k is at most 1000")
	}
	if err := s.c.RequireStepUp(a); err != nil {
		return PseudonymReport{}, err
	}
	now := s.c.Now()
	rep := PseudonymReport{Recipient: recipient, At: now, KRequired: max(in.K, s.c.MinK), Method: pseudonymMethod,
		Columns: append(append([]string{"pseudonym"}, privacy.QuasiColumns...), "purchases"),
		Removed: []string{crm.FieldName, crm.FieldEmail, crm.FieldPhone, crm.FieldNationalID, crm.FieldNotes, crm.FieldAssessment, crm.FieldTags}}
	fromID, fromPhone := rd.Field(crm.FieldNationalID) >= authz.Read, rd.Field(crm.FieldPhone) >= authz.Read
	if fromID {
		rep.DerivedFrom = append(rep.DerivedFrom, crm.FieldNationalID+" (age band, province)")
	}
	if fromPhone {
		rep.DerivedFrom = append(rep.DerivedFrom, crm.FieldPhone+" (country)")
	}
	rep.DerivedFrom = append(rep.DerivedFrom, "created_at (customer since)")
	key := s.c.Keys.DeriveKey("pseudonym/" + recipient)
	var ids []string
	var people []privacy.Quasi
	var purchases map[string]int
	err = core.Change(ctx, s.c, pseudonymStoreOf, func(tx pseudonymStore) error {
		f, _, err := s.customerFilter(a, rd, CustomerQuery{Limit: core.MaxLimit})
		if err != nil {
			return err
		}
		purchases = map[string]int{}
		reads, exports := authz.NewDecisions(a, authz.ActionRead), authz.NewDecisions(a, authz.ActionExport)
		for {
			rows, err := tx.ListCustomers(ctx, f)
			if err != nil {
				return err
			}
			var page []string
			for _, row := range rows {
				rowD := reads.Decide(core.CustomerRes(row))
				if !rowD.Allowed || !exports.Decide(core.CustomerRes(row)).Allowed {
					continue
				}
				c, _, err := s.openCustomer(row, rowD)
				if err != nil {
					return err
				}
				q := privacy.Quasi{Since: row.CreatedAt}
				if fromID && rowD.Field(crm.FieldNationalID) >= authz.Read {
					if birth, province, ok := privacy.FromNationalID(c.Fields[crm.FieldNationalID]); ok {
						q.Birth, q.Region, q.Country = birth, province, "CN"
					}
				}
				if fromPhone && q.Country == "" && rowD.Field(crm.FieldPhone) >= authz.Read {
					q.Country = privacy.CountryOfPhone(c.Fields[crm.FieldPhone])
				}
				ids, people, page = append(ids, row.ID), append(people, q), append(page, row.ID)
				if len(ids) == s.c.BulkExport+1 {
					if err := s.c.UseGrant(ctx, tx, a, core.KindBulkExport, core.BulkExportObject, "", fmt.Sprintf("exporting more than %d customers at once", s.c.BulkExport)); err != nil {
						return err
					}
				}
				if len(ids) > MaxExportRows {
					return errs.E(errs.TooLarge, fmt.Sprintf("the export has more than %d rows", MaxExportRows))
				}
			}
			counts, err := tx.PurchaseCounts(ctx, page)
			if err != nil {
				return err
			}
			for id, n := range counts {
				purchases[id] = n
			}
			if len(rows) < f.Limit {
				break
			}
			last := rows[len(rows)-1]
			f.After = &store.Cursor{CreatedAt: last.CreatedAt, ID: last.ID}
		}
		rep.Rows = len(ids)
		level, k, ok := privacy.Ladder(people, rep.KRequired, now)
		rep.Level, rep.K, rep.Generalisation = level, k, privacy.Levels[level]
		if !ok {
			why := fmt.Sprintf("for %s: refused, %d rows reach k=%d, below %d", recipient, rep.Rows, k, rep.KRequired)
			if err := s.c.Record(ctx, tx, a, "customer.pseudonymised_export", "customer", "", nil, audit.Denied, why); err != nil {
				return err
			}
			return core.Keeping(errs.E(errs.Conflict, fmt.Sprintf("the export would hold %d people, fewer than k=%d even with every quasi-identifier suppressed: it would not be k-anonymous", rep.Rows, rep.KRequired)))
		}
		return s.c.Record(ctx, tx, a, "customer.pseudonymised_export", "customer", "", rep.DerivedFrom, audit.Success,
			fmt.Sprintf("for %s: %d rows, k=%d (required %d) at level %d (%s)", recipient, rep.Rows, rep.K, rep.KRequired, rep.Level, rep.Generalisation))
	})
	if err != nil {
		return rep, err
	}
	var data bytes.Buffer
	cw := csv.NewWriter(&data)
	cw.Write(rep.Columns)
	for i, id := range ids {
		cw.Write(append(append([]string{privacy.Pseudonym(key, id)}, privacy.Generalise(people[i], rep.Level, now)...), strconv.Itoa(purchases[id])))
	}
	cw.Flush()
	if err := cw.Error(); err != nil {
		return rep, err
	}
	report, err := json.MarshalIndent(rep, "", "  ")
	if err != nil {
		return rep, err
	}
	zw := zip.NewWriter(w)
	for _, f := range []struct {
		name string
		body []byte
	}{{"pseudonymised.csv", data.Bytes()}, {"report.json", report}} {
		fw, err := zw.CreateHeader(&zip.FileHeader{Name: f.name, Method: zip.Deflate, Modified: now})
		if err != nil {
			return rep, err
		}
		if _, err := fw.Write(f.body); err != nil {
			return rep, err
		}
	}
	return rep, zw.Close()
}

// pseudonymStore is what the methods in pseudonymise.go read and write.
type pseudonymStore interface {
	exportStore
	PurchaseCounts(ctx context.Context, ids []string) (map[string]int, error)
}

// pseudonymStoreOf is the compiler's check that the store has every method of pseudonymStore.
func pseudonymStoreOf(tx *store.Tx) pseudonymStore { return tx }
