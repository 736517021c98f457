// Package vendors is the vendors register (GDPR Art. 28 and 30, PIPL Art.
// 21 and 23): the third parties that receive or process customer data —
// what data and why, where, under which agreement, with which
// certifications — their reviews, the findings of those reviews tracked to
// their fix, and the reminders when a review or a certification falls due.
// A vendor record holds no customer personal data: it is stored plainly and
// every change is audited. The privacy officer and administrators change
// it; auditors read it.
package vendors

import (
	"context"
	"fmt"
	"regexp"
	"slices"
	"strings"
	"sync/atomic"
	"time"

	"strongroom.dev/strongroom/internal/audit"
	"strongroom.dev/strongroom/internal/authz"
	"strongroom.dev/strongroom/internal/crm"
	"strongroom.dev/strongroom/internal/errs"
	"strongroom.dev/strongroom/internal/service/core"
	"strongroom.dev/strongroom/internal/store"
)

// Vendors is a domain service: the vendors register.
type Vendors struct {
	c *core.Core
	// parts are the parts of this server that send data to a third party,
	// as links ("mail:relay", "webhook:alerts", "backup:s3://…"): serve
	// sets them from its configuration (SetParts).
	parts atomic.Pointer[[]string]
}

// New returns the vendors service over c.
func New(c *core.Core) *Vendors { return &Vendors{c: c} }

// SetParts tells the register which parts of this server send data to a
// third party, as links: the mail relay ("mail:relay"), the alert webhook
// ("webhook:alerts"), each S3 backup target ("backup:s3://host/bucket/…").
// serve calls it at start.
func (s *Vendors) SetParts(parts []string) {
	p := slices.Clone(parts)
	s.parts.Store(&p)
}

// Unlinked returns the parts of this server that send data out (SetParts)
// which no vendor in list that is not ended names in its links: a third
// party missing from the register. It reads nothing and is not audited.
func (s *Vendors) Unlinked(list []Vendor) []string {
	out := []string{}
	p := s.parts.Load()
	if p == nil {
		return out
	}
	for _, part := range *p {
		if !slices.ContainsFunc(list, func(v Vendor) bool { return v.Status != "ended" && slices.Contains(v.Links, part) }) {
			out = append(out, part)
		}
	}
	return out
}

// The closed vocabularies of a vendor record.
var (
	Roles      = []string{"processor", "controller", "sub-processor"}
	Statuses   = []string{"active", "suspended", "ended"}
	Severities = []string{"low", "medium", "high", "critical"}
	Outcomes   = []string{"satisfactory", "findings", "unsatisfactory"}
	// Transfers are the mechanisms for a transfer outside the home
	// country ("" when the data stays at home).
	Transfers = []string{"adequacy", "sccs", "bcrs", "pipl_contract", "pipl_certification", "pipl_assessment", "consent", "other"}
	// LinkKinds are the parts of the product that may send a vendor data:
	// a webhook destination, the mail relay, a backup target, an OAuth
	// client (when there are some).
	LinkKinds = []string{"webhook", "mail", "backup", "oauth"}
)

// ReminderWindow is how long before a review or an expiry it is shown as
// due and raises an alert.
const ReminderWindow = 30 * 24 * time.Hour

// Certification is a vendor's certification (e.g. ISO 27001) and its
// expiry (YYYY-MM-DD).
type Certification struct {
	Name    string `json:"name"`
	Expires string `json:"expires"`
}

// Input is what an administrator writes of a vendor. Dates are
// YYYY-MM-DD, "" for none.
type Input struct {
	Name            string          `json:"name"`
	Role            string          `json:"role"`
	Purpose         string          `json:"purpose"`
	DataCategories  []string        `json:"data_categories"`
	Locations       []string        `json:"locations"` // ISO 3166 country codes
	Transfer        string          `json:"transfer"`
	AgreementRef    string          `json:"agreement_ref"`
	AgreementSigned string          `json:"agreement_signed"`
	DPA             bool            `json:"dpa"` // the agreement has data-protection terms (GDPR Art. 28(3), PIPL Art. 21)
	Certifications  []Certification `json:"certifications"`
	Links           []string        `json:"links"` // "kind:name", e.g. "webhook:alerts", "mail:relay"
	NextReview      string          `json:"next_review"`
	Status          string          `json:"status"`
}

