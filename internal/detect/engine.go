package detect

import (
	"fmt"
	"math"
	"net/netip"
	"regexp"
	"strconv"
	"time"

	"strongroom.dev/strongroom/internal/audit"
)

// Alert is one detection.
type Alert struct {
	Rule     string    `json:"rule"`
	Severity string    `json:"severity"`
	UserID   string    `json:"user_id,omitempty"` // the user concerned
	Network  string    `json:"network,omitempty"` // the address or network concerned
	Summary  string    `json:"summary"`           // ids, counts and addresses; never a personal value
	Seqs     []int64   `json:"seqs"`              // the events behind it (at most maxSeqs)
	At       time.Time `json:"at"`
	Response string    `json:"response,omitempty"`
}

const maxSeqs = 20

// The read-volume model (see docs/SECURITY.md, "Detection"): an
// exponentially weighted mean m and mean absolute deviation d of the
// records a user reads in each hour they are active; an hour whose count
// passes max(floor, m + readK·max(d, m/4)) raises an alert. Until
// warmHours active hours are seen the limit is twice the floor.
const (
	readAlpha = 0.02
	readK     = 6
	warmHours = 24
	// The off-hours model: each clock hour in which a user does anything
	// adds one to that hour of the day's weight, and every weight keeps
	// activeDecay of itself at each such hour (about 200 active hours, a
	// month of work, of memory). An hour of the day is usual when it holds
	// at least the rule's threshold share of the weight; a login at least
	// offHoursGap hours from every usual hour is unusual, once the user
	// has offHoursMin hours of history.
	activeDecay = 0.995
	offHoursMin = 60
	offHoursGap = 3
)

// State is what the detectors remember; it is saved between runs.
type State struct {
	Users    map[string]*UserState `json:"users"`
	Networks map[string]*Window    `json:"networks"` // failed logins by client network
	Denied   map[string]*Window    `json:"denied"`   // refusals by actor (user, else network)
	Cooldown map[string]time.Time  `json:"cooldown"` // rule|key -> no new alert before
	Swept    time.Time             `json:"swept"`
	// PlacesSince is the last check-in place read (impossible_travel).
	PlacesSince time.Time `json:"places_since"`
	// Offices are networks many users log in from: network -> user ->
	// their first and last successful logins from it.
	Offices map[string]map[string]Span `json:"offices"`
}

// Span is a first and a last time.
type Span struct {
	First time.Time `json:"first"`
	Last  time.Time `json:"last"`
}

// An office network is one from which at least officeUsers distinct
// users logged in within officeWindow, each first seen there at least
// officeSettled before (so an attack's own successful logins cannot make
// its network one); credential_stuffing needs officeFactor times as many
// accounts there, since a busy office's morning typos come from one
// address.
const (
	officeUsers   = 5
	officeWindow  = 30 * 24 * time.Hour
	officeSettled = 24 * time.Hour
	officeFactor  = 3
)

// office reports whether net is an office network at now.
func (e *Engine) office(net string, now time.Time) bool {
	n := 0
	for _, s := range e.State.Offices[net] {
		if now.Sub(s.Last) <= officeWindow && now.Sub(s.First) >= officeSettled {
			n++
		}
	}
	return n >= officeUsers
}

// UserState is one user's history.
type UserState struct {
	Failed     Window               `json:"failed"`
	Exported   Window               `json:"exported"`
	Hour       time.Time            `json:"hour"` // the hour being counted
	HourReads  float64              `json:"hour_reads"`
	HourSeqs   []int64              `json:"hour_seqs,omitempty"`
	Mean       float64              `json:"mean"`
	Dev        float64              `json:"dev"`
	Hours      int                  `json:"hours"`  // active hours seen
	Active     [24]float64          `json:"active"` // weight of each hour of the day
	ActiveSum  float64              `json:"active_sum"`
	LastActive time.Time            `json:"last_active"` // the clock hour last counted
	Logins     int                  `json:"logins"`
	Networks   map[string]time.Time `json:"networks"` // network -> last successful login
	LastSeen   time.Time            `json:"last_seen"`
	LastPlace  *Place               `json:"last_place,omitempty"` // the last check-in place
}

// Place is where and when a user checked in (a field rep at a store).
type Place struct {
	UserID   string    `json:"user_id"`
	At       time.Time `json:"at"`
	Lat, Lon float64
}

// travelMinKm: places nearer than this never count as travel (a
// location's error, a walk across a city).
const travelMinKm = 100

