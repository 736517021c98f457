package crm

import (
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"strongroom.dev/strongroom/internal/errs"
)

// Channels a customer may be contacted through.
var Channels = []string{"email", "sms", "phone", "wechat", "post"}

// Preferences are a customer's contact choices and interests (preference
// class). A channel absent from OptIn is opted out: silence is no consent.
type Preferences struct {
	OptIn     []string  `json:"opt_in"`
	Interests []string  `json:"interests"`
	UpdatedAt time.Time `json:"updated_at"`
}

// Normalise validates and sorts p.
func (p *Preferences) Normalise() error {
	seen := map[string]bool{}
	var in []string
	for _, c := range p.OptIn {
		c = strings.ToLower(strings.TrimSpace(c))
		if !slices.Contains(Channels, c) {
			return errs.InvalidField("opt_in", "channels are: email, sms, phone, wechat, post")
		}
		if !seen[c] {
			seen[c] = true
			in = append(in, c)
		}
	}
	slices.Sort(in)
	p.OptIn = in
	var tags []string
	seenTag := map[string]bool{}
	for _, t := range p.Interests {
		t, err := Label("interests", t, 0)
		if err != nil {
			return err
		}
		if t == "" || seenTag[strings.ToLower(t)] {
			continue
		}
		if utf8.RuneCountInString(t) > 50 {
			return errs.InvalidField("interests", "an interest is at most 50 characters")
		}
		seenTag[strings.ToLower(t)] = true
		tags = append(tags, t)
	}
	if len(tags) > 50 {
		return errs.InvalidField("interests", "at most 50 interests")
	}
	p.Interests = tags
	return nil
}

// Feedback is a customer's rating (1 to 5) and comment, with the channel
// it came through.
type Feedback struct {
	ID        string    `json:"id"`
	Channel   string    `json:"channel"`
	Rating    int       `json:"rating"`
	Comment   string    `json:"comment,omitempty"`
	CreatedAt time.Time `json:"created_at"`
}

// Check validates f.
func (f *Feedback) Check() error {
	f.Channel = strings.ToLower(strings.TrimSpace(f.Channel))
	if f.Channel == "" {
		f.Channel = "other"
	}
	if f.Channel != "other" && f.Channel != "survey" && f.Channel != "store" && !slices.Contains(Channels, f.Channel) {
		return errs.InvalidField("channel", "channel is one of: email, sms, phone, wechat, post, survey, store, other")
	}
	if f.Rating < 1 || f.Rating > 5 {
		return errs.InvalidField("rating", "rating is 1 to 5")
	}
	var err error
	f.Comment, err = FreeText("comment", f.Comment, 2000)
	return err
}
