package detect_test

import (
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"strongroom.dev/strongroom/internal/detect"
	"strongroom.dev/strongroom/internal/detect/sim"
)

// TestDetectorsOnSimulatedCompany replays six weeks of a simulated
// 200-person company, with attacks in the last two, through the
// detectors with their default rules. Every attack must be caught, with
// fewer than one false alarm per 100 users a week. It logs the table the
// docs quote (go test -run Simulated -v ./internal/detect).
func TestDetectorsOnSimulatedCompany(t *testing.T) {
	const people, weeks = 200, 6
	start := time.Date(2026, 9, 7, 0, 0, 0, 0, time.UTC) // a Monday
	for _, seed := range []uint64{1, 2, 3} {
		t.Run(fmt.Sprint("seed ", seed), func(t *testing.T) {
			c := sim.New(seed, people, weeks, start)
			e := detect.NewEngine(detect.Defaults())
			e.Privileged = c.Privileged
			var alerts []detect.Alert
			places := c.Places
			for _, ev := range c.Events {
				for len(places) > 0 && !places[0].At.After(ev.At) {
					alerts = append(alerts, e.ObservePlace(places[0])...)
					places = places[1:]
				}
				alerts = append(alerts, e.Observe(ev)...)
			}
			for _, p := range places {
				alerts = append(alerts, e.ObservePlace(p)...)
			}
			caught := make([]bool, len(c.Attacks))
			falseByRule := map[string]int{}
			var falseAlarms []string
			for _, a := range alerts {
				hit := false
				for i, at := range c.Attacks {
					if slices.Contains(at.Rules, a.Rule) && (a.UserID == at.Key || a.Network == at.Key) &&
						!a.At.Before(at.From) && !a.At.After(at.To.Add(time.Hour)) {
						caught[i], hit = true, true
					}
				}
				if !hit {
					falseByRule[a.Rule]++
					falseAlarms = append(falseAlarms, a.Rule+": "+a.Summary)
				}
			}
			var table strings.Builder
			fmt.Fprintf(&table, "%d events, %d check-in places, %d alerts\n%-22s %8s %8s %14s\n", len(c.Events), len(c.Places), len(alerts), "detector", "attacks", "caught", "false/100u/wk")
			for _, rule := range detect.Names() {
				n, got := 0, 0
				for i, at := range c.Attacks {
					if at.Rules[0] == rule {
						n++
						if caught[i] {
							got++
						}
					}
				}
				fmt.Fprintf(&table, "%-22s %8d %8d %14.2f\n", rule, n, got, float64(falseByRule[rule])/float64(weeks)/(people/100))
			}
			t.Log("\n" + table.String())
			for i, at := range c.Attacks {
				if !caught[i] {
					t.Errorf("attack not detected: %s", at.Name)
				}
			}
			rate := float64(len(falseAlarms)) / float64(weeks) / (people / 100)
			if rate >= 1 {
				t.Errorf("%.2f false alarms per 100 users a week (want under 1):\n%s", rate, strings.Join(falseAlarms, "\n"))
			}
		})
	}
}

// TestDetectorsAlertOnce: a detector that fired stays quiet for the same
// subject until its window has passed, and fires again after.
func TestDetectorsAlertOnce(t *testing.T) {
	e := detect.NewEngine(detect.Defaults())
	at := time.Date(2026, 11, 30, 10, 0, 0, 0, time.UTC)
	fail := func(at time.Time, seq int64) []detect.Alert {
		return e.Observe(auditFailure(at, seq))
	}
	var n int
	for i := range 20 {
		n += len(fail(at.Add(time.Duration(i)*time.Second), int64(i+1)))
	}
	if n != 1 {
		t.Fatalf("20 failed logins in 20 s raised %d alerts, want 1", n)
	}
	later := at.Add(time.Hour)
	n = 0
	for i := range 10 {
		n += len(fail(later.Add(time.Duration(i)*time.Second), int64(100+i)))
	}
	if n != 1 {
		t.Fatalf("a new burst an hour later raised %d alerts, want 1", n)
	}
}

func TestParseConfig(t *testing.T) {
	cfg, err := detect.ParseConfig([]byte(`{"failed_login_burst": {"threshold": 5, "window": "5m", "response": "lock_account"}, "off_hours": {"enabled": false}}`))
	if err != nil {
		t.Fatal(err)
	}
	if r := cfg[detect.FailedLoginBurst]; r.Threshold != 5 || r.Window != 5*time.Minute || r.Response != detect.RespondLock || !r.Enabled {
		t.Errorf("failed_login_burst: %+v", r)
	}
	if cfg[detect.OffHours].Enabled || !cfg[detect.ReadVolume].Enabled {
		t.Error("off_hours should be off and the others as by default")
	}
	for _, bad := range []string{
		`{"nosuch": {}}`,
		`{"read_volume": {"window": "an hour"}}`,
		`{"read_volume": {"threshold": -1}}`,
		`{"read_volume": {"response": "shut down"}}`,
		`{"read_volume": {"severity": "dire"}}`,
		`{"read_volume": {"treshold": 3}}`,
		`[1]`,
	} {
		if _, err := detect.ParseConfig([]byte(bad)); err == nil {
			t.Errorf("%s: accepted", bad)
		}
	}
}
