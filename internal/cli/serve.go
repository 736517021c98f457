package cli

import (
	"context"
	"crypto/x509"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/netip"
	neturl "net/url"
	"os"
	"os/signal"
	"path/filepath"
	"runtime/debug"
	"slices"
	"strings"
	"syscall"
	"text/tabwriter"
	"time"

	"strongroom.dev/strongroom/internal/api"
	"strongroom.dev/strongroom/internal/backup"
	"strongroom.dev/strongroom/internal/checkpoint"
	"strongroom.dev/strongroom/internal/config"
	"strongroom.dev/strongroom/internal/demo"
	"strongroom.dev/strongroom/internal/detect"
	"strongroom.dev/strongroom/internal/hookrun"
	"strongroom.dev/strongroom/internal/netguard"
	"strongroom.dev/strongroom/internal/oauth"
	"strongroom.dev/strongroom/internal/server"
	"strongroom.dev/strongroom/internal/siem"
	"strongroom.dev/strongroom/internal/store"
	"strongroom.dev/strongroom/internal/web"
	"strongroom.dev/strongroom/internal/webhook"
)

// serveMemoryLimit is serve's soft memory limit (runtime/debug), unless
// GOMEMLIMIT sets one. At 1,000,000 customers, 50 logins at once left the
// server at 243 MiB with 128 MiB, and at 335 MiB with 192; a 100,000-row
// import took 6.4–7.3 s on SQLite and 10.3–11.7 s on PostgreSQL, against
// 5.4–5.9 s and 9.1–9.5 s (docs/PERFORMANCE.md).
const serveMemoryLimit = 128 << 20

