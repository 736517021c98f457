package identity

import (
	"context"
	"encoding/json"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/go-webauthn/webauthn/protocol"
	"github.com/go-webauthn/webauthn/webauthn"

	"strongroom.dev/strongroom/internal/audit"
	"strongroom.dev/strongroom/internal/authz"
	"strongroom.dev/strongroom/internal/crm"
	"strongroom.dev/strongroom/internal/errs"
	"strongroom.dev/strongroom/internal/fieldcrypt"
	"strongroom.dev/strongroom/internal/service/core"
	"strongroom.dev/strongroom/internal/store"
)

// Passkey is one of a user's WebAuthn credentials, as they see it.
type Passkey struct {
	ID         string     `json:"id"`
	Name       string     `json:"name"`
	CreatedAt  time.Time  `json:"created_at"`
	LastUsedAt *time.Time `json:"last_used_at,omitempty"`
}

// storedPasskey is what is sealed: the credential and the user's label.
type storedPasskey struct {
	Name       string              `json:"name"`
	Credential webauthn.Credential `json:"credential"`
}

// passkeyUser presents a user and their credentials to the WebAuthn library.
type passkeyUser struct {
	id, email string
	creds     []webauthn.Credential
}

func (u passkeyUser) WebAuthnID() []byte                         { return []byte(u.id) }
func (u passkeyUser) WebAuthnName() string                       { return u.email }
func (u passkeyUser) WebAuthnDisplayName() string                { return u.email }
func (u passkeyUser) WebAuthnCredentials() []webauthn.Credential { return u.creds }

func passkeyPlace(id string) fieldcrypt.Place {
	return fieldcrypt.Place{Table: "passkeys", Column: "credential_ct", Row: id}
}

var errNoPasskeys = errs.E(errs.Conflict, "passkeys need the server's public address (--public-url, a domain name such as https://crm.example.com or https://localhost:8443)")

// PasskeysAvailable reports whether this server can use passkeys.
func (s *Sessions) PasskeysAvailable() bool { return s.c.RP != nil }

// loadPasskeyUser reads a user and opens their credentials inside tx.
func (s *Sessions) loadPasskeyUser(ctx context.Context, tx passkeyStore, userID string) (passkeyUser, []store.PasskeyRow, []storedPasskey, error) {
	u, err := tx.UserByID(ctx, userID)
	if err != nil {
		return passkeyUser{}, nil, nil, core.NotFound(err, "user")
	}
	me, err := s.c.OpenUser(u)
	if err != nil {
		return passkeyUser{}, nil, nil, err
	}
	rows, err := tx.UserPasskeys(ctx, userID)
	if err != nil {
		return passkeyUser{}, nil, nil, err
	}
	key, err := s.c.Keys.OpenDataKey(u.ID, u.WrappedKey)
	if err != nil {
		return passkeyUser{}, nil, nil, errs.Wrap(errs.Internal, "service.passkeys", "", err)
	}
	pu := passkeyUser{id: u.ID, email: me.Email}
	stored := make([]storedPasskey, len(rows))
	for i, r := range rows {
		plain, err := fieldcrypt.Open(key, passkeyPlace(r.ID), r.Sealed)
		if err == nil {
			err = json.Unmarshal([]byte(plain), &stored[i])
		}
		if err != nil {
			return passkeyUser{}, nil, nil, errs.Wrap(errs.Internal, "service.passkeys", "", err)
		}
		pu.creds = append(pu.creds, stored[i].Credential)
	}
	return pu, rows, stored, nil
}

// sealPasskey seals p under the user's key for row id.
func (s *Sessions) sealPasskey(ctx context.Context, tx passkeyStore, userID, id string, p storedPasskey) ([]byte, error) {
	u, err := tx.UserByID(ctx, userID)
	if err != nil {
		return nil, err
	}
	key, err := s.c.Keys.OpenDataKey(u.ID, u.WrappedKey)
	if err != nil {
		return nil, errs.Wrap(errs.Internal, "service.sealPasskey", "", err)
	}
	b, err := json.Marshal(p)
	if err != nil {
		return nil, err
	}
	return fieldcrypt.Seal(key, passkeyPlace(id), string(b))
}

