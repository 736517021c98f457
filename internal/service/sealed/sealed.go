// Package sealed is sealed notes: notes on a customer encrypted in the
// writer's browser for named staff recipients and the organisation's
// recovery key, so that the server — its master key, its database, its
// backups — holds only ciphertext it cannot open (keyring/sealed.go has
// the formats; docs/SECURITY.md "Sealed notes" what the server still sees).
//
// The service checks who may do what and the shapes of what it stores:
// every method needs the sealed_note permission (authz.ObjectSealedNote)
// and, for a note, that the actor may read its customer
// (core.CustomerInScope); reading, sharing and re-keying a note need an
// envelope addressed to the actor. Every call is audited in its own
// transaction (no audit, no data), including the reads.
package sealed

import (
	"context"
	"fmt"
	"maps"
	"regexp"
	"slices"
	"strings"
	"time"

	"strongroom.dev/strongroom/internal/audit"
	"strongroom.dev/strongroom/internal/authz"
	"strongroom.dev/strongroom/internal/errs"
	"strongroom.dev/strongroom/internal/keyring"
	"strongroom.dev/strongroom/internal/service/core"
	"strongroom.dev/strongroom/internal/store"
)

// Notes is the sealed notes' domain service.
type Notes struct{ c *core.Core }

// New returns the sealed notes' service over c.
func New(c *core.Core) *Notes { return &Notes{c: c} }

// Limits on what the server stores.
const (
	MaxBody       = 64 << 10 // a note's plaintext, bytes
	MaxRecipients = 20       // envelopes on one note, the recovery key's included
	// Recovery is the recipient id of the organisation's recovery key.
	Recovery = keyring.RecoveryRecipient
)

// noteID is the shape of a note's id, which the writer's browser chooses
// (the ciphertext binds it, so it must exist before the server sees it).
var noteID = regexp.MustCompile(`^snt_[0-9a-f]{32}$`)

// SealKey is a staff member's key pair for sealed notes: the public key
// and the private key as their browser encrypted it.
type SealKey struct {
	UserID        string    `json:"user_id"`
	PublicKey     []byte    `json:"public_key"`
	PrivateCT     []byte    `json:"private_ct"`
	PrivateNonce  []byte    `json:"private_nonce"`
	KDF           string    `json:"kdf"`
	KDFSalt       []byte    `json:"kdf_salt"`
	KDFIterations int       `json:"kdf_iterations"`
	CreatedAt     time.Time `json:"created_at"`
	// PRF is the private key wrapped a second way, under a passkey's
	// WebAuthn PRF output, when its owner added one (MyKey only).
	PRF *PRFUnlock `json:"prf,omitempty"`
}

// PRFUnlock is a seal key's private key (its JWK) wrapped with AES-256-GCM
// under HKDF-SHA256 of a passkey's WebAuthn PRF output for Salt, associated
// data "strongroom/seal-key/v1|<user id>|prf": a passkey unlocks it
// without the passphrase. CredentialID names the passkey for
// navigator.credentials.get.
type PRFUnlock struct {
	CredentialID []byte `json:"credential_id"`
	Salt         []byte `json:"salt"`
	PrivateCT    []byte `json:"private_ct"`
	PrivateNonce []byte `json:"private_nonce"`
}

// Recipient is someone a note may be sealed to: a staff member with a
// seal key, or the recovery key (ID Recovery).
type Recipient struct {
	ID        string `json:"id"`
	Email     string `json:"email,omitempty"`
	PublicKey []byte `json:"public_key"`
}

// Note is a sealed note as its reader receives it: the ciphertext and the
// reader's own envelope (both empty for a note not sealed to the reader).
type Note struct {
	ID         string    `json:"id"`
	CustomerID string    `json:"customer_id"`
	AuthorID   string    `json:"author_id"`
	KeyVersion int       `json:"key_version"`
	Recipients []string  `json:"recipients"`
	Size       int       `json:"size"` // of the ciphertext, bytes
	Readable   bool      `json:"readable"`
	Ciphertext []byte    `json:"ciphertext,omitempty"`
	Nonce      []byte    `json:"nonce,omitempty"`
	Envelope   []byte    `json:"envelope,omitempty"` // the reader's
	CreatedAt  time.Time `json:"created_at"`
	UpdatedAt  time.Time `json:"updated_at"`
}

