// Package core is what every domain service of Strongroom shares: the
// transaction that carries a change with its audit events (WithTx, and
// Change for a domain that names its store interface), the group-committed
// audited reads (Audited, Read), audit recording (Record, Append), refusals
// (Refuse, May, InScope, RecordRefusal), access to the subjects' keys and
// users (CustomerInScope, OpenUser), the approval gate (UseGrant), step-up,
// paging, the mail texts and the clock. It holds no use case of its own.
package core

import (
	"context"
	"errors"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/go-webauthn/webauthn/protocol"
	"github.com/go-webauthn/webauthn/webauthn"
	"strongroom.dev/strongroom/internal/audit"
	"strongroom.dev/strongroom/internal/authn"
	"strongroom.dev/strongroom/internal/authz"
	"strongroom.dev/strongroom/internal/crm"
	"strongroom.dev/strongroom/internal/errs"
	"strongroom.dev/strongroom/internal/fieldcrypt"
	"strongroom.dev/strongroom/internal/keyring"
	"strongroom.dev/strongroom/internal/mail"
	"strongroom.dev/strongroom/internal/store"
)

// Options tune a Service. Zero values take the defaults.
type Options struct {
	IdleTimeout     time.Duration // default 15 minutes
	AbsoluteTimeout time.Duration // default 12 hours
	Hasher          *authn.Hasher // default: DefaultParams, hashes on at most half the CPUs
	Throttle        *authn.Throttle
	Mail            Mailer         // default: mail is not sent
	PublicURL       string         // where users reach the web UI, for links in emails
	Organisation    string         // the controller's name, for the record of processing and breach notices
	PrivacyContact  string         // how to reach the privacy officer (DPO), for the same
	AuditRetention  time.Duration  // how long audit events stay online before serve archives them; 0: never
	RequestDays     map[string]int // days a data-subject request has per law, over crm.Laws (never more)
	MinPassword     int            // minimum password length, 8 to 64; default 12
	BulkExportRows  int            // an export of more rows needs approval, when that rule is set; default 1000
	MinK            int            // the least k-anonymity a pseudonymised export may have; default 5
	RatePerAccount  int            // steady requests a second per logged-in account (bursts of twice that); 0 no limit
	// SessionLimits caps the sessions a holder of a role may have at once
	// (a user with several roles gets the smallest of theirs); a role not
	// named keeps the default (identity.MaxSessions).
	SessionLimits map[string]int
	Now           func() time.Time

	// Field devices (service/devices).
	OfflineLease        time.Duration // how long a device may read its offline copy without contact; default 12 hours
	WipeEscalate        time.Duration // an unconfirmed wipe raises an alert after this long; default 24 hours
	DeviceMinVersion    string        // the oldest field app version accepted; "" for any
	DeviceRequiredRoles []string      // roles whose API calls need an enrolled device's token
}

// Core is what every domain service shares: the store, the keys, the
// password hasher and throttle, mail, the clock, and the machinery that
// runs a change (WithTx) or an audited read (Audited) with its audit
// events. Domain services hold it in an unexported field, so only they
// reach it.
type Core struct {
	DB          *store.DB
	Keys        *keyring.Keyring
	Index       *fieldcrypt.Indexer
	Hasher      *authn.Hasher
	Throttle    *authn.Throttle
	Mailer      Mailer
	Public      string             // where users reach the web UI, without a trailing slash
	Org         string             // Options.Organisation
	Contact     string             // Options.PrivacyContact
	AuditOnline time.Duration      // Options.AuditRetention
	requestDays map[string]int     // Options.RequestDays
	RP          *webauthn.WebAuthn // nil: no usable public address, no passkeys
	MinPassword int
	BulkExport  int
	MinK        int
	Idle        time.Duration
	Absolute    time.Duration
	Now         func() time.Time
	Accounts    *authn.Limiter // requests per logged-in account; nil: no limit
	Sessions    map[string]int // sessions at once per role (Options.SessionLimits)

	refusals refusalLimiter // refusals of unknown callers recorded so far this minute

	jobs      chan appendJob // audited reads' events waiting for the committer
	reading   atomic.Int32   // audited reads between their transaction and the committer
	stop      chan struct{}
	stopped   chan struct{}
	closeOnce sync.Once
}

