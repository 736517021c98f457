// Package sim makes the audit events of a simulated company, for
// measuring the detectors: people with roles, working hours, offices and
// habits, over weeks, with labelled attacks mixed in. It is deterministic
// for a seed.
package sim

import (
	"fmt"
	"math/rand/v2"
	"sort"
	"time"

	"strongroom.dev/strongroom/internal/audit"
	"strongroom.dev/strongroom/internal/detect"
)

// Person is one simulated user.
type Person struct {
	ID         string
	Role       string
	Privileged bool
	Office     string // the network they usually log in from
	Home       string // their home address (some work from home)
	Start      int    // usual first hour of work, UTC
	ReadsPerHr float64
	City       int // field reps: the city they visit stores in (cities)
}

// cities are where field reps visit stores: Shanghai, Beijing, Guangzhou,
// Chengdu (latitude, longitude).
var cities = [][2]float64{{31.23, 121.47}, {39.90, 116.40}, {23.13, 113.26}, {30.57, 104.07}}

// Attack is one injected attack: what should catch it, on what, when.
type Attack struct {
	Name     string
	Rules    []string // any of these detecting it counts
	Key      string   // the user id or network the alert names
	From, To time.Time
}

// Company is the simulated traffic.
type Company struct {
	People  []Person
	Events  []audit.Event
	Places  []detect.Place // field reps' check-ins, in time order
	Attacks []Attack
	Weeks   int
}

// Privileged reports whether the user id holds a privileged role.
func (c *Company) Privileged(id string) bool {
	for _, p := range c.People {
		if p.ID == id {
			return p.Privileged
		}
	}
	return false
}

type gen struct {
	r      *rand.Rand
	events []audit.Event
	places []detect.Place
}

// checkIn is a check-in at a store within about 15 km of a city's centre.
func (g *gen) checkIn(p Person, at time.Time, city int) {
	c := cities[city]
	g.places = append(g.places, detect.Place{UserID: p.ID, At: at, Lat: c[0] + (g.r.Float64()-0.5)*0.25, Lon: c[1] + (g.r.Float64()-0.5)*0.25})
}

func (g *gen) add(e audit.Event) { g.events = append(g.events, e) }

func (g *gen) at(day time.Time, hour float64) time.Time {
	return day.Add(time.Duration(hour * float64(time.Hour)))
}

// New simulates people for weeks starting at start (a Monday, 00:00 UTC).
// Attacks are injected in the last two weeks.
func New(seed uint64, people, weeks int, start time.Time) *Company {
	g := &gen{r: rand.New(rand.NewPCG(seed, seed^0x5eed))}
	c := &Company{Weeks: weeks}
	roles := []struct {
		role       string
		share      float64
		privileged bool
		reads      float64
	}{
		{"sales", 0.55, false, 14}, {"field_rep", 0.12, false, 5}, {"manager", 0.12, false, 22},
		{"admin", 0.05, true, 6}, {"finance", 0.08, false, 10}, {"auditor", 0.03, true, 1}, {"counsellor", 0.05, false, 4},
	}
	for i := range people {
		x, role := g.r.Float64(), roles[len(roles)-1]
		for _, r := range roles {
			if x < r.share {
				role = r
				break
			}
			x -= r.share
		}
		p := Person{
			ID: fmt.Sprintf("usr_%04d", i), Role: role.role, Privileged: role.privileged,
			Office: fmt.Sprintf("10.%d.%d.%d", 1+i%3, i%3, 10+g.r.IntN(200)), Home: fmt.Sprintf("100.%d.%d.%d", 64+g.r.IntN(60), g.r.IntN(250), 1+g.r.IntN(250)),
			Start: 0 + g.r.IntN(3), ReadsPerHr: role.reads * (0.5 + g.r.Float64()), City: i % len(cities),
		}
		c.People = append(c.People, p)
	}
	for d := range weeks * 7 {
		day := start.AddDate(0, 0, d)
		if wd := day.Weekday(); wd == time.Saturday || wd == time.Sunday {
			for _, p := range c.People { // a few work a little at weekends
				if g.r.Float64() < 0.03 {
					g.session(p, day, float64(p.Start+2)+g.r.Float64()*4, 1)
				}
			}
			continue
		}
		for _, p := range c.People {
			if g.r.Float64() < 0.06 { // away
				continue
			}
			begin := float64(p.Start) + g.r.Float64()
			if p.Role == "field_rep" {
				// Three stores a day; now and then the afternoon's in
				// another city, reached by a train of four hours or more.
				city := p.City
				g.checkIn(p, g.at(day, begin+1), city)
				g.checkIn(p, g.at(day, begin+2.5), city)
				if g.r.Float64() < 0.03 {
					city = (city + 1) % len(cities)
					g.checkIn(p, g.at(day, begin+7+g.r.Float64()), city)
				} else {
					g.checkIn(p, g.at(day, begin+6), city)
				}
			}
			g.session(p, day, begin, 4+g.r.Float64())
			g.session(p, day, begin+5+g.r.Float64(), 3+g.r.Float64()*2)
			if g.r.Float64() < 0.04 { // an evening at home
				g.session(p, day, float64(p.Start)+11+g.r.Float64()*2, 1)
			}
		}
	}
	c.injectAttacks(g, start.AddDate(0, 0, 7*(weeks-2)))
	sort.SliceStable(g.events, func(i, j int) bool { return g.events[i].At.Before(g.events[j].At) })
	sort.SliceStable(g.places, func(i, j int) bool { return g.places[i].At.Before(g.places[j].At) })
	c.Places = g.places
	for i := range g.events {
		g.events[i].Seq = int64(i + 1)
	}
	c.Events = g.events
	return c
}

