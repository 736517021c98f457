package main_test

import (
	"crypto/tls"
	"encoding/base64"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"

	"strongroom.dev/strongroom/internal/store"
	"strongroom.dev/strongroom/internal/testkit"
)

func TestAPIEndToEnd(t *testing.T) {
	testkit.ForEachDB(t, func(t *testing.T, db testkit.DB) {
		storage := storageArgs(t, db)
		addUser(t, storage, "admin@example.com", "admin")
		addUser(t, storage, "sales1@example.com", "sales")
		addUser(t, storage, "sales2@example.com", "sales")
		addUser(t, storage, "auditor@example.com", "auditor")
		s := start(t, storage)

		// Wrong password and unknown account: the same answer.
		wrong := s.Do(t, "POST", "/api/v1/sessions", "", map[string]string{"email": "sales1@example.com", "password": "not the password at all"})
		unknown := s.Do(t, "POST", "/api/v1/sessions", "", map[string]string{"email": "nobody@example.com", "password": password})
		if wrong.Status != 401 || unknown.Status != 401 || wrong.Str("detail") != unknown.Str("detail") || wrong.Str("type") != unknown.Str("type") {
			t.Fatalf("login failures differ: %d %s / %d %s", wrong.Status, wrong.Body, unknown.Status, unknown.Body)
		}

		r := s.Do(t, "POST", "/api/v1/sessions", "", map[string]string{"email": "admin@example.com", "password": password})
		cookie := r.Header.Get("Set-Cookie")
		for _, attr := range []string{"__Host-strongroom-session=", "Path=/", "HttpOnly", "Secure", "SameSite=Strict"} {
			if !strings.Contains(cookie, attr) {
				t.Errorf("session cookie %q lacks %s", cookie, attr)
			}
		}
		admin := r.Str("token")
		sales1 := s.Login(t, "sales1@example.com", password)
		sales2 := s.Login(t, "sales2@example.com", password)
		auditor := s.Login(t, "auditor@example.com", password)

		// Cookie authentication works without a token header.
		cookieVal := strings.TrimPrefix(strings.Split(cookie, ";")[0], "__Host-strongroom-session=")
		if me := s.Do(t, "GET", "/api/v1/me", "", nil, "Cookie", "__Host-strongroom-session="+cookieVal); me.Status != 200 {
			t.Fatalf("cookie auth: %d %s", me.Status, me.Body)
		}

		created := s.Do(t, "POST", "/api/v1/customers", sales1, map[string]string{"name": "李娜", "email": "Li.Na@Example.cn", "phone": "+86 138 0000 1111", "notes": "prefers WeChat"})
		if created.Status != 201 {
			t.Fatalf("create: %d %s", created.Status, created.Body)
		}
		id := created.Str("id")
		if created.Header.Get("Location") != "/api/v1/customers/"+id {
			t.Errorf("Location = %q", created.Header.Get("Location"))
		}
		if r := s.Do(t, "PATCH", "/api/v1/customers/"+id, admin, map[string]string{"national_id": "110101199003071234"}); r.Status != 200 || r.Str("national_id") != "110101199003071234" {
			t.Fatalf("admin patch: %d %s", r.Status, r.Body)
		}

		type want struct {
			status int
			has    []string
			hasNot []string
		}
		path := "/api/v1/customers/" + id
		cases := []struct {
			name, method, path, token string
			body                      any
			want                      want
		}{
			{"owner reads, id masked", "GET", path, sales1, nil, want{200, []string{`"name":"李娜"`, `"email":"li.na@example.cn"`, `"national_id":"1****************4"`}, []string{"110101199003071234"}}},
			{"admin reads all", "GET", path, admin, nil, want{200, []string{`"national_id":"110101199003071234"`}, nil}},
			{"other sales: not found", "GET", path, sales2, nil, want{404, []string{"customer not found"}, []string{"李娜", "li.na"}}},
			{"auditor: not found", "GET", path, auditor, nil, want{404, nil, []string{"李娜"}}},
			{"unknown id: same not found", "GET", "/api/v1/customers/cus_00000000000000000000000000000000", sales2, nil, want{404, []string{"customer not found"}, nil}},
			{"other sales may not edit", "PATCH", path, sales2, map[string]string{"name": "x"}, want{404, nil, nil}},
			{"owner may not set masked field", "PATCH", path, sales1, map[string]string{"national_id": "X1234567"}, want{400, []string{"you may not set national_id"}, nil}},
			{"owner edits", "PATCH", path, sales1, map[string]string{"notes": "met at the fair"}, want{200, []string{`"notes":"met at the fair"`, `"national_id":"1****************4"`}, nil}},
			{"owner may not give away", "PATCH", path, sales1, map[string]string{"owner_id": "usr_00000000000000000000000000000000"}, want{400, []string{"owner"}, nil}},
			{"sales may not delete", "DELETE", path, sales1, nil, want{403, nil, nil}},
			{"auditor may not list customers", "GET", "/api/v1/customers", auditor, nil, want{403, nil, nil}},
			{"auditor reads audit", "GET", "/api/v1/audit?object_id=" + id, auditor, nil, want{200, []string{`"action":"customer.read"`, `"fields":["name","email","phone","national_id:masked","notes"]`}, []string{"李娜", "li.na", "1101011990"}}},
			{"sales may not read audit", "GET", "/api/v1/audit", sales1, nil, want{403, nil, nil}},
			{"search by email", "POST", "/api/v1/customers/search", admin, map[string]string{"email": "LI.NA@example.cn"}, want{200, []string{id}, nil}},
			{"search by phone", "POST", "/api/v1/customers/search", admin, map[string]string{"phone": "+8613800001111"}, want{200, []string{id}, nil}},
			{"search by name", "POST", "/api/v1/customers/search", admin, map[string]string{"name": "李娜"}, want{200, []string{id}, nil}},
			{"search by another email finds nothing", "POST", "/api/v1/customers/search", admin, map[string]string{"email": "li.na@example.com"}, want{200, []string{`"items":[]`}, []string{id}}},
			{"other sales search finds nothing", "POST", "/api/v1/customers/search", sales2, map[string]string{"email": "li.na@example.cn"}, want{200, []string{`"items":[]`}, []string{id}}},
			{"search with an unknown field", "POST", "/api/v1/customers/search", admin, map[string]string{"emial": "li.na@example.cn"}, want{400, []string{`unknown field \"emial\"`}, []string{"li.na"}}},
			{"search in the URL refused", "GET", "/api/v1/customers?email=li.na@example.cn", admin, nil, want{400, []string{"POST /api/v1/customers/search", `"field":"email"`}, []string{"li.na", id}}},
			{"name in the URL refused", "GET", "/api/v1/customers?name=%E6%9D%8E%E5%A8%9C", admin, nil, want{400, []string{"POST /api/v1/customers/search"}, []string{"李娜", id}}},
			{"phone, national id, tag, q in the URL refused", "GET", "/api/v1/customers?phone=1&national_id=2&tag=3&q=4&order=newest", admin, nil, want{400, []string{"POST /api/v1/customers/search", "q, tag, phone, national_id may not"}, []string{id}}},
			{"search in the URL of the search refused", "POST", "/api/v1/customers/search?email=li.na@example.cn", admin, map[string]string{}, want{400, []string{"POST /api/v1/customers/search"}, []string{"li.na", id}}},
			{"plain list with order", "GET", "/api/v1/customers?order=newest&limit=5", admin, nil, want{200, []string{id}, nil}},
			{"export filter in the URL refused", "GET", "/api/v1/customers/export?email=li.na@example.cn", admin, nil, want{400, []string{"POST /api/v1/customers/export"}, []string{"li.na", id}}},
			{"export by a posted filter", "POST", "/api/v1/customers/export", admin, map[string]string{"email": "li.na@example.cn"}, want{200, []string{id, "li.na@example.cn"}, nil}},
			{"export by another posted filter", "POST", "/api/v1/customers/export", admin, map[string]string{"email": "li.na@example.com"}, want{200, []string{"id,owner_id"}, []string{id}}},
			{"company search in the URL refused", "GET", "/api/v1/companies?name=jade", admin, nil, want{400, []string{"POST /api/v1/companies/search"}, []string{"jade"}}},
			{"sales lists own", "GET", "/api/v1/customers", sales1, nil, want{200, []string{id}, nil}},
			{"no token", "GET", "/api/v1/customers", "", nil, want{401, []string{"log in"}, nil}},
			{"bad token", "GET", "/api/v1/customers", "srs_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA", nil, want{401, nil, nil}},
			{"malformed JSON", "POST", "/api/v1/customers", admin, `{"name":`, want{400, []string{"JSON"}, nil}},
			{"not an object", "POST", "/api/v1/customers", admin, `[1,2]`, want{400, []string{"JSON object"}, nil}},
			{"unknown field", "POST", "/api/v1/customers", admin, `{"name":"a","nmae":"b"}`, want{400, []string{`unknown field \"nmae\"`}, nil}},
			{"two objects", "POST", "/api/v1/customers", admin, `{"name":"a"}{"name":"b"}`, want{400, []string{"exactly one"}, nil}},
			{"wrong type", "POST", "/api/v1/customers", admin, `{"name":42}`, want{400, []string{"name must be a string"}, nil}},
			{"missing name", "POST", "/api/v1/customers", admin, `{"email":"a@example.com"}`, want{400, []string{"name is required"}, nil}},
			{"bad email", "POST", "/api/v1/customers", admin, `{"name":"a","email":"nope"}`, want{400, []string{`"field":"email"`}, nil}},
			{"oversize body", "POST", "/api/v1/customers", admin, `{"name":"` + strings.Repeat("a", 1<<20) + `"}`, want{413, []string{"larger than"}, nil}},
			{"empty body", "POST", "/api/v1/customers", admin, ``, want{400, nil, nil}},
			{"bad limit", "GET", "/api/v1/customers?limit=abc", admin, nil, want{400, []string{"limit"}, nil}},
			{"limit too big", "GET", "/api/v1/customers?limit=100000", admin, nil, want{400, []string{"limit"}, nil}},
			{"unknown query parameter", "GET", "/api/v1/customers?emial=x", admin, nil, want{400, []string{"emial"}, nil}},
			{"bad cursor", "GET", "/api/v1/customers?cursor=zzz", admin, nil, want{400, []string{"cursor"}, nil}},
			{"bad audit time", "GET", "/api/v1/audit?since=yesterday", auditor, nil, want{400, []string{"RFC 3339"}, nil}},
			{"unknown route", "GET", "/api/v1/nothing", admin, nil, want{404, []string{"no such API route"}, nil}},
			{"sales may not create users", "POST", "/api/v1/users", sales1, map[string]string{"email": "x@example.com", "role": "admin", "password": password}, want{403, nil, nil}},
			{"admin creates user", "POST", "/api/v1/users", admin, map[string]string{"email": "new@example.com", "role": "sales", "password": password}, want{201, []string{`"role":"sales"`}, []string{password, "argon2"}}},
			{"weak password refused", "POST", "/api/v1/users", admin, map[string]string{"email": "weak@example.com", "role": "sales", "password": "short"}, want{400, []string{"at least 12"}, nil}},
		}
		for _, tc := range cases {
			t.Run(tc.name, func(t *testing.T) {
				r := s.Do(t, tc.method, tc.path, tc.token, tc.body)
				if r.Status != tc.want.status {
					t.Fatalf("status %d, want %d: %s", r.Status, tc.want.status, r.Body)
				}
				for _, h := range tc.want.has {
					if !strings.Contains(string(r.Body), h) {
						t.Errorf("body lacks %s: %s", h, r.Body)
					}
				}
				for _, h := range tc.want.hasNot {
					if strings.Contains(string(r.Body), h) {
						t.Errorf("body must not contain %s: %s", h, r.Body)
					}
				}
			})
		}

		// Paging a search: the cursor holds a position, not the search; the
		// next page is asked for with the same body and the cursor.
		for _, n := range []string{"Paging Person One", "Paging Person Two"} {
			if r := s.Do(t, "POST", "/api/v1/customers", sales1, map[string]string{"name": n}); r.Status != 201 {
				t.Fatalf("create %s: %d %s", n, r.Status, r.Body)
			}
		}
		first := s.Do(t, "POST", "/api/v1/customers/search", sales1, map[string]any{"name": "paging person", "limit": 1})
		cursor := first.Str("next_cursor")
		if first.Status != 200 || !strings.Contains(string(first.Body), "Paging Person One") || cursor == "" {
			t.Fatalf("first page: %d %s", first.Status, first.Body)
		}
		if raw, err := base64.RawURLEncoding.DecodeString(cursor); err != nil || strings.Contains(strings.ToLower(string(raw)), "paging") || strings.Contains(strings.ToLower(cursor), "paging") {
			t.Fatalf("the cursor %q (%q) holds the search", cursor, raw)
		}
		second := s.Do(t, "POST", "/api/v1/customers/search", sales1, map[string]any{"name": "paging person", "limit": 1, "cursor": cursor})
		if second.Status != 200 || !strings.Contains(string(second.Body), "Paging Person Two") || strings.Contains(string(second.Body), "Paging Person One") || second.Str("next_cursor") != "" {
			t.Fatalf("second page: %d %s", second.Status, second.Body)
		}

		// Companies: a name search is posted too.
		if r := s.Do(t, "POST", "/api/v1/companies", sales1, map[string]any{"name": "Jade Trading Co"}); r.Status != 201 {
			t.Fatalf("create company: %d %s", r.Status, r.Body)
		}
		if r := s.Do(t, "POST", "/api/v1/companies/search", sales1, map[string]any{"name": "jade"}); r.Status != 200 || !strings.Contains(string(r.Body), "Jade Trading Co") {
			t.Fatalf("company search: %d %s", r.Status, r.Body)
		}
		if r := s.Do(t, "POST", "/api/v1/companies/search", sales1, map[string]any{"name": "emerald"}); r.Status != 200 || strings.Contains(string(r.Body), "Jade") {
			t.Fatalf("company search for another name: %d %s", r.Status, r.Body)
		}

		// Role change by the API applies to the open session at once, and is audited.
		sales2ID := s.Do(t, "GET", "/api/v1/me", sales2, nil).Str("user_id")
		if r := s.Do(t, "PATCH", "/api/v1/users/"+sales2ID, admin, map[string]string{"role": "auditor"}); r.Status != 200 {
			t.Fatalf("role change: %d %s", r.Status, r.Body)
		}
		if r := s.Do(t, "GET", "/api/v1/audit?actor="+sales2ID, sales2, nil); r.Status != 200 {
			t.Fatalf("new auditor reading audit: %d %s", r.Status, r.Body)
		}
		if r := s.Do(t, "GET", "/api/v1/audit?object_type=user&object_id="+sales2ID, auditor, nil); !strings.Contains(string(r.Body), `"user.role_change"`) {
			t.Errorf("role change not audited: %s", r.Body)
		}

		// Admin deletes; logout ends the session.
		if r := s.Do(t, "DELETE", path, admin, nil); r.Status != 204 {
			t.Fatalf("delete: %d %s", r.Status, r.Body)
		}
		if r := s.Do(t, "GET", path, admin, nil); r.Status != 404 {
			t.Fatalf("after delete: %d", r.Status)
		}
		if r := s.Do(t, "DELETE", "/api/v1/sessions/current", sales1, nil); r.Status != 204 || r.Header.Get("Clear-Site-Data") != `"cache", "storage"` {
			t.Fatalf("logout: %d %q %s", r.Status, r.Header.Get("Clear-Site-Data"), r.Body)
		}
		if r := s.Do(t, "GET", "/api/v1/me", sales1, nil); r.Status != 401 {
			t.Fatalf("after logout: %d", r.Status)
		}

		// Everything above is in an intact chain.
		code, out, errOut := run(t, "", append([]string{"audit", "verify"}, storage...)...)
		if code != 0 || !strings.Contains(out, "intact") {
			t.Fatalf("audit verify: exit %d %s %s", code, out, errOut)
		}
		raw := db.Raw(t)
		if db.Engine == store.Postgres {
			raw.Exec("DROP TRIGGER audit_events_append_only ON audit_events")
		} else {
			raw.Exec("DROP TRIGGER audit_events_no_update")
		}
		if _, err := raw.Exec("UPDATE audit_events SET reason = 'nothing to see' WHERE seq = 12"); err != nil {
			t.Fatal(err)
		}
		code, out, errOut = run(t, "", append([]string{"audit", "verify"}, storage...)...)
		if code == 0 || !strings.Contains(errOut, "audit event 12") || strings.Count(strings.TrimSpace(errOut), "\n") != 0 {
			t.Fatalf("audit verify after tampering: exit %d, stdout %q, stderr %q; want non-zero and one line naming event 12", code, out, errOut)
		}
	})
}

