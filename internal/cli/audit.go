package cli

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	"strongroom.dev/strongroom/internal/checkpoint"
)

func auditCmd(ctx context.Context, args []string, env Env) error {
	if len(args) == 0 {
		return usageError("audit needs a subcommand: verify, prove, check-proof or key")
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
	}
	return usageError("unknown audit subcommand " + args[0] + "; use verify, prove, check-proof or key")
}

// auditVerify checks the chain, the tree, every checkpoint's signature and
// the witnesses.
func auditVerify(ctx context.Context, args []string, env Env) error {
	c := loadConfig(env)
	fs := newFlags("audit verify", env)
	c.StorageFlags(fs)
	c.AuditKeyFlag(fs)
	witnesses := fs.String("witness", "", "witness directories to check the log against, separated by commas")
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
	if problem != nil {
		return fmt.Errorf("audit log is NOT intact: %v (the %d events before it are intact)", problem, min(rep.Events, problem.Seq-1))
	}
	signed := "signatures not checked: no verifier key (give --verifier or --witness)"
	if rep.Key != "" {
		signed = "signatures checked with " + rep.Key
	}
	fmt.Fprintf(env.Stdout, "audit log intact: %d events, chain and head verified; %d checkpoints (the newest covers %d events), %s", rep.Events, rep.Checkpoints, rep.Signed, signed)
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
