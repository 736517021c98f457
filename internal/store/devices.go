package store

import (
	"context"
	"time"
)

// DeviceRow is a field device a user enrolled for the field app.
type DeviceRow struct {
	ID            string
	UserID        string
	NameCT        []byte // the name its user gave it, sealed under the user's key
	Platform      string
	AppVersion    string
	JKT           string // RFC 7638 thumbprint of the device's public key
	State         string // active, locked, wipe_ordered, wipe_delivered, wiped
	LeaseSealed   []byte // the lease secret, sealed under the user's key; nil once locked or wiped
	WipeCodeHash  []byte // hash of the code the app confirms a wipe with
	WipeOrderedAt time.Time
	WipeOrderedBy string
	WipeDoneAt    time.Time
	Escalated     bool
	LastContactAt time.Time
	LastPlaceCT   []byte // the last coarse place, sealed under the user's key
	CreatedAt     time.Time
	UpdatedAt     time.Time
}

// deviceRows are the field devices, one part of a Tx.
type deviceRows struct{ *conn }

const deviceColumns = "id, user_id, name_ct, platform, app_version, jkt, state, lease_ct, wipe_code_hash, wipe_ordered_at, wipe_ordered_by, wipe_done_at, escalated, last_contact_at, last_place_ct, created_at, updated_at"

func scanDevice(row interface{ Scan(...any) error }) (DeviceRow, error) {
	var d DeviceRow
	var ordered, done, contact, created, updated int64
	var escalated int
	err := row.Scan(&d.ID, &d.UserID, &d.NameCT, &d.Platform, &d.AppVersion, &d.JKT, &d.State, &d.LeaseSealed, &d.WipeCodeHash, &ordered, &d.WipeOrderedBy,
		&done, &escalated, &contact, &d.LastPlaceCT, &created, &updated)
	if err != nil {
		return d, err
	}
	for _, t := range []struct {
		dst *time.Time
		us  int64
	}{{&d.WipeOrderedAt, ordered}, {&d.WipeDoneAt, done}, {&d.LastContactAt, contact}} {
		if t.us > 0 {
			*t.dst = fromMicro(t.us)
		}
	}
	d.Escalated, d.CreatedAt, d.UpdatedAt = escalated != 0, fromMicro(created), fromMicro(updated)
	return d, nil
}

// InsertDevice stores a newly enrolled device.
func (tx *deviceRows) InsertDevice(ctx context.Context, d DeviceRow) error {
	_, err := tx.exec(ctx, "INSERT INTO devices ("+deviceColumns+") VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
		d.ID, d.UserID, d.NameCT, d.Platform, d.AppVersion, d.JKT, d.State, d.LeaseSealed, d.WipeCodeHash, micro(d.WipeOrderedAt), d.WipeOrderedBy,
		micro(d.WipeDoneAt), boolInt(d.Escalated), micro(d.LastContactAt), d.LastPlaceCT, d.CreatedAt.UnixMicro(), d.UpdatedAt.UnixMicro())
	return classify("store.InsertDevice", err)
}

// DeviceByID returns one device.
func (tx *deviceRows) DeviceByID(ctx context.Context, id string) (DeviceRow, error) {
	d, err := scanDevice(tx.queryRow(ctx, "SELECT "+deviceColumns+" FROM devices WHERE id = ?", id))
	return d, classify("store.DeviceByID", err)
}

// DeviceByJKT returns the device bound to a key thumbprint.
func (tx *deviceRows) DeviceByJKT(ctx context.Context, jkt string) (DeviceRow, error) {
	d, err := scanDevice(tx.queryRow(ctx, "SELECT "+deviceColumns+" FROM devices WHERE jkt = ?", jkt))
	return d, classify("store.DeviceByJKT", err)
}

// ListDevices returns the devices of one user, or of everyone for "",
// newest first.
func (tx *deviceRows) ListDevices(ctx context.Context, userID string) ([]DeviceRow, error) {
	q, args := "SELECT "+deviceColumns+" FROM devices", []any{}
	if userID != "" {
		q, args = q+" WHERE user_id = ?", append(args, userID)
	}
	rows, err := tx.query(ctx, q+" ORDER BY created_at DESC, id", args...)
	if err != nil {
		return nil, classify("store.ListDevices", err)
	}
	defer rows.Close()
	var out []DeviceRow
	for rows.Next() {
		d, err := scanDevice(rows)
		if err != nil {
			return nil, classify("store.ListDevices", err)
		}
		out = append(out, d)
	}
	return out, classify("store.ListDevices", rows.Err())
}

// UpdateDevice writes a device's mutable columns back.
func (tx *deviceRows) UpdateDevice(ctx context.Context, d DeviceRow) error {
	return tx.updateOne(ctx, "store.UpdateDevice", `UPDATE devices SET name_ct = ?, app_version = ?, state = ?, lease_ct = ?, wipe_code_hash = ?, wipe_ordered_at = ?,
		wipe_ordered_by = ?, wipe_done_at = ?, escalated = ?, last_contact_at = ?, last_place_ct = ?, updated_at = ? WHERE id = ?`,
		d.NameCT, d.AppVersion, d.State, d.LeaseSealed, d.WipeCodeHash, micro(d.WipeOrderedAt), d.WipeOrderedBy, micro(d.WipeDoneAt), boolInt(d.Escalated),
		micro(d.LastContactAt), d.LastPlaceCT, d.UpdatedAt.UnixMicro(), d.ID)
}

// DeleteDeviceSessions ends every session bound to a device (its tokens)
// and returns how many ended.
func (tx *deviceRows) DeleteDeviceSessions(ctx context.Context, deviceID string) (int, error) {
	res, err := tx.exec(ctx, "DELETE FROM sessions WHERE device_id = ?", deviceID)
	if err != nil {
		return 0, classify("store.DeleteDeviceSessions", err)
	}
	n, err := res.RowsAffected()
	return int(n), classify("store.DeleteDeviceSessions", err)
}

// UnconfirmedWipes returns the devices whose wipe was ordered before
// `before`, is not confirmed, and has not been escalated yet.
func (tx *deviceRows) UnconfirmedWipes(ctx context.Context, before time.Time) ([]DeviceRow, error) {
	rows, err := tx.query(ctx, "SELECT "+deviceColumns+" FROM devices WHERE state IN ('wipe_ordered', 'wipe_delivered') AND escalated = 0 AND wipe_ordered_at <= ? ORDER BY wipe_ordered_at, id", before.UnixMicro())
	if err != nil {
		return nil, classify("store.UnconfirmedWipes", err)
	}
	defer rows.Close()
	var out []DeviceRow
	for rows.Next() {
		d, err := scanDevice(rows)
		if err != nil {
			return nil, classify("store.UnconfirmedWipes", err)
		}
		out = append(out, d)
	}
	return out, classify("store.UnconfirmedWipes", rows.Err())
}

// MarkWipeEscalated records that a device's unconfirmed wipe raised its
// alert; NotExist when it had been already (another server was first).
func (tx *deviceRows) MarkWipeEscalated(ctx context.Context, id string, now time.Time) error {
	return tx.updateOne(ctx, "store.MarkWipeEscalated", "UPDATE devices SET escalated = 1, updated_at = ? WHERE id = ? AND escalated = 0", now.UnixMicro(), id)
}
