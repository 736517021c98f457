// Package service holds Strongroom's use cases, one type per domain
// (Customers, Companies, Activities, Deals, Visits, Users, Sessions, Roles,
// Approvals) over one shared core. Each method asks authz, then works
// through the store inside one transaction (core.withTx, or core.audited
// for reads), seals and opens fields with the subject's data key, and
// appends the audit event in the same transaction: no audit, no data. It
// never imports net/http.
package service

import (
	"context"
	"errors"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/go-webauthn/webauthn/webauthn"

	"strongroom.dev/strongroom/internal/audit"
	"strongroom.dev/strongroom/internal/authn"
	"strongroom.dev/strongroom/internal/authz"
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
	Mail            Mailer // default: mail is not sent
	PublicURL       string // where users reach the web UI, for links in emails
	MinPassword     int    // minimum password length, 8 to 64; default 12
	BulkExportRows  int    // an export of more rows needs approval, when that rule is set; default 1000
	Now             func() time.Time
}

// Service is the use-case layer: the domain services, over one shared core
// (the store, keys, audit recording, the clock, mail). Each domain's
// methods are on its own type; Service itself answers only what spans
// them (the pages' reads, abilities) and the core's own operations.
type Service struct {
	*core
	Customers  *Customers  // people: records, reveal, import, export, preferences, purchase history
	Companies  *Companies  // companies and stores
	Activities *Activities // calls, meetings, notes and tasks on customers and companies
	Deals      *Deals      // deals through the pipeline
	Visits     *Visits     // store visits
	Users      *Users      // staff accounts, invitations and reset links
	Sessions   *Sessions   // login, sessions, second factors, passkeys, step-up
	Roles      *Roles      // roles, teams, networks, the security policy
	Approvals  *Approvals  // approvals, break-glass, access reviews
}

// The domain services. Each holds the core; what several domains use is
// on the core, never on another domain.
type (
	Customers  struct{ *core }
	Companies  struct{ *core }
	Activities struct{ *core }
	Deals      struct{ *core }
	Visits     struct{ *core }
	Users      struct{ *core }
	Sessions   struct{ *core }
	Roles      struct{ *core }
	Approvals  struct{ *core }
)

// core is what every domain service shares.
type core struct {
	db          *store.DB
	keys        *keyring.Keyring
	index       *fieldcrypt.Indexer
	hasher      *authn.Hasher
	throttle    *authn.Throttle
	mailer      Mailer
	public      string
	rp          *webauthn.WebAuthn // nil: no usable public address, no passkeys
	minPassword int
	bulkExport  int
	idle        time.Duration
	absolute    time.Duration
	now         func() time.Time

	refusals refusalLimiter // refusals of unknown callers recorded so far this minute

	jobs      chan readJob // audited reads waiting for the committer
	stop      chan struct{}
	stopped   chan struct{}
	closeOnce sync.Once
}

// New builds a Service over db with the master keyring kr, and checks that
// kr is the key this database was created with.
func New(ctx context.Context, db *store.DB, kr *keyring.Keyring, opt Options) (*Service, error) {
	s := &core{
		db:          db,
		keys:        kr,
		index:       fieldcrypt.NewIndexer(kr),
		hasher:      opt.Hasher,
		throttle:    opt.Throttle,
		mailer:      opt.Mail,
		minPassword: opt.MinPassword,
		bulkExport:  opt.BulkExportRows,
		public:      strings.TrimSuffix(opt.PublicURL, "/"),
		idle:        opt.IdleTimeout,
		absolute:    opt.AbsoluteTimeout,
		now:         opt.Now,
	}
	if s.hasher == nil {
		s.hasher = authn.NewHasher(authn.DefaultParams, 0)
	}
	if s.throttle == nil {
		s.throttle = authn.NewThrottle(30, 10)
	}
	s.rp = newRelyingParty(s.public)
	if s.bulkExport <= 0 {
		s.bulkExport = 1000
	}
	if s.mailer == nil {
		s.mailer = noMail{}
	}
	if s.idle == 0 {
		s.idle = 15 * time.Minute
	}
	if s.absolute == 0 {
		s.absolute = 12 * time.Hour
	}
	if s.now == nil {
		s.now = time.Now
	}
	if err := s.checkKeyring(ctx); err != nil {
		return nil, err
	}
	s.startReads()
	return &Service{core: s, Customers: &Customers{s}, Companies: &Companies{s}, Activities: &Activities{s}, Deals: &Deals{s}, Visits: &Visits{s},
		Users: &Users{s}, Sessions: &Sessions{s}, Roles: &Roles{s}, Approvals: &Approvals{s}}, nil
}

// noMail drops messages: no mail relay is configured.
type noMail struct{}

func (noMail) Enqueue(mail.Message) bool { return false }

// MailConfigured reports whether emails can be sent.
func (s *Service) MailConfigured() bool {
	_, none := s.mailer.(noMail)
	return !none
}

// link is an absolute address in the web UI, with an optional token.
func (s *core) link(path, token string) string {
	if token != "" {
		path += "?token=" + url.QueryEscape(token)
	}
	return s.public + path
}

const keyringCheckSubject = "keyring-check"

// checkKeyring makes sure the master key opens this database's data: the
// first start stores a data key wrapped for a fixed subject; later starts
// must be able to unwrap it. Starting with the wrong key file would
// otherwise seal new data under a key the old data does not share.
func (s *core) checkKeyring(ctx context.Context) error {
	return s.withTx(ctx, func(tx *store.Tx) error {
		wrapped, err := tx.Meta(ctx, "keyring_check")
		if errs.Is(err, errs.NotExist) {
			_, w, err := s.keys.NewDataKey(keyringCheckSubject)
			if err != nil {
				return err
			}
			if err := tx.SetMeta(ctx, "keyring_check", w); err != nil {
				return err
			}
			return s.record(ctx, tx, authz.System(), "keyring.init", "keyring", "", nil, audit.Success, "")
		}
		if err != nil {
			return err
		}
		if _, err := s.keys.OpenDataKey(keyringCheckSubject, wrapped); err != nil {
			return errors.New("the master key does not match this database: start with the key file it was created with")
		}
		return nil
	})
}

// record appends one audit event for actor inside tx.
func (s *core) record(ctx context.Context, tx *store.Tx, a authz.Actor, action, objType, objID string, fields []string, outcome, reason string) error {
	return s.append(ctx, tx, event(a, action, objType, objID, fields, outcome, reason))
}

func (s *core) append(ctx context.Context, tx *store.Tx, events ...audit.Event) error {
	if err := audit.Append(ctx, tx, s.now(), events...); err != nil {
		return errs.Wrap(errs.Unavailable, "service.audit", "the audit log cannot be written, so the request was refused", err)
	}
	pendRefusals(ctx, events) // recorded once the transaction commits (withTx)
	return nil
}

func event(a authz.Actor, action, objType, objID string, fields []string, outcome, reason string) audit.Event {
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
	}
}
