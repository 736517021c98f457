// Package mail sends plain-text email through an SMTP relay: the message
// format (RFC 5322 with MIME, UTF-8, quoted-printable) and the client
// (STARTTLS, AUTH PLAIN over TLS only). A Queue sends in the background, so
// that whether a message is sent never changes how long a request takes.
package mail

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"encoding/hex"
	"errors"
	"fmt"
	"mime"
	"mime/quotedprintable"
	"net"
	"net/mail"
	"net/netip"
	"net/smtp"
	"strconv"
	"strings"
	"time"
)

// Message is one plain-text email.
type Message struct {
	To      string
	Subject string
	Body    string
}

// Sender delivers messages.
type Sender interface {
	Send(ctx context.Context, m Message) error
}

// TLS modes for the connection to the relay.
const (
	StartTLSRequired = "required" // refuse to send if the relay does not offer STARTTLS
	StartTLSNone     = "none"     // plain SMTP; only for a relay on the same host
)

// SMTP is a relay and the credentials to use it.
type SMTP struct {
	Host     string
	Port     int
	Username string
	Password string
	From     string // the envelope and header sender
	StartTLS string // StartTLSRequired (default) or StartTLSNone
	RootCAs  *x509.CertPool
	Timeout  time.Duration // default 30 s for the whole exchange
}

// loopback reports whether host names this machine: mail to it never
// crosses a network.
func loopback(host string) bool {
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip, err := netip.ParseAddr(strings.Trim(host, "[]"))
	return err == nil && ip.IsLoopback()
}

// Check reports a configuration that cannot work.
func (c SMTP) Check() error {
	switch {
	case c.Host == "":
		return errors.New("the SMTP host is empty")
	case c.Port <= 0 || c.Port > 65535:
		return errors.New("the SMTP port must be between 1 and 65535")
	case c.StartTLS != "" && c.StartTLS != StartTLSRequired && c.StartTLS != StartTLSNone:
		return fmt.Errorf("STARTTLS must be %q or %q", StartTLSRequired, StartTLSNone)
	case c.StartTLS == StartTLSNone && c.Username != "":
		return errors.New("SMTP credentials are sent only over TLS; use STARTTLS")
	case c.StartTLS == StartTLSNone && !loopback(c.Host):
		return fmt.Errorf("plain SMTP (STARTTLS none) is only for a relay on this host (localhost or a loopback address), not %q", c.Host)
	}
	if _, err := mail.ParseAddress(c.From); err != nil {
		return fmt.Errorf("the sender address %q is not an email address", c.From)
	}
	return nil
}

// Send delivers m through the relay.
func (c SMTP) Send(ctx context.Context, m Message) error {
	if err := c.Check(); err != nil {
		return err
	}
	data, err := Format(c.From, m, time.Now())
	if err != nil {
		return err
	}
	timeout := c.Timeout
	if timeout == 0 {
		timeout = 30 * time.Second
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	addr := net.JoinHostPort(c.Host, strconv.Itoa(c.Port))
	conn, err := (&net.Dialer{}).DialContext(ctx, "tcp", addr)
	if err != nil {
		return fmt.Errorf("mail: cannot reach the relay %s: %w", addr, err)
	}
	deadline, _ := ctx.Deadline()
	conn.SetDeadline(deadline)
	client, err := smtp.NewClient(conn, c.Host)
	if err != nil {
		conn.Close()
		return fmt.Errorf("mail: %s: %w", addr, err)
	}
	defer client.Close()
	if err := client.Hello("localhost"); err != nil {
		return fmt.Errorf("mail: %w", err)
	}
	if c.StartTLS != StartTLSNone {
		if ok, _ := client.Extension("STARTTLS"); !ok {
			return fmt.Errorf("mail: the relay %s does not offer STARTTLS", addr)
		}
		if err := client.StartTLS(&tls.Config{ServerName: c.Host, RootCAs: c.RootCAs, MinVersion: tls.VersionTLS12}); err != nil {
			return fmt.Errorf("mail: STARTTLS with %s: %w", addr, err)
		}
	}
	if c.Username != "" {
		if err := client.Auth(smtp.PlainAuth("", c.Username, c.Password, c.Host)); err != nil {
			return fmt.Errorf("mail: the relay refused the credentials: %w", err)
		}
	}
	from, _ := mail.ParseAddress(c.From)
	to, _ := mail.ParseAddress(m.To)
	if err := client.Mail(from.Address); err != nil {
		return fmt.Errorf("mail: %w", err)
	}
	if err := client.Rcpt(to.Address); err != nil {
		return fmt.Errorf("mail: the relay refused the recipient: %w", err)
	}
	w, err := client.Data()
	if err != nil {
		return fmt.Errorf("mail: %w", err)
	}
	if _, err := w.Write(data); err != nil {
		return fmt.Errorf("mail: %w", err)
	}
	if err := w.Close(); err != nil {
		return fmt.Errorf("mail: the relay did not accept the message: %w", err)
	}
	return client.Quit()
}

// Format renders m as an RFC 5322 message with a UTF-8, quoted-printable
// body. Header values with line breaks are refused (header injection).
func Format(from string, m Message, now time.Time) ([]byte, error) {
	for _, v := range []string{from, m.To, m.Subject} {
		if strings.ContainsAny(v, "\r\n") {
			return nil, errors.New("mail: a header value contains a line break")
		}
	}
	fromAddr, err := mail.ParseAddress(from)
	if err != nil {
		return nil, fmt.Errorf("mail: bad sender %q", from)
	}
	toAddr, err := mail.ParseAddress(m.To)
	if err != nil {
		return nil, fmt.Errorf("mail: bad recipient")
	}
	id := make([]byte, 16)
	rand.Read(id)
	domain := fromAddr.Address[strings.LastIndexByte(fromAddr.Address, '@')+1:]
	var b bytes.Buffer
	header := func(k, v string) { fmt.Fprintf(&b, "%s: %s\r\n", k, v) }
	header("From", fromAddr.String())
	header("To", toAddr.String())
	header("Subject", mime.QEncoding.Encode("utf-8", m.Subject))
	header("Date", now.Format(time.RFC1123Z))
	header("Message-ID", "<"+hex.EncodeToString(id)+"@"+domain+">")
	header("MIME-Version", "1.0")
	header("Content-Type", "text/plain; charset=utf-8")
	header("Content-Transfer-Encoding", "quoted-printable")
	b.WriteString("\r\n")
	qp := quotedprintable.NewWriter(&b)
	qp.Write([]byte(strings.ReplaceAll(m.Body, "\n", "\r\n")))
	qp.Close()
	return b.Bytes(), nil
}