// Vendor is a vendor in the register, with what is due.
type Vendor struct {
	ID string `json:"id"`
	Input
	Due          []Due     `json:"due"`           // reviews and certifications due within 30 days or past
	OpenFindings int       `json:"open_findings"` // findings not yet fixed
	CreatedAt    time.Time `json:"created_at"`
	UpdatedAt    time.Time `json:"updated_at"`
}

// Due is a review or a certification's expiry that is near or past.
type Due struct {
	What    string `json:"what"` // review, certification
	Name    string `json:"name,omitempty"`
	Date    string `json:"date"` // "" for a review never planned
	Overdue bool   `json:"overdue"`
}

// Review is one review of a vendor.
type Review struct {
	ID       string    `json:"id"`
	Date     string    `json:"date"`
	Reviewer string    `json:"reviewer"`
	Outcome  string    `json:"outcome"`
	Notes    string    `json:"notes"`
	At       time.Time `json:"created_at"`
}

// ReviewInput records a review; NextReview ("" keeps the planned one)
// moves the next.
type ReviewInput struct {
	Date       string `json:"date"`
	Reviewer   string `json:"reviewer"`
	Outcome    string `json:"outcome"`
	Notes      string `json:"notes"`
	NextReview string `json:"next_review"`
}

// Finding is something a review found, tracked to its fix.
type Finding struct {
	ID       string `json:"id"`
	ReviewID string `json:"review_id,omitempty"`
	Text     string `json:"text"`
	Severity string `json:"severity"`
	Owner    string `json:"owner"`
	Due      string `json:"due"`
	FixedAt  string `json:"fixed_at"` // "" while open
	Fix      string `json:"fix"`
	Overdue  bool   `json:"overdue"`
}

// FindingInput raises a finding.
type FindingInput struct {
	ReviewID string `json:"review_id"`
	Text     string `json:"text"`
	Severity string `json:"severity"`
	Owner    string `json:"owner"`
	Due      string `json:"due"`
}

// Detail is one vendor with its review history and findings.
type Detail struct {
	Vendor   Vendor    `json:"vendor"`
	Reviews  []Review  `json:"reviews"`
	Findings []Finding `json:"findings"`
}

func mayRead(a authz.Actor) error {
	return core.May(a, authz.ActionRead, authz.ObjectPrivacy, "you may not read the vendors register")
}

func mayChange(a authz.Actor) error {
	return core.May(a, authz.ActionUpdate, authz.ObjectPrivacy, "only the privacy officer and administrators change the vendors register")
}

var countryCode = regexp.MustCompile(`^[A-Z]{2}$`)

// date parses a YYYY-MM-DD date ("" is none).
func date(field, v string) (time.Time, error) {
	v = strings.TrimSpace(v)
	if v == "" {
		return time.Time{}, nil
	}
	t, err := time.Parse(time.DateOnly, v)
	if err != nil || t.Year() < 1900 || t.Year() > 2200 {
		return time.Time{}, errs.InvalidField(field, field+" is a date, YYYY-MM-DD")
	}
	return t, nil
}

func dateOf(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Format(time.DateOnly)
}

func oneOf(field, v string, set []string) error {
	if !slices.Contains(set, v) {
		return errs.InvalidField(field, field+" is one of "+strings.Join(set, ", "))
	}
	return nil
}

