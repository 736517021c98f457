package httpx

import (
	"encoding/json"
	"net/http/httptest"
	"strings"
	"testing"

	"strongroom.dev/strongroom/internal/errs"
)

// TestDecodeJSONRefusesBadText: what encoding/json would silently turn
// into U+FFFD is refused, naming the field that holds it.
func TestDecodeJSONRefusesBadText(t *testing.T) {
	for _, tt := range []struct {
		body, field string // field "" : accepted
	}{
		{`{"name":"王小明 \ud83d\ude00"}`, ""},
		{`{"name":"back\\ud800slash"}`, ""}, // an escaped backslash, then text
		{`{"name":"\ufffd typed"}`, ""},
		{`{"name":"\ud800"}`, "name"},
		{`{"name":"\uDBFF"}`, "name"},
		{`{"name":"\udc00"}`, "name"},
		{`{"name":"\ud800\u0041"}`, "name"},
		{`{"name":"\ud800\\udc00"}`, "name"},
		{`{"name":"ok","notes":"x\ud800"}`, "notes"},
		{`{"tags":["a","\udfff"]}`, "tags"},
		{"{\"name\":\"a\xffb\"}", "name"},
		{"{\"name\":\"\xed\xa0\x80\"}", "name"},
		{"{\"na\xffme\":\"x\"}", "-"}, // a bad key: refused without a field
	} {
		r := httptest.NewRequest("POST", "/", strings.NewReader(tt.body))
		r.Header.Set("Content-Type", "application/json")
		var dst struct {
			Name  string   `json:"name"`
			Notes string   `json:"notes"`
			Tags  []string `json:"tags"`
		}
		err := DecodeJSON(httptest.NewRecorder(), r, &dst)
		msg, field := errs.Public(err)
		switch {
		case tt.field == "" && err != nil:
			t.Errorf("%s: refused: %v", tt.body, err)
		case tt.field == "":
		case !errs.Is(err, errs.Invalid) || !strings.Contains(msg, "not valid UTF-8"):
			t.Errorf("%s: %v; want refused as not UTF-8 text", tt.body, err)
		case tt.field != "-" && field != tt.field:
			t.Errorf("%s: field %q, want %q", tt.body, field, tt.field)
		}
	}
}

// FuzzJSONText: a JSON string isText accepts decodes without any U+FFFD
// the sender did not write; one it refuses would have been decoded with a
// U+FFFD in it.
func FuzzJSONText(f *testing.F) {
	for _, s := range []string{"abc", `\ud800`, `\ud83d\ude00`, `\udc00\ud800`, "\xff", "\xed\xa0\x80", `\\ud800`, `\u00e9`, `\ufffd`, "\ufffd"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		body := []byte(`"` + s + `"`)
		var v string
		if json.Unmarshal(body, &v) != nil {
			return // not a JSON string: the decoder refuses it anyway
		}
		wrote := strings.Contains(s, "\ufffd") || strings.Contains(strings.ToLower(s), `\ufffd`)
		switch replaced := strings.ContainsRune(v, '\ufffd'); {
		case isText(body) && replaced && !wrote:
			t.Fatalf("%q accepted, but decodes as %q", s, v)
		case !isText(body) && !replaced:
			t.Fatalf("%q refused, but decodes cleanly as %q", s, v)
		}
	})
}
