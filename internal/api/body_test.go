package api

import (
	"context"
	"encoding/json"
	"log/slog"
	"maps"
	"net/http"
	"net/http/httptest"
	"slices"
	"strconv"
	"strings"
	"testing"

	"strongroom.dev/strongroom/internal/authz"
	"strongroom.dev/strongroom/internal/service"
	"strongroom.dev/strongroom/internal/service/identity"
	"strongroom.dev/strongroom/internal/testkit"
)

// schema is the part of an OpenAPI schema the body test reads.
type schema struct {
	Ref           string            `json:"$ref"`
	AllOf         []schema          `json:"allOf"`
	Type          any               `json:"type"`
	Enum          []any             `json:"enum"`
	Required      []string          `json:"required"`
	MinProperties int               `json:"minProperties"`
	Additional    any               `json:"additionalProperties"`
	Properties    map[string]schema `json:"properties"`
	Encoding      string            `json:"contentEncoding"` // "base64": bytes
}

type specDoc struct {
	Paths map[string]map[string]json.RawMessage `json:"paths"`
	Comp  struct {
		Schemas map[string]schema `json:"schemas"`
	} `json:"components"`
}

// resolve follows $ref and merges allOf into one object schema.
func (d *specDoc) resolve(s schema) schema {
	if s.Ref != "" {
		return d.resolve(d.Comp.Schemas[strings.TrimPrefix(s.Ref, "#/components/schemas/")])
	}
	for _, part := range s.AllOf {
		p := d.resolve(part)
		s.Required = append(s.Required, p.Required...)
		s.MinProperties = max(s.MinProperties, p.MinProperties)
		if s.Additional == nil {
			s.Additional = p.Additional
		}
		if s.Properties == nil {
			s.Properties = map[string]schema{}
		}
		maps.Copy(s.Properties, p.Properties)
	}
	s.AllOf = nil
	return s
}

// sample is a value of the schema's type: what a client that read the
// document would send.
func (d *specDoc) sample(s schema) any {
	s = d.resolve(s)
	if len(s.Enum) > 0 {
		return s.Enum[0]
	}
	typ, _ := s.Type.(string)
	if list, ok := s.Type.([]any); ok {
		typ, _ = list[0].(string)
	}
	switch typ {
	case "string":
		if s.Encoding == "base64" {
			return "AAAA"
		}
		return "x"
	case "integer", "number":
		return 1
	case "boolean":
		return false
	case "array":
		return []any{}
	}
	return map[string]any{}
}

// bodyOp is an operation of the document that takes a request body.
type bodyOp struct {
	method, path string
	json         bool   // the body is JSON (not CSV, not an image)
	schema       schema // resolved
}

func bodyOps(t *testing.T) (*specDoc, []bodyOp) {
	t.Helper()
	var doc specDoc
	if err := json.Unmarshal(OpenAPI(), &doc); err != nil {
		t.Fatal(err)
	}
	var ops []bodyOp
	for path, methods := range doc.Paths {
		for method, raw := range methods {
			if method == "parameters" {
				continue
			}
			var op struct {
				Body *struct {
					Content map[string]struct {
						Schema schema `json:"schema"`
					} `json:"content"`
				} `json:"requestBody"`
			}
			if err := json.Unmarshal(raw, &op); err != nil {
				t.Fatalf("%s %s: %v", method, path, err)
			}
			if op.Body == nil {
				continue
			}
			c, ok := op.Body.Content["application/json"]
			ops = append(ops, bodyOp{method: strings.ToUpper(method), path: path, json: ok, schema: doc.resolve(c.Schema)})
		}
	}
	slices.SortFunc(ops, func(a, b bodyOp) int { return strings.Compare(a.path+" "+a.method, b.path+" "+b.method) })
	return &doc, ops
}

// bodyCase is one malformed body and what the answer must name.
type bodyCase struct {
	name, body, field string
}