// New builds the core over db with the master keyring kr, checks that kr
// is the key this database was created with, and starts the committer of
// audited reads (Close stops it).
func New(ctx context.Context, db *store.DB, kr *keyring.Keyring, opt Options) (*Core, error) {
	s := &Core{
		DB:          db,
		Keys:        kr,
		Index:       fieldcrypt.NewIndexer(kr),
		Hasher:      opt.Hasher,
		Throttle:    opt.Throttle,
		Mailer:      opt.Mail,
		MinPassword: opt.MinPassword,
		BulkExport:  opt.BulkExportRows,
		MinK:        opt.MinK,
		Sessions:    opt.SessionLimits,
		Public:      strings.TrimSuffix(opt.PublicURL, "/"),
		Org:         opt.Organisation,
		Contact:     opt.PrivacyContact,
		AuditOnline: opt.AuditRetention,
		requestDays: opt.RequestDays,
		Idle:        opt.IdleTimeout,
		Absolute:    opt.AbsoluteTimeout,
		Now:         opt.Now,
	}
	if opt.RatePerAccount > 0 {
		s.Accounts = authn.NewLimiter(opt.RatePerAccount)
	}
	if s.Hasher == nil {
		s.Hasher = authn.NewHasher(authn.DefaultParams, 0)
	}
	if s.Throttle == nil {
		s.Throttle = authn.NewThrottle(30, 10)
	}
	s.RP = newRelyingParty(s.Public)
	if s.BulkExport <= 0 {
		s.BulkExport = 1000
	}
	if s.MinK <= 0 {
		s.MinK = 5
	}
	if s.Mailer == nil {
		s.Mailer = noMail{}
	}
	if s.Idle == 0 {
		s.Idle = 15 * time.Minute
	}
	if s.Absolute == 0 {
		s.Absolute = 12 * time.Hour
	}
	if s.Now == nil {
		s.Now = time.Now
	}
	if err := s.checkKeyring(ctx); err != nil {
		return nil, err
	}
	s.startReads()
	return s, nil
}

// noMail drops messages: no mail relay is configured.
type noMail struct{}

func (noMail) Enqueue(mail.Message) bool { return false }

// MailConfigured reports whether emails can be sent.
func (s *Core) MailConfigured() bool {
	_, none := s.Mailer.(noMail)
	return !none
}

// Link is an absolute address in the web UI, with an optional token.
func (s *Core) Link(path, token string) string {
	if token != "" {
		path += "?token=" + url.QueryEscape(token)
	}
	return s.Public + path
}

const keyringCheckSubject = "keyring-check"

// checkKeyring makes sure the master key opens this database's data: the
// first start stores a data key wrapped for a fixed subject; later starts
// must be able to unwrap it. Starting with the wrong key file would
// otherwise seal new data under a key the old data does not share.
func (s *Core) checkKeyring(ctx context.Context) error {
	return s.WithTx(ctx, func(tx *store.Tx) error {
		wrapped, err := tx.Meta(ctx, "keyring_check")
		if errs.Is(err, errs.NotExist) {
			_, w, err := s.Keys.NewDataKey(keyringCheckSubject)
			if err != nil {
				return err
			}
			if err := tx.SetMeta(ctx, "keyring_check", w); err != nil {
				return err
			}
			return s.Record(ctx, tx, authz.System(), "keyring.init", "keyring", "", nil, audit.Success, "")
		}
		if err != nil {
			return err
		}
		if _, err := s.Keys.OpenDataKey(keyringCheckSubject, wrapped); err != nil {
			return errors.New("the master key does not match this database: start with the key file it was created with")
		}
		return nil
	})
}

// Record appends one audit event for actor inside tx.
func (s *Core) Record(ctx context.Context, tx audit.Appender, a authz.Actor, action, objType, objID string, fields []string, outcome, reason string) error {
	return s.Append(ctx, tx, Event(a, action, objType, objID, fields, outcome, reason))
}

func (s *Core) Append(ctx context.Context, tx audit.Appender, events ...audit.Event) error {
	if err := audit.Append(ctx, tx, s.Now(), events...); err != nil {
		return errs.Wrap(errs.Unavailable, "service.audit", "the audit log cannot be written, so the request was refused", err)
	}
	pendRefusals(ctx, events) // recorded once the transaction commits (WithTx)
	return nil
}

func Event(a authz.Actor, action, objType, objID string, fields []string, outcome, reason string) audit.Event {
	return audit.Event{
		ActorID:    a.UserID,
		SessionID:  a.SessionID,
		IP:         a.IP,
		Action:     action,
		ObjectType: objType,
		ObjectID:   objID,
		Fields:     fields,
		Outcome:    outcome,
		Reason:     reason,
		ClientID:   a.ClientID,
		DeviceID:   a.DeviceID,
	}
}