// Sealed is a note's body sealed under a new note key with its envelopes,
// by recipient id: what a writer sends, and what a re-keying replaces.
type Sealed struct {
	Ciphertext []byte            `json:"ciphertext"`
	Nonce      []byte            `json:"nonce"`
	Envelopes  map[string][]byte `json:"envelopes"`
}

// NewNote is a note to store: its id, chosen by the writer's browser
// ("snt_" and 32 hexadecimal digits), and its sealed body.
type NewNote struct {
	ID string `json:"id"`
	Sealed
}

func mayUse(a authz.Actor, act authz.Action) error {
	why := "sealed notes are not part of your role"
	if act == authz.ActionCreate {
		why = "your role may not write or share sealed notes"
	}
	return core.May(a, act, authz.ObjectSealedNote, why)
}

// MyKey returns the actor's own seal key (NotExist until they make one).
// Audited (sealed.key_read).
func (s *Notes) MyKey(ctx context.Context, a authz.Actor) (SealKey, error) {
	if err := mayUse(a, authz.ActionRead); err != nil {
		return SealKey{}, err
	}
	var out SealKey
	err := core.Change(ctx, s.c, sealedStoreOf, func(tx sealedStore) error {
		k, err := tx.SealKey(ctx, a.UserID)
		if err != nil {
			return core.NotFound(err, "seal key")
		}
		out = SealKey{UserID: k.UserID, PublicKey: k.PublicKey, PrivateCT: k.PrivateCT, PrivateNonce: k.PrivateNonce, KDF: k.KDF, KDFSalt: k.KDFSalt,
			KDFIterations: k.KDFIterations, CreatedAt: k.CreatedAt}
		if p, err := tx.SealKeyPRF(ctx, a.UserID); err == nil {
			out.PRF = &PRFUnlock{CredentialID: p.CredentialID, Salt: p.Salt, PrivateCT: p.PrivateCT, PrivateNonce: p.PrivateNonce}
		} else if !errs.Is(err, errs.NotExist) {
			return err
		}
		return s.c.Record(ctx, tx, a, "sealed.key_read", "user", a.UserID, nil, audit.Success, "")
	})
	return out, err
}

// SetMyKey stores (or replaces) the actor's seal key, as their browser
// made it. A replaced key no longer opens the envelopes sealed to the old
// one: a reader who forgot their passphrase is re-shared each note.
// Audited (sealed.key_set).
func (s *Notes) SetMyKey(ctx context.Context, a authz.Actor, k SealKey) error {
	if err := mayUse(a, authz.ActionRead); err != nil {
		return err
	}
	if err := keyring.CheckSealPublicKey(k.PublicKey); err != nil {
		return errs.InvalidField("public_key", "a seal public key is an uncompressed P-256 point (65 bytes)")
	}
	switch {
	case len(k.PrivateCT) < 64 || len(k.PrivateCT) > 1024:
		return errs.InvalidField("private_ct", "the encrypted private key is 64 to 1024 bytes")
	case len(k.PrivateNonce) != 12:
		return errs.InvalidField("private_nonce", "the private key's nonce is 12 bytes")
	case k.KDF != keyring.SealKDF:
		return errs.InvalidField("kdf", "the passphrase KDF is PBKDF2-SHA256")
	case len(k.KDFSalt) < 16 || len(k.KDFSalt) > 64:
		return errs.InvalidField("kdf_salt", "the passphrase salt is 16 to 64 bytes")
	case k.KDFIterations < keyring.SealKDFIterations || k.KDFIterations > 10*keyring.SealKDFIterations:
		return errs.InvalidField("kdf_iterations", fmt.Sprintf("PBKDF2 needs %d to %d iterations", keyring.SealKDFIterations, 10*keyring.SealKDFIterations))
	}
	return core.Change(ctx, s.c, sealedStoreOf, func(tx sealedStore) error {
		// Replacing a key cuts its owner off every note sealed to the old
		// one and has writers seal new notes to the new one: a stolen
		// session must not do it, nor an API client acting for the user.
		switch _, err := tx.SealKey(ctx, a.UserID); {
		case err == nil && a.ClientID != "":
			return errs.E(errs.Permission, "an API client may not replace a person's seal key")
		case err == nil:
			if err := s.c.RequireStepUp(a); err != nil {
				return err
			}
		case !errs.Is(err, errs.NotExist):
			return err
		}
		row := store.SealKeyRow{UserID: a.UserID, PublicKey: k.PublicKey, PrivateCT: k.PrivateCT, PrivateNonce: k.PrivateNonce, KDF: k.KDF,
			KDFSalt: k.KDFSalt, KDFIterations: k.KDFIterations, CreatedAt: s.c.Now()}
		if err := tx.PutSealKey(ctx, row); err != nil {
			return err
		}
		return s.c.Record(ctx, tx, a, "sealed.key_set", "user", a.UserID, nil, audit.Success, "")
	})
}

