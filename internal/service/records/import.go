package records

import (
	"context"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"runtime"
	"strings"
	"sync/atomic"

	"strongroom.dev/strongroom/internal/audit"
	"strongroom.dev/strongroom/internal/authz"
	"strongroom.dev/strongroom/internal/crm"
	"strongroom.dev/strongroom/internal/errs"
	"strongroom.dev/strongroom/internal/fieldcrypt"
	"strongroom.dev/strongroom/internal/service/core"
	"strongroom.dev/strongroom/internal/store"
)

// Import targets besides the customer fields: a first and a last name
// column are joined into the name.
const (
	importFirstName = "first_name"
	importLastName  = "last_name"
)

// importAliases are the column headers recognised for each target, in
// order of preference: Strongroom's own, Salesforce contact exports
// (labels and API names) and HubSpot contact exports.
var importAliases = []struct {
	target  string
	headers []string
}{
	{crm.FieldName, []string{"name", "full name", "contact name", "full_name"}},
	{importFirstName, []string{"first name", "firstname", "first_name", "given name"}},
	{importLastName, []string{"last name", "lastname", "last_name", "surname", "family name"}},
	{crm.FieldEmail, []string{"email", "email address", "e-mail", "e-mail address"}},
	{crm.FieldPhone, []string{"phone", "phone number", "business phone", "mobile", "mobile phone", "mobilephone", "mobile phone number"}},
	{crm.FieldNationalID, []string{"national_id", "national id", "id number"}},
	{crm.FieldNotes, []string{"notes", "description", "note"}},
}

// ImportOptions control an import.
type ImportOptions struct {
	// Mapping maps a target (a customer field, or first_name/last_name) to
	// a column header. Empty: detect from the headers.
	Mapping map[string]string
	DryRun  bool // check and report; store nothing
	Partial bool // store the valid rows even if others are invalid (default: all or nothing)
	// OwnerID imports the customers for another owner (a role that may
	// create customers for others); empty: the importer owns them.
	OwnerID string
}

// ImportProblem is one row's problem.
type ImportProblem struct {
	Row     int    `json:"row"` // line in the file; the header is line 1
	Field   string `json:"field,omitempty"`
	Message string `json:"message"`
}

// ImportReport says what an import found and did.
type ImportReport struct {
	Columns    map[string]string `json:"columns"` // target -> column header used
	Rows       int               `json:"rows"`
	Valid      int               `json:"valid"`
	Created    int               `json:"created"`
	Duplicates []ImportProblem   `json:"duplicates"`
	Invalid    int               `json:"invalid"`
	Problems   []ImportProblem   `json:"problems"` // the first maxProblems
	DryRun     bool              `json:"dry_run"`
	Imported   bool              `json:"imported"` // at least one customer was stored
}

const (
	maxImportRows = 500_000
	maxProblems   = 1000
)

type importRow struct {
	line int
	c    crm.Customer
	// email and phone are the blind indexes that duplicates are found by;
	// fields names the fields the row sets, for its create event.
	email, phone []byte
	fields       []string
}

// importChunk is how many rows are sealed and inserted at a time: the
// next chunk is sealed while the writer inserts this one, and a sealed row
// lives only until its chunk is stored.
const importChunk = 1000

