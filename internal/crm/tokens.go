package crm

import (
	"strings"
	"unicode"
)

// NameTokens splits a name into search tokens: lower-cased words of two or
// more letters for alphabetic scripts, and every pair of adjacent
// characters for Han text (Chinese names are not split by spaces), plus
// each Han word whole. "王小明 Wang" gives 王小, 小明, 王小明, wang.
func NameTokens(name string) []string {
	seen := map[string]bool{}
	var out []string
	add := func(t string) {
		if t != "" && !seen[t] {
			seen[t] = true
			out = append(out, t)
		}
	}
	words := strings.FieldsFunc(strings.ToLower(name), func(r rune) bool {
		return !unicode.IsLetter(r) && !unicode.IsDigit(r)
	})
	for _, w := range words {
		var han, other []rune
		flush := func() {
			if len(other) >= 2 {
				add(string(other))
			}
			other = other[:0]
			if len(han) >= 2 {
				for i := 0; i+1 < len(han); i++ {
					add(string(han[i : i+2]))
				}
				add(string(han))
			}
			han = han[:0]
		}
		for _, r := range w {
			if unicode.Is(unicode.Han, r) {
				if len(other) > 0 {
					flush()
				}
				han = append(han, r)
			} else {
				if len(han) > 0 {
					flush()
				}
				other = append(other, r)
			}
		}
		flush()
	}
	return out
}
