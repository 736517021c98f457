// Package bench is Strongroom's load tool, `strongroom bench`: it seeds a
// scratch database through the service (the CSV import's path: sealed,
// blind-indexed, audited), starts real servers as child processes of the
// same binary, and drives the API over HTTPS on loopback for a fixed time
// per operation, next to a bare TLS handler that marks the ceiling.
//
// Every loop ends by itself (a duration or a count); children are ended
// when the run ends, fails or is interrupted.
package bench

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"strongroom.dev/strongroom/internal/server"
	"strongroom.dev/strongroom/internal/service"
)

// Options are a run's settings.
type Options struct {
	Customers  int           // seeded customers
	Conns      int           // keep-alive connections driving the load
	Duration   time.Duration // per operation
	ImportRows int           // 0: no import; else one import of this many rows
	Postgres   string        // base URL; empty: SQLite in the scratch directory
	Servers    int           // serve processes (more than one needs PostgreSQL)
	Keep       bool          // keep the scratch directory (and schema)
	JSON       bool
	Only       string // comma-separated names of the operations to drive (get, list, email, phone, nationalid, create, storm); empty: all
	// HalfPeak also drives each operation at half the rate it just reached,
	// paced, for Duration: its latency under a load the server keeps up with.
	HalfPeak bool
}

// opKeys name the operations for Options.Only.
var opKeys = map[string]string{"GET customer by id": "get", "list 50 customers": "list", "search by email": "email", "search by phone": "phone",
	"search by national id (admin)": "nationalid", "create customer": "create"}

// runs reports whether Options.Only lets the operation with key k run.
func (o Options) runs(k string) bool {
	if o.Only == "" {
		return true
	}
	for _, f := range strings.Split(o.Only, ",") {
		if strings.TrimSpace(f) == k {
			return true
		}
	}
	return false
}

// Defaults are the flags' defaults.
func Defaults() Options {
	return Options{Customers: 10_000, Conns: 8, Duration: 10 * time.Second, Servers: 1}
}

// Check refuses settings the run cannot honour, naming the flag.
func (o Options) Check() error {
	switch {
	case o.Customers < 1 || o.Customers > 10_000_000:
		return errors.New("--customers must be between 1 and 10000000")
	case !onlyKnown(o.Only):
		return errors.New("--only must list operations among get, list, email, phone, nationalid, create, storm")
	case o.Conns < 1 || o.Conns > 1024:
		return errors.New("--conns must be between 1 and 1024")
	case o.Duration < 100*time.Millisecond || o.Duration > time.Hour:
		return errors.New("--duration must be between 100ms and 1h")
	case o.ImportRows < 0 || o.ImportRows > 500_000:
		return errors.New("--import-rows must be between 0 and 500000 (the import's limit)")
	case o.Servers < 1 || o.Servers > 8:
		return errors.New("--servers must be between 1 and 8")
	case o.Servers > 1 && o.Postgres == "":
		return errors.New("--servers above 1 needs --postgres: SQLite serves one process")
	}
	return nil
}

// Deps is what the run needs from the command that starts it: opening a
// database with its service (for seeding) and scratch PostgreSQL schemas.
type Deps struct {
	// Open opens the database in dataDir (SQLite) or at dsn, creating the
	// master key; close releases it.
	Open func(ctx context.Context, dataDir, dsn string) (svc *service.Service, close func(), err error)
	// Scratch makes an empty schema in the PostgreSQL database at base and
	// returns a DSN for it and how to drop it.
	Scratch func(ctx context.Context, base string) (dsn string, drop func(context.Context) error, err error)
	Stdout  io.Writer // the table or JSON
	Stderr  io.Writer // progress
}

// stormLogins is how many logins the storm sends at once.
const stormLogins = 50

