package httpx

import (
	"encoding/json"
	"net/http/httptest"
	"strings"
	"testing"

	"strongroom.dev/strongroom/internal/errs"
)

type setting struct {
	Roles []string `json:"roles"`
	Name  string   `json:"name"`
	Due   *string  `json:"due"`
}

// TestDecodeJSONRefusesWhatWouldDropASetting: a body that is not an
// object, a missing required member and a member given as null are
// refused, each naming the field, so that no malformed call reads as
// "none".
func TestDecodeJSONRefusesWhatWouldDropASetting(t *testing.T) {
	cases := []struct {
		name, body string
		patch      bool
		field, msg string // msg "" means accepted
	}{
		{"explicit empty list", `{"roles":[]}`, false, "", ""},
		{"all members", `{"roles":["admin"],"name":"x","due":"2026-01-01"}`, false, "", ""},
		{"empty object", `{}`, false, "roles", "roles is required: a list (send [] to clear)"},
		{"null body", `null`, false, "", "must be a JSON object, not null"},
		{"null body with spaces", " \n null \t", false, "", "not null"},
		{"list body", `[]`, false, "", "must be a JSON object"},
		{"string body", `"x"`, false, "", "must be a JSON object"},
		{"number body", `42`, false, "", "must be a JSON object"},
		{"boolean body", `true`, false, "", "must be a JSON object"},
		{"required member null", `{"roles":null}`, false, "roles", "roles cannot be null: give a list (send [] to clear)"},
		{"required member null, spaced", `{ "roles" : null }`, false, "roles", "cannot be null"},
		{"optional member null", `{"roles":[],"due":null}`, false, "due", "due cannot be null: leave it out or give a string"},
		{"wrong type", `{"roles":5}`, false, "roles", "roles must be a list (send [] to clear)"},
		{"unknown member", `{"roles":[],"zz":1}`, false, "zz", `unknown field "zz"`},
		{"second spelling nulls it", `{"roles":["admin"],"ROLES":null}`, false, "roles", "name the same field"},
		{"second spelling by case folding", `{"roles":["admin"],"ROLEſ":[]}`, false, "roles", "name the same field"},
		{"two objects", `{"roles":[]}{}`, false, "", "exactly one"},
		{"empty body", ``, false, "", "empty"},
		{"patch: empty object", `{}`, true, "", "nothing to change"},
		{"patch: null body", `null`, true, "", "not null"},
		{"patch: one member", `{"name":"x"}`, true, "", ""},
		{"patch: null member", `{"name":null}`, true, "name", "name cannot be null"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r := httptest.NewRequest("PUT", "/", strings.NewReader(tc.body))
			r.Header.Set("Content-Type", "application/json")
			var dst setting
			var err error
			if tc.patch {
				err = DecodePatch(httptest.NewRecorder(), r, &dst)
			} else {
				err = DecodeJSON(httptest.NewRecorder(), r, &dst, "roles")
			}
			if tc.msg == "" {
				if err != nil {
					t.Fatalf("refused: %v", err)
				}
				return
			}
			if !errs.Is(err, errs.Invalid) {
				t.Fatalf("err = %v, want Invalid", err)
			}
			msg, field := errs.Public(err)
			if !strings.Contains(msg, tc.msg) || (tc.field != "" && field != tc.field) {
				t.Fatalf("got %q (field %q), want %q (field %q)", msg, field, tc.msg, tc.field)
			}
		})
	}
}

// TestDecodeJSONRaw: a raw object keeps its null members (a WebAuthn
// answer has some) but its required members must be there and not null.
func TestDecodeJSONRaw(t *testing.T) {
	for body, want := range map[string]string{
		`{"id":"a","authenticatorAttachment":null}`: "",
		`{"type":"public-key"}`:                     "id is required",
		`{"id":null}`:                               "id cannot be null",
		`null`:                                      "not null",
		`[{"id":"a"}]`:                              "must be a JSON object",
	} {
		r := httptest.NewRequest("POST", "/", strings.NewReader(body))
		r.Header.Set("Content-Type", "application/json")
		var raw json.RawMessage
		err := DecodeJSON(httptest.NewRecorder(), r, &raw, "id")
		msg, _ := errs.Public(err)
		switch {
		case want == "" && err != nil:
			t.Errorf("%s: refused: %v", body, err)
		case want == "" && string(raw) != body:
			t.Errorf("%s: kept %s", body, raw)
		case want != "" && !strings.Contains(msg, want):
			t.Errorf("%s: got %v, want %q", body, err, want)
		}
	}
}
