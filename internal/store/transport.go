package store

import (
	"errors"
	"fmt"
	"net"
	"net/url"
	"regexp"
	"strings"

	"github.com/jackc/pgx/v5/pgconn"
)

// conninfo matches a key=value PostgreSQL connection string (libpq's
// other form), e.g. "host=db.internal dbname=crm sslmode=verify-full".
var conninfo = regexp.MustCompile(`^\s*(host|hostaddr|port|dbname|user|password|passfile|sslmode|sslrootcert|service|application_name|connect_timeout|options)\s*=`)

// IsPostgresDSN reports whether dsn names a PostgreSQL database: a
// postgres:// (or postgresql://) URL, or a key=value connection string.
func IsPostgresDSN(dsn string) bool {
	return strings.HasPrefix(dsn, "postgres://") || strings.HasPrefix(dsn, "postgresql://") || conninfo.MatchString(dsn)
}

// CheckPostgresTransport refuses a PostgreSQL connection string that would
// reach a server on another machine without TLS that verifies the server's
// certificate and name (sslmode=verify-full, or sslrootcert=system): with
// anything less (disable, allow, prefer, require, verify-ca) someone on the
// path could read or change the data, or pose as the server. A loopback
// address (127.0.0.0/8, ::1, localhost) or a Unix socket (a host that is an
// absolute path) never leaves the machine and may go without. Every host
// of a multi-host string is checked, as pgx would try each; the PG*
// environment variables count, as pgx reads them.
func CheckPostgresTransport(dsn string) error {
	cfg, err := pgconn.ParseConfig(dsn)
	if err != nil {
		// The cause names a file or setting, but a URL's parse error quotes
		// the whole URL, password included: that one is not repeated.
		var pe *pgconn.ParseConfigError
		var ue *url.Error
		if errors.As(err, &pe) && pe.Unwrap() != nil && !errors.As(err, &ue) {
			return fmt.Errorf("the PostgreSQL connection string cannot be used: %v", pe.Unwrap())
		}
		return errors.New("the PostgreSQL connection string cannot be read; give a postgres:// URL or key=value settings")
	}
	hosts := []*pgconn.FallbackConfig{{Host: cfg.Host, Port: cfg.Port, TLSConfig: cfg.TLSConfig}}
	hosts = append(hosts, cfg.Fallbacks...)
	for _, h := range hosts {
		if localHost(h.Host) {
			continue
		}
		if h.TLSConfig == nil || h.TLSConfig.InsecureSkipVerify {
			return fmt.Errorf("the PostgreSQL server %s is not on this machine, so the connection must verify it: add sslmode=verify-full (with sslrootcert=<CA file> for a private CA, or sslrootcert=system)", h.Host)
		}
	}
	return nil
}

// localHost: a Unix socket directory or a loopback name or address.
func localHost(host string) bool {
	if strings.HasPrefix(host, "/") {
		return true
	}
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}
