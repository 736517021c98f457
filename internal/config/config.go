// Package config turns defaults, STRONGROOM_* environment variables and
// command-line flags into one validated Config. It holds no globals.
package config

import (
	"errors"
	"flag"
	"fmt"
	"net"
	"net/mail"
	"net/netip"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"strongroom.dev/strongroom/internal/crm"
	"strongroom.dev/strongroom/internal/netguard"
	"strongroom.dev/strongroom/internal/webhook"
)

// Config is the settings of one strongroom process.
type Config struct {
	Addr    string // host:port to serve HTTPS on
	DataDir string // holds the master key, the TLS certificate and (by default) the SQLite database
	DSN     string // PostgreSQL URL; empty means SQLite inside DataDir
	TLSCert string // PEM certificate; empty means a generated self-signed one
	TLSKey  string
	Demo    bool
	LogJSON bool
	// Custody says who holds the master key: "file" (the key file in
	// DataDir, the default), "passphrase" (argon2id from a passphrase
	// asked at start or read from PassphraseFD) or "pkcs11" (a token).
	Custody      string
	PassphraseFD int // read the master passphrase from this descriptor; -1 asks on the terminal
	PKCS11       PKCS11
	// KeyCacheSize unwrapped data keys are kept for at most KeyCacheTTL.
	KeyCacheSize int
	KeyCacheTTL  time.Duration
	// RewrapRate is the most data keys a second the background
	// re-wrapping after a rotation re-wraps; 0 is no limit.
	RewrapRate float64
	// DisableUnusedDays disables accounts unused for longer; 0 never does.
	DisableUnusedDays int
	// AccessReviewDays starts an access review this often; 0 never does.
	AccessReviewDays int
	// PublicURL is where users reach the web UI, for links in emails;
	// empty means https:// and the listening address.
	PublicURL string
	SMTP      SMTP
	// Sessions and passwords (NIST SP 800-63B, OWASP ASVS 5.0 V7).
	IdleTimeout     time.Duration // default 15 minutes; 1 to 30 minutes (NIST SP 800-63B AAL2)
	AbsoluteTimeout time.Duration // default 12 hours; 1 to 12 hours (NIST SP 800-63B AAL2)
	MinPassword     int           // default 12; 8 to 64
	// BulkExportRows: an export of more customers needs approval, when an
	// admin has set approval levels for bulk exports.
	BulkExportRows int
	// MinK is the least k-anonymity a pseudonymised export may have.
	MinK int
	// Organisation and PrivacyContact name the controller and how to reach
	// its privacy officer, in the record of processing and breach notices.
	Organisation, PrivacyContact string
	// RatePerAddress is the steady requests per second each client address
	// may send (bursts of twice that); 0 means no limit (for load tests
	// behind a trusted proxy that limits instead).
	RatePerAddress int
	// RatePerAccount is the steady requests per second each logged-in
	// account may send (bursts of twice that), on each server; 0 means no
	// limit.
	RatePerAccount int
	// TrustedProxies are the reverse proxies (addresses or CIDR prefixes,
	// comma-separated) whose X-Forwarded-For names the client; empty: the
	// connection's peer is the client.
	TrustedProxies string
	// AuditKey is the audit key file (signs the audit log's checkpoints;
	// default audit.key in DataDir); AuditWitnesses the witnesses that
	// keep them: directories, or "log" for the server's log.
	AuditKey       string
	AuditWitnesses string
	// AuditRetention is how long events stay in the database before serve
	// archives them (daily) into AuditArchive; 0: never.
	AuditRetention time.Duration
	AuditArchive   string
	// Detectors is a JSON file of detector rules over the defaults
	// (internal/detect); empty: the defaults.
	Detectors string
	// SIEM is where serve streams the audit log (a file or
	// tls://host:port), in SIEMFormat (jsonl or syslog), checking the
	// endpoint against SIEMCA; empty: no stream.
	SIEM, SIEMFormat, SIEMCA string
	// SessionsPerRole caps the sessions a role's holders may have at once:
	// "role=N,…" (N from 1 to 10; unnamed roles keep 10).
	SessionsPerRole string
	// RequestDays sets how many days a data-subject request has under a
	// law, over the defaults (crm.Laws): "pipl=10,gdpr=30".
	RequestDays string
	// SecurityContacts get the detectors' alerts by email (comma-separated).
	SecurityContacts string
	// AlertWebhook gets the detectors' alerts as signed POSTs (https);
	// the secret comes only from STRONGROOM_ALERT_WEBHOOK_SECRET.
	AlertWebhook, AlertWebhookSecret string
	// WebhookAllow are address ranges (CIDR, comma-separated) that webhook
	// destinations may resolve to although they are loopback, private,
	// link-local or otherwise special-purpose; WebhookCA a PEM file of
	// certificates partners' endpoints may chain to besides the system's.
	WebhookAllow, WebhookCA string
	// WebhookRetry are the waits before each retry of a failed webhook
	// delivery ("1m,5m,30m,2h,12h"); after the last, it is marked failed.
	WebhookRetry string
	// BackupTargets are where backups go, each with its schedule and
	// retention (internal/backup.ParseSpec); none: backups in DataDir.
	BackupTargets      []string
	backupTargetsGiven bool // a flag replaces the environment's list
	// BackupRecipients are the age recipients (age1…) backups are
	// encrypted to, besides the server's own drill identity.
	BackupRecipients string
	// DrillEvery is how often each target's latest backup is restored
	// into a scratch database and checked; 0: on demand only.
	DrillEvery time.Duration
	// Field devices (issue 15): how long the field app may read its
	// offline copy without contact, when an unconfirmed wipe escalates,
	// the oldest app version accepted, and the roles whose API calls need
	// an enrolled device.
	OfflineLease        time.Duration
	WipeEscalate        time.Duration
	DeviceMinVersion    string
	DeviceRequiredRoles string
	// OIDC is single sign-on for staff with the company's OpenID Connect
	// provider; off while Issuer is empty.
	OIDC OIDC
}

