package cli

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"text/tabwriter"
	"time"

	"filippo.io/age"
	"filippo.io/age/armor"

	"strongroom.dev/strongroom/internal/authz"
	"strongroom.dev/strongroom/internal/backup"
	"strongroom.dev/strongroom/internal/checkpoint"
	"strongroom.dev/strongroom/internal/config"
	"strongroom.dev/strongroom/internal/keyring"
	"strongroom.dev/strongroom/internal/service"
	"strongroom.dev/strongroom/internal/service/records"
	"strongroom.dev/strongroom/internal/store"
)

// backupCmd makes a backup now, lists backups, or drills.
func backupCmd(ctx context.Context, args []string, env Env) error {
	sub := "now"
	if len(args) > 0 && !strings.HasPrefix(args[0], "-") {
		sub, args = args[0], args[1:]
	}
	if sub == "reapply-ledger" {
		return reapplyLedger(ctx, args, env)
	}
	if sub != "now" && sub != "list" && sub != "drill" {
		return usageError("backup: unknown subcommand " + sub + " (backup [now], backup list, backup drill, backup reapply-ledger)")
	}
	c := loadConfig(env)
	fs := newFlags("backup "+sub, env)
	c.StorageFlags(fs)
	c.AuditKeyFlag(fs)
	c.BackupFlags(fs)
	c.MailFlags(fs)
	if err := parse(fs, args); err != nil {
		return err
	}
	log := cliLog(env)
	a, err := open(ctx, c, log, env)
	if err != nil {
		return err
	}
	defer a.Close()
	r, err := backupRunner(c, a, nil)
	if err != nil {
		return err
	}
	w := tabwriter.NewWriter(env.Stdout, 0, 0, 2, ' ', 0)
	defer w.Flush()
	failed := 0
	for _, s := range r.Targets {
		switch sub {
		case "now":
			run, err := r.Backup(ctx, s)
			if err != nil {
				failed++
				fmt.Fprintf(env.Stderr, "backup to %s failed: %s\n", s.Target.Name(), oneLine(err.Error()))
				continue
			}
			fmt.Fprintf(w, "backup %s\ton %s\t%s\n", run.BackupID, s.Target.Name(), run.Detail)
		case "drill":
			run, err := r.DrillNow(ctx, s)
			if err != nil {
				failed++
				fmt.Fprintf(env.Stderr, "drill on %s failed: %s\n", s.Target.Name(), oneLine(err.Error()))
				continue
			}
			fmt.Fprintf(w, "drill of %s\ton %s\tRTO %s\tRPO %s\t%s\n", run.BackupID, s.Target.Name(),
				run.FinishedAt.Sub(run.StartedAt).Round(time.Millisecond), run.Age.Round(time.Second), run.Detail)
		case "list":
			ids, err := backup.List(ctx, s.Target)
			if err != nil {
				failed++
				fmt.Fprintf(env.Stderr, "%s\n", oneLine(err.Error()))
				continue
			}
			fmt.Fprintf(w, "%s\t%d backups\n", s.Target.Name(), len(ids))
			for _, id := range ids {
				m, err := backup.ReadManifest(ctx, s.Target, id, r.Drill.VerifierKey)
				if err != nil {
					fmt.Fprintf(w, "  %s\tREFUSED: %s\n", id, oneLine(err.Error()))
					continue
				}
				fmt.Fprintf(w, "  %s\t%s\t%s schema %d\t%d rows\t%d bytes\n", id, m.Created.Format(time.RFC3339), m.Engine, m.SchemaVersion, m.Rows(), m.Data.Size)
			}
		}
	}
	if failed > 0 {
		w.Flush()
		return fmt.Errorf("%d of %d targets failed", failed, len(r.Targets))
	}
	return nil
}

// backupRunner builds the backups' runner from the configuration: the
// targets, the recipients (the drill identity's and --backup-recipient's),
// the audit key that signs, and a drill that decrypts a sample with the
// master key.
func backupRunner(c config.Config, a *app, log *slog.Logger) (*backup.Runner, error) {
	signer, err := auditSigner(c)
	if err != nil {
		return nil, err
	}
	drillID, _, err := backup.LoadOrCreateIdentity(c.DrillIdentityFile())
	if err != nil {
		return nil, err
	}
	recipients := append([]string{drillID.Recipient().String()}, c.Recipients()...)
	if _, err := backup.ParseRecipients(recipients); err != nil {
		return nil, usageError("--backup-recipient: " + err.Error())
	}
	var specs []backup.Spec
	for _, raw := range c.Targets() {
		s, err := backup.ParseSpec(raw, os.Getenv)
		if err != nil {
			return nil, usageError(err.Error())
		}
		specs = append(specs, s)
	}
	host, _ := os.Hostname()
	maker := &backup.Maker{DB: a.db, Signer: signer, Recipients: recipients, Host: host}
	r := &backup.Runner{Maker: maker, Targets: specs, DrillEvery: c.DrillEvery, Log: log,
		Ledger: &backup.Ledger{DB: a.db, Signer: signer, Targets: specs},
		Drill: backup.Drill{Identities: []age.Identity{drillID}, VerifierKey: signer.VerifierKey(),
			Scratch: filepath.Join(c.DataDir, "scratch"), Sample: decryptSample(a.keys)},
		Contacts: c.Contacts(), Link: c.Link()}
	if a.mail != nil {
		r.Mail = a.mail
	}
	return r, nil
}