// SetMyPRF adds (or replaces) a passkey unlock of the actor's seal key:
// the private key as their browser wrapped it under a passkey's PRF
// output. Replacing the seal key drops it. Audited (sealed.key_prf_set).
func (s *Notes) SetMyPRF(ctx context.Context, a authz.Actor, p PRFUnlock) error {
	if err := mayUse(a, authz.ActionRead); err != nil {
		return err
	}
	switch {
	case len(p.CredentialID) < 16 || len(p.CredentialID) > 1023:
		return errs.InvalidField("credential_id", "a passkey's credential id is 16 to 1023 bytes")
	case len(p.Salt) != 32:
		return errs.InvalidField("salt", "the PRF salt is 32 bytes")
	case len(p.PrivateCT) < 64 || len(p.PrivateCT) > 1024:
		return errs.InvalidField("private_ct", "the encrypted private key is 64 to 1024 bytes")
	case len(p.PrivateNonce) != 12:
		return errs.InvalidField("private_nonce", "the private key's nonce is 12 bytes")
	}
	return core.Change(ctx, s.c, sealedStoreOf, func(tx sealedStore) error {
		if _, err := tx.SealKey(ctx, a.UserID); err != nil {
			if errs.Is(err, errs.NotExist) {
				return errs.E(errs.Conflict, "make your seal key before adding a passkey to unlock it")
			}
			return err
		}
		if err := tx.PutSealKeyPRF(ctx, store.SealKeyPRFRow{UserID: a.UserID, CredentialID: p.CredentialID, Salt: p.Salt, PrivateCT: p.PrivateCT,
			PrivateNonce: p.PrivateNonce, CreatedAt: s.c.Now()}); err != nil {
			return err
		}
		return s.c.Record(ctx, tx, a, "sealed.key_prf_set", "user", a.UserID, nil, audit.Success, "")
	})
}

// Recipients lists whom the actor may seal a note on customer to: every
// staff member with a seal key, and the recovery key (first) when one is
// set. Audited (sealed.recipients).
func (s *Notes) Recipients(ctx context.Context, a authz.Actor, customerID string) ([]Recipient, error) {
	if err := mayUse(a, authz.ActionCreate); err != nil {
		return nil, err
	}
	var out []Recipient
	err := core.Change(ctx, s.c, sealedStoreOf, func(tx sealedStore) error {
		if _, err := s.c.CustomerInScope(ctx, tx, a, customerID, "sealed.recipients"); err != nil {
			return err
		}
		var err error
		if out, err = s.recipients(ctx, tx); err != nil {
			return err
		}
		return s.c.Record(ctx, tx, a, "sealed.recipients", "customer", customerID, nil, audit.Success, "")
	})
	return out, err
}

func (s *Notes) recipients(ctx context.Context, tx sealedStore) ([]Recipient, error) {
	var out []Recipient
	keys, err := tx.SealPublicKeys(ctx)
	if err != nil {
		return nil, err
	}
	for id, pub := range keys {
		u, err := tx.UserByID(ctx, id)
		if err != nil {
			return nil, err
		}
		if u.Disabled {
			continue
		}
		user, err := s.c.OpenUser(u)
		if err != nil {
			return nil, err
		}
		out = append(out, Recipient{ID: id, Email: user.Email, PublicKey: pub})
	}
	slices.SortFunc(out, func(x, y Recipient) int { return strings.Compare(x.Email, y.Email) })
	if pub, err := tx.SealRecoveryKey(ctx); err == nil {
		out = append([]Recipient{{ID: Recovery, PublicKey: pub}}, out...)
	} else if !errs.Is(err, errs.NotExist) {
		return nil, err
	}
	if out == nil {
		out = []Recipient{}
	}
	return out, nil
}

