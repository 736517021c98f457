package cli

import (
	"context"
	"fmt"
	"strings"

	"strongroom.dev/strongroom/internal/authz"
)

// mfaCmd sets which roles must use two-step login (a new database requires
// it for every role).
func mfaCmd(ctx context.Context, args []string, env Env) error {
	if len(args) == 0 || args[0] != "require" {
		return usageError("mfa needs a subcommand: require --roles LIST")
	}
	c := loadConfig(env)
	fs := newFlags("mfa require", env)
	c.StorageFlags(fs)
	list := fs.String("roles", "", `comma-separated roles that must use two-step login; "all" for every role, "" for none`)
	if err := parse(fs, args[1:]); err != nil {
		return err
	}
	var roles []string
	switch strings.TrimSpace(*list) {
	case "":
	case "all":
		for _, r := range authz.Roles {
			roles = append(roles, string(r))
		}
	default:
		for _, r := range strings.Split(*list, ",") {
			roles = append(roles, strings.TrimSpace(r))
		}
	}
	a, err := open(ctx, c, cliLog(env))
	if err != nil {
		return err
	}
	defer a.Close()
	if err := a.svc.SetMFARequiredRoles(ctx, authz.System(), roles); err != nil {
		return err
	}
	if len(roles) == 0 {
		fmt.Fprintln(env.Stdout, "two-step login is now optional for every role")
		return nil
	}
	fmt.Fprintf(env.Stdout, "two-step login is now required for: %s\n", strings.Join(roles, ", "))
	return nil
}
