package store

import (
	"context"
	"time"
)

// SealKeyRow is a staff member's sealed-notes key pair: the public key, and
// the private key encrypted in their browser under a passphrase-derived
// key the server never sees.
type SealKeyRow struct {
	UserID        string
	PublicKey     []byte // ECDH P-256, uncompressed point
	PrivateCT     []byte // AES-256-GCM of the private key (a JWK)
	PrivateNonce  []byte
	KDF           string // "PBKDF2-SHA256"
	KDFSalt       []byte
	KDFIterations int
	CreatedAt     time.Time
}

// SealKeyPRFRow is a seal key's private key wrapped under a key derived
// from a passkey's WebAuthn PRF output.
type SealKeyPRFRow struct {
	UserID       string
	CredentialID []byte
	Salt         []byte
	PrivateCT    []byte
	PrivateNonce []byte
	CreatedAt    time.Time
}

// SealKeyPRF returns a user's passkey-wrapped private key.
func (tx *sealedRows) SealKeyPRF(ctx context.Context, userID string) (SealKeyPRFRow, error) {
	var k SealKeyPRFRow
	var created int64
	err := tx.queryRow(ctx, "SELECT user_id, credential_id, prf_salt, private_ct, private_nonce, created_at FROM seal_key_prf WHERE user_id = ?", userID).
		Scan(&k.UserID, &k.CredentialID, &k.Salt, &k.PrivateCT, &k.PrivateNonce, &created)
	k.CreatedAt = fromMicro(created)
	return k, classify("store.SealKeyPRF", err)
}

// PutSealKeyPRF stores or replaces a user's passkey-wrapped private key.
func (tx *sealedRows) PutSealKeyPRF(ctx context.Context, k SealKeyPRFRow) error {
	if _, err := tx.exec(ctx, "DELETE FROM seal_key_prf WHERE user_id = ?", k.UserID); err != nil {
		return classify("store.PutSealKeyPRF", err)
	}
	_, err := tx.exec(ctx, "INSERT INTO seal_key_prf (user_id, credential_id, prf_salt, private_ct, private_nonce, created_at) VALUES (?, ?, ?, ?, ?, ?)",
		k.UserID, k.CredentialID, k.Salt, k.PrivateCT, k.PrivateNonce, k.CreatedAt.UnixMicro())
	return classify("store.PutSealKeyPRF", err)
}

// SealedNoteRow is a sealed note: ciphertext only.
type SealedNoteRow struct {
	ID         string
	CustomerID string
	AuthorID   string
	Ciphertext []byte
	Nonce      []byte
	KeyVersion int
	CreatedAt  time.Time
	UpdatedAt  time.Time
}

// SealedEnvelopeRow is a note key wrapped to one recipient (a user id, or
// "recovery").
type SealedEnvelopeRow struct {
	NoteID      string
	RecipientID string
	Envelope    []byte
	AddedBy     string
	CreatedAt   time.Time
}

// sealedRows are the sealed notes, their envelopes and the seal keys, one part of a Tx.
type sealedRows struct{ *conn }

const sealKeyColumns = "user_id, public_key, private_ct, private_nonce, kdf, kdf_salt, kdf_iterations, created_at"

// SealKey returns a user's seal key.
func (tx *sealedRows) SealKey(ctx context.Context, userID string) (SealKeyRow, error) {
	var k SealKeyRow
	var created int64
	err := tx.queryRow(ctx, "SELECT "+sealKeyColumns+" FROM seal_keys WHERE user_id = ?", userID).
		Scan(&k.UserID, &k.PublicKey, &k.PrivateCT, &k.PrivateNonce, &k.KDF, &k.KDFSalt, &k.KDFIterations, &created)
	k.CreatedAt = fromMicro(created)
	return k, classify("store.SealKey", err)
}

// PutSealKey stores or replaces a user's seal key.
func (tx *sealedRows) PutSealKey(ctx context.Context, k SealKeyRow) error {
	if _, err := tx.exec(ctx, "DELETE FROM seal_keys WHERE user_id = ?", k.UserID); err != nil {
		return classify("store.PutSealKey", err)
	}
	_, err := tx.exec(ctx, "INSERT INTO seal_keys ("+sealKeyColumns+") VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
		k.UserID, k.PublicKey, k.PrivateCT, k.PrivateNonce, k.KDF, k.KDFSalt, k.KDFIterations, k.CreatedAt.UnixMicro())
	return classify("store.PutSealKey", err)
}

// SealPublicKeys returns every user's seal public key, by user id.
func (tx *sealedRows) SealPublicKeys(ctx context.Context) (map[string][]byte, error) {
	rows, err := tx.query(ctx, "SELECT user_id, public_key FROM seal_keys ORDER BY user_id")
	if err != nil {
		return nil, classify("store.SealPublicKeys", err)
	}
	defer rows.Close()
	out := map[string][]byte{}
	for rows.Next() {
		var id string
		var pub []byte
		if err := rows.Scan(&id, &pub); err != nil {
			return nil, classify("store.SealPublicKeys", err)
		}
		out[id] = pub
	}
	return out, classify("store.SealPublicKeys", rows.Err())
}

// SealRecoveryKey returns the organisation's recovery public key.
func (tx *sealedRows) SealRecoveryKey(ctx context.Context) ([]byte, error) {
	var pub []byte
	err := tx.queryRow(ctx, "SELECT public_key FROM seal_recovery WHERE id = 1").Scan(&pub)
	return pub, classify("store.SealRecoveryKey", err)
}