// check validates a sealed body and its envelopes: sizes, shapes, and that
// each recipient is the recovery key or a staff member with a seal key;
// the actor and (when one is set) the recovery key must be among them, so
// a writer never locks themselves out and recovery always works.
func (s *Notes) check(ctx context.Context, tx sealedStore, a authz.Actor, in Sealed) error {
	switch {
	case len(in.Ciphertext) < 16 || len(in.Ciphertext) > MaxBody+16:
		return errs.InvalidField("ciphertext", fmt.Sprintf("a sealed note's ciphertext is 16 to %d bytes", MaxBody+16))
	case len(in.Nonce) != keyring.NoteNonceSize:
		return errs.InvalidField("nonce", "a sealed note's nonce is 12 bytes")
	case len(in.Envelopes) == 0 || len(in.Envelopes) > MaxRecipients:
		return errs.InvalidField("envelopes", fmt.Sprintf("a sealed note has 1 to %d recipients", MaxRecipients))
	}
	if _, ok := in.Envelopes[a.UserID]; !ok {
		return errs.InvalidField("envelopes", "seal the note to yourself too")
	}
	keys, err := tx.SealPublicKeys(ctx)
	if err != nil {
		return err
	}
	_, err = tx.SealRecoveryKey(ctx)
	recovery := err == nil
	if err != nil && !errs.Is(err, errs.NotExist) {
		return err
	}
	if _, ok := in.Envelopes[Recovery]; recovery && !ok {
		return errs.InvalidField("envelopes", "seal the note to the organisation's recovery key too")
	}
	for id, env := range in.Envelopes {
		if _, ok := keys[id]; !ok && (id != Recovery || !recovery) {
			return errs.InvalidField("envelopes", "a recipient has no seal key")
		}
		if id != Recovery {
			if err := receivable(ctx, tx, id, "envelopes"); err != nil {
				return err
			}
		}
		if keyring.CheckEnvelope(env) != nil {
			return errs.InvalidField("envelopes", fmt.Sprintf("an envelope is %d bytes: version, ephemeral P-256 key, nonce, wrapped key", keyring.EnvelopeSize))
		}
	}
	return nil
}

// receivable refuses a recipient who is no longer an enabled member of
// staff (a disabled account keeps its seal key, to read again if enabled).
func receivable(ctx context.Context, tx sealedStore, id, field string) error {
	u, err := tx.UserByID(ctx, id)
	if errs.Is(err, errs.NotExist) || err == nil && u.Disabled {
		return errs.InvalidField(field, "a recipient is not an enabled member of staff")
	}
	return err
}

// Create stores a new sealed note on customer, written by the actor.
// Audited (sealed.create, naming the recipients).
func (s *Notes) Create(ctx context.Context, a authz.Actor, customerID string, in NewNote) (Note, error) {
	if err := mayUse(a, authz.ActionCreate); err != nil {
		return Note{}, err
	}
	if !noteID.MatchString(in.ID) {
		return Note{}, errs.InvalidField("id", "a sealed note's id is snt_ and 32 hexadecimal digits")
	}
	var out Note
	err := core.Change(ctx, s.c, sealedStoreOf, func(tx sealedStore) error {
		if _, err := s.c.CustomerInScope(ctx, tx, a, customerID, "sealed.create"); err != nil {
			return err
		}
		if err := s.check(ctx, tx, a, in.Sealed); err != nil {
			return err
		}
		now := s.c.Now()
		row := store.SealedNoteRow{ID: in.ID, CustomerID: customerID, AuthorID: a.UserID, Ciphertext: in.Ciphertext, Nonce: in.Nonce, KeyVersion: 1, CreatedAt: now, UpdatedAt: now}
		if err := tx.InsertSealedNote(ctx, row); err != nil {
			if errs.Is(err, errs.Exist) {
				return errs.InvalidField("id", "a sealed note with this id exists; choose another")
			}
			return err
		}
		envs, err := s.putEnvelopes(ctx, tx, a, in.ID, in.Envelopes)
		if err != nil {
			return err
		}
		out = noteOf(a, row, envs)
		return s.c.Record(ctx, tx, a, "sealed.create", "customer", customerID, nil, audit.Success, "note "+in.ID+" to "+recipientList(envs))
	})
	return out, err
}

