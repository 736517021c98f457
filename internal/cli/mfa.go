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
	if !given(fs, "roles") {
		return usageError(`mfa require needs --roles: a list, "all", or "" for none`)
	}
	a, err := open(ctx, c, cliLog(env), env)
	if err != nil {
		return err
	}
	defer a.Close()
	var roles []string
	switch strings.TrimSpace(*list) {
	case "":
	case "all": // built-in and defined
		defs, err := a.svc.Roles.Roles(ctx, authz.System())
		if err != nil {
			return err
		}
		for _, d := range defs {
			if !d.Retired {
				roles = append(roles, string(d.Name))
			}
		}
	default:
		for _, r := range strings.Split(*list, ",") {
			roles = append(roles, strings.TrimSpace(r))
		}
	}
	if err := a.svc.Sessions.SetMFARequiredRoles(ctx, authz.System(), roles); err != nil {
		return err
	}
	if len(roles) == 0 {
		fmt.Fprintln(env.Stdout, "two-step login is now optional for every role")
		return nil
	}
	fmt.Fprintf(env.Stdout, "two-step login is now required for: %s\n", strings.Join(roles, ", "))
	return nil
}