// labels checks a list of one-line values, dropping empty ones and repeats.
func labels(field string, vs []string, maxItems, maxLen int) ([]string, error) {
	var out []string
	for _, v := range vs {
		v, err := crm.Label(field, v, maxLen)
		if err != nil {
			return nil, err
		}
		if v != "" && !slices.Contains(out, v) {
			out = append(out, v)
		}
	}
	if len(out) > maxItems {
		return nil, errs.InvalidField(field, fmt.Sprintf("%s holds at most %d items", field, maxItems))
	}
	return out, nil
}

// row checks in and makes the stored row of it (without id and times).
func (in Input) row() (store.VendorRow, error) {
	var v store.VendorRow
	var err error
	if v.Name, err = crm.Label("name", in.Name, 200); err != nil {
		return v, err
	}
	if v.Name == "" {
		return v, errs.InvalidField("name", "a vendor needs its name")
	}
	if err := oneOf("role", in.Role, Roles); err != nil {
		return v, err
	}
	if in.Status == "" {
		in.Status = "active"
	}
	if err := oneOf("status", in.Status, Statuses); err != nil {
		return v, err
	}
	v.Role, v.Status = in.Role, in.Status
	if v.Purpose, err = crm.FreeText("purpose", in.Purpose, 2000); err != nil {
		return v, err
	}
	if v.Purpose == "" {
		return v, errs.InvalidField("purpose", "say what the vendor does with the data")
	}
	if v.DataCategories, err = labels("data_categories", in.DataCategories, 30, 100); err != nil {
		return v, err
	}
	for i, l := range in.Locations {
		in.Locations[i] = strings.ToUpper(strings.TrimSpace(l))
	}
	if v.Locations, err = labels("locations", in.Locations, 50, 60); err != nil {
		return v, err
	}
	for _, l := range v.Locations {
		if !countryCode.MatchString(l) {
			return v, errs.InvalidField("locations", "locations are two-letter country codes (ISO 3166), e.g. CN, DE, US")
		}
	}
	if in.Transfer != "" {
		if err := oneOf("transfer", in.Transfer, Transfers); err != nil {
			return v, err
		}
	}
	v.Transfer = in.Transfer
	if v.AgreementRef, err = crm.Label("agreement_ref", in.AgreementRef, 200); err != nil {
		return v, err
	}
	if v.AgreementSigned, err = date("agreement_signed", in.AgreementSigned); err != nil {
		return v, err
	}
	v.DPA = in.DPA
	if v.Links, err = labels("links", in.Links, 20, 300); err != nil {
		return v, err
	}
	for _, l := range v.Links {
		kind, name, ok := strings.Cut(l, ":")
		if !ok || name == "" || !slices.Contains(LinkKinds, kind) {
			return v, errs.InvalidField("links", "a link is kind:name, the kind one of "+strings.Join(LinkKinds, ", ")+" (e.g. webhook:alerts)")
		}
	}
	if len(in.Certifications) > 20 {
		return v, errs.InvalidField("certifications", "at most 20 certifications")
	}
	for _, c := range in.Certifications {
		name, err := crm.Label("certifications", c.Name, 100)
		if err != nil {
			return v, err
		}
		if name == "" && strings.TrimSpace(c.Expires) == "" {
			continue
		}
		exp, err := date("certifications", c.Expires)
		if err != nil {
			return v, err
		}
		if name == "" || exp.IsZero() {
			return v, errs.InvalidField("certifications", "a certification needs its name and its expiry date")
		}
		if slices.ContainsFunc(v.Certifications, func(x store.CertificationRow) bool { return x.Name == name }) {
			return v, errs.InvalidField("certifications", "certification "+name+" is listed twice")
		}
		v.Certifications = append(v.Certifications, store.CertificationRow{Name: name, Expires: exp})
	}
	if v.NextReview, err = date("next_review", in.NextReview); err != nil {
		return v, err
	}
	return v, nil
}