func (s *Notes) putEnvelopes(ctx context.Context, tx sealedStore, a authz.Actor, id string, in map[string][]byte) ([]store.SealedEnvelopeRow, error) {
	ids := slices.Sorted(maps.Keys(in))
	var out []store.SealedEnvelopeRow
	for _, r := range ids {
		e := store.SealedEnvelopeRow{NoteID: id, RecipientID: r, Envelope: in[r], AddedBy: a.UserID, CreatedAt: s.c.Now()}
		if err := tx.InsertSealedEnvelope(ctx, e); err != nil {
			return nil, err
		}
		out = append(out, e)
	}
	return out, nil
}

func recipientList(envs []store.SealedEnvelopeRow) string {
	ids := make([]string, len(envs))
	for i, e := range envs {
		ids[i] = e.RecipientID
	}
	return strings.Join(ids, ", ")
}

// noteOf is row as a reads it: the ciphertext and a's envelope only when
// the note is sealed to a.
func noteOf(a authz.Actor, row store.SealedNoteRow, envs []store.SealedEnvelopeRow) Note {
	n := Note{ID: row.ID, CustomerID: row.CustomerID, AuthorID: row.AuthorID, KeyVersion: row.KeyVersion, Size: len(row.Ciphertext),
		Recipients: []string{}, CreatedAt: row.CreatedAt, UpdatedAt: row.UpdatedAt}
	for _, e := range envs {
		n.Recipients = append(n.Recipients, e.RecipientID)
		if e.RecipientID == a.UserID && a.UserID != "" {
			n.Envelope, n.Ciphertext, n.Nonce, n.Readable = e.Envelope, row.Ciphertext, row.Nonce, true
		}
	}
	return n
}

// List returns the sealed notes on customer, newest first: who wrote
// them, to whom, when and how large; the ciphertext and envelope only of
// those sealed to the actor. Audited (sealed.list).
func (s *Notes) List(ctx context.Context, a authz.Actor, customerID string) ([]Note, error) {
	if err := mayUse(a, authz.ActionRead); err != nil {
		return nil, err
	}
	out := []Note{}
	err := core.Change(ctx, s.c, sealedStoreOf, func(tx sealedStore) error {
		if _, err := s.c.CustomerInScope(ctx, tx, a, customerID, "sealed.list"); err != nil {
			return err
		}
		rows, err := tx.SealedNotes(ctx, customerID)
		if err != nil {
			return err
		}
		for _, r := range rows {
			envs, err := tx.SealedEnvelopes(ctx, r.ID)
			if err != nil {
				return err
			}
			out = append(out, noteOf(a, r, envs))
		}
		return s.c.Record(ctx, tx, a, "sealed.list", "customer", customerID, nil, audit.Success, fmt.Sprintf("%d notes", len(out)))
	})
	return out, err
}

// opened loads note id for action: the note, its envelopes, after checking
// the actor may read its customer and holds an envelope. A note not sealed
// to the actor is refused (recorded as denied).
func (s *Notes) opened(ctx context.Context, tx sealedStore, a authz.Actor, id, action string) (store.SealedNoteRow, []store.SealedEnvelopeRow, error) {
	row, err := tx.SealedNote(ctx, id)
	if err != nil {
		return row, nil, core.NotFound(err, "sealed note")
	}
	if _, err := s.c.CustomerInScope(ctx, tx, a, row.CustomerID, action); err != nil {
		return row, nil, core.AnswerDenial(err, errs.E(errs.NotExist, "sealed note not found"))
	}
	envs, err := tx.SealedEnvelopes(ctx, id)
	if err != nil {
		return row, nil, err
	}
	if !slices.ContainsFunc(envs, func(e store.SealedEnvelopeRow) bool { return e.RecipientID == a.UserID }) {
		if err := s.c.Record(ctx, tx, a, action, "customer", row.CustomerID, nil, audit.Denied, "note "+id+": not a recipient"); err != nil {
			return row, nil, err
		}
		return row, nil, core.Keeping(errs.E(errs.Permission, "this sealed note is not sealed to you; ask one of its readers to share it"))
	}
	return row, envs, nil
}

