// Package cli is the strongroom command: it parses flags and calls the
// packages that do the work. Errors end the command with one line on
// standard error and a non-zero exit code.
package cli

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"

	"strongroom.dev/strongroom/internal/config"
	"strongroom.dev/strongroom/internal/errs"
)

// Exit codes.
const (
	exitOK    = 0
	exitError = 1
	exitUsage = 2
)

// Env is what a command may touch of the outside world.
type Env struct {
	Stdin          io.Reader
	Stdout, Stderr io.Writer
	Getenv         func(string) string
}

const usage = `strongroom — a CRM that keeps customer data safe

Usage:
  strongroom serve [--demo] [--addr HOST:PORT] [--data DIR] [--db URL] [--tls-cert F --tls-key F]
      Serve HTTPS (TLS 1.2+, HSTS). Creates --data with a master key (0600), a
      self-signed certificate and the SQLite database when they do not exist.
      --demo fills an empty database with demo data and prints demo logins.
      --disable-unused-days N (default 90; 0 never) disables accounts unused that long.
      --idle-timeout 15m (1m-30m), --session-max 12h (1h-12h) end sessions;
      --min-password-length 12 (8-64) is the shortest password accepted.
      --access-review-days 91 (0 never) starts an access review campaign that often.
      --bulk-export-rows 1000: larger exports need approval once an admin sets levels for it.
      --rate-per-address 200: requests a second each client address may send (bursts
      of twice that); 0 no limit, e.g. behind a proxy that limits, or for load tests.
      --rate-per-account 200: the same per logged-in account, on each server.
      --sessions-per-role admin=2,field_rep=3: sessions a role's holders may have at
      once (1-10; a user with several roles gets the smallest; others keep 10).
      --trusted-proxy ADDR|CIDR,...: reverse proxies whose X-Forwarded-For names the
      client (the right-most address that is not a listed proxy); default none.
      The audit log is checkpointed (a signed Merkle tree head) every 60 s and,
      looked at every second, every 500 events; --audit-key F (default audit.key
      in --data, made if missing; the same file on every server of one database)
      signs, and --audit-witness
      DIR,...|log|stdout (default DIR audit-witness in --data; put one on another disk)
      keeps the checkpoints outside the database and refuses inconsistent ones.
      --audit-retention 8760h (0 never): events older than that, up to a checkpoint,
      are archived daily to --audit-archive DIR (default audit-archive in --data)
      with their checkpoint and removed from the database.
      Detectors watch the audit log every second and raise alerts (the security page,
      GET /api/v1/alerts); --detectors F.json sets their rules over the defaults;
      --security-contacts A,B (with a mail relay) get each batch of alerts by email;
      --alert-webhook https://... gets them as signed POSTs (secret in
      STRONGROOM_ALERT_WEBHOOK_SECRET).
      Field devices: --offline-lease 12h (1m-168h) is how long the field app may read
      its offline copy without contact; --wipe-escalate 24h raises an alert for a
      wipe not confirmed that long after it was ordered; --device-min-version 1.2.0
      refuses older field apps; --device-required-roles field_rep (comma-separated;
      "" for none): those roles' API calls need an enrolled device's DPoP token.
      --siem FILE|tls://host:port streams the audit log to a SIEM (--siem-format
      syslog|jsonl, --siem-ca PEM), resuming from a saved cursor.
      Webhooks (/admin/webhooks, strongroom webhook) are delivered every 2 s, one
      server at a time; destinations in loopback, private, link-local, CGNAT and
      other special-purpose ranges are refused, when made and when dialled, unless
      --webhook-allow CIDR,... allows them; --webhook-ca PEM adds authorities for
      partners' certificates; --webhook-retry 1m,5m,30m,2h,12h are the waits
      between attempts, after which a delivery is marked failed.
      Backups (docs/BACKUP.md): --backup-target SPEC (repeatable) with its schedule
      and retention, e.g. /mnt/nas/sr?every=24h&keep=7,4,12 or
      s3://host/bucket/prefix?every=1h&lock=720h&ca=ca.pem (S3 credentials from
      STRONGROOM_S3_ACCESS_KEY and STRONGROOM_S3_SECRET_KEY); default backups in
      --data, daily, keeping 7,4,12. Encrypted with age to the drill identity
      (backup-drill.key in --data) and --backup-recipient age1...; signed with the
      audit key. --backup-drill-every 168h restores each target's latest backup
      into a scratch database and checks it (0: on demand); a failure alerts.
      The server keeps a soft memory limit of 128 MiB; GOMEMLIMIT sets another
      (large imports are faster with more).
      Mail (lock notices, password resets, invitations) goes through an SMTP relay:
      --smtp-host H [--smtp-port 587] [--smtp-user U] [--smtp-from ADDR]
      [--smtp-starttls required|none] [--smtp-ca PEM]; the relay's password only
      from STRONGROOM_SMTP_PASSWORD. --public-url https://crm.example.com is the
      address put in emailed links (default https://--addr).
      Single sign-on for staff (docs/SECURITY.md): --oidc-issuer https://idp... and
      --oidc-client-id ID (the secret only from STRONGROOM_OIDC_CLIENT_SECRET;
      redirect URI --public-url + /login/sso/callback) add "Sign in with
      --oidc-name" to the login page. --oidc-role-map "group=role,group=role+role"
      (groups from the --oidc-groups-claim, default groups) sets roles at each
      login; --oidc-jit creates accounts at a first login with a verified email;
      --oidc-mfa-by-provider lets a login whose acr or amr is one of
      --oidc-mfa-acr (default mfa) stand for Strongroom's second factor;
      --oidc-ca PEM trusts a private CA for the provider.
  strongroom user add --email E --role ROLE [--team T] --password-stdin [--must-change] [--data DIR] [--db URL]
      Create a user; the password is read from standard input. --must-change: the
      user must change it at first login (always so for users an admin adds in the UI or API).
  strongroom user invite --email E --role ROLE [--team T] [mail flags] [--data DIR] [--db URL]
      Create a user without a password and email them a link (7 days) to choose
      one; without --smtp-host the link is printed to pass on.
  strongroom user reset-password --email E [mail flags] [--data DIR] [--db URL]
      Email a user a single-use password reset link (30 minutes), or print it
      without --smtp-host. Their two-step login stays.
  strongroom user set-role --email E --role ROLE [--data DIR] [--db URL]
      Change a user's role (audited).
  strongroom user reset-mfa --email E [--data DIR] [--db URL]
      Remove a user's authenticator and recovery codes (audited).
  strongroom user end-sessions --email E | --all [--data DIR] [--db URL]
      End every session of a user, e.g. after a lost device, or (--all) of every
      user, e.g. after a breach (audited).
  strongroom user list | disable --email E | enable --email E [--data DIR] [--db URL]
      List users (role, team, second factor, last login); disable one (ending
      every session) or enable them again (audited).
  strongroom role list | show --name R | save --file F.json | copy --from R --name N | retire --name R
  strongroom role networks --name R --set "10.0.0.0/8,192.168.1.0/24"   (--set "" lifts the limit)
  strongroom role template --name auction_house|coatings_manufacturer|payment_services|counselling_agency|field_sales
      Define an industry template's roles in one step (docs/TEMPLATES.md).
      Roles: the built-in ones and those administrators define (per object type the
      actions at a scope, per field class or field a level). Saving, copying and
      retiring are audited with the definition before and after.
  strongroom client add --name N --role R [--jwk FILE] [--redirect-uris U,...] [--networks CIDR,...]
                    [--rate N] [--token-seconds N] [--data DIR] [--db URL]
  strongroom client list | suspend --id ID | resume --id ID | delete --id ID
      OAuth 2.0 clients of partner systems (served at /oauth/, docs/SECURITY.md
      "OAuth clients"): each acts with a role's grants; a secret is shown once and
      kept hashed, or --jwk registers a public key for private_key_jwt. Audited.
  strongroom device list | device lock --id D | device wipe --id D [--reason R] [--data DIR] [--db URL]
      Field devices (the field app at /app/): list them (user, state, app version,
      last contact and coarse place); lock one (its DPoP-bound tokens and offline
      lease end at once) or order its wipe (delivered at its next contact with
      Clear-Site-Data, confirmed by the app). Audited.
  strongroom team nest --team T --parent P [--data DIR] [--db URL]
      Place a team below another: team scope reaches a team and every team below it.
  strongroom webhook add --name N --url https://… --role R --events E1,E2 [--webhook-allow CIDRS]
  strongroom webhook list | pause --id ID | resume --id ID | delete --id ID   [--data DIR] [--db URL]
      Webhook subscriptions (as /admin/webhooks and /api/v1/webhooks): partners'
      https addresses that get events signed the Standard Webhooks way, carrying
      what --role may read. add prints the signing secret once. Audited.
  strongroom mfa require --roles LIST [--data DIR] [--db URL]
      Roles that must use two-step login: comma-separated, "all", or "" for none.
      A new database requires it for every role.
  strongroom audit verify [--witness DIR,...] [--verifier KEY] [--archive DIR] [--audit-key F]
                          [--data DIR] [--db URL]
      Check the audit log: the hash chain and its head, the Merkle tree against
      every signed checkpoint (signatures checked with the verifier key: --verifier,
      else the audit key file's, else the witness's), and each witness's
      checkpoints; exit 1 naming the first bad event (or, for a log rewritten to
      chain again, the range of events where the change lies). --archive DIR also
      checks the archive files up to the database's anchor.
  strongroom audit prove --event N [--data DIR] [--db URL]
      Print (JSON) an inclusion proof of event N in the oldest signed checkpoint
      that covers it.
  strongroom audit check-proof --verifier KEY [--proof FILE]
      Check such a proof (default from standard input) offline, with the verifier
      key alone: no database, no data directory.
  strongroom audit key [--data DIR] [--audit-key F]
      Print the audit verifier key (serve prints it too), for verifiers.
  strongroom audit archive [--older-than 8760h] [--to DIR] [--data DIR] [--db URL]
      Move the events older than the online retention (default 12 months), up to a
      checkpoint, into a file in --to (default audit-archive in --data) with that
      checkpoint, and remove them from the database; verify goes on from there. On
      PostgreSQL run it as the schema's owner. Run it monthly (cron).
  strongroom audit export --to FILE|tls://host:port [--format jsonl|syslog] [--ca PEM]
                          [--from-start] [--follow] [--data DIR] [--db URL]
      Send the audit log to a SIEM: JSON lines or RFC 5424 syslog, appended to a file
      or over TLS (RFC 5425), from where the last export to the same place stopped.
  strongroom keys recovery-init --out DIR
      Make the organisation's recovery key pair for sealed notes, offline (no database):
      DIR/seal-recovery.key (0600; keep it off the server, e.g. on an offline machine or
      in a safe) and DIR/seal-recovery.pub. Never overwrites an existing key.
  strongroom keys recovery-set --public FILE [--data DIR] [--db URL]
      Give the server the recovery public key: sealed notes written from then on are
      sealed to it too. Audited (sealed.recovery_set).
  strongroom keys recovery-open --private FILE --note ID --reason TEXT [--out FILE]
                                [--data DIR] [--db URL]
      Open one sealed note on the host with the recovery private key (e.g. when its
      readers have left); prints it, or writes it to --out (0600). Audited
      (sealed.recovery_open, with the reason) before the note is read.
  strongroom keys export --recipient age1...[,age1...] [--out FILE] [--data DIR] [--db URL]
      Write the master key file encrypted with age to the recipients (ASCII-armored),
      to keep apart from the backups, which never hold it; "age -d -i identity.txt"
      turns it back into the key file. Audited (keys.export).
  strongroom keys status [--json] [--data DIR] [--db URL]
      Who holds the master key (custody), its terms and how many data keys each
      wraps, the re-wrapping to the active term, this process's key cache. Audited.
  strongroom keys rotate [--data DIR] [--db URL]
      Add a new master-key term in the custody; new data keys are wrapped under it
      at once, and serve re-wraps the older ones in the background (audited).
  strongroom keys rewrap [--rewrap-rate N] [--batch N] [--data DIR] [--db URL]
      Re-wrap every data key to the active term now, showing progress; resumable,
      one runner at a time (a PostgreSQL advisory lock), each batch audited.
  strongroom keys retire --term N [--data DIR] [--db URL]
      Destroy term N in the custody; refused for the active term and while any data
      key is still wrapped under it (run keys rewrap first). Audited.
  strongroom keys rotate-subject --customer ID|--company ID --reason TEXT [--data DIR] [--db URL]
      Give one customer a new data key (after a suspected exposure): their fields,
      activities, deals, purchases, preferences, consents and requests are re-sealed
      under it; for a company, its fields, activities, visit notes and photos.
      Audited (customer.key_rotation or company.key_rotation, with the reason).
      Every command that opens the database takes the custody flags:
      --master-key-custody file|passphrase|pkcs11 (default file: master.key in --data),
      --master-passphrase-fd N (else asked on the terminal), --pkcs11-module LIB
      --pkcs11-token LABEL [--pkcs11-key-label PREFIX] [--pkcs11-pin-fd N] (else env
      STRONGROOM_PKCS11_PIN); serve also --key-cache-size N --key-cache-ttl D and
      --rewrap-rate N (docs/SECURITY.md, "Master key custody and rotation").
  strongroom backup [now|list|drill] [--backup-target SPEC]... [--backup-recipient age1...]
                    [--data DIR] [--db URL]
      Back up to each target now (default: serve's targets), list each target's
      backups (checking their signatures), or drill each target's latest backup.
  strongroom backup reapply-ledger --from SPEC [--verifier KEY] [--data DIR] [--db URL]
      Erase again everyone in the target's signed erasure ledger, e.g. after a
      PostgreSQL point-in-time recovery brought erased people back (audited).
  strongroom restore --from SPEC --identity F[,F] [--backup ID | --at TIME]
                     [--verifier KEY | --audit-key F] [--master-key F] --data DIR [--db URL]
      Restore a backup into a new data directory (SQLite) or an empty PostgreSQL
      database (--db): checks the manifest's signature, every table's checksum and
      row count and the data's checksum, refusing the backup in one line if any
      fails; erases again everyone in the target's erasure ledger; writes the
      master key (keys export's file, opened with --identity) with --master-key.
  strongroom migrate [--data DIR] [--db URL]
      Apply pending database migrations and stop (no master key needed). On
      PostgreSQL run it as the schema's owner, and serve as a role that may not
      change the schema (docs/SECURITY.md, docs/postgres-roles.sql); serve still
      migrates by itself when it may.
  strongroom bench [--customers 10000] [--conns 8] [--duration 10s] [--only get,list,...]
                   [--half-peak] [--import-rows N] [--postgres URL [--servers 2]] [--keep] [--json]
      Measure speed: seed a scratch database with customers (through the import's
      service path), start real servers as child processes on loopback, and drive
      the API over HTTPS for --duration per operation (get by id, list, search by
      email, phone and national id, create, a login storm, optionally an import),
      next to a bare TLS handler. Prints req/s, p50, p99, errors and server memory
      per operation, then verifies the audit log. --half-peak also drives each
      operation at half the rate it reached, paced (latency from when each
      request was due).
  strongroom version

Built-in roles: admin, manager, sales, finance, marketing, support, counsellor,
field_rep, auditor (see docs/ROLES.md); more can be defined with "strongroom role".
Environment: STRONGROOM_ADDR, STRONGROOM_DATA, STRONGROOM_DB, STRONGROOM_TLS_CERT,
STRONGROOM_TLS_KEY, STRONGROOM_LOG_JSON, STRONGROOM_DISABLE_UNUSED_DAYS, STRONGROOM_PUBLIC_URL,
STRONGROOM_SMTP_HOST, STRONGROOM_SMTP_PORT, STRONGROOM_SMTP_USER, STRONGROOM_SMTP_FROM,
STRONGROOM_SMTP_STARTTLS, STRONGROOM_SMTP_CA, STRONGROOM_IDLE_TIMEOUT, STRONGROOM_SESSION_MAX,
STRONGROOM_MIN_PASSWORD_LENGTH, STRONGROOM_ACCESS_REVIEW_DAYS, STRONGROOM_BULK_EXPORT_ROWS, STRONGROOM_RATE_PER_ADDRESS,
STRONGROOM_BACKUP_TARGET (space-separated), STRONGROOM_BACKUP_RECIPIENT, STRONGROOM_BACKUP_DRILL_EVERY,
STRONGROOM_WEBHOOK_ALLOW, STRONGROOM_WEBHOOK_CA, STRONGROOM_WEBHOOK_RETRY stand in for the flags of the same names;
STRONGROOM_SMTP_PASSWORD is the relay's password.
Run "strongroom COMMAND -h" for a command's flags.
`