// dueOf lists what of v is due at now: its next review and its
// certifications' expiries within ReminderWindow or past; a vendor that
// is active or suspended and has no review planned owes one. An ended
// vendor owes nothing.
func dueOf(v store.VendorRow, now time.Time) []Due {
	if v.Status == "ended" {
		return nil
	}
	var out []Due
	switch {
	case v.NextReview.IsZero():
		out = append(out, Due{What: "review", Overdue: true})
	case v.NextReview.Sub(now) <= ReminderWindow:
		out = append(out, Due{What: "review", Date: dateOf(v.NextReview), Overdue: v.NextReview.Before(now)})
	}
	for _, c := range v.Certifications {
		if c.Expires.Sub(now) <= ReminderWindow {
			out = append(out, Due{What: "certification", Name: c.Name, Date: dateOf(c.Expires), Overdue: c.Expires.Before(now)})
		}
	}
	return out
}

// key names a due item: the same item is alerted once.
func (d Due) key() string { return d.What + ":" + d.Name + ":" + d.Date }

// reminderKey names the items due, as the vendor keeps them once alerted.
func reminderKey(due []Due) string {
	var parts []string
	for _, d := range due {
		parts = append(parts, d.key())
	}
	return strings.Join(parts, "|")
}

func vendorOf(v store.VendorRow, open int, now time.Time) Vendor {
	out := Vendor{ID: v.ID, Input: Input{Name: v.Name, Role: v.Role, Purpose: v.Purpose, DataCategories: v.DataCategories, Locations: v.Locations,
		Transfer: v.Transfer, AgreementRef: v.AgreementRef, AgreementSigned: dateOf(v.AgreementSigned), DPA: v.DPA, Links: v.Links,
		NextReview: dateOf(v.NextReview), Status: v.Status},
		Due: dueOf(v, now), OpenFindings: open, CreatedAt: v.CreatedAt, UpdatedAt: v.UpdatedAt}
	for _, c := range v.Certifications {
		out.Certifications = append(out.Certifications, Certification{Name: c.Name, Expires: dateOf(c.Expires)})
	}
	for _, l := range []*[]string{&out.DataCategories, &out.Locations, &out.Links} {
		if *l == nil {
			*l = []string{}
		}
	}
	if out.Certifications == nil {
		out.Certifications = []Certification{}
	}
	if out.Due == nil {
		out.Due = []Due{}
	}
	return out
}

// List returns the register, by name, each vendor with what is due and
// its open findings. The privacy officer, administrators and auditors. Audited (vendor.list).
func (s *Vendors) List(ctx context.Context, a authz.Actor) ([]Vendor, error) {
	if err := mayRead(a); err != nil {
		return nil, err
	}
	out := []Vendor{}
	err := core.Change(ctx, s.c, vendorStoreOf, func(tx vendorStore) error {
		rows, err := tx.VendorList(ctx)
		if err != nil {
			return err
		}
		open, err := tx.OpenFindingCounts(ctx)
		if err != nil {
			return err
		}
		now := s.c.Now()
		for _, v := range rows {
			out = append(out, vendorOf(v, open[v.ID], now))
		}
		return s.c.Record(ctx, tx, a, "vendor.list", "vendor", "", nil, audit.Success, fmt.Sprintf("%d vendors", len(out)))
	})
	return out, err
}

// Vendor returns one vendor with its review history and findings.
// The privacy officer, administrators and auditors. Audited (vendor.read).
func (s *Vendors) Vendor(ctx context.Context, a authz.Actor, id string) (Detail, error) {
	if err := mayRead(a); err != nil {
		return Detail{}, err
	}
	if !crm.ValidID(id) {
		return Detail{}, errs.E(errs.NotExist, "vendor not found")
	}
	var out Detail
	err := core.Change(ctx, s.c, vendorStoreOf, func(tx vendorStore) error {
		var err error
		out, err = s.detail(ctx, tx, id)
		if err != nil {
			return err
		}
		return s.c.Record(ctx, tx, a, "vendor.read", "vendor", id, nil, audit.Success, "")
	})
	return out, err
}