// BeginPasskeyRegistration starts adding a passkey to the actor's account:
// it returns the options for navigator.credentials.create and keeps the
// challenge on the session. Adding a credential needs a fresh proof of the
// user (a login or step-up within 5 minutes).
func (s *Sessions) BeginPasskeyRegistration(ctx context.Context, a authz.Actor) (json.RawMessage, error) {
	if s.c.RP == nil {
		return nil, errNoPasskeys
	}
	if a.SessionID == "" {
		return nil, errs.E(errs.Permission, "log in first")
	}
	if err := s.c.RequireStepUp(a); err != nil {
		return nil, err
	}
	var out json.RawMessage
	err := core.Change(ctx, s.c, passkeyStoreOf, func(tx passkeyStore) error {
		pu, _, _, err := s.loadPasskeyUser(ctx, tx, a.UserID)
		if err != nil {
			return err
		}
		creation, data, err := s.c.RP.BeginRegistration(pu, webauthn.WithExclusions(webauthn.Credentials(pu.creds).CredentialDescriptors()))
		if err != nil {
			return errs.Wrap(errs.Internal, "service.BeginPasskeyRegistration", "", err)
		}
		return s.keepChallenge(ctx, tx, a.SessionID, data, creation, &out)
	})
	return out, err
}

func (s *Sessions) keepChallenge(ctx context.Context, tx passkeyStore, sessionID string, data *webauthn.SessionData, options any, out *json.RawMessage) error {
	state, err := json.Marshal(data)
	if err != nil {
		return err
	}
	if *out, err = json.Marshal(options); err != nil {
		return err
	}
	return tx.SetSessionChallenge(ctx, sessionID, string(state))
}

func (s *Sessions) takeChallenge(ctx context.Context, tx passkeyStore, sessionID string) (webauthn.SessionData, error) {
	var data webauthn.SessionData
	state, err := tx.TakeSessionChallenge(ctx, sessionID)
	if err != nil {
		return data, err
	}
	if state == "" || json.Unmarshal([]byte(state), &data) != nil {
		return data, errs.E(errs.Conflict, "no passkey request is under way on this session; start again")
	}
	return data, nil
}

var errBadPasskey = errs.InvalidField("credential", "the passkey's answer is not valid for this request; try again")

// FinishPasskeyRegistration stores the credential the browser created,
// sealed under the user's key, with the user's label for it. Audited.
func (s *Sessions) FinishPasskeyRegistration(ctx context.Context, a authz.Actor, name string, response []byte) (Passkey, error) {
	if s.c.RP == nil {
		return Passkey{}, errNoPasskeys
	}
	if err := s.c.RequireStepUp(a); err != nil {
		return Passkey{}, err
	}
	name, err := crm.Label("name", name, 0)
	if err != nil {
		return Passkey{}, err
	}
	name = strings.Join(strings.Fields(name), " ")
	if name == "" {
		name = "Passkey"
	}
	if utf8.RuneCountInString(name) > 60 {
		return Passkey{}, errs.InvalidField("name", "name the passkey in at most 60 characters")
	}
	parsed, err := protocol.ParseCredentialCreationResponseBytes(response)
	if err != nil {
		return Passkey{}, errBadPasskey
	}
	now := s.c.Now()
	out := Passkey{ID: crm.NewID("pk"), Name: name, CreatedAt: now}
	err = core.Change(ctx, s.c, passkeyStoreOf, func(tx passkeyStore) error {
		data, err := s.takeChallenge(ctx, tx, a.SessionID)
		if err != nil {
			return err
		}
		pu, _, _, err := s.loadPasskeyUser(ctx, tx, a.UserID)
		if err != nil {
			return err
		}
		cred, err := s.c.RP.CreateCredential(pu, data, parsed)
		if err != nil {
			return errBadPasskey
		}
		for _, c := range pu.creds {
			if string(c.ID) == string(cred.ID) {
				return errs.InvalidField("credential", "this passkey is registered already")
			}
		}
		sealed, err := s.sealPasskey(ctx, tx, a.UserID, out.ID, storedPasskey{Name: name, Credential: *cred})
		if err != nil {
			return err
		}
		if err := tx.InsertPasskey(ctx, store.PasskeyRow{ID: out.ID, UserID: a.UserID, Sealed: sealed, CreatedAt: now}); err != nil {
			return err
		}
		return s.c.Record(ctx, tx, a, "mfa.enrol", "user", a.UserID, []string{"passkey"}, audit.Success, out.ID)
	})
	if err != nil {
		// The challenge was taken inside the failed transaction; keep the
		// answer a client error even so.
		return Passkey{}, err
	}
	return out, nil
}