func serve(ctx context.Context, args []string, env Env) error {
	// Handle signals before anything else, so that a stop request that
	// arrives while starting ends the server cleanly.
	ctx, stop := signal.NotifyContext(ctx, syscall.SIGINT, syscall.SIGTERM)
	defer stop()
	c := loadConfig(env)
	fs := newFlags("serve", env)
	c.ServeFlags(fs)
	if err := parse(fs, args); err != nil {
		return err
	}
	var handler slog.Handler = slog.NewTextHandler(env.Stderr, nil)
	if c.LogJSON {
		handler = slog.NewJSONHandler(env.Stderr, nil)
	}
	log := slog.New(handler)

	if err := c.Validate(); err != nil {
		return usageError(err.Error())
	}
	// A soft memory limit makes the collector return the password hashes'
	// 64 MiB blocks promptly instead of letting the heap double; GOMEMLIMIT
	// in the environment wins.
	if os.Getenv("GOMEMLIMIT") == "" {
		debug.SetMemoryLimit(serveMemoryLimit)
	}
	// Listen first, so that links in emails carry the real port (--addr
	// may ask for port 0).
	ln, err := net.Listen("tcp", c.Addr)
	if err != nil {
		return fmt.Errorf("cannot listen on %s: %v", c.Addr, err)
	}
	defer ln.Close()
	c.Addr = ln.Addr().String()
	a, err := open(ctx, c, log, env)
	if err != nil {
		return err
	}
	defer a.Close()

	certFile, keyFile := c.TLSCert, c.TLSKey
	if certFile == "" {
		if certFile, keyFile, err = server.EnsureSelfSigned(c.TLSDir()); err != nil {
			return err
		}
	}
	cert, fingerprint, err := server.LoadCertificate(certFile, keyFile)
	if err != nil {
		return err
	}
	var logins []demo.Login
	if c.Demo {
		if logins, err = demo.Seed(ctx, a.svc); err != nil {
			return err
		}
	}

	provider, err := singleSignOn(ctx, c, a)
	if err != nil {
		return err
	}
	mux := http.NewServeMux()
	api.New(a.svc, log).Routes(mux)
	ui := web.New(a.svc, log)
	ui.UseSSO(provider, c.OIDC.Name)
	ui.Routes(mux)
	authServer, err := oauth.New(c.Link(), a.svc.Clients, log)
	if err != nil {
		return fmt.Errorf("cannot start the OAuth authorisation server: %v", err)
	}
	authServer.Routes(mux)
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, r *http.Request) { w.Write([]byte("ok\n")) })
	proxies, err := c.Proxies()
	if err != nil {
		return err
	}
	srv := server.New(mux, cert, log, a.svc, server.Limits{PerAddress: c.RatePerAddress, TrustedProxies: proxies, Blocks: a.svc.Roles})

	url := c.Link() + "/"
	if c.TLSCert == "" && !onThisHost(url) {
		// The generated certificate is for localhost: elsewhere browsers
		// warn, and users learn to click through warnings.
		fmt.Fprintf(env.Stderr, "warning: %s is served with a self-signed certificate for localhost; give a publicly trusted one with --tls-cert and --tls-key\n", url)
	}
	checkpoints, err := checkpointer(ctx, c, a, log, env.Stdout)
	if err != nil {
		return err
	}
	detector, err := detectors(c, a, log)
	if err != nil {
		return err
	}
	var stream *siem.Exporter
	if c.SIEM != "" {
		if stream, err = siemExporter(c.SIEM, c.SIEMFormat, c.SIEMCA); err != nil {
			return err
		}
		defer stream.Sink.Close()
		stream.DB, stream.Log = a.db, log
	}
	backups, err := backupRunner(c, a, log)
	if err != nil {
		return err
	}
	a.svc.Backups.Attach(&backup.Driver{Ctx: ctx, Runner: backups})
	parts := dataParts(c, backups)
	setVendorParts(ctx, a, log, parts)
	a.svc.Hooks.OnChange(func(ctx context.Context) { setVendorParts(ctx, a, log, parts) })
	hooks, err := webhookRunner(c, a, log)
	if err != nil {
		return err
	}
	details := backupLines(env, c, backups)
	details = append(details, fmt.Sprintf("  master key:      %s custody, term %d active; up to %d unwrapped data keys cached for %s", a.keys.Custody(), a.keys.ActiveTerm(), c.KeyCacheSize, c.KeyCacheTTL))
	details = append(details, fmt.Sprintf("  audit key:       %s (checks the audit log's checkpoints and the backups' manifests; keep it for verifiers)", checkpoints.Signer.VerifierKey()))
	banner(env, url, certFile, fingerprint, c.DataDir, details, logins)
	// The detectors and the checkpointer each read the last second's
	// events every second, so that each step is a small one (the same work
	// done every 10 s was a burst of CPU that held up requests behind it).
	// They tick half a second apart: together, their steps took both cores
	// at once, and requests arriving then waited (strongroom bench
	// --half-peak).
	go detector.Run(ctx, time.Second)
	go func() {
		select {
		case <-ctx.Done():
		case <-time.After(time.Second / 2):
			checkpoints.Run(ctx, checkpoint.DefaultInterval, checkpoint.DefaultMaxEvents)
		}
	}()
	go backups.Run(ctx, 10*time.Second, func(ctx context.Context) (func(), bool) { return a.db.TryLock(ctx, 7412004) })
	switch {
	case c.AuditRetention > 0 && a.db.Engine() == store.Postgres:
		// The serving role may not delete audit rows (least privilege).
		log.Info("audit retention: on PostgreSQL run strongroom audit archive as the schema owner (monthly, from cron)")
	case c.AuditRetention > 0:
		go archiveAudit(ctx, a, log, c.AuditRetention, c.AuditArchiveDir(), checkpoints.Signer.VerifierKey())
	}
	if stream != nil {
		go stream.Run(ctx, 5*time.Second)
	}
	go hooks.Run(ctx, 2*time.Second)
	go rewrapRunner(c, a, log).Run(ctx, time.Minute)

	go indexAuditSubjects(ctx, a, log)
	go purgeSessions(ctx, a, log)
	go applyRetention(ctx, a, log)
	go endHeld(ctx, a, log)
	if c.DisableUnusedDays > 0 {
		go disableUnused(ctx, a, log, time.Duration(c.DisableUnusedDays)*24*time.Hour)
	}
	if c.AccessReviewDays > 0 {
		go reviewAccess(ctx, a, log, time.Duration(c.AccessReviewDays)*24*time.Hour)
	}
	go remindVendors(ctx, a, log)
	go escalateWipes(ctx, a, log)
	go every(ctx, time.Minute, func() { setVendorParts(ctx, a, log, parts) })
	go remindRequests(ctx, a, log)
	return srv.Serve(ctx, ln)
}

// webhookRunner builds the delivery of webhooks: destinations checked
// against --webhook-allow when they are made and when they are dialled,
// endpoints' certificates against the system's authorities and
// --webhook-ca.
func webhookRunner(c config.Config, a *app, log *slog.Logger) (*hookrun.Runner, error) {
	ranges, err := c.WebhookRanges()
	if err != nil {
		return nil, usageError(err.Error())
	}
	waits, err := c.WebhookWaits()
	if err != nil {
		return nil, usageError(err.Error())
	}
	guard := netguard.Guard{Allow: ranges}
	a.svc.Hooks.SetGuard(guard)
	a.svc.Hooks.Waits = waits
	var roots *x509.CertPool
	if c.WebhookCA != "" {
		pem, err := os.ReadFile(c.WebhookCA)
		if err != nil {
			return nil, usageError("--webhook-ca: " + err.Error())
		}
		if roots, err = x509.SystemCertPool(); err != nil {
			roots = x509.NewCertPool()
		}
		if !roots.AppendCertsFromPEM(pem) {
			return nil, usageError("--webhook-ca: " + c.WebhookCA + " holds no PEM certificate")
		}
	}
	r := hookrun.New(a.svc, guard, log)
	r.Client = webhook.GuardedClient(guard, 10*time.Second, roots)
	return r, nil
}

