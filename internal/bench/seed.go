package bench

import (
	"bytes"
	"context"
	"crypto/rand"
	"fmt"
	"io"
	"time"

	"strongroom.dev/strongroom/internal/authz"
	"strongroom.dev/strongroom/internal/service"
	"strongroom.dev/strongroom/internal/service/identity"
	"strongroom.dev/strongroom/internal/service/records"
)

// account is a login the load uses.
type account struct{ email, password string }

// seeded is what seeding made.
type seeded struct {
	sales account   // owns every seeded customer
	admin account   // imports them for sales (national ids included) and searches by national id
	storm []account // log in during the login storm
	took  time.Duration
}

const (
	salesEmail = "sales@bench.strongroom.test"
	adminEmail = "admin@bench.strongroom.test"
	benchTeam  = "bench"
	// seedChunk customers are imported per call: one transaction each,
	// well under the import's limit of 500,000 rows.
	seedChunk = 25_000
	// stormUsers share the storm's logins, each fewer than a user's
	// session limit (service.MaxSessions), so that no login ends another.
	stormUsers = 5
)

// seed creates the sales user (and the storm users) and n customers owned
// by them, through the CSV import the API uses: each row validated, given
// its own data key, sealed, blind-indexed and audited.
func seed(ctx context.Context, svc *service.Service, n int, progress io.Writer) (seeded, error) {
	sys := authz.System()
	// A new database requires two-step login for every role; the load
	// logs in with a password only (as the demo does).
	if err := svc.Sessions.SetMFARequiredRoles(ctx, sys, nil); err != nil {
		return seeded{}, fmt.Errorf("bench: %w", err)
	}
	var s seeded
	var salesID string
	add := func(email string, role authz.Role) (account, error) {
		a := account{email: email, password: rand.Text()}
		u, err := svc.Users.CreateUser(ctx, sys, identity.NewUser{Email: email, Role: string(role), Team: benchTeam, Password: a.password})
		if err != nil {
			return account{}, fmt.Errorf("bench: user %s: %w", email, err)
		}
		if email == salesEmail {
			salesID = u.ID
		}
		return a, nil
	}
	var err error
	if s.sales, err = add(salesEmail, authz.RoleSales); err != nil {
		return s, err
	}
	if s.admin, err = add(adminEmail, authz.RoleAdmin); err != nil {
		return s, err
	}
	for i := range stormUsers {
		a, err := add(fmt.Sprintf("storm%d@bench.strongroom.test", i), authz.RoleSales)
		if err != nil {
			return s, err
		}
		s.storm = append(s.storm, a)
	}
	client := identity.Client{IP: "127.0.0.1", UserAgent: "strongroom-bench"}
	// The administrator imports them for the sales user: a sales role may
	// not set national ids (it sees them masked).
	sess, err := svc.Sessions.Login(ctx, s.admin.email, s.admin.password, client)
	if err != nil {
		return s, fmt.Errorf("bench: login: %w", err)
	}
	actor, err := svc.Sessions.Authenticate(ctx, sess.Token, client)
	if err != nil {
		return s, fmt.Errorf("bench: login: %w", err)
	}
	defer svc.Sessions.Logout(context.WithoutCancel(ctx), actor)

	start := time.Now()
	var buf bytes.Buffer
	for from := 0; from < n; from += seedChunk {
		count := min(seedChunk, n-from)
		buf.Reset()
		if err := writeCSV(&buf, from, count); err != nil {
			return s, err
		}
		rep, err := svc.Customers.ImportCustomers(ctx, actor, &buf, records.ImportOptions{OwnerID: salesID})
		if err != nil {
			return s, fmt.Errorf("bench: seeding customers %d to %d: %w", from, from+count, err)
		}
		if rep.Created != count {
			return s, fmt.Errorf("bench: seeding customers %d to %d created %d (invalid %d, duplicates %d)", from, from+count, rep.Created, rep.Invalid, len(rep.Duplicates))
		}
		if n > seedChunk {
			fmt.Fprintf(progress, "seeded %d of %d customers (%s)\n", from+count, n, time.Since(start).Round(time.Second))
		}
	}
	s.took = time.Since(start)
	return s, nil
}
