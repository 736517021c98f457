package bench

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"os"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"strongroom.dev/strongroom/internal/service/governance"
)

// target is one HTTPS server the load reaches, over keep-alive HTTP/1.1
// connections (at most conns of them).
type target struct {
	base   string       // https://127.0.0.1:PORT
	client *http.Client // keep-alive, for the load
	fresh  *http.Client // a new connection per request, for logins
	proc   *child
}

// newClient trusts only the certificate in certFile. HTTP/1.1 (no
// HTTP/2), so that each worker holds one connection of its own.
func newClient(certFile string, conns int, keepAlive bool, timeout time.Duration) (*http.Client, error) {
	pem, err := os.ReadFile(certFile)
	if err != nil {
		return nil, err
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(pem) {
		return nil, fmt.Errorf("bench: %s holds no certificate", certFile)
	}
	tr := &http.Transport{
		TLSClientConfig:     &tls.Config{RootCAs: pool, ServerName: "localhost", MinVersion: tls.VersionTLS12},
		TLSNextProto:        map[string]func(string, *tls.Conn) http.RoundTripper{},
		MaxIdleConns:        conns,
		MaxIdleConnsPerHost: conns,
		MaxConnsPerHost:     conns,
		IdleConnTimeout:     time.Minute,
		DisableCompression:  true,
		DisableKeepAlives:   !keepAlive,
	}
	return &http.Client{Transport: tr, Timeout: timeout}, nil
}

// worker sends one request at a time on its own connection.
type worker struct {
	t        *target
	rnd      *rand.Rand
	hdr      http.Header // shared by this worker's requests; never changed while one is in flight
	body     []byte
	drain    []byte
	lats     []time.Duration
	during   []time.Duration // latencies of requests started during a login storm
	errs     int
	firstErr string
}

// request makes the worker's next request.
type request func(ctx context.Context, w *worker) (*http.Request, error)

// send sends req and reads the whole answer. A non-2xx answer or a failure
// is counted as an error (the first one's text kept); ok tells success.
func (w *worker) send(req *http.Request) (ok bool) {
	resp, err := w.t.client.Do(req)
	if err != nil {
		w.fail(err.Error())
		return false
	}
	defer resp.Body.Close()
	if resp.StatusCode/100 == 2 {
		io.CopyBuffer(io.Discard, resp.Body, w.drain)
		return true
	}
	b, _ := io.ReadAll(io.LimitReader(resp.Body, 4096))
	var p struct {
		Detail string `json:"detail"`
	}
	json.Unmarshal(b, &p)
	if p.Detail == "" {
		p.Detail = string(b)
	}
	w.fail(strconv.Itoa(resp.StatusCode) + " " + p.Detail)
	return false
}

func (w *worker) fail(text string) {
	w.errs++
	if w.firstErr == "" {
		w.firstErr = text
	}
}

// storm logs many users in at once while a load runs.
type storm struct {
	logins   []account
	at       time.Duration // after the load starts
	active   atomic.Bool
	finished atomic.Bool
	window   time.Duration // from the first login sent to the last answered
	login    Result
}

// load is what every operation shares.
type load struct {
	conns   int
	auth    string // "Bearer <token>"
	servers []*target
	seed    int // customers seeded: 0 .. seed-1
	ids     []string
}

func (l *load) workers(targets []*target) []*worker {
	ws := make([]*worker, l.conns)
	for i := range ws {
		ws[i] = &worker{
			t:     targets[i%len(targets)],
			rnd:   rand.New(rand.NewPCG(uint64(i)+1, uint64(time.Now().UnixNano()))),
			hdr:   http.Header{"Authorization": {l.auth}, "Content-Type": {"application/json"}, "User-Agent": {"strongroom-bench"}},
			drain: make([]byte, 32<<10),
			lats:  make([]time.Duration, 0, 1<<16),
		}
	}
	return ws
}

// run drives next from conns workers spread over targets for d (and, with
// a storm, until the storm is over) and returns the result. Each worker
// sends its next request as soon as the last is answered, unless pace is
// set: then each sends one every pace, the workers staggered evenly, and a
// request's latency counts from when it was due, so that time spent
// waiting behind a slow answer counts too.
func (l *load) run(ctx context.Context, name string, targets []*target, next request, d time.Duration, st *storm, pace time.Duration) Result {
	ws := l.workers(targets)
	cpu0, cpuOK := serverCPU(targets)
	start := time.Now()
	deadline := start.Add(d)
	var wg sync.WaitGroup
	if st != nil {
		wg.Go(func() { st.run(ctx, targets, start) })
	}
	for i, w := range ws {
		wg.Go(func() {
			due := start.Add(pace * time.Duration(i) / time.Duration(len(ws)))
			for ctx.Err() == nil && (time.Now().Before(deadline) || st != nil && !st.finished.Load()) {
				if pace > 0 {
					if !due.Before(deadline) || !sleepUntil(ctx, due) {
						break
					}
				}
				during := st != nil && st.active.Load()
				req, err := next(ctx, w)
				if err != nil {
					w.fail(err.Error())
					continue
				}
				t0 := time.Now()
				if pace > 0 {
					t0, due = due, due.Add(pace)
				}
				if !w.send(req) {
					continue
				}
				lat := time.Since(t0)
				w.lats = append(w.lats, lat)
				if during {
					w.during = append(w.during, lat)
				}
			}
		})
	}
	wg.Wait()
	took := time.Since(start)
	r := Result{Op: name}
	var lats, during []time.Duration
	for _, w := range ws {
		lats = append(lats, w.lats...)
		during = append(during, w.during...)
		r.Errors += w.errs
		if r.FirstErr == "" {
			r.FirstErr = w.firstErr
		}
	}
	if st == nil {
		r.summarise(lats, took)
		if cpu1, ok := serverCPU(targets); ok && cpuOK && r.Requests > 0 {
			r.CPUPerReq = float64((cpu1 - cpu0).Microseconds()) / float64(r.Requests)
		}
		return r
	}
	// With a storm, the result is the load's while the logins ran.
	r.Op = name + ", during the storm"
	r.summarise(during, st.window)
	return r
}

// sleepUntil waits until t; false if ctx ended first.
func sleepUntil(ctx context.Context, t time.Time) bool {
	d := time.Until(t)
	if d <= 0 {
		return true
	}
	timer := time.NewTimer(d)
	defer timer.Stop()
	select {
	case <-timer.C:
		return true
	case <-ctx.Done():
		return false
	}
}

// serverCPU is the CPU time the targets' processes have used so far.
func serverCPU(targets []*target) (time.Duration, bool) {
	var sum time.Duration
	for _, t := range targets {
		d, ok := t.proc.cpu()
		if !ok {
			return 0, false
		}
		sum += d
	}
	return sum, true
}

// run sends every login at once, at st.at after start, each on a new
// connection (a fresh TLS handshake, as a user logging in makes).
func (st *storm) run(ctx context.Context, targets []*target, start time.Time) {
	defer st.finished.Store(true)
	select {
	case <-ctx.Done():
		return
	case <-time.After(time.Until(start.Add(st.at))):
	}
	st.active.Store(true)
	defer st.active.Store(false)
	t0 := time.Now()
	lats := make([]time.Duration, len(st.logins))
	oks := make([]bool, len(st.logins))
	errs := make([]string, len(st.logins))
	var wg sync.WaitGroup
	for i, a := range st.logins {
		wg.Go(func() {
			t := targets[i%len(targets)]
			body, _ := json.Marshal(map[string]string{"email": a.email, "password": a.password})
			req, err := http.NewRequestWithContext(ctx, http.MethodPost, t.base+"/api/v1/sessions", bytes.NewReader(body))
			if err != nil {
				errs[i] = err.Error()
				return
			}
			req.Header.Set("Content-Type", "application/json")
			w := &worker{t: &target{base: t.base, client: t.fresh}}
			s := time.Now()
			oks[i] = w.send(req)
			lats[i], errs[i] = time.Since(s), w.firstErr
		})
	}
	wg.Wait()
	st.window = time.Since(t0)
	st.login = Result{Op: fmt.Sprintf("login storm (%d at once)", len(st.logins))}
	var ok []time.Duration
	for i := range lats {
		if oks[i] {
			ok = append(ok, lats[i])
			continue
		}
		st.login.Errors++
		if st.login.FirstErr == "" {
			st.login.FirstErr = errs[i]
		}
	}
	st.login.summarise(ok, st.window)
}

// Requests of each operation.

func (l *load) get(path func(w *worker) string) request {
	return func(ctx context.Context, w *worker) (*http.Request, error) {
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, w.t.base+path(w), nil)
		if err == nil {
			req.Header = w.hdr
		}
		return req, err
	}
}

