// Package mailtest is an SMTP server on loopback for tests: it speaks
// enough of RFC 5321 (EHLO, STARTTLS, AUTH PLAIN, MAIL, RCPT, DATA) for the
// real client to deliver to it, and hands the tests each message that
// arrived, decoded.
package mailtest

import (
	"bufio"
	"bytes"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"encoding/base64"
	"encoding/pem"
	"io"
	"math/big"
	"mime"
	"mime/quotedprintable"
	"net"
	"net/mail"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	mailpkg "strongroom.dev/strongroom/internal/mail"
)

// Received is a message as it arrived.
type Received struct {
	From, To string // envelope
	Subject  string // decoded
	Body     string // decoded, with \n line ends
	Raw      []byte
}

// Server is a loopback SMTP server that requires STARTTLS and AUTH PLAIN.
type Server struct {
	ln       net.Listener
	tls      *tls.Config
	roots    *x509.CertPool
	cert     []byte // DER
	user     string
	password string
	msgs     chan Received
}

// New starts a server that stops when the test ends.
func New(t testing.TB) *Server {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	cert, roots := certificate(t)
	s := &Server{ln: ln, tls: &tls.Config{Certificates: []tls.Certificate{cert}}, roots: roots, cert: cert.Certificate[0],
		user: "strongroom", password: "relay-secret", msgs: make(chan Received, 100)}
	go s.serve()
	t.Cleanup(func() { ln.Close() })
	return s
}

// Config is how strongroom reaches this server.
func (s *Server) Config() mailpkg.SMTP {
	port := s.ln.Addr().(*net.TCPAddr).Port
	return mailpkg.SMTP{Host: "127.0.0.1", Port: port, Username: s.user, Password: s.password,
		From: "Strongroom <no-reply@strongroom.test>", RootCAs: s.roots, Timeout: 10 * time.Second}
}

// CAFile writes the certificate the server presents to a PEM file in a
// test directory and returns its path, for strongroom's --smtp-ca.
func (s *Server) CAFile(t testing.TB) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "smtp-ca.pem")
	if err := os.WriteFile(path, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: s.cert}), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// Args are the serve flags that send strongroom's mail here; the relay's
// password goes in the environment (see Env).
func (s *Server) Args(t testing.TB) []string {
	c := s.Config()
	return []string{"--smtp-host", c.Host, "--smtp-port", strconv.Itoa(c.Port), "--smtp-user", c.Username, "--smtp-ca", s.CAFile(t)}
}

// Password is the relay's password.
func (s *Server) Password() string { return s.password }

// Next waits up to 10 seconds for the next message.
func (s *Server) Next(t testing.TB) Received {
	t.Helper()
	select {
	case m := <-s.msgs:
		return m
	case <-time.After(10 * time.Second):
		t.Fatal("no email arrived within 10 seconds")
		return Received{}
	}
}

// None checks that no message arrives within wait.
func (s *Server) None(t testing.TB, wait time.Duration) {
	t.Helper()
	select {
	case m := <-s.msgs:
		t.Fatalf("an email arrived that should not have: %q to %s", m.Subject, m.To)
	case <-time.After(wait):
	}
}

func (s *Server) serve() {
	for {
		c, err := s.ln.Accept()
		if err != nil {
			return
		}
		go s.session(c)
	}
}

func (s *Server) session(c net.Conn) {
	defer func() { c.Close() }()
	c.SetDeadline(time.Now().Add(30 * time.Second))
	r, w := bufio.NewReader(c), c
	reply := func(line string) { io.WriteString(w, line+"\r\n") }
	reply("220 mailtest ready")
	secure, authed := false, false
	var from, to string
	for {
		line, err := r.ReadString('\n')
		if err != nil {
			return
		}
		line = strings.TrimRight(line, "\r\n")
		verb := strings.ToUpper(strings.SplitN(line, " ", 2)[0])
		arg := strings.TrimSpace(line[len(verb):])
		switch verb {
		case "EHLO", "HELO":
			if secure {
				reply("250-mailtest\r\n250 AUTH PLAIN")
			} else {
				reply("250-mailtest\r\n250 STARTTLS")
			}
		case "STARTTLS":
			reply("220 go ahead")
			tc := tls.Server(c, s.tls)
			if tc.Handshake() != nil {
				return
			}
			c, r, w, secure = tc, bufio.NewReader(tc), tc, true
		case "AUTH":
			parts := strings.Fields(arg)
			raw, _ := base64.StdEncoding.DecodeString(parts[len(parts)-1])
			fields := strings.Split(string(raw), "\x00")
			if !secure || len(parts) != 2 || len(fields) != 3 || fields[1] != s.user || fields[2] != s.password {
				reply("535 authentication failed")
				continue
			}
			authed = true
			reply("235 ok")
		case "MAIL":
			if !authed {
				reply("530 authentication required")
				continue
			}
			from = strings.Trim(strings.TrimPrefix(strings.ToUpper(arg[:5])+arg[5:], "FROM:"), "<>")
			reply("250 ok")
		case "RCPT":
			to = strings.Trim(arg[3:], "<>")
			reply("250 ok")
		case "DATA":
			reply("354 send")
			var buf bytes.Buffer
			for {
				l, err := r.ReadString('\n')
				if err != nil {
					return
				}
				if l == ".\r\n" {
					break
				}
				buf.WriteString(strings.TrimPrefix(l, "."))
			}
			s.msgs <- decode(from, to, buf.Bytes())
			reply("250 queued")
		case "RSET", "NOOP":
			reply("250 ok")
		case "QUIT":
			reply("221 bye")
			return
		default:
			reply("502 not implemented")
		}
	}
}

func decode(from, to string, raw []byte) Received {
	out := Received{From: from, To: to, Raw: raw}
	m, err := mail.ReadMessage(bytes.NewReader(raw))
	if err != nil {
		out.Body = "unparseable message: " + err.Error()
		return out
	}
	out.Subject, _ = new(mime.WordDecoder).DecodeHeader(m.Header.Get("Subject"))
	body, _ := io.ReadAll(quotedprintable.NewReader(m.Body))
	out.Body = strings.ReplaceAll(string(body), "\r\n", "\n")
	return out
}

func certificate(t testing.TB) (tls.Certificate, *x509.CertPool) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		IPAddresses: []net.IP{net.IPv4(127, 0, 0, 1)}, KeyUsage: x509.KeyUsageDigitalSignature, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	leaf, _ := x509.ParseCertificate(der)
	roots := x509.NewCertPool()
	roots.AddCert(leaf)
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key, Leaf: leaf}, roots
}
