package bench

import (
	"bytes"
	"context"
	"os"
	"strings"
	"testing"
	"time"

	"strongroom.dev/strongroom/internal/crm"
)

func TestPercentile(t *testing.T) {
	ms := func(v ...int) []time.Duration {
		out := make([]time.Duration, len(v))
		for i, x := range v {
			out[i] = time.Duration(x) * time.Millisecond
		}
		return out
	}
	hundred := make([]int, 100)
	for i := range hundred {
		hundred[i] = i + 1
	}
	cases := []struct {
		name string
		in   []time.Duration
		q    float64
		want time.Duration
	}{
		{"empty", nil, 0.5, 0},
		{"one", ms(7), 0.99, 7 * time.Millisecond},
		{"median of four is the second (nearest rank)", ms(1, 2, 3, 4), 0.5, 2 * time.Millisecond},
		{"p99 of 1..100", ms(hundred...), 0.99, 99 * time.Millisecond},
		{"p50 of 1..100", ms(hundred...), 0.50, 50 * time.Millisecond},
		{"p100 is the largest", ms(hundred...), 1, 100 * time.Millisecond},
	}
	for _, c := range cases {
		if got := percentile(c.in, c.q); got != c.want {
			t.Errorf("%s: percentile(%v) = %v, want %v", c.name, c.q, got, c.want)
		}
	}
}

func TestSummariseSortsAndRates(t *testing.T) {
	var r Result
	r.summarise([]time.Duration{3 * time.Millisecond, time.Millisecond, 2 * time.Millisecond, 4 * time.Millisecond}, 2*time.Second)
	if r.Requests != 4 || r.PerSecond != 2 || r.P50 != 2 || r.P99 != 4 {
		t.Errorf("summarise = %+v; want 4 requests, 2/s, p50 2ms, p99 4ms", r)
	}
}

func TestReportTable(t *testing.T) {
	rep := Report{Engine: "sqlite", Servers: 1, Customers: 10, Conns: 2, Duration: time.Second, SeedTook: time.Second,
		Results: []Result{
			{Op: "bare handler", Requests: 100, PerSecond: 1000, P50: 0.5, P99: 1.25, RSS: []int64{10240}},
			{Op: "GET customer by id", Requests: 10, PerSecond: 250, P50: 3, P99: 150, Errors: 2, FirstErr: "404 customer not found", RSS: []int64{20480, 30720}, CPUPerReq: 412.4},
			{Op: "search by national id", Note: "skipped"},
			{Op: "import 5 rows (1 request)", Requests: 1, PerSecond: 50, P50: 100, P99: 100, noRatio: true},
		},
		PeakRSS: []int64{40960},
	}
	rep.relate(rep.Results[0].PerSecond)
	if got := rep.Results[1].VsBare; got != 0.25 {
		t.Errorf("ratio to bare = %v, want 0.25", got)
	}
	if rep.Results[2].VsBare != 0 || rep.Results[3].VsBare != 0 {
		t.Errorf("a skipped op or an import got a ratio: %+v", rep.Results)
	}
	var b bytes.Buffer
	if err := rep.WriteTable(&b); err != nil {
		t.Fatal(err)
	}
	out := b.String()
	for _, want := range []string{
		"sqlite, 1 server(s), 10 customers",
		"GET customer by id ", "250", "3.00ms", "150ms", "412 µs", "20MiB+30MiB", "0.250", "404 customer not found",
		"search by national id", "skipped", "server peak RSS (VmHWM): 40MiB",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("table lacks %q:\n%s", want, out)
		}
	}
	lines := strings.Split(out, "\n")
	if !strings.HasPrefix(lines[1], "operation ") || !strings.HasPrefix(lines[3], "GET customer by id ") {
		t.Errorf("operations are not left-aligned:\n%s", out)
	}
	b.Reset()
	if err := rep.WriteJSON(&b); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{`"req_per_s": 250`, `"server_cpu_us_per_req": 412.4`, `"first_error": "404 customer not found"`, `"seed_seconds": 1`} {
		if !strings.Contains(b.String(), want) {
			t.Errorf("JSON lacks %s:\n%s", want, b.String())
		}
	}
}

