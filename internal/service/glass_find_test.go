package service_test

import (
	"context"
	"testing"

	"strongroom.dev/strongroom/internal/authz"
	"strongroom.dev/strongroom/internal/errs"
	"strongroom.dev/strongroom/internal/service/identity"
	"strongroom.dev/strongroom/internal/testkit"
)

// The break-glass picker finds exact matches only, for a designated role
// only, and lists no more than five namesakes.
func TestFindForBreakGlass(t *testing.T) {
	testkit.ForEachDB(t, func(t *testing.T, db testkit.DB) {
		ctx := context.Background()
		f := newFixture(t, db)
		svc := f.Service
		for _, kv := range [][]string{
			{"name", "Client Zero", "email", "zero@example.cn"},
			{"name", "Wang Fang", "email", "wang.fang@example.cn"},
			{"name", "wang  FANG", "email", "fang.wang@example.com"},
			{"name", "Wang Fangfang"},
		} {
			if _, err := svc.Customers.CreateCustomer(ctx, f.admin, input(kv...)); err != nil {
				t.Fatal(err)
			}
		}
		if _, err := svc.Users.CreateUser(ctx, authz.System(), identity.NewUser{Email: "night@example.com", Role: "support", Team: "south", Password: pw}); err != nil {
			t.Fatal(err)
		}
		night, err := svc.Sessions.Authenticate(ctx, mustLogin(t, svc, "night@example.com", identity.Client{}), identity.Client{})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := svc.Approvals.FindForBreakGlass(ctx, night, "zero@example.cn", ""); !errs.Is(err, errs.Permission) {
			t.Fatalf("before support is designated: %v", err)
		}
		if err := svc.Approvals.SetBreakGlassRoles(ctx, authz.System(), []string{"support"}); err != nil {
			t.Fatal(err)
		}
		for _, tt := range []struct {
			name, email, fullName string
			want                  []string // names found
			invalid               bool
		}{
			{"email, any case", "ZERO@example.cn", "", []string{"Client Zero"}, false},
			{"full name, namesakes", "", "Wang Fang", []string{"Wang Fang", "wang  FANG"}, false},
			{"a word of a name", "", "Wang", nil, false},
			{"an unknown email", "nobody@example.cn", "", nil, false},
			{"nothing given", "", " ", nil, true},
			{"not an email", "zero", "", nil, true},
		} {
			t.Run(tt.name, func(t *testing.T) {
				got, err := svc.Approvals.FindForBreakGlass(ctx, night, tt.email, tt.fullName)
				if tt.invalid {
					if !errs.Is(err, errs.Invalid) {
						t.Fatalf("err = %v, want invalid", err)
					}
					return
				}
				if err != nil {
					t.Fatal(err)
				}
				var names []string
				for _, c := range got {
					names = append(names, c.Name)
					if c.ID == "" || c.EmailHint == "" || c.EmailHint == "zero@example.cn" {
						t.Errorf("candidate %+v", c)
					}
				}
				if len(names) != len(tt.want) || (len(names) > 0 && names[0] != tt.want[0] && names[0] != tt.want[len(tt.want)-1]) {
					t.Fatalf("found %q, want %q", names, tt.want)
				}
			})
		}
		if _, err := svc.Approvals.FindForBreakGlass(ctx, f.sales1, "zero@example.cn", ""); !errs.Is(err, errs.Permission) {
			t.Fatalf("sales, not designated: %v", err)
		}
	})
}
