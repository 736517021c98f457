package service_test

import (
	"bytes"
	"context"
	"image"
	"image/png"
	"strings"
	"testing"

	"strongroom.dev/strongroom/internal/authz"
	"strongroom.dev/strongroom/internal/crm"
	"strongroom.dev/strongroom/internal/errs"
	"strongroom.dev/strongroom/internal/service"
	"strongroom.dev/strongroom/internal/service/identity"
	"strongroom.dev/strongroom/internal/service/records"
	"strongroom.dev/strongroom/internal/testkit"
)

func login(t testing.TB, svc *service.Service, email, role, team string) authz.Actor {
	t.Helper()
	ctx := context.Background()
	if _, err := svc.Users.CreateUser(ctx, authz.System(), identity.NewUser{Email: email, Role: role, Team: team, Password: pw}); err != nil {
		t.Fatal(err)
	}
	sess, err := svc.Sessions.Login(ctx, email, pw, identity.Client{IP: "192.0.2.1"})
	if err != nil {
		t.Fatal(err)
	}
	a, err := svc.Sessions.Authenticate(ctx, sess.Token, identity.Client{IP: "192.0.2.1"})
	if err != nil {
		t.Fatal(err)
	}
	return a
}

func pngBytes(t testing.TB) []byte {
	var buf bytes.Buffer
	if err := png.Encode(&buf, image.NewRGBA(image.Rect(0, 0, 4, 4))); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func TestVisits(t *testing.T) {
	testkit.ForEachDB(t, func(t *testing.T, db testkit.DB) {
		f := newFixture(t, db)
		ctx := context.Background()
		svc := f.Service
		rep := login(t, svc, "rep@example.com", "field_rep", "east")
		rep2 := login(t, svc, "rep2@example.com", "field_rep", "west")
		manager := login(t, svc, "boss@example.com", "manager", "east")

		storeIn := companyInput(true, "name", "Jade Store", "address", "9 Huaihai Road")
		storeIn.OwnerID = &rep.UserID
		shop, err := svc.Companies.CreateCompany(ctx, f.admin, storeIn)
		if err != nil {
			t.Fatal(err)
		}
		office, err := svc.Companies.CreateCompany(ctx, f.admin, companyInput(false, "name", "Head Office"))
		if err != nil {
			t.Fatal(err)
		}
		for _, tt := range []struct {
			name              string
			actor             authz.Actor
			company, rep, day string
			kind              errs.Kind
		}{
			{"bad date", rep, shop.ID, "", "tomorrow", errs.Invalid},
			{"not a store", f.admin, office.ID, rep.UserID, "2026-11-25", errs.Invalid},
			{"a store the rep cannot see", rep2, shop.ID, "", "2026-11-25", errs.Invalid},
			{"for another rep", rep, shop.ID, rep2.UserID, "2026-11-25", errs.Permission},
			{"manager for another team's rep", manager, shop.ID, rep2.UserID, "2026-11-25", errs.Permission},
			{"sales has no visits", f.sales1, shop.ID, "", "2026-11-25", errs.Permission},
		} {
			t.Run(tt.name, func(t *testing.T) {
				if _, err := svc.Visits.PlanVisit(ctx, tt.actor, tt.company, tt.rep, tt.day); !errs.Is(err, tt.kind) {
					t.Fatalf("err = %v, want %v", err, tt.kind)
				}
			})
		}
		v, err := svc.Visits.PlanVisit(ctx, rep, shop.ID, "", "2026-11-25")
		if err != nil {
			t.Fatal(err)
		}
		if v.StoreName != "Jade Store" {
			t.Errorf("a planned visit names its store %q, want Jade Store (as reading it does)", v.StoreName)
		}
		if _, err := svc.Visits.UpdateVisit(ctx, rep, v.ID, records.VisitUpdate{CheckOut: true}); !errs.Is(err, errs.Conflict) {
			t.Fatalf("check out before in: %v", err)
		}
		if _, err := svc.Visits.UpdateVisit(ctx, rep, v.ID, records.VisitUpdate{CheckIn: true, Location: &crm.Location{Lat: 91}}); !errs.Is(err, errs.Invalid) {
			t.Fatalf("bad latitude: %v", err)
		}
		if _, err := svc.Visits.UpdateVisit(ctx, manager, v.ID, records.VisitUpdate{CheckIn: true}); !errs.Is(err, errs.Permission) {
			t.Fatalf("manager checking the rep in: %v", err)
		}
		in, err := svc.Visits.UpdateVisit(ctx, rep, v.ID, records.VisitUpdate{CheckIn: true, Location: &crm.Location{Lat: 31.2304, Lon: 121.4737, Accuracy: 12}})
		if err != nil || in.Status() != "in_progress" || in.CheckinLoc == nil || in.CheckinLoc.Lat != 31.2304 {
			t.Fatalf("check in: %+v %v", in, err)
		}
		if _, err := svc.Visits.UpdateVisit(ctx, rep, v.ID, records.VisitUpdate{CheckIn: true}); !errs.Is(err, errs.Conflict) {
			t.Fatalf("second check in: %v", err)
		}
		if _, err := svc.Visits.AddPhoto(ctx, rep, v.ID, strings.NewReader("#!/bin/sh\necho not an image")); !errs.Is(err, errs.Invalid) {
			t.Fatalf("a script as a photo: %v", err)
		}
		if _, err := svc.Visits.AddPhoto(ctx, rep, v.ID, bytes.NewReader(make([]byte, records.MaxPhoto+1))); !errs.Is(err, errs.TooLarge) {
			t.Fatalf("oversize photo: %v", err)
		}
		photo, err := svc.Visits.AddPhoto(ctx, rep, v.ID, bytes.NewReader(pngBytes(t)))
		if err != nil || photo.ContentType != "image/png" {
			t.Fatalf("photo: %+v %v", photo, err)
		}
		notes := "Shelf space doubled; manager wants samples"
		out, err := svc.Visits.UpdateVisit(ctx, rep, v.ID, records.VisitUpdate{CheckOut: true, Notes: &notes, Location: &crm.Location{Lat: 31.2305, Lon: 121.4738, Accuracy: 20}})
		if err != nil || out.Status() != "done" || out.Notes != notes || len(out.Photos) != 1 {
			t.Fatalf("check out: %+v %v", out, err)
		}
		// The manager of the rep's team reads the visit, its location and photo.
		mv, err := svc.Visits.Visit(ctx, manager, v.ID)
		if err != nil || mv.CheckinLoc == nil || mv.Notes != notes || mv.StoreName != "Jade Store" {
			t.Fatalf("manager reading: %+v %v", mv, err)
		}
		data, ct, err := svc.Visits.Photo(ctx, manager, v.ID, photo.ID)
		if err != nil || ct != "image/png" || !bytes.Equal(data, pngBytes(t)) {
			t.Fatalf("photo read: %s %v", ct, err)
		}
		for _, a := range []authz.Actor{rep2, f.sales1, f.auditor} {
			if _, err := svc.Visits.Visit(ctx, a, v.ID); !errs.Is(err, errs.NotExist) && !errs.Is(err, errs.Permission) {
				t.Fatalf("%s reading the visit: %v", a.UserID, err)
			}
			if _, _, err := svc.Visits.Photo(ctx, a, v.ID, photo.ID); err == nil {
				t.Fatalf("%s read the photo", a.UserID)
			}
		}
		list, err := svc.Visits.Visits(ctx, rep, "2026-11-25", "2026-11-25")
		if err != nil || len(list) != 1 || list[0].StoreName != "Jade Store" {
			t.Fatalf("rep's day: %+v %v", list, err)
		}
		if list, _ := svc.Visits.Visits(ctx, rep2, "2026-11-01", "2026-12-31"); len(list) != 0 {
			t.Fatalf("another rep sees the visit: %+v", list)
		}
	})
}
