package cli

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"strings"
	"text/tabwriter"

	"strongroom.dev/strongroom/internal/authz"
)

// roleCmd lists, shows, defines, copies and retires roles.
func roleCmd(ctx context.Context, args []string, env Env) error {
	if len(args) == 0 {
		return usageError("role needs a subcommand: list, show, save, copy, retire, networks or template")
	}
	c := loadConfig(env)
	fs := newFlags("role "+args[0], env)
	c.StorageFlags(fs)
	name := fs.String("name", "", "the role's name")
	from := fs.String("from", "", "copy: the role to copy")
	cidrs := fs.String("set", "", `networks: comma-separated address ranges the role may be used from; "" for anywhere`)
	file := fs.String("file", "", `save: a JSON file {"name", "summary", "grants"}, as GET /api/v1/roles/{name} shows`)
	if err := parse(fs, args[1:]); err != nil {
		return err
	}
	var def authz.RoleDef
	switch args[0] {
	case "list":
	case "template":
		if *name == "" {
			names := make([]string, len(authz.Templates))
			for i, t := range authz.Templates {
				names[i] = t.Name
			}
			return usageError("role template needs --name: one of " + strings.Join(names, ", "))
		}
	case "show", "retire", "networks":
		if *name == "" {
			return usageError("role " + args[0] + " needs --name")
		}
		if args[0] == "networks" && !given(fs, "set") {
			return usageError(`role networks needs --set: address ranges separated by commas, or "" to lift the limit`)
		}
	case "copy":
		if *name == "" || *from == "" {
			return usageError("role copy needs --from and --name")
		}
	case "save":
		if *file == "" {
			return usageError("role save needs --file")
		}
		b, err := os.ReadFile(*file)
		if err != nil {
			return err
		}
		if err := json.Unmarshal(b, &def); err != nil {
			return usageError(fmt.Sprintf("%s: %v", *file, err))
		}
	default:
		return usageError(fmt.Sprintf("unknown role subcommand %q; use list, show, save, copy, retire, networks or template", args[0]))
	}
	a, err := open(ctx, c, cliLog(env), env)
	if err != nil {
		return err
	}
	defer a.Close()
	sys := authz.System()
	switch args[0] {
	case "list":
		roles, err := a.svc.Roles.Roles(ctx, sys)
		if err != nil {
			return err
		}
		tw := tabwriter.NewWriter(env.Stdout, 0, 0, 2, ' ', 0)
		fmt.Fprintln(tw, "NAME\tKIND\tFOR")
		for _, r := range roles {
			kind := "defined"
			switch {
			case r.BuiltIn:
				kind = "built-in"
			case r.Retired:
				kind = "retired"
			}
			fmt.Fprintf(tw, "%s\t%s\t%s\n", r.Name, kind, r.Summary)
		}
		return tw.Flush()
	case "show":
		r, err := a.svc.Roles.Role(ctx, sys, *name)
		if err != nil {
			return err
		}
		enc := json.NewEncoder(env.Stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(r)
	case "save":
		r, err := a.svc.Roles.SaveRole(ctx, sys, def)
		if err != nil {
			return err
		}
		fmt.Fprintf(env.Stdout, "role %s saved; users who hold it get the change from their next request\n", r.Name)
	case "copy":
		r, err := a.svc.Roles.CopyRole(ctx, sys, *from, *name, "")
		if err != nil {
			return err
		}
		fmt.Fprintf(env.Stdout, "role %s defined as a copy of %s\n", r.Name, *from)
	case "template":
		roles, err := a.svc.Roles.ApplyTemplate(ctx, sys, *name)
		if err != nil {
			return err
		}
		for _, r := range roles {
			fmt.Fprintf(env.Stdout, "role %s defined: %s\n", r.Name, r.Summary)
		}
	case "networks":
		nets, err := a.svc.Roles.SetRoleNetworks(ctx, sys, *name, strings.Split(*cidrs, ","))
		if err != nil {
			return err
		}
		if len(nets) == 0 {
			fmt.Fprintf(env.Stdout, "role %s may be used from anywhere\n", *name)
			return nil
		}
		fmt.Fprintf(env.Stdout, "role %s may be used only from: %s\n", *name, strings.Join(nets, ", "))
	case "retire":
		if err := a.svc.Roles.RetireRole(ctx, sys, *name); err != nil {
			return err
		}
		fmt.Fprintf(env.Stdout, "role %s retired\n", *name)
	}
	return nil
}
