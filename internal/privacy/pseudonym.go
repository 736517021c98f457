package privacy

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// Pseudonym is a person's keyed token for one export recipient:
// HMAC-SHA256 under the recipient's key (derived from the master key, so
// the same person has the same token in every export to that recipient
// and a different one for anyone else), truncated to 128 bits. Without the
// key it cannot be reversed or linked to the person.
func Pseudonym(key []byte, id string) string {
	m := hmac.New(sha256.New, key)
	m.Write([]byte(id))
	return hex.EncodeToString(m.Sum(nil)[:16])
}

// Quasi are a person's quasi-identifiers before generalisation: facts
// that, combined, could single someone out.
type Quasi struct {
	Birth   time.Time // zero: unknown
	Region  string    // a province or region; "" unknown
	Country string    // ISO 3166-1 alpha-2 or a calling-code label; "" unknown
	Since   time.Time // customer since
}

// Levels are the generalisation ladder, finest first: each coarsens the
// quasi-identifiers until every group is large enough. Unknown is "?";
// suppressed is "*".
var Levels = []string{
	"age band 10 years, province or region, customer since month",
	"age band 20 years, country, customer since year",
	"age suppressed, country, customer since year",
	"all quasi-identifiers suppressed",
}

// Generalise returns q's quasi-identifiers at a level of the ladder, as
// of now: age band, region and customer-since.
func Generalise(q Quasi, level int, now time.Time) []string {
	age := "?"
	if !q.Birth.IsZero() {
		age = strconv.Itoa(yearsBetween(q.Birth, now))
	}
	switch level {
	case 0:
		return []string{band(age, 10), orUnknown(firstOf(q.Region, q.Country)), q.Since.Format("2006-01")}
	case 1:
		return []string{band(age, 20), orUnknown(q.Country), q.Since.Format("2006")}
	case 2:
		return []string{"*", orUnknown(q.Country), q.Since.Format("2006")}
	default:
		return []string{"*", "*", "*"}
	}
}

// QuasiColumns name what Generalise returns.
var QuasiColumns = []string{"age_band", "region", "customer_since"}

// KAnonymity is the size of the smallest group of rows sharing the same
// quasi-identifiers: every person is indistinguishable from at least k-1
// others in the export. 0 for no rows.
func KAnonymity(quasi [][]string) int {
	if len(quasi) == 0 {
		return 0
	}
	groups := map[string]int{}
	for _, q := range quasi {
		groups[strings.Join(q, "\x00")]++
	}
	k := len(quasi)
	for _, n := range groups {
		k = min(k, n)
	}
	return k
}

// Ladder finds the finest level at which the rows reach k: it returns the
// level and the k reached there, or ok false if even suppressing every
// quasi-identifier leaves fewer than k rows.
func Ladder(people []Quasi, k int, now time.Time) (level, got int, ok bool) {
	for level = range Levels {
		rows := make([][]string, len(people))
		for i, q := range people {
			rows[i] = Generalise(q, level, now)
		}
		if got = KAnonymity(rows); got >= k {
			return level, got, true
		}
	}
	return len(Levels) - 1, got, false
}

// FromNationalID reads the birth date and the province from a mainland
// Chinese resident identity number (18 characters: 6 digits of region,
// 8 of birth date, 3 of sequence and a check character). ok is false for
// anything else.
func FromNationalID(id string) (birth time.Time, province string, ok bool) {
	if len(id) != 18 {
		return time.Time{}, "", false
	}
	for _, c := range id[:17] {
		if c < '0' || c > '9' {
			return time.Time{}, "", false
		}
	}
	birth, err := time.Parse("20060102", id[6:14])
	if err != nil {
		return time.Time{}, "", false
	}
	province, ok = provinces[id[:2]]
	return birth, province, ok
}

// provinces are the first two digits of a resident identity number (GB/T
// 2260).
var provinces = map[string]string{
	"11": "Beijing", "12": "Tianjin", "13": "Hebei", "14": "Shanxi", "15": "Inner Mongolia",
	"21": "Liaoning", "22": "Jilin", "23": "Heilongjiang",
	"31": "Shanghai", "32": "Jiangsu", "33": "Zhejiang", "34": "Anhui", "35": "Fujian", "36": "Jiangxi", "37": "Shandong",
	"41": "Henan", "42": "Hubei", "43": "Hunan", "44": "Guangdong", "45": "Guangxi", "46": "Hainan",
	"50": "Chongqing", "51": "Sichuan", "52": "Guizhou", "53": "Yunnan", "54": "Tibet",
	"61": "Shaanxi", "62": "Gansu", "63": "Qinghai", "64": "Ningxia", "65": "Xinjiang",
	"71": "Taiwan", "81": "Hong Kong", "82": "Macao",
}

// CountryOfPhone names the country of an E.164 number (+8613900001111)
// by its calling code; "" when it is not one of those listed.
func CountryOfPhone(phone string) string {
	if !strings.HasPrefix(phone, "+") {
		return ""
	}
	for n := 3; n >= 1; n-- {
		if len(phone) > n {
			if c, ok := callingCodes[phone[1:1+n]]; ok {
				return c
			}
		}
	}
	return ""
}

var callingCodes = map[string]string{
	"86": "CN", "852": "HK", "853": "MO", "886": "TW", "1": "US/CA", "44": "GB", "49": "DE", "33": "FR", "39": "IT",
	"34": "ES", "31": "NL", "41": "CH", "46": "SE", "81": "JP", "82": "KR", "65": "SG", "60": "MY", "66": "TH",
	"84": "VN", "62": "ID", "63": "PH", "91": "IN", "61": "AU", "64": "NZ", "7": "RU", "971": "AE", "55": "BR",
}

func band(age string, width int) string {
	n, err := strconv.Atoi(age)
	if err != nil {
		return "?"
	}
	lo := n / width * width
	return fmt.Sprintf("%d-%d", lo, lo+width-1)
}

func yearsBetween(birth, now time.Time) int {
	y := now.Year() - birth.Year()
	if now.YearDay() < birth.YearDay() {
		y--
	}
	return y
}

func firstOf(a, b string) string {
	if a != "" {
		return a
	}
	return b
}

func orUnknown(s string) string {
	if s == "" {
		return "?"
	}
	return s
}
