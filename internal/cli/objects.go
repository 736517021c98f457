package cli

import (
	"flag"
	"fmt"
	"slices"
	"strings"

	"strongroom.dev/strongroom/internal/config"
)

// objects is the shape shared by the commands that manage stored objects
// on the host (client, webhook, device): a subcommand first, the storage
// flags, and --id for the subcommands that act on one object.
type objects struct {
	name string   // the command, as typed
	subs []string // every subcommand, in the order the usage names them
	byID []string // the subcommands that need --id
}

// start checks the subcommand and returns the configuration and a flag set
// holding the storage flags (bound to *c) and --id, for the command to add
// its own flags.
func (o objects) start(args []string, env Env) (sub string, c *config.Config, fs *flag.FlagSet, id *string, err error) {
	if len(args) == 0 {
		return "", nil, nil, nil, usageError(o.name + " needs a subcommand: " + o.usage())
	}
	sub = args[0]
	if !slices.Contains(o.subs, sub) {
		return "", nil, nil, nil, usageError(fmt.Sprintf("unknown %s subcommand %q; use %s", o.name, sub, o.usage()))
	}
	cfg := loadConfig(env)
	c = &cfg
	fs = newFlags(o.name+" "+sub, env)
	c.StorageFlags(fs)
	id = fs.String("id", "", strings.Join(o.byID, ", ")+": the "+o.name+"'s id ("+o.name+" list shows it)")
	return sub, c, fs, id, nil
}

// parse parses the flags after the subcommand and asks for --id where the
// subcommand needs one.
func (o objects) parse(fs *flag.FlagSet, args []string, id *string) error {
	if err := parse(fs, args[1:]); err != nil {
		return err
	}
	if slices.Contains(o.byID, args[0]) && *id == "" {
		return usageError(o.name + " " + args[0] + " needs --id")
	}
	return nil
}

func (o objects) usage() string {
	return strings.Join(o.subs[:len(o.subs)-1], ", ") + " or " + o.subs[len(o.subs)-1]
}

// split is a comma-separated list, without empty items.
func split(s string) []string {
	out := []string{}
	for _, v := range strings.Split(s, ",") {
		if v = strings.TrimSpace(v); v != "" {
			out = append(out, v)
		}
	}
	return out
}