func TestTransportSecurity(t *testing.T) {
	db := testkit.NewSQLite(t)
	s := start(t, storageArgs(t, db))
	host := strings.TrimPrefix(s.URL, "https://")

	t.Run("plain HTTP on the port is refused", func(t *testing.T) {
		conn, err := net.Dial("tcp", host)
		if err != nil {
			t.Fatal(err)
		}
		defer conn.Close()
		io.WriteString(conn, "GET /api/v1/openapi.json HTTP/1.1\r\nHost: x\r\n\r\n")
		b, _ := io.ReadAll(conn)
		if !strings.Contains(string(b), "400 Bad Request") || strings.Contains(string(b), "openapi") {
			t.Fatalf("plain HTTP got: %q", b)
		}
	})
	for _, tt := range []struct {
		name    string
		max     uint16
		succeed bool
	}{
		{"TLS 1.0 refused", tls.VersionTLS10, false},
		{"TLS 1.1 refused", tls.VersionTLS11, false},
		{"TLS 1.2 accepted", tls.VersionTLS12, true},
		{"TLS 1.3 accepted", tls.VersionTLS13, true},
	} {
		t.Run(tt.name, func(t *testing.T) {
			cfg := s.Client.Transport.(*http.Transport).TLSClientConfig.Clone()
			cfg.MinVersion, cfg.MaxVersion = tls.VersionTLS10, tt.max
			conn, err := tls.Dial("tcp", host, cfg)
			if (err == nil) != tt.succeed {
				t.Fatalf("handshake err = %v, want success %v", err, tt.succeed)
			}
			if err == nil {
				conn.Close()
			}
		})
	}
	t.Run("TLS 1.3 preferred", func(t *testing.T) {
		cfg := s.Client.Transport.(*http.Transport).TLSClientConfig.Clone()
		conn, err := tls.Dial("tcp", host, cfg)
		if err != nil {
			t.Fatal(err)
		}
		defer conn.Close()
		if v := conn.ConnectionState().Version; v != tls.VersionTLS13 {
			t.Fatalf("negotiated %x, want TLS 1.3", v)
		}
	})
	t.Run("security headers", func(t *testing.T) {
		r := s.Do(t, "GET", "/", "", nil)
		for h, want := range map[string]string{
			"Strict-Transport-Security": "max-age=63072000",
			"Content-Security-Policy":   "default-src 'none'",
			"X-Content-Type-Options":    "nosniff",
			"X-Frame-Options":           "DENY",
		} {
			if !strings.Contains(r.Header.Get(h), want) {
				t.Errorf("%s = %q, want %q", h, r.Header.Get(h), want)
			}
		}
		if strings.Contains(r.Header.Get("Content-Security-Policy"), "unsafe-inline") {
			t.Error("CSP allows inline script")
		}
	})
	t.Run("cross-site unsafe request refused", func(t *testing.T) {
		r := s.Do(t, "POST", "/api/v1/sessions", "", `{"email":"a@example.com","password":"x"}`, "Sec-Fetch-Site", "cross-site", "Origin", "https://evil.example")
		if r.Status != http.StatusForbidden {
			t.Fatalf("cross-site POST: %d %s", r.Status, r.Body)
		}
	})
}
