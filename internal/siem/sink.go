package siem

import (
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"net"
	"os"
	"strconv"
	"strings"
	"time"
)

// A Sink delivers records; Write returns once they are written out (a
// file synced, a connection written).
type Sink interface {
	Write(records [][]byte) error
	Close() error
}

// Open opens a destination: "tls://host:port" (RFC 5425: syslog over
// TLS, each record framed by its length; JSON lines are sent as they
// are), or a file path (records appended, one per line, file mode 0600).
// caFile, if given, holds the PEM certificates that the TLS endpoint's
// must chain to; otherwise the system's roots.
func Open(dest, caFile string, syslog bool) (Sink, error) {
	if addr, ok := strings.CutPrefix(dest, "tls://"); ok {
		host, _, err := net.SplitHostPort(addr)
		if err != nil {
			return nil, fmt.Errorf("siem: %q is not tls://host:port", dest)
		}
		cfg := &tls.Config{ServerName: host, MinVersion: tls.VersionTLS12}
		if caFile != "" {
			pem, err := os.ReadFile(caFile)
			if err != nil {
				return nil, fmt.Errorf("siem: %w", err)
			}
			cfg.RootCAs = x509.NewCertPool()
			if !cfg.RootCAs.AppendCertsFromPEM(pem) {
				return nil, fmt.Errorf("siem: %s holds no PEM certificate", caFile)
			}
		}
		return &tlsSink{addr: addr, cfg: cfg, frame: syslog}, nil
	}
	if strings.Contains(dest, "://") {
		return nil, fmt.Errorf("siem: %q: give a file path or tls://host:port", dest)
	}
	f, err := os.OpenFile(dest, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o600)
	if err != nil {
		return nil, fmt.Errorf("siem: %w", err)
	}
	return fileSink{f}, nil
}

type fileSink struct{ f *os.File }

func (s fileSink) Write(records [][]byte) error {
	var buf []byte
	for _, r := range records {
		buf = append(buf, r...)
		if len(r) == 0 || r[len(r)-1] != '\n' {
			buf = append(buf, '\n')
		}
	}
	if _, err := s.f.Write(buf); err != nil {
		return fmt.Errorf("siem: %w", err)
	}
	return s.f.Sync()
}

func (s fileSink) Close() error { return s.f.Close() }

// tlsSink sends over one TLS connection, dialled when first needed and
// again after a failure.
type tlsSink struct {
	addr  string
	cfg   *tls.Config
	frame bool // RFC 5425 octet counting
	conn  *tls.Conn
}

func (s *tlsSink) Write(records [][]byte) error {
	if s.conn == nil {
		d := &net.Dialer{Timeout: 10 * time.Second}
		c, err := tls.DialWithDialer(d, "tcp", s.addr, s.cfg)
		if err != nil {
			return fmt.Errorf("siem: %w", err)
		}
		s.conn = c
	}
	var buf []byte
	for _, r := range records {
		if s.frame {
			buf = append(append(buf, strconv.Itoa(len(r))...), ' ')
		}
		buf = append(buf, r...)
	}
	s.conn.SetWriteDeadline(time.Now().Add(30 * time.Second))
	if _, err := s.conn.Write(buf); err != nil {
		s.conn.Close()
		s.conn = nil
		return fmt.Errorf("siem: %w", err)
	}
	return nil
}

func (s *tlsSink) Close() error {
	if s.conn == nil {
		return nil
	}
	return s.conn.Close()
}