// MyPasskeys lists the actor's passkeys.
func (s *Sessions) MyPasskeys(ctx context.Context, a authz.Actor) ([]Passkey, error) {
	if a.SessionID == "" {
		return nil, errs.E(errs.Permission, "log in first")
	}
	var out []Passkey
	err := core.Look(ctx, s.c, passkeyStoreOf, func(tx passkeyStore) error {
		_, rows, stored, err := s.loadPasskeyUser(ctx, tx, a.UserID)
		for i, r := range rows {
			p := Passkey{ID: r.ID, Name: stored[i].Name, CreatedAt: r.CreatedAt}
			if !r.LastUsedAt.IsZero() {
				p.LastUsedAt = &rows[i].LastUsedAt
			}
			out = append(out, p)
		}
		return err
	})
	return out, err
}

// DeletePasskey removes one of the actor's passkeys (a fresh proof needed).
func (s *Sessions) DeletePasskey(ctx context.Context, a authz.Actor, id string) error {
	if a.SessionID == "" {
		return errs.E(errs.Permission, "log in first")
	}
	if err := s.c.RequireStepUp(a); err != nil {
		return err
	}
	return core.Change(ctx, s.c, passkeyStoreOf, func(tx passkeyStore) error {
		if err := tx.DeletePasskey(ctx, a.UserID, id); err != nil {
			return core.NotFound(err, "passkey")
		}
		return s.c.Record(ctx, tx, a, "mfa.remove", "user", a.UserID, []string{"passkey"}, audit.Success, id)
	})
}

// BeginPasskeyProof starts proving the actor's user with a passkey: the
// second factor at login, or a step-up. It returns the options for
// navigator.credentials.get.
func (s *Sessions) BeginPasskeyProof(ctx context.Context, a authz.Actor) (json.RawMessage, error) {
	if s.c.RP == nil {
		return nil, errNoPasskeys
	}
	if a.SessionID == "" {
		return nil, errs.E(errs.Permission, "log in first")
	}
	var out json.RawMessage
	err := core.Change(ctx, s.c, passkeyStoreOf, func(tx passkeyStore) error {
		pu, _, _, err := s.loadPasskeyUser(ctx, tx, a.UserID)
		if err != nil {
			return err
		}
		if len(pu.creds) == 0 {
			return errs.E(errs.Conflict, "you have no passkey; use your authenticator app or a recovery code")
		}
		assertion, data, err := s.c.RP.BeginLogin(pu)
		if err != nil {
			return errs.Wrap(errs.Internal, "service.BeginPasskeyProof", "", err)
		}
		return s.keepChallenge(ctx, tx, a.SessionID, data, assertion, &out)
	})
	return out, err
}

// FinishPasskeyProof checks the browser's passkey answer and, if right,
// gives the session its second factor or steps it up, like a code would
// (counted, audited, token rotated). It returns the session's new token.
func (s *Sessions) FinishPasskeyProof(ctx context.Context, a authz.Actor, response []byte) (Session, error) {
	if s.c.RP == nil {
		return Session{}, errNoPasskeys
	}
	parsed, err := protocol.ParseCredentialRequestResponseBytes(response)
	if err != nil {
		return Session{}, errBadPasskey
	}
	return s.prove(ctx, a, "credential", "the passkey's answer is not valid for this request; try again", func(tx mfaStore) (bool, string, error) {
		data, err := s.takeChallenge(ctx, tx, a.SessionID)
		if err != nil {
			return false, "", err
		}
		pu, rows, stored, err := s.loadPasskeyUser(ctx, tx, a.UserID)
		if err != nil {
			return false, "", err
		}
		cred, err := s.c.RP.ValidateLogin(pu, data, parsed)
		if err != nil || cred.Authenticator.CloneWarning {
			return false, "passkey", nil
		}
		for i, r := range rows {
			if string(stored[i].Credential.ID) != string(cred.ID) {
				continue
			}
			stored[i].Credential = *cred // the new sign count
			sealed, err := s.sealPasskey(ctx, tx, a.UserID, r.ID, stored[i])
			if err != nil {
				return false, "", err
			}
			return true, "passkey", tx.UsePasskey(ctx, r.ID, sealed, s.c.Now())
		}
		return false, "passkey", nil
	})
}

// passkeyStore is what the methods in passkeys.go read and write.
type passkeyStore interface {
	audit.Appender
	DeletePasskey(ctx context.Context, userID, id string) error
	InsertPasskey(ctx context.Context, p store.PasskeyRow) error
	SetSessionChallenge(ctx context.Context, sessionID, challenge string) error
	TakeSessionChallenge(ctx context.Context, sessionID string) (string, error)
	UserByID(ctx context.Context, id string) (store.UserRow, error)
	UserPasskeys(ctx context.Context, userID string) ([]store.PasskeyRow, error)
}

// passkeyStoreOf is the compiler's check that the store has every method of passkeyStore.
func passkeyStoreOf(tx *store.Tx) passkeyStore { return tx }
