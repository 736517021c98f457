package cli

import (
	"context"
	"fmt"
	"strings"
	"text/tabwriter"

	"strongroom.dev/strongroom/internal/authz"
	"strongroom.dev/strongroom/internal/netguard"
	"strongroom.dev/strongroom/internal/service/hooks"
)

// webhookCmd lists, adds, pauses, resumes and deletes webhook
// subscriptions on the host, as the system (audited like the API's).
func webhookCmd(ctx context.Context, args []string, env Env) error {
	cmd := objects{name: "webhook", subs: []string{"list", "add", "pause", "resume", "delete"}, byID: []string{"pause", "resume", "delete"}}
	sub, c, fs, id, err := cmd.start(args, env)
	if err != nil {
		return err
	}
	name := fs.String("name", "", "add: a name for the partner")
	url := fs.String("url", "", "add: the partner's https:// address")
	role := fs.String("role", "", "add: the role its messages read as (they carry what it may read)")
	events := fs.String("events", "", "add: events, separated by commas: "+strings.Join(hooks.Events, ", "))
	fs.StringVar(&c.WebhookAllow, "webhook-allow", c.WebhookAllow, "add: address ranges (CIDR, separated by commas) a destination may be in although special-purpose, as serve's flag (env STRONGROOM_WEBHOOK_ALLOW)")
	if err := cmd.parse(fs, args, id); err != nil {
		return err
	}
	ranges, err := c.WebhookRanges()
	if err != nil {
		return usageError(err.Error())
	}
	a, err := open(ctx, *c, cliLog(env), env)
	if err != nil {
		return err
	}
	defer a.Close()
	a.svc.Hooks.SetGuard(netguard.Guard{Allow: ranges})
	sys := authz.System()
	switch sub {
	case "list":
		list, err := a.svc.Hooks.List(ctx, sys)
		if err != nil {
			return err
		}
		tw := tabwriter.NewWriter(env.Stdout, 0, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "ID\tNAME\tURL\tROLE\tEVENTS\tSTATE")
		for _, w := range list {
			state := "active"
			if w.Paused {
				state = "paused"
			}
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\n", w.ID, w.Name, w.URL, w.Role, strings.Join(w.Events, ","), state)
		}
		return tw.Flush()
	case "add":
		w, err := a.svc.Hooks.Create(ctx, sys, hooks.Input{Name: *name, URL: *url, Role: *role, Events: split(*events)})
		if err != nil {
			return err
		}
		fmt.Fprintf(env.Stdout, "webhook %s added\nsigning secret (shown this once; give it to the partner): %s\n", w.ID, w.Secret)
	case "pause", "resume":
		if _, err := a.svc.Hooks.SetPaused(ctx, sys, *id, sub == "pause"); err != nil {
			return err
		}
		fmt.Fprintf(env.Stdout, "webhook %s %sd\n", *id, sub)
	case "delete":
		if err := a.svc.Hooks.Delete(ctx, sys, *id); err != nil {
			return err
		}
		fmt.Fprintf(env.Stdout, "webhook %s deleted with its delivery log\n", *id)
	}
	return nil
}
