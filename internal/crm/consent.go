package crm

import (
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"strongroom.dev/strongroom/internal/errs"
)

// Consent purposes. Marketing is one purpose per channel (Channels), so
// that withdrawing email leaves SMS as it was.
const (
	PurposeProcessing  = "processing"   // the service itself, where its basis is consent
	PurposeSensitive   = "sensitive"    // sensitive personal information (PIPL Art. 29; GDPR Art. 9): special-category fields
	PurposeSharing     = "sharing"      // giving the data to a third party (PIPL Art. 23; CCPA "sharing")
	PurposeCrossBorder = "cross_border" // sending it out of the country (PIPL Art. 39)
)

// MarketingPurpose is the purpose of marketing through channel.
func MarketingPurpose(channel string) string { return "marketing_" + channel }

// Purposes lists every consent purpose.
var Purposes = func() []string {
	p := []string{PurposeProcessing, PurposeSensitive, PurposeSharing, PurposeCrossBorder}
	for _, c := range Channels {
		p = append(p, MarketingPurpose(c))
	}
	return p
}()

// Lawful bases (GDPR Art. 6(1)(a)–(f)).
var Bases = []string{"consent", "contract", "legal_obligation", "vital_interests", "public_task", "legitimate_interests"}

// ConsentChannels are how a consent was given.
// "staff": the person told a member of staff, who recorded it (as a
// preference change does).
var ConsentChannels = []string{"in_person", "paper", "phone", "email", "web", "public_page", "import", "staff"}

// MinorAge is the age below which a person's consent is their guardian's
// (PIPL Art. 31: under 14).
const MinorAge = 14

// Consent is one entry of a person's consent ledger.
type Consent struct {
	ID            string
	SubjectID     string
	Purpose       string
	Basis         string
	NoticeVersion int
	Channel       string
	Source        string // staff (who recorded it), public_page, import
	Guardian      bool   // given by a guardian for a minor
	GuardianName  string // sealed under the subject's key
	Note          string // sealed likewise
	GivenAt       time.Time
	WithdrawnAt   time.Time // zero while it stands
	RecordedBy    string
}

// Active reports whether the consent stands.
func (c Consent) Active() bool { return c.WithdrawnAt.IsZero() }

// ConsentInput records a consent.
type ConsentInput struct {
	Purpose       string
	Basis         string // default "consent"
	NoticeVersion int    // 0: the current notice
	Channel       string
	Minor         bool   // the person is under MinorAge: a guardian gives it
	GuardianName  string // required when Minor
	Note          string
}

// Normalise validates in.
func (in *ConsentInput) Normalise() error {
	in.Purpose = strings.TrimSpace(in.Purpose)
	in.Basis = strings.TrimSpace(in.Basis)
	in.Channel = strings.TrimSpace(in.Channel)
	in.GuardianName = strings.TrimSpace(in.GuardianName)
	in.Note = strings.TrimSpace(in.Note)
	if in.Basis == "" {
		in.Basis = "consent"
	}
	switch {
	case !slices.Contains(Purposes, in.Purpose):
		return errs.InvalidField("purpose", "purpose is one of: "+strings.Join(Purposes, ", "))
	case !slices.Contains(Bases, in.Basis):
		return errs.InvalidField("basis", "basis is a GDPR Art. 6 basis: "+strings.Join(Bases, ", "))
	case !slices.Contains(ConsentChannels, in.Channel):
		return errs.InvalidField("channel", "channel is one of: "+strings.Join(ConsentChannels, ", "))
	case in.NoticeVersion < 0:
		return errs.InvalidField("notice_version", "notice_version is a published notice's version")
	case in.Minor && in.GuardianName == "":
		return errs.InvalidField("guardian_name", "a person under 14 gives consent through a guardian (PIPL Art. 31): name the guardian")
	case utf8.RuneCountInString(in.GuardianName) > maxName:
		return errs.InvalidField("guardian_name", "guardian_name is too long")
	case utf8.RuneCountInString(in.Note) > 1000:
		return errs.InvalidField("note", "note is at most 1,000 characters")
	case (in.Purpose == PurposeSensitive || strings.HasPrefix(in.Purpose, "marketing_")) && in.Basis != "consent":
		// Sensitive information and marketing rest on consent itself.
		return errs.InvalidField("basis", in.Purpose+" needs the person's consent as its basis")
	}
	return nil
}

// Notice is a published privacy notice: what is collected, why, where it
// is kept and who it is shared with, in English and Simplified Chinese.
type Notice struct {
	Version     int
	TextEN      string
	TextZH      string
	PublishedAt time.Time
	PublishedBy string
}

// NoticeInput publishes a notice.
type NoticeInput struct{ TextEN, TextZH string }

// Normalise validates in.
func (in *NoticeInput) Normalise() error {
	in.TextEN, in.TextZH = strings.TrimSpace(in.TextEN), strings.TrimSpace(in.TextZH)
	switch {
	case in.TextEN == "" || in.TextZH == "":
		return errs.InvalidField("text_en", "a notice is published in English and Chinese (text_en and text_zh)")
	case utf8.RuneCountInString(in.TextEN) > 50000 || utf8.RuneCountInString(in.TextZH) > 50000:
		return errs.InvalidField("text_en", "a notice is at most 50,000 characters")
	}
	return nil
}
