// Package siem sends the audit log to a security information and event
// management system: each event as a JSON line or an RFC 5424 syslog
// message, to a file or a TCP+TLS endpoint (RFC 5425 framing), from a
// cursor that is saved after each delivery, so that an export resumes
// where it stopped. Events carry ids, actions, field names and outcomes,
// never a personal value; the security events (refusals, alerts, the log's
// own alarms) go with the rest.
package siem

import (
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"time"

	"strongroom.dev/strongroom/internal/audit"
)

// Format turns an event into one record (without framing).
type Format func(e audit.Event) ([]byte, error)

// JSONLines is the event as one line of JSON (the API's form).
func JSONLines(e audit.Event) ([]byte, error) {
	b, err := json.Marshal(e)
	if err != nil {
		return nil, err
	}
	return append(b, '\n'), nil
}

// enterprise is the private enterprise number in the structured data's
// id; 32473 is the one RFC 5612 reserves for documentation and examples.
const enterprise = "32473"

// Syslog returns RFC 5424 messages from host (the HOSTNAME field): facility
// log audit (13); severity notice, or warning for a failure or refusal;
// APP-NAME strongroom; MSGID the action; the event's fields as structured
// data; and a short text.
func Syslog(host string) Format {
	if host == "" {
		host = "-"
	}
	host = printable(host, 255)
	return func(e audit.Event) ([]byte, error) {
		severity := 5
		if e.Outcome != audit.Success {
			severity = 4
		}
		var b strings.Builder
		fmt.Fprintf(&b, "<%d>1 %s %s strongroom - %s [audit@%s", 13*8+severity, e.At.UTC().Format(time.RFC3339Nano), host, printable(e.Action, 32), enterprise)
		param := func(name, v string) {
			if v != "" {
				b.WriteString(" " + name + `="` + sdEscape(v) + `"`)
			}
		}
		param("seq", strconv.FormatInt(e.Seq, 10))
		param("actor", e.ActorID)
		param("session", e.SessionID)
		param("ip", e.IP)
		param("object_type", e.ObjectType)
		param("object_id", e.ObjectID)
		param("fields", strings.Join(e.Fields, ","))
		if len(e.Subjects) > 0 {
			param("subjects", strconv.Itoa(len(e.Subjects)))
		}
		param("client", e.ClientID)
		param("device", e.DeviceID)
		param("outcome", e.Outcome)
		param("hash", fmt.Sprintf("%x", e.Hash))
		b.WriteString("] ")
		msg := e.Action + " " + e.Outcome
		if e.Reason != "" {
			msg += ": " + e.Reason
		}
		// No control character (a line break would split the record in a
		// file and let a reason forge another).
		b.WriteString(strings.Map(func(r rune) rune {
			if r < 32 || r == 127 {
				return ' '
			}
			return r
		}, msg))
		return []byte(b.String()), nil
	}
}

// sdEscape escapes a structured-data value (RFC 5424 §6.3.3).
func sdEscape(s string) string {
	return strings.NewReplacer(`\`, `\\`, `"`, `\"`, `]`, `\]`).Replace(s)
}

// printable keeps a header field to printable US-ASCII without spaces, at
// most n characters (RFC 5424 §6).
func printable(s string, n int) string {
	var b strings.Builder
	for _, r := range s {
		if b.Len() >= n {
			break
		}
		if r > 32 && r < 127 {
			b.WriteRune(r)
		} else {
			b.WriteByte('_')
		}
	}
	if b.Len() == 0 {
		return "-"
	}
	return b.String()
}