// ImportCustomers reads customers from CSV r. Every row is validated and
// normalised like a single create; rows whose email or phone is already
// held (in the file, or by a customer in the actor's scope) are skipped
// as duplicates. By default one invalid row means nothing is stored.
// Each created customer gets its own data key and a create event; the
// import itself is audited with its counts, also when nothing is stored.
func (s *Customers) ImportCustomers(ctx context.Context, a authz.Actor, r io.Reader, opt ImportOptions) (ImportReport, error) {
	rep := ImportReport{DryRun: opt.DryRun, Duplicates: []ImportProblem{}, Problems: []ImportProblem{}}
	var ownerID *string
	if opt.OwnerID != "" {
		ownerID = &opt.OwnerID
	}
	owner, team, d, err := s.placeNew(ctx, a, authz.ObjectCustomer, ownerID)
	if err != nil {
		return rep, err
	}
	if !d.Allowed {
		return rep, errs.E(errs.Permission, "you may not create customers")
	}
	cr := csv.NewReader(r)
	cr.FieldsPerRecord = -1
	cr.ReuseRecord = true
	header, err := cr.Read()
	if err != nil {
		return rep, errs.E(errs.Invalid, "the file is not CSV with a header row")
	}
	cols, err := importColumns(header, opt.Mapping)
	if err != nil {
		return rep, err
	}
	rep.Columns = map[string]string{}
	for target, i := range cols {
		rep.Columns[target] = strings.TrimSpace(strings.TrimPrefix(header[i], "\ufeff"))
		if f := fieldOf(target); d.Field(f) < authz.Write {
			return rep, errs.InvalidField(f, "you may not set "+f+"; leave its column out of the mapping")
		}
	}

	problem := func(p ImportProblem) {
		rep.Invalid++
		if len(rep.Problems) < maxProblems {
			rep.Problems = append(rep.Problems, p)
		}
	}
	var rows []importRow
	seen := map[string]int{} // blind index -> line, for duplicates within the file
	fieldSets := fieldSets{}
	now := s.c.Now()
	for line := 2; ; line++ {
		rec, err := cr.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		var pe *csv.ParseError
		if errors.As(err, &pe) {
			problem(ImportProblem{Row: line, Message: "not valid CSV: " + pe.Err.Error()})
			if pe.Err != csv.ErrFieldCount {
				break // the rest of the file cannot be trusted to line up
			}
			continue
		}
		if err != nil {
			return rep, errs.Wrap(errs.Invalid, "service.ImportCustomers", "the file could not be read", err)
		}
		rep.Rows++
		if rep.Rows > maxImportRows {
			return rep, errs.E(errs.TooLarge, fmt.Sprintf("the file has more than %d rows; split it", maxImportRows))
		}
		in := importInput(rec, cols)
		if err := in.Normalise(true); err != nil {
			msg, field := errs.Public(err)
			problem(ImportProblem{Row: line, Field: field, Message: msg})
			continue
		}
		c := crm.Customer{ID: crm.NewID("cus"), OwnerID: owner, OwnerTeam: team, Fields: map[string]string{}, CreatedAt: now, UpdatedAt: now}
		for name, v := range in.Fields {
			if v != nil && *v != "" {
				c.Fields[name] = *v
			}
		}
		ir := importRow{line: line, c: c, fields: fieldSets.of(c.Fields)}
		if dup := s.duplicateInFile(&ir, seen); dup != "" {
			rep.Duplicates = append(rep.Duplicates, ImportProblem{Row: line, Message: dup})
			continue
		}
		rows = append(rows, ir)
	}
	scopeOwner := ""
	if d.Scope == authz.ScopeOwn {
		scopeOwner = a.UserID
	}

	err = core.Change(ctx, s.c, importStoreOf, func(tx importStore) error {
		kept, err := s.dropExisting(ctx, tx, rows, scopeOwner, &rep)
		if err != nil {
			return err
		}
		rep.Valid = len(kept)
		summary := fmt.Sprintf("rows %d, valid %d, duplicates %d, invalid %d", rep.Rows, rep.Valid, len(rep.Duplicates), rep.Invalid)
		switch {
		case opt.DryRun:
			return s.c.Record(ctx, tx, a, "customer.import", "customer", "", nil, audit.Success, "dry run: "+summary)
		case rep.Invalid > 0 && !opt.Partial:
			return s.c.Record(ctx, tx, a, "customer.import", "customer", "", nil, audit.Failure, "nothing stored (all or nothing): "+summary)
		case len(kept) == 0:
			return s.c.Record(ctx, tx, a, "customer.import", "customer", "", nil, audit.Success, "nothing new: "+summary)
		}
		if err := s.insertSealed(ctx, tx, kept); err != nil {
			return err
		}
		created := make([]core.Shown, 0, len(kept))
		for _, ir := range kept {
			created = append(created, core.Shown{ID: ir.c.ID, Fields: ir.fields})
		}
		rep.Created, rep.Imported = len(kept), true
		events := core.GroupEvents(a, "customer.create", "customer", "import", created)
		events = append(events, core.Event(a, "customer.import", "customer", "", nil, audit.Success, fmt.Sprintf("created %d; %s", len(kept), summary)))
		return s.c.Append(ctx, tx, events...)
	})
	if err != nil {
		return ImportReport{}, err
	}
	if rep.Created >= analyzeAfter {
		// The rows are stored; if the statistics cannot be refreshed now,
		// autovacuum refreshes them later.
		_ = s.c.DB.AnalyzeCustomers(ctx)
	}
	return rep, nil
}

