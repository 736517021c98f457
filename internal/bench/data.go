package bench

import (
	"encoding/csv"
	"io"
	"strconv"
	"strings"
)

// The seeded customers are a pure function of their number i, so that the
// load can pick any seeded customer's email or phone without keeping a
// million strings in memory. Half the names are Chinese, half Latin; every
// email and phone is distinct.

var (
	zhSurnames = []struct{ hanzi, pinyin string }{
		{"王", "wang"}, {"李", "li"}, {"张", "zhang"}, {"刘", "liu"}, {"陈", "chen"}, {"杨", "yang"},
		{"黄", "huang"}, {"赵", "zhao"}, {"周", "zhou"}, {"吴", "wu"}, {"徐", "xu"}, {"孙", "sun"},
		{"马", "ma"}, {"朱", "zhu"}, {"胡", "hu"}, {"郭", "guo"}, {"欧阳", "ouyang"}, {"司马", "sima"},
	}
	zhGiven = []struct{ hanzi, pinyin string }{
		{"伟", "wei"}, {"芳", "fang"}, {"娜", "na"}, {"敏", "min"}, {"静", "jing"}, {"丽", "li"},
		{"强", "qiang"}, {"磊", "lei"}, {"军", "jun"}, {"洋", "yang"}, {"勇", "yong"}, {"艳", "yan"},
		{"杰", "jie"}, {"娟", "juan"}, {"涛", "tao"}, {"明", "ming"}, {"秀英", "xiuying"}, {"建国", "jianguo"},
	}
	enFirst = []string{"Alice", "Oliver", "Sophie", "James", "Emma", "Henry", "Grace", "Lucas", "Chloe",
		"Daniel", "Isla", "Samuel", "Amara", "Mateo", "Ingrid", "Rahul", "Zoë", "Siobhán"}
	enLast = []struct{ name, slug string }{
		{"Smith", "smith"}, {"Clarke", "clarke"}, {"Nguyen", "nguyen"}, {"Patel", "patel"}, {"Okafor", "okafor"},
		{"Müller", "mueller"}, {"Rossi", "rossi"}, {"Tanaka", "tanaka"}, {"Hughes", "hughes"}, {"Fischer", "fischer"},
		{"Moreau", "moreau"}, {"Khan", "khan"}, {"O'Brien", "obrien"}, {"van der Berg", "vanderberg"},
	}
	zhDomains = []string{"example.cn", "mail.example.cn", "example.com.cn"}
	enDomains = []string{"example.com", "example.co.uk", "example.org", "example.net"}
	notes     = []string{
		"Collects Song dynasty ceramics; prefers phone calls in the morning.",
		"Bids by telephone at spring auctions.",
		"对近现代书画感兴趣，偏好微信联系。",
		"Interested in industrial coatings for a new plant.",
		"VIP client; invite to the autumn preview.",
		"门店拜访：每月第一周。",
		"", "", "",
	}
)

// mix scrambles i so that neighbouring customers do not share names.
func mix(i int) uint64 {
	x := uint64(i)*0x9E3779B97F4A7C15 + 0x632BE59BD9B4E019
	x ^= x >> 31
	x *= 0xBF58476D1CE4E5B9
	return x ^ x>>29
}

func pick[T any](s []T, h uint64, shift uint) T { return s[(h>>shift)%uint64(len(s))] }

// person is customer i.
type person struct {
	name, email, phone, notes string
}

func personAt(i int) person {
	h := mix(i)
	n := strconv.Itoa(i)
	var p person
	if i%2 == 0 {
		s, g := pick(zhSurnames, h, 0), pick(zhGiven, h, 8)
		p.name = s.hanzi + g.hanzi
		if h>>16%3 == 0 {
			g2 := pick(zhGiven, h, 20)
			p.name += g2.hanzi
		}
		p.email = g.pinyin + "." + s.pinyin + n + "@" + pick(zhDomains, h, 28)
	} else {
		f, l := pick(enFirst, h, 0), pick(enLast, h, 8)
		p.name = f + " " + l.name
		p.email = strings.ToLower(f[:1]) + "." + l.slug + n + "@" + pick(enDomains, h, 28)
	}
	p.phone = phoneAt(i)
	p.notes = pick(notes, h, 36)
	return p
}

// phoneAt is customer i's phone: Chinese mobiles for even i, British for
// odd, distinct for every i below a billion.
func phoneAt(i int) string {
	if i%2 == 0 {
		d := strconv.Itoa(3_000_000_000 + i/2) // 10 digits
		return "+86 1" + d[:2] + " " + d[2:6] + " " + d[6:]
	}
	d := strconv.Itoa(7_000_000_000 + i/2)
	return "+44 " + d[:4] + " " + d[4:]
}

func emailAt(i int) string { return personAt(i).email }

// nationalIDAt is customer i's identity document number, distinct for
// every i below a billion.
func nationalIDAt(i int) string { return "ID" + strconv.Itoa(1_000_000_000+i) }

// writeCSV writes customers [from, from+n) as an import file with
// Strongroom's own headers.
func writeCSV(w io.Writer, from, n int) error {
	cw := csv.NewWriter(w)
	if err := cw.Write([]string{"name", "email", "phone", "national_id", "notes"}); err != nil {
		return err
	}
	rec := make([]string, 5)
	for i := from; i < from+n; i++ {
		p := personAt(i)
		rec[0], rec[1], rec[2], rec[3], rec[4] = p.name, p.email, p.phone, nationalIDAt(i), p.notes
		if err := cw.Write(rec); err != nil {
			return err
		}
	}
	cw.Flush()
	return cw.Error()
}