// session is one stretch of work: a login (sometimes after typos), reads,
// the odd export and refusal.
func (g *gen) session(p Person, day time.Time, hour, length float64) {
	ip := p.Office
	if g.r.Float64() < 0.15 {
		ip = p.Home
	}
	if p.Privileged && g.r.Float64() < 0.004 { // travelling: a hotel's network
		ip = fmt.Sprintf("192.0.%d.%d", g.r.IntN(250), 1+g.r.IntN(250))
	}
	t := g.at(day, hour)
	for range g.typos() {
		g.add(audit.Event{At: t, ActorID: p.ID, IP: ip, Action: "session.create", ObjectType: "user", ObjectID: p.ID, Outcome: audit.Failure, Reason: "bad credentials"})
		t = t.Add(time.Duration(5+g.r.IntN(30)) * time.Second)
	}
	g.add(audit.Event{At: t, ActorID: p.ID, IP: ip, Action: "session.create", ObjectType: "user", ObjectID: p.ID, Outcome: audit.Success})
	end := t.Add(time.Duration(length * float64(time.Hour)))
	for t.Before(end) {
		// Reads come in a Poisson stream, now and then a page of a list.
		t = t.Add(time.Duration(g.r.ExpFloat64() / p.ReadsPerHr * float64(time.Hour)))
		if !t.Before(end) {
			break
		}
		e := audit.Event{At: t, ActorID: p.ID, IP: ip, Action: "customer.read", ObjectType: "customer", Outcome: audit.Success}
		if g.r.Float64() < 0.1 {
			for range 5 + g.r.IntN(20) {
				e.Subjects = append(e.Subjects, fmt.Sprintf("cus_%06d", g.r.IntN(100000)))
			}
		} else {
			e.ObjectID = fmt.Sprintf("cus_%06d", g.r.IntN(100000))
		}
		g.add(e)
		if g.r.Float64() < 0.004 {
			g.add(audit.Event{At: t, ActorID: p.ID, IP: ip, Action: "customer.read", ObjectType: "customer", ObjectID: e.ObjectID, Outcome: audit.Denied, Reason: "not in scope"})
		}
	}
	if (p.Role == "manager" || p.Role == "finance") && g.r.Float64() < 0.05 {
		g.add(audit.Event{At: end, ActorID: p.ID, IP: ip, Action: "customer.export", ObjectType: "customer", Outcome: audit.Success, Reason: fmt.Sprintf("monthly report: %d rows", 20+g.r.IntN(400))})
	}
}

// typos is how many times a person mistypes their password at a login.
func (g *gen) typos() int {
	x := g.r.Float64()
	switch {
	case x < 0.90:
		return 0
	case x < 0.97:
		return 1
	case x < 0.995:
		return 2
	default:
		return 3 + g.r.IntN(3)
	}
}

