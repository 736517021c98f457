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
	cmd := objects{name: "device", subs: []string{"list", "lock", "wipe"}, byID: []string{"lock", "wipe"}}
	sub, c, fs, id, err := cmd.start(args, env)
	if err != nil {
		return err
	}
	reason := fs.String("reason", "", "why, for the audit log")
	if err := cmd.parse(fs, args, id); err != nil {
		return err
	}
	a, err := open(ctx, *c, cliLog(env), env)
	if err != nil {
		return err
	}
	defer a.Close()
	switch sub {
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