// ObservePlace runs impossible_travel over one check-in place: a user
// whose check-ins within the rule's window are further apart than a
// journey at the rule's speed (km/h) could take.
func (e *Engine) ObservePlace(p Place) []Alert {
	r, ok := e.rule(ImpossibleTravel)
	if !ok || p.UserID == "" {
		return nil
	}
	u := e.user(p.UserID)
	prev := u.LastPlace
	if prev != nil && !p.At.After(prev.At) {
		return nil // seen already, or older than the last (read again with an overlap)
	}
	// Kept to about a kilometre (two decimals), and only for the rule's
	// window (sweep): enough to measure a journey of 100 km or more.
	kept := Place{UserID: p.UserID, At: p.At, Lat: math.Round(p.Lat*100) / 100, Lon: math.Round(p.Lon*100) / 100}
	u.LastPlace = &kept
	if prev == nil || p.At.Sub(prev.At) > r.Window {
		return nil
	}
	km := haversineKm(prev.Lat, prev.Lon, p.Lat, p.Lon)
	hours := p.At.Sub(prev.At).Hours()
	if km < travelMinKm || km/hours < r.Threshold {
		return nil
	}
	// The summary gives distance and time, never the places.
	return e.fire(ImpossibleTravel, p.UserID, p.At, Alert{UserID: p.UserID,
		Summary: fmt.Sprintf("user %s checked in %.0f km from their previous check-in %.0f minutes earlier (%.0f km/h)", p.UserID, km, p.At.Sub(prev.At).Minutes(), km/hours)})
}

// haversineKm is the great-circle distance between two points, in km.
func haversineKm(lat1, lon1, lat2, lon2 float64) float64 {
	const earthKm = 6371.0
	rad := math.Pi / 180
	dLat, dLon := (lat2-lat1)*rad, (lon2-lon1)*rad
	a := math.Sin(dLat/2)*math.Sin(dLat/2) + math.Cos(lat1*rad)*math.Cos(lat2*rad)*math.Sin(dLon/2)*math.Sin(dLon/2)
	return 2 * earthKm * math.Asin(math.Min(1, math.Sqrt(a)))
}

// Window is a sliding window of events: their times, seqs, and a key each
// (an account, for counting distinct ones; a weight, for sums).
type Window struct {
	At     []time.Time `json:"at"`
	Seqs   []int64     `json:"seqs"`
	Keys   []string    `json:"keys,omitempty"`
	Weight []float64   `json:"weight,omitempty"`
}

func (w *Window) add(at time.Time, seq int64, key string, weight float64, span time.Duration) {
	w.At, w.Seqs, w.Keys, w.Weight = append(w.At, at), append(w.Seqs, seq), append(w.Keys, key), append(w.Weight, weight)
	w.prune(at, span)
}

func (w *Window) prune(now time.Time, span time.Duration) {
	i := 0
	for i < len(w.At) && now.Sub(w.At[i]) > span {
		i++
	}
	w.At, w.Seqs, w.Keys, w.Weight = w.At[i:], w.Seqs[i:], w.Keys[i:], w.Weight[i:]
}

func (w *Window) distinct() int {
	seen := map[string]bool{}
	for _, k := range w.Keys {
		seen[k] = true
	}
	return len(seen)
}

func (w *Window) sum() float64 {
	s := 0.0
	for _, x := range w.Weight {
		s += x
	}
	return s
}

func (w *Window) lastSeqs() []int64 {
	return append([]int64(nil), w.Seqs[max(0, len(w.Seqs)-maxSeqs):]...)
}

// Engine runs the detectors over events in seq order.
type Engine struct {
	Config Config
	// Privileged reports whether a user holds a privileged role (for
	// new_network); nil: nobody is.
	Privileged func(userID string) bool
	State      State
}

// NewEngine starts with no history.
func NewEngine(cfg Config) *Engine {
	return &Engine{Config: cfg, State: State{Users: map[string]*UserState{}, Networks: map[string]*Window{}, Denied: map[string]*Window{}, Cooldown: map[string]time.Time{}, Offices: map[string]map[string]Span{}}}
}

// Restore sets the state (as saved), filling anything missing.
func (e *Engine) Restore(s State) {
	if s.Users == nil {
		s.Users = map[string]*UserState{}
	}
	if s.Networks == nil {
		s.Networks = map[string]*Window{}
	}
	if s.Denied == nil {
		s.Denied = map[string]*Window{}
	}
	if s.Cooldown == nil {
		s.Cooldown = map[string]time.Time{}
	}
	if s.Offices == nil {
		s.Offices = map[string]map[string]Span{}
	}
	e.State = s
}