// OIDC configures single sign-on (internal/sso, identity.SSOPolicy).
type OIDC struct {
	Issuer        string // the provider's issuer URL (https)
	ClientID      string
	ClientSecret  string // from STRONGROOM_OIDC_CLIENT_SECRET only, never a flag
	Name          string // the provider's name on the login page's button
	GroupsClaim   string // the ID token claim listing groups; default "groups"
	RoleMap       string // "group=role,group=role+role,…"
	JIT           bool   // create accounts at first login
	MFAByProvider bool   // let the provider's two-step login stand for Strongroom's
	MFAACR        string // acr (or amr) values that show two-step login, comma-separated; default "mfa"
	CAFile        string // PEM roots for a provider under a private CA
}

// SMTP is the mail relay. Mail is off when Host is empty.
type SMTP struct {
	Host     string
	Port     int
	User     string
	Password string // from the environment only, never a flag
	From     string
	StartTLS string // "required" or "none"
	CAFile   string // PEM certificates to trust for the relay; empty: the system's
}

// Defaults reads the STRONGROOM_* environment over the built-in defaults.
func Defaults(getenv func(string) string) Config {
	c := Config{Addr: "127.0.0.1:8443", DataDir: "strongroom-data", DisableUnusedDays: 90, AccessReviewDays: 91,
		IdleTimeout: 15 * time.Minute, AbsoluteTimeout: 12 * time.Hour, MinPassword: 12, BulkExportRows: 1000, MinK: 5, RatePerAddress: 200, RatePerAccount: 200,
		SMTP: SMTP{Port: 587, StartTLS: "required", From: "Strongroom <strongroom@localhost>"}}
	if v, err := strconv.Atoi(getenv("STRONGROOM_BULK_EXPORT_ROWS")); err == nil {
		c.BulkExportRows = v
	}
	if v, err := strconv.Atoi(getenv("STRONGROOM_MIN_K")); err == nil {
		c.MinK = v
	}
	c.Organisation, c.PrivacyContact = getenv("STRONGROOM_ORGANISATION"), getenv("STRONGROOM_PRIVACY_CONTACT")
	if v, err := strconv.Atoi(getenv("STRONGROOM_RATE_PER_ADDRESS")); err == nil {
		c.RatePerAddress = v
	}
	if v, err := strconv.Atoi(getenv("STRONGROOM_RATE_PER_ACCOUNT")); err == nil {
		c.RatePerAccount = v
	}
	c.TrustedProxies = getenv("STRONGROOM_TRUSTED_PROXY")
	c.AuditKey = getenv("STRONGROOM_AUDIT_KEY")
	c.AuditWitnesses = getenv("STRONGROOM_AUDIT_WITNESS")
	c.AuditRetention = 365 * 24 * time.Hour
	if v := getenv("STRONGROOM_AUDIT_RETENTION"); v != "" {
		if d, err := time.ParseDuration(v); err == nil {
			c.AuditRetention = d
		}
	}
	c.AuditArchive = getenv("STRONGROOM_AUDIT_ARCHIVE")
	c.OfflineLease, c.WipeEscalate, c.DeviceRequiredRoles = 12*time.Hour, 24*time.Hour, "field_rep"
	if d, err := time.ParseDuration(getenv("STRONGROOM_OFFLINE_LEASE")); err == nil {
		c.OfflineLease = d
	}
	if d, err := time.ParseDuration(getenv("STRONGROOM_WIPE_ESCALATE")); err == nil {
		c.WipeEscalate = d
	}
	if v, ok := os.LookupEnv("STRONGROOM_DEVICE_REQUIRED_ROLES"); ok {
		c.DeviceRequiredRoles = v
	}
	c.DeviceMinVersion = getenv("STRONGROOM_DEVICE_MIN_VERSION")
	c.Detectors = getenv("STRONGROOM_DETECTORS")
	c.SessionsPerRole = getenv("STRONGROOM_SESSIONS_PER_ROLE")
	c.RequestDays = getenv("STRONGROOM_REQUEST_DAYS")
	c.SecurityContacts = getenv("STRONGROOM_SECURITY_CONTACTS")
	c.AlertWebhook, c.AlertWebhookSecret = getenv("STRONGROOM_ALERT_WEBHOOK"), getenv("STRONGROOM_ALERT_WEBHOOK_SECRET")
	c.WebhookAllow, c.WebhookCA = getenv("STRONGROOM_WEBHOOK_ALLOW"), getenv("STRONGROOM_WEBHOOK_CA")
	c.WebhookRetry = getenv("STRONGROOM_WEBHOOK_RETRY")
	c.OIDC.ClientSecret = getenv("STRONGROOM_OIDC_CLIENT_SECRET")
	if v := getenv("STRONGROOM_BACKUP_TARGET"); v != "" {
		c.BackupTargets = strings.Split(v, " ") // specs hold commas; spaces separate them here
	}
	c.BackupRecipients = getenv("STRONGROOM_BACKUP_RECIPIENT")
	c.DrillEvery = 7 * 24 * time.Hour
	if v, err := time.ParseDuration(getenv("STRONGROOM_BACKUP_DRILL_EVERY")); err == nil {
		c.DrillEvery = v
	}
	c.SIEM, c.SIEMFormat, c.SIEMCA = getenv("STRONGROOM_SIEM"), getenv("STRONGROOM_SIEM_FORMAT"), getenv("STRONGROOM_SIEM_CA")
	if c.SIEMFormat == "" {
		c.SIEMFormat = "syslog"
	}
	if v, err := strconv.Atoi(getenv("STRONGROOM_ACCESS_REVIEW_DAYS")); err == nil {
		c.AccessReviewDays = v
	}
	if v, err := time.ParseDuration(getenv("STRONGROOM_IDLE_TIMEOUT")); err == nil {
		c.IdleTimeout = v
	}
	if v, err := time.ParseDuration(getenv("STRONGROOM_SESSION_MAX")); err == nil {
		c.AbsoluteTimeout = v
	}
	if v, err := strconv.Atoi(getenv("STRONGROOM_MIN_PASSWORD_LENGTH")); err == nil {
		c.MinPassword = v
	}
	if v, err := strconv.Atoi(getenv("STRONGROOM_SMTP_PORT")); err == nil {
		c.SMTP.Port = v
	}
	for name, dst := range map[string]*string{
		"STRONGROOM_SMTP_HOST": &c.SMTP.Host, "STRONGROOM_SMTP_USER": &c.SMTP.User, "STRONGROOM_SMTP_PASSWORD": &c.SMTP.Password,
		"STRONGROOM_SMTP_FROM": &c.SMTP.From, "STRONGROOM_SMTP_STARTTLS": &c.SMTP.StartTLS, "STRONGROOM_SMTP_CA": &c.SMTP.CAFile, "STRONGROOM_PUBLIC_URL": &c.PublicURL,
	} {
		if v := getenv(name); v != "" {
			*dst = v
		}
	}
	if v, err := strconv.Atoi(getenv("STRONGROOM_DISABLE_UNUSED_DAYS")); err == nil {
		c.DisableUnusedDays = v
	}
	if v := getenv("STRONGROOM_ADDR"); v != "" {
		c.Addr = v
	}
	if v := getenv("STRONGROOM_DATA"); v != "" {
		c.DataDir = v
	}
	c.DSN = getenv("STRONGROOM_DB")
	c.TLSCert, c.TLSKey = getenv("STRONGROOM_TLS_CERT"), getenv("STRONGROOM_TLS_KEY")
	c.LogJSON, _ = strconv.ParseBool(getenv("STRONGROOM_LOG_JSON"))
	c.Custody, c.PassphraseFD, c.PKCS11.PINFD = "file", -1, -1
	if v := getenv("STRONGROOM_MASTER_KEY_CUSTODY"); v != "" {
		c.Custody = v
	}
	c.PKCS11.Module, c.PKCS11.Token = getenv("STRONGROOM_PKCS11_MODULE"), getenv("STRONGROOM_PKCS11_TOKEN")
	c.PKCS11.Label, c.PKCS11.PIN = getenv("STRONGROOM_PKCS11_KEY_LABEL"), getenv("STRONGROOM_PKCS11_PIN")
	c.KeyCacheSize, c.KeyCacheTTL, c.RewrapRate = 1024, 5*time.Minute, 2000
	if v, err := strconv.ParseFloat(getenv("STRONGROOM_REWRAP_RATE"), 64); err == nil {
		c.RewrapRate = v
	}
	if v, err := strconv.Atoi(getenv("STRONGROOM_KEY_CACHE_SIZE")); err == nil {
		c.KeyCacheSize = v
	}
	if v, err := time.ParseDuration(getenv("STRONGROOM_KEY_CACHE_TTL")); err == nil {
		c.KeyCacheTTL = v
	}
	return c
}

