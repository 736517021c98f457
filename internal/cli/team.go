package cli

import (
	"context"
	"fmt"

	"strongroom.dev/strongroom/internal/authz"
)

// teamCmd nests teams: team scope reaches a team and every team below it.
func teamCmd(ctx context.Context, args []string, env Env) error {
	if len(args) == 0 || args[0] != "nest" {
		return usageError("team needs a subcommand: nest --team T --parent P")
	}
	c := loadConfig(env)
	fs := newFlags("team nest", env)
	c.StorageFlags(fs)
	team := fs.String("team", "", "the team to place")
	parent := fs.String("parent", "", `the team above it; "" makes it top-level`)
	if err := parse(fs, args[1:]); err != nil {
		return err
	}
	if *team == "" {
		return usageError("team nest needs --team")
	}
	a, err := open(ctx, c, cliLog(env), env)
	if err != nil {
		return err
	}
	defer a.Close()
	if err := a.svc.Roles.SetTeamParent(ctx, authz.System(), *team, *parent); err != nil {
		return err
	}
	if *parent == "" {
		fmt.Fprintf(env.Stdout, "team %s is top-level\n", *team)
		return nil
	}
	fmt.Fprintf(env.Stdout, "team %s is now below %s: its managers' team scope reaches it\n", *team, *parent)
	return nil
}
