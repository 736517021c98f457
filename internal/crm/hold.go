package crm

import (
	"slices"
	"time"
)

// Legal hold scopes: what a hold keeps from an erasure. The set is fixed,
// so that an erasure knows exactly which data to keep apart and which to
// destroy.
const (
	// HoldTransactions keeps the purchase history: kind, status, date,
	// currency, amounts, references and descriptions (e.g. a payment firm's
	// or an auction house's transaction records).
	HoldTransactions = "transactions"
	// HoldIdentity keeps the name and national id (e.g. the customer due
	// diligence records an anti-money-laundering law requires).
	HoldIdentity = "identity"
	// HoldConsents keeps the consent ledger, as evidence of the lawful
	// basis the data was processed on.
	HoldConsents = "consents"
)

// HoldScopes are the scopes a legal hold may have.
var HoldScopes = []string{HoldTransactions, HoldIdentity, HoldConsents}

// ValidHoldScope reports whether scope is one of HoldScopes.
func ValidHoldScope(scope string) bool { return slices.Contains(HoldScopes, scope) }

// HeldRecord is what an erasure kept under a legal hold: the data of the
// hold's scope, sealed under a data key of its own, readable only by the
// privacy officer with a reason, and destroyed when the hold ends. It
// names the erasure request; no plain column names the erased person.
type HeldRecord struct {
	ID        string // also the subject id of its data key
	RequestID string // the erasure request
	Scope     string
	Reason    string
	Until     time.Time
	Items     int // transactions or consents kept (1 for identity)
	CreatedBy string
	CreatedAt time.Time
}

// HeldData is a held record's sealed content.
type HeldData struct {
	FormerCustomerID string        `json:"former_customer_id"`
	Name             string        `json:"name,omitempty"`
	NationalID       string        `json:"national_id,omitempty"`
	Transactions     []Transaction `json:"transactions,omitempty"`
	Consents         []Consent     `json:"consents,omitempty"`
}