// detectors builds the runner of the detectors over the audit log, with
// the rules of --detectors over the defaults.
func detectors(c config.Config, a *app, log *slog.Logger) (*detect.Runner, error) {
	rules := detect.Defaults()
	if c.Detectors != "" {
		b, err := os.ReadFile(c.Detectors)
		if err != nil {
			return nil, usageError("--detectors: " + err.Error())
		}
		if rules, err = detect.ParseConfig(b); err != nil {
			return nil, usageError("--detectors " + c.Detectors + ": " + err.Error())
		}
	}
	r := &detect.Runner{DB: a.db, Config: rules, Log: log, Respond: detect.ServiceResponder{Users: a.svc.Users, Sessions: a.svc.Sessions, Roles: a.svc.Roles},
		Contacts: c.Contacts(), Link: c.Link(), Places: detect.ServicePlaces{Visits: a.svc.Visits}}
	if a.mail != nil {
		r.Mail = a.mail
	}
	if c.AlertWebhook != "" {
		hook, err := webhook.New(c.AlertWebhook, []byte(c.AlertWebhookSecret))
		if err != nil {
			return nil, usageError("--alert-webhook: " + err.Error())
		}
		r.Hook = hook
	}
	return r, nil
}

// checkpointer loads (or makes) the audit key, opens the witnesses and
// signs a first checkpoint of what the log holds.
func checkpointer(ctx context.Context, c config.Config, a *app, log *slog.Logger, stdout io.Writer) (*checkpoint.Checkpointer, error) {
	signer, err := auditSigner(c)
	if err != nil {
		return nil, err
	}
	cp := &checkpoint.Checkpointer{DB: a.db, Signer: signer, Log: log}
	for _, w := range c.Witnesses() {
		switch w {
		case "log":
			cp.Witnesses = append(cp.Witnesses, checkpoint.Log{Logger: log})
			continue
		case "stdout": // a JSON line each, for a log shipper reading standard output
			cp.Witnesses = append(cp.Witnesses, checkpoint.Log{Logger: slog.New(slog.NewJSONHandler(stdout, nil))})
			continue
		}
		cp.Witnesses = append(cp.Witnesses, checkpoint.Dir(w))
	}
	if _, err := cp.Checkpoint(ctx); err != nil {
		log.Error("audit checkpoint failed", slog.String("error", err.Error()))
	}
	return cp, nil
}

// backupLines say where backups go for the banner, and warn when they
// stay on this machine's disk.
func backupLines(env Env, c config.Config, r *backup.Runner) []string {
	var out []string
	dataDir, _ := filepath.Abs(c.DataDir)
	for _, s := range r.Targets {
		every := "on demand"
		if s.Every > 0 {
			every = "every " + backup.Short(s.Every)
		}
		drills := "drills on demand"
		if c.DrillEvery > 0 {
			drills = "drilled every " + backup.Short(c.DrillEvery)
		}
		out = append(out, fmt.Sprintf("  backups:         %s (%s; %s)", s.Target.Name(), every, drills))
		if d, ok := s.Target.(backup.Dir); ok && strings.HasPrefix(d.Path, dataDir+string(filepath.Separator)) {
			fmt.Fprintf(env.Stderr, "warning: backups go to %s, on the same disk as the data; add --backup-target on another disk or S3 (docs/BACKUP.md)\n", d.Path)
		}
	}
	return out
}

// auditSigner loads (or makes) the audit key, which signs the audit log's
// checkpoints, backup manifests and the erasure ledger.
func auditSigner(c config.Config) (*checkpoint.Signer, error) {
	origin := "strongroom/audit"
	if u, err := neturl.Parse(c.Link()); err == nil && u.Host != "" {
		origin = u.Host + "/strongroom/audit"
	}
	signer, _, err := checkpoint.LoadOrCreateKey(c.AuditKeyFile(), origin)
	return signer, err
}

// onThisHost reports whether address (a URL) names this machine:
// localhost or a loopback address.
func onThisHost(address string) bool {
	u, err := neturl.Parse(address)
	if err != nil {
		return false
	}
	h := u.Hostname()
	if h == "localhost" {
		return true
	}
	ip, err := netip.ParseAddr(h)
	return err == nil && ip.IsLoopback()
}