func (s *Vendors) detail(ctx context.Context, tx vendorStore, id string) (Detail, error) {
	v, err := tx.VendorByID(ctx, id)
	if err != nil {
		return Detail{}, core.NotFound(err, "vendor")
	}
	reviews, err := tx.VendorReviews(ctx, id)
	if err != nil {
		return Detail{}, err
	}
	findings, err := tx.VendorFindings(ctx, id)
	if err != nil {
		return Detail{}, err
	}
	now := s.c.Now()
	out := Detail{Reviews: []Review{}, Findings: []Finding{}}
	open := 0
	for _, f := range findings {
		if f.FixedAt.IsZero() {
			open++
		}
		out.Findings = append(out.Findings, Finding{ID: f.ID, ReviewID: f.ReviewID, Text: f.Text, Severity: f.Severity, Owner: f.Owner, Due: dateOf(f.Due),
			FixedAt: dateOf(f.FixedAt), Fix: f.Fix, Overdue: f.FixedAt.IsZero() && !f.Due.IsZero() && f.Due.Before(now)})
	}
	for _, r := range reviews {
		out.Reviews = append(out.Reviews, Review{ID: r.ID, Date: dateOf(r.ReviewedAt), Reviewer: r.Reviewer, Outcome: r.Outcome, Notes: r.Notes, At: r.CreatedAt})
	}
	out.Vendor = vendorOf(v, open, now)
	return out, nil
}

// Create adds a vendor to the register. The privacy officer and administrators. Audited
// (vendor.create).
func (s *Vendors) Create(ctx context.Context, a authz.Actor, in Input) (Vendor, error) {
	if err := mayChange(a); err != nil {
		return Vendor{}, err
	}
	row, err := in.row()
	if err != nil {
		return Vendor{}, err
	}
	now := s.c.Now()
	row.ID, row.CreatedBy, row.CreatedAt, row.UpdatedAt = crm.NewID("vnd"), a.UserID, now, now
	err = core.Change(ctx, s.c, vendorStoreOf, func(tx vendorStore) error {
		if err := tx.InsertVendor(ctx, row); err != nil {
			return err
		}
		return s.c.Record(ctx, tx, a, "vendor.create", "vendor", row.ID, nil, audit.Success, row.Name+" ("+row.Role+")")
	})
	if err != nil {
		return Vendor{}, err
	}
	return vendorOf(row, 0, now), nil
}

// Update replaces a vendor's record. The privacy officer and administrators. Audited
// (vendor.update, naming the fields that changed).
func (s *Vendors) Update(ctx context.Context, a authz.Actor, id string, in Input) (Vendor, error) {
	if err := mayChange(a); err != nil {
		return Vendor{}, err
	}
	if !crm.ValidID(id) {
		return Vendor{}, errs.E(errs.NotExist, "vendor not found")
	}
	row, err := in.row()
	if err != nil {
		return Vendor{}, err
	}
	var out Vendor
	err = core.Change(ctx, s.c, vendorStoreOf, func(tx vendorStore) error {
		before, err := tx.VendorByID(ctx, id)
		if err != nil {
			return core.NotFound(err, "vendor")
		}
		now := s.c.Now()
		row.ID, row.CreatedBy, row.CreatedAt, row.UpdatedAt, row.Reminded = id, before.CreatedBy, before.CreatedAt, now, before.Reminded
		if err := tx.UpdateVendor(ctx, row); err != nil {
			return err
		}
		open, err := tx.OpenFindingCounts(ctx)
		if err != nil {
			return err
		}
		out = vendorOf(row, open[id], now)
		return s.c.Record(ctx, tx, a, "vendor.update", "vendor", id, changed(before, row), audit.Success, row.Name)
	})
	return out, err
}