// Note returns one note with the actor's envelope, if it is sealed to
// them. Audited (sealed.read).
func (s *Notes) Note(ctx context.Context, a authz.Actor, id string) (Note, error) {
	if err := mayUse(a, authz.ActionRead); err != nil {
		return Note{}, err
	}
	var out Note
	err := core.Change(ctx, s.c, sealedStoreOf, func(tx sealedStore) error {
		row, envs, err := s.opened(ctx, tx, a, id, "sealed.read")
		if err != nil {
			return err
		}
		out = noteOf(a, row, envs)
		return s.c.Record(ctx, tx, a, "sealed.read", "customer", row.CustomerID, nil, audit.Success, "note "+id)
	})
	return out, err
}

// Share adds a recipient to a note: env is the note key the actor's
// browser opened, wrapped to the recipient's public key. Only a reader
// shares. Audited (sealed.share).
func (s *Notes) Share(ctx context.Context, a authz.Actor, id, recipient string, env []byte) error {
	if err := mayUse(a, authz.ActionCreate); err != nil {
		return err
	}
	if keyring.CheckEnvelope(env) != nil {
		return errs.InvalidField("envelope", fmt.Sprintf("an envelope is %d bytes: version, ephemeral P-256 key, nonce, wrapped key", keyring.EnvelopeSize))
	}
	return core.Change(ctx, s.c, sealedStoreOf, func(tx sealedStore) error {
		row, envs, err := s.opened(ctx, tx, a, id, "sealed.share")
		if err != nil {
			return err
		}
		if len(envs) >= MaxRecipients {
			return errs.InvalidField("recipient", fmt.Sprintf("a sealed note has at most %d recipients", MaxRecipients))
		}
		if _, err := tx.SealKey(ctx, recipient); err != nil || recipient == Recovery {
			return errs.InvalidField("recipient", "a recipient has no seal key")
		}
		if err := receivable(ctx, tx, recipient, "recipient"); err != nil {
			return err
		}
		if err := tx.InsertSealedEnvelope(ctx, store.SealedEnvelopeRow{NoteID: id, RecipientID: recipient, Envelope: env, AddedBy: a.UserID, CreatedAt: s.c.Now()}); err != nil {
			if errs.Is(err, errs.Exist) {
				return errs.E(errs.Conflict, "the note is already sealed to this recipient")
			}
			return err
		}
		return s.c.Record(ctx, tx, a, "sealed.share", "customer", row.CustomerID, nil, audit.Success, "note "+id+" to "+recipient)
	})
}

// Rekey replaces a note's ciphertext and every envelope at once; only the
// note's author may, and she stays a reader (check). Her browser sealed the body under a new note key for the recipients
// who remain (a recipient removed keeps at most the old key, which opens
// nothing the server still serves). from is the key version the browser
// opened; a note re-keyed since is a conflict. Audited (sealed.rekey,
// naming who was removed).
func (s *Notes) Rekey(ctx context.Context, a authz.Actor, id string, from int, in Sealed) (Note, error) {
	if err := mayUse(a, authz.ActionCreate); err != nil {
		return Note{}, err
	}
	var out Note
	err := core.Change(ctx, s.c, sealedStoreOf, func(tx sealedStore) error {
		row, envs, err := s.opened(ctx, tx, a, id, "sealed.rekey")
		if err != nil {
			return err
		}
		if row.AuthorID != a.UserID {
			// The note keeps naming its author: only she may replace its text.
			return errs.E(errs.Permission, "only the note's author may re-key it or remove its readers")
		}
		if row.KeyVersion != from {
			return errs.E(errs.Conflict, "the note was re-keyed meanwhile; open it again")
		}
		if err := s.check(ctx, tx, a, in); err != nil {
			return err
		}

		var removed []string
		for _, e := range envs {
			if _, ok := in.Envelopes[e.RecipientID]; !ok {
				removed = append(removed, e.RecipientID)
			}
		}
		row.Ciphertext, row.Nonce, row.KeyVersion, row.UpdatedAt = in.Ciphertext, in.Nonce, from+1, s.c.Now()
		if err := tx.RekeySealedNote(ctx, row, from); err != nil {
			if errs.Is(err, errs.NotExist) {
				return errs.E(errs.Conflict, "the note was re-keyed meanwhile; open it again")
			}
			return err
		}
		newEnvs, err := s.putEnvelopes(ctx, tx, a, id, in.Envelopes)
		if err != nil {
			return err
		}
		out = noteOf(a, row, newEnvs)
		return s.c.Record(ctx, tx, a, "sealed.rekey", "customer", row.CustomerID, nil, audit.Success,
			fmt.Sprintf("note %s: key version %d, to %s; removed: %v", id, row.KeyVersion, recipientList(newEnvs), removed))
	})
	return out, err
}

