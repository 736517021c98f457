package main_test

import (
	"bufio"
	"encoding/json"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"

	"strongroom.dev/strongroom/internal/testkit"
)

var auditRowSeq = regexp.MustCompile(`<tr class="outcome-([a-z]+)" id="event-([0-9]+)">`)

// auditRows are the outcome and seq of each row of an audit page, in order.
func auditRows(t *testing.T, body string) (outcomes []string, seqs []int64) {
	t.Helper()
	for _, m := range auditRowSeq.FindAllStringSubmatch(body, -1) {
		n, _ := strconv.ParseInt(m[2], 10, 64)
		outcomes, seqs = append(outcomes, m[1]), append(seqs, n)
	}
	return outcomes, seqs
}

func auditLink(body, id string) string {
	m := regexp.MustCompile(`href="([^"]*)"[^>]* id="` + id + `"`).FindStringSubmatch(body)
	if m == nil {
		return ""
	}
	return strings.ReplaceAll(m[1], "&amp;", "&")
}

// TestWebAuditLog walks the audit log page as its readers use it: newest
// first, filters kept in the address (action, outcome, time, actor,
// subject), a lookup by email that never puts the email in an address,
// paging both ways, an event's details with its chain position, exports
// that hold exactly the filtered view, and the refusals of everyone else.
func TestWebAuditLog(t *testing.T) {
	testkit.ForEachDB(t, func(t *testing.T, db testkit.DB) {
		storage := storageArgs(t, db)
		addUser(t, storage, "admin@example.com", "admin")
		addUser(t, storage, "sales1@example.com", "sales")
		addUser(t, storage, "auditor@example.com", "auditor")
		s := start(t, storage)

		sales := newBrowser(t, s, "en")
		sales.login("sales1@example.com", password)
		var adaPath string
		for _, c := range [][2]string{{"Ada Lovelace", "ada@example.com"}, {"Alan Turing", "alan@example.com"}} {
			form := sales.get("/customers/new")
			p := sales.post("/customers", url.Values{"csrf": {form.csrf(t)}, "name": {c[0]}, "email": {c[1]}})
			if p.status != http.StatusSeeOther {
				t.Fatalf("create %s: %d", c[0], p.status)
			}
			if adaPath == "" {
				adaPath = strings.SplitN(p.location, "?", 2)[0]
			}
		}
		ada := strings.TrimPrefix(adaPath, "/customers/")
		sales.get(adaPath)
		newBrowser(t, s, "en").login("sales1@example.com", "not the password at all")

		admin := newBrowser(t, s, "en")
		admin.login("admin@example.com", password)

		// Newest first, with actors by email and actions in words.
		p := admin.get("/audit")
		_, all := auditRows(t, p.body)
		if p.status != 200 || len(all) < 5 || !slices.IsSortedFunc(all, func(a, b int64) int { return int(b - a) }) {
			t.Fatalf("the audit page is not newest first: %d %v", p.status, all)
		}
		if !strings.Contains(p.body, ">sales1@example.com</a>") || !strings.Contains(p.body, "Customer: created") {
			t.Fatalf("rows without the actor's email or the action in words:\n%s", p.body)
		}

		// Filters by each dimension ride in the address and are kept on the page.
		cases := []struct {
			name, query string
			rows        int // -1: at least one
			want        string
		}{
			{"action", "action=customer.create", 2, `<option value="customer.create" selected>`},
			{"outcome", "outcome=failure", -1, `<option value="failure" selected>`},
			{"subject", "subject=" + ada, -1, `value="` + ada + `"`},
			{"time range", "from=2000-01-01&to=2999-12-31&action=customer.create", 2, `value="2999-12-31"`},
			{"empty time range", "from=2000-01-01&to=2000-01-02", 0, `id="audit-empty"`},
		}
		for _, c := range cases {
			t.Run(c.name, func(t *testing.T) {
				p := admin.get("/audit?" + c.query)
				outcomes, rows := auditRows(t, p.body)
				if p.status != 200 || (c.rows >= 0 && len(rows) != c.rows) || (c.rows < 0 && len(rows) == 0) || !strings.Contains(p.body, c.want) {
					t.Fatalf("%s: %d, %d rows\n%s", c.query, p.status, len(rows), p.body)
				}
				if c.name == "outcome" && slices.ContainsFunc(outcomes, func(o string) bool { return o != "failure" }) {
					t.Errorf("outcome filter shows %v", outcomes)
				}
				if !strings.Contains(p.body, `href="/audit/export?`) && len(rows) > 0 {
					t.Error("no export of the filtered view")
				}
			})
		}
		if p := admin.get("/audit?from=yesterday"); p.status != 400 || !strings.Contains(p.body, "A time is a day (2026-11-24)") {
			t.Fatalf("a bad time: %d", p.status)
		}

		// Finding by email: posted, answered with an address of ids only.
		for _, c := range []struct{ field, value, param, want string }{
			{"find_actor", "SALES1@example.com", "actor", "usr_"},
			{"find_subject", "ada@example.com", "subject", ada},
		} {
			p := admin.search("/audit/find", url.Values{c.field: {c.value}, "action": {"customer.create"}})
			loc, _ := url.Parse(p.location)
			if p.status != http.StatusSeeOther || loc == nil || !strings.HasPrefix(loc.Query().Get(c.param), c.want) || loc.Query().Get("action") != "customer.create" || strings.Contains(p.location, "@") {
				t.Fatalf("find %s: %d %s", c.field, p.status, p.location)
			}
			if _, rows := auditRows(t, admin.get(p.location).body); len(rows) == 0 {
				t.Fatalf("nothing at %s", p.location)
			}
		}
		if p := admin.search("/audit/find", url.Values{"find_subject": {"nobody@example.com"}}); p.status != 400 || !strings.Contains(p.body, `id="audit-error"`) || !strings.Contains(p.body, `value="nobody@example.com"`) {
			t.Fatalf("finding nobody: %d", p.status)
		}

		// Paging both ways: 100 events a page; the reads of the page make more.
		for range 105 {
			admin.get("/audit?action=customer.create")
		}
		first := admin.get("/audit?action=audit.read")
		_, firstRows := auditRows(t, first.body)
		older := auditLink(first.body, "audit-older")
		if len(firstRows) != 100 || older == "" || auditLink(first.body, "audit-newer") != "" {
			t.Fatalf("first page: %d rows, older %q", len(firstRows), older)
		}
		second := admin.get(older)
		_, secondRows := auditRows(t, second.body)
		newer := auditLink(second.body, "audit-newer")
		if len(secondRows) == 0 || secondRows[0] >= firstRows[99] || newer == "" {
			t.Fatalf("older page: %v, newer %q", secondRows, newer)
		}
		_, back := auditRows(t, admin.get(newer).body)
		if !slices.Equal(back, firstRows) {
			t.Fatalf("back to newer: %v, want %v", back, firstRows)
		}

		// Exports hold exactly the filtered view, and are recorded.
		view := admin.get("/audit?subject=" + ada)
		_, viewRows := auditRows(t, view.body)
		csv := admin.get("/audit/export?format=csv&subject=" + ada)
		lines := strings.Split(strings.TrimSpace(csv.body), "\n")
		if csv.status != 200 || !strings.HasPrefix(csv.header.Get("Content-Type"), "text/csv") || len(lines) < 2 || !strings.HasPrefix(lines[0], "seq,at,actor_id") {
			t.Fatalf("csv export: %d\n%s", csv.status, csv.body)
		}
		var csvSeqs []int64
		for _, l := range lines[1:] {
			n, _ := strconv.ParseInt(strings.SplitN(l, ",", 2)[0], 10, 64)
			csvSeqs = append(csvSeqs, n)
		}
		if !slices.Equal(csvSeqs, viewRows) {
			t.Fatalf("csv %v, view %v", csvSeqs, viewRows)
		}
		jl := admin.get("/audit/export?format=jsonl&subject=" + ada)
		var jlSeqs []int64
		sc := bufio.NewScanner(strings.NewReader(jl.body))
		for sc.Scan() {
			var e struct {
				Seq int64 `json:"seq"`
			}
			if err := json.Unmarshal(sc.Bytes(), &e); err != nil {
				t.Fatalf("jsonl: %v: %s", err, sc.Text())
			}
			jlSeqs = append(jlSeqs, e.Seq)
		}
		if !slices.Equal(jlSeqs, csvSeqs) {
			t.Fatalf("jsonl %v, csv %v", jlSeqs, csvSeqs)
		}
		if _, rows := auditRows(t, admin.get("/audit?action=audit.export").body); len(rows) != 2 {
			t.Fatalf("exports recorded: %d, want 2", len(rows))
		}
		if p := admin.get("/audit/export?format=xml"); p.status != 400 {
			t.Fatalf("export as xml: %d", p.status)
		}

		// An event's details: every field and its chain position.
		seq := strconv.FormatInt(viewRows[len(viewRows)-1], 10)
		d := admin.get("/audit/" + seq)
		if d.status != 200 || !strings.Contains(d.body, `id="audit-chain"`) || !regexp.MustCompile(`<code class="audit-hash">[0-9a-f]{64}</code>`).MatchString(d.body) || !strings.Contains(d.body, "sales1@example.com") {
			t.Fatalf("details: %d\n%s", d.status, d.body)
		}

		// The auditor reads the log, with ids instead of emails.
		aud := newBrowser(t, s, "zh-CN")
		aud.login("auditor@example.com", password)
		if p := aud.search("/audit/find", url.Values{"find_subject": {"ada@example.com"}}); p.status != 400 || !strings.Contains(p.body, "您无权在此按邮箱或姓名查找客户") {
			t.Fatalf("the auditor finding a customer by email: %d\n%s", p.status, p.body)
		}
		if p := aud.get("/audit?action=customer.create"); p.status != 200 || strings.Contains(p.body, "sales1@example.com") || !strings.Contains(p.body, "客户：创建") {
			t.Fatalf("auditor's page: %d\n%s", p.status, p.body)
		}
		if p := aud.get("/audit/" + seq); p.status != 200 || strings.Contains(p.body, "sales1@example.com") || !strings.Contains(p.body, "链上位置") {
			t.Fatalf("auditor's details: %d", p.status)
		}
		// Everyone else is refused every part of it.
		for _, path := range []string{"/audit", "/audit/" + seq, "/audit/export?format=csv", "/audit?action=customer.create"} {
			if p := sales.get(path); p.status != http.StatusForbidden || strings.Contains(p.body, "event-") {
				t.Errorf("sales %s: %d", path, p.status)
			}
		}
		if p := sales.search("/audit/find", url.Values{"find_actor": {"admin@example.com"}}); p.status != http.StatusForbidden {
			t.Errorf("sales lookup: %d", p.status)
		}
	})
}
