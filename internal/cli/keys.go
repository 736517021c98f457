package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"math"
	"strings"
	"text/tabwriter"
	"time"

	"strongroom.dev/strongroom/internal/authz"
	"strongroom.dev/strongroom/internal/config"
	"strongroom.dev/strongroom/internal/keyring"
	"strongroom.dev/strongroom/internal/rewrap"
	"strongroom.dev/strongroom/internal/service/keys"
)

// keysUsage lists every keys subcommand.
const keysUsage = "keys needs a subcommand: export, status, rotate, rewrap, retire --term N, rotate-subject --customer ID|--company ID --reason R, recovery-init, recovery-set, recovery-open"

// keysCmd handles the master key's commands.
func keysCmd(ctx context.Context, args []string, env Env) error {
	if len(args) > 0 && strings.HasPrefix(args[0], "recovery-") { // sealed notes' recovery key: recovery.go
		return recoveryCmd(ctx, args, env)
	}
	if len(args) == 0 || args[0] != "export" {
		return keysManage(ctx, args, env)
	}
	c := loadConfig(env)
	fs := newFlags("keys export", env)
	c.StorageFlags(fs)
	recipients := fs.String("recipient", "", "age recipients (age1…), separated by commas, whose identities can open the export")
	out := fs.String("out", "", "write the export to this new file (0600; an existing file is refused) instead of standard output")
	if err := parse(fs, args[1:]); err != nil {
		return err
	}
	var rs []string
	for _, r := range strings.Split(*recipients, ",") {
		if r = strings.TrimSpace(r); r != "" {
			rs = append(rs, r)
		}
	}
	if len(rs) == 0 {
		return usageError("keys export needs --recipient age1…")
	}
	switch c.Custody {
	case "passphrase":
		return usageError("keys export copies the key file; under the passphrase custody the keys come from the passphrase and " + c.PassphraseFile() + ": keep both")
	case "pkcs11":
		return usageError("keys export copies the key file; under the pkcs11 custody the master key never leaves the token: back it up with the token's own tools")
	}
	var buf bytes.Buffer
	if err := keyring.ExportFile(c.MasterKeyFile(), rs, &buf); err != nil {
		return err
	}
	a, err := open(ctx, c, cliLog(env), env)
	if err != nil {
		return err
	}
	defer a.Close()
	if err := a.svc.AuditLog.RecordKeyExport(ctx, authz.System(), rs); err != nil {
		return err // no audit, no export
	}
	if *out != "" {
		if err := writeNewSecret(*out, buf.Bytes()); err != nil {
			return fmt.Errorf("keys export: --out must name a new file: %w", err)
		}
		return nil
	}
	_, err = env.Stdout.Write(buf.Bytes())
	return err
}

