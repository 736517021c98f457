// Package phrase holds the translations of the messages the service layer
// gives its callers (errs values' public messages: validation, refusals,
// conflicts), so the web UI and the API can show them in the user's
// language. The English message is the key; a message built with
// fmt.Sprintf is keyed by its format, and its variable parts are carried
// into the translation through placeholders {1}, {2}, … in order.
//
// A message without a translation is shown as it is: a test in this
// package parses the service sources and fails on any message missing
// here.
package phrase

import (
	"regexp"
	"sort"
	"strconv"
	"strings"
	"sync"
)

// Languages with a catalog here; English is the messages themselves.
const (
	EN = "en"
	ZH = "zh-CN"
)

// In returns msg in lang, or msg itself when lang is English or the
// message has no translation.
func In(lang, msg string) string {
	if lang != ZH || msg == "" {
		return msg
	}
	if s, ok := zh[msg]; ok && !strings.Contains(s, "{") {
		return s
	}
	compile()
	for _, p := range patterns {
		m := p.re.FindStringSubmatch(msg)
		if m == nil {
			continue
		}
		vals := m[1:]
		for i, v := range vals {
			vals[i] = In(lang, v) // a value may be a message itself
		}
		return fill(p.zh, vals)
	}
	return msg
}

// Has reports whether msg (an English message, or a format) has a Chinese
// translation.
func Has(format string) bool {
	_, ok := zh[format]
	return ok
}

type pattern struct {
	re *regexp.Regexp
	zh string
}

var (
	once     sync.Once
	patterns []pattern
)

// verb matches a fmt verb with its flags and width: %s, %q, %d, %v, %04X, %.1f.
var verb = regexp.MustCompile(`%[-+# 0]*[0-9]*(?:\.[0-9]+)?[a-zA-Z]`)

func compile() {
	once.Do(func() {
		for en, t := range zh {
			if !verb.MatchString(en) {
				continue
			}
			patterns = append(patterns, pattern{re: regexp.MustCompile(FormatRegexp(en)), zh: t})
		}
		// The longest formats first: a more specific one wins over a shorter one.
		sortByLength(patterns)
	})
}

// FormatRegexp turns a fmt format into an anchored regular expression
// whose groups are its verbs' values.
func FormatRegexp(format string) string {
	var b strings.Builder
	b.WriteString("^")
	parts := strings.Split(format, "%%")
	for i, part := range parts {
		if i > 0 {
			b.WriteString("%")
		}
		last := 0
		for _, loc := range verb.FindAllStringIndex(part, -1) {
			b.WriteString(regexp.QuoteMeta(part[last:loc[0]]))
			b.WriteString("(.+?)")
			last = loc[1]
		}
		b.WriteString(regexp.QuoteMeta(part[last:]))
	}
	b.WriteString("$")
	return b.String()
}

// Verbs counts the values a format takes.
func Verbs(format string) int {
	n := 0
	for _, part := range strings.Split(format, "%%") {
		n += len(verb.FindAllString(part, -1))
	}
	return n
}

var placeholder = regexp.MustCompile(`\{([0-9]+)\}`)

// Placeholders lists the numbers of the placeholders in a translation.
func Placeholders(s string) []int {
	var out []int
	for _, m := range placeholder.FindAllStringSubmatch(s, -1) {
		n, _ := strconv.Atoi(m[1])
		out = append(out, n)
	}
	return out
}

func fill(t string, vals []string) string {
	return placeholder.ReplaceAllStringFunc(t, func(p string) string {
		n, _ := strconv.Atoi(p[1 : len(p)-1])
		if n < 1 || n > len(vals) {
			return p
		}
		return vals[n-1]
	})
}

func sortByLength(ps []pattern) {
	sort.SliceStable(ps, func(i, j int) bool {
		if a, b := len(ps[i].re.String()), len(ps[j].re.String()); a != b {
			return a > b
		}
		return ps[i].re.String() < ps[j].re.String()
	})
}

// Accept picks the language of an Accept-Language header: Chinese for
// any zh tag that comes before an English one, else English.
func Accept(header string) string {
	for _, part := range strings.Split(header, ",") {
		tag := strings.ToLower(strings.TrimSpace(strings.SplitN(part, ";", 2)[0]))
		switch {
		case strings.HasPrefix(tag, "zh"):
			return ZH
		case strings.HasPrefix(tag, "en"):
			return EN
		}
	}
	return EN
}
