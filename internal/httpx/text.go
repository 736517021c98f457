package httpx

import (
	"bytes"
	"encoding/json"
	"io"
	"maps"
	"net/http"
	"slices"
	"unicode/utf8"

	"strongroom.dev/strongroom/internal/crm"
	"strongroom.dev/strongroom/internal/errs"
)

// readText reads a JSON body (at most MaxBody bytes) and refuses it when
// its strings are not Unicode text: invalid UTF-8, or a \u escape of a lone
// surrogate. encoding/json would silently turn either into U+FFFD, so this
// is checked on the raw bytes, before decoding. The error names the
// top-level field that holds the bad text when there is one.
func readText(w http.ResponseWriter, r *http.Request) ([]byte, error) {
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, MaxBody))
	if err != nil {
		return nil, jsonError(err)
	}
	if isText(body) {
		return body, nil
	}
	var fields map[string]json.RawMessage
	if json.Unmarshal(body, &fields) == nil {
		for _, name := range slices.Sorted(maps.Keys(fields)) { // the first in name order, every time
			if !isText(fields[name]) && isText([]byte(name)) {
				return nil, errs.InvalidField(name, name+" is not valid UTF-8 text (it holds a byte sequence or a lone surrogate that is not a character)")
			}
		}
	}
	return nil, errs.E(errs.Invalid, "the body is not valid UTF-8 text (it holds a byte sequence or a lone surrogate that is not a character)")
}

// isText reports whether raw JSON is valid UTF-8 whose \u escapes pair
// every surrogate.
func isText(b []byte) bool {
	if !utf8.Valid(b) {
		return false
	}
	for i := 0; i < len(b); i++ {
		if b[i] != '\\' {
			continue
		}
		i++ // the escaped character
		if i >= len(b) || b[i] != 'u' {
			continue
		}
		c, ok := hex4(b[i+1:])
		if !ok {
			continue // not an escape; the decoder reports the syntax error
		}
		i += 4
		switch {
		case c >= 0xDC00 && c <= 0xDFFF:
			return false // a low surrogate with no high one before it
		case c >= 0xD800 && c <= 0xDBFF:
			if !bytes.HasPrefix(b[i+1:], []byte(`\u`)) {
				return false
			}
			if lo, ok := hex4(b[i+3:]); !ok || lo < 0xDC00 || lo > 0xDFFF {
				return false
			}
			i += 6
		}
	}
	return true
}

// hex4 reads four hex digits.
func hex4(b []byte) (rune, bool) {
	if len(b) < 4 {
		return 0, false
	}
	var c rune
	for _, d := range b[:4] {
		c <<= 4
		switch {
		case d >= '0' && d <= '9':
			c |= rune(d - '0')
		case d >= 'a' && d <= 'f':
			c |= rune(d - 'a' + 10)
		case d >= 'A' && d <= 'F':
			c |= rune(d - 'A' + 10)
		default:
			return 0, false
		}
	}
	return c, true
}

// CheckPath refuses a request whose path, decoded, is not text fit for an
// identifier (a %00 or %FF in an id or a role's name): the input rules of
// crm.Label, checked before any handler reads a path value.
func CheckPath(r *http.Request) error {
	if _, err := crm.Label("path", r.URL.Path, 0); err != nil {
		return errs.E(errs.Invalid, "the address holds a control character, an invisible text-direction character or bytes that are not UTF-8 text")
	}
	return nil
}
