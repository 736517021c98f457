package privacy

import (
	"context"
	"fmt"
	"slices"
	"time"

	"strongroom.dev/strongroom/internal/audit"
	"strongroom.dev/strongroom/internal/authz"
	"strongroom.dev/strongroom/internal/errs"
	"strongroom.dev/strongroom/internal/service/core"
	"strongroom.dev/strongroom/internal/store"
)

// Check is one item of a compliance report: passing or failing, with the
// evidence read from the live configuration and records, and the articles
// of the law it answers.
type Check struct {
	Key      string   `json:"key"`
	Pass     bool     `json:"pass"`
	Evidence string   `json:"evidence"`
	Articles []string `json:"articles"`
}

// Report is a compliance report for one law.
type Report struct {
	Law     string    `json:"law"`
	At      time.Time `json:"at"`
	Checks  []Check   `json:"checks"`
	Passing int       `json:"passing"`
	// Vendors are the third parties that receive or process customer
	// data, from the vendors register (GDPR Art. 28 and 30, PIPL Art. 21
	// and 23).
	Vendors []VendorLine `json:"vendors"`
}

// VendorLine is one vendor as the report lists it.
type VendorLine struct {
	Name       string    `json:"name"`
	Role       string    `json:"role"`
	Purpose    string    `json:"purpose"`
	Data       []string  `json:"data_categories"`
	Locations  []string  `json:"locations"`
	Transfer   string    `json:"transfer,omitempty"`
	DPA        bool      `json:"dpa"`
	NextReview time.Time `json:"next_review,omitzero"`
	Status     string    `json:"status"`
}

// articles maps each check to the articles it answers, per law.
var articles = map[string]map[string][]string{
	"two_step":          {"gdpr": {"Art. 32(1)"}, "ccpa": {"§1798.150 (reasonable security)"}, "pipl": {"Art. 51"}},
	"encryption":        {"gdpr": {"Art. 32(1)(a)", "Art. 34(3)(a)"}, "ccpa": {"§1798.150 (encrypted data)"}, "pipl": {"Art. 51(3)"}},
	"backup":            {"gdpr": {"Art. 32(1)(c)"}, "ccpa": {"§1798.150"}, "pipl": {"Art. 51"}},
	"restore_drill":     {"gdpr": {"Art. 32(1)(c)", "Art. 32(1)(d)"}, "ccpa": {"§1798.150"}, "pipl": {"Art. 51", "Art. 54"}},
	"sensitive_consent": {"gdpr": {"Art. 9(2)(a)"}, "ccpa": {"§1798.121"}, "pipl": {"Art. 29", "Art. 31"}},
	"notice":            {"gdpr": {"Art. 13", "Art. 14"}, "ccpa": {"§1798.100(b)"}, "pipl": {"Art. 17"}},
	"requests_on_time":  {"gdpr": {"Art. 12(3)"}, "ccpa": {"§1798.130(a)(2)"}, "pipl": {"Art. 50"}},
	"audit_log":         {"gdpr": {"Art. 5(2)", "Art. 30"}, "ccpa": {"§1798.185"}, "pipl": {"Art. 54", "Art. 55"}},
	"privacy_officer":   {"gdpr": {"Art. 37", "Art. 38", "Art. 39"}, "ccpa": {"§1798.130(a)(6)"}, "pipl": {"Art. 52"}},
	"policy_accepted":   {"gdpr": {"Art. 32(4)", "Art. 39(1)(b)"}, "ccpa": {"§1798.150"}, "pipl": {"Art. 51(2)"}},
	"training":          {"gdpr": {"Art. 32(4)", "Art. 39(1)(b)"}, "ccpa": {"§1798.130(a)(6)"}, "pipl": {"Art. 51(4)"}},
	"retention":         {"gdpr": {"Art. 5(1)(c)", "Art. 5(1)(e)"}, "ccpa": {"§1798.100(a)(3)"}, "pipl": {"Art. 19", "Art. 47(1)"}},
	"vendors":           {"gdpr": {"Art. 28(1)", "Art. 28(3)(h)", "Art. 30(1)(d)"}, "ccpa": {"§1798.100(d)", "§1798.140(ag)"}, "pipl": {"Art. 21", "Art. 23"}},
	"incidents":         {"gdpr": {"Art. 33", "Art. 34"}, "ccpa": {"Civ. Code §1798.82"}, "pipl": {"Art. 57"}},
	"held_records":      {"gdpr": {"Art. 5(1)(e)", "Art. 17(3)(b)"}, "ccpa": {"§1798.105(d)"}, "pipl": {"Art. 47"}},
}

func vendorLine(v store.VendorRow) VendorLine {
	return VendorLine{Name: v.Name, Role: v.Role, Purpose: v.Purpose, Data: v.DataCategories, Locations: v.Locations,
		Transfer: v.Transfer, DPA: v.DPA, NextReview: v.NextReview, Status: v.Status}
}

// reportStore is what the report reads.
type reportStore interface {
	audit.Appender
	Compliance(ctx context.Context, now time.Time) (store.ComplianceCounts, error)
	MFARequiredRoles(ctx context.Context) ([]string, error)
	Notice(ctx context.Context, version int) (store.NoticeRow, error)
	LatestCheckpoint(ctx context.Context) (store.CheckpointRow, error)
	VendorList(ctx context.Context) ([]store.VendorRow, error)
	VendorCounts(ctx context.Context, now time.Time) (active, reviewOverdue, certExpired int, err error)
	TrainingCoverage(ctx context.Context) (assigned, passed int, err error)
	IncidentCounts(ctx context.Context, now time.Time) (store.IncidentCounts, error)
	HeldCounts(ctx context.Context, now time.Time) (store.HeldCounts, error)
}

