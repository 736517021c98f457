package cli

import (
	"context"
	"fmt"

	"strongroom.dev/strongroom/internal/service/governance"
)

func auditCmd(ctx context.Context, args []string, env Env) error {
	if len(args) == 0 || args[0] != "verify" {
		return usageError("audit needs a subcommand: verify")
	}
	c := loadConfig(env)
	fs := newFlags("audit verify", env)
	c.StorageFlags(fs)
	if err := parse(fs, args[1:]); err != nil {
		return err
	}
	db, err := openStoreOnly(ctx, c)
	if err != nil {
		return err
	}
	defer db.Close()
	n, problem, err := governance.VerifyAudit(ctx, db)
	if err != nil {
		return err
	}
	if problem != nil {
		return fmt.Errorf("audit log is NOT intact: %v (the %d events before it are intact)", problem, n)
	}
	fmt.Fprintf(env.Stdout, "audit log intact: %d events, chain and head verified\n", n)
	return nil
}
