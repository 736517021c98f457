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
}

// reportStore is what the report reads.
type reportStore interface {
	audit.Appender
	Compliance(ctx context.Context, now time.Time) (store.ComplianceCounts, error)
	MFARequiredRoles(ctx context.Context) ([]string, error)
	Notice(ctx context.Context, version int) (store.NoticeRow, error)
	LatestCheckpoint(ctx context.Context) (store.CheckpointRow, error)
}

func reportStoreOf(tx *store.Tx) reportStore { return tx }

// ComplianceReport checks, for one law (gdpr, ccpa or pipl), what the
// live configuration and records show: two-step login required for every
// role, encryption at rest, a recent backup and a recent successful
// restore drill, sensitive data only with consent, the organisation's own
// privacy notice, requests answered on time, and a checkpointed audit log.
// For those who may read the audit log; audited (privacy.report).
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