// decryptSample opens a restored database with the master key and reads,
// through the service as the system, a sample of each kind of personal
// data: staff accounts, the newest customers with everything on their
// page (activities, deals, purchases, preferences, feedback) and their
// change history, the newest companies with their activities, and this
// week's store visits. Every field read is opened with its subject's
// data key; one that does not open fails the drill.
func decryptSample(kr *keyring.Keyring) func(ctx context.Context, db *store.DB) (string, error) {
	return func(ctx context.Context, db *store.DB) (string, error) {
		svc, err := service.New(ctx, db, kr, service.Options{})
		if err != nil {
			return "", err
		}
		defer svc.Close()
		sys := authz.System()
		users, err := svc.Users.ListUsers(ctx, sys)
		if err != nil {
			return "", fmt.Errorf("users: %w", err)
		}
		customers, err := svc.Customers.ListCustomers(ctx, sys, records.CustomerQuery{Limit: 20, Newest: true})
		if err != nil {
			return "", fmt.Errorf("customers: %w", err)
		}
		activities, deals, changes := 0, 0, 0
		for _, c := range customers.Customers {
			o, err := svc.Customers.CustomerOverview(ctx, sys, c.ID)
			if err != nil {
				return "", fmt.Errorf("customer %s: %w", c.ID, err)
			}
			activities, deals = activities+len(o.Activities), deals+len(o.Deals)
			h, err := svc.Customers.CustomerHistory(ctx, sys, c.ID)
			if err != nil {
				return "", fmt.Errorf("customer %s's history: %w", c.ID, err)
			}
			changes += len(h)
		}
		companies, err := svc.Companies.ListCompanies(ctx, sys, records.CompanyQuery{Limit: 20})
		if err != nil {
			return "", fmt.Errorf("companies: %w", err)
		}
		for _, co := range companies.Companies {
			o, err := svc.Companies.CompanyOverview(ctx, sys, co.ID)
			if err != nil {
				return "", fmt.Errorf("company %s: %w", co.ID, err)
			}
			activities += len(o.Activities)
		}
		today := time.Now().UTC()
		visits, err := svc.Visits.Visits(ctx, sys, today.AddDate(0, 0, -7).Format(time.DateOnly), today.AddDate(0, 0, 7).Format(time.DateOnly))
		if err != nil {
			return "", fmt.Errorf("visits: %w", err)
		}
		return fmt.Sprintf("%d users, %d customers (%d activities, %d deals, %d changes), %d companies, %d visits",
			len(users), len(customers.Customers), activities, deals, changes, len(companies.Companies), len(visits)), nil
	}
}