// analyzeAfter is the import from which the database's statistics are
// refreshed at once (store.AnalyzeCustomers).
const analyzeAfter = 1000

func fieldOf(target string) string {
	if target == importFirstName || target == importLastName {
		return crm.FieldName
	}
	return target
}

// importColumns resolves targets to column indexes, from an explicit
// mapping or by recognising headers.
func importColumns(header []string, mapping map[string]string) (map[string]int, error) {
	index := map[string]int{}
	for i, h := range header {
		h = strings.ToLower(strings.TrimSpace(strings.TrimPrefix(h, "\ufeff")))
		if _, dup := index[h]; !dup {
			index[h] = i
		}
	}
	cols := map[string]int{}
	if len(mapping) > 0 {
		for target, col := range mapping {
			if fieldOf(target) == target {
				if _, ok := store.CustomerColumns[target]; !ok {
					return nil, errs.InvalidField("mapping", fmt.Sprintf("unknown field %q; map name, first_name, last_name, email, phone, national_id or notes", target))
				}
			}
			i, ok := index[strings.ToLower(strings.TrimSpace(col))]
			if !ok {
				return nil, errs.InvalidField("mapping", fmt.Sprintf("the file has no column %q", col))
			}
			cols[target] = i
		}
	} else {
		for _, a := range importAliases {
			for _, h := range a.headers {
				if i, ok := index[h]; ok {
					cols[a.target] = i
					break
				}
			}
		}
	}
	_, name := cols[crm.FieldName]
	_, first := cols[importFirstName]
	_, last := cols[importLastName]
	if !name && !first && !last {
		return nil, errs.InvalidField("mapping", "the file has no name column (name, or first and last name); map one")
	}
	return cols, nil
}

// importInput builds a create from one record. A leading apostrophe that
// an export added against spreadsheet formula injection is removed.
func importInput(rec []string, cols map[string]int) crm.CustomerInput {
	get := func(target string) string {
		i, ok := cols[target]
		if !ok || i >= len(rec) {
			return ""
		}
		v := strings.TrimSpace(rec[i])
		if len(v) > 1 && v[0] == '\'' && strings.ContainsRune("=+-@", rune(v[1])) {
			v = v[1:]
		}
		return v
	}
	in := crm.CustomerInput{Fields: map[string]*string{}}
	for target := range cols {
		f := fieldOf(target)
		if f == crm.FieldName {
			continue
		}
		v := get(target)
		in.Fields[f] = &v
	}
	name := get(crm.FieldName)
	if name == "" {
		name = crm.JoinName(get(importFirstName), get(importLastName))
	}
	in.Fields[crm.FieldName] = &name
	return in
}

// duplicateInFile computes the row's email and phone blind indexes and
// reports an earlier line of the file with the same email or phone.
func (s *Customers) duplicateInFile(ir *importRow, seen map[string]int) string {
	for _, x := range []struct {
		field, index string
		into         *[]byte
	}{
		{crm.FieldEmail, fieldcrypt.IndexCustomerEmail, &ir.email},
		{crm.FieldPhone, fieldcrypt.IndexCustomerPhone, &ir.phone},
	} {
		v := ir.c.Fields[x.field]
		if v == "" {
			continue
		}
		*x.into = s.c.Index.Index(x.index, v)
		key := x.field + "\x00" + string(*x.into)
		if first, ok := seen[key]; ok {
			return fmt.Sprintf("same %s as line %d", x.field, first)
		}
		seen[key] = ir.line
	}
	return ""
}

// fieldSets hands out one shared, sorted slice per set of field names, so
// that 100,000 rows with the same columns hold one list between them.
type fieldSets map[string][]string

func (f fieldSets) of(fields map[string]string) []string {
	names := sortedKeys(fields)
	key := strings.Join(names, "\x00")
	if shared, ok := f[key]; ok {
		return shared
	}
	f[key] = names
	return names
}