func (c *Company) injectAttacks(g *gen, from time.Time) {
	pick := func(role string, n int) Person {
		for _, p := range c.People {
			if p.Role == role {
				if n == 0 {
					return p
				}
				n--
			}
		}
		return c.People[n%len(c.People)]
	}
	attack := func(a Attack) { c.Attacks = append(c.Attacks, a) }
	day := func(d int, hour float64) time.Time { return g.at(from.AddDate(0, 0, d), hour) }

	// Credential stuffing: a list of leaked emails, most not ours.
	t := day(1, 14.2)
	for i := range 150 {
		e := audit.Event{At: t.Add(time.Duration(i) * 8 * time.Second), IP: fmt.Sprintf("203.0.113.%d", 1+i%7), Action: "session.create", ObjectType: "user", Outcome: audit.Failure, Reason: "bad credentials"}
		if i%10 == 0 {
			e.ObjectID = c.People[i%len(c.People)].ID
		}
		g.add(e)
	}
	attack(Attack{"credential stuffing from 203.0.113.0/24", []string{detect.CredentialStuffing}, "203.0.113.0/24", t, t.Add(20 * time.Minute)})

	// Password spraying: one guess at each of 30 real accounts, slowly.
	t = day(3, 20.5)
	for i := range 30 {
		p := c.People[(i*7)%len(c.People)]
		g.add(audit.Event{At: t.Add(time.Duration(i) * 50 * time.Second), IP: "198.51.100.7", Action: "session.create", ObjectType: "user", ObjectID: p.ID, Outcome: audit.Failure, Reason: "bad credentials"})
	}
	attack(Attack{"password spraying from 198.51.100.7", []string{detect.CredentialStuffing}, "198.51.100.0/24", t, t.Add(30 * time.Minute)})

	// Guessing one account's password.
	victim := pick("sales", 3)
	t = day(4, 2.3)
	for i := range 25 {
		g.add(audit.Event{At: t.Add(time.Duration(i) * 20 * time.Second), IP: "192.0.2.77", Action: "session.create", ObjectType: "user", ObjectID: victim.ID, Outcome: audit.Failure, Reason: "bad credentials"})
	}
	attack(Attack{"password guessing on " + victim.ID, []string{detect.FailedLoginBurst}, victim.ID, t, t.Add(10 * time.Minute)})

	// An insider pulls records before leaving, then exports.
	insider := pick("sales", 11)
	t = day(8, float64(insider.Start)+2)
	for i := range 60 {
		e := audit.Event{At: t.Add(time.Duration(i) * 90 * time.Second), ActorID: insider.ID, IP: insider.Office, Action: "customer.read", ObjectType: "customer", Outcome: audit.Success}
		for j := range 50 {
			e.Subjects = append(e.Subjects, fmt.Sprintf("cus_%06d", i*50+j))
		}
		g.add(e)
	}
	attack(Attack{"insider " + insider.ID + " reads 3,000 records", []string{detect.ReadVolume}, insider.ID, t, t.Add(90 * time.Minute)})
	t = t.Add(95 * time.Minute)
	g.add(audit.Event{At: t, ActorID: insider.ID, IP: insider.Office, Action: "customer.export", ObjectType: "customer", Outcome: audit.Success, Reason: "client list: 2600 rows"})
	attack(Attack{"insider " + insider.ID + " exports 2,600 rows", []string{detect.BulkExport}, insider.ID, t, t.Add(time.Minute)})

	// A stolen administrator's session, used from abroad at night.
	admin := pick("admin", 1)
	t = day(9, float64(admin.Start)+17.5)
	g.add(audit.Event{At: t, ActorID: admin.ID, IP: "185.220.101.34", Action: "session.create", ObjectType: "user", ObjectID: admin.ID, Outcome: audit.Success})
	for i := range 40 {
		g.add(audit.Event{At: t.Add(time.Duration(i) * 30 * time.Second), ActorID: admin.ID, IP: "185.220.101.34", Action: "customer.read", ObjectType: "customer", ObjectID: fmt.Sprintf("cus_%06d", 50000+i), Outcome: audit.Success})
	}
	attack(Attack{"stolen session of " + admin.ID + " from 185.220.101.0/24", []string{detect.NewNetwork, detect.OffHours}, admin.ID, t, t.Add(20 * time.Minute)})

	// A disabled account's password still works for someone.
	leaver := pick("field_rep", 2)
	t = day(10, 9.1)
	g.add(audit.Event{At: t, ActorID: leaver.ID, IP: leaver.Home, Action: "session.create", ObjectType: "user", ObjectID: leaver.ID, Outcome: audit.Failure, Reason: "account disabled"})
	attack(Attack{"disabled account " + leaver.ID + " used", []string{detect.DisabledAccount}, leaver.ID, t, t.Add(time.Minute)})

	// Break-glass.
	doc := pick("counsellor", 0)
	t = day(11, float64(doc.Start)+3)
	g.add(audit.Event{At: t, ActorID: doc.ID, IP: doc.Office, Action: "breakglass.open", ObjectType: "customer", ObjectID: "cus_000042", Outcome: audit.Success})
	attack(Attack{"break-glass by " + doc.ID, []string{detect.BreakGlass}, doc.ID, t, t.Add(time.Minute)})

	// A rep's account used at a store 1,000 km from the one they checked
	// in at 40 minutes before (a stolen phone, or a shared login).
	traveller := pick("field_rep", 7)
	t = day(11, float64(traveller.Start)+1.5)
	g.checkIn(traveller, t, traveller.City)
	g.checkIn(traveller, t.Add(40*time.Minute), (traveller.City+1)%len(cities))
	attack(Attack{"impossible travel by " + traveller.ID, []string{detect.ImpossibleTravel}, traveller.ID, t, t.Add(41 * time.Minute)})

	// Probing: a user walks the API for what they may not see.
	prober := pick("field_rep", 5)
	t = day(12, float64(prober.Start)+4)
	for i := range 60 {
		g.add(audit.Event{At: t.Add(time.Duration(i) * 4 * time.Second), ActorID: prober.ID, IP: prober.Office, Action: "security.forbidden", ObjectType: "route", ObjectID: "GET /api/v1/users", Outcome: audit.Denied})
	}
	attack(Attack{"probing by " + prober.ID, []string{detect.DeniedSurge}, prober.ID, t, t.Add(5 * time.Minute)})
}
