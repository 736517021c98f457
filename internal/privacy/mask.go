// Package privacy holds Strongroom's data-protection rules that are not
// access control: masking today; consent, erasure and retention later.
package privacy

import "strings"

// Mask hides all but the first and last character of v, keeping its length
// in characters: "110101199003071234" becomes "1****************4". Values
// of three characters or fewer are hidden entirely.
func Mask(v string) string {
	r := []rune(v)
	if len(r) == 0 {
		return ""
	}
	if len(r) <= 3 {
		return strings.Repeat("*", len(r))
	}
	return string(r[0]) + strings.Repeat("*", len(r)-2) + string(r[len(r)-1])
}
