package service_test

import (
	"context"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"strongroom.dev/strongroom/internal/authn"
	"strongroom.dev/strongroom/internal/authz"
	"strongroom.dev/strongroom/internal/service"
	"strongroom.dev/strongroom/internal/service/identity"
	"strongroom.dev/strongroom/internal/testkit"
)

// BenchmarkLoginStorm measures logins at the production argon2id cost
// (DefaultParams, the default bound on hashes at once), and what 50 logins running at
// once do to everyone else: the p99 of customer reads meanwhile.
func BenchmarkLoginStorm(b *testing.B) {
	testkit.ForEachDBBench(b, func(b *testing.B, db testkit.DB) {
		ctx := context.Background()
		env := testkit.NewEnv(b, db, service.Options{Hasher: authn.NewHasher(authn.DefaultParams, 0), Throttle: authn.NewThrottle(1e9, 1e9)})
		svc := env.Service
		const storm = 50
		for i := range storm {
			if _, err := svc.Users.CreateUser(ctx, authz.System(), identity.NewUser{Email: fmt.Sprintf("u%d@example.com", i), Role: "sales", Password: pw}); err != nil {
				b.Fatal(err)
			}
		}
		if _, err := svc.Users.CreateUser(ctx, authz.System(), identity.NewUser{Email: "reader@example.com", Role: "sales", Password: pw}); err != nil {
			b.Fatal(err)
		}
		sess, err := svc.Sessions.Login(ctx, "reader@example.com", pw, identity.Client{IP: "192.0.2.1"})
		if err != nil {
			b.Fatal(err)
		}
		reader, err := svc.Sessions.Authenticate(ctx, sess.Token, identity.Client{IP: "192.0.2.1"})
		if err != nil {
			b.Fatal(err)
		}
		c, err := svc.Customers.CreateCustomer(ctx, reader, input("name", "客户", "email", "c@example.com", "phone", "+86 138 0000 0000"))
		if err != nil {
			b.Fatal(err)
		}

		b.Run("logins", func(b *testing.B) {
			var mu sync.Mutex
			next := 0
			b.SetParallelism(storm / 2) // 50 goroutines on this 2-CPU machine
			b.RunParallel(func(pb *testing.PB) {
				mu.Lock()
				email := fmt.Sprintf("u%d@example.com", next%storm)
				next++
				mu.Unlock()
				for pb.Next() {
					if _, err := svc.Sessions.Login(ctx, email, pw, identity.Client{IP: "192.0.2.9"}); err != nil {
						b.Error(err)
						return
					}
				}
			})
			b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "logins/s")
		})

		b.Run("read-during-50-logins", func(b *testing.B) {
			stop := make(chan struct{})
			var wg sync.WaitGroup
			for i := range storm {
				wg.Go(func() {
					email := fmt.Sprintf("u%d@example.com", i)
					for {
						select {
						case <-stop:
							return
						default:
						}
						if _, err := svc.Sessions.Login(ctx, email, pw, identity.Client{IP: "192.0.2.9"}); err != nil {
							b.Error(err)
							return
						}
					}
				})
			}
			var lat []time.Duration
			for b.Loop() {
				t0 := time.Now()
				if _, err := svc.Customers.Customer(ctx, reader, c.ID); err != nil {
					b.Fatal(err)
				}
				lat = append(lat, time.Since(t0))
			}
			close(stop)
			wg.Wait()
			slices.Sort(lat)
			b.ReportMetric(float64(lat[len(lat)*99/100].Microseconds()), "p99-µs")
			b.ReportMetric(float64(lat[len(lat)/2].Microseconds()), "p50-µs")
		})
	})
}