// PKCS11 names the token that holds the master key under the pkcs11
// custody. The PIN comes from STRONGROOM_PKCS11_PIN or PINFD.
type PKCS11 struct {
	Module string // the PKCS#11 library
	Token  string // the token's label
	Label  string // prefix of the key objects' labels
	PIN    string
	PINFD  int
}

// StorageFlags registers --data and --db, and the master key's custody
// flags, on fs.
// AuditKeyFlag registers --audit-key on fs.
func (c *Config) AuditKeyFlag(fs *flag.FlagSet) {
	fs.StringVar(&c.AuditKey, "audit-key", c.AuditKey, "the audit key file, which signs the audit log's checkpoints (made if missing; every server on one database needs the same file); default audit.key in --data (env STRONGROOM_AUDIT_KEY)")
}

// AuditKeyFile is the audit key's file.
func (c Config) AuditKeyFile() string {
	if c.AuditKey != "" {
		return c.AuditKey
	}
	return filepath.Join(c.DataDir, "audit.key")
}

// Witnesses lists the audit witnesses: the directory audit-witness in
// DataDir unless some are named.
func (c Config) Witnesses() []string {
	if strings.TrimSpace(c.AuditWitnesses) == "" {
		return []string{filepath.Join(c.DataDir, "audit-witness")}
	}
	var out []string
	for _, w := range strings.Split(c.AuditWitnesses, ",") {
		if w = strings.TrimSpace(w); w != "" {
			out = append(out, w)
		}
	}
	return out
}

func (c *Config) StorageFlags(fs *flag.FlagSet) {
	fs.StringVar(&c.DataDir, "data", c.DataDir, "data directory: master key, TLS certificate, SQLite database (env STRONGROOM_DATA)")
	fs.StringVar(&c.DSN, "db", c.DSN, "PostgreSQL URL or key=value settings, e.g. postgres://user@host/db?sslmode=verify-full (a server on another machine must be verified: sslmode=verify-full); default SQLite in --data (env STRONGROOM_DB, preferred: it keeps passwords out of the process list)")
	c.CustodyFlags(fs)
}

// CustodyFlags registers the master key's custody flags on fs.
func (c *Config) CustodyFlags(fs *flag.FlagSet) {
	fs.StringVar(&c.Custody, "master-key-custody", c.Custody, "who holds the master key: file (master.key in --data), passphrase (argon2id; asked on the terminal or read from --master-passphrase-fd) or pkcs11 (a token: --pkcs11-module, --pkcs11-token, PIN in env STRONGROOM_PKCS11_PIN) (env STRONGROOM_MASTER_KEY_CUSTODY)")
	fs.IntVar(&c.PassphraseFD, "master-passphrase-fd", c.PassphraseFD, "read the master passphrase from this file descriptor (its first line) instead of asking on the terminal")
	fs.StringVar(&c.PKCS11.Module, "pkcs11-module", c.PKCS11.Module, "the PKCS#11 library of the token, e.g. /usr/lib/softhsm/libsofthsm2.so (env STRONGROOM_PKCS11_MODULE)")
	fs.StringVar(&c.PKCS11.Token, "pkcs11-token", c.PKCS11.Token, "the label of the token that holds the master key (env STRONGROOM_PKCS11_TOKEN)")
	fs.StringVar(&c.PKCS11.Label, "pkcs11-key-label", c.PKCS11.Label, "prefix of the labels of Strongroom's key objects in the token (env STRONGROOM_PKCS11_KEY_LABEL)")
	fs.IntVar(&c.PKCS11.PINFD, "pkcs11-pin-fd", c.PKCS11.PINFD, "read the token's user PIN from this file descriptor instead of env STRONGROOM_PKCS11_PIN")
}

