package store_test

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"math/big"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"strongroom.dev/strongroom/internal/store"
)

// TestCheckPostgresTransport: a PostgreSQL server on another machine needs
// sslmode=verify-full; a loopback address or a Unix socket may go without.
func TestCheckPostgresTransport(t *testing.T) {
	for _, v := range []string{"PGHOST", "PGHOSTADDR", "PGSSLMODE", "PGSSLROOTCERT", "PGSERVICE", "PGSERVICEFILE"} {
		t.Setenv(v, "")
	}
	ca := writeCA(t)
	for _, tc := range []struct {
		dsn string
		ok  bool
	}{
		// Loopback and sockets: any mode.
		{"postgres://app@127.0.0.1:5432/crm?sslmode=disable", true},
		{"postgres://app@127.0.0.2/crm?sslmode=disable", true},
		{"postgres://app@[::1]:5432/crm?sslmode=disable", true},
		{"postgres://app@localhost/crm?sslmode=disable", true},
		{"postgres://app@localhost/crm", true},
		{"postgresql://app@127.0.0.1/crm?sslmode=prefer", true},
		{"postgres:///crm?host=/var/run/postgresql", true},
		{"postgres://app@%2Fvar%2Frun%2Fpostgresql/crm", true},
		{"host=/var/run/postgresql dbname=crm user=app", true},
		{"host=127.0.0.1 dbname=crm sslmode=disable", true},
		{"host=::1 dbname=crm sslmode=disable", true},
		{"host=localhost dbname=crm", true},
		// Another machine: only verify-full (or sslrootcert=system, which implies it).
		{"postgres://app@db.example.com/crm", false},
		{"postgres://app@db.example.com/crm?sslmode=disable", false},
		{"postgres://app@db.example.com/crm?sslmode=allow", false},
		{"postgres://app@db.example.com/crm?sslmode=prefer", false},
		{"postgres://app@db.example.com/crm?sslmode=require", false},
		{"postgres://app@db.example.com/crm?sslmode=verify-ca&sslrootcert=" + ca, false},
		{"postgres://app@db.example.com/crm?sslmode=require&sslrootcert=" + ca, false}, // require with a CA is verify-ca: no name check
		{"postgres://app@db.example.com/crm?sslmode=verify-full", true},
		{"postgres://app@db.example.com/crm?sslmode=verify-full&sslrootcert=" + ca, true},
		{"postgres://app@db.example.com/crm?sslrootcert=system", true},
		{"postgres://app@10.0.0.5:5432/crm?sslmode=require", false},
		{"postgres://app@10.0.0.5:5432/crm?sslmode=verify-full", true},
		{"postgres://app@[2001:db8::5]/crm?sslmode=require", false},
		{"host=db.example.com dbname=crm", false},
		{"host=db.example.com dbname=crm sslmode=disable", false},
		{"host=db.example.com dbname=crm sslmode=require", false},
		{"host=db.example.com dbname=crm sslmode=verify-ca sslrootcert=" + ca, false},
		{"host=db.example.com dbname=crm sslmode=verify-full", true},
		{"host=10.0.0.5 port=5432 dbname=crm sslmode=verify-full", true},
		// Several hosts: each one counts.
		{"postgres://app@127.0.0.1,db.example.com/crm?sslmode=disable", false},
		{"postgres://app@127.0.0.1,db.example.com/crm?sslmode=verify-full", true},
		{"host=/tmp,db.example.com dbname=crm sslmode=require", false},
		// Unreadable.
		{"postgres://app@db.example.com/crm?sslmode=bogus", false},
		{"postgres://app@db.example.com:notaport/crm?sslmode=verify-full", false},
	} {
		t.Run(tc.dsn, func(t *testing.T) {
			err := store.CheckPostgresTransport(tc.dsn)
			if (err == nil) != tc.ok {
				t.Fatalf("got %v, want ok=%v", err, tc.ok)
			}
			if err != nil && strings.Contains(err.Error(), "\n") {
				t.Errorf("error is not one line: %q", err)
			}
		})
	}
	// The environment counts, as pgx reads it.
	t.Setenv("PGSSLMODE", "verify-full")
	if err := store.CheckPostgresTransport("postgres://app@db.example.com/crm"); err != nil {
		t.Errorf("PGSSLMODE=verify-full: %v", err)
	}
	// A password in a URL that cannot be parsed is not repeated.
	if err := store.CheckPostgresTransport("postgres://app:s3cr3t-pw@db.example.com:5432:9/crm"); err == nil || strings.Contains(err.Error(), "s3cr3t") {
		t.Errorf("bad URL: %v", err)
	}
}

func TestIsPostgresDSN(t *testing.T) {
	for dsn, want := range map[string]bool{
		"postgres://h/db":                   true,
		"postgresql://h/db":                 true,
		"host=db.example.com dbname=crm":    true,
		" dbname=crm user=app":              true,
		"/var/lib/strongroom/strongroom.db": false,
		"data=1/strongroom.db":              false,
		"strongroom.db":                     false,
	} {
		if got := store.IsPostgresDSN(dsn); got != want {
			t.Errorf("IsPostgresDSN(%q) = %v", dsn, got)
		}
	}
}

// writeCA writes a fresh self-signed CA certificate for sslrootcert to read.
func writeCA(t *testing.T) string {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "test CA"}, NotBefore: time.Now().Add(-time.Hour),
		NotAfter: time.Now().Add(time.Hour), IsCA: true, BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	p := filepath.Join(t.TempDir(), "ca.pem")
	if err := os.WriteFile(p, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}
