package cli

import (
	"bufio"
	"context"
	"fmt"
	"strings"
	"text/tabwriter"

	"strongroom.dev/strongroom/internal/authz"
	"strongroom.dev/strongroom/internal/service/identity"
)

func user(ctx context.Context, args []string, env Env) error {
	if len(args) == 0 {
		return usageError("user needs a subcommand: add, invite, list, set-role, disable, enable, reset-password, reset-mfa or end-sessions")
	}
	switch args[0] {
	case "add":
		return userAdd(ctx, args[1:], env)
	case "set-role":
		return userSetRole(ctx, args[1:], env)
	case "reset-mfa":
		return userResetMFA(ctx, args[1:], env)
	case "end-sessions":
		return userEndSessions(ctx, args[1:], env)
	case "invite":
		return userInvite(ctx, args[1:], env)
	case "reset-password":
		return userResetPassword(ctx, args[1:], env)
	case "list":
		return userList(ctx, args[1:], env)
	case "disable", "enable":
		return userSetDisabled(ctx, args[0], args[1:], env)
	}
	return usageError(fmt.Sprintf("unknown user subcommand %q; use add, invite, list, set-role, disable, enable, reset-password, reset-mfa or end-sessions", args[0]))
}

func userAdd(ctx context.Context, args []string, env Env) error {
	c := loadConfig(env)
	fs := newFlags("user add", env)
	c.StorageFlags(fs)
	email := fs.String("email", "", "the user's email address (their login)")
	role := fs.String("role", "", "one of: "+roleNames())
	team := fs.String("team", "", "the user's team (optional; team-scoped roles such as manager and support see their team's customers)")
	fromStdin := fs.Bool("password-stdin", false, "read the password from the first line of standard input")
	mustChange := fs.Bool("must-change", false, "make the user change the password at first login (when you chose it for them)")
	if err := parse(fs, args); err != nil {
		return err
	}
	if *email == "" || *role == "" {
		return usageError("user add needs --email and --role")
	}
	if !*fromStdin {
		return usageError("user add needs --password-stdin: passwords are never taken as arguments")
	}
	password, err := readPassword(env)
	if err != nil {
		return err
	}
	a, err := open(ctx, c, cliLog(env), env)
	if err != nil {
		return err
	}
	defer a.Close()
	u, err := a.svc.Users.CreateUser(ctx, authz.System(), identity.NewUser{Email: *email, Role: *role, Team: *team, Password: password, MustChange: *mustChange})
	if err != nil {
		return err
	}
	fmt.Fprintf(env.Stdout, "created user %s (%s) with role %s\n", u.ID, u.Email, u.Role)
	return nil
}

func userSetRole(ctx context.Context, args []string, env Env) error {
	c := loadConfig(env)
	fs := newFlags("user set-role", env)
	c.StorageFlags(fs)
	email := fs.String("email", "", "the user's email address")
	role := fs.String("role", "", "one of: "+roleNames())
	if err := parse(fs, args); err != nil {
		return err
	}
	if *email == "" || *role == "" {
		return usageError("user set-role needs --email and --role")
	}
	a, err := open(ctx, c, cliLog(env), env)
	if err != nil {
		return err
	}
	defer a.Close()
	id, err := a.svc.Users.UserIDByEmail(ctx, authz.System(), *email)
	if err != nil {
		return err
	}
	u, err := a.svc.Users.SetUserRole(ctx, authz.System(), id, *role)
	if err != nil {
		return err
	}
	fmt.Fprintf(env.Stdout, "user %s now has role %s\n", u.ID, u.Role)
	return nil
}

// userResetMFA removes a user's authenticator, recovery codes and passkeys:
// the way back in for an administrator who lost them (audited).
func userResetMFA(ctx context.Context, args []string, env Env) error {
	return onUser(ctx, "reset-mfa", args, env, func(a *app, id string) error {
		if err := a.svc.Sessions.ResetMFA(ctx, authz.System(), id); err != nil {
			return err
		}
		fmt.Fprintf(env.Stdout, "user %s has no two-step login now; they log in with their password and may set it up again\n", id)
		return nil
	})
}

// onUser runs a "user VERB --email E" command: the storage and mail flags,
// the email required, the database opened and the user found, then fn.
func onUser(ctx context.Context, verb string, args []string, env Env, fn func(a *app, id string) error) error {
	c := loadConfig(env)
	fs := newFlags("user "+verb, env)
	c.StorageFlags(fs)
	c.MailFlags(fs)
	email := fs.String("email", "", "the user's email address")
	if err := parse(fs, args); err != nil {
		return err
	}
	if *email == "" {
		return usageError("user " + verb + " needs --email")
	}
	a, err := open(ctx, c, cliLog(env), env)
	if err != nil {
		return err
	}
	defer a.Close()
	id, err := a.svc.Users.UserIDByEmail(ctx, authz.System(), *email)
	if err != nil {
		return err
	}
	return fn(a, id)
}