func banner(env Env, url, certFile, fingerprint, dataDir string, details []string, logins []demo.Login) {
	w := env.Stdout
	fmt.Fprintf(w, "Strongroom is serving HTTPS at %s\n", url)
	if _, err := os.Stat(filepath.Join(dataDir, "master.key")); err == nil {
		fmt.Fprintf(w, "  data directory:  %s (master key: %s)\n", dataDir, filepath.Join(dataDir, "master.key"))
	} else { // the passphrase or pkcs11 custody: the details say which
		fmt.Fprintf(w, "  data directory:  %s\n", dataDir)
	}
	fmt.Fprintf(w, "  TLS certificate: %s\n  SHA-256:         %s\n", certFile, fingerprint)
	for _, d := range details {
		fmt.Fprintln(w, d)
	}
	if len(logins) > 0 {
		fmt.Fprintln(w, "\nDemo logins (new passwords at every start):")
		tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
		for _, l := range logins {
			fmt.Fprintf(tw, "  %s\t%s\t%s\n", l.Role, l.Email, l.Password)
		}
		tw.Flush()
		fmt.Fprintf(w, "\nLog in (the API answers with a token):\n  curl --cacert %s -X POST %sapi/v1/sessions -H 'Content-Type: application/json' \\\n    -d '{\"email\":\"%s\",\"password\":\"%s\"}'\n",
			certFile, url, logins[0].Email, logins[0].Password)
		fmt.Fprintf(w, "Then:\n  curl --cacert %s -H 'Authorization: Bearer TOKEN' %sapi/v1/customers\n", certFile, url)
	} else {
		fmt.Fprintf(w, "\nAdd a user with: strongroom user add --data %s --email you@example.com --role admin --password-stdin\n", dataDir)
	}
	fmt.Fprintln(w, "Press Ctrl-C to stop.")
}