// KeyCacheFlags registers the unwrapped data keys' cache flags on fs.
func (c *Config) KeyCacheFlags(fs *flag.FlagSet) {
	fs.IntVar(&c.KeyCacheSize, "key-cache-size", c.KeyCacheSize, "how many unwrapped data keys to keep in memory; 0 unwraps every time (env STRONGROOM_KEY_CACHE_SIZE)")
	fs.DurationVar(&c.KeyCacheTTL, "key-cache-ttl", c.KeyCacheTTL, "how long an unwrapped data key is kept at most (env STRONGROOM_KEY_CACHE_TTL)")
}

// RewrapFlags registers the re-wrapping's throttle on fs.
func (c *Config) RewrapFlags(fs *flag.FlagSet) {
	fs.Float64Var(&c.RewrapRate, "rewrap-rate", c.RewrapRate, "after a master-key rotation, re-wrap at most this many data keys a second; 0 is no limit (env STRONGROOM_REWRAP_RATE)")
}

// MailFlags registers the mail relay's and the public address's flags on
// fs. The relay's password comes only from STRONGROOM_SMTP_PASSWORD.
func (c *Config) MailFlags(fs *flag.FlagSet) {
	fs.StringVar(&c.PublicURL, "public-url", c.PublicURL, "the web UI's address as users reach it, for links in emails, e.g. https://crm.example.com (env STRONGROOM_PUBLIC_URL; default https://--addr)")
	fs.StringVar(&c.SMTP.Host, "smtp-host", c.SMTP.Host, "mail relay host; empty sends no mail (env STRONGROOM_SMTP_HOST)")
	fs.IntVar(&c.SMTP.Port, "smtp-port", c.SMTP.Port, "mail relay port (env STRONGROOM_SMTP_PORT)")
	fs.StringVar(&c.SMTP.User, "smtp-user", c.SMTP.User, "mail relay user; the password comes from env STRONGROOM_SMTP_PASSWORD (env STRONGROOM_SMTP_USER)")
	fs.StringVar(&c.SMTP.From, "smtp-from", c.SMTP.From, "sender of Strongroom's emails (env STRONGROOM_SMTP_FROM)")
	fs.StringVar(&c.SMTP.CAFile, "smtp-ca", c.SMTP.CAFile, "PEM file of certificates to trust for the relay, e.g. an internal CA; default the system's (env STRONGROOM_SMTP_CA)")
	fs.StringVar(&c.SMTP.StartTLS, "smtp-starttls", c.SMTP.StartTLS, "required: refuse a relay without STARTTLS; none: plain SMTP to a relay on this host (env STRONGROOM_SMTP_STARTTLS)")
}