// restoreCmd restores a backup into a new data directory or database.
func restoreCmd(ctx context.Context, args []string, env Env) error {
	c := loadConfig(env)
	fs := newFlags("restore", env)
	c.StorageFlags(fs)
	c.AuditKeyFlag(fs)
	from := fs.String("from", "", "the target to restore from: a directory or s3://host/bucket/prefix (as --backup-target)")
	id := fs.String("backup", "", "the backup to restore (an id from strongroom backup list); default the newest")
	at := fs.String("at", "", "restore the newest backup made at or before this time (RFC 3339, or a date 2006-01-02)")
	identity := fs.String("identity", "", "age identity files (AGE-SECRET-KEY-1…, comma-separated) for a recipient the backup is encrypted to")
	verifier := fs.String("verifier", "", "the audit verifier key the manifest must be signed with (strongroom audit key prints it); default the --audit-key file's")
	masterKey := fs.String("master-key", "", "the master key to put in the new data directory: strongroom keys export's file (opened with --identity) or the key file itself")
	if err := parse(fs, args); err != nil {
		return err
	}
	if *from == "" || *identity == "" {
		return usageError("restore needs --from TARGET and --identity FILE")
	}
	if !given(fs, "data") && !given(fs, "db") && c.DSN == "" {
		return usageError("restore needs --data DIR (a new data directory) or --db URL (an empty database)")
	}
	if *id != "" && *at != "" {
		return usageError("restore takes --backup or --at, not both")
	}
	var when time.Time
	if *at != "" {
		var err error
		if when, err = time.Parse(time.RFC3339, *at); err != nil {
			if when, err = time.Parse("2006-01-02", *at); err != nil {
				return usageError("--at " + *at + ": want RFC 3339 (2026-11-30T09:00:00Z) or a date (2026-11-30)")
			}
			when = when.Add(24*time.Hour - time.Nanosecond)
		}
	}
	key := *verifier
	if key == "" {
		if !given(fs, "audit-key") {
			return usageError("restore needs --verifier KEY (strongroom audit key prints it) or --audit-key FILE")
		}
		var err error
		if key, err = checkpoint.ReadVerifierKey(c.AuditKeyFile()); err != nil {
			return err
		}
	}
	var ids []age.Identity
	for _, f := range strings.Split(*identity, ",") {
		b, err := os.ReadFile(strings.TrimSpace(f))
		if err != nil {
			return fmt.Errorf("--identity: %w", err)
		}
		more, err := backup.ParseIdentities(bytes.NewReader(b))
		if err != nil {
			return err
		}
		ids = append(ids, more...)
	}
	spec, err := backup.ParseSpec(*from, os.Getenv)
	if err != nil {
		return usageError(err.Error())
	}
	if err := c.EnsureDataDir(); err != nil { // the database (SQLite) and the master key go there
		return fmt.Errorf("cannot create the data directory: %w", err)
	}
	var kr *keyring.Keyring
	if *masterKey != "" {
		if kr, err = readMasterKey(*masterKey, ids); err != nil {
			return err
		}
		defer kr.Close()
		if _, err := os.Stat(c.MasterKeyFile()); err == nil {
			return fmt.Errorf("%s already exists: restore into a new data directory", c.MasterKeyFile())
		}
	}
	pick, err := backup.Pick(ctx, spec.Target, *id, when)
	if err != nil {
		return err
	}
	r := &backup.Restorer{Target: spec.Target, Identities: ids, VerifierKey: key}
	got, err := r.Restore(ctx, pick, c.DatabaseDSN())
	if err != nil {
		return err
	}
	if kr != nil {
		if err := kr.WriteFile(c.MasterKeyFile()); err != nil {
			return err
		}
	}
	m := got.Manifest
	fmt.Fprintf(env.Stdout, "restored backup %s (made %s on %s from %s, schema %d) into %s: %d rows in %d tables in %s\n",
		m.ID, m.Created.Format(time.RFC3339), m.Host, m.Engine, m.SchemaVersion, where(c), got.Rows, len(m.Tables), got.Duration.Round(time.Millisecond))
	fmt.Fprintf(env.Stdout, "erasure ledger: %d entries on the target, %d erased again", got.LedgerEntries, got.ErasedAgain)
	if got.LedgerRefused > 0 {
		fmt.Fprintf(env.Stdout, ", %d refused (not signed by the audit key)", got.LedgerRefused)
	}
	fmt.Fprintln(env.Stdout)
	if kr == nil {
		fmt.Fprintf(env.Stdout, "put the master key (strongroom keys export's file, opened with age -d) at %s before serving\n", c.MasterKeyFile())
	}
	fmt.Fprintf(env.Stdout, "serve with the same audit key (--audit-key) so that the audit log's checkpoints verify\n")
	return nil
}

func where(c config.Config) string {
	if c.DSN != "" {
		return "the PostgreSQL database"
	}
	return c.DataDir
}

// readMasterKey reads a master key file, or keys export's age file opened
// with ids.
func readMasterKey(path string, ids []age.Identity) (*keyring.Keyring, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("--master-key: %w", err)
	}
	defer clear(b)
	if bytes.HasPrefix(bytes.TrimSpace(b), []byte(armor.Header)) {
		r, err := age.Decrypt(armor.NewReader(bytes.NewReader(b)), ids...)
		if err != nil {
			return nil, fmt.Errorf("--master-key: %s does not open with the identities given: %v", path, err)
		}
		plain, err := io.ReadAll(r)
		if err != nil {
			return nil, fmt.Errorf("--master-key: %w", err)
		}
		defer clear(plain)
		b = plain
	}
	kr, err := keyring.Parse(b)
	if err != nil {
		return nil, fmt.Errorf("--master-key: %s: %v", path, err)
	}
	return kr, nil
}

// reapplyLedger erases again everyone in a target's ledger from the
// database, after a restore by other means.
func reapplyLedger(ctx context.Context, args []string, env Env) error {
	c := loadConfig(env)
	fs := newFlags("backup reapply-ledger", env)
	c.StorageFlags(fs)
	c.AuditKeyFlag(fs)
	from := fs.String("from", "", "the target whose erasure ledger to apply (as --backup-target)")
	verifier := fs.String("verifier", "", "the audit verifier key the ledger must be signed with; default the audit key file's")
	if err := parse(fs, args); err != nil {
		return err
	}
	if *from == "" {
		return usageError("backup reapply-ledger needs --from TARGET")
	}
	key := *verifier
	if key == "" {
		var err error
		if key, err = checkpoint.ReadVerifierKey(c.AuditKeyFile()); err != nil {
			return usageError("give --verifier KEY (strongroom audit key prints it) or --audit-key FILE: " + err.Error())
		}
	}
	spec, err := backup.ParseSpec(*from, os.Getenv)
	if err != nil {
		return usageError(err.Error())
	}
	db, err := openStoreOnly(ctx, c)
	if err != nil {
		return err
	}
	defer db.Close()
	got, err := backup.ReapplyLedger(ctx, db, spec.Target, key, time.Now())
	if err != nil {
		return err
	}
	fmt.Fprintf(env.Stdout, "erasure ledger of %s: %d entries, %d erased again, %d refused (not signed by the audit key)\n", spec.Target.Name(), got.Entries, got.Erased, got.Refused)
	return nil
}