func (e *Engine) user(id string) *UserState {
	u := e.State.Users[id]
	if u == nil {
		u = &UserState{Networks: map[string]time.Time{}}
		e.State.Users[id] = u
	}
	if u.Networks == nil {
		u.Networks = map[string]time.Time{}
	}
	return u
}

// fire returns an alert for rule unless one for the same key was raised
// within the rule's window.
func (e *Engine) fire(rule, key string, at time.Time, a Alert) []Alert {
	r, ok := e.Config[rule]
	if !ok || !r.Enabled {
		return nil
	}
	ck := rule + "|" + key
	if until, ok := e.State.Cooldown[ck]; ok && at.Before(until) {
		return nil
	}
	e.State.Cooldown[ck] = at.Add(r.Window)
	a.Rule, a.Severity, a.At, a.Response = rule, r.Severity, at, r.Response
	return []Alert{a}
}

func (e *Engine) rule(name string) (Rule, bool) {
	r, ok := e.Config[name]
	return r, ok && r.Enabled
}

// Network is the client network an address counts in: its /24 (IPv4) or
// /48 (IPv6); the address itself if it does not parse.
func Network(ip string) string {
	a, err := netip.ParseAddr(ip)
	if err != nil {
		return ip
	}
	bits := 24
	if a.Is6() && !a.Is4In6() {
		bits = 48
	}
	p, _ := a.Unmap().Prefix(bits)
	return p.String()
}

var rowsRe = regexp.MustCompile(`(\d+) rows`)

// Observe runs every detector over one event and returns the alerts it
// raises.
func (e *Engine) Observe(ev audit.Event) []Alert {
	if ev.ObjectType == "alert" || ev.ObjectType == "audit" {
		return nil // the detectors' own events and the log's
	}
	at := ev.At
	if at.Sub(e.State.Swept) > time.Hour {
		e.sweep(at)
	}
	var out []Alert
	net := Network(ev.IP)
	if ev.ActorID != "" && ev.Outcome == audit.Success && !(ev.Action == "session.create" && ev.ObjectType == "user") {
		e.user(ev.ActorID).active(at)
	}
	switch {
	case ev.Action == "session.create" && (ev.Outcome == audit.Failure || ev.Outcome == audit.Denied && ev.ObjectType == "user"):
		// A failure, or an attempt the account's delay turned away.
		out = append(out, e.failedLogin(ev, at, net)...)
	case ev.Action == "session.create" && ev.Outcome == audit.Success && ev.ObjectType == "user":
		out = append(out, e.login(ev, at, net)...)
	case ev.Action == "customer.read" && ev.Outcome == audit.Success && ev.ActorID != "":
		out = append(out, e.read(ev, at)...)
	case ev.Action == "customer.export" && ev.Outcome == audit.Success && ev.ActorID != "":
		out = append(out, e.export(ev, at)...)
	case ev.Action == "breakglass.open" && ev.Outcome == audit.Success:
		out = append(out, e.fire(BreakGlass, ev.ActorID+"|"+strconv.FormatInt(ev.Seq, 10), at, Alert{UserID: ev.ActorID, Network: ev.IP,
			Summary: fmt.Sprintf("user %s opened break-glass access to %s %s", ev.ActorID, ev.ObjectType, ev.ObjectID), Seqs: []int64{ev.Seq}})...)
	}
	if ev.Outcome == audit.Denied {
		out = append(out, e.denied(ev, at, net)...)
	}
	return out
}

