package siem_test

import (
	"bufio"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/json"
	"encoding/pem"
	"io"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"strongroom.dev/strongroom/internal/audit"
	"strongroom.dev/strongroom/internal/siem"
	"strongroom.dev/strongroom/internal/store"
	"strongroom.dev/strongroom/internal/testkit"
)

func appendEvents(t *testing.T, st *store.DB, events ...audit.Event) {
	t.Helper()
	ctx := context.Background()
	if err := st.WithTx(ctx, func(tx *store.Tx) error { return audit.Append(ctx, tx, time.Now(), events...) }); err != nil {
		t.Fatal(err)
	}
}

var sample = []audit.Event{
	{ActorID: "usr_1", IP: "192.0.2.1", Action: "session.create", ObjectType: "user", ObjectID: "usr_1", Outcome: audit.Success},
	{ActorID: "usr_1", IP: "192.0.2.1", Action: "customer.read", ObjectType: "customer", ObjectID: "cus_1", Fields: []string{"name", "email"}, Outcome: audit.Success},
	{IP: "203.0.113.9", Action: "security.forbidden", ObjectType: "route", ObjectID: "GET /api/v1/users", Outcome: audit.Denied, Reason: `a "quoted" reason] with \ backslash`},
}

// TestExportToFileResumes exports JSON lines to a file, adds events, and
// checks that the next export sends only the new ones.
func TestExportToFileResumes(t *testing.T) {
	testkit.ForEachDB(t, func(t *testing.T, db testkit.DB) {
		ctx := context.Background()
		st := db.Open(t)
		appendEvents(t, st, sample...)
		path := filepath.Join(t.TempDir(), "audit.jsonl")
		export := func() int {
			sink, err := siem.Open(path, "", false)
			if err != nil {
				t.Fatal(err)
			}
			defer sink.Close()
			x := &siem.Exporter{DB: st, Name: path, Format: siem.JSONLines, Sink: sink}
			n, err := x.Drain(ctx)
			if err != nil {
				t.Fatal(err)
			}
			return n
		}
		if n := export(); n != 3 {
			t.Fatalf("first export sent %d, want 3", n)
		}
		appendEvents(t, st, sample[1])
		if n := export(); n != 1 {
			t.Fatalf("second export sent %d, want only the new event", n)
		}
		b, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		lines := strings.Split(strings.TrimSpace(string(b)), "\n")
		if len(lines) != 4 {
			t.Fatalf("%d lines, want 4", len(lines))
		}
		for i, l := range lines {
			var e audit.Event
			if err := json.Unmarshal([]byte(l), &e); err != nil || e.Seq != int64(i+1) || !strings.EqualFold(string(e.Hash), string(e.Sum())) {
				t.Errorf("line %d: %v %+v", i+1, err, e)
			}
		}
		if fi, _ := os.Stat(path); fi.Mode().Perm() != 0o600 {
			t.Errorf("export file mode %v, want 0600", fi.Mode().Perm())
		}
	})
}

// TestSyslogOverTLS sends RFC 5424 messages to a TLS listener with
// RFC 5425 framing and checks what arrives.
func TestSyslogOverTLS(t *testing.T) {
	db := testkit.NewSQLite(t)
	st := db.Open(t)
	appendEvents(t, st, sample...)
	caFile, cert := selfSigned(t)
	ln, err := tls.Listen("tcp", "127.0.0.1:0", &tls.Config{Certificates: []tls.Certificate{cert}})
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	got := make(chan []string, 1)
	go func() {
		c, err := ln.Accept()
		if err != nil {
			got <- nil
			return
		}
		defer c.Close()
		r := bufio.NewReader(c)
		var msgs []string
		for len(msgs) < 3 {
			n, err := r.ReadString(' ')
			if err != nil {
				break
			}
			size, _ := strconv.Atoi(strings.TrimSpace(n))
			buf := make([]byte, size)
			if _, err := io.ReadFull(r, buf); err != nil {
				break
			}
			msgs = append(msgs, string(buf))
		}
		got <- msgs
		for { // later clients: handshake and hang up
			c, err := ln.Accept()
			if err != nil {
				return
			}
			c.(*tls.Conn).Handshake()
			c.Close()
		}
	}()
	dest := "tls://localhost:" + strconv.Itoa(ln.Addr().(*net.TCPAddr).Port)
	if _, err := siem.Open(dest, "", true); err != nil {
		t.Fatal(err) // opening dials nothing yet
	}
	sink, err := siem.Open(dest, caFile, true)
	if err != nil {
		t.Fatal(err)
	}
	defer sink.Close()
	x := &siem.Exporter{DB: st, Name: dest, Format: siem.Syslog("crm1.example.com"), Sink: sink}
	if n, err := x.Drain(context.Background()); err != nil || n != 3 {
		t.Fatalf("sent %d: %v", n, err)
	}
	msgs := <-got
	if len(msgs) != 3 {
		t.Fatalf("received %d messages: %q", len(msgs), msgs)
	}
	header := regexp.MustCompile(`^<(\d+)>1 \S+Z crm1\.example\.com strongroom - (\S+) \[audit@32473 seq="(\d+)"`)
	for i, m := range msgs {
		h := header.FindStringSubmatch(m)
		if h == nil {
			t.Fatalf("message %d is not RFC 5424 as expected: %q", i+1, m)
		}
		if h[2] != sample[i].Action || h[3] != strconv.Itoa(i+1) {
			t.Errorf("message %d: msgid %s seq %s", i+1, h[2], h[3])
		}
	}
	if !strings.HasPrefix(msgs[2], "<108>") || !strings.Contains(msgs[2], `outcome="denied"`) {
		t.Errorf("a refusal should be facility 13, severity warning: %q", msgs[2])
	}
	if !strings.Contains(msgs[1], `fields="name,email"`) {
		t.Errorf("fields missing: %q", msgs[1])
	}

	// A server whose certificate does not chain to the given CA is refused.
	other, _ := selfSigned(t)
	bad, _ := siem.Open(dest, other, true)
	defer bad.Close()
	if err := bad.Write([][]byte{[]byte("x")}); err == nil {
		t.Error("sent to a server whose certificate the CA did not sign")
	}
}

func TestOpenRefusesUnknownDestinations(t *testing.T) {
	for _, d := range []string{"udp://example.com:514", "https://siem.example.com", "tls://no-port"} {
		if _, err := siem.Open(d, "", true); err == nil {
			t.Errorf("%s: accepted", d)
		}
	}
}

// selfSigned makes a certificate for localhost and writes it as a CA file.
func selfSigned(t *testing.T) (string, tls.Certificate) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "localhost"}, DNSNames: []string{"localhost"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour), IsCA: true, BasicConstraintsValid: true,
		KeyUsage: x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "ca.pem")
	if err := os.WriteFile(path, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o600); err != nil {
		t.Fatal(err)
	}
	return path, tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key}
}
