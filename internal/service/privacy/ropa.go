package privacy

import (
	"context"
	"fmt"
	"time"

	"strongroom.dev/strongroom/internal/audit"
	"strongroom.dev/strongroom/internal/authz"
	"strongroom.dev/strongroom/internal/crm"
	"strongroom.dev/strongroom/internal/service/core"
	"strongroom.dev/strongroom/internal/store"
)

// ProcessingRecord is the record of processing activities (GDPR Art. 30(1);
// PIPL Art. 54's compliance audits read the same), built from the live
// configuration and records: who the controller is, the purposes and their
// lawful bases, whose data and which kinds, who receives it, transfers
// abroad, how long each kind is kept, and the security measures.
type ProcessingRecord struct {
	At             time.Time        `json:"at"`
	Controller     string           `json:"controller"`      // "" when serve was not told (--organisation)
	PrivacyContact string           `json:"privacy_contact"` // "" when serve was not told (--privacy-contact)
	Officers       int64            `json:"privacy_officers"`
	Purposes       []PurposeLine    `json:"purposes"`
	Subjects       []SubjectLine    `json:"data_subjects"`
	Categories     []CategoryLine   `json:"data_categories"`
	Recipients     []VendorLine     `json:"recipients"`
	Transfers      []VendorLine     `json:"transfers_abroad"`
	Retention      []RetentionRule  `json:"retention"`
	AuditArchive   int              `json:"audit_archive_days"`
	Security       []string         `json:"security_measures"`
	Consents       map[string]int64 `json:"standing_consents"` // standing consents per purpose
}

// PurposeLine is one purpose of processing and the lawful bases it rests on.
type PurposeLine struct {
	Purpose string   `json:"purpose"`
	Bases   []string `json:"bases"`
}

// SubjectLine is one category of data subjects and how many are held.
type SubjectLine struct {
	Category string `json:"category"`
	Count    int64  `json:"count"`
}

// CategoryLine is one category of personal data: its fields, and whether
// it is special (GDPR Art. 9) or sensitive (PIPL Art. 28).
type CategoryLine struct {
	Class   string   `json:"class"`
	Fields  []string `json:"fields"`
	Special bool     `json:"special"`
}

// purposeBases are the lawful bases each purpose of the CRM rests on
// (GDPR Art. 6(1); PIPL Art. 13): the CRM's own work for its customers
// rests on the contract and the controller's legitimate interests; what
// needs consent is recorded in the consent ledger.
var purposeBases = []PurposeLine{
	{Purpose: "customer relationship: records, contacts, purchases, deals, visits", Bases: []string{"contract", "legitimate_interests"}},
	{Purpose: "legal obligations: payment and anti-money-laundering records, requests, breach notices", Bases: []string{"legal_obligation"}},
	{Purpose: "security: the audit log, detection of misuse, backups", Bases: []string{"legal_obligation", "legitimate_interests"}},
}

// securityMeasures are the technical and organisational measures (Art.
// 30(1)(g), Art. 32) that the product itself provides.
var securityMeasures = []string{
	"personal fields sealed with AES-256-GCM under a data key per person, wrapped by a master key kept outside the database; erasure by destroying the key",
	"search through keyed blind indexes; no personal data in URLs or logs",
	"TLS on every connection; strict content security policy",
	"roles with field-level rights (hidden, masked, read, write), record scope, approvals for sensitive reveals and bulk exports, break-glass with review",
	"two-step login (TOTP, passkeys), lockout, session limits, step-up for sensitive actions",
	"a hash-chained audit log of every login, read of personal data, change and permission change, with signed Merkle checkpoints kept by witnesses",
	"encrypted, signed backups (age) with scheduled restore drills; restores re-apply erasures",
	"detection of misuse with alerts; staff training and an accepted security policy",
}

// ropaStore is what ProcessingRecord reads: the report's store and more.
type ropaStore interface {
	reportStore
	RetentionRules(ctx context.Context) ([]store.RetentionRuleRow, error)
	ConsentCounts(ctx context.Context) (map[string]int64, error)
	SubjectCounts(ctx context.Context) (customers, companies, staff int64, err error)
}

func ropaStoreOf(tx *store.Tx) ropaStore { return tx }

// ProcessingRecord builds the record of processing activities, for those
// who may read the privacy centre; audited (privacy.ropa).
func (s *Requests) ProcessingRecord(ctx context.Context, a authz.Actor) (ProcessingRecord, error) {
	if err := core.May(a, authz.ActionRead, authz.ObjectPrivacy, "you may not read the record of processing"); err != nil {
		return ProcessingRecord{}, err
	}
	now := s.c.Now()
	out := ProcessingRecord{At: now, Controller: s.c.Org, PrivacyContact: s.c.Contact, Purposes: purposeBases, Security: securityMeasures,
		AuditArchive: int(s.c.AuditOnline.Hours() / 24)}
	for _, p := range crm.Purposes {
		out.Purposes = append(out.Purposes, PurposeLine{Purpose: "consent purpose: " + p, Bases: []string{"consent"}})
	}
	for _, c := range crm.Classes {
		line := CategoryLine{Class: string(c), Special: c == crm.ClassSpecial}
		for _, f := range crm.CustomerFields {
			if f.Class == c {
				line.Fields = append(line.Fields, f.Name)
			}
		}
		out.Categories = append(out.Categories, line)
	}
	err := core.Change(ctx, s.c, ropaStoreOf, func(tx ropaStore) error {
		c, err := tx.Compliance(ctx, now)
		if err != nil {
			return err
		}
		out.Officers = c.PrivacyOfficers
		customers, companies, staff, err := tx.SubjectCounts(ctx)
		if err != nil {
			return err
		}
		out.Subjects = []SubjectLine{{"customers (people)", customers}, {"companies and stores (their contact details)", companies}, {"staff (users of the CRM)", staff}}
		if out.Consents, err = tx.ConsentCounts(ctx); err != nil {
			return err
		}
		vendors, err := tx.VendorList(ctx)
		if err != nil {
			return err
		}
		for _, v := range vendors {
			if v.Status == "ended" {
				continue
			}
			line := vendorLine(v)
			out.Recipients = append(out.Recipients, line)
			if v.Transfer != "" { // the register names the mechanism of a transfer abroad
				out.Transfers = append(out.Transfers, line)
			}
		}
		rules, err := tx.RetentionRules(ctx)
		if err != nil {
			return err
		}
		out.Retention = rulesOf(rules)
		return s.c.Record(ctx, tx, a, "privacy.ropa", "report", "ropa", nil, audit.Success,
			fmt.Sprintf("%d purposes, %d recipients, %d transfers abroad", len(out.Purposes), len(out.Recipients), len(out.Transfers)))
	})
	return out, err
}
