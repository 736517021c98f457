package cli

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"strongroom.dev/strongroom/internal/checkpoint"
	"strongroom.dev/strongroom/internal/siem"
)

func auditCmd(ctx context.Context, args []string, env Env) error {
	if len(args) == 0 {
		return usageError("audit needs a subcommand: verify, prove, check-proof, key, export or archive")
	}
	switch args[0] {
	case "verify":
		return auditVerify(ctx, args[1:], env)
	case "prove":
		return auditProve(ctx, args[1:], env)
	case "check-proof":
		return auditCheckProof(args[1:], env)
	case "key":
		return auditKey(args[1:], env)
	case "export":
		return auditExport(ctx, args[1:], env)
	case "archive":
		return auditArchive(ctx, args[1:], env)
	}
	return usageError("unknown audit subcommand " + args[0] + "; use verify, prove, check-proof, key, export or archive")
}

// auditVerify checks the chain, the tree, every checkpoint's signature and
// the witnesses.
func auditVerify(ctx context.Context, args []string, env Env) error {
	c := loadConfig(env)
	fs := newFlags("audit verify", env)
	c.StorageFlags(fs)
	c.AuditKeyFlag(fs)
	witnesses := fs.String("witness", "", "witness directories to check the log against, separated by commas")
	archive := fs.String("archive", "", "also check the archive files in this directory (audit archive) up to the database's anchor")
	verifier := fs.String("verifier", "", "the audit verifier key (origin+hash+base64); default the one in --audit-key's file, else the witness's")
	if err := parse(fs, args); err != nil {
		return err
	}
	key := *verifier
	if key == "" {
		k, err := checkpoint.ReadVerifierKey(c.AuditKeyFile())
		switch {
		case err == nil:
			key = k
		case !errors.Is(err, os.ErrNotExist):
			return err
		}
	}
	var dirs []checkpoint.Dir
	for _, w := range strings.Split(*witnesses, ",") {
		if w = strings.TrimSpace(w); w != "" {
			dirs = append(dirs, checkpoint.Dir(w))
		}
	}
	db, err := openStoreOnly(ctx, c)
	if err != nil {
		return err
	}
	defer db.Close()
	rep, problem, err := checkpoint.Verify(ctx, db, key, dirs)
	if err != nil {
		return err
	}
	if problem == nil && *archive != "" {
		if _, problem, err = checkpoint.VerifyArchive(ctx, db, *archive, key); err != nil {
			return err
		}
	}
	if problem != nil {
		return fmt.Errorf("audit log is NOT intact: %v (the %d events before it are intact)", problem, min(rep.Events, problem.Seq-1))
	}
	signed := "signatures not checked: no verifier key (give --verifier or --witness)"
	if rep.Key != "" {
		signed = "signatures checked with " + rep.Key
	}
	checkpoints := fmt.Sprintf("%d checkpoints (the newest covers %d events)", rep.Checkpoints, rep.Signed)
	switch rep.Checkpoints {
	case 0:
		checkpoints = "no checkpoint yet"
	case 1:
		checkpoints = fmt.Sprintf("1 checkpoint (of %d events)", rep.Signed)
	}
	fmt.Fprintf(env.Stdout, "audit log intact: %d events, chain and head verified; %s, %s", rep.Events, checkpoints, signed)
	if rep.Archived > 0 {
		fmt.Fprintf(env.Stdout, "; events 1–%d archived", rep.Archived)
		if *archive != "" {
			fmt.Fprintf(env.Stdout, " (the archive in %s verified)", *archive)
		}
	}
	if len(rep.Witnesses) > 0 {
		fmt.Fprintf(env.Stdout, "; witnesses agree: %s", strings.Join(rep.Witnesses, ", "))
	}
	fmt.Fprintln(env.Stdout)
	return nil
}

// auditProve prints an inclusion proof of one event as JSON.
func auditProve(ctx context.Context, args []string, env Env) error {
	c := loadConfig(env)
	fs := newFlags("audit prove", env)
	c.StorageFlags(fs)
	seq := fs.Int64("event", 0, "the event's seq")
	if err := parse(fs, args); err != nil {
		return err
	}
	if *seq < 1 {
		return usageError("audit prove needs --event N (an event's seq, from 1)")
	}
	db, err := openStoreOnly(ctx, c)
	if err != nil {
		return err
	}
	defer db.Close()
	p, err := checkpoint.Prove(ctx, db, *seq)
	if err != nil {
		return err
	}
	enc := json.NewEncoder(env.Stdout)
	enc.SetIndent("", "  ")
	return enc.Encode(p)
}

// auditCheckProof checks a proof offline, with the verifier key alone.
func auditCheckProof(args []string, env Env) error {
	fs := newFlags("audit check-proof", env)
	verifier := fs.String("verifier", "", "the audit verifier key (origin+hash+base64), as serve and audit key print it")
	file := fs.String("proof", "-", "the proof's file (JSON, as audit prove prints it); - for standard input")
	if err := parse(fs, args); err != nil {
		return err
	}
	if *verifier == "" {
		return usageError("audit check-proof needs --verifier KEY")
	}
	var in io.Reader = env.Stdin
	if *file != "-" {
		f, err := os.Open(*file)
		if err != nil {
			return err
		}
		defer f.Close()
		in = f
	}
	var p checkpoint.Proof
	if err := json.NewDecoder(io.LimitReader(in, 1<<20)).Decode(&p); err != nil {
		return usageError("the proof is not the JSON that audit prove prints: " + oneLine(err.Error()))
	}
	if err := checkpoint.CheckProof(p, *verifier); err != nil {
		return fmt.Errorf("proof does NOT check: %v", err)
	}
	fmt.Fprintf(env.Stdout, "proof checks: event %d (%s) is in the signed tree of %d events\n", p.Event.Seq, p.Event.Action, p.TreeSize)
	return nil
}

