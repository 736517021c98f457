package main_test

import (
	"bytes"
	"encoding/csv"
	"fmt"
	"html"
	"net/http"
	"slices"
	"strings"
	"testing"

	"strongroom.dev/strongroom/internal/authz"
	"strongroom.dev/strongroom/internal/crm"
	"strongroom.dev/strongroom/internal/privacy"
	"strongroom.dev/strongroom/internal/testkit"
)

// TestRoleMatrix checks the API against the role table: for every role —
// the built-in ones and every role the industry templates define —
// and for a customer (and a company) the user owns, one a teammate owns
// and one another team owns, what the table allows is there, masked where masked, and
// what it does not allow is absent — from reads, lists, searches, exports
// and error messages, and from the web UI's HTML pages. Expectations come
// from authz.Decide over the same
// table that docs/ROLES.md is generated from.
func TestRoleMatrix(t *testing.T) {
	testkit.ForEachDB(t, func(t *testing.T, db testkit.DB) {
		storage := storageArgs(t, db)
		roles := slices.Clone(authz.Roles)
		defined := map[authz.Role]map[authz.Object]authz.Grant{}
		for _, tpl := range authz.Templates {
			if code, out, errOut := run(t, "", append([]string{"role", "template", "--name", tpl.Name}, storage...)...); code != 0 {
				t.Fatalf("role template %s: %d %s %s", tpl.Name, code, out, errOut)
			}
			for _, r := range tpl.Roles {
				roles = append(roles, r.Name)
				defined[r.Name] = r.Grants
			}
		}
		addUserInTeam(t, storage, "admin@example.com", "admin", "")
		addUserInTeam(t, storage, "peer@example.com", "sales", "north")
		addUserInTeam(t, storage, "far@example.com", "sales", "south")
		for _, r := range roles {
			if r != authz.RoleAdmin {
				addUserInTeam(t, storage, string(r)+"@example.com", string(r), "north")
			}
		}
		// The field rep calls the API here with a plain token: the device
		// rule that would refuse it (--device-required-roles) is
		// TestDevicesE2E's; this matrix checks the role's grants.
		s := start(t, storage, "--device-required-roles", "")
		admin := s.Login(t, "admin@example.com", password)

		type customer struct {
			id, owner, team string
			values          map[string]string
		}
		userID := map[string]string{}
		tokens := map[string]string{}
		for _, email := range []string{"peer", "far"} {
			tok := s.Login(t, email+"@example.com", password)
			userID[email] = s.Do(t, "GET", "/api/v1/me", tok, nil).Str("user_id")
		}
		for _, r := range roles {
			tokens[string(r)] = s.Login(t, string(r)+"@example.com", password)
			userID[string(r)] = s.Do(t, "GET", "/api/v1/me", tokens[string(r)], nil).Str("user_id")
		}
		makeCustomer := func(tag, owner, team string) customer {
			c := customer{owner: userID[owner], team: team, values: map[string]string{
				"name":        "Customer " + tag,
				"email":       tag + "@example.org",
				"phone":       fmt.Sprintf("+8613%09d", len(tag)*7919+int(tag[0])*31+int(tag[len(tag)-1])),
				"national_id": "ID" + strings.ToUpper(tag) + "X9",
				"notes":       "Notes about " + tag,
				"assessment":  "Assessment of " + tag,
				"tags":        "vip-" + tag + ", segment-b",
			}}
			body := map[string]any{"owner_id": c.owner}
			for k, v := range c.values {
				body[k] = v
			}
			body["tags"] = strings.Split(c.values["tags"], ", ")
			body["sensitive_consent"] = map[string]string{"channel": "in_person"} // the assessment needs it
			r := s.Do(t, "POST", "/api/v1/customers", admin, body)
			if r.Status != 201 {
				t.Fatalf("create %s: %d %s", tag, r.Status, r.Body)
			}
			c.id = r.Str("id")
			return c
		}
		makeCompany := func(tag, owner, team string) customer {
			c := customer{owner: userID[owner], team: team, values: map[string]string{
				"name": "Company " + tag, "address": tag + " Road 1", "phone": fmt.Sprintf("+8621%08d", len(tag)*104729%99999999), "notes": "Notes on " + tag,
				"tags": "key-account-" + tag,
			}}
			body := map[string]any{"owner_id": c.owner}
			for k, v := range c.values {
				body[k] = v
			}
			body["tags"] = []string{c.values["tags"]}
			r := s.Do(t, "POST", "/api/v1/companies", admin, body)
			if r.Status != 201 {
				t.Fatalf("create company %s: %d %s", tag, r.Status, r.Body)
			}
			c.id = r.Str("id")
			return c
		}
		companies := []customer{makeCompany("peerco", "peer", "north"), makeCompany("farco", "far", "south")}
		for _, r := range roles {
			if r != authz.RoleAdmin {
				companies = append(companies, makeCompany("own"+strings.ReplaceAll(string(r), "_", "")+"co", string(r), "north"))
			}
		}
		all := []customer{makeCustomer("peerclient", "peer", "north"), makeCustomer("farclient", "far", "south")}
		for _, r := range roles {
			if r != authz.RoleAdmin {
				all = append(all, makeCustomer("own"+strings.ReplaceAll(string(r), "_", ""), string(r), "north"))
			}
		}

		for _, role := range roles {
			t.Run(string(role), func(t *testing.T) {
				tok := tokens[string(role)]
				team := "north"
				if role == authz.RoleAdmin {
					team = ""
				}
				actor := authz.Actor{UserID: userID[string(role)], Team: team, Roles: []authz.Role{role}, Defined: defined}
				res := func(c customer) authz.Resource {
					return authz.Resource{Object: authz.ObjectCustomer, OwnerID: c.owner, OwnerTeam: c.team}
				}
				checkFields := func(where string, body []byte, get func(string) (string, bool), c customer, d authz.Decision) {
					t.Helper()
					for _, f := range crm.CustomerFields {
						full := c.values[f.Name]
						got, present := get(f.Name)
						switch l := d.Field(f.Name); l {
						case authz.Hidden:
							if present || bytes.Contains(body, []byte(full)) {
								t.Errorf("%s %s: %s is hidden for %s but present", where, c.id, f.Name, role)
							}
						case authz.Masked:
							if got != privacy.Mask(full) || bytes.Contains(body, []byte(full)) {
								t.Errorf("%s %s: %s = %q, want masked %q and no full value", where, c.id, f.Name, got, privacy.Mask(full))
							}
						default:
							if got != full {
								t.Errorf("%s %s: %s = %q, want %q", where, c.id, f.Name, got, full)
							}
						}
					}
				}

				// One record at a time.
				for _, c := range all {
					d := authz.Decide(actor, authz.ActionRead, res(c))
					r := s.Do(t, "GET", "/api/v1/customers/"+c.id, tok, nil)
					if !d.Allowed {
						if r.Status != 404 {
							t.Errorf("read %s: %d, want 404", c.id, r.Status)
						}
						for _, v := range c.values {
							if bytes.Contains(r.Body, []byte(v)) {
								t.Errorf("read %s: denied answer leaks %q", c.id, v)
							}
						}
						continue
					}
					if r.Status != 200 {
						t.Fatalf("read %s: %d %s", c.id, r.Status, r.Body)
					}
					checkFields("read", r.Body, func(f string) (string, bool) { return jsonText(r.JSON[f]) }, c, d)
				}

				// The same records as HTML pages in the web UI: a value the
				// role may read is on the page, one it may not (hidden or
				// masked) is not, and a record out of scope shows nothing.
				web := newBrowser(t, s, "en")
				if p := web.login(string(role)+"@example.com", password); p.status != http.StatusSeeOther {
					t.Fatalf("web login: %d", p.status)
				}
				for _, c := range all {
					d := authz.Decide(actor, authz.ActionRead, res(c))
					p := web.get("/customers/" + c.id)
					page := html.UnescapeString(p.body)
					for _, f := range crm.CustomerFields {
						v := c.values[f.Name]
						if f.Name == "tags" {
							v = strings.Split(v, ", ")[0]
						}
						shown := strings.Contains(page, v)
						if want := d.Allowed && d.Field(f.Name) >= authz.Read; shown != want {
							t.Errorf("page %s (%d): %s shown=%v, want %v", c.id, p.status, f.Name, shown, want)
						}
					}
				}

				// Companies: read and list, from the same table.
				companyRes := func(c customer) authz.Resource {
					return authz.Resource{Object: authz.ObjectCompany, OwnerID: c.owner, OwnerTeam: c.team}
				}
				var wantCos []string
				for _, c := range companies {
					d := authz.Decide(actor, authz.ActionRead, companyRes(c))
					r := s.Do(t, "GET", "/api/v1/companies/"+c.id, tok, nil)
					if !d.Allowed {
						if r.Status != 404 || bytes.Contains(r.Body, []byte(c.values["name"])) {
							t.Errorf("company %s: %d, want 404 and nothing of it", c.id, r.Status)
						}
						continue
					}
					wantCos = append(wantCos, c.id)
					for _, f := range crm.CompanyFields {
						full := c.values[f.Name]
						got, present := jsonText(r.JSON[f.Name])
						switch d.Field(f.Name) {
						case authz.Hidden:
							if present || bytes.Contains(r.Body, []byte(full)) {
								t.Errorf("company %s: %s hidden for %s but present", c.id, f.Name, role)
							}
						case authz.Masked:
							if got != privacy.Mask(full) {
								t.Errorf("company %s: %s = %q, want masked", c.id, f.Name, got)
							}
						default:
							if got != full {
								t.Errorf("company %s: %s = %q, want %q", c.id, f.Name, got, full)
							}
						}
					}
				}
				cos := s.Do(t, "GET", "/api/v1/companies?limit=200", tok, nil)
				if !authz.Decide(actor, authz.ActionRead, authz.Resource{Object: authz.ObjectCompany}).Allowed {
					if cos.Status != 403 {
						t.Errorf("company list: %d, want 403", cos.Status)
					}
				} else {
					var got []string
					items, _ := cos.JSON["items"].([]any)
					for _, it := range items {
						got = append(got, it.(map[string]any)["id"].(string))
					}
					slices.Sort(got)
					slices.Sort(wantCos)
					if !slices.Equal(got, wantCos) {
						t.Errorf("company list: %v, want %v", got, wantCos)
					}
				}

				// The list holds exactly the customers the table lets the role read.
				coll := authz.Decide(actor, authz.ActionRead, authz.Resource{Object: authz.ObjectCustomer})
				list := s.Do(t, "GET", "/api/v1/customers?limit=200", tok, nil)
				if !coll.Allowed {
					if list.Status != 403 {
						t.Errorf("list: %d, want 403", list.Status)
					}
				} else {
					var got, want []string
					items, _ := list.JSON["items"].([]any)
					for _, it := range items {
						got = append(got, it.(map[string]any)["id"].(string))
					}
					for _, c := range all {
						if authz.Decide(actor, authz.ActionRead, res(c)).Allowed {
							want = append(want, c.id)
						}
					}
					slices.Sort(got)
					slices.Sort(want)
					if !slices.Equal(got, want) {
						t.Errorf("list: %v, want %v", got, want)
					}
				}

				// Search by email: only where email is readable; finds only what is in scope.
				for _, c := range all {
					r := s.Do(t, "POST", "/api/v1/customers/search", tok, map[string]string{"email": c.values["email"]})
					switch {
					case !coll.Allowed:
						if r.Status != 403 {
							t.Errorf("search: %d, want 403", r.Status)
						}
					case coll.Field("email") < authz.Read:
						if r.Status != 400 || bytes.Contains(r.Body, []byte(c.values["email"])) {
							t.Errorf("search by a field %s may not read: %d %s", role, r.Status, r.Body)
						}
					default:
						found := bytes.Contains(r.Body, []byte(c.id))
						if found != authz.Decide(actor, authz.ActionRead, res(c)).Allowed {
							t.Errorf("search for %s: found=%v", c.id, found)
						}
					}
				}

				// Export: the readable columns, masked where masked, only rows in scope.
				exp := authz.Decide(actor, authz.ActionExport, authz.Resource{Object: authz.ObjectCustomer})
				r := s.Do(t, "GET", "/api/v1/customers/export", tok, nil)
				if !exp.Allowed {
					if r.Status != 403 {
						t.Errorf("export: %d, want 403", r.Status)
					}
					return
				}
				recs, err := csv.NewReader(bytes.NewReader(r.Body)).ReadAll()
				if err != nil || len(recs) == 0 {
					t.Fatalf("export: %v %s", err, r.Body)
				}
				header := recs[0]
				var wantHeader []string
				for _, f := range crm.CustomerFields {
					if coll.Field(f.Name) >= authz.Masked {
						wantHeader = append(wantHeader, f.Name)
					}
				}
				if strings.Join(header[2:], ",") != strings.Join(wantHeader, ",") {
					t.Errorf("export columns %v, want %v", header[2:], wantHeader)
				}
				byID := map[string]customer{}
				for _, c := range all {
					byID[c.id] = c
				}
				rows := 0
				for _, rec := range recs[1:] {
					c := byID[rec[0]]
					d := authz.Decide(actor, authz.ActionRead, res(c))
					if !d.Allowed {
						t.Errorf("export holds %s, which %s may not read", rec[0], role)
						continue
					}
					rows++
					checkFields("export", r.Body, func(f string) (string, bool) {
						i := slices.Index(header, f)
						if i < 0 {
							return "", false
						}
						return strings.TrimPrefix(rec[i], "'"), true
					}, c, d)
				}
				want := 0
				for _, c := range all {
					if authz.Decide(actor, authz.ActionRead, res(c)).Allowed && authz.Decide(actor, authz.ActionExport, res(c)).Allowed {
						want++
					}
				}
				if rows != want {
					t.Errorf("export has %d rows, want %d", rows, want)
				}
			})
		}
	})
}

// jsonText reads a JSON value as the API shows a field: a string, or a
// list (tags) joined the way the service normalises it.
func jsonText(v any) (string, bool) {
	switch x := v.(type) {
	case string:
		return x, true
	case []any:
		parts := make([]string, len(x))
		for i, p := range x {
			parts[i], _ = p.(string)
		}
		return strings.Join(parts, ", "), true
	}
	return "", false
}