// malformed lists the bodies sent to op: {} (when the document says it
// is not a complete request), null, bodies of the wrong type, an unknown
// field beside every required one, each required field left out or null,
// and each optional field null. Each must be refused with 400, the field at fault named.
func (d *specDoc) malformed(op bodyOp) []bodyCase {
	s := op.schema
	cases := []bodyCase{{"null", `null`, ""}, {"list", `[]`, ""}, {"string", `"x"`, ""}, {"number", `42`, ""}, {"boolean", `true`, ""}}
	if !op.json || len(s.Required) > 0 || s.MinProperties > 0 {
		cases = append(cases, bodyCase{"empty object", `{}`, ""})
	}
	if !op.json {
		return cases
	}
	full := map[string]any{}
	for _, name := range s.Required {
		full[name] = d.sample(s.Properties[name])
	}
	strict := s.Additional == false
	with := func(change func(m map[string]any)) string {
		m := maps.Clone(full)
		if strict {
			m["zz_unknown"] = true // refused, should all else pass
		}
		change(m)
		b, _ := json.Marshal(m)
		return string(b)
	}
	if strict {
		cases = append(cases, bodyCase{"unknown field", with(func(map[string]any) {}), "zz_unknown"})
	}
	for _, name := range s.Required {
		cases = append(cases,
			bodyCase{"without " + name, with(func(m map[string]any) { delete(m, name) }), name},
			bodyCase{name + " null", with(func(m map[string]any) { m[name] = nil }), name})
	}
	for _, name := range slices.Sorted(maps.Keys(s.Properties)) {
		if strict && !slices.Contains(s.Required, name) {
			m := maps.Clone(full)
			m[name] = nil // alone at fault: null is no value of any field
			b, _ := json.Marshal(m)
			cases = append(cases, bodyCase{name + " null", string(b), name})
		}
	}
	return cases
}

