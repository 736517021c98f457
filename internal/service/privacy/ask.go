package privacy

import (
	"context"
	"time"

	"strongroom.dev/strongroom/internal/audit"
	"strongroom.dev/strongroom/internal/authn"
	"strongroom.dev/strongroom/internal/authz"
	"strongroom.dev/strongroom/internal/crm"
	"strongroom.dev/strongroom/internal/errs"
	"strongroom.dev/strongroom/internal/fieldcrypt"
	"strongroom.dev/strongroom/internal/service/core"
	"strongroom.dev/strongroom/internal/store"
)

// AskPath is the public page where people make requests about their data,
// and ConfirmPath where the emailed link lands.
const (
	AskPath     = "/privacy/ask"
	ConfirmPath = "/privacy/ask/confirm"
)

// askLinkFor is how long an emailed confirmation link works.
const askLinkFor = 24 * time.Hour

// Ask takes a request from the public privacy page, where nobody has an
// account. If a customer holds this email address, a single-use link
// (24 hours) is emailed to it, and only following the link makes the
// request; the answer is the same either way, so the page tells nobody
// whose data is held. Asks count against the address like failed logins.
// Audited (request.ask: success when a link went out, denied otherwise).
func (s *Requests) Ask(ctx context.Context, email string, in crm.RequestInput, ip, locale string) error {
	now := s.c.Now()
	if wait, ok := s.c.Throttle.Allow(ip, now); !ok {
		return core.TooMany("too many requests from your address", wait)
	}
	s.c.Throttle.Failure(ip, now)
	norm, err := crm.NormaliseEmail(email)
	if err != nil || norm == "" {
		return errs.InvalidField("email", "email is not a valid address (like name@example.com)")
	}
	if err := in.Normalise(); err != nil {
		return err
	}
	a := authz.Actor{IP: ip}
	var token string
	err = core.Change(ctx, s.c, askStoreOf, func(tx askStore) error {
		rows, err := tx.ListCustomers(ctx, store.CustomerFilter{Email: s.c.Index.Index(fieldcrypt.IndexCustomerEmail, norm), Limit: 1, WithRestricted: true})
		if err != nil {
			return err
		}
		if len(rows) == 0 {
			return s.c.Record(ctx, tx, a, "request.ask", "request", "", nil, audit.Denied, in.Kind+": no customer holds the address")
		}
		row := rows[0]
		tok, hash := authn.NewLinkToken()
		l := store.RequestLinkRow{TokenHash: hash, CustomerID: row.ID, Kind: in.Kind, Law: in.Law, CreatedAt: now, ExpiresAt: now.Add(askLinkFor)}
		if in.Details != "" {
			key, err := s.c.CustomerKey(row)
			if err != nil {
				return err
			}
			if l.DetailsCT, err = fieldcrypt.Seal(key, fieldcrypt.Place{Table: "request_links", Column: "details_ct", Row: row.ID}, in.Details); err != nil {
				return err
			}
		}
		if err := tx.InsertRequestLink(ctx, l); err != nil {
			return err
		}
		token = tok
		return s.c.Record(ctx, tx, a, "request.ask", "customer", row.ID, nil, audit.Success, in.Kind+" under "+in.Law+": confirmation link emailed")
	})
	if err != nil || token == "" {
		return err
	}
	s.c.Mailer.Enqueue(core.ComposeMail("privacy_request", locale, norm, core.MailData{When: core.MailTime(now), IP: ip, Role: in.Kind, Link: s.c.Link(ConfirmPath, token)}))
	return nil
}

// errDeadAsk is a link that is unknown, spent or expired.
var errDeadAsk = errs.InvalidField("token", "this link does not work (any more): links work once, for 24 hours; ask again on the privacy page")

// ConfirmAsk makes the request whose emailed link this is: the person
// showed they read the mail at the address on record. Audited
// (request.create, channel public_page).
func (s *Requests) ConfirmAsk(ctx context.Context, token, ip string) (crm.Request, error) {
	if !authn.WellFormedLinkToken(token) {
		return crm.Request{}, errDeadAsk
	}
	now := s.c.Now()
	var out crm.Request
	err := core.Change(ctx, s.c, askStoreOf, func(tx askStore) error {
		hash := authn.HashToken(token)
		l, err := tx.RequestLinkByHash(ctx, hash)
		if errs.Is(err, errs.NotExist) || err == nil && (l.Used || !now.Before(l.ExpiresAt)) {
			return errDeadAsk
		}
		if err != nil {
			return err
		}
		if err := tx.UseRequestLink(ctx, hash, now); err != nil {
			return errDeadAsk // spent by a concurrent use
		}
		row, err := tx.CustomerByID(ctx, l.CustomerID)
		if err != nil {
			return errDeadAsk
		}
		out = crm.Request{ID: crm.NewID("dsr"), CustomerID: l.CustomerID, Kind: l.Kind, Law: l.Law, Status: "open", Channel: "public_page",
			ReceivedAt: now, DueAt: now.AddDate(0, 0, s.c.DueDays(l.Law)), CreatedBy: "public"}
		r := store.RequestRow{ID: out.ID, CustomerID: l.CustomerID, Kind: l.Kind, Law: l.Law, Status: "open", Channel: "public_page",
			ReceivedAt: now, DueAt: out.DueAt, CreatedBy: "public"}
		if len(l.DetailsCT) > 0 {
			key, err := s.c.CustomerKey(row)
			if err != nil {
				return err
			}
			details, err := fieldcrypt.Open(key, fieldcrypt.Place{Table: "request_links", Column: "details_ct", Row: row.ID}, l.DetailsCT)
			if err != nil {
				return errs.Wrap(errs.Internal, "privacy.ConfirmAsk", "", err)
			}
			if r.DetailsCT, err = fieldcrypt.Seal(key, requestPlace(out.ID), details); err != nil {
				return err
			}
		}
		if err := tx.InsertRequest(ctx, r); err != nil {
			return err
		}
		return s.c.Record(ctx, tx, authz.Actor{IP: ip}, "request.create", "customer", l.CustomerID, nil, audit.Success,
			out.Kind+" under "+out.Law+", confirmed by the emailed link, "+out.ID)
	})
	return out, err
}

// askStore is what the methods in ask.go read and write.
type askStore interface {
	audit.Appender
	core.CustomerStore
	ListCustomers(ctx context.Context, f store.CustomerFilter) ([]store.CustomerRow, error)
	InsertRequestLink(ctx context.Context, l store.RequestLinkRow) error
	RequestLinkByHash(ctx context.Context, hash []byte) (store.RequestLinkRow, error)
	UseRequestLink(ctx context.Context, hash []byte, now time.Time) error
	InsertRequest(ctx context.Context, r store.RequestRow) error
}

// askStoreOf is the compiler's check that the store has every method of askStore.
func askStoreOf(tx *store.Tx) askStore { return tx }