// auditKey prints the verifier key of the audit key file.
func auditKey(args []string, env Env) error {
	c := loadConfig(env)
	fs := newFlags("audit key", env)
	fs.StringVar(&c.DataDir, "data", c.DataDir, "data directory (env STRONGROOM_DATA)")
	c.AuditKeyFlag(fs)
	if err := parse(fs, args); err != nil {
		return err
	}
	k, err := checkpoint.ReadVerifierKey(c.AuditKeyFile())
	if err != nil {
		return fmt.Errorf("no audit key at %s (serve makes one at its first start): %v", c.AuditKeyFile(), err)
	}
	fmt.Fprintln(env.Stdout, k)
	return nil
}

// auditExport sends the audit log to a SIEM destination from its saved
// cursor (internal/siem).
func auditExport(ctx context.Context, args []string, env Env) error {
	c := loadConfig(env)
	fs := newFlags("audit export", env)
	c.StorageFlags(fs)
	to := fs.String("to", "", "where: a file path (appended) or tls://host:port (RFC 5425)")
	format := fs.String("format", "jsonl", "jsonl (one JSON object a line) or syslog (RFC 5424)")
	ca := fs.String("ca", "", "PEM certificates the TLS endpoint's certificate must chain to (default the system's)")
	restart := fs.Bool("from-start", false, "send the whole log again, from the first event")
	follow := fs.Bool("follow", false, "keep sending new events every 2 s until interrupted")
	if err := parse(fs, args); err != nil {
		return err
	}
	x, err := siemExporter(*to, *format, *ca)
	if err != nil {
		return err
	}
	defer x.Sink.Close()
	db, err := openStoreOnly(ctx, c)
	if err != nil {
		return err
	}
	defer db.Close()
	x.DB, x.Log = db, cliLog(env)
	if *restart {
		if err := x.SetCursor(ctx, 0); err != nil {
			return err
		}
	}
	if *follow {
		ctx, stop := signal.NotifyContext(ctx, syscall.SIGINT, syscall.SIGTERM)
		defer stop()
		x.Run(ctx, 2*time.Second)
		return nil
	}
	n, err := x.Drain(ctx)
	if err != nil {
		return err
	}
	fmt.Fprintf(env.Stdout, "sent %d audit events to %s\n", n, *to)
	return nil
}

// siemExporter checks an export's destination and format.
func siemExporter(to, format, ca string) (*siem.Exporter, error) {
	if to == "" {
		return nil, usageError("give --to FILE or --to tls://host:port")
	}
	var f siem.Format
	switch format {
	case "jsonl":
		f = siem.JSONLines
	case "syslog":
		host, _ := os.Hostname()
		f = siem.Syslog(host)
	default:
		return nil, usageError("--format must be jsonl or syslog")
	}
	sink, err := siem.Open(to, ca, format == "syslog")
	if err != nil {
		return nil, usageError(err.Error())
	}
	return &siem.Exporter{Name: to, Format: f, Sink: sink}, nil
}

// auditArchive moves events older than the retention out of the database
// into archive files (checkpoint.Archive).
func auditArchive(ctx context.Context, args []string, env Env) error {
	c := loadConfig(env)
	fs := newFlags("audit archive", env)
	c.StorageFlags(fs)
	c.AuditKeyFlag(fs)
	older := fs.Duration("older-than", c.AuditRetention, "archive the events older than this (the online retention; default 12 months, or STRONGROOM_AUDIT_RETENTION)")
	to := fs.String("to", c.AuditArchiveDir(), "the archive directory (default audit-archive in --data, or STRONGROOM_AUDIT_ARCHIVE); keep it on other storage, with the witness")
	verifier := fs.String("verifier", "", "the audit verifier key; default the one in --audit-key's file")
	if err := parse(fs, args); err != nil {
		return err
	}
	if *older < 24*time.Hour {
		return usageError("--older-than must be at least 24h")
	}
	dir := *to
	key := *verifier
	if key == "" {
		if k, err := checkpoint.ReadVerifierKey(c.AuditKeyFile()); err == nil {
			key = k
		}
	}
	db, err := openStoreOnly(ctx, c)
	if err != nil {
		return err
	}
	defer db.Close()
	runs, err := checkpoint.ArchiveAll(ctx, db, time.Now().Add(-*older), dir, key)
	for _, got := range runs {
		fmt.Fprintf(env.Stdout, "archived events %d–%d to %s and removed them from the database\n", got.From, got.To, got.File)
	}
	if err != nil {
		return err
	}
	if len(runs) == 0 {
		fmt.Fprintln(env.Stdout, "nothing to archive: no checkpointed events are that old")
	}
	return nil
}