// Version is set at build time with -ldflags "-X ...cli.Version=...".
var Version = "dev"

// Run runs the command in args (without the program name) and returns the
// exit code.
func Run(ctx context.Context, args []string, env Env) int {
	if env.Getenv == nil {
		env.Getenv = os.Getenv
	}
	if len(args) == 0 {
		fmt.Fprint(env.Stderr, usage)
		return exitUsage
	}
	var err error
	switch args[0] {
	case "serve":
		err = serve(ctx, args[1:], env)
	case "user":
		err = user(ctx, args[1:], env)
	case "keys":
		err = keysCmd(ctx, args[1:], env)
	case "audit":
		err = auditCmd(ctx, args[1:], env)
	case "backup":
		err = backupCmd(ctx, args[1:], env)
	case "restore":
		err = restoreCmd(ctx, args[1:], env)
	case "migrate":
		err = migrate(ctx, args[1:], env)
	case "mfa":
		err = mfaCmd(ctx, args[1:], env)
	case "role":
		err = roleCmd(ctx, args[1:], env)
	case "device":
		err = deviceCmd(ctx, args[1:], env)
	case "team":
		err = teamCmd(ctx, args[1:], env)
	case "client":
		err = clientCmd(ctx, args[1:], env)
	case "webhook":
		err = webhookCmd(ctx, args[1:], env)
	case "bench":
		err = benchCmd(ctx, args[1:], env)
	case "version", "--version":
		fmt.Fprintln(env.Stdout, "strongroom", Version)
	case "help", "-h", "--help":
		fmt.Fprint(env.Stdout, usage)
	default:
		err = usageError(fmt.Sprintf("unknown command %q; run strongroom --help", args[0]))
	}
	return report(err, env.Stderr)
}