func (e *Engine) failedLogin(ev audit.Event, at time.Time, net string) []Alert {
	var out []Alert
	if ev.Reason == "account disabled" && ev.ObjectID != "" {
		out = append(out, e.fire(DisabledAccount, ev.ObjectID, at, Alert{UserID: ev.ObjectID, Network: ev.IP,
			Summary: fmt.Sprintf("someone at %s tried to log in to the disabled account %s with its right password", ev.IP, ev.ObjectID), Seqs: []int64{ev.Seq}})...)
	}
	if r, ok := e.rule(FailedLoginBurst); ok && ev.ObjectID != "" {
		u := e.user(ev.ObjectID)
		u.Failed.add(at, ev.Seq, "", 1, r.Window)
		if float64(len(u.Failed.At)) >= r.Threshold {
			out = append(out, e.fire(FailedLoginBurst, ev.ObjectID, at, Alert{UserID: ev.ObjectID, Network: ev.IP,
				Summary: fmt.Sprintf("%d failed logins to account %s within %v (the last from %s)", len(u.Failed.At), ev.ObjectID, r.Window, ev.IP), Seqs: u.Failed.lastSeqs()})...)
		}
	}
	if r, ok := e.rule(CredentialStuffing); ok && ev.IP != "" {
		w := e.State.Networks[net]
		if w == nil {
			w = &Window{}
			e.State.Networks[net] = w
		}
		account := ev.ObjectID
		if account == "" { // an email nobody has: each attempt counts as another account
			account = "?" + strconv.FormatInt(ev.Seq, 10)
		}
		w.add(at, ev.Seq, account, 1, r.Window)
		threshold := r.Threshold
		if e.office(net, at) {
			threshold *= officeFactor
		}
		if n := w.distinct(); float64(n) >= threshold {
			out = append(out, e.fire(CredentialStuffing, net, at, Alert{Network: net,
				Summary: fmt.Sprintf("failed logins to %d accounts from %s within %v (credential stuffing or password spraying)", n, net, r.Window), Seqs: w.lastSeqs()})...)
		}
	}
	return out
}

func (e *Engine) login(ev audit.Event, at time.Time, net string) []Alert {
	var out []Alert
	u := e.user(ev.ObjectID)
	u.LastSeen = at
	if r, ok := e.rule(OffHours); ok && u.ActiveSum >= offHoursMin {
		h := at.UTC().Hour()
		if gap := u.gap(h, r.Threshold); gap >= offHoursGap {
			out = append(out, e.fire(OffHours, ev.ObjectID, at, Alert{UserID: ev.ObjectID, Network: ev.IP,
				Summary: fmt.Sprintf("user %s logged in at %02d:00 UTC, %d hours from any hour they usually work", ev.ObjectID, h, gap), Seqs: []int64{ev.Seq}})...)
		}
	}
	u.Logins++
	if r, ok := e.rule(NewNetwork); ok && ev.IP != "" && e.Privileged != nil && e.Privileged(ev.ObjectID) {
		seen, known := u.Networks[net]
		if (!known || at.Sub(seen) > r.Window) && float64(u.Logins) > r.Threshold {
			out = append(out, e.fire(NewNetwork, ev.ObjectID+"|"+net, at, Alert{UserID: ev.ObjectID, Network: net,
				Summary: fmt.Sprintf("privileged user %s logged in from %s, a network they have not used in %v", ev.ObjectID, net, r.Window), Seqs: []int64{ev.Seq}})...)
		}
	}
	if ev.IP != "" {
		u.Networks[net] = at
		if e.State.Offices[net] == nil {
			e.State.Offices[net] = map[string]Span{}
		}
		s, seen := e.State.Offices[net][ev.ObjectID]
		if !seen {
			s.First = at
		}
		s.Last = at
		e.State.Offices[net][ev.ObjectID] = s
	}
	return out
}

func (e *Engine) read(ev audit.Event, at time.Time) []Alert {
	r, ok := e.rule(ReadVolume)
	if !ok {
		return nil
	}
	u := e.user(ev.ActorID)
	hour := at.UTC().Truncate(time.Hour)
	if !hour.Equal(u.Hour) {
		u.closeHour()
		u.Hour = hour
	}
	n := float64(max(1, len(ev.Subjects)))
	u.HourReads += n
	if len(u.HourSeqs) < maxSeqs {
		u.HourSeqs = append(u.HourSeqs, ev.Seq)
	}
	limit := 2 * r.Threshold
	if u.Hours >= warmHours {
		limit = math.Max(r.Threshold, u.Mean+readK*math.Max(u.Dev, u.Mean/4))
	}
	if u.HourReads < limit {
		return nil
	}
	return e.fire(ReadVolume, ev.ActorID, at, Alert{UserID: ev.ActorID, Network: ev.IP,
		Summary: fmt.Sprintf("user %s read %.0f customer records this hour; their usual is %.0f (limit %.0f)", ev.ActorID, u.HourReads, u.Mean, limit), Seqs: append([]int64(nil), u.HourSeqs...)})
}

