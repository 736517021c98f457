package authz

import (
	"testing"
	"time"
)

func TestOwes(t *testing.T) {
	all := Actor{MFAPending: true, EnrolPending: true, PolicyPending: true}
	cases := []struct {
		name  string
		actor Actor
		gate  Gate
		want  string
	}{
		{"nothing owed passes every gate", Actor{}, GateFull, ""},
		{"the second factor comes first", all, GateFull, "mfa"},
		{"verifying the second factor is open to it", all, GateMFA, ""},
		{"enrolment before the policy", Actor{EnrolPending: true, PolicyPending: true}, GateFull, "enrol"},
		{"enrolling is open before the policy is accepted", Actor{EnrolPending: true, PolicyPending: true}, GateEnrol, ""},
		{"the policy page does not open to an unenrolled user", Actor{EnrolPending: true}, GatePolicy, "enrol"},
		{"policy owed", Actor{PolicyPending: true}, GateFull, "policy"},
		{"the policy page is open to it", Actor{PolicyPending: true}, GatePolicy, ""},
	}
	for _, c := range cases {
		if got := c.actor.Owes(c.gate); got != c.want {
			t.Errorf("%s: Owes(%d) = %q, want %q", c.name, c.gate, got, c.want)
		}
	}
}

func TestSteppedUp(t *testing.T) {
	now := time.Date(2026, 11, 24, 9, 0, 0, 0, time.UTC)
	cases := []struct {
		name  string
		actor Actor
		want  bool
	}{
		{"never proved", Actor{UserID: "usr_a", SessionID: "ses_a"}, false},
		{"just proved", Actor{UserID: "usr_a", SessionID: "ses_a", VerifiedAt: now}, true},
		{"4m59s ago", Actor{UserID: "usr_a", SessionID: "ses_a", VerifiedAt: now.Add(-StepUpWindow + time.Second)}, true},
		{"5 minutes ago", Actor{UserID: "usr_a", SessionID: "ses_a", VerifiedAt: now.Add(-StepUpWindow)}, false},
		{"the system on the host", System(), true},
		{"a session claiming the system id", Actor{UserID: SystemUserID, SessionID: "ses_x"}, false},
	}
	for _, c := range cases {
		if got := c.actor.SteppedUp(now); got != c.want {
			t.Errorf("%s: %v, want %v", c.name, got, c.want)
		}
	}
}
