package crm

import (
	"fmt"
	"strings"
	"unicode/utf8"

	"strongroom.dev/strongroom/internal/errs"
)

// The input rules for text, in one place. Every text a person types into
// Strongroom passes through Label or FreeText before it is stored:
//
//   - it must be valid UTF-8 (a lone surrogate is not): it is refused,
//     never silently replaced with U+FFFD;
//   - control characters (C0 U+0000–U+001F, DEL U+007F, C1 U+0080–U+009F)
//     are refused, except tab and line breaks in free text (a CR only as
//     part of CRLF, which becomes LF);
//   - labels (names, tags, emails, identifiers, anything shown as a label)
//     also refuse the invisible characters that change the direction of
//     text (U+202A–U+202E embeddings and overrides, U+2066–U+2069
//     isolates, U+200E, U+200F and U+061C marks), which can make a label
//     display as something it is not, and line or paragraph separators
//     (U+2028, U+2029).
//
// Both trim surrounding white space and count length in characters.

// Label checks a one-line value shown as a label and returns it trimmed.
// max is its longest length in characters (0: no limit).
func Label(field, v string, max int) (string, error) {
	return checkText(field, v, max, false)
}

// FreeText checks free text (notes, descriptions, reasons, policy text,
// summaries), which may hold tabs and line breaks, and returns it trimmed
// with CRLF line breaks made LF. max is its longest length in characters
// (0: no limit).
func FreeText(field, v string, max int) (string, error) {
	return checkText(field, v, max, true)
}

func checkText(field, v string, max int, free bool) (string, error) {
	if !utf8.ValidString(v) {
		return "", errs.InvalidField(field, field+" is not valid UTF-8 text (it holds a byte sequence or a lone surrogate that is not a character)")
	}
	v = strings.TrimSpace(v)
	if free {
		v = strings.ReplaceAll(v, "\r\n", "\n")
	}
	for _, r := range v {
		if msg := refused(r, free); msg != "" {
			return "", errs.InvalidField(field, fmt.Sprintf("%s contains %s (U+%04X), which is not allowed", field, msg, r))
		}
	}
	if max > 0 && utf8.RuneCountInString(v) > max {
		return "", errs.InvalidField(field, fmt.Sprintf("%s is longer than %d characters", field, max))
	}
	return v, nil
}

// refused says what kind of forbidden character r is in a label or (free)
// in free text, or "" when r is allowed.
func refused(r rune, free bool) string {
	switch {
	case free && (r == '\t' || r == '\n'):
		return ""
	case r == '\r' && free:
		return "a carriage return that does not end a line"
	case r == '\t' || r == '\n' || r == '\r':
		return "a tab or line break"
	case r < 0x20 || r >= 0x7F && r <= 0x9F:
		return "a control character"
	case free:
		return ""
	case r >= 0x202A && r <= 0x202E, r >= 0x2066 && r <= 0x2069, r == 0x200E, r == 0x200F, r == 0x061C:
		return "an invisible text-direction character"
	case r == 0x2028 || r == 0x2029:
		return "a line or paragraph separator"
	}
	return ""
}