func TestOptionsCheck(t *testing.T) {
	ok := Defaults()
	if err := ok.Check(); err != nil {
		t.Fatalf("defaults refused: %v", err)
	}
	for _, c := range []struct {
		flag   string
		change func(*Options)
	}{
		{"--customers", func(o *Options) { o.Customers = 0 }},
		{"--conns", func(o *Options) { o.Conns = 0 }},
		{"--duration", func(o *Options) { o.Duration = 0 }},
		{"--import-rows", func(o *Options) { o.ImportRows = 500_001 }},
		{"--servers", func(o *Options) { o.Servers = 2 }}, // without --postgres
	} {
		o := Defaults()
		c.change(&o)
		err := o.Check()
		if err == nil || !strings.Contains(err.Error(), c.flag) {
			t.Errorf("%s: Check() = %v, want an error naming the flag", c.flag, err)
		}
	}
	o := Defaults()
	o.Servers, o.Postgres = 2, "postgres://127.0.0.1/test"
	if err := o.Check(); err != nil {
		t.Errorf("two servers on PostgreSQL refused: %v", err)
	}
}

// The generated customers are what the import accepts, and their emails
// and phones are distinct (the import skips duplicates).
func TestGeneratedCustomers(t *testing.T) {
	emails, phones := map[string]int{}, map[string]int{}
	check := func(i int) {
		p := personAt(i)
		e, err := crm.NormaliseEmail(p.email)
		if err != nil {
			t.Fatalf("customer %d: email %q: %v", i, p.email, err)
		}
		ph, err := crm.NormalisePhone(p.phone)
		if err != nil {
			t.Fatalf("customer %d: phone %q: %v", i, p.phone, err)
		}
		if j, dup := emails[e]; dup {
			t.Fatalf("customers %d and %d share email %s", j, i, e)
		}
		if j, dup := phones[ph]; dup {
			t.Fatalf("customers %d and %d share phone %s", j, i, ph)
		}
		emails[e], phones[ph] = i, i
		if _, err := crm.NormaliseNationalID(nationalIDAt(i)); err != nil {
			t.Fatalf("customer %d: national id %q: %v", i, nationalIDAt(i), err)
		}
		if p.name == "" {
			t.Fatalf("customer %d has no name", i)
		}
	}
	for i := range 5000 {
		check(i)
	}
	// The numbers the create and import operations use, far past the seed.
	for i := 60_000_000; i < 60_001_000; i++ {
		check(i)
	}
	var b bytes.Buffer
	if err := writeCSV(&b, 0, 3); err != nil {
		t.Fatal(err)
	}
	if lines := strings.Split(strings.TrimSpace(b.String()), "\n"); len(lines) != 4 || lines[0] != "name,email,phone,national_id,notes" {
		t.Errorf("CSV = %q; want a header and 3 rows", b.String())
	}
	if zh, en := personAt(0).name, personAt(1).name; !strings.ContainsFunc(zh, func(r rune) bool { return r > 0x4e00 }) || !strings.Contains(en, " ") {
		t.Errorf("names: %q, %q; want a Chinese and a Latin one", zh, en)
	}
}

// The CPU time read for a child is what it spent: more than nothing after
// a busy loop, and no more than the wall time since it started (it runs on
// one thread).
func TestChildCPU(t *testing.T) {
	if _, err := os.Stat("/proc/self/stat"); err != nil {
		t.Skip("no /proc on this system: the load tool reports no CPU time here")
	}
	start := time.Now()
	c, _, err := startChild(context.Background(), "busy", "/bin/sh", t.TempDir(), "ready",
		"-c", "i=0; while [ $i -lt 200000 ]; do i=$((i+1)); done; echo ready; sleep 30")
	if err != nil {
		t.Fatal(err)
	}
	defer c.stop()
	used, ok := c.cpu()
	if !ok || used <= 0 || used > time.Since(start) {
		t.Errorf("cpu() = %v, %v after a busy loop; want more than 0 and at most %v", used, ok, time.Since(start))
	}
}