type usageError string

func (e usageError) Error() string { return string(e) }

func report(err error, stderr io.Writer) int {
	if err == nil || errors.Is(err, flag.ErrHelp) {
		return exitOK
	}
	var ue usageError
	if errors.As(err, &ue) {
		fmt.Fprintln(stderr, "strongroom:", err)
		return exitUsage
	}
	msg := err.Error()
	var e *errs.Error
	if errors.As(err, &e) && e.Kind != errs.Internal {
		msg, _ = errs.Public(err)
	}
	fmt.Fprintln(stderr, "strongroom:", oneLine(msg))
	return exitError
}

func oneLine(s string) string {
	return strings.Join(strings.Fields(s), " ")
}

// newFlags returns a flag set that reports errors instead of exiting.
func newFlags(name string, env Env) *flag.FlagSet {
	fs := flag.NewFlagSet("strongroom "+name, flag.ContinueOnError)
	fs.SetOutput(env.Stderr)
	return fs
}

func parse(fs *flag.FlagSet, args []string) error {
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return err
		}
		return usageError(oneLine(err.Error()))
	}
	if fs.NArg() > 0 {
		return usageError(fmt.Sprintf("unexpected argument %q", fs.Arg(0)))
	}
	return nil
}

// given reports whether a flag was set on the command line: for flags
// whose empty value means something ("" = none), which must be asked for
// explicitly, never reached by forgetting the flag.
func given(fs *flag.FlagSet, name string) bool {
	set := false
	fs.Visit(func(f *flag.Flag) { set = set || f.Name == name })
	return set
}

func loadConfig(env Env) config.Config { return config.Defaults(env.Getenv) }

// writeNewSecret writes data to a new file of mode 0600. An existing file
// is refused: it would keep its own mode, and a link would be followed.
func writeNewSecret(path string, data []byte) error {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return err
	}
	if _, err := f.Write(data); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}