// changed names the fields of a vendor that differ between a and b.
func changed(a, b store.VendorRow) []string {
	var out []string
	add := func(name string, same bool) {
		if !same {
			out = append(out, name)
		}
	}
	add("name", a.Name == b.Name)
	add("role", a.Role == b.Role)
	add("purpose", a.Purpose == b.Purpose)
	add("data_categories", slices.Equal(a.DataCategories, b.DataCategories))
	add("locations", slices.Equal(a.Locations, b.Locations))
	add("transfer", a.Transfer == b.Transfer)
	add("agreement_ref", a.AgreementRef == b.AgreementRef)
	add("agreement_signed", a.AgreementSigned.Equal(b.AgreementSigned))
	add("dpa", a.DPA == b.DPA)
	add("links", slices.Equal(a.Links, b.Links))
	add("certifications", slices.EqualFunc(a.Certifications, b.Certifications, func(x, y store.CertificationRow) bool {
		return x.Name == y.Name && x.Expires.Equal(y.Expires)
	}))
	add("next_review", a.NextReview.Equal(b.NextReview))
	add("status", a.Status == b.Status)
	return out
}

// RecordReview records a review of a vendor and, when given, plans the
// next. The privacy officer and administrators. Audited (vendor.review).
func (s *Vendors) RecordReview(ctx context.Context, a authz.Actor, vendorID string, in ReviewInput) (Review, error) {
	if err := mayChange(a); err != nil {
		return Review{}, err
	}
	if !crm.ValidID(vendorID) {
		return Review{}, errs.E(errs.NotExist, "vendor not found")
	}
	when, err := date("date", in.Date)
	if err != nil {
		return Review{}, err
	}
	now := s.c.Now()
	if when.IsZero() {
		when = now.UTC().Truncate(24 * time.Hour)
	}
	if when.After(now) {
		return Review{}, errs.InvalidField("date", "a review is recorded once it has taken place")
	}
	next, err := date("next_review", in.NextReview)
	if err != nil {
		return Review{}, err
	}
	if !next.IsZero() && !next.After(now) {
		return Review{}, errs.InvalidField("next_review", "the next review is a date to come")
	}
	r := store.VendorReviewRow{ID: crm.NewID("vrv"), VendorID: vendorID, ReviewedAt: when, CreatedBy: a.UserID, CreatedAt: now}
	if r.Reviewer, err = crm.Label("reviewer", in.Reviewer, 200); err != nil {
		return Review{}, err
	}
	if r.Reviewer == "" {
		return Review{}, errs.InvalidField("reviewer", "name who reviewed the vendor")
	}
	if err := oneOf("outcome", in.Outcome, Outcomes); err != nil {
		return Review{}, err
	}
	r.Outcome = in.Outcome
	if r.Notes, err = crm.FreeText("notes", in.Notes, 5000); err != nil {
		return Review{}, err
	}
	err = core.Change(ctx, s.c, vendorStoreOf, func(tx vendorStore) error {
		v, err := tx.VendorByID(ctx, vendorID)
		if err != nil {
			return core.NotFound(err, "vendor")
		}
		if err := tx.InsertVendorReview(ctx, r); err != nil {
			return err
		}
		reason := r.Outcome
		if !next.IsZero() {
			v.NextReview, v.UpdatedAt = next, now
			if err := tx.UpdateVendor(ctx, v); err != nil {
				return err
			}
			reason += ", next review " + dateOf(next)
		}
		return s.c.Record(ctx, tx, a, "vendor.review", "vendor", vendorID, nil, audit.Success, reason)
	})
	if err != nil {
		return Review{}, err
	}
	return Review{ID: r.ID, Date: dateOf(r.ReviewedAt), Reviewer: r.Reviewer, Outcome: r.Outcome, Notes: r.Notes, At: now}, nil
}