func (l *load) post(path string, body func(w *worker) []byte) request {
	return func(ctx context.Context, w *worker) (*http.Request, error) {
		req, err := http.NewRequestWithContext(ctx, http.MethodPost, w.t.base+path, bytes.NewReader(body(w)))
		if err == nil {
			req.Header = w.hdr
		}
		return req, err
	}
}

// search posts {"field": value} to the customer search.
func (l *load) search(field string, value func(i int) string) request {
	return l.post("/api/v1/customers/search", func(w *worker) []byte {
		w.body = append(w.body[:0], `{"`...)
		w.body = append(w.body, field...)
		w.body = append(w.body, `":`...)
		w.body = strconv.AppendQuote(w.body, value(w.rnd.IntN(l.seed))) // ASCII: JSON and Go quoting agree
		w.body = append(w.body, '}')
		return w.body
	})
}

// create posts a new customer; from numbers them past the seeded ones.
func (l *load) create(from int) request {
	var n atomic.Int64
	return l.post("/api/v1/customers", func(w *worker) []byte {
		p := personAt(from + int(n.Add(1)))
		w.body, _ = json.Marshal(map[string]string{"name": p.name, "email": p.email, "phone": p.phone, "notes": p.notes})
		return w.body
	})
}

// collectIDs finds the ids of up to k random seeded customers by searching
// for their emails: the GET-by-id load picks among them.
func (l *load) collectIDs(ctx context.Context, k int) ([]string, error) {
	ws := l.workers(l.servers)
	var mu sync.Mutex
	var ids []string
	var wg sync.WaitGroup
	per := (k + len(ws) - 1) / len(ws)
	for _, w := range ws {
		wg.Go(func() {
			for range per {
				body := fmt.Appendf(nil, `{"email":%q}`, emailAt(w.rnd.IntN(l.seed)))
				req, err := http.NewRequestWithContext(ctx, http.MethodPost, w.t.base+"/api/v1/customers/search", bytes.NewReader(body))
				if err != nil {
					w.fail(err.Error())
					return
				}
				req.Header = w.hdr
				resp, err := w.t.client.Do(req)
				if err != nil {
					w.fail(err.Error())
					return
				}
				var page struct {
					Items []struct {
						ID string `json:"id"`
					} `json:"items"`
				}
				err = json.NewDecoder(resp.Body).Decode(&page)
				resp.Body.Close()
				if resp.StatusCode != http.StatusOK || err != nil || len(page.Items) != 1 {
					w.fail(fmt.Sprintf("search by a seeded email: status %d, %d found", resp.StatusCode, len(page.Items)))
					return
				}
				mu.Lock()
				ids = append(ids, page.Items[0].ID)
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	for _, w := range ws {
		if w.firstErr != "" {
			return nil, fmt.Errorf("bench: finding seeded customers: %s", w.firstErr)
		}
	}
	return ids, nil
}

// login logs in over HTTPS and returns the session token.
func login(ctx context.Context, t *target, a account) (string, error) {
	body, _ := json.Marshal(map[string]string{"email": a.email, "password": a.password})
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, t.base+"/api/v1/sessions", bytes.NewReader(body))
	if err != nil {
		return "", err
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := t.client.Do(req)
	if err != nil {
		return "", fmt.Errorf("bench: login: %w", err)
	}
	defer resp.Body.Close()
	var out struct {
		Token      string `json:"token"`
		MFAPending bool   `json:"mfa_pending"`
		Detail     string `json:"detail"`
	}
	json.NewDecoder(resp.Body).Decode(&out)
	if resp.StatusCode != http.StatusCreated || out.Token == "" || out.MFAPending {
		return "", fmt.Errorf("bench: login as %s: status %d %s", a.email, resp.StatusCode, out.Detail)
	}
	return out.Token, nil
}

// firstBackup waits, up to limit, until every backup target of t's
// database has a finished backup and a finished restore drill (or no drill
// due within the next minute), and says how long they took, from the first
// backup's start to the last one's end.
func firstBackup(ctx context.Context, t *target, token string, limit time.Duration) (time.Duration, error) {
	deadline := time.Now().Add(limit)
	for {
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, t.base+"/api/v1/backups", nil)
		if err != nil {
			return 0, err
		}
		req.Header.Set("Authorization", "Bearer "+token)
		resp, err := t.client.Do(req)
		if err != nil {
			return 0, fmt.Errorf("bench: reading the backups: %w", err)
		}
		var out governance.BackupOverview // the API's answer
		err = json.NewDecoder(resp.Body).Decode(&out)
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK || err != nil {
			return 0, fmt.Errorf("bench: reading the backups: status %d (%v)", resp.StatusCode, err)
		}
		done, first, last := true, time.Time{}, time.Time{}
		for _, tg := range out.Targets {
			drillDue := tg.LastDrill == nil && !tg.NextDrill.IsZero() && tg.NextDrill.Before(time.Now().Add(time.Minute))
			if tg.LastBackup == nil || tg.LastBackup.FinishedAt.IsZero() || drillDue {
				done = false
				break
			}
			if first.IsZero() || tg.LastBackup.StartedAt.Before(first) {
				first = tg.LastBackup.StartedAt
			}
			last = maxTime(last, tg.LastBackup.FinishedAt)
			if tg.LastDrill != nil {
				last = maxTime(last, tg.LastDrill.FinishedAt)
			}
		}
		if done {
			return last.Sub(first), nil
		}
		if time.Now().After(deadline) {
			return 0, fmt.Errorf("bench: the server's first backup and drill did not finish within %s", limit)
		}
		select {
		case <-ctx.Done():
			return 0, ctx.Err()
		case <-time.After(time.Second):
		}
	}
}

func maxTime(a, b time.Time) time.Time {
	if b.After(a) {
		return b
	}
	return a
}

// importRows posts n new customers as one CSV import and times it.
func (l *load) importRows(ctx context.Context, from, n int, client *http.Client) Result {
	r := Result{Op: fmt.Sprintf("import %d rows (1 request)", n), noRatio: true}
	var buf bytes.Buffer
	if err := writeCSV(&buf, from, n); err != nil {
		r.Errors, r.FirstErr = 1, err.Error()
		return r
	}
	t := l.servers[0]
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, t.base+"/api/v1/customers/import", &buf)
	if err != nil {
		r.Errors, r.FirstErr = 1, err.Error()
		return r
	}
	req.Header.Set("Authorization", l.auth)
	req.Header.Set("Content-Type", "text/csv")
	w := &worker{t: &target{base: t.base, client: client}, drain: make([]byte, 32<<10)}
	start := time.Now()
	ok := w.send(req)
	took := time.Since(start)
	r.Errors, r.FirstErr = w.errs, w.firstErr
	if ok {
		r.summarise([]time.Duration{took}, took)
		r.PerSecond = float64(n) / took.Seconds()
		r.Note = fmt.Sprintf("req/s column is rows/s; took %s", took.Round(10*time.Millisecond))
	}
	return r
}