// ServeFlags registers the serve command's flags on fs.
func (c *Config) ServeFlags(fs *flag.FlagSet) {
	c.StorageFlags(fs)
	c.KeyCacheFlags(fs)
	c.RewrapFlags(fs)
	c.AuditKeyFlag(fs)
	fs.StringVar(&c.Addr, "addr", c.Addr, "address to serve HTTPS on (env STRONGROOM_ADDR)")
	c.OIDCFlags(fs)
	fs.StringVar(&c.TLSCert, "tls-cert", c.TLSCert, "PEM certificate file; default a self-signed certificate in --data/tls (env STRONGROOM_TLS_CERT)")
	fs.StringVar(&c.TLSKey, "tls-key", c.TLSKey, "PEM private key file for --tls-cert (env STRONGROOM_TLS_KEY)")
	c.MailFlags(fs)
	fs.IntVar(&c.BulkExportRows, "bulk-export-rows", c.BulkExportRows, "exports of more customers need approval, once an admin sets approval levels for export_bulk (env STRONGROOM_BULK_EXPORT_ROWS)")
	fs.StringVar(&c.Organisation, "organisation", c.Organisation, "the organisation (controller) named in the record of processing and breach notices (env STRONGROOM_ORGANISATION)")
	fs.StringVar(&c.PrivacyContact, "privacy-contact", c.PrivacyContact, "how to reach the privacy officer, e.g. an address, for the same (env STRONGROOM_PRIVACY_CONTACT)")
	fs.IntVar(&c.MinK, "min-k", c.MinK, "the least k-anonymity a pseudonymised export may have, 2 to 1000: each person indistinguishable from at least k-1 others (env STRONGROOM_MIN_K)")
	fs.IntVar(&c.AccessReviewDays, "access-review-days", c.AccessReviewDays, "start an access review campaign this often, in days; 0 never (env STRONGROOM_ACCESS_REVIEW_DAYS)")
	fs.DurationVar(&c.IdleTimeout, "idle-timeout", c.IdleTimeout, "end sessions unused this long, 1m to 30m (env STRONGROOM_IDLE_TIMEOUT)")
	fs.DurationVar(&c.AbsoluteTimeout, "session-max", c.AbsoluteTimeout, "end every session this long after login, 1h to 12h (env STRONGROOM_SESSION_MAX)")
	fs.IntVar(&c.MinPassword, "min-password-length", c.MinPassword, "shortest password accepted, 8 to 64 characters (env STRONGROOM_MIN_PASSWORD_LENGTH)")
	fs.IntVar(&c.RatePerAddress, "rate-per-address", c.RatePerAddress, "requests per second each client address may send on average (bursts of twice that); 0 no limit (env STRONGROOM_RATE_PER_ADDRESS)")
	fs.IntVar(&c.RatePerAccount, "rate-per-account", c.RatePerAccount, "requests per second each logged-in account may send on average on each server (bursts of twice that); 0 no limit (env STRONGROOM_RATE_PER_ACCOUNT)")
	fs.StringVar(&c.TrustedProxies, "trusted-proxy", c.TrustedProxies, "reverse proxies, as addresses or CIDR prefixes separated by commas, whose X-Forwarded-For names the client; default none: the connection's peer is the client (env STRONGROOM_TRUSTED_PROXY)")
	fs.DurationVar(&c.AuditRetention, "audit-retention", c.AuditRetention, "how long audit events stay in the database; older ones, up to a checkpoint, are archived daily to --audit-archive with their checkpoint and removed (0: never; at least 24h) (env STRONGROOM_AUDIT_RETENTION)")
	fs.StringVar(&c.AuditArchive, "audit-archive", c.AuditArchive, "where archived audit events go; default audit-archive in --data; keep it on other storage (env STRONGROOM_AUDIT_ARCHIVE)")
	fs.StringVar(&c.AuditWitnesses, "audit-witness", c.AuditWitnesses, "witnesses that keep the audit log's signed checkpoints outside the database, separated by commas: directories (another disk, a mounted share), \"log\" (the server's log) or \"stdout\" (a JSON line each on standard output), for a log shipper; default the directory audit-witness in --data (env STRONGROOM_AUDIT_WITNESS)")
	fs.StringVar(&c.Detectors, "detectors", c.Detectors, "a JSON file of detector rules (enabled, threshold, window, severity, response) over the defaults (docs/SECURITY.md, \"Detection\") (env STRONGROOM_DETECTORS)")
	fs.StringVar(&c.RequestDays, "request-days", c.RequestDays, "days a data-subject request has under each law, over the defaults gdpr=30,ccpa=45,pipl=15 (PIPL asks \"promptly\"), e.g. pipl=10 (1 to the law's default) (env STRONGROOM_REQUEST_DAYS)")
	fs.StringVar(&c.SessionsPerRole, "sessions-per-role", c.SessionsPerRole, "sessions a role's holders may have at once, e.g. admin=2,field_rep=3 (1 to 10; a user with several roles gets the smallest; others keep 10) (env STRONGROOM_SESSIONS_PER_ROLE)")
	fs.StringVar(&c.SecurityContacts, "security-contacts", c.SecurityContacts, "email addresses, separated by commas, that get the detectors' alerts (needs --smtp-host) (env STRONGROOM_SECURITY_CONTACTS)")
	fs.StringVar(&c.AlertWebhook, "alert-webhook", c.AlertWebhook, "an https:// URL that gets the detectors' alerts as signed JSON POSTs (Strongroom-Signature: t=…,v1=HMAC-SHA256); the secret, at least 32 bytes, only from STRONGROOM_ALERT_WEBHOOK_SECRET (env STRONGROOM_ALERT_WEBHOOK)")
	fs.StringVar(&c.WebhookAllow, "webhook-allow", c.WebhookAllow, "address ranges (CIDR, separated by commas, e.g. 10.20.0.0/16) that webhook destinations may resolve to although they are loopback, private, link-local, CGNAT or otherwise special-purpose; default none: such destinations are refused (env STRONGROOM_WEBHOOK_ALLOW)")
	fs.StringVar(&c.WebhookCA, "webhook-ca", c.WebhookCA, "a PEM file of certificates partners' webhook endpoints may chain to, besides the system's (env STRONGROOM_WEBHOOK_CA)")
	fs.StringVar(&c.WebhookRetry, "webhook-retry", c.WebhookRetry, "waits before each retry of a failed webhook delivery, separated by commas (1s to 24h each, at most 10); after the last the delivery is marked failed; default 1m,5m,30m,2h,12h (env STRONGROOM_WEBHOOK_RETRY)")
	fs.StringVar(&c.SIEM, "siem", c.SIEM, "stream the audit log to a SIEM: a file path (appended) or tls://host:port (RFC 5425), resuming from a saved cursor (env STRONGROOM_SIEM)")
	fs.StringVar(&c.SIEMFormat, "siem-format", c.SIEMFormat, "the stream's format: syslog (RFC 5424) or jsonl (env STRONGROOM_SIEM_FORMAT)")
	fs.StringVar(&c.SIEMCA, "siem-ca", c.SIEMCA, "PEM certificates the SIEM endpoint's certificate must chain to; default the system's (env STRONGROOM_SIEM_CA)")
	fs.DurationVar(&c.OfflineLease, "offline-lease", c.OfflineLease, "how long the field app may read its offline copy without contact with the server, 1m to 168h (env STRONGROOM_OFFLINE_LEASE)")
	fs.DurationVar(&c.WipeEscalate, "wipe-escalate", c.WipeEscalate, "an ordered device wipe not confirmed this long after raises an alert on the security page, at least 1m (env STRONGROOM_WIPE_ESCALATE)")
	fs.StringVar(&c.DeviceMinVersion, "device-min-version", c.DeviceMinVersion, "refuse field app versions older than this, e.g. 1.2.0; default any (env STRONGROOM_DEVICE_MIN_VERSION)")
	fs.StringVar(&c.DeviceRequiredRoles, "device-required-roles", c.DeviceRequiredRoles, "roles, separated by commas, whose API calls need an enrolled field device's DPoP-bound token; empty: none (env STRONGROOM_DEVICE_REQUIRED_ROLES)")
	c.BackupFlags(fs)
	fs.DurationVar(&c.DrillEvery, "backup-drill-every", c.DrillEvery, "how often each target's latest backup is restored into a scratch database and checked (signature, checksums, counts, audit chain, a decryption sample); 0: only on demand (env STRONGROOM_BACKUP_DRILL_EVERY)")
	fs.BoolVar(&c.Demo, "demo", false, "fill an empty database with demo data and print demo logins with fresh passwords")
	fs.BoolVar(&c.LogJSON, "log-json", c.LogJSON, "log JSON lines instead of text (env STRONGROOM_LOG_JSON)")
	fs.IntVar(&c.DisableUnusedDays, "disable-unused-days", c.DisableUnusedDays, "disable accounts unused for more than this many days; 0 never (env STRONGROOM_DISABLE_UNUSED_DAYS)")
}

