package cli

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os/signal"
	"syscall"

	"strongroom.dev/strongroom/internal/bench"
	"strongroom.dev/strongroom/internal/service"
	"strongroom.dev/strongroom/internal/store"
)

// benchCmd is `strongroom bench`: the load tool (internal/bench). With the
// hidden --bare-server ADDR it is instead the bare TLS handler the tool
// starts as a child to compare against.
func benchCmd(ctx context.Context, args []string, env Env) error {
	ctx, stop := signal.NotifyContext(ctx, syscall.SIGINT, syscall.SIGTERM)
	defer stop()
	o := bench.Defaults()
	fs := newFlags("bench", env)
	fs.IntVar(&o.Customers, "customers", o.Customers, "customers to seed (through the CSV import's service path)")
	fs.IntVar(&o.Conns, "conns", o.Conns, "keep-alive HTTPS connections driving the load")
	fs.DurationVar(&o.Duration, "duration", o.Duration, "how long each operation is driven")
	fs.IntVar(&o.ImportRows, "import-rows", o.ImportRows, "also time one API import of this many rows (0: none)")
	fs.StringVar(&o.Postgres, "postgres", "", "run on PostgreSQL: a postgres:// URL; a scratch schema is made in it and dropped afterwards")
	fs.IntVar(&o.Servers, "servers", o.Servers, "serve processes on the same PostgreSQL; the connections are spread over them")
	fs.BoolVar(&o.HalfPeak, "half-peak", false, "also drive each operation at half the rate it reached, paced, and show its latency (p99 from when each request was due)")
	fs.BoolVar(&o.Keep, "keep", false, "keep the scratch directory (and PostgreSQL schema)")
	fs.BoolVar(&o.JSON, "json", false, "print JSON instead of a table")
	fs.StringVar(&o.Only, "only", "", "drive only these operations, comma-separated: get, list, email, phone, nationalid, create, storm (default all)")
	bare := fs.String("bare-server", "", "internal: serve the bare handler on this loopback address")
	tlsDir := fs.String("tls-dir", "", "internal: the bare handler's certificate directory")
	// A mistake in the flags is one line (parse's); the flag list only
	// when asked for with -h.
	fs.SetOutput(io.Discard)
	if err := parse(fs, args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			fs.SetOutput(env.Stderr)
			fmt.Fprintln(env.Stderr, "Usage of strongroom bench:")
			fs.PrintDefaults()
		}
		return err
	}
	if *bare != "" {
		if *tlsDir == "" {
			return usageError("--bare-server needs --tls-dir")
		}
		return bench.ServeBare(ctx, *bare, *tlsDir, env.Stdin, env.Stdout)
	}
	if err := o.Check(); err != nil {
		return usageError(err.Error())
	}
	return bench.Run(ctx, o, bench.Deps{
		Open: func(ctx context.Context, dataDir, dsn string) (*service.Service, func(), error) {
			c := loadConfig(env)
			c.DataDir, c.DSN = dataDir, dsn
			a, err := open(ctx, c, slog.New(slog.DiscardHandler), env)
			if err != nil {
				return nil, nil, err
			}
			return a.svc, a.Close, nil
		},
		Scratch: func(ctx context.Context, base string) (string, func(context.Context) error, error) {
			s, err := store.NewScratch(ctx, base)
			return s.DSN, s.Drop, err
		},
		Stdout: env.Stdout,
		Stderr: env.Stderr,
	})
}