// SetRecoveryKey stores the organisation's recovery public key (an
// uncompressed P-256 point). Only the host's command line (`strongroom keys
// recovery-set`) sets it. Notes written before keep their envelopes.
// Audited (sealed.recovery_set).
func (s *Notes) SetRecoveryKey(ctx context.Context, a authz.Actor, pub []byte) error {
	if a.UserID != authz.SystemUserID {
		return errs.E(errs.Permission, "the recovery key is set on the host's command line (strongroom keys recovery-set)")
	}
	if err := keyring.CheckSealPublicKey(pub); err != nil {
		return errs.InvalidField("public_key", "a seal public key is an uncompressed P-256 point (65 bytes)")
	}
	return core.Change(ctx, s.c, sealedStoreOf, func(tx sealedStore) error {
		if err := tx.SetSealRecoveryKey(ctx, pub, a.UserID, s.c.Now()); err != nil {
			return err
		}
		return s.c.Record(ctx, tx, a, "sealed.recovery_set", "seal_recovery", "1", nil, audit.Success, "")
	})
}

// ForRecovery returns a note with its recovery envelope, for `strongroom
// keys recovery-open` on the host, which opens it offline with the
// recovery private key. Only the host's command line; audited
// (sealed.recovery_open) before anything is returned.
func (s *Notes) ForRecovery(ctx context.Context, a authz.Actor, id, reason string) (Note, error) {
	if a.UserID != authz.SystemUserID {
		return Note{}, errs.E(errs.Permission, "sealed notes are recovered on the host's command line (strongroom keys recovery-open)")
	}
	var out Note
	err := core.Change(ctx, s.c, sealedStoreOf, func(tx sealedStore) error {
		row, err := tx.SealedNote(ctx, id)
		if err != nil {
			return core.NotFound(err, "sealed note")
		}
		envs, err := tx.SealedEnvelopes(ctx, id)
		if err != nil {
			return err
		}
		out = noteOf(authz.Actor{UserID: Recovery}, row, envs)
		if !out.Readable {
			return errs.E(errs.NotExist, "this sealed note has no envelope for the recovery key")
		}
		return s.c.Record(ctx, tx, a, "sealed.recovery_open", "customer", row.CustomerID, nil, audit.Success, "note "+id+": "+reason)
	})
	return out, err
}

// sealedStore is what the methods in sealed.go read and write.
type sealedStore interface {
	core.CustomerStore
	UserByID(ctx context.Context, id string) (store.UserRow, error)
	SealKey(ctx context.Context, userID string) (store.SealKeyRow, error)
	PutSealKey(ctx context.Context, k store.SealKeyRow) error
	SealKeyPRF(ctx context.Context, userID string) (store.SealKeyPRFRow, error)
	PutSealKeyPRF(ctx context.Context, k store.SealKeyPRFRow) error
	SealPublicKeys(ctx context.Context) (map[string][]byte, error)
	SealRecoveryKey(ctx context.Context) ([]byte, error)
	SetSealRecoveryKey(ctx context.Context, pub []byte, by string, at time.Time) error
	SealedNote(ctx context.Context, id string) (store.SealedNoteRow, error)
	SealedNotes(ctx context.Context, customerID string) ([]store.SealedNoteRow, error)
	InsertSealedNote(ctx context.Context, n store.SealedNoteRow) error
	RekeySealedNote(ctx context.Context, n store.SealedNoteRow, from int) error
	SealedEnvelopes(ctx context.Context, noteID string) ([]store.SealedEnvelopeRow, error)
	InsertSealedEnvelope(ctx context.Context, e store.SealedEnvelopeRow) error
}

// sealedStoreOf is the compiler's check that the store has every method of sealedStore.
func sealedStoreOf(tx *store.Tx) sealedStore { return tx }