// SetSealRecoveryKey stores or replaces the organisation's recovery public key.
func (tx *sealedRows) SetSealRecoveryKey(ctx context.Context, pub []byte, by string, at time.Time) error {
	if _, err := tx.exec(ctx, "DELETE FROM seal_recovery WHERE id = 1"); err != nil {
		return classify("store.SetSealRecoveryKey", err)
	}
	_, err := tx.exec(ctx, "INSERT INTO seal_recovery (id, public_key, set_by, created_at) VALUES (1, ?, ?, ?)", pub, by, at.UnixMicro())
	return classify("store.SetSealRecoveryKey", err)
}

const sealedNoteColumns = "id, customer_id, author_id, ciphertext, nonce, key_version, created_at, updated_at"

func scanSealedNote(row interface{ Scan(...any) error }) (SealedNoteRow, error) {
	var n SealedNoteRow
	var created, updated int64
	err := row.Scan(&n.ID, &n.CustomerID, &n.AuthorID, &n.Ciphertext, &n.Nonce, &n.KeyVersion, &created, &updated)
	n.CreatedAt, n.UpdatedAt = fromMicro(created), fromMicro(updated)
	return n, err
}

// SealedNote returns one sealed note.
func (tx *sealedRows) SealedNote(ctx context.Context, id string) (SealedNoteRow, error) {
	n, err := scanSealedNote(tx.queryRow(ctx, "SELECT "+sealedNoteColumns+" FROM sealed_notes WHERE id = ?", id))
	return n, classify("store.SealedNote", err)
}

// SealedNotes returns a customer's sealed notes, newest first.
func (tx *sealedRows) SealedNotes(ctx context.Context, customerID string) ([]SealedNoteRow, error) {
	rows, err := tx.query(ctx, "SELECT "+sealedNoteColumns+" FROM sealed_notes WHERE customer_id = ? ORDER BY created_at DESC, id DESC", customerID)
	if err != nil {
		return nil, classify("store.SealedNotes", err)
	}
	defer rows.Close()
	var out []SealedNoteRow
	for rows.Next() {
		n, err := scanSealedNote(rows)
		if err != nil {
			return nil, classify("store.SealedNotes", err)
		}
		out = append(out, n)
	}
	return out, classify("store.SealedNotes", rows.Err())
}

// InsertSealedNote stores a new sealed note.
func (tx *sealedRows) InsertSealedNote(ctx context.Context, n SealedNoteRow) error {
	_, err := tx.exec(ctx, "INSERT INTO sealed_notes ("+sealedNoteColumns+") VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
		n.ID, n.CustomerID, n.AuthorID, n.Ciphertext, n.Nonce, n.KeyVersion, n.CreatedAt.UnixMicro(), n.UpdatedAt.UnixMicro())
	return classify("store.InsertSealedNote", err)
}

// RekeySealedNote replaces a note's ciphertext (under a new note key) and
// removes every envelope of the old key, if the note is still at version
// from; none at that version is NotExist.
func (tx *sealedRows) RekeySealedNote(ctx context.Context, n SealedNoteRow, from int) error {
	if err := tx.updateOne(ctx, "store.RekeySealedNote", "UPDATE sealed_notes SET ciphertext = ?, nonce = ?, key_version = ?, updated_at = ? WHERE id = ? AND key_version = ?",
		n.Ciphertext, n.Nonce, n.KeyVersion, n.UpdatedAt.UnixMicro(), n.ID, from); err != nil {
		return err
	}
	_, err := tx.exec(ctx, "DELETE FROM sealed_envelopes WHERE note_id = ?", n.ID)
	return classify("store.RekeySealedNote", err)
}

// SealedEnvelopes returns a note's envelopes, by recipient.
func (tx *sealedRows) SealedEnvelopes(ctx context.Context, noteID string) ([]SealedEnvelopeRow, error) {
	rows, err := tx.query(ctx, "SELECT note_id, recipient_id, envelope, added_by, created_at FROM sealed_envelopes WHERE note_id = ? ORDER BY recipient_id", noteID)
	if err != nil {
		return nil, classify("store.SealedEnvelopes", err)
	}
	defer rows.Close()
	var out []SealedEnvelopeRow
	for rows.Next() {
		var e SealedEnvelopeRow
		var created int64
		if err := rows.Scan(&e.NoteID, &e.RecipientID, &e.Envelope, &e.AddedBy, &created); err != nil {
			return nil, classify("store.SealedEnvelopes", err)
		}
		e.CreatedAt = fromMicro(created)
		out = append(out, e)
	}
	return out, classify("store.SealedEnvelopes", rows.Err())
}

// InsertSealedEnvelope adds a recipient's envelope; one already there is Exist.
func (tx *sealedRows) InsertSealedEnvelope(ctx context.Context, e SealedEnvelopeRow) error {
	_, err := tx.exec(ctx, "INSERT INTO sealed_envelopes (note_id, recipient_id, envelope, added_by, created_at) VALUES (?, ?, ?, ?, ?)",
		e.NoteID, e.RecipientID, e.Envelope, e.AddedBy, e.CreatedAt.UnixMicro())
	return classify("store.InsertSealedEnvelope", err)
}