// Validate checks c.
func (c Config) Validate() error {
	if c.DataDir == "" {
		return errors.New("--data must name a directory")
	}
	switch c.Custody {
	case "", "file", "passphrase":
	case "pkcs11":
		if c.PKCS11.Module == "" || c.PKCS11.Token == "" {
			return errors.New("--master-key-custody pkcs11 needs --pkcs11-module and --pkcs11-token")
		}
	default:
		return fmt.Errorf("--master-key-custody %q: want file, passphrase or pkcs11", c.Custody)
	}
	if c.KeyCacheSize < 0 || c.KeyCacheTTL < 0 || c.RewrapRate < 0 {
		return errors.New("--key-cache-size, --key-cache-ttl and --rewrap-rate cannot be negative")
	}
	if c.IdleTimeout < time.Minute || c.IdleTimeout > 30*time.Minute {
		return errors.New("--idle-timeout must be between 1m and 30m (NIST SP 800-63B AAL2)")
	}
	if c.AbsoluteTimeout < time.Hour || c.AbsoluteTimeout > 12*time.Hour {
		return errors.New("--session-max must be between 1h and 12h (NIST SP 800-63B AAL2)")
	}
	if _, err := c.SessionLimits(); err != nil {
		return err
	}
	if _, err := c.RequestDeadlines(); err != nil {
		return err
	}
	if c.OfflineLease < time.Minute || c.OfflineLease > 168*time.Hour {
		return errors.New("--offline-lease must be between 1m and 168h")
	}
	if c.WipeEscalate < time.Minute {
		return errors.New("--wipe-escalate must be at least 1m")
	}
	if v := c.DeviceMinVersion; v != "" && (len(v) > 20 || strings.Trim(v, "0123456789.") != "") {
		return errors.New("--device-min-version must be dotted numbers, e.g. 1.2.0")
	}
	if c.AuditRetention != 0 && c.AuditRetention < 24*time.Hour {
		return errors.New("--audit-retention must be 0 (never) or at least 24h")
	}
	if c.AlertWebhook != "" {
		if _, err := webhook.New(c.AlertWebhook, []byte(c.AlertWebhookSecret)); err != nil {
			return fmt.Errorf("--alert-webhook: %v (the secret comes from STRONGROOM_ALERT_WEBHOOK_SECRET)", err)
		}
	}
	if _, err := c.WebhookRanges(); err != nil {
		return err
	}
	if _, err := c.WebhookWaits(); err != nil {
		return err
	}
	if c.SecurityContacts != "" && c.SMTP.Host == "" {
		return errors.New("--security-contacts needs a mail relay (--smtp-host)")
	}
	for _, a := range c.Contacts() {
		if _, err := mail.ParseAddress(a); err != nil {
			return fmt.Errorf("--security-contacts: %q is not an email address", a)
		}
	}
	if c.SIEMFormat != "syslog" && c.SIEMFormat != "jsonl" {
		return errors.New("--siem-format must be syslog or jsonl")
	}
	if c.MinPassword < 8 || c.MinPassword > 64 {
		return errors.New("--min-password-length must be between 8 and 64")
	}
	if c.BulkExportRows < 1 || c.BulkExportRows > 1_000_000 {
		return errors.New("--bulk-export-rows must be between 1 and 1000000")
	}
	if c.MinK < 2 || c.MinK > 1000 {
		return errors.New("--min-k must be between 2 and 1000")
	}
	for flag, v := range map[string]string{"--organisation": c.Organisation, "--privacy-contact": c.PrivacyContact} {
		if len(v) > 200 || strings.ContainsAny(v, "\r\n\x00") {
			return errors.New(flag + " must be one line of at most 200 bytes")
		}
	}
	if c.RatePerAddress < 0 || c.RatePerAddress > 1_000_000 {
		return errors.New("--rate-per-address must be between 0 (no limit) and 1000000")
	}
	if c.RatePerAccount < 0 || c.RatePerAccount > 1_000_000 {
		return errors.New("--rate-per-account must be between 0 (no limit) and 1000000")
	}
	if _, err := c.Proxies(); err != nil {
		return errors.New("--trusted-proxy must list addresses or CIDR prefixes separated by commas, like 10.0.0.5,192.168.1.0/24")
	}
	if c.AccessReviewDays < 0 || c.AccessReviewDays > 3650 {
		return errors.New("--access-review-days must be between 0 and 3650")
	}
	if c.DisableUnusedDays < 0 || c.DisableUnusedDays > 3650 {
		return errors.New("--disable-unused-days must be between 0 and 3650")
	}
	if (c.TLSCert == "") != (c.TLSKey == "") {
		return errors.New("--tls-cert and --tls-key go together")
	}
	if c.PublicURL != "" {
		u, err := url.Parse(c.PublicURL)
		if err != nil || u.Scheme != "https" || u.Host == "" || u.RawQuery != "" || u.Fragment != "" {
			return errors.New("--public-url must be an https:// address, like https://crm.example.com")
		}
	}
	if o := c.OIDC; o.Issuer != "" {
		if u, err := url.Parse(o.Issuer); err != nil || u.Scheme != "https" || u.Host == "" {
			return errors.New("--oidc-issuer must be an https:// address")
		}
		if o.ClientID == "" || o.ClientSecret == "" {
			return errors.New("--oidc-issuer needs --oidc-client-id and the secret in env STRONGROOM_OIDC_CLIENT_SECRET")
		}
		if _, err := o.SSORoleMap(); err != nil {
			return err
		}
		if o.JIT && o.RoleMap == "" {
			return errors.New("--oidc-jit needs --oidc-role-map: a new account needs a role")
		}
		if len(o.Name) > 60 || strings.ContainsAny(o.Name, "\r\n\x00") {
			return errors.New("--oidc-name must be one line of at most 60 bytes")
		}
	} else if c.OIDC.ClientID != "" || c.OIDC.RoleMap != "" || c.OIDC.JIT || c.OIDC.MFAByProvider {
		return errors.New("the --oidc-* flags need --oidc-issuer")
	}
	if c.Addr != "" {
		if _, port, err := net.SplitHostPort(c.Addr); err != nil || port == "" {
			return errors.New("--addr must be host:port, like 127.0.0.1:8443")
		}
	}
	return nil
}