// dropExisting removes rows whose email or phone a customer in scope
// already has, reporting them as duplicates.
func (s *Customers) dropExisting(ctx context.Context, tx importStore, rows []importRow, owner string, rep *ImportReport) ([]importRow, error) {
	dup := map[int]string{}
	for _, x := range []struct {
		field, column string
		index         func(importRow) []byte
	}{
		{crm.FieldEmail, "email_bidx", func(r importRow) []byte { return r.email }},
		{crm.FieldPhone, "phone_bidx", func(r importRow) []byte { return r.phone }},
	} {
		var values [][]byte
		for _, r := range rows {
			if v := x.index(r); v != nil {
				values = append(values, v)
			}
		}
		if len(values) == 0 {
			continue
		}
		found, err := tx.ExistingCustomerIndexes(ctx, x.column, owner, values)
		if err != nil {
			return nil, err
		}
		for i, r := range rows {
			if v := x.index(r); v != nil && found[string(v)] {
				if _, already := dup[i]; !already {
					dup[i] = "a customer with this " + x.field + " already exists"
				}
			}
		}
	}
	kept := rows[:0:0]
	for i, r := range rows {
		if msg, ok := dup[i]; ok {
			rep.Duplicates = append(rep.Duplicates, ImportProblem{Row: r.line, Message: msg})
			continue
		}
		kept = append(kept, r)
	}
	return kept, nil
}

// importStore is what the methods in import.go read and write.
type importStore interface {
	audit.Appender
	ExistingCustomerIndexes(ctx context.Context, column, ownerID string, values [][]byte) (map[string]bool, error)
	InsertCustomers(ctx context.Context, rows []store.CustomerRow, kekTerm uint32) error
}

// importStoreOf is the compiler's check that the store has every method of importStore.
func importStoreOf(tx *store.Tx) importStore { return tx }

// insertSealed seals rows and inserts them, a chunk at a time: one
// goroutine seals the next chunk (on every core) while the writer inserts
// the current one. Once sealed, a row's plaintext is dropped.
func (s *Customers) insertSealed(ctx context.Context, tx importStore, rows []importRow) error {
	type chunk struct {
		rows []store.CustomerRow
		err  error
	}
	sealed := make(chan chunk, 1)
	stop, done := make(chan struct{}), make(chan struct{})
	defer func() { close(stop); <-done }() // the sealing goroutine has stopped when this returns
	go func() {
		defer close(done)
		defer close(sealed)
		for start := 0; start < len(rows); start += importChunk {
			part := rows[start:min(start+importChunk, len(rows))]
			out, err := s.sealRows(part)
			select {
			case sealed <- chunk{out, err}:
			case <-stop:
				return
			}
			if err != nil {
				return
			}
		}
	}()
	term := s.c.Keys.ActiveTerm()
	for c := range sealed {
		if c.err != nil {
			return c.err
		}
		if err := tx.InsertCustomers(ctx, c.rows, term); err != nil {
			return err
		}
	}
	return nil
}

// sealRows gives each row a data key and seals it, on as many goroutines
// as there are CPUs, and drops the row's plaintext.
func (s *Customers) sealRows(rows []importRow) ([]store.CustomerRow, error) {
	out := make([]store.CustomerRow, len(rows))
	workers := min(runtime.GOMAXPROCS(0), max(1, len(rows)/64))
	errc := make(chan error, workers)
	var next atomic.Int64
	for range workers {
		go func() {
			for {
				i := int(next.Add(1) - 1)
				if i >= len(rows) {
					errc <- nil
					return
				}
				ir := &rows[i]
				key, wrapped, err := s.c.Keys.NewDataKey(ir.c.ID)
				if err != nil {
					errc <- err
					return
				}
				row, err := s.sealCustomer(key, ir.c)
				if err != nil {
					errc <- err
					return
				}
				row.WrappedKey = wrapped
				out[i] = row
				// The map is shared with the parse's copy of the row:
				// empty it, so the plaintext goes now, not when the
				// import returns.
				clear(ir.c.Fields)
				ir.c.Fields = nil
			}
		}()
	}
	var first error
	for range workers {
		if err := <-errc; err != nil && first == nil {
			first = err
			next.Store(int64(len(rows))) // the others stop at their next row
		}
	}
	return out, first
}
