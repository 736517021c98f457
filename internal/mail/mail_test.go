package mail_test

import (
	"context"
	"io"
	"log/slog"
	"strings"
	"testing"
	"time"

	"strongroom.dev/strongroom/internal/mail"
	"strongroom.dev/strongroom/internal/mail/mailtest"
)

func TestSendArrives(t *testing.T) {
	srv := mailtest.New(t)
	body := "你好，李雷\nA line that is long enough to need wrapping by quoted-printable, because it goes on and on past seventy-six characters.\n=equals and dots:\n.\n"
	if err := srv.Config().Send(context.Background(), mail.Message{To: "Li Lei <lilei@example.com>", Subject: "账户已锁定 — account locked", Body: body}); err != nil {
		t.Fatal(err)
	}
	got := srv.Next(t)
	if got.To != "lilei@example.com" || got.From != "no-reply@strongroom.test" {
		t.Errorf("envelope %q -> %q", got.From, got.To)
	}
	if got.Subject != "账户已锁定 — account locked" {
		t.Errorf("subject %q", got.Subject)
	}
	if got.Body != body {
		t.Errorf("body\n%q\nwant\n%q", got.Body, body)
	}
}

func TestSendRefusals(t *testing.T) {
	srv := mailtest.New(t)
	cases := []struct {
		name   string
		change func(*mail.SMTP)
		msg    mail.Message
		want   string
	}{
		{"wrong password", func(c *mail.SMTP) { c.Password = "nope" }, mail.Message{To: "a@example.com"}, "refused the credentials"},
		{"untrusted certificate", func(c *mail.SMTP) { c.RootCAs = nil }, mail.Message{To: "a@example.com"}, "STARTTLS"},
		{"header injection", func(*mail.SMTP) {}, mail.Message{To: "a@example.com", Subject: "hi\r\nBcc: x@evil.test"}, "line break"},
		{"bad recipient", func(*mail.SMTP) {}, mail.Message{To: "not an address"}, "bad recipient"},
		{"credentials without TLS", func(c *mail.SMTP) { c.StartTLS = mail.StartTLSNone }, mail.Message{To: "a@example.com"}, "only over TLS"},
		{"no host", func(c *mail.SMTP) { c.Host = "" }, mail.Message{To: "a@example.com"}, "host is empty"},
		{"plain SMTP to another host", func(c *mail.SMTP) {
			c.StartTLS, c.Username, c.Password, c.Host = mail.StartTLSNone, "", "", "relay.example.com"
		}, mail.Message{To: "a@example.com"}, "only for a relay on this host"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			c := srv.Config()
			tc.change(&c)
			err := c.Send(context.Background(), tc.msg)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("err = %v, want one mentioning %q", err, tc.want)
			}
		})
	}
	srv.None(t, 100*time.Millisecond)
}

type flaky struct {
	fails int
	got   chan mail.Message
}

func (f *flaky) Send(_ context.Context, m mail.Message) error {
	if f.fails > 0 {
		f.fails--
		return io.ErrUnexpectedEOF
	}
	f.got <- m
	return nil
}

func TestQueueRetries(t *testing.T) {
	f := &flaky{fails: 2, got: make(chan mail.Message, 1)}
	q := mail.NewQueue(f, slog.New(slog.DiscardHandler), 4)
	defer q.Close()
	mail.SetRetries(q, time.Millisecond)
	if !q.Enqueue(mail.Message{To: "a@example.com", Subject: "s"}) {
		t.Fatal("enqueue refused")
	}
	select {
	case m := <-f.got:
		if m.Subject != "s" {
			t.Fatalf("got %+v", m)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("message not delivered after retries")
	}
}

func TestQueueCloseDelivers(t *testing.T) {
	srv := mailtest.New(t)
	q := mail.NewQueue(srv.Config(), slog.New(slog.DiscardHandler), 4)
	q.Enqueue(mail.Message{To: "a@example.com", Subject: "one"})
	q.Enqueue(mail.Message{To: "b@example.com", Subject: "two"})
	q.Close()
	got := map[string]bool{srv.Next(t).Subject: true, srv.Next(t).Subject: true}
	if !got["one"] || !got["two"] {
		t.Fatalf("got %v", got)
	}
	if q.Enqueue(mail.Message{To: "c@example.com"}) {
		t.Fatal("a closed queue took a message")
	}
}
