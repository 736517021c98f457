package bench

import (
	"encoding/json"
	"fmt"
	"io"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

// Result is one measured operation. Rates and latencies count the answers
// that succeeded (2xx); the others are counted in Errors.
type Result struct {
	Op        string  `json:"op"`
	Requests  int     `json:"requests"` // 2xx answers
	Seconds   float64 `json:"seconds"`
	PerSecond float64 `json:"req_per_s"`
	P50       float64 `json:"p50_ms"`
	P99       float64 `json:"p99_ms"`
	Errors    int     `json:"errors"` // non-2xx answers and failed requests
	FirstErr  string  `json:"first_error,omitempty"`
	RSS       []int64 `json:"server_rss_kib,omitempty"`        // each server's VmRSS after the op
	CPUPerReq float64 `json:"server_cpu_us_per_req,omitempty"` // the servers' CPU time (user+system) per answer
	VsBare    float64 `json:"vs_bare,omitempty"`               // PerSecond / the bare handler's
	Note      string  `json:"note,omitempty"`
	noRatio   bool    // its rate is not requests (an import's rows)
}

// Report is a whole run.
type Report struct {
	Engine    string        `json:"engine"` // sqlite or postgres
	Servers   int           `json:"servers"`
	Customers int           `json:"customers"`
	SeedTook  time.Duration `json:"-"`
	SeedSecs  float64       `json:"seed_seconds"`
	Conns     int           `json:"conns"`
	Duration  time.Duration `json:"-"`
	DurSecs   float64       `json:"duration_seconds"`
	Results   []Result      `json:"results"`
	PeakRSS   []int64       `json:"server_peak_rss_kib,omitempty"` // VmHWM of each server at the end
	Audit     string        `json:"audit"`                         // what strongroom audit verify said of the log afterwards
}

// percentile is the nearest-rank q-quantile (0 < q <= 1) of sorted.
func percentile(sorted []time.Duration, q float64) time.Duration {
	if len(sorted) == 0 {
		return 0
	}
	i := int(math.Ceil(q*float64(len(sorted)))) - 1
	return sorted[min(max(i, 0), len(sorted)-1)]
}

// summarise fills r's rate and percentiles from lats (sorted in place),
// measured over took.
func (r *Result) summarise(lats []time.Duration, took time.Duration) {
	slices.Sort(lats)
	r.Requests = len(lats)
	r.Seconds = took.Seconds()
	if took > 0 {
		r.PerSecond = float64(len(lats)) / took.Seconds()
	}
	r.P50 = ms(percentile(lats, 0.50))
	r.P99 = ms(percentile(lats, 0.99))
}

func ms(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }

// relate sets every result's ratio to the bare handler's rate.
func (rep *Report) relate(bare float64) {
	for i := range rep.Results {
		if r := rep.Results[i]; bare > 0 && r.Requests > 0 && !r.noRatio {
			rep.Results[i].VsBare = rep.Results[i].PerSecond / bare
		}
	}
}

// WriteJSON writes rep as one JSON object.
func (rep Report) WriteJSON(w io.Writer) error {
	rep.SeedSecs, rep.DurSecs = rep.SeedTook.Seconds(), rep.Duration.Seconds()
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(rep)
}

// WriteTable writes rep as a table for people.
func (rep Report) WriteTable(w io.Writer) error {
	fmt.Fprintf(w, "strongroom bench: %s, %d server(s), %d customers (seeded in %s), %d connections, %s per operation\n",
		rep.Engine, rep.Servers, rep.Customers, rep.SeedTook.Round(10*time.Millisecond), rep.Conns, rep.Duration)
	rows := [][]string{{"operation", "req/s", "p50", "p99", "errors", "CPU/req", "server RSS", "vs bare", "first error / note"}}
	for _, r := range rep.Results {
		rate, p50, p99, cpu, vs := "-", "-", "-", "-", "-"
		if r.Requests > 0 {
			rate = fmt.Sprintf("%.0f", r.PerSecond)
			p50, p99 = fmtMS(r.P50), fmtMS(r.P99)
		}
		if r.CPUPerReq > 0 {
			cpu = fmt.Sprintf("%.0f µs", r.CPUPerReq)
		}
		if r.VsBare > 0 {
			vs = fmt.Sprintf("%.3f", r.VsBare)
		}
		note := r.Note
		if r.FirstErr != "" {
			note = strings.TrimSpace(r.FirstErr + "  " + note)
		}
		rows = append(rows, []string{r.Op, rate, p50, p99, strconv.Itoa(r.Errors), cpu, fmtRSS(r.RSS), vs, clip(note, 90)})
	}
	// The operation and the note read left to right; numbers line up right.
	width := make([]int, len(rows[0]))
	for _, row := range rows {
		for i, c := range row {
			width[i] = max(width[i], utf8.RuneCountInString(c))
		}
	}
	for _, row := range rows {
		var b strings.Builder
		for i, c := range row {
			pad := strings.Repeat(" ", width[i]-utf8.RuneCountInString(c))
			switch {
			case i == 0:
				b.WriteString(c + pad)
			case i == len(row)-1:
				b.WriteString("  " + c)
			default:
				b.WriteString("  " + pad + c)
			}
		}
		if _, err := fmt.Fprintln(w, strings.TrimRight(b.String(), " ")); err != nil {
			return err
		}
	}
	if len(rep.PeakRSS) > 0 {
		fmt.Fprintf(w, "server peak RSS (VmHWM): %s\n", fmtRSS(rep.PeakRSS))
	}
	if rep.Audit != "" {
		fmt.Fprintf(w, "afterwards: %s\n", rep.Audit)
	}
	return nil
}

func fmtMS(v float64) string {
	if v >= 100 {
		return fmt.Sprintf("%.0fms", v)
	}
	return fmt.Sprintf("%.2fms", v)
}

// fmtRSS shows sizes in KiB as MiB, one per server.
func fmtRSS(kib []int64) string {
	if len(kib) == 0 {
		return "-"
	}
	parts := make([]string, len(kib))
	for i, k := range kib {
		if k < 0 {
			parts[i] = "?"
			continue
		}
		parts[i] = fmt.Sprintf("%.0fMiB", float64(k)/1024)
	}
	return strings.Join(parts, "+")
}

func clip(s string, n int) string {
	s = strings.Join(strings.Fields(s), " ")
	if r := []rune(s); len(r) > n {
		return string(r[:n-1]) + "…"
	}
	return s
}