// keysManage handles the master key's management: status, rotate,
// rewrap, retire and rotate-subject, each as the system on this host.
func keysManage(ctx context.Context, args []string, env Env) error {
	if len(args) == 0 {
		return usageError(keysUsage)
	}
	sub := args[0]
	switch sub {
	case "status", "rotate", "rewrap", "retire", "rotate-subject":
	default:
		return usageError(keysUsage)
	}
	c := loadConfig(env)
	fs := newFlags("keys "+sub, env)
	c.StorageFlags(fs)
	asJSON := fs.Bool("json", false, "status: print JSON")
	term := fs.Uint("term", 0, "retire: the term to destroy")
	customer := fs.String("customer", "", "rotate-subject: the customer's id")
	company := fs.String("company", "", "rotate-subject: the company's (or store's) id, instead of --customer")
	reason := fs.String("reason", "", "rotate-subject: why (kept in the audit log)")
	batch := fs.Int("batch", 500, "rewrap: data keys a transaction")
	c.RewrapFlags(fs)
	if err := parse(fs, args[1:]); err != nil {
		return err
	}
	switch {
	case sub == "retire" && (*term == 0 || *term > math.MaxUint32):
		return usageError("keys retire needs --term N, a term that keys status lists")
	case sub == "rotate-subject" && ((*customer == "") == (*company == "") || strings.TrimSpace(*reason) == ""):
		return usageError("keys rotate-subject needs --customer ID or --company ID, and --reason R")
	}
	a, err := open(ctx, c, cliLog(env), env)
	if err != nil {
		return err
	}
	defer a.Close()
	sys := authz.System()
	switch sub {
	case "status":
		st, err := a.svc.Keys.Status(ctx, sys)
		if err != nil {
			return err
		}
		if *asJSON {
			enc := json.NewEncoder(env.Stdout)
			enc.SetIndent("", "  ")
			return enc.Encode(st)
		}
		printKeyStatus(env, st)
		return nil
	case "rotate":
		t, err := a.svc.Keys.Rotate(ctx, sys)
		if err != nil {
			return err
		}
		fmt.Fprintf(env.Stdout, "term %d added to the %s custody; new data keys are wrapped under it.\nRunning servers re-wrap the older keys in the background (or run strongroom keys rewrap).\n", t, a.keys.Custody())
		return nil
	case "rewrap":
		r := rewrapRunner(c, a, cliLog(env))
		r.Batch = *batch
		start := time.Now()
		held, err := r.Once(ctx, func(p keys.Progress) {
			fmt.Fprintf(env.Stdout, "term %d: %d of %d data keys checked%s\n", p.Term, p.Done, p.Total, map[bool]string{true: " — finished"}[p.Finished()])
		})
		if err != nil {
			return err
		}
		if !held {
			return fmt.Errorf("another server is re-wrapping the data keys now; see strongroom keys status")
		}
		fmt.Fprintf(env.Stdout, "done in %s\n", time.Since(start).Round(time.Millisecond))
		return nil
	case "retire":
		if err := a.svc.Keys.Retire(ctx, sys, uint32(*term)); err != nil {
			return err
		}
		fmt.Fprintf(env.Stdout, "term %d destroyed.\n", *term)
		return nil
	default: // rotate-subject
		kind, id, rotate := "customer", *customer, a.svc.Customers.RotateKey
		if *company != "" {
			kind, id, rotate = "company", *company, a.svc.Companies.RotateKey
		}
		n, err := rotate(ctx, sys, id, *reason)
		if err != nil {
			return err
		}
		fmt.Fprintf(env.Stdout, "%s %s has a new data key; %d sealed values re-sealed under it.\n", kind, id, n)
		return nil
	}
}

func printKeyStatus(env Env, st keys.Status) {
	fmt.Fprintf(env.Stdout, "custody:      %s\nactive term:  %d\n", st.Custody, st.Active)
	tw := tabwriter.NewWriter(env.Stdout, 2, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "term\tcustody\tadded\tretired\tdata keys")
	for _, t := range st.Terms {
		retired := "-"
		if !t.RetiredAt.IsZero() {
			retired = t.RetiredAt.UTC().Format(time.RFC3339)
		}
		mark := ""
		if t.Active {
			mark = " (active)"
		}
		fmt.Fprintf(tw, "%d%s\t%s\t%s\t%s\t%d\n", t.Term, mark, t.Custody, t.CreatedAt.UTC().Format(time.RFC3339), retired, t.Keys)
	}
	tw.Flush()
	switch p := st.Rewrap; {
	case p == nil:
		fmt.Fprintf(env.Stdout, "re-wrapping:  none to term %d yet\n", st.Active)
	case p.Finished():
		fmt.Fprintf(env.Stdout, "re-wrapping:  to term %d finished %s (%d keys)\n", p.Term, p.FinishedAt.UTC().Format(time.RFC3339), p.Done)
	default:
		fmt.Fprintf(env.Stdout, "re-wrapping:  to term %d, %d of %d keys checked\n", p.Term, p.Done, p.Total)
	}
}

// rewrapRunner builds the background re-wrapping of data keys.
func rewrapRunner(c config.Config, a *app, log *slog.Logger) *rewrap.Runner {
	return &rewrap.Runner{Keys: a.svc.Keys, Rate: c.RewrapRate, Log: log,
		Lock: func(ctx context.Context) (func(), bool) { return a.db.TryLock(ctx, rewrap.LockKey) }}
}
