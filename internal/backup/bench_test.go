package backup

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"filippo.io/age"

	"strongroom.dev/strongroom/internal/authz"
	"strongroom.dev/strongroom/internal/checkpoint"
	"strongroom.dev/strongroom/internal/crm"
	"strongroom.dev/strongroom/internal/service"
	"strongroom.dev/strongroom/internal/service/identity"
	"strongroom.dev/strongroom/internal/service/records"
	"strongroom.dev/strongroom/internal/store"
	"strongroom.dev/strongroom/internal/testkit"
)

// BenchmarkBackupAndDrill backs up and drills a database of
// STRONGROOM_BENCH_CUSTOMERS customers (default 100,000; imported through
// the service, so each has its own data key, sealed fields and blind
// indexes) with an activity on one customer in ten, on each engine. It
// reports the backup's time (backup-s) and size (MB), and the drill's
// time (drill-s: restore into a scratch SQLite database, every check,
// the audit chain, a decryption sample), which is the measured RTO.
//
//	STRONGROOM_BENCH_CUSTOMERS=1000000 go test ./internal/backup -run '^$' -bench BackupAndDrill -benchtime 1x -timeout 60m
func BenchmarkBackupAndDrill(b *testing.B) {
	n := 100_000
	if v, err := strconv.Atoi(os.Getenv("STRONGROOM_BENCH_CUSTOMERS")); err == nil && v > 0 {
		n = v
	}
	testkit.ForEachDBBench(b, func(b *testing.B, db testkit.DB) {
		ctx := context.Background()
		env := testkit.NewEnv(b, db, service.Options{})
		seedCustomers(b, env.Service, n)
		signer, _, err := checkpoint.LoadOrCreateKey(filepath.Join(b.TempDir(), "audit.key"), "bench/strongroom/audit")
		if err != nil {
			b.Fatal(err)
		}
		if _, err := (&checkpoint.Checkpointer{DB: env.Store, Signer: signer}).Checkpoint(ctx); err != nil {
			b.Fatal(err)
		}
		id, _ := age.GenerateX25519Identity()
		spec := Spec{Target: Dir{Path: b.TempDir()}}
		r := &Runner{
			Maker:   &Maker{DB: env.Store, Signer: signer, Recipients: []string{id.Recipient().String()}, Host: "bench"},
			Targets: []Spec{spec},
			Drill: Drill{Identities: []age.Identity{id}, VerifierKey: signer.VerifierKey(), Scratch: b.TempDir(),
				Sample: func(ctx context.Context, db *store.DB) (string, error) {
					svc, err := service.New(ctx, db, env.Keys, service.Options{})
					if err != nil {
						return "", err
					}
					defer svc.Close()
					page, err := svc.Customers.ListCustomers(ctx, authz.System(), records.CustomerQuery{Limit: 20, Newest: true})
					return fmt.Sprintf("%d customers", len(page.Customers)), err
				}},
		}
		var backupTime, drillTime time.Duration
		var size int64
		for b.Loop() {
			start := time.Now()
			run, err := r.Backup(ctx, spec)
			if err != nil {
				b.Fatal(err)
			}
			backupTime += time.Since(start)
			size = run.Size
			start = time.Now()
			if _, err := r.DrillNow(ctx, spec); err != nil {
				b.Fatal(err)
			}
			drillTime += time.Since(start)
		}
		b.ReportMetric(backupTime.Seconds()/float64(b.N), "backup-s")
		b.ReportMetric(drillTime.Seconds()/float64(b.N), "drill-s")
		b.ReportMetric(float64(size)/1e6, "MB")
		b.ReportMetric(0, "ns/op")
	})
}

// seedCustomers imports n customers for a sales user through the
// service, and logs an activity on one in ten.
func seedCustomers(b *testing.B, svc *service.Service, n int) {
	b.Helper()
	ctx := context.Background()
	sys := authz.System()
	u, err := svc.Users.CreateUser(ctx, sys, identity.NewUser{Email: "sales@bench.strongroom.test", Role: "sales", Password: "a long enough passphrase for the bench"})
	if err != nil {
		b.Fatal(err)
	}
	var buf bytes.Buffer
	for from := 0; from < n; from += 10_000 {
		buf.Reset()
		buf.WriteString("name,email,phone,notes\n")
		for i := from; i < min(n, from+10_000); i++ {
			fmt.Fprintf(&buf, "Customer %d,c%d@example.com,+86 138 %04d %04d,Met at the autumn fair; prefers email\n", i, i, i/10000, i%10000)
		}
		rep, err := svc.Customers.ImportCustomers(ctx, sys, &buf, records.ImportOptions{OwnerID: u.ID})
		if err != nil || rep.Created != min(10_000, n-from) {
			b.Fatalf("seeding: %v %+v", err, rep.Created)
		}
	}
	q := records.CustomerQuery{Limit: 200}
	for logged := 0; logged < n/10; {
		page, err := svc.Customers.ListCustomers(ctx, sys, q)
		if err != nil {
			b.Fatal(err)
		}
		for _, c := range page.Customers {
			if logged >= n/10 {
				break
			}
			if _, err := svc.Activities.LogActivity(ctx, sys, c.ID, crm.ActivityInput{Kind: "call", Subject: "Follow-up call", Body: "Asked about the spring catalogue"}); err != nil {
				b.Fatal(err)
			}
			logged++
		}
		if page.Next == "" {
			break
		}
		q.Cursor = page.Next
	}
}
