package service_test

import (
	"context"
	"fmt"
	"testing"

	"strongroom.dev/strongroom/internal/authz"
	"strongroom.dev/strongroom/internal/service"
	"strongroom.dev/strongroom/internal/service/identity"
	"strongroom.dev/strongroom/internal/service/records"
	"strongroom.dev/strongroom/internal/store"
	"strongroom.dev/strongroom/internal/testkit"
)

// BenchmarkCustomerRead compares the full path of one customer read —
// authorise, load, unwrap the data key, open and mask the fields, append
// the audit event and commit — with a plain SQL point read of the same row.
func BenchmarkCustomerRead(b *testing.B) {
	testkit.ForEachDBBench(b, func(b *testing.B, db testkit.DB) {
		ctx := context.Background()
		env := testkit.NewEnv(b, db, service.Options{})
		svc := env.Service
		if _, err := svc.Users.CreateUser(ctx, authz.System(), identity.NewUser{Email: "s@example.com", Role: "sales", Password: pw}); err != nil {
			b.Fatal(err)
		}
		sess, err := svc.Sessions.Login(ctx, "s@example.com", pw, identity.Client{IP: "192.0.2.1"})
		if err != nil {
			b.Fatal(err)
		}
		actor, err := svc.Sessions.Authenticate(ctx, sess.Token, identity.Client{IP: "192.0.2.1"})
		if err != nil {
			b.Fatal(err)
		}
		var ids []string
		for i := range 1000 {
			c, err := svc.Customers.CreateCustomer(ctx, actor, input("name", fmt.Sprintf("客户 %d", i), "email", fmt.Sprintf("c%d@example.com", i),
				"phone", fmt.Sprintf("+86 138 %08d", i), "notes", "Prefers phone calls in the morning."))
			if err != nil {
				b.Fatal(err)
			}
			ids = append(ids, c.ID)
		}
		b.Run("full", func(b *testing.B) {
			i := 0
			for b.Loop() {
				if _, err := svc.Customers.Customer(ctx, actor, ids[i%len(ids)]); err != nil {
					b.Fatal(err)
				}
				i++
			}
		})
		b.Run("full-32-concurrent", func(b *testing.B) {
			b.SetParallelism(16) // 16 × GOMAXPROCS readers at once, as with many users
			b.RunParallel(func(pb *testing.PB) {
				i := 0
				for pb.Next() {
					if _, err := svc.Customers.Customer(ctx, actor, ids[i%len(ids)]); err != nil {
						b.Fatal(err)
					}
					i++
				}
			})
		})
		b.Run("list-50-concurrent", func(b *testing.B) {
			b.SetParallelism(4) // 4 × GOMAXPROCS pages at once
			b.RunParallel(func(pb *testing.PB) {
				for pb.Next() {
					page, err := svc.Customers.ListCustomers(ctx, actor, records.CustomerQuery{Limit: 50})
					if err != nil || len(page.Customers) != 50 {
						b.Fatal(err)
					}
				}
			})
		})
		b.Run("plain-sql", func(b *testing.B) {
			raw := db.Raw(b)
			q := "SELECT id, owner_id, name_ct, email_ct, phone_ct, national_id_ct, notes_ct, created_at, updated_at FROM customers WHERE id = ?"
			if db.Engine == store.Postgres {
				q = "SELECT id, owner_id, name_ct, email_ct, phone_ct, national_id_ct, notes_ct, created_at, updated_at FROM customers WHERE id = $1"
			}
			stmt, err := raw.Prepare(q)
			if err != nil {
				b.Fatal(err)
			}
			defer stmt.Close()
			i := 0
			for b.Loop() {
				var id, owner string
				var n, e, p, nid, notes []byte
				var c, u int64
				if err := stmt.QueryRow(ids[i%len(ids)]).Scan(&id, &owner, &n, &e, &p, &nid, &notes, &c, &u); err != nil {
					b.Fatal(err)
				}
				i++
			}
		})
	})
}

// BenchmarkAuthenticate: turning a session token into an actor, as every
// request does (session, user, policy and enrolment state, the user's
// network rules, break-glass openings and sub-teams).
func BenchmarkAuthenticate(b *testing.B) {
	testkit.ForEachDBBench(b, func(b *testing.B, db testkit.DB) {
		ctx := context.Background()
		env := testkit.NewEnv(b, db, service.Options{})
		if _, err := env.Service.Users.CreateUser(ctx, authz.System(), identity.NewUser{Email: "bench@example.com", Role: "manager", Team: "north", Password: pw}); err != nil {
			b.Fatal(err)
		}
		sess, err := env.Service.Sessions.Login(ctx, "bench@example.com", pw, identity.Client{})
		if err != nil {
			b.Fatal(err)
		}
		for b.Loop() {
			if _, err := env.Service.Sessions.Authenticate(ctx, sess.Token, identity.Client{}); err != nil {
				b.Fatal(err)
			}
		}
	})
}