// active counts the clock hour of at as one the user worked in.
func (u *UserState) active(at time.Time) {
	hour := at.UTC().Truncate(time.Hour)
	if hour.Equal(u.LastActive) {
		return
	}
	u.LastActive = hour
	for i := range u.Active {
		u.Active[i] *= activeDecay
	}
	u.ActiveSum = u.ActiveSum*activeDecay + 1
	u.Active[hour.Hour()]++
}

// gap is how many hours h is from the nearest hour of the day that holds
// at least share of the user's activity (0 if h is one).
func (u *UserState) gap(h int, share float64) int {
	best := 24
	for i, w := range u.Active {
		if w/u.ActiveSum < share {
			continue
		}
		d := (h - i + 24) % 24
		best = min(best, d, 24-d)
	}
	return best
}

// closeHour folds the hour just ended into the user's read model.
func (u *UserState) closeHour() {
	if u.HourReads > 0 {
		if u.Hours == 0 {
			u.Mean = u.HourReads
		} else {
			dev := math.Abs(u.HourReads - u.Mean)
			u.Mean += readAlpha * (u.HourReads - u.Mean)
			u.Dev += readAlpha * (dev - u.Dev)
		}
		u.Hours++
	}
	u.HourReads, u.HourSeqs = 0, nil
}

func (e *Engine) export(ev audit.Event, at time.Time) []Alert {
	r, ok := e.rule(BulkExport)
	if !ok {
		return nil
	}
	rows := 0.0
	if m := rowsRe.FindStringSubmatch(ev.Reason); m != nil {
		rows, _ = strconv.ParseFloat(m[1], 64)
	}
	u := e.user(ev.ActorID)
	u.Exported.add(at, ev.Seq, "", rows, r.Window)
	if total := u.Exported.sum(); total >= r.Threshold {
		return e.fire(BulkExport, ev.ActorID, at, Alert{UserID: ev.ActorID, Network: ev.IP,
			Summary: fmt.Sprintf("user %s exported %.0f customer rows in %d exports within %v", ev.ActorID, total, len(u.Exported.At), r.Window), Seqs: u.Exported.lastSeqs()})
	}
	return nil
}

func (e *Engine) denied(ev audit.Event, at time.Time, net string) []Alert {
	r, ok := e.rule(DeniedSurge)
	if !ok {
		return nil
	}
	key := ev.ActorID
	if key == "" {
		key = net
	}
	w := e.State.Denied[key]
	if w == nil {
		w = &Window{}
		e.State.Denied[key] = w
	}
	w.add(at, ev.Seq, "", 1, r.Window)
	if float64(len(w.At)) < r.Threshold {
		return nil
	}
	return e.fire(DeniedSurge, key, at, Alert{UserID: ev.ActorID, Network: ev.IP,
		Summary: fmt.Sprintf("%d refused requests from %s within %v (probing)", len(w.At), key, r.Window), Seqs: w.lastSeqs()})
}

// sweep drops what no detector can use any more, so the state stays
// bounded by the active users and networks.
func (e *Engine) sweep(now time.Time) {
	e.State.Swept = now
	longest := time.Duration(0)
	for _, r := range e.Config {
		longest = max(longest, r.Window)
	}
	for k, until := range e.State.Cooldown {
		if now.After(until) {
			delete(e.State.Cooldown, k)
		}
	}
	for k, w := range e.State.Networks {
		w.prune(now, longest)
		if len(w.At) == 0 {
			delete(e.State.Networks, k)
		}
	}
	for k, w := range e.State.Denied {
		w.prune(now, longest)
		if len(w.At) == 0 {
			delete(e.State.Denied, k)
		}
	}
	for net, users := range e.State.Offices {
		for id, s := range users {
			if now.Sub(s.Last) > officeWindow {
				delete(users, id)
			}
		}
		if len(users) == 0 {
			delete(e.State.Offices, net)
		}
	}
	travel := e.Config[ImpossibleTravel].Window
	for _, u := range e.State.Users {
		if u.LastPlace != nil && now.Sub(u.LastPlace.At) > travel {
			u.LastPlace = nil // a rep's place is kept no longer than the rule needs it
		}
		u.Failed.prune(now, longest)
		u.Exported.prune(now, longest)
		if !u.Hour.IsZero() && now.Sub(u.Hour) >= time.Hour {
			u.closeHour()
			u.Hour = time.Time{}
		}
		for n, seen := range u.Networks {
			if now.Sub(seen) > 366*24*time.Hour {
				delete(u.Networks, n)
			}
		}
	}
}