// TestMalformedBodiesChangeNothing sends every operation of the OpenAPI
// document that takes a body {}, null, bodies that are not objects, an
// unknown field, each required field left out or null and each optional
// field null (malformed lists them). Each must be
// refused with 400 problem+json naming the field at fault, and change
// nothing: the two-step roles, approval rules, break-glass roles, role
// networks and team nesting read the same, value for value; the records
// behind the paths read the same; and the audit log holds no successful
// event from the request. That the right fields are named keeps the
// document's "required" lists true to the code, both ways.
func TestMalformedBodiesChangeNothing(t *testing.T) {
	doc, ops := bodyOps(t)
	testkit.ForEachDB(t, func(t *testing.T, db testkit.DB) {
		ctx := context.Background()
		env := testkit.NewEnv(t, db, service.Options{})
		const pw = "a long enough passphrase for tests"
		if err := env.Service.Sessions.SetMFARequiredRoles(ctx, authz.System(), []string{}); err != nil {
			t.Fatal(err)
		}
		if _, err := env.Service.Users.CreateUser(ctx, authz.System(), identity.NewUser{Email: "admin@example.com", Role: "admin", Password: pw}); err != nil {
			t.Fatal(err)
		}
		mux := http.NewServeMux()
		New(env.Service, slog.New(slog.DiscardHandler)).Routes(mux)
		token := ""
		send := func(method, path, body string) (int, http.Header, map[string]any) {
			t.Helper()
			r := httptest.NewRequest(method, path, strings.NewReader(body))
			if body != "" {
				r.Header.Set("Content-Type", "application/json")
			}
			if token != "" {
				r.Header.Set("Authorization", "Bearer "+token)
			}
			w := httptest.NewRecorder()
			mux.ServeHTTP(w, r)
			var out map[string]any
			json.Unmarshal(w.Body.Bytes(), &out)
			return w.Code, w.Header(), out
		}
		must := func(method, path, body string, want int) map[string]any {
			t.Helper()
			code, _, out := send(method, path, body)
			if code != want {
				t.Fatalf("%s %s %s: %d %v, want %d", method, path, body, code, out, want)
			}
			return out
		}

		// The settings and records the bodies could change, each set to
		// something a silent "none" would visibly drop. Every one is set
		// through the API with an explicit value: that still works.
		token = must("POST", "/api/v1/sessions", `{"email":"admin@example.com","password":"`+pw+`"}`, 201)["token"].(string)
		token = must("POST", "/api/v1/sessions/current/step-up", `{"password":"`+pw+`"}`, 200)["token"].(string)
		must("PUT", "/api/v1/roles/clerk", `{"summary":"front desk","grants":{"customer":{"actions":{"read":"own"}}}}`, 200)
		must("PUT", "/api/v1/roles/clerk/networks", `{"networks":["10.0.0.0/8"]}`, 200)
		must("PUT", "/api/v1/teams/east", `{"parent":"north"}`, 200)
		must("PUT", "/api/v1/approval-rules/reveal_special", `{"levels":[["manager"],["admin"]]}`, 200)
		must("PUT", "/api/v1/break-glass/roles", `{"roles":["manager"]}`, 200)
		must("PUT", "/api/v1/mfa/required-roles", `{"roles":["auditor"]}`, 200)
		must("PUT", "/api/v1/privacy/retention/inactive_customers", `{"after_days":1095,"note":"three years"}`, 200)
		ids := map[string]string{
			"users":          must("POST", "/api/v1/users", `{"email":"sales@example.com","role":"sales","password":"`+pw+`"}`, 201)["id"].(string),
			"customers":      must("POST", "/api/v1/customers", `{"name":"Zhou Li","tags":["vip"]}`, 201)["id"].(string),
			"companies":      must("POST", "/api/v1/companies", `{"name":"East Store","address":"1 Harbour Road","is_store":true}`, 201)["id"].(string),
			"roles":          "clerk",
			"teams":          "east",
			"approval-rules": "reveal_special",
			"retention":      "inactive_customers",
			"alerts":         "alr_00000000000000000000000000000000",  // no such alert: a good body answers 404
			"held":           "held_00000000000000000000000000000000", // no such held record: a good body answers 404
			"devices":        "dev_00000000000000000000000000000000",  // no such device: a good body answers 404
			"sealed-notes":   "snt_00000000000000000000000000000000",  // no such note (and no sealed_note permission): a good body answers 403
		}
		cus := "/api/v1/customers/" + ids["customers"]
		ids["deals"] = must("POST", cus+"/deals", `{"title":"Ming vase","amount":100000,"currency":"CNY"}`, 201)["id"].(string)
		ids["activities"] = must("POST", cus+"/activities", `{"kind":"task","subject":"call back","due_at":"2026-12-01T09:00:00Z"}`, 201)["id"].(string)
		ids["transactions"] = must("POST", cus+"/transactions", `{"kind":"order","currency":"CNY","occurred_on":"2026-01-02","amount":500}`, 201)["id"].(string)
		ids["visits"] = must("POST", "/api/v1/visits", `{"company_id":"`+ids["companies"]+`","planned_for":"2026-12-01"}`, 201)["id"].(string)
		must("PUT", cus+"/preferences", `{"opt_in":["email"],"interests":["ink painting"]}`, 200)
		ids["requests"] = must("POST", cus+"/requests", `{"kind":"rectification"}`, 201)["id"].(string)
		ids["incidents"] = must("POST", "/api/v1/privacy/incidents", `{"title":"Lost phone","description":"A phone was lost.","kind":"account","actor_id":"`+ids["users"]+
			`","discovered_at":"2026-01-01T00:00:00Z","window_from":"2025-12-31T00:00:00Z","window_to":"2026-01-01T00:00:00Z"}`, 201)["id"].(string)
		ids["vendors"] = must("POST", "/api/v1/vendors", `{"name":"PayFast","role":"processor","purpose":"card payments"}`, 201)["id"].(string)
		ids["findings"] = must("POST", "/api/v1/vendors/"+ids["vendors"]+"/findings", `{"text":"no sub-processor list","severity":"low"}`, 201)["id"].(string)
		ids["training"] = "customer-data"
		ids["webhooks"] = must("POST", "/api/v1/webhooks", `{"name":"Partner","url":"https://partner.example.com/hooks","role":"marketing","events":["customer.created"]}`, 201)["id"].(string)

		// fill puts the records above into a path's parameters.
		fill := func(path string) string {
			segs := strings.Split(path, "/")
			for i, s := range segs {
				if strings.HasPrefix(s, "{") {
					v, ok := ids[segs[i-1]]
					if !ok {
						t.Fatalf("%s: no record for %s after %s; add one to the test", path, s, segs[i-1])
					}
					segs[i] = v
				}
			}
			return strings.Join(segs, "/")
		}
		read := func(paths ...string) map[string]string {
			t.Helper()
			out := map[string]string{}
			for _, p := range paths {
				code, _, body := send("GET", p, "")
				b, _ := json.Marshal(body)
				out[p] = string(b)
				if code != 200 && code != 404 {
					t.Fatalf("GET %s: %d %s", p, code, b)
				}
			}
			return out
		}
		settings := []string{"/api/v1/mfa/required-roles", "/api/v1/approval-rules", "/api/v1/roles/clerk/networks", "/api/v1/teams", "/api/v1/privacy/retention"}
		records := append([]string{
			"/api/v1/roles/clerk", "/api/v1/users", "/api/v1/pipeline", "/api/v1/policy", "/api/v1/me/passkeys", "/api/v1/access-requests",
			fill("/api/v1/vendors/{id}"), "/api/v1/training", fill("/api/v1/webhooks/{id}"),
			cus, cus + "/preferences", cus + "/transactions", cus + "/activities",
			fill("/api/v1/companies/{id}"), fill("/api/v1/deals/{id}"), fill("/api/v1/visits/{id}"),
			"/api/v1/privacy/incidents/" + ids["incidents"],
		}, settings...)

		// The settings hold what was set, by value.
		want := map[string]string{
			"/api/v1/mfa/required-roles":   `{"roles":["auditor"]}`,
			"/api/v1/roles/clerk/networks": `{"networks":["10.0.0.0/8"]}`,
			"/api/v1/teams":                `{"parents":{"east":"north"}}`,
		}
		start := read(settings...)
		for p, w := range want {
			if start[p] != w {
				t.Fatalf("GET %s = %s, want %s", p, start[p], w)
			}
		}
		var rules struct {
			Levels    map[string][][]string `json:"levels"`
			BreakRole []string              `json:"breakglass_roles"`
		}
		json.Unmarshal([]byte(start["/api/v1/approval-rules"]), &rules)
		if !slices.Equal(rules.BreakRole, []string{"manager"}) || len(rules.Levels["reveal_special"]) != 2 || rules.Levels["reveal_special"][0][0] != "manager" {
			t.Fatalf("approval rules = %s", start["/api/v1/approval-rules"])
		}

		raw := db.Raw(t)
		lastSeq := func() (seq int64) {
			if err := raw.QueryRow("SELECT COALESCE(MAX(seq), 0) FROM audit_events").Scan(&seq); err != nil {
				t.Fatal(err)
			}
			return seq
		}
		successes := func(after int64) (actions []string) {
			rows, err := raw.Query("SELECT action FROM audit_events WHERE outcome = 'success' AND seq > " + strconv.FormatInt(after, 10) + " ORDER BY seq")
			if err != nil {
				t.Fatal(err)
			}
			defer rows.Close()
			for rows.Next() {
				var a string
				rows.Scan(&a)
				actions = append(actions, a)
			}
			return actions
		}

		compare := func(t *testing.T, before, after map[string]string) {
			t.Helper()
			for _, p := range slices.Sorted(maps.Keys(before)) {
				if before[p] != after[p] {
					t.Errorf("GET %s changed:\nbefore %s\nafter  %s", p, before[p], after[p])
				}
			}
		}
		for _, op := range ops {
			t.Run(op.method+" "+op.path, func(t *testing.T) {
				path := fill(op.path)
				before := read(records...)
				for _, c := range doc.malformed(op) {
					set := read(settings...)
					seq := lastSeq()
					code, hdr, problem := send(op.method, path, c.body)
					if code != http.StatusBadRequest || hdr.Get("Content-Type") != "application/problem+json" {
						t.Errorf("%s: %d %s %v, want 400 problem+json", c.name, code, hdr.Get("Content-Type"), problem)
					} else if field, _ := problem["field"].(string); c.field != "" && field != c.field {
						t.Errorf("%s %s: names %q (%v), want %q", c.name, c.body, field, problem["detail"], c.field)
					}
					if acts := successes(seq); len(acts) > 0 {
						t.Errorf("%s: recorded as done: %v", c.name, acts)
					}
					compare(t, set, read(settings...))
				}
				compare(t, before, read(records...))
			})
		}
	})
}
