package crm

import (
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"strongroom.dev/strongroom/internal/errs"
)

// Data-subject request kinds (GDPR Art. 15–21, CCPA/CPRA, PIPL Art. 44–47).
var RequestKinds = []string{"access", "portability", "rectification", "erasure", "restriction", "objection", "opt_out_sale", "limit_sensitive"}

// Laws whose deadline clock a request runs on, and the days each allows:
// GDPR one month (Art. 12(3)), CCPA 45 days (§1798.130), PIPL "promptly"
// (Art. 50), taken here as 15 days.
var Laws = map[string]int{"gdpr": 30, "ccpa": 45, "pipl": 15}

// Request statuses.
var RequestStatuses = []string{"open", "in_progress", "completed", "rejected"}

// Request is a data-subject request.
type Request struct {
	ID         string
	CustomerID string // "" once the customer is erased
	Kind       string
	Law        string
	Status     string
	Channel    string
	ReceivedAt time.Time
	DueAt      time.Time
	Assignee   string
	CreatedBy  string
	ClosedAt   time.Time
	Outcome    string
	Details    string // the person's words, sealed under their key
	// The workflow: when it was assigned; a second handler's approval
	// ("" none asked, "requested", "approved") for a step ("erasure",
	// "completion", "rejection"), who asked and who approved; who closed it.
	AssignedAt  time.Time
	Approval    string
	ApprovalFor string
	RequestedBy string
	ApprovedBy  string
	ApprovedAt  time.Time
	ClosedBy    string
	// Timeline is the request's events from the audit log (Request fills it).
	Timeline []RequestStep
}

// RequestStep is one event of a request's timeline, from the audit log.
type RequestStep struct {
	At      time.Time
	ActorID string
	Action  string
	Outcome string
	Note    string
}

// Open reports whether the request is still open (open or in progress).
func (r Request) Open() bool { return r.Status == "open" || r.Status == "in_progress" }

// AwaitingApproval reports whether a step of the request waits for a
// second handler's approval.
func (r Request) AwaitingApproval() bool { return r.Open() && r.Approval == "requested" }

// ApprovalSteps are the steps that may be made to need a second handler's
// approval: rejecting any request, or carrying out a request of a kind (a
// restriction is carried out by restricting, so it is not one of them).
var ApprovalSteps = []string{"rejection", "access", "portability", "rectification", "erasure", "objection", "opt_out_sale", "limit_sensitive"}

// Overdue reports whether an open request is past its deadline at now.
func (r Request) Overdue(now time.Time) bool {
	return r.Open() && now.After(r.DueAt)
}

// RequestInput records a request.
type RequestInput struct {
	Kind, Law, Details string
}

// Normalise validates in.
func (in *RequestInput) Normalise() error {
	in.Kind, in.Law, in.Details = strings.TrimSpace(in.Kind), strings.ToLower(strings.TrimSpace(in.Law)), strings.TrimSpace(in.Details)
	if in.Law == "" {
		in.Law = "gdpr"
	}
	switch {
	case !slices.Contains(RequestKinds, in.Kind):
		return errs.InvalidField("kind", "kind is one of: "+strings.Join(RequestKinds, ", "))
	case Laws[in.Law] == 0:
		return errs.InvalidField("law", "law is gdpr, ccpa or pipl")
	case utf8.RuneCountInString(in.Details) > 5000:
		return errs.InvalidField("details", "details are at most 5,000 characters")
	}
	return nil
}