// Run seeds, starts the servers, measures every operation and prints the
// report.
func Run(ctx context.Context, o Options, d Deps) (err error) {
	if err := o.Check(); err != nil {
		return err
	}
	exe, err := os.Executable()
	if err != nil {
		return fmt.Errorf("bench: cannot find this program: %w", err)
	}
	dir, err := os.MkdirTemp("", "strongroom-bench-")
	if err != nil {
		return err
	}
	if o.Keep {
		defer fmt.Fprintf(d.Stderr, "kept the scratch directory %s\n", dir)
	} else {
		defer os.RemoveAll(dir)
	}
	dataDir := filepath.Join(dir, "data")
	rep := Report{Engine: "sqlite", Servers: o.Servers, Customers: o.Customers, Conns: o.Conns, Duration: o.Duration}
	dsn := ""
	if o.Postgres != "" {
		rep.Engine = "postgres"
		var drop func(context.Context) error
		if dsn, drop, err = d.Scratch(ctx, o.Postgres); err != nil {
			return err
		}
		if o.Keep {
			defer fmt.Fprintf(d.Stderr, "kept the scratch schema: %s\n", dsn)
		} else {
			defer func() {
				if derr := drop(context.WithoutCancel(ctx)); derr != nil && err == nil {
					err = derr
				}
			}()
		}
	}

	fmt.Fprintf(d.Stderr, "seeding %d customers on %s...\n", o.Customers, rep.Engine)
	svc, closeDB, err := d.Open(ctx, dataDir, dsn)
	if err != nil {
		return err
	}
	s, err := seed(ctx, svc, o.Customers, d.Stderr)
	closeDB()
	if err != nil {
		return err
	}
	rep.SeedTook = s.took
	fmt.Fprintf(d.Stderr, "seeded %d customers in %s\n", o.Customers, s.took.Round(10*time.Millisecond))

	// Children end with this function, whatever happens (and with this
	// process: see childAttr).
	var children []*child
	defer func() {
		for _, c := range children {
			c.stop()
		}
	}()
	bareTLS := filepath.Join(dir, "bare-tls")
	bareCert, _, err := server.EnsureSelfSigned(bareTLS)
	if err != nil {
		return err
	}
	bare, addr, err := startChild(ctx, "bare handler", exe, dir, "bare handler listening on ", "bench", "--bare-server", "127.0.0.1:0", "--tls-dir", bareTLS)
	if err != nil {
		return err
	}
	children = append(children, bare)
	bareT, err := newTarget("https://"+addr, bareCert, o.Conns, bare)
	if err != nil {
		return err
	}
	l := &load{conns: o.Conns, seed: o.Customers}
	for i := range o.Servers {
		args := []string{"serve", "--data", dataDir, "--addr", "127.0.0.1:0", "--rate-per-address", "0", "--rate-per-account", "0",
			"--disable-unused-days", "0", "--access-review-days", "0"}
		if dsn != "" {
			args = append(args, "--db", dsn)
		}
		// One at a time: the first one makes the TLS certificate the others use.
		c, banner, err := startChild(ctx, "server "+strconv.Itoa(i+1), exe, dir, "Strongroom is serving HTTPS at ", args...)
		if err != nil {
			return err
		}
		children = append(children, c)
		// The banner names localhost; the load dials the address itself.
		base, err := loopback(banner)
		if err != nil {
			return err
		}
		t, err := newTarget(base, filepath.Join(dataDir, "tls", "cert.pem"), o.Conns, c)
		if err != nil {
			return err
		}
		l.servers = append(l.servers, t)
	}

	token, err := login(ctx, l.servers[0], s.sales)
	if err != nil {
		return err
	}
	l.auth = "Bearer " + token
	fmt.Fprintf(d.Stderr, "finding the ids of %d seeded customers (searching by email)...\n", min(o.Customers, 1000))
	if l.ids, err = l.collectIDs(ctx, min(o.Customers, 1000)); err != nil {
		return err
	}

	adminToken, err := login(ctx, l.servers[0], s.admin)
	if err != nil {
		return err
	}
	// A server takes its first backup, and drills its restore, as it
	// starts; on a large database that is minutes of work beside the load
	// (at 1,000,000 customers it doubled the CPU per request and took the
	// memory from 200 to 800 MiB). The load waits for it, so that the
	// figures are the serving's; docs/PERFORMANCE.md measures backups.
	fmt.Fprintf(d.Stderr, "waiting for the server's first backup and restore drill...\n")
	took, err := firstBackup(ctx, l.servers[0], adminToken, 30*time.Minute)
	if err != nil {
		return err
	}
	fmt.Fprintf(d.Stderr, "the first backup and drill took %s\n", took.Round(time.Second))
	// The sales role sees national ids masked and may not search by them;
	// the administrator searches the same customers.
	asAdmin := *l
	asAdmin.auth = "Bearer " + adminToken
	ops := []struct {
		name string
		on   []*target
		next request
		as   *load // nil: the sales user
	}{
		{"bare handler", []*target{bareT}, l.get(func(*worker) string { return "/" }), nil},
		{"GET customer by id", l.servers, l.get(func(w *worker) string { return "/api/v1/customers/" + l.ids[w.rnd.IntN(len(l.ids))] }), nil},
		{"list 50 customers", l.servers, l.get(func(*worker) string { return "/api/v1/customers?limit=50" }), nil},
		{"search by email", l.servers, l.search("email", emailAt), nil},
		{"search by phone", l.servers, l.search("phone", phoneAt), nil},
		{"search by national id (admin)", l.servers, l.search("national_id", nationalIDAt), &asAdmin},
		{"create customer", l.servers, l.create(o.Customers + 10_000_000), nil},
	}
	for _, op := range ops {
		if k, ok := opKeys[op.name]; ok && !o.runs(k) {
			continue
		}
		fmt.Fprintf(d.Stderr, "%s for %s...\n", op.name, o.Duration)
		by := l
		if op.as != nil {
			by = op.as
		}
		r := by.run(ctx, op.name, op.on, op.next, o.Duration, nil, 0)
		if err := l.after(ctx, &r); err != nil {
			return err
		}
		rep.Results = append(rep.Results, r)
		if !o.HalfPeak || len(op.on) == 1 && op.on[0] == bareT || r.PerSecond <= 0 {
			continue
		}
		half := r.PerSecond / 2
		fmt.Fprintf(d.Stderr, "%s at %.0f a second (half its peak) for %s...\n", op.name, half, o.Duration)
		pace := time.Duration(float64(o.Conns) / half * float64(time.Second))
		h := by.run(ctx, op.name+" at half its peak", op.on, op.next, o.Duration, nil, pace)
		if err := l.after(ctx, &h); err != nil {
			return err
		}
		h.noRatio = true
		h.Note = fmt.Sprintf("paced: %.0f req/s asked; latency from when each request was due", half)
		rep.Results = append(rep.Results, h)
	}

	if o.runs("storm") {
		fmt.Fprintf(d.Stderr, "login storm: %d logins during GET customer by id...\n", stormLogins)
		st := &storm{at: o.Duration / 4}
		for i := range stormLogins {
			st.logins = append(st.logins, s.storm[i%len(s.storm)])
		}
		r := l.run(ctx, "GET customer by id", l.servers, ops[1].next, o.Duration, st, 0)
		if err := l.after(ctx, &r); err != nil {
			return err
		}
		st.login.RSS = r.RSS
		rep.Results = append(rep.Results, r, st.login)
	}

	if o.ImportRows > 0 {
		fmt.Fprintf(d.Stderr, "importing %d rows...\n", o.ImportRows)
		client, err := newClient(filepath.Join(dataDir, "tls", "cert.pem"), 1, true, 30*time.Minute)
		if err != nil {
			return err
		}
		r := asAdmin.importRows(ctx, o.Customers+50_000_000, o.ImportRows, client) // national ids: an administrator imports
		if err := l.after(ctx, &r); err != nil {
			return err
		}
		rep.Results = append(rep.Results, r)
	}

	if len(rep.Results) > 0 {
		rep.relate(rep.Results[0].PerSecond)
	}
	for _, t := range l.servers {
		_, hwm := t.proc.memory()
		rep.PeakRSS = append(rep.PeakRSS, hwm)
	}
	// The log every server appended to must be one intact chain.
	verify := []string{"audit", "verify", "--data", dataDir}
	if dsn != "" {
		verify = append(verify, "--db", dsn)
	}
	out, err := exec.CommandContext(ctx, exe, verify...).CombinedOutput()
	rep.Audit = strings.TrimSpace(string(out))
	if err != nil {
		return fmt.Errorf("audit verify after the run: %s", rep.Audit)
	}
	if o.JSON {
		return rep.WriteJSON(d.Stdout)
	}
	return rep.WriteTable(d.Stdout)
}