// RaiseFinding records a finding about a vendor, to be tracked to its fix.
// The privacy officer and administrators. Audited (vendor.finding).
func (s *Vendors) RaiseFinding(ctx context.Context, a authz.Actor, vendorID string, in FindingInput) (Finding, error) {
	if err := mayChange(a); err != nil {
		return Finding{}, err
	}
	if !crm.ValidID(vendorID) {
		return Finding{}, errs.E(errs.NotExist, "vendor not found")
	}
	now := s.c.Now()
	f := store.VendorFindingRow{ID: crm.NewID("vfd"), VendorID: vendorID, CreatedBy: a.UserID, CreatedAt: now}
	var err error
	if f.Text, err = crm.FreeText("text", in.Text, 2000); err != nil {
		return Finding{}, err
	}
	if f.Text == "" {
		return Finding{}, errs.InvalidField("text", "say what was found")
	}
	if err := oneOf("severity", in.Severity, Severities); err != nil {
		return Finding{}, err
	}
	f.Severity = in.Severity
	if f.Owner, err = crm.Label("owner", in.Owner, 200); err != nil {
		return Finding{}, err
	}
	if f.Due, err = date("due", in.Due); err != nil {
		return Finding{}, err
	}
	err = core.Change(ctx, s.c, vendorStoreOf, func(tx vendorStore) error {
		if _, err := tx.VendorByID(ctx, vendorID); err != nil {
			return core.NotFound(err, "vendor")
		}
		if in.ReviewID != "" {
			reviews, err := tx.VendorReviews(ctx, vendorID)
			if err != nil {
				return err
			}
			if !slices.ContainsFunc(reviews, func(r store.VendorReviewRow) bool { return r.ID == in.ReviewID }) {
				return errs.InvalidField("review_id", "no such review of this vendor")
			}
			f.ReviewID = in.ReviewID
		}
		if err := tx.InsertVendorFinding(ctx, f); err != nil {
			return err
		}
		return s.c.Record(ctx, tx, a, "vendor.finding", "vendor", vendorID, nil, audit.Success, f.Severity+" finding "+f.ID+", due "+dateOf(f.Due))
	})
	if err != nil {
		return Finding{}, err
	}
	return Finding{ID: f.ID, ReviewID: f.ReviewID, Text: f.Text, Severity: f.Severity, Owner: f.Owner, Due: dateOf(f.Due),
		Overdue: !f.Due.IsZero() && f.Due.Before(now)}, nil
}

// FixFinding closes an open finding with what fixed it. The privacy officer and administrators.
// Audited (vendor.finding_fixed).
func (s *Vendors) FixFinding(ctx context.Context, a authz.Actor, vendorID, findingID, fix string) error {
	if err := mayChange(a); err != nil {
		return err
	}
	if !crm.ValidID(vendorID) || !crm.ValidID(findingID) {
		return errs.E(errs.NotExist, "finding not found")
	}
	fix, err := crm.FreeText("fix", fix, 2000)
	if err != nil {
		return err
	}
	if fix == "" {
		return errs.InvalidField("fix", "say what fixed it")
	}
	return core.Change(ctx, s.c, vendorStoreOf, func(tx vendorStore) error {
		findings, err := tx.VendorFindings(ctx, vendorID)
		if err != nil {
			return err
		}
		i := slices.IndexFunc(findings, func(f store.VendorFindingRow) bool { return f.ID == findingID })
		switch {
		case i < 0:
			return errs.E(errs.NotExist, "finding not found")
		case !findings[i].FixedAt.IsZero():
			return errs.E(errs.Conflict, "the finding is already fixed")
		}
		if err := tx.FixVendorFinding(ctx, findingID, fix, s.c.Now()); err != nil {
			return err
		}
		return s.c.Record(ctx, tx, a, "vendor.finding_fixed", "vendor", vendorID, nil, audit.Success, findingID)
	})
}

