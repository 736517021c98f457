package records

import (
	"archive/zip"
	"bytes"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"sort"
	"strings"
	"time"
)

// SubjectZip writes a subject export as a zip: data.json with all of it,
// and a CSV per kind of record (values a spreadsheet would run are
// defused).
func SubjectZip(d SubjectData) ([]byte, error) {
	var buf bytes.Buffer
	z := zip.NewWriter(&buf)
	j, err := z.Create("data.json")
	if err != nil {
		return nil, err
	}
	enc := json.NewEncoder(j)
	enc.SetIndent("", "  ")
	if err := enc.Encode(d); err != nil {
		return nil, err
	}
	fields := make([]string, 0, len(d.Customer.Fields))
	for k := range d.Customer.Fields {
		fields = append(fields, k)
	}
	sort.Strings(fields)
	customer := [][]string{{"field", "value"}, {"id", d.Customer.ID}}
	for _, f := range fields {
		customer = append(customer, []string{f, d.Customer.Fields[f]})
	}
	type csvFile struct {
		name string
		rows [][]string
	}
	tables := []csvFile{{"customer.csv", customer}}
	act := [][]string{{"id", "kind", "subject", "body", "created_at"}}
	for _, x := range d.Activities {
		act = append(act, []string{x.ID, x.Kind, x.Subject, x.Body, x.CreatedAt.Format(time.RFC3339)})
	}
	deals := [][]string{{"id", "title", "stage", "currency", "amount"}}
	for _, x := range d.Deals {
		amount := ""
		if x.Amount != nil {
			amount = fmt.Sprint(*x.Amount)
		}
		deals = append(deals, []string{x.ID, x.Title, x.Stage, x.Currency, amount})
	}
	tx := [][]string{{"id", "kind", "status", "occurred_on", "currency", "amount", "reference", "description"}}
	for _, x := range d.Purchases {
		tx = append(tx, []string{x.ID, x.Kind, x.Status, x.OccurredOn, x.Currency, fmt.Sprint(x.Amount), x.Reference, x.Description})
	}
	consents := [][]string{{"id", "purpose", "basis", "notice_version", "channel", "given_at", "withdrawn_at", "guardian"}}
	for _, x := range d.Consents {
		withdrawn := ""
		if !x.WithdrawnAt.IsZero() {
			withdrawn = x.WithdrawnAt.Format(time.RFC3339)
		}
		consents = append(consents, []string{x.ID, x.Purpose, x.Basis, fmt.Sprint(x.NoticeVersion), x.Channel, x.GivenAt.Format(time.RFC3339), withdrawn, x.GuardianName})
	}
	accesses := [][]string{{"at", "staff", "action", "fields", "outcome", "reason"}}
	for _, x := range d.Accesses {
		accesses = append(accesses, []string{x.At.Format(time.RFC3339), x.ActorID, x.Action, strings.Join(x.Fields, " "), x.Outcome, x.Reason})
	}
	tables = append(tables, csvFile{"activities.csv", act}, csvFile{"deals.csv", deals}, csvFile{"purchases.csv", tx},
		csvFile{"consents.csv", consents}, csvFile{"staff-accesses.csv", accesses})
	for _, t := range tables {
		f, err := z.Create(t.name)
		if err != nil {
			return nil, err
		}
		cw := csv.NewWriter(f)
		for _, row := range t.rows {
			safe := make([]string, len(row))
			for i, v := range row {
				safe[i] = SpreadsheetSafe(v)
			}
			cw.Write(safe)
		}
		cw.Flush()
		if err := cw.Error(); err != nil {
			return nil, err
		}
	}
	if err := z.Close(); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}
