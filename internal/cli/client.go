package cli

import (
	"context"
	"fmt"
	"os"
	"text/tabwriter"

	"strongroom.dev/strongroom/internal/authz"
	"strongroom.dev/strongroom/internal/service/clients"
)

// clientCmd registers, lists, suspends, resumes and deletes OAuth clients
// of partner systems.
func clientCmd(ctx context.Context, args []string, env Env) error {
	cmd := objects{name: "client", subs: []string{"add", "list", "suspend", "resume", "delete"}, byID: []string{"suspend", "resume", "delete"}}
	sub, c, fs, id, err := cmd.start(args, env)
	if err != nil {
		return err
	}
	name := fs.String("name", "", "add: the client's name")
	role := fs.String("role", "", "add: the role whose grants the client acts with")
	jwkFile := fs.String("jwk", "", "add: a file with the client's public JWK: it authenticates with private_key_jwt instead of a secret")
	redirects := fs.String("redirect-uris", "", "add: comma-separated https redirect URIs, for an app acting for a user (code flow with PKCE)")
	networks := fs.String("networks", "", "add: comma-separated CIDRs the client may call from (default anywhere)")
	rate := fs.Int("rate", 0, "add: requests a minute (default 600)")
	ttl := fs.Int("token-seconds", 0, "add: access token lifetime in seconds (default 3600)")
	if err := cmd.parse(fs, args, id); err != nil {
		return err
	}
	in := clients.Input{Name: *name, Role: *role, RedirectURIs: split(*redirects), Networks: split(*networks), RatePerMinute: *rate, TokenSeconds: *ttl}
	if sub == "add" {
		if *name == "" || *role == "" {
			return usageError("client add needs --name and --role")
		}
		if *jwkFile != "" {
			b, err := os.ReadFile(*jwkFile)
			if err != nil {
				return err
			}
			in.AuthMethod, in.JWK = clients.MethodJWT, string(b)
		}
	}
	a, err := open(ctx, *c, cliLog(env), env)
	if err != nil {
		return err
	}
	defer a.Close()
	sys := authz.System()
	svc := a.svc.Clients
	switch sub {
	case "add":
		cl, err := svc.Register(ctx, sys, in)
		if err != nil {
			return err
		}
		fmt.Fprintf(env.Stdout, "registered client %s (%s) acting as %s\n", cl.ID, cl.Name, cl.Role)
		if cl.Secret != "" {
			fmt.Fprintf(env.Stdout, "client secret (shown only now, kept hashed): %s\n", cl.Secret)
		}
	case "list":
		list, err := svc.List(ctx, sys)
		if err != nil {
			return err
		}
		tw := tabwriter.NewWriter(env.Stdout, 0, 0, 2, ' ', 0)
		fmt.Fprintln(tw, "ID\tNAME\tROLE\tAUTH\tSTATUS\tLAST USE\tREQUESTS")
		for _, cl := range list {
			used := "never"
			if !cl.LastUsedAt.IsZero() {
				used = cl.LastUsedAt.UTC().Format("2006-01-02 15:04 UTC")
			}
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%d\n", cl.ID, cl.Name, cl.Role, cl.AuthMethod, cl.Status, used, cl.RequestCount)
		}
		return tw.Flush()
	case "suspend":
		if err := svc.Suspend(ctx, sys, *id); err != nil {
			return err
		}
		fmt.Fprintf(env.Stdout, "client %s suspended: its tokens are refused from now on\n", *id)
	case "resume":
		if err := svc.Resume(ctx, sys, *id); err != nil {
			return err
		}
		fmt.Fprintf(env.Stdout, "client %s resumed\n", *id)
	case "delete":
		if err := svc.Delete(ctx, sys, *id); err != nil {
			return err
		}
		fmt.Fprintf(env.Stdout, "client %s deleted with its tokens\n", *id)
	}
	return nil
}