// userInvite creates a user without a password and emails them a link to
// choose one; without a mail relay it prints the link to pass on.
func userInvite(ctx context.Context, args []string, env Env) error {
	c := loadConfig(env)
	fs := newFlags("user invite", env)
	c.StorageFlags(fs)
	c.MailFlags(fs)
	email := fs.String("email", "", "the person's email address (their login)")
	role := fs.String("role", "", "one of: "+roleNames())
	team := fs.String("team", "", "the user's team (optional)")
	if err := parse(fs, args); err != nil {
		return err
	}
	if *email == "" || *role == "" {
		return usageError("user invite needs --email and --role")
	}
	a, err := open(ctx, c, cliLog(env), env)
	if err != nil {
		return err
	}
	defer a.Close()
	inv, err := a.svc.Users.InviteUser(ctx, authz.System(), identity.NewUser{Email: *email, Role: *role, Team: *team})
	if err != nil {
		return err
	}
	if inv.Mailed {
		fmt.Fprintf(env.Stdout, "invited %s (%s) with role %s; the invitation is queued for email (delivery problems are logged) and works for 7 days\n", inv.User.ID, inv.User.Email, inv.User.Role)
		return nil
	}
	fmt.Fprintf(env.Stdout, "invited %s (%s) with role %s; no mail relay is configured, so pass this single-use link (7 days) on privately:\n%s\n", inv.User.ID, inv.User.Email, inv.User.Role, inv.Link)
	return nil
}

// userResetPassword sends a user a password reset link (or prints it when
// no mail relay is configured). The user's second factor stays.
func userResetPassword(ctx context.Context, args []string, env Env) error {
	return onUser(ctx, "reset-password", args, env, func(a *app, id string) error {
		link, mailed, err := a.svc.Users.SendPasswordReset(ctx, authz.System(), id)
		if err != nil {
			return err
		}
		if mailed {
			fmt.Fprintf(env.Stdout, "a password reset link for %s is queued for email (delivery problems are logged); it works once, within 30 minutes\n", id)
			return nil
		}
		fmt.Fprintf(env.Stdout, "no mail relay is configured; pass this single-use link (30 minutes) on privately:\n%s\n", link)
		return nil
	})
}

// userList prints every user, one a line (audited as a read of staff email
// addresses).
func userList(ctx context.Context, args []string, env Env) error {
	return onStore(ctx, "user list", args, env, func(a *app) error {
		users, err := a.svc.Users.ListUsers(ctx, authz.System())
		if err != nil {
			return err
		}
		tw := tabwriter.NewWriter(env.Stdout, 0, 0, 2, ' ', 0)
		fmt.Fprintln(tw, "ID\tEMAIL\tROLE\tTEAM\tSTATE\tSECOND FACTOR\tLAST LOGIN")
		for _, u := range users {
			state, mfa, last := "active", "-", "never"
			switch {
			case u.Disabled:
				state = "disabled"
			case u.Invited:
				state = "invited"
			}
			if u.MFA {
				mfa = "yes"
			}
			if u.LastLogin != nil {
				last = u.LastLogin.Format("2006-01-02 15:04")
			}
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\n", u.ID, u.Email, u.Role, u.Team, state, mfa, last)
		}
		return tw.Flush()
	})
}

// userSetDisabled disables a user, ending every session, or enables them.
func userSetDisabled(ctx context.Context, verb string, args []string, env Env) error {
	return onUser(ctx, verb, args, env, func(a *app, id string) error {
		if err := a.svc.Users.SetUserDisabled(ctx, authz.System(), id, verb == "disable"); err != nil {
			return err
		}
		fmt.Fprintf(env.Stdout, "user %s is %sd\n", id, verb)
		return nil
	})
}

func readPassword(env Env) (string, error) {
	line, err := bufio.NewReader(env.Stdin).ReadString('\n')
	if err != nil && line == "" {
		return "", fmt.Errorf("no password on standard input")
	}
	return strings.TrimRight(line, "\r\n"), nil
}

func roleNames() string {
	names := make([]string, len(authz.Roles))
	for i, r := range authz.Roles {
		names[i] = string(r)
	}
	return strings.Join(names, ", ")
}

// userEndSessions ends every session of one user (--email), e.g. after a
// lost device, or of every user (--all), e.g. after a breach.
func userEndSessions(ctx context.Context, args []string, env Env) error {
	c := loadConfig(env)
	fs := newFlags("user end-sessions", env)
	c.StorageFlags(fs)
	email := fs.String("email", "", "the user whose sessions end")
	all := fs.Bool("all", false, "end every user's sessions instead")
	if err := parse(fs, args); err != nil {
		return err
	}
	if (*email == "") == !*all {
		return usageError("user end-sessions needs --email or --all, one of them")
	}
	a, err := open(ctx, c, cliLog(env), env)
	if err != nil {
		return err
	}
	defer a.Close()
	if *all {
		n, err := a.svc.Sessions.EndAllSessions(ctx, authz.System())
		if err != nil {
			return err
		}
		fmt.Fprintf(env.Stdout, "ended %d sessions; every user logs in again\n", n)
		return nil
	}
	id, err := a.svc.Users.UserIDByEmail(ctx, authz.System(), *email)
	if err != nil {
		return err
	}
	n, err := a.svc.Sessions.EndUserSessions(ctx, authz.System(), id)
	if err != nil {
		return err
	}
	fmt.Fprintf(env.Stdout, "ended %d sessions of user %s\n", n, id)
	return nil
}

// onStore runs a command that takes only the storage flags: the flags
// parsed, the database opened, then fn.
func onStore(ctx context.Context, name string, args []string, env Env, fn func(a *app) error) error {
	c := loadConfig(env)
	fs := newFlags(name, env)
	c.StorageFlags(fs)
	if err := parse(fs, args); err != nil {
		return err
	}
	a, err := open(ctx, c, cliLog(env), env)
	if err != nil {
		return err
	}
	defer a.Close()
	return fn(a)
}
