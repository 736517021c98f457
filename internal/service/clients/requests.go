package clients

import (
	"context"
	"net/url"
	"time"

	"strongroom.dev/strongroom/internal/audit"
	"strongroom.dev/strongroom/internal/authz"
	"strongroom.dev/strongroom/internal/crm"
	"strongroom.dev/strongroom/internal/errs"
	"strongroom.dev/strongroom/internal/service/core"
	"strongroom.dev/strongroom/internal/store"
)

// requestStore is what the code flow's authorisation requests need.
type requestStore interface {
	audit.Appender
	OAuthClientByID(ctx context.Context, id string) (store.OAuthClientRow, error)
	InsertOAuthRequest(ctx context.Context, r store.OAuthRequestRow) error
	OAuthRequestByID(ctx context.Context, id string) (store.OAuthRequestRow, error)
	OAuthRequestByCode(ctx context.Context, hash []byte) (store.OAuthRequestRow, error)
	ApproveOAuthRequest(ctx context.Context, id, userID string) error
	SetOAuthCode(ctx context.Context, id string, hash []byte) error
	DeleteOAuthRequest(ctx context.Context, id string) error
	DeleteExpiredOAuth(ctx context.Context, now time.Time) error
}

func requestStoreOf(tx *store.Tx) requestStore { return tx }

// Request is an authorisation request of the code flow: the protocol
// layer's request (JSON, opaque here) and the user who approved it.
type Request struct {
	ID       string
	ClientID string
	Data     string
	UserID   string // "" until approved
	Expires  time.Time
}

func requestOf(r store.OAuthRequestRow) Request {
	return Request{ID: r.ID, ClientID: r.ClientID, Data: r.Request, UserID: r.UserID, Expires: r.ExpiresAt}
}

var errNoRequest = errs.E(errs.NotExist, "this authorisation request is unknown or has expired; start again from the application")

// NewRequest keeps an authorisation request for client and returns its id.
func (s *Clients) NewRequest(ctx context.Context, clientID, data string) (string, error) {
	now := s.c.Now()
	id := crm.NewID("oar")
	err := core.Change(ctx, s.c, requestStoreOf, func(tx requestStore) error {
		c, err := tx.OAuthClientByID(ctx, clientID)
		if err != nil {
			return core.NotFound(err, "client")
		}
		if c.Status != StatusActive {
			return errs.E(errs.Permission, "the client is suspended")
		}
		if err := tx.DeleteExpiredOAuth(ctx, now); err != nil {
			return err
		}
		return tx.InsertOAuthRequest(ctx, store.OAuthRequestRow{ID: id, ClientID: clientID, Request: data, CreatedAt: now, ExpiresAt: now.Add(RequestLifetime)})
	})
	return id, err
}

func (s *Clients) live(r store.OAuthRequestRow, err error) (Request, error) {
	if errs.Is(err, errs.NotExist) || err == nil && !s.c.Now().Before(r.ExpiresAt) {
		return Request{}, errNoRequest
	}
	return requestOf(r), err
}

// Purge forgets expired access tokens, authorisation requests and spent
// assertion ids; serve's background job calls it with the session purge.
func (s *Clients) Purge(ctx context.Context) error {
	return core.Change(ctx, s.c, requestStoreOf, func(tx requestStore) error {
		return tx.DeleteExpiredOAuth(ctx, s.c.Now())
	})
}

// RequestByID returns a live authorisation request.
func (s *Clients) RequestByID(ctx context.Context, id string) (Request, error) {
	var out Request
	err := core.Look(ctx, s.c, requestStoreOf, func(tx requestStore) error {
		var err error
		out, err = s.live(tx.OAuthRequestByID(ctx, id))
		return err
	})
	return out, err
}

// RequestByCode returns the live authorisation request whose code is code.
func (s *Clients) RequestByCode(ctx context.Context, code string) (Request, error) {
	var out Request
	err := core.Look(ctx, s.c, requestStoreOf, func(tx requestStore) error {
		var err error
		out, err = s.live(tx.OAuthRequestByCode(ctx, hashID(code)))
		return err
	})
	return out, err
}

// SaveCode keeps the hash of the code issued for an approved request.
func (s *Clients) SaveCode(ctx context.Context, id, code string) error {
	return core.Change(ctx, s.c, requestStoreOf, func(tx requestStore) error {
		return core.NotFound(tx.SetOAuthCode(ctx, id, hashID(code)), "authorisation request")
	})
}

// DeleteRequest forgets a request once its code is spent.
func (s *Clients) DeleteRequest(ctx context.Context, id string) error {
	return core.Change(ctx, s.c, requestStoreOf, func(tx requestStore) error {
		err := tx.DeleteOAuthRequest(ctx, id)
		if errs.Is(err, errs.NotExist) {
			return nil
		}
		return err
	})
}

// Spend deletes an approved request as its code is exchanged: of two
// exchanges of one code at once, one spends it and the other is refused.
func (s *Clients) Spend(ctx context.Context, id string) error {
	return core.Change(ctx, s.c, requestStoreOf, func(tx requestStore) error {
		if err := tx.DeleteOAuthRequest(ctx, id); err != nil {
			if errs.Is(err, errs.NotExist) {
				return errNoRequest
			}
			return err
		}
		return nil
	})
}

// Consent is what the consent page shows a user about a request.
type Consent struct {
	RequestID  string
	ClientID   string
	ClientName string
	Role       string
	// Origins are the origins of the client's redirect URIs, where the
	// approval goes on to (the consent page's form-action).
	Origins []string
}

// ConsentFor returns what a user is asked to approve.
func (s *Clients) ConsentFor(ctx context.Context, a authz.Actor, id string) (Consent, error) {
	var out Consent
	err := core.Look(ctx, s.c, requestStoreOf, func(tx requestStore) error {
		r, err := s.live(tx.OAuthRequestByID(ctx, id))
		if err != nil {
			return err
		}
		if r.UserID != "" {
			return errNoRequest
		}
		c, err := tx.OAuthClientByID(ctx, r.ClientID)
		if err != nil {
			return core.NotFound(err, "client")
		}
		out = Consent{RequestID: r.ID, ClientID: c.ID, ClientName: c.Name, Role: c.Role}
		for _, u := range c.RedirectURIs {
			if p, err := url.Parse(u); err == nil && p.Scheme == "https" && p.Host != "" {
				out.Origins = append(out.Origins, "https://"+p.Host)
			}
		}
		return nil
	})
	return out, err
}

// Approve records that a (the logged-in user) lets the client of request
// id act for them, within both the client's role and their own. Audited as
// consent granted.
func (s *Clients) Approve(ctx context.Context, a authz.Actor, id string) error {
	if a.UserID == "" || a.ClientID != "" {
		return errs.E(errs.Permission, "only a person logged in to Strongroom approves an application")
	}
	return core.Change(ctx, s.c, requestStoreOf, func(tx requestStore) error {
		r, err := s.live(tx.OAuthRequestByID(ctx, id))
		if err != nil {
			return err
		}
		c, err := tx.OAuthClientByID(ctx, r.ClientID)
		if err != nil || c.Status != StatusActive {
			return errNoRequest
		}
		if err := tx.ApproveOAuthRequest(ctx, id, a.UserID); err != nil {
			return core.NotFound(err, "authorisation request")
		}
		a.ClientID = c.ID
		return s.c.Record(ctx, tx, a, "oauth.consent.grant", "client", c.ID, nil, audit.Success, "within role "+c.Role)
	})
}