func reportStoreOf(tx *store.Tx) reportStore { return tx }

// ComplianceReport checks, for one law (gdpr, ccpa or pipl), what the
// live configuration and records show: two-step login required for every
// role, encryption at rest, a recent backup and a recent successful
// restore drill, sensitive data only with consent, the organisation's own
// privacy notice, requests answered on time, a checkpointed audit log, a
// privacy officer, the security policy accepted, training passed,
// retention rules on, vendors reviewed under data-protection terms, and
// breaches notified on time with a drill in the last year; and it lists the
// vendors.
// For those who may read the privacy centre; audited (privacy.report).
func (s *Requests) ComplianceReport(ctx context.Context, a authz.Actor, law string) (Report, error) {
	if err := core.May(a, authz.ActionRead, authz.ObjectPrivacy, "you may not read the compliance report"); err != nil {
		return Report{}, err
	}
	if law == "" {
		law = "gdpr"
	}
	if law != "gdpr" && law != "ccpa" && law != "pipl" {
		return Report{}, errs.InvalidField("law", "law is gdpr, ccpa or pipl")
	}
	now := s.c.Now()
	out := Report{Law: law, At: now}
	add := func(key string, pass bool, format string, args ...any) {
		out.Checks = append(out.Checks, Check{Key: key, Pass: pass, Evidence: fmt.Sprintf(format, args...), Articles: articles[key][law]})
		if pass {
			out.Passing++
		}
	}
	err := core.Change(ctx, s.c, reportStoreOf, func(tx reportStore) error {
		c, err := tx.Compliance(ctx, now)
		if err != nil {
			return err
		}
		required, err := tx.MFARequiredRoles(ctx)
		if err != nil {
			return err
		}
		var missing []string
		for _, r := range authz.Roles {
			if !slices.Contains(required, string(r)) {
				missing = append(missing, string(r))
			}
		}
		add("two_step", len(missing) == 0, "roles that need not use two-step login: %v", missing)
		add("encryption", true, "every personal field is sealed with AES-256-GCM under its person's own data key, wrapped by a master key kept outside the database; %d customers", c.Customers)
		add("backup", !c.LastBackup.IsZero() && now.Sub(c.LastBackup) < 48*time.Hour, "last successful backup: %s", when(c.LastBackup))
		add("restore_drill", !c.LastDrill.IsZero() && now.Sub(c.LastDrill) < 8*24*time.Hour, "last successful restore drill: %s", when(c.LastDrill))
		add("sensitive_consent", c.SensitiveWithoutConsent == 0, "customers with a special-category field and no standing consent to it: %d", c.SensitiveWithoutConsent)
		n, err := tx.Notice(ctx, 0)
		if err != nil {
			return err
		}
		add("notice", n.Version > 1, "current privacy notice: version %d, published %s by %s", n.Version, when(n.PublishedAt), n.PublishedBy)
		add("requests_on_time", c.OverdueRequests == 0, "open data-subject requests: %d, of which overdue: %d; restricted customers: %d; erasures in the ledger: %d", c.OpenRequests, c.OverdueRequests, c.Restricted, c.Erasures)
		cp, err := tx.LatestCheckpoint(ctx)
		if err != nil {
			return err
		}
		add("audit_log", cp.Size > 0 && now.Sub(cp.At) < 24*time.Hour, "the latest signed checkpoint of the audit log covers %d events, signed %s", cp.Size, when(cp.At))
		add("privacy_officer", c.PrivacyOfficers > 0, "staff holding the privacy_officer role: %d", c.PrivacyOfficers)
		if c.PolicyVersion == 0 {
			add("policy_accepted", false, "no security policy is published")
		} else {
			add("policy_accepted", c.PolicyAccepted == c.Staff, "staff who accepted the current security policy (version %d): %d of %d", c.PolicyVersion, c.PolicyAccepted, c.Staff)
		}
		assigned, passed, err := tx.TrainingCoverage(ctx)
		if err != nil {
			return err
		}
		add("training", assigned > 0 && passed == assigned, "training assignments passed at the current version: %d of %d", passed, assigned)
		add("retention", c.RetentionOn > 0, "retention rules switched on: %d", c.RetentionOn)
		active, overdue, expired, err := tx.VendorCounts(ctx, now)
		if err != nil {
			return err
		}
		vendors, err := tx.VendorList(ctx)
		if err != nil {
			return err
		}
		noDPA := 0
		for _, v := range vendors {
			out.Vendors = append(out.Vendors, vendorLine(v))
			if v.Status == "active" && !v.DPA {
				noDPA++
			}
		}
		add("vendors", overdue == 0 && expired == 0 && noDPA == 0, "active vendors: %d; review overdue: %d; certification expired: %d; without data-protection terms: %d", active, overdue, expired, noDPA)
		inc, err := tx.IncidentCounts(ctx, now)
		if err != nil {
			return err
		}
		held, err := tx.HeldCounts(ctx, now)
		if err != nil {
			return err
		}
		add("held_records", held.Ended == 0, "records kept from erasures under a legal hold: %d standing, %d past their hold and not yet destroyed", held.Standing, held.Ended)
		add("incidents", inc.Overdue == 0 && inc.DrillsLast365 > 0, "open incidents: %d, of which the authority's notice is overdue: %d; breach drills in the last year: %d, the last %s", inc.Open, inc.Overdue, inc.DrillsLast365, when(inc.LastDrill))
		return s.c.Record(ctx, tx, a, "privacy.report", "report", law, nil, audit.Success, fmt.Sprintf("%d of %d checks pass", out.Passing, len(out.Checks)))
	})
	return out, err
}

func when(t time.Time) string {
	if t.IsZero() || t.Unix() == 0 {
		return "never"
	}
	return t.UTC().Format(time.RFC3339)
}
