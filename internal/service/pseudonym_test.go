package service_test

import (
	"archive/zip"
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"io"
	"regexp"
	"strings"
	"testing"

	"strongroom.dev/strongroom/internal/authz"
	"strongroom.dev/strongroom/internal/demo"
	"strongroom.dev/strongroom/internal/errs"
	"strongroom.dev/strongroom/internal/service"
	"strongroom.dev/strongroom/internal/service/identity"
	"strongroom.dev/strongroom/internal/service/records"
	"strongroom.dev/strongroom/internal/testkit"
)

// The pseudonymised export of the demo data: no direct identifier in it,
// tokens stable for one recipient and unlinkable across two, the k it
// reports is the k of its rows, and an export that cannot reach the k
// asked is refused and recorded.
// nationalID matches the demo customers' national ids.
var nationalID = regexp.MustCompile(`(110101|310104|330106|440106)\d{11}[\dX]`)

func TestPseudonymisedExport(t *testing.T) {
	testkit.ForEachDB(t, func(t *testing.T, db testkit.DB) {
		ctx := context.Background()
		env := testkit.NewEnv(t, db, service.Options{})
		svc := env.Service
		logins, err := demo.Seed(ctx, svc)
		if err != nil {
			t.Fatal(err)
		}
		as := func(role string) authz.Actor {
			for _, l := range logins {
				if l.Role == role {
					s, err := svc.Sessions.Login(ctx, l.Email, l.Password, identity.Client{IP: "192.0.2.9"})
					if err != nil {
						t.Fatal(err)
					}
					a, err := svc.Sessions.Authenticate(ctx, s.Token, identity.Client{IP: "192.0.2.9"})
					if err != nil {
						t.Fatal(err)
					}
					return a
				}
			}
			t.Fatalf("no demo login for %s", role)
			return authz.Actor{}
		}
		admin, marketing, dpo := as("admin"), as("marketing"), as("privacy_officer")
		export := func(a authz.Actor, recipient string, k int) (records.PseudonymReport, [][]string, error) {
			var b bytes.Buffer
			rep, err := svc.Customers.PseudonymisedExport(ctx, a, records.PseudonymInput{Recipient: recipient, K: k}, &b)
			if err != nil {
				return rep, nil, err
			}
			zr, err := zip.NewReader(bytes.NewReader(b.Bytes()), int64(b.Len()))
			if err != nil {
				t.Fatal(err)
			}
			files := map[string][]byte{}
			for _, f := range zr.File {
				r, _ := f.Open()
				files[f.Name], _ = io.ReadAll(r)
				r.Close()
			}
			for _, leak := range []string{"@example", "+86", "Song dynasty", "anxiety"} {
				if bytes.Contains(files["pseudonymised.csv"], []byte(leak)) {
					t.Errorf("the export holds %q", leak)
				}
			}
			// The demo's national ids, whole: their six-digit area codes alone
			// turn up by chance in the tokens' hex now and then.
			if id := nationalID.Find(files["pseudonymised.csv"]); id != nil {
				t.Errorf("the export holds the national id %s", id)
			}
			var inZip records.PseudonymReport
			if err := json.Unmarshal(files["report.json"], &inZip); err != nil || inZip.K != rep.K || inZip.Rows != rep.Rows {
				t.Errorf("report.json %+v, want %+v (%v)", inZip, rep, err)
			}
			rows, err := csv.NewReader(bytes.NewReader(files["pseudonymised.csv"])).ReadAll()
			if err != nil {
				t.Fatal(err)
			}
			return rep, rows[1:], nil
		}

		rep, rows, err := export(admin, "coatings analytics partner", 5)
		if err != nil {
			t.Fatal(err)
		}
		if rep.Rows != len(rows) || rep.Rows < 400 || rep.K < 5 || rep.KRequired != 5 {
			t.Fatalf("report: %+v, %d rows", rep, len(rows))
		}
		// The k reported is the smallest group of identical quasi-identifiers.
		groups := map[string]int{}
		for _, r := range rows {
			groups[strings.Join(r[1:4], "|")]++
		}
		least := len(rows)
		for _, n := range groups {
			least = min(least, n)
		}
		t.Logf("demo data: %d rows, k=%d at level %d (%s), %d groups", rep.Rows, rep.K, rep.Level, rep.Generalisation, len(groups))
		if least != rep.K {
			t.Fatalf("k reported %d, k of the rows %d (%d groups)", rep.K, least, len(groups))
		}
		if !strings.Contains(strings.Join(rep.DerivedFrom, ","), "national_id") {
			t.Errorf("the administrator's export does not use the national id: %v", rep.DerivedFrom)
		}
		_, again, err := export(admin, "coatings analytics partner", 5)
		if err != nil {
			t.Fatal(err)
		}
		_, other, err := export(admin, "university study", 5)
		if err != nil {
			t.Fatal(err)
		}
		mine, theirs := map[string]bool{}, map[string]bool{}
		for i := range rows {
			mine[rows[i][0]], theirs[other[i][0]] = true, true
		}
		for _, r := range again {
			if !mine[r[0]] {
				t.Fatal("a token changed between two exports to the same recipient")
			}
		}
		for tok := range theirs {
			if mine[tok] {
				t.Fatal("two recipients share a token")
			}
		}

		// A k the data cannot reach is refused, and the refusal recorded.
		if _, _, err := export(admin, "coatings analytics partner", 1000); !errs.Is(err, errs.Conflict) {
			t.Fatalf("k=1000 over %d people: %v", rep.Rows, err)
		}
		if n := countAudit(t, db, "customer.pseudonymised_export", "denied"); n != 1 {
			t.Fatalf("%d denied export events", n)
		}
		// Marketing sees phones masked and no national id: nothing derived from them.
		mrep, mrows, err := export(marketing, "agency", 5)
		if err != nil {
			t.Fatal(err)
		}
		if strings.Contains(strings.Join(mrep.DerivedFrom, ","), "phone") || strings.Contains(strings.Join(mrep.DerivedFrom, ","), "national_id") || mrows[0][1] != "?" && mrows[0][1] != "*" {
			t.Fatalf("marketing's export: %+v %v", mrep, mrows[0])
		}
		for _, bad := range []records.PseudonymInput{{Recipient: ""}, {Recipient: "x", K: 5000}} {
			if _, err := svc.Customers.PseudonymisedExport(ctx, admin, bad, io.Discard); !errs.Is(err, errs.Invalid) {
				t.Errorf("%+v: %v", bad, err)
			}
		}
		if _, err := svc.Customers.PseudonymisedExport(ctx, dpo, records.PseudonymInput{Recipient: "x"}, io.Discard); !errs.Is(err, errs.Permission) {
			t.Fatalf("the privacy officer exported customers: %v", err)
		}
	})
}

func countAudit(t *testing.T, db testkit.DB, action, outcome string) (n int) {
	t.Helper()
	if err := db.Raw(t).QueryRow(q(db, "SELECT count(*) FROM audit_events WHERE action = ? AND outcome = ?"), action, outcome).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}
