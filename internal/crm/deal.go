package crm

import (
	"strings"
	"time"

	"strongroom.dev/strongroom/internal/errs"
)

// Deal field names (sealed under the customer's data key).
const (
	DealTitle  = "title"
	DealAmount = "amount"
)

// DealFields lists a deal's sealed fields with their classes.
var DealFields = []struct {
	Name  string
	Class FieldClass
}{
	{DealTitle, ClassNotes},
	{DealAmount, ClassFinancial},
}

// Stage is a pipeline stage.
type Stage struct {
	ID          string `json:"id"`
	Probability int    `json:"probability"`
	Outcome     string `json:"outcome"` // open, won or lost
}

// Deal is an opportunity with a customer, moving through pipeline stages.
// Amount is in minor units (cents, fen) of Currency.
type Deal struct {
	ID            string
	CustomerID    string
	OwnerID       string
	OwnerTeam     string
	Stage         string
	Currency      string
	Title         string
	Amount        *int64 // nil when the actor may not see amounts
	Probability   int
	ExpectedClose string // YYYY-MM-DD or ""
	CreatedAt     time.Time
	UpdatedAt     time.Time
}

// DealInput is a new deal or a change to one (nil leaves a value as is).
type DealInput struct {
	Title         *string
	Amount        *int64
	Currency      *string
	Stage         *string
	Probability   *int
	ExpectedClose *string
}

// Normalise validates in; create requires a title, an amount and a currency.
func (in *DealInput) Normalise(create bool) error {
	if in.Title != nil {
		t, err := Label("title", *in.Title, 200)
		if err != nil {
			return err
		}
		if t == "" {
			return errs.InvalidField("title", "title is required")
		}
		in.Title = &t
	} else if create {
		return errs.InvalidField("title", "title is required")
	}
	if in.Amount != nil && (*in.Amount < 0 || *in.Amount > 1e15) {
		return errs.InvalidField("amount", "amount must be between 0 and 10^15 minor units")
	} else if in.Amount == nil && create {
		return errs.InvalidField("amount", "amount is required (in minor units, e.g. cents)")
	}
	if in.Currency != nil {
		c := strings.ToUpper(strings.TrimSpace(*in.Currency))
		if len(c) != 3 || strings.Trim(c, "ABCDEFGHIJKLMNOPQRSTUVWXYZ") != "" {
			return errs.InvalidField("currency", "currency must be a three-letter ISO 4217 code, like CNY or USD")
		}
		in.Currency = &c
	} else if create {
		return errs.InvalidField("currency", "currency is required")
	}
	if in.Probability != nil && (*in.Probability < 0 || *in.Probability > 100) {
		return errs.InvalidField("probability", "probability must be between 0 and 100")
	}
	if in.ExpectedClose != nil && *in.ExpectedClose != "" {
		if _, err := time.Parse(time.DateOnly, *in.ExpectedClose); err != nil {
			return errs.InvalidField("expected_close", "expected_close must be a date, like 2026-12-31")
		}
	}
	return nil
}