// OIDCFlags registers single sign-on's flags on fs. The client secret
// comes only from STRONGROOM_OIDC_CLIENT_SECRET.
func (c *Config) OIDCFlags(fs *flag.FlagSet) {
	o := &c.OIDC
	fs.StringVar(&o.Issuer, "oidc-issuer", o.Issuer, "single sign-on for staff: the OpenID Connect provider's issuer URL (https); empty: off. The client secret comes from env STRONGROOM_OIDC_CLIENT_SECRET")
	fs.StringVar(&o.ClientID, "oidc-client-id", o.ClientID, "single sign-on: Strongroom's client id at the provider (redirect URI: --public-url + /login/sso/callback)")
	fs.StringVar(&o.Name, "oidc-name", o.Name, "single sign-on: the provider's name on the login page's button, e.g. Okta (default \"your company\")")
	fs.StringVar(&o.GroupsClaim, "oidc-groups-claim", o.GroupsClaim, "single sign-on: the ID token claim listing the user's groups (default groups)")
	fs.StringVar(&o.RoleMap, "oidc-role-map", o.RoleMap, "single sign-on: groups to roles, \"group=role,group=role+role\"; when set, roles follow the groups at every login and a login whose groups map to none is refused")
	fs.BoolVar(&o.JIT, "oidc-jit", o.JIT, "single sign-on: create an account (no password, the mapped roles) at the first login of a verified email; off: only existing accounts may log in")
	fs.BoolVar(&o.MFAByProvider, "oidc-mfa-by-provider", o.MFAByProvider, "single sign-on: a login whose ID token shows two-step login (--oidc-mfa-acr) needs no Strongroom second factor; others still do")
	fs.StringVar(&o.MFAACR, "oidc-mfa-acr", o.MFAACR, "single sign-on: acr values (or amr entries) that show two-step login at the provider, comma-separated (default mfa)")
	fs.StringVar(&o.CAFile, "oidc-ca", o.CAFile, "single sign-on: PEM file of certificates to trust for the provider, e.g. an internal CA; default the system's")
}

// SSORoleMap parses --oidc-role-map: "group=role,group=role+role" (a
// group's several roles joined by +).
func (o OIDC) SSORoleMap() (map[string]string, error) {
	out := map[string]string{}
	for _, part := range strings.Split(o.RoleMap, ",") {
		if part = strings.TrimSpace(part); part == "" {
			continue
		}
		g, r, ok := strings.Cut(part, "=")
		g, r = strings.TrimSpace(g), strings.TrimSpace(r)
		if !ok || g == "" || r == "" {
			return nil, fmt.Errorf("--oidc-role-map: %q is not group=role", part)
		}
		if _, dup := out[g]; dup {
			return nil, fmt.Errorf("--oidc-role-map: group %q is mapped twice", g)
		}
		out[g] = strings.ReplaceAll(r, "+", ",")
	}
	return out, nil
}

// MFAValues lists --oidc-mfa-acr.
func (o OIDC) MFAValues() []string {
	var out []string
	for _, v := range strings.Split(o.MFAACR, ",") {
		if v = strings.TrimSpace(v); v != "" {
			out = append(out, v)
		}
	}
	return out
}

// PassphraseFile is where the passphrase custody keeps its salts and costs.
func (c Config) PassphraseFile() string { return filepath.Join(c.DataDir, "master-passphrase.json") }

// MasterKeyFile is where the file master-key provider keeps the key.
func (c Config) MasterKeyFile() string { return filepath.Join(c.DataDir, "master.key") }

// TLSDir is where a generated certificate lives.
func (c Config) TLSDir() string { return filepath.Join(c.DataDir, "tls") }

// Link is the web UI's address as users reach it: links in emails, and
// the passkey relying party (browsers refuse IP addresses for passkeys, so
// a loopback or wildcard address becomes localhost).
func (c Config) Link() string {
	if c.PublicURL != "" {
		return strings.TrimSuffix(c.PublicURL, "/")
	}
	host, port, _ := net.SplitHostPort(c.Addr)
	if ip := net.ParseIP(host); host == "" || ip != nil && (ip.IsLoopback() || ip.IsUnspecified()) {
		host = "localhost"
	}
	return "https://" + net.JoinHostPort(host, port)
}

// DatabaseDSN is what store.Open takes.
func (c Config) DatabaseDSN() string {
	if c.DSN != "" {
		return c.DSN
	}
	return filepath.Join(c.DataDir, "strongroom.db")
}

// EnsureDataDir creates the data directory, readable by its owner only.
func (c Config) EnsureDataDir() error {
	if err := os.MkdirAll(c.DataDir, 0o700); err != nil {
		return err
	}
	return os.Chmod(c.DataDir, 0o700)
}

