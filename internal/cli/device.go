package cli

import (
	"context"
	"fmt"
	"text/tabwriter"
	"time"

	"strongroom.dev/strongroom/internal/authz"
)

// deviceCmd lists, locks and wipes field devices, as the system (audited).
func deviceCmd(ctx context.Context, args []string, env Env) error {
	if len(args) == 0 || (args[0] != "list" && args[0] != "lock" && args[0] != "wipe") {
		return usageError("device needs a subcommand: list | lock --id D [--reason R] | wipe --id D [--reason R]")
	}
	c := loadConfig(env)
	fs := newFlags("device "+args[0], env)
	c.StorageFlags(fs)
	id := fs.String("id", "", "the device (from device list)")
	reason := fs.String("reason", "", "why, for the audit log")
	if err := parse(fs, args[1:]); err != nil {
		return err
	}
	if args[0] != "list" && *id == "" {
		return usageError("device " + args[0] + " needs --id")
	}
	a, err := open(ctx, c, cliLog(env))
	if err != nil {
		return err
	}
	defer a.Close()
	switch args[0] {
	case "lock":
		d, err := a.svc.Devices.Lock(ctx, authz.System(), *id, *reason)
		if err != nil {
			return err
		}
		fmt.Fprintf(env.Stdout, "device %s (%s) is locked: its tokens and offline lease are revoked\n", d.ID, d.Name)
	case "wipe":
		d, err := a.svc.Devices.Wipe(ctx, authz.System(), *id, *reason)
		if err != nil {
			return err
		}
		fmt.Fprintf(env.Stdout, "wipe of device %s (%s) ordered: delivered at its next contact; unconfirmed after --wipe-escalate it raises an alert\n", d.ID, d.Name)
	default:
		list, err := a.svc.Devices.List(ctx, authz.System(), false)
		if err != nil {
			return err
		}
		tw := tabwriter.NewWriter(env.Stdout, 0, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "ID\tUSER\tNAME\tPLATFORM\tAPP\tSTATE\tLAST CONTACT\tLAST PLACE")
		for _, d := range list {
			contact := "-"
			if d.LastContactAt != nil {
				contact = d.LastContactAt.UTC().Format(time.RFC3339)
			}
			place := d.LastPlace
			if place == "" {
				place = "-"
			}
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n", d.ID, d.UserEmail, d.Name, d.Platform, d.AppVersion, d.State, contact, place)
		}
		return tw.Flush()
	}
	return nil
}