// CheckReminders raises an alert (rule vendor_due) for each vendor with a
// review or a certification's expiry within 30 days or past that no
// earlier run has raised one for: each due item is alerted once, however
// often it runs (the items alerted are kept on the vendor). It runs as the
// system; serve calls it every hour. It returns how many alerts it raised.
func (s *Vendors) CheckReminders(ctx context.Context) (int, error) {
	var pending []store.VendorRow
	now := s.c.Now()
	err := core.Look(ctx, s.c, vendorStoreOf, func(tx vendorStore) error {
		rows, err := tx.VendorList(ctx)
		for _, v := range rows {
			if reminderKey(dueOf(v, now)) != v.Reminded {
				pending = append(pending, v)
			}
		}
		return err
	})
	if err != nil || len(pending) == 0 {
		return 0, err
	}
	raised := 0
	sys := authz.System()
	err = core.Change(ctx, s.c, vendorStoreOf, func(tx vendorStore) error {
		for _, v := range pending {
			due := dueOf(v, now)
			// Compare and set: of two servers checking at once, one raises.
			if err := tx.SetVendorReminded(ctx, v.ID, v.Reminded, reminderKey(due)); errs.Is(err, errs.NotExist) {
				continue
			} else if err != nil {
				return err
			}
			alerted := strings.Split(v.Reminded, "|")
			fresh := slices.DeleteFunc(slices.Clone(due), func(d Due) bool { return slices.Contains(alerted, d.key()) })
			if len(fresh) == 0 {
				continue
			}
			alert := store.AlertRow{ID: crm.NewID("alr"), Rule: "vendor_due", Severity: "medium", Summary: summary(v.Name, fresh),
				Status: "open", CreatedAt: now, UpdatedAt: now}
			if err := tx.InsertAlert(ctx, alert); err != nil {
				return err
			}
			if err := s.c.Record(ctx, tx, sys, "alert.raise", "alert", alert.ID, nil, audit.Success, "vendor_due (medium): "+alert.Summary); err != nil {
				return err
			}
			raised++
		}
		return nil
	})
	return raised, err
}

func summary(name string, due []Due) string {
	var parts []string
	for _, d := range due {
		switch {
		case d.What == "review" && d.Date == "":
			parts = append(parts, "no review is planned")
		case d.What == "review" && d.Overdue:
			parts = append(parts, "its review was due "+d.Date)
		case d.What == "review":
			parts = append(parts, "its review is due "+d.Date)
		case d.Overdue:
			parts = append(parts, d.Name+" expired "+d.Date)
		default:
			parts = append(parts, d.Name+" expires "+d.Date)
		}
	}
	return "Vendor " + name + ": " + strings.Join(parts, "; ") + " (see /vendors)"
}

// vendorStore is what the methods in vendors.go read and write.
type vendorStore interface {
	audit.Appender
	InsertVendor(ctx context.Context, v store.VendorRow) error
	UpdateVendor(ctx context.Context, v store.VendorRow) error
	VendorByID(ctx context.Context, id string) (store.VendorRow, error)
	VendorList(ctx context.Context) ([]store.VendorRow, error)
	SetVendorReminded(ctx context.Context, id, from, to string) error
	InsertVendorReview(ctx context.Context, r store.VendorReviewRow) error
	VendorReviews(ctx context.Context, vendorID string) ([]store.VendorReviewRow, error)
	InsertVendorFinding(ctx context.Context, f store.VendorFindingRow) error
	FixVendorFinding(ctx context.Context, id, fix string, at time.Time) error
	VendorFindings(ctx context.Context, vendorID string) ([]store.VendorFindingRow, error)
	OpenFindingCounts(ctx context.Context) (map[string]int, error)
	InsertAlert(ctx context.Context, a store.AlertRow) error
}

// vendorStoreOf is the compiler's check that the store has every method of vendorStore.
func vendorStoreOf(tx *store.Tx) vendorStore { return tx }