// Proxies reads TrustedProxies: addresses or CIDR prefixes, separated by
// commas.
func (c Config) Proxies() ([]netip.Prefix, error) {
	list := c.TrustedProxies
	var out []netip.Prefix
	for _, f := range strings.Split(list, ",") {
		f = strings.TrimSpace(f)
		if f == "" {
			continue
		}
		if p, err := netip.ParsePrefix(f); err == nil {
			out = append(out, p.Masked())
			continue
		}
		a, err := netip.ParseAddr(f)
		if err != nil {
			return nil, err
		}
		out = append(out, netip.PrefixFrom(a.Unmap(), a.Unmap().BitLen()))
	}
	return out, nil
}

// SessionLimits parses SessionsPerRole.
// RequestDeadlines parses --request-days: the days a request has under
// each law it names. A law's days may be shortened, never made longer
// than the law allows (crm.Laws).
func (c Config) RequestDeadlines() (map[string]int, error) {
	out := map[string]int{}
	for _, part := range strings.Split(c.RequestDays, ",") {
		if part = strings.TrimSpace(part); part == "" {
			continue
		}
		law, n, ok := strings.Cut(part, "=")
		law = strings.TrimSpace(law)
		days, err := strconv.Atoi(strings.TrimSpace(n))
		if max, known := crm.Laws[law]; !ok || !known || err != nil || days < 1 || days > max {
			return nil, fmt.Errorf("--request-days: %q is not law=N with a law of gdpr, ccpa or pipl and N from 1 to the law's own limit (30, 45, 15)", part)
		}
		out[law] = days
	}
	return out, nil
}

func (c Config) SessionLimits() (map[string]int, error) {
	out := map[string]int{}
	for _, part := range strings.Split(c.SessionsPerRole, ",") {
		if part = strings.TrimSpace(part); part == "" {
			continue
		}
		role, n, ok := strings.Cut(part, "=")
		limit, err := strconv.Atoi(strings.TrimSpace(n))
		if role = strings.TrimSpace(role); !ok || role == "" || err != nil || limit < 1 || limit > 10 {
			return nil, fmt.Errorf("--sessions-per-role: %q is not role=N with N from 1 to 10", part)
		}
		out[role] = limit
	}
	return out, nil
}

// Contacts lists SecurityContacts.
func (c Config) Contacts() []string {
	var out []string
	for _, a := range strings.Split(c.SecurityContacts, ",") {
		if a = strings.TrimSpace(a); a != "" {
			out = append(out, a)
		}
	}
	return out
}

// BackupFlags registers the backups' flags on fs.
func (c *Config) BackupFlags(fs *flag.FlagSet) {
	fs.Func("backup-target", "where backups go, with their schedule and retention, e.g. /mnt/nas/strongroom?every=24h&keep=7,4,12 or s3://host/bucket/prefix?every=1h&keep=7,4,12&lock=720h&ca=ca.pem (credentials from STRONGROOM_S3_ACCESS_KEY and STRONGROOM_S3_SECRET_KEY); repeat for several; default the directory backups in --data, daily, keeping 7,4,12 (env STRONGROOM_BACKUP_TARGET, space-separated)", func(v string) error {
		if !c.backupTargetsGiven {
			c.BackupTargets, c.backupTargetsGiven = nil, true
		}
		c.BackupTargets = append(c.BackupTargets, v)
		return nil
	})
	fs.StringVar(&c.BackupRecipients, "backup-recipient", c.BackupRecipients, "age recipients (age1…, separated by commas) that backups are encrypted to, whose identities are kept off the server; the server's drill identity (backup-drill.key in --data) is always one (env STRONGROOM_BACKUP_RECIPIENT)")
}

// Targets lists the backup targets: BackupTargets, or the directory
// backups in DataDir, daily, keeping 7 daily, 4 weekly and 12 monthly.
func (c Config) Targets() []string {
	if len(c.BackupTargets) == 0 {
		abs, err := filepath.Abs(filepath.Join(c.DataDir, "backups"))
		if err != nil {
			abs = filepath.Join(c.DataDir, "backups")
		}
		return []string{abs + "?every=24h&keep=7,4,12"}
	}
	return c.BackupTargets
}

// Recipients lists BackupRecipients.
func (c Config) Recipients() []string {
	var out []string
	for _, r := range strings.Split(c.BackupRecipients, ",") {
		if r = strings.TrimSpace(r); r != "" {
			out = append(out, r)
		}
	}
	return out
}

// DrillIdentityFile is the server's own age identity, one recipient of
// every backup, with which drills decrypt.
func (c Config) DrillIdentityFile() string { return filepath.Join(c.DataDir, "backup-drill.key") }

// AuditArchiveDir is where archived audit events go.
func (c Config) AuditArchiveDir() string {
	if c.AuditArchive != "" {
		return c.AuditArchive
	}
	return filepath.Join(c.DataDir, "audit-archive")
}

// WebhookRanges are the ranges of --webhook-allow.
func (c Config) WebhookRanges() ([]netip.Prefix, error) {
	p, err := netguard.ParseAllow(strings.Split(c.WebhookAllow, ","))
	if err != nil {
		return nil, fmt.Errorf("--webhook-allow: %v", err)
	}
	return p, nil
}

// WebhookWaits are the waits of --webhook-retry.
func (c Config) WebhookWaits() ([]time.Duration, error) {
	if strings.TrimSpace(c.WebhookRetry) == "" {
		return []time.Duration{time.Minute, 5 * time.Minute, 30 * time.Minute, 2 * time.Hour, 12 * time.Hour}, nil
	}
	var out []time.Duration
	for _, p := range strings.Split(c.WebhookRetry, ",") {
		d, err := time.ParseDuration(strings.TrimSpace(p))
		if err != nil || d < time.Second || d > 24*time.Hour {
			return nil, errors.New("--webhook-retry: waits are durations from 1s to 24h separated by commas, e.g. 1m,5m,30m,2h,12h")
		}
		out = append(out, d)
	}
	if len(out) > 10 {
		return nil, errors.New("--webhook-retry: at most 10 waits")
	}
	return out, nil
}