// after notes the servers' memory once an operation is over, and stops the
// run if one of them died or the run was interrupted.
func (l *load) after(ctx context.Context, r *Result) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	for _, t := range l.servers {
		if err := t.proc.failed(); err != nil {
			return err
		}
		rss, _ := t.proc.memory()
		r.RSS = append(r.RSS, rss)
	}
	return nil
}

func newTarget(base, certFile string, conns int, c *child) (*target, error) {
	client, err := newClient(certFile, conns, true, time.Minute)
	if err != nil {
		return nil, err
	}
	fresh, err := newClient(certFile, stormLogins, false, time.Minute)
	if err != nil {
		return nil, err
	}
	return &target{base: base, client: client, fresh: fresh, proc: c}, nil
}

// loopback turns the banner's https://localhost:PORT/ into
// https://127.0.0.1:PORT, so that no name lookup is timed.
func loopback(banner string) (string, error) {
	u, err := url.Parse(banner)
	if err != nil || u.Port() == "" {
		return "", fmt.Errorf("bench: the server printed no address: %q", banner)
	}
	return "https://127.0.0.1:" + u.Port(), nil
}

// onlyKnown reports whether every name in only is an operation's key.
func onlyKnown(only string) bool {
	if only == "" {
		return true
	}
	for _, f := range strings.Split(only, ",") {
		f = strings.TrimSpace(f)
		known := f == "storm"
		for _, k := range opKeys {
			known = known || f == k
		}
		if !known {
			return false
		}
	}
	return true
}
