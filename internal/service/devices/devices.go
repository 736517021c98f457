// Package devices is the field devices of the field app (issue 15): a
// logged-in user enrols a device, which generated a non-extractable P-256
// key pair in the browser; the device's session token is bound to that key
// (DPoP, RFC 9449: authn.VerifyDPoP), so a copied token fails from another
// key. The device's offline copy is encrypted under a device key that is
// wrapped with a lease secret the server hands out per contact and that the
// app forgets after the offline lease. An administrator or the device's own
// user locks a device (its tokens and lease secret end at once) or orders a
// wipe, delivered at the next contact with Clear-Site-Data and confirmed by
// the app with a one-time code; an unconfirmed wipe raises an alert after
// --wipe-escalate. Every change is audited, with Actor.DeviceID set for the
// device's own requests.
package devices

import (
	"context"
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
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

// Device states.
const (
	Active        = "active"
	Locked        = "locked"
	WipeOrdered   = "wipe_ordered"   // not yet delivered
	WipeDelivered = "wipe_delivered" // answered at a contact, not yet confirmed
	Wiped         = "wiped"
)

// Devices is the domain service of field devices.
type Devices struct {
	c        *core.Core
	lease    time.Duration
	escalate time.Duration
	minVer   string
	required []authz.Role
	replay   *authn.ReplayCache
}

// New returns the devices service over c with the device options of opt.
func New(c *core.Core, opt core.Options) *Devices {
	d := &Devices{c: c, lease: opt.OfflineLease, escalate: opt.WipeEscalate, minVer: opt.DeviceMinVersion, replay: authn.NewReplayCache()}
	if d.lease <= 0 {
		d.lease = 12 * time.Hour
	}
	if d.escalate <= 0 {
		d.escalate = 24 * time.Hour
	}
	for _, r := range opt.DeviceRequiredRoles {
		if r = strings.TrimSpace(r); r != "" {
			d.required = append(d.required, authz.Role(r))
		}
	}
	return d
}

// Device is a device as its user and administrators see it.
type Device struct {
	ID            string     `json:"id"`
	UserID        string     `json:"user_id"`
	UserEmail     string     `json:"user_email"`
	Name          string     `json:"name"`
	Platform      string     `json:"platform"`
	AppVersion    string     `json:"app_version"`
	State         string     `json:"state"`
	LastContactAt *time.Time `json:"last_contact_at,omitempty"`
	LastPlace     string     `json:"last_place,omitempty"` // coarse: latitude, longitude to 0.01° (about 1 km)
	WipeOrderedAt *time.Time `json:"wipe_ordered_at,omitempty"`
	WipeDoneAt    *time.Time `json:"wipe_confirmed_at,omitempty"`
	CreatedAt     time.Time  `json:"created_at"`
}

// Input is what a device tells at enrolment.
type Input struct {
	Name       string `json:"name"`
	Platform   string `json:"platform"`
	AppVersion string `json:"app_version"`
}

// Enrolment is the answer to an enrolment: the device and its token,
// bound to the device's key (send it as Authorization: DPoP with a proof).
type Enrolment struct {
	Device    Device    `json:"device"`
	Token     string    `json:"token"`
	ExpiresAt time.Time `json:"expires_at"`
}

// Lease is the secret that wraps the device's data key, and until when the
// app may keep it without contact.
type Lease struct {
	Secret    string    `json:"secret"` // base64url, 32 bytes
	ExpiresAt time.Time `json:"expires_at"`
	Seconds   int64     `json:"seconds"`
}

// WipeOrder is the answer to a device whose wipe was ordered: the app
// deletes its storage and keys and confirms with Code.
type WipeOrder struct {
	DeviceID string
	Code     string
}

func (w *WipeOrder) Error() string { return "this device's data must be wiped" }

// Refused is a device request refused because of the device's state
// (locked, wiped) or posture (app version): the app forgets its lease.
type Refused struct {
	State string
	Err   *errs.Error // a Permission error with the message shown
}

func (r *Refused) Error() string { return r.Err.Error() }
func (r *Refused) Unwrap() error { return r.Err }

func refused(state, msg string) *Refused {
	return &Refused{State: state, Err: errs.E(errs.Permission, msg)}
}

func leasePlace(id string) fieldcrypt.Place {
	return fieldcrypt.Place{Table: "devices", Column: "lease_ct", Row: id}
}

func namePlace(id string) fieldcrypt.Place {
	return fieldcrypt.Place{Table: "devices", Column: "name_ct", Row: id}
}

func placePlace(id string) fieldcrypt.Place {
	return fieldcrypt.Place{Table: "devices", Column: "last_place_ct", Row: id}
}

// OfflineLease is how long a device may read its offline copy without
// contact.
func (s *Devices) OfflineLease() time.Duration { return s.lease }

// Posture refuses an API request by a holder of a role that must use an
// enrolled device, made without one.
func (s *Devices) Posture(a authz.Actor) error {
	if a.DeviceID != "" || a.UserID == "" {
		return nil
	}
	for _, r := range s.required {
		if slices.Contains(a.Roles, r) {
			return errs.E(errs.Permission, "your role ("+string(r)+") must use the API from the field app on an enrolled device: open /app/ to enrol this device")
		}
	}
	return nil
}

// Proof verifies a DPoP proof for a request (authn.VerifyDPoP).
func (s *Devices) Proof(proof, method, target, token string) (authn.DPoPProof, error) {
	p, err := authn.VerifyDPoP(proof, method, target, token, s.c.Now())
	if err != nil {
		return p, errs.Wrap(errs.Unauthenticated, "devices.Proof", err.Error(), err)
	}
	return p, nil
}

// Fresh records the proof's jti and refuses one seen before.
func (s *Devices) fresh(p authn.DPoPProof) error {
	if !s.replay.Fresh(p, s.c.Now()) {
		return errs.E(errs.Unauthenticated, "DPoP proof refused: this proof was used before (jti)")
	}
	return nil
}

// checkVersion refuses an app older than the minimum.
func (s *Devices) checkVersion(v string) error {
	if s.minVer != "" && compareVersions(v, s.minVer) < 0 {
		return refused("outdated", fmt.Sprintf("field app %s is older than the minimum this server accepts (%s): update the app", v, s.minVer))
	}
	return nil
}

// compareVersions compares dotted numeric versions ("1.10.2" > "1.9").
func compareVersions(a, b string) int {
	pa, pb := strings.Split(a, "."), strings.Split(b, ".")
	for i := range max(len(pa), len(pb)) {
		var x, y int
		if i < len(pa) {
			x, _ = strconv.Atoi(pa[i])
		}
		if i < len(pb) {
			y, _ = strconv.Atoi(pb[i])
		}
		if x != y {
			if x < y {
				return -1
			}
			return 1
		}
	}
	return 0
}

func (in *Input) check() error {
	var err error
	if in.Name, err = crm.Label("name", in.Name, 80); err != nil {
		return err
	}
	if in.Name == "" {
		return errs.InvalidField("name", "name the device, e.g. \"Li's phone\"")
	}
	if in.Platform, err = crm.Label("platform", in.Platform, 80); err != nil {
		return err
	}
	if in.Platform == "" {
		return errs.InvalidField("platform", "say the device's platform, e.g. Android")
	}
	if len(in.AppVersion) > 20 || in.AppVersion == "" || strings.Trim(in.AppVersion, "0123456789.") != "" {
		return errs.InvalidField("app_version", "the app version is dotted numbers, e.g. 1.2.0")
	}
	return nil
}

// Enrol enrols the device whose key signed proof for the actor's user, or,
// if that key is already enrolled by this user and active, issues it a new
// token (after the old one expired). The token is a session of its own
// bound to the device. Audited (device.enrol, device.token).
func (s *Devices) Enrol(ctx context.Context, a authz.Actor, in Input, proof authn.DPoPProof) (Enrolment, error) {
	if a.UserID == "" || a.SessionID == "" {
		return Enrolment{}, errs.E(errs.Unauthenticated, "log in first to enrol a device")
	}
	if a.DeviceID != "" {
		return Enrolment{}, errs.E(errs.Permission, "enrol a device from a login session, not from another device")
	}
	if err := in.check(); err != nil {
		return Enrolment{}, err
	}
	if err := s.checkVersion(in.AppVersion); err != nil {
		return Enrolment{}, err
	}
	if err := s.fresh(proof); err != nil {
		return Enrolment{}, err
	}
	now := s.c.Now()
	var out Enrolment
	err := core.Change(ctx, s.c, deviceStoreOf, func(tx deviceStore) error {
		u, err := tx.UserByID(ctx, a.UserID)
		if err != nil {
			return core.NotFound(err, "user")
		}
		key, err := s.c.Keys.OpenDataKey(u.ID, u.WrappedKey)
		if err != nil {
			return errs.Wrap(errs.Internal, "devices.Enrol", "", err)
		}
		d, err := tx.DeviceByJKT(ctx, proof.JKT)
		action := "device.token"
		switch {
		case errs.Is(err, errs.NotExist):
			secret := make([]byte, 32)
			rand.Read(secret)
			d = store.DeviceRow{ID: crm.NewID("dev"), UserID: u.ID, Platform: in.Platform, AppVersion: in.AppVersion, JKT: proof.JKT,
				State: Active, CreatedAt: now, UpdatedAt: now, LastContactAt: now}
			if d.LeaseSealed, err = fieldcrypt.SealBytes(key, leasePlace(d.ID), secret); err != nil {
				return err
			}
			if d.NameCT, err = fieldcrypt.Seal(key, namePlace(d.ID), in.Name); err != nil {
				return err
			}
			if err := tx.InsertDevice(ctx, d); err != nil {
				return err
			}
			action = "device.enrol"
		case err != nil:
			return err
		case d.UserID != u.ID || d.State != Active:
			return errs.E(errs.Permission, "this device key is not an active device of yours; enrol again from a fresh install")
		default:
			d.AppVersion, d.LastContactAt, d.UpdatedAt = in.AppVersion, now, now
			if d.NameCT, err = fieldcrypt.Seal(key, namePlace(d.ID), in.Name); err != nil {
				return err
			}
			if err := tx.UpdateDevice(ctx, d); err != nil {
				return err
			}
		}
		token, hash := authn.NewToken()
		sess := store.SessionRow{ID: crm.NewID("ses"), TokenHash: hash, UserID: u.ID, TokenKey: u.TokenKey, CreatedAt: now, LastSeenAt: now,
			ExpiresAt: now.Add(s.c.Absolute), VerifiedAt: a.VerifiedAt, DeviceID: d.ID}
		// The sessions page shows where a session came from, sealed under
		// the user's key as for a login: here the device, and the address.
		if sess.AgentCT, err = fieldcrypt.Seal(key, fieldcrypt.Place{Table: "sessions", Column: "agent_ct", Row: sess.ID},
			fmt.Sprintf("Strongroom field app %s: %s (%s)", in.AppVersion, in.Name, in.Platform)); err != nil {
			return err
		}
		if sess.IPCT, err = fieldcrypt.Seal(key, fieldcrypt.Place{Table: "sessions", Column: "ip_ct", Row: sess.ID}, a.IP); err != nil {
			return err
		}
		if err := tx.InsertSession(ctx, sess); err != nil {
			return err
		}
		out = Enrolment{Device: deviceOf(d, in.Name, ""), Token: token, ExpiresAt: sess.ExpiresAt}
		da := a
		da.DeviceID = d.ID
		return s.c.Record(ctx, tx, da, action, "device", d.ID, nil, audit.Success,
			fmt.Sprintf("%s, app %s", in.Platform, in.AppVersion))
	})
	return out, err
}

func deviceOf(d store.DeviceRow, name, place string) Device {
	out := Device{ID: d.ID, UserID: d.UserID, Name: name, Platform: d.Platform, AppVersion: d.AppVersion, State: d.State, LastPlace: place, CreatedAt: d.CreatedAt}
	for _, t := range []struct {
		src time.Time
		dst **time.Time
	}{{d.LastContactAt, &out.LastContactAt}, {d.WipeOrderedAt, &out.WipeOrderedAt}, {d.WipeDoneAt, &out.WipeDoneAt}} {
		if !t.src.IsZero() {
			v := t.src
			*t.dst = &v
		}
	}
	return out
}

// Contact checks a request made with a DPoP proof: the proof's key must be
// an enrolled device's, the token (a, authenticated with authErr) bound to
// that very device, the proof unseen before. It delivers an ordered wipe
// (*WipeOrder: the tokens and the lease secret end, the app must confirm),
// refuses a locked or wiped device or an outdated app (*Refused), records
// the contact, and returns a with DeviceID set.
func (s *Devices) Contact(ctx context.Context, proof authn.DPoPProof, a authz.Actor, authErr error) (authz.Actor, error) {
	var d store.DeviceRow
	err := core.Look(ctx, s.c, deviceStoreOf, func(tx deviceStore) error {
		var err error
		d, err = tx.DeviceByJKT(ctx, proof.JKT)
		return err
	})
	if errs.Is(err, errs.NotExist) {
		if authErr != nil {
			return a, authErr
		}
		return a, errs.E(errs.Unauthenticated, "this token is bound to another device's key: a copied token is refused")
	}
	if err != nil {
		return a, err
	}
	if err := s.fresh(proof); err != nil {
		return a, err
	}
	now := s.c.Now()
	dev := authz.Actor{UserID: d.UserID, DeviceID: d.ID, IP: a.IP}
	if authErr == nil {
		dev = a
		dev.DeviceID = d.ID
	}
	switch d.State {
	case WipeOrdered, WipeDelivered:
		code, hash := authn.NewLinkToken()
		err := core.Change(ctx, s.c, deviceStoreOf, func(tx deviceStore) error {
			cur, err := tx.DeviceByID(ctx, d.ID)
			if err != nil {
				return err
			}
			cur.State, cur.WipeCodeHash, cur.LeaseSealed, cur.LastContactAt, cur.UpdatedAt = WipeDelivered, hash, nil, now, now
			if err := tx.UpdateDevice(ctx, cur); err != nil {
				return err
			}
			n, err := tx.DeleteDeviceSessions(ctx, d.ID)
			if err != nil {
				return err
			}
			return s.c.Record(ctx, tx, dev, "device.wipe.deliver", "device", d.ID, nil, audit.Success, fmt.Sprintf("wipe order delivered; %d tokens ended", n))
		})
		if err != nil {
			return a, err
		}
		return a, &WipeOrder{DeviceID: d.ID, Code: code}
	case Locked, Wiped:
		return a, refused(d.State, "this device is "+d.State+": its tokens and offline data are revoked; ask your administrator")
	}
	if authErr != nil {
		return a, authErr
	}
	if a.DeviceID != d.ID {
		return a, errs.E(errs.Unauthenticated, "this token is not bound to the key that signed the DPoP proof: a copied token is refused")
	}
	if err := s.checkVersion(d.AppVersion); err != nil {
		return a, err
	}
	if now.Sub(d.LastContactAt) >= time.Minute {
		err := core.Change(ctx, s.c, deviceStoreOf, func(tx deviceStore) error {
			cur, err := tx.DeviceByID(ctx, d.ID)
			if err != nil {
				return err
			}
			cur.LastContactAt, cur.UpdatedAt = now, now
			return tx.UpdateDevice(ctx, cur)
		})
		if err != nil {
			return a, err
		}
	}
	return dev, nil
}

// Place is where a device reports it is, rounded to about 1 km before it
// is kept.
type Place struct {
	Lat float64 `json:"lat"`
	Lon float64 `json:"lon"`
}

// Lease hands the calling device its lease secret and when the app must
// forget it, and keeps the coarse place it reports (optional). Only the
// device itself, while active. Audited (device.lease).
func (s *Devices) Lease(ctx context.Context, a authz.Actor, at *Place) (Lease, error) {
	if a.DeviceID == "" {
		return Lease{}, errs.E(errs.Permission, "only an enrolled device receives a lease: send its token with a DPoP proof")
	}
	if at != nil && (math.IsNaN(at.Lat) || math.IsNaN(at.Lon) || at.Lat < -90 || at.Lat > 90 || at.Lon < -180 || at.Lon > 180) {
		return Lease{}, errs.InvalidField("place", "latitude is -90 to 90 and longitude -180 to 180")
	}
	now := s.c.Now()
	var out Lease
	err := core.Change(ctx, s.c, deviceStoreOf, func(tx deviceStore) error {
		d, err := tx.DeviceByID(ctx, a.DeviceID)
		if err != nil {
			return core.NotFound(err, "device")
		}
		if d.State != Active || d.LeaseSealed == nil {
			return refused(d.State, "this device is "+d.State+": no lease")
		}
		u, err := tx.UserByID(ctx, d.UserID)
		if err != nil {
			return core.NotFound(err, "user")
		}
		key, err := s.c.Keys.OpenDataKey(u.ID, u.WrappedKey)
		if err != nil {
			return errs.Wrap(errs.Internal, "devices.Lease", "", err)
		}
		secret, err := fieldcrypt.OpenBytes(key, leasePlace(d.ID), d.LeaseSealed)
		if err != nil {
			return errs.Wrap(errs.Internal, "devices.Lease", "", err)
		}
		fields := []string{"lease"}
		if at != nil {
			place := fmt.Sprintf("%.2f, %.2f", at.Lat, at.Lon)
			if d.LastPlaceCT, err = fieldcrypt.Seal(key, placePlace(d.ID), place); err != nil {
				return err
			}
			d.UpdatedAt = now
			if err := tx.UpdateDevice(ctx, d); err != nil {
				return err
			}
			fields = append(fields, "last_place")
		}
		out = Lease{Secret: base64.RawURLEncoding.EncodeToString(secret), ExpiresAt: now.Add(s.lease), Seconds: int64(s.lease / time.Second)}
		return s.c.Record(ctx, tx, a, "device.lease", "device", d.ID, fields, audit.Success, "offline lease of "+s.lease.String())
	})
	return out, err
}

// mayManage tells whether a may lock or wipe d: its own user, or whoever
// may update every device (administrators).
func mayManage(a authz.Actor, d store.DeviceRow) bool {
	return a.UserID != "" && a.UserID == d.UserID || authz.Decide(a, authz.ActionUpdate, authz.Resource{Object: authz.ObjectDevice}).Allowed
}

// List lists devices: everyone's for those who may read every device
// (administrators, auditors), else the actor's own; mine limits it to the
// actor's own. Their last place is the users' personal data: audited
// (device.list).
func (s *Devices) List(ctx context.Context, a authz.Actor, mine bool) ([]Device, error) {
	if a.UserID == "" {
		return nil, errs.E(errs.Unauthenticated, "log in first")
	}
	who := a.UserID
	if !mine && authz.Decide(a, authz.ActionRead, authz.Resource{Object: authz.ObjectDevice}).Allowed {
		who = ""
	}
	out := []Device{}
	err := core.Change(ctx, s.c, deviceStoreOf, func(tx deviceStore) error {
		rows, err := tx.ListDevices(ctx, who)
		if err != nil {
			return err
		}
		for _, d := range rows {
			dev, err := s.open(ctx, tx, d)
			if err != nil {
				return err
			}
			out = append(out, dev)
		}
		scope := "all"
		if who != "" {
			scope = "own"
		}
		return s.c.Record(ctx, tx, a, "device.list", "device", "", []string{"name", "user_email", "last_place"}, audit.Success, fmt.Sprintf("%d devices (%s)", len(out), scope))
	})
	return out, err
}

// open returns d as its readers see it: its name and last place opened
// with its user's key.
func (s *Devices) open(ctx context.Context, tx deviceStore, d store.DeviceRow) (Device, error) {
	u, err := tx.UserByID(ctx, d.UserID)
	if err != nil {
		return Device{}, core.NotFound(err, "user")
	}
	key, err := s.c.Keys.OpenDataKey(u.ID, u.WrappedKey)
	if err != nil {
		return Device{}, errs.Wrap(errs.Internal, "devices.open", "", err)
	}
	name, err := fieldcrypt.Open(key, namePlace(d.ID), d.NameCT)
	if err != nil {
		return Device{}, errs.Wrap(errs.Internal, "devices.open", "", err)
	}
	user, err := s.c.OpenUser(u)
	if err != nil {
		return Device{}, err
	}
	place := ""
	if d.LastPlaceCT != nil {
		if place, err = fieldcrypt.Open(key, placePlace(d.ID), d.LastPlaceCT); err != nil {
			return Device{}, errs.Wrap(errs.Internal, "devices.open", "", err)
		}
	}
	out := deviceOf(d, name, place)
	out.UserEmail = user.Email
	return out, nil
}

// Lock locks a device at once: its tokens and its lease secret end, so it
// can no longer reach the server or unwrap its offline copy once it has
// contact (or its lease runs out). Its user or an administrator. Audited
// (device.lock).
func (s *Devices) Lock(ctx context.Context, a authz.Actor, id, reason string) (Device, error) {
	return s.change(ctx, a, id, "device.lock", reason, func(d *store.DeviceRow) error {
		if d.State != Active {
			return errs.E(errs.Conflict, "only an active device can be locked; this one is "+d.State)
		}
		d.State, d.LeaseSealed = Locked, nil
		return nil
	})
}

// Wipe orders a device's wipe: the order is delivered at its next contact
// (Contact), which also ends its tokens; the app confirms. A locked device
// may be ordered wiped too. Its user or an administrator. Audited
// (device.wipe.order).
func (s *Devices) Wipe(ctx context.Context, a authz.Actor, id, reason string) (Device, error) {
	return s.change(ctx, a, id, "device.wipe.order", reason, func(d *store.DeviceRow) error {
		if d.State != Active && d.State != Locked {
			return errs.E(errs.Conflict, "a wipe is already ordered or done for this device ("+d.State+")")
		}
		d.State, d.WipeOrderedAt, d.WipeOrderedBy, d.Escalated = WipeOrdered, s.c.Now(), a.UserID, false
		return nil
	})
}

func (s *Devices) change(ctx context.Context, a authz.Actor, id, action, reason string, fn func(*store.DeviceRow) error) (Device, error) {
	if a.UserID == "" {
		return Device{}, errs.E(errs.Unauthenticated, "log in first")
	}
	reason, err := crm.Label("reason", reason, 200)
	if err != nil {
		return Device{}, err
	}
	var out Device
	err = core.Change(ctx, s.c, deviceStoreOf, func(tx deviceStore) error {
		d, err := tx.DeviceByID(ctx, id)
		if err != nil {
			return core.NotFound(err, "device")
		}
		if !mayManage(a, d) {
			return s.c.Refuse(ctx, tx, a, action, "device", id, errs.E(errs.NotExist, "device not found"))
		}
		if err := fn(&d); err != nil {
			return err
		}
		d.UpdatedAt = s.c.Now()
		if err := tx.UpdateDevice(ctx, d); err != nil {
			return err
		}
		n := 0
		if d.State == Locked {
			if n, err = tx.DeleteDeviceSessions(ctx, d.ID); err != nil {
				return err
			}
		}
		if out, err = s.open(ctx, tx, d); err != nil {
			return err
		}
		why := d.Platform
		if n > 0 {
			why += fmt.Sprintf("; %d tokens ended", n)
		}
		if reason != "" {
			why += ": " + reason
		}
		return s.c.Record(ctx, tx, a, action, "device", d.ID, nil, audit.Success, why)
	})
	return out, err
}

// ConfirmWipe records that the app wiped its storage and keys, with the
// one-time code the wipe order carried (the app holds no key any more to
// prove itself with). Audited (device.wipe.confirm), as the device.
func (s *Devices) ConfirmWipe(ctx context.Context, id, code, ip string) error {
	bad := errs.E(errs.NotExist, "no wipe awaiting confirmation with this code")
	if !authn.WellFormedLinkToken(code) {
		return bad
	}
	return core.Change(ctx, s.c, deviceStoreOf, func(tx deviceStore) error {
		d, err := tx.DeviceByID(ctx, id)
		if err != nil {
			return bad
		}
		if d.State != WipeDelivered || subtle.ConstantTimeCompare(d.WipeCodeHash, authn.HashToken(code)) != 1 {
			return bad
		}
		now := s.c.Now()
		d.State, d.WipeCodeHash, d.WipeDoneAt, d.UpdatedAt = Wiped, nil, now, now
		if err := tx.UpdateDevice(ctx, d); err != nil {
			return err
		}
		return s.c.Record(ctx, tx, authz.Actor{UserID: d.UserID, DeviceID: d.ID, IP: ip}, "device.wipe.confirm", "device", d.ID, nil, audit.Success,
			"the app deleted its storage and keys")
	})
}

// EscalateWipes raises an alert (rule device_wipe_unconfirmed, high) for
// each wipe ordered more than --wipe-escalate ago and not confirmed, once
// per device. It runs as the system; serve calls it every few minutes. It
// returns how many alerts it raised.
func (s *Devices) EscalateWipes(ctx context.Context) (int, error) {
	now := s.c.Now()
	raised := 0
	sys := authz.System()
	err := core.Change(ctx, s.c, deviceStoreOf, func(tx deviceStore) error {
		rows, err := tx.UnconfirmedWipes(ctx, now.Add(-s.escalate))
		if err != nil {
			return err
		}
		for _, d := range rows {
			// Compare and set: of two servers checking at once, one raises.
			if err := tx.MarkWipeEscalated(ctx, d.ID, now); errs.Is(err, errs.NotExist) {
				continue
			} else if err != nil {
				return err
			}
			summary := fmt.Sprintf("the wipe of device %s (%s) ordered %s is not confirmed after %s (%s)", d.ID, d.Platform,
				d.WipeOrderedAt.UTC().Format(time.RFC3339), s.escalate, strings.ReplaceAll(d.State, "_", " "))
			alert := store.AlertRow{ID: crm.NewID("alr"), Rule: "device_wipe_unconfirmed", Severity: "high", UserID: d.UserID, Summary: summary,
				Status: "open", CreatedAt: now, UpdatedAt: now}
			if err := tx.InsertAlert(ctx, alert); err != nil {
				return err
			}
			if err := s.c.Record(ctx, tx, sys, "alert.raise", "alert", alert.ID, nil, audit.Success, "device_wipe_unconfirmed (high): "+summary); err != nil {
				return err
			}
			raised++
		}
		return nil
	})
	return raised, err
}

// deviceStore is what the methods in devices.go read and write.
type deviceStore interface {
	audit.Appender
	UserByID(ctx context.Context, id string) (store.UserRow, error)
	InsertDevice(ctx context.Context, d store.DeviceRow) error
	DeviceByID(ctx context.Context, id string) (store.DeviceRow, error)
	DeviceByJKT(ctx context.Context, jkt string) (store.DeviceRow, error)
	ListDevices(ctx context.Context, userID string) ([]store.DeviceRow, error)
	UpdateDevice(ctx context.Context, d store.DeviceRow) error
	DeleteDeviceSessions(ctx context.Context, deviceID string) (int, error)
	UnconfirmedWipes(ctx context.Context, before time.Time) ([]store.DeviceRow, error)
	MarkWipeEscalated(ctx context.Context, id string, now time.Time) error
	InsertSession(ctx context.Context, s store.SessionRow) error
	InsertAlert(ctx context.Context, a store.AlertRow) error
}

// deviceStoreOf is the compiler's check that the store has every method of deviceStore.
func deviceStoreOf(tx *store.Tx) deviceStore { return tx }
