package main_test

import (
	"bytes"
	"encoding/csv"
	"mime/multipart"
	"net/http"
	"strings"
	"testing"

	"strongroom.dev/strongroom/internal/testkit"
)

func TestImportExportEndToEnd(t *testing.T) {
	testkit.ForEachDB(t, func(t *testing.T, db testkit.DB) {
		storage := storageArgs(t, db)
		addUser(t, storage, "admin@example.com", "admin")
		addUser(t, storage, "sales1@example.com", "sales")
		addUser(t, storage, "auditor@example.com", "auditor")
		s := start(t, storage)
		sales := s.Login(t, "sales1@example.com", password)
		auditor := s.Login(t, "auditor@example.com", password)

		hubspot := "Record ID,First Name,Last Name,Email,Phone Number,Notes\n1,Ling,Wu,ling.wu@example.cn,+86 135 0000 0001,\"Asked for the autumn catalogue\"\n2,Sam,Lee,not-an-email,,\n"
		post := func(path, token, body string) reply {
			t.Helper()
			req, _ := http.NewRequest("POST", s.URL+path, strings.NewReader(body))
			req.Header.Set("Content-Type", "text/csv")
			req.Header.Set("Authorization", "Bearer "+token)
			resp, err := s.Client.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			return s.Read(t, resp)
		}
		if r := post("/api/v1/customers/import?dry_run=true", sales, hubspot); r.Status != 200 || r.JSON["imported"] != false || r.JSON["invalid"].(float64) != 1 {
			t.Fatalf("dry run: %d %s", r.Status, r.Body)
		}
		if r := post("/api/v1/customers/import", sales, hubspot); r.Status != 200 || r.JSON["imported"] != false || !strings.Contains(string(r.Body), `"row":3`) {
			t.Fatalf("all or nothing: %d %s", r.Status, r.Body)
		}
		if r := post("/api/v1/customers/import?partial=true", sales, hubspot); r.Status != 201 || r.JSON["created"].(float64) != 1 {
			t.Fatalf("partial: %d %s", r.Status, r.Body)
		}
		if r := post("/api/v1/customers/import?partial=true", sales, hubspot); r.Status != 200 || r.JSON["created"].(float64) != 0 || len(r.JSON["duplicates"].([]any)) != 1 {
			t.Fatalf("second import must skip the duplicate: %d %s", r.Status, r.Body)
		}
		if r := post("/api/v1/customers/import?bogus=1", sales, hubspot); r.Status != 400 {
			t.Fatalf("unknown parameter: %d", r.Status)
		}
		if r := post("/api/v1/customers/import", auditor, hubspot); r.Status != 403 {
			t.Fatalf("auditor import: %d", r.Status)
		}
		if r := s.Do(t, "POST", "/api/v1/customers/import", sales, `{"name":"x"}`); r.Status != 400 || !strings.Contains(string(r.Body), "text/csv") {
			t.Fatalf("JSON body: %d %s", r.Status, r.Body)
		}

		exp := s.Do(t, "GET", "/api/v1/customers/export", sales, nil)
		if exp.Status != 200 || exp.Header.Get("Content-Type") != "text/csv; charset=utf-8" || !strings.Contains(exp.Header.Get("Content-Disposition"), "attachment") {
			t.Fatalf("export: %d %v", exp.Status, exp.Header)
		}
		recs, err := csv.NewReader(bytes.NewReader(exp.Body)).ReadAll()
		if err != nil || len(recs) != 2 || recs[1][2] != "Ling Wu" || recs[1][4] != "'+8613500000001" {
			t.Fatalf("export rows: %v %v", recs, err)
		}
		if r := s.Do(t, "GET", "/api/v1/customers/export", auditor, nil); r.Status != 403 {
			t.Fatalf("auditor export: %d", r.Status)
		}

		// The same through the web UI: upload, then download.
		b := newBrowser(t, s, "en")
		b.login("sales1@example.com", password)
		form := b.get("/customers/import")
		var body bytes.Buffer
		mw := multipart.NewWriter(&body)
		mw.WriteField("csrf", form.csrf(t))
		fw, _ := mw.CreateFormFile("file", "contacts.csv")
		fw.Write([]byte("First Name,Last Name,Email\nMei,Lin,mei.lin@example.cn\n"))
		mw.Close()
		resp, err := b.c.Post(s.URL+"/customers/import", mw.FormDataContentType(), &body)
		if err != nil {
			t.Fatal(err)
		}
		up := b.read(resp)
		if up.status != 200 || !strings.Contains(up.body, `id="import-created">1<`) {
			t.Fatalf("web import: %d\n%s", up.status, up.body)
		}
		var noToken bytes.Buffer
		mw = multipart.NewWriter(&noToken)
		fw, _ = mw.CreateFormFile("file", "contacts.csv")
		fw.Write([]byte("name\nSneaky\n"))
		mw.Close()
		resp, _ = b.c.Post(s.URL+"/customers/import", mw.FormDataContentType(), &noToken)
		if p := b.read(resp); p.status != 403 {
			t.Fatalf("web import without CSRF token: %d", p.status)
		}
		dl := b.get("/customers/export")
		if dl.status != 200 || !strings.Contains(dl.body, "Mei Lin") || !strings.Contains(dl.body, "Ling Wu") || strings.Contains(dl.body, "Sneaky") {
			t.Fatalf("web export: %d\n%s", dl.status, dl.body)
		}
	})
}
