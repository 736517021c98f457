package crm

import (
	"strings"
	"time"

	"strongroom.dev/strongroom/internal/errs"
)

// Activity kinds.
const (
	KindCall    = "call"
	KindMeeting = "meeting"
	KindNote    = "note"
	KindTask    = "task"
)

// ActivityKinds lists the kinds in display order.
var ActivityKinds = []string{KindCall, KindMeeting, KindNote, KindTask}

// Activity is a call, meeting, note or task on a customer or a company.
// Its subject and body belong to that subject's notes class: who may read
// or write its notes may read or log its activities.
type Activity struct {
	ID         string
	CustomerID string // one of CustomerID and CompanyID is set
	CompanyID  string
	DealID     string // with CustomerID: the deal it is about
	OwnerID    string
	Kind       string
	Subject    string
	Body       string
	DueAt      *time.Time // tasks only
	DoneAt     *time.Time // tasks only
	CreatedAt  time.Time
}

// ActivityInput is a new activity.
type ActivityInput struct {
	Kind    string
	Subject string
	Body    string
	DueAt   *time.Time
}

// Normalise validates in and trims its text.
func (in *ActivityInput) Normalise() error {
	in.Kind = strings.TrimSpace(in.Kind)
	valid := false
	for _, k := range ActivityKinds {
		valid = valid || in.Kind == k
	}
	if !valid {
		return errs.InvalidField("kind", "kind must be one of: call, meeting, note, task")
	}
	var err error
	if in.Subject, err = Label("subject", in.Subject, 200); err != nil {
		return err
	}
	if in.Body, err = FreeText("body", in.Body, maxNotes); err != nil {
		return err
	}
	switch {
	case in.Subject == "":
		return errs.InvalidField("subject", "subject is required")
	case in.DueAt != nil && in.Kind != KindTask:
		return errs.InvalidField("due_at", "only tasks have a due date")
	}
	return nil
}