// Close stops the read committer, after the batch in hand.
func (s *Core) Close() {
	s.closeOnce.Do(func() {
		close(s.stop)
		<-s.stopped
	})
}

// RecordRefusal keeps r in the audit log, unless the service already
// recorded the refusal itself while handling the request (see
// WatchRefusals) or, for an unknown caller, a like refusal from the same
// address was recorded in the last minute. It returns once the event is
// durable; an error means it could not be written (the refusal stands).
func (s *Core) RecordRefusal(ctx context.Context, r Refusal) error {
	if n, ok := ctx.Value(refusalNoteKey{}).(*refusalNote); ok && n.recorded.Load() {
		return nil
	}
	events := []audit.Event{Event(r.Actor, r.Action, "route", r.Route, nil, audit.Denied, r.Reason)}
	if r.Actor.UserID == "" {
		ok, skipped, since := s.refusals.admit(s.Now(), r.Actor.IP, r.Action)
		if !ok {
			return nil
		}
		if skipped > 0 {
			events = append(events, Event(authz.Actor{}, refusalsSkipped, "", "", nil, audit.Denied,
				strconv.Itoa(skipped)+" repeated refusals of unknown callers not recorded one by one since "+since.UTC().Format(time.RFC3339)))
		}
	}
	return s.Audited(ctx, func(context.Context, *store.Tx) ([]audit.Event, error) { return events, nil })
}

// newRelyingParty derives the WebAuthn relying party from the public URL:
// its host is the RP ID, its origin the only allowed origin. Browsers
// refuse IP addresses as RP IDs, so an address by IP has no passkeys.
func newRelyingParty(public string) *webauthn.WebAuthn {
	u, err := url.Parse(public)
	if err != nil || u.Scheme != "https" || u.Hostname() == "" || strings.Trim(u.Hostname(), "0123456789.:[]") == "" {
		return nil
	}
	rp, err := webauthn.New(&webauthn.Config{
		RPID:          u.Hostname(),
		RPDisplayName: "Strongroom",
		RPOrigins:     []string{u.Scheme + "://" + u.Host},
		AuthenticatorSelection: protocol.AuthenticatorSelection{
			ResidentKey:      protocol.ResidentKeyRequirementPreferred,
			UserVerification: protocol.VerificationPreferred,
		},
		Timeouts: webauthn.TimeoutsConfig{
			Login:        webauthn.TimeoutConfig{Enforce: true, Timeout: 5 * time.Minute},
			Registration: webauthn.TimeoutConfig{Enforce: true, Timeout: 5 * time.Minute},
		},
	})
	if err != nil {
		return nil
	}
	return rp
}

// Shown is one record a read showed, with the fields it showed.
type Shown struct {
	ID     string
	Fields []string
}

// maxSubjects bounds the records one event names.
const maxSubjects = 1000

// GroupEvents records an action on many records of objType (a page of a
// list read, an import's creates) in as few events as keep each record's
// fields exact: one event per set of fields, naming its records as
// Subjects (indexed one by one, so each record's events are still found by
// its id; at most 1000 to an event), or as ObjectID when it is the only
// one.
func GroupEvents(a authz.Actor, action, objType, reason string, shown []Shown) []audit.Event {
	var events []audit.Event
	byFields := map[string]int{} // fields joined -> index in events
	for _, r := range shown {
		key := strings.Join(r.Fields, ",")
		i, ok := byFields[key]
		if ok && len(events[i].Subjects) >= maxSubjects {
			ok = false
		}
		if !ok {
			byFields[key] = len(events)
			events = append(events, Event(a, action, objType, r.ID, r.Fields, audit.Success, reason))
			continue
		}
		e := &events[i]
		if e.ObjectID != "" {
			e.Subjects, e.ObjectID = []string{e.ObjectID}, ""
		}
		e.Subjects = append(e.Subjects, r.ID)
	}
	return events
}

// DueDays is how many days a data-subject request has under law: the
// organisation's own limit (--request-days) where it set a shorter one,
// else the law's (crm.Laws).
func (s *Core) DueDays(law string) int {
	if d, ok := s.requestDays[law]; ok && d > 0 && d <= crm.Laws[law] {
		return d
	}
	return crm.Laws[law]
}
