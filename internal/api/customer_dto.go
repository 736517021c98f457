package api

import (
	"strings"
	"time"

	"strongroom.dev/strongroom/internal/crm"
)

// customerJSON is a customer as the caller may see it: hidden fields are
// absent, masked fields hold their masked form.
type customerJSON struct {
	ID         string    `json:"id"`
	OwnerID    string    `json:"owner_id,omitempty"`
	CompanyID  string    `json:"company_id,omitempty"`
	Name       *string   `json:"name,omitempty"`
	Email      *string   `json:"email,omitempty"`
	Phone      *string   `json:"phone,omitempty"`
	NationalID *string   `json:"national_id,omitempty"`
	Notes      *string   `json:"notes,omitempty"`
	Assessment *string   `json:"assessment,omitempty"`
	Tags       []string  `json:"tags,omitempty"`
	CreatedAt  time.Time `json:"created_at"`
	UpdatedAt  time.Time `json:"updated_at"`
}

func toCustomerJSON(c crm.Customer) customerJSON {
	field := func(name string) *string {
		if v, ok := c.Fields[name]; ok {
			return &v
		}
		return nil
	}
	return customerJSON{
		ID:         c.ID,
		OwnerID:    c.OwnerID,
		CompanyID:  c.CompanyID,
		Name:       field(crm.FieldName),
		Email:      field(crm.FieldEmail),
		Phone:      field(crm.FieldPhone),
		NationalID: field(crm.FieldNationalID),
		Notes:      field(crm.FieldNotes),
		Assessment: field(crm.FieldAssessment),
		Tags:       crm.Tags(c.Fields[crm.FieldTags]),
		CreatedAt:  c.CreatedAt,
		UpdatedAt:  c.UpdatedAt,
	}
}

// customerInput is a create or a partial update. A field left out is
// unchanged; "" clears it (null is refused when the body is read).
type customerInput struct {
	Name       *string   `json:"name"`
	Email      *string   `json:"email"`
	Phone      *string   `json:"phone"`
	NationalID *string   `json:"national_id"`
	Notes      *string   `json:"notes"`
	Assessment *string   `json:"assessment"`
	Tags       *[]string `json:"tags"`
	OwnerID    *string   `json:"owner_id"`
	CompanyID  *string   `json:"company_id"`
	// SensitiveConsent records the person's separate consent to processing
	// sensitive information with the change; an assessment needs one.
	SensitiveConsent *consentInput `json:"sensitive_consent"`
}

// consentInput records a consent.
type consentInput struct {
	Purpose       string `json:"purpose"`
	Basis         string `json:"basis"`
	NoticeVersion int    `json:"notice_version"`
	Channel       string `json:"channel"`
	Minor         bool   `json:"minor"`
	GuardianName  string `json:"guardian_name"`
	Note          string `json:"note"`
}

func (in consentInput) toCRM() crm.ConsentInput {
	return crm.ConsentInput{Purpose: in.Purpose, Basis: in.Basis, NoticeVersion: in.NoticeVersion, Channel: in.Channel,
		Minor: in.Minor, GuardianName: in.GuardianName, Note: in.Note}
}

func (in customerInput) toCRM() crm.CustomerInput {
	out := crm.CustomerInput{Fields: map[string]*string{}, OwnerID: in.OwnerID, CompanyID: in.CompanyID}
	if in.SensitiveConsent != nil {
		ci := in.SensitiveConsent.toCRM()
		out.SensitiveConsent = &ci
	}
	if in.Tags != nil {
		joined := strings.Join(*in.Tags, ",")
		out.Fields[crm.FieldTags] = &joined
	}
	for name, v := range map[string]*string{
		crm.FieldName: in.Name, crm.FieldEmail: in.Email, crm.FieldPhone: in.Phone,
		crm.FieldNationalID: in.NationalID, crm.FieldNotes: in.Notes, crm.FieldAssessment: in.Assessment,
	} {
		if v != nil {
			out.Fields[name] = v
		}
	}
	return out
}
