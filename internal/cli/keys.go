package cli

import (
	"bytes"
	"context"
	"os"
	"strings"

	"strongroom.dev/strongroom/internal/authz"
	"strongroom.dev/strongroom/internal/keyring"
)

// keysCmd handles the master key's commands.
func keysCmd(ctx context.Context, args []string, env Env) error {
	if len(args) == 0 || args[0] != "export" {
		return usageError("keys needs a subcommand: export")
	}
	c := loadConfig(env)
	fs := newFlags("keys export", env)
	c.StorageFlags(fs)
	recipients := fs.String("recipient", "", "age recipients (age1…), separated by commas, whose identities can open the export")
	out := fs.String("out", "", "write the export to this file (0600) instead of standard output")
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
		return os.WriteFile(*out, buf.Bytes(), 0o600)
	}
	_, err = env.Stdout.Write(buf.Bytes())
	return err
}
