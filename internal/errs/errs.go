// Package errs holds the closed set of error kinds Strongroom uses and the
// one mapping from a kind to an HTTP status.
//
// Errors carry a public message, safe to show a client, and a private cause
// that is only ever logged. Callers classify errors with Is or KindOf, never
// by their text.
package errs

import (
	"errors"
	"net/http"
	"time"
)

// Kind classifies an error.
type Kind uint8

const (
	Internal        Kind = iota // unexpected; the cause is logged, the client sees a generic message
	Invalid                     // the input is wrong
	NotExist                    // the thing does not exist, or the caller may not know it does
	Exist                       // the thing already exists
	Permission                  // the caller is known but may not do this
	Unauthenticated             // the caller is not known
	TooMany                     // throttled
	TooLarge                    // the input is over a size limit
	Unavailable                 // a dependency (e.g. the audit log) cannot be written; fail closed
	Conflict                    // the state changed underneath the caller
	StepUp                      // the caller must prove it is them again (a fresh second factor) first
	ApprovalNeeded              // the action needs an approved request first (maker-checker)
)

var kindNames = [...]string{
	Internal:        "internal",
	Invalid:         "invalid",
	NotExist:        "not_found",
	Exist:           "exists",
	Permission:      "forbidden",
	Unauthenticated: "unauthenticated",
	TooMany:         "too_many_requests",
	TooLarge:        "too_large",
	Unavailable:     "unavailable",
	Conflict:        "conflict",
	StepUp:          "step_up_required",
	ApprovalNeeded:  "approval_required",
}

func (k Kind) String() string {
	if int(k) < len(kindNames) {
		return kindNames[k]
	}
	return "internal"
}

// Status is the HTTP status for a kind. It is the only such mapping.
func (k Kind) Status() int {
	switch k {
	case Invalid:
		return http.StatusBadRequest
	case NotExist:
		return http.StatusNotFound
	case Exist, Conflict:
		return http.StatusConflict
	case Permission, StepUp, ApprovalNeeded:
		return http.StatusForbidden
	case Unauthenticated:
		return http.StatusUnauthorized
	case TooMany:
		return http.StatusTooManyRequests
	case TooLarge:
		return http.StatusRequestEntityTooLarge
	case Unavailable:
		return http.StatusServiceUnavailable
	default:
		return http.StatusInternalServerError
	}
}

// Error is a classified error.
type Error struct {
	Kind  Kind
	Op    string // the operation, e.g. "service.CreateCustomer"
	Msg   string // public, safe to show a client
	Field string // the input field at fault, when there is one
	// RetryAfter tells a throttled caller when to come back.
	RetryAfter time.Duration
	Err        error // private cause, never shown to a client
}

func (e *Error) Error() string {
	s := e.Op
	if s != "" {
		s += ": "
	}
	if e.Msg != "" {
		s += e.Msg
	} else {
		s += e.Kind.String()
	}
	if e.Err != nil {
		s += ": " + e.Err.Error()
	}
	return s
}

func (e *Error) Unwrap() error { return e.Err }

// E builds an error of kind k with a public message.
func E(k Kind, msg string) *Error { return &Error{Kind: k, Msg: msg} }

// Wrap classifies cause as kind k under operation op, with a public message.
func Wrap(k Kind, op, msg string, cause error) *Error {
	return &Error{Kind: k, Op: op, Msg: msg, Err: cause}
}

// InvalidField reports a bad value in one named input field.
func InvalidField(field, msg string) *Error {
	return &Error{Kind: Invalid, Field: field, Msg: msg}
}

// KindOf returns the kind of the first *Error in err's chain, or Internal.
func KindOf(err error) Kind {
	var e *Error
	if errors.As(err, &e) {
		return e.Kind
	}
	return Internal
}

// Is reports whether err is classified as kind k.
func Is(err error, k Kind) bool { return err != nil && KindOf(err) == k }

// Public returns the message a client may see for err and the field at
// fault, if any. Internal errors never expose their text.
func Public(err error) (msg, field string) {
	var e *Error
	if errors.As(err, &e) && e.Kind != Internal && e.Msg != "" {
		return e.Msg, e.Field
	}
	switch k := KindOf(err); k {
	case Internal:
		return "an internal error occurred; it has been logged", ""
	default:
		return k.String(), ""
	}
}