// every runs job at once and then every period until ctx ends: serve's
// background chores.
func every(ctx context.Context, period time.Duration, job func()) {
	t := time.NewTicker(period)
	defer t.Stop()
	for {
		job()
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// counted is a chore that counts what it did: a warning names its failure
// (unless serve is stopping), an info line how many it did, if any.
func counted(ctx context.Context, log *slog.Logger, failed, done string, run func(context.Context) (int, error)) func() {
	return func() {
		n, err := run(ctx)
		switch {
		case err != nil && ctx.Err() == nil:
			log.Warn(failed, slog.String("error", err.Error()))
		case n > 0:
			log.Info(done, slog.Int("count", n))
		}
	}
}

// indexAuditSubjects fills the audit log's index of subjects behind the
// log, four times a second, in transactions of up to 1,000 rows (about
// 5 ms of the writer each), until it has caught up
// (store.IndexAuditSubjects). Larger batches write each page of the index
// fewer times but hold the writer, which every audited read waits on,
// for longer (docs/PERFORMANCE.md, "The index of subjects").
func indexAuditSubjects(ctx context.Context, a *app, log *slog.Logger) {
	every(ctx, time.Second/4, func() {
		for ctx.Err() == nil {
			behind, err := a.db.IndexAuditSubjects(ctx, 1000)
			if err != nil {
				if ctx.Err() == nil {
					log.Warn("indexing the audit log's subjects failed", slog.String("error", err.Error()))
				}
				return
			}
			if behind == 0 {
				return
			}
		}
	})
}

// purgeSessions deletes ended sessions (and the OAuth server's spent
// rows), at start and every ten minutes, until ctx ends.
func purgeSessions(ctx context.Context, a *app, log *slog.Logger) {
	every(ctx, 10*time.Minute, func() {
		if _, err := a.svc.Sessions.PurgeSessions(ctx); err != nil && ctx.Err() == nil {
			log.Warn("session purge failed", slog.String("error", err.Error()))
		}
		if err := a.svc.Clients.Purge(ctx); err != nil && ctx.Err() == nil {
			log.Warn("oauth purge failed", slog.String("error", err.Error()))
		}
	})
}

// disableUnused disables dormant accounts at start and every hour.
func disableUnused(ctx context.Context, a *app, log *slog.Logger, after time.Duration) {
	every(ctx, time.Hour, counted(ctx, log, "disabling unused accounts failed", "disabled unused accounts", func(ctx context.Context) (int, error) {
		ids, err := a.svc.Users.DisableDormant(ctx, after)
		return len(ids), err
	}))
}

// applyRetention applies the retention rules that are on, as the system,
// once a day (it looks every hour, so a restart does not skip a day).
func applyRetention(ctx context.Context, a *app, log *slog.Logger) {
	every(ctx, time.Hour, func() {
		runs, err := a.svc.Retention.RunDue(ctx)
		for _, r := range runs {
			log.Info("retention", slog.String("rule", r.Target), slog.Int("removed", r.Removed), slog.Int("kept", r.Kept))
		}
		if err != nil && ctx.Err() == nil {
			log.Warn("applying retention rules failed", slog.String("error", err.Error()))
		}
	})
}

// endHeld destroys, as the system, the held records whose legal hold has
// ended (key shredded, row deleted, erasure ledger written), at start and
// every hour.
func endHeld(ctx context.Context, a *app, log *slog.Logger) {
	every(ctx, time.Hour, counted(ctx, log, "destroying held records failed", "held records destroyed: their legal hold ended", a.svc.Customers.EndHeld))
}

// archiveAudit moves audit events older than retention into the archive
// directory (SQLite), at start and daily, MaxArchive events a transaction.
func archiveAudit(ctx context.Context, a *app, log *slog.Logger, retention time.Duration, dir, key string) {
	every(ctx, 24*time.Hour, func() {
		runs, err := checkpoint.ArchiveAll(ctx, a.db, time.Now().Add(-retention), dir, key)
		for _, got := range runs {
			log.Info("archived old audit events", slog.Int64("from", got.From), slog.Int64("to", got.To), slog.String("file", got.File))
		}
		if err != nil && ctx.Err() == nil {
			log.Warn("archiving old audit events failed", slog.String("error", err.Error()))
		}
	})
}

// reviewAccess starts an access review campaign when one is due (checked
// hourly) until ctx ends.
func reviewAccess(ctx context.Context, a *app, log *slog.Logger, period time.Duration) {
	every(ctx, time.Hour, counted(ctx, log, "starting the access review failed", "access review started", func(ctx context.Context) (int, error) {
		started, err := a.svc.Approvals.ReviewIfDue(ctx, period)
		if started {
			return 1, err
		}
		return 0, err
	}))
}

// escalateWipes raises an alert, at start and then every five minutes, for
// each device wipe ordered longer than --wipe-escalate ago and not
// confirmed (Devices.EscalateWipes); each device is alerted once.
func escalateWipes(ctx context.Context, a *app, log *slog.Logger) {
	every(ctx, 5*time.Minute, counted(ctx, log, "escalating unconfirmed wipes failed", "unconfirmed device wipes escalated", a.svc.Devices.EscalateWipes))
}

// remindVendors raises an alert, at start and then every hour, for each
// vendor review or certification expiry that has come within 30 days or
// passed; each item is alerted once (Vendors.CheckReminders), whichever
// server checks first.
func remindVendors(ctx context.Context, a *app, log *slog.Logger) {
	every(ctx, time.Hour, counted(ctx, log, "checking vendor reminders failed", "vendor reminders raised", a.svc.Vendors.CheckReminders))
}

// remindRequests raises an alert, at start and then every hour, for each
// open data-subject request due within three days or overdue, and emails
// its handler; each request once (Requests.CheckDeadlines), whichever
// server checks first.
func remindRequests(ctx context.Context, a *app, log *slog.Logger) {
	every(ctx, time.Hour, counted(ctx, log, "checking request deadlines failed", "request reminders raised", a.svc.Requests.CheckDeadlines))
}

// dataParts are the parts of this server that send data to a third party,
// as the vendors register links them: the mail relay, the alert webhook,
// and each S3 backup target (a directory is this host's own disk).
// setVendorParts tells the vendors register which parts of this server
// send data to a third party: those configured (parts) and each webhook
// subscription; serve calls it at start, when a subscription changes on
// this server, and every minute (for changes made on another server).
func setVendorParts(ctx context.Context, a *app, log *slog.Logger, parts []string) {
	links, err := a.svc.Hooks.Links(ctx)
	if err != nil && ctx.Err() == nil {
		log.Warn("listing webhooks for the vendors register failed", slog.String("error", err.Error()))
	}
	a.svc.Vendors.SetParts(append(slices.Clone(parts), links...))
}

func dataParts(c config.Config, backups *backup.Runner) []string {
	var out []string
	if c.SMTP.Host != "" {
		out = append(out, "mail:relay")
	}
	if c.AlertWebhook != "" {
		out = append(out, "webhook:alerts")
	}
	for _, s := range backups.Targets {
		if n := s.Target.Name(); strings.HasPrefix(n, "s3://") {
			out = append(out, "backup:"+n)
		}
	}
	return out
}
