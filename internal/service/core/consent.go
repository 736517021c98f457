package core

import (
	"context"
	"encoding/json"
	"fmt"

	"strongroom.dev/strongroom/internal/authz"
	"strongroom.dev/strongroom/internal/crm"
	"strongroom.dev/strongroom/internal/errs"
	"strongroom.dev/strongroom/internal/fieldcrypt"
	"strongroom.dev/strongroom/internal/keyring"
	"strongroom.dev/strongroom/internal/store"
)

// ConsentStore is what adding a consent writes and reads.
type ConsentStore interface {
	Notice(ctx context.Context, version int) (store.NoticeRow, error)
	InsertConsent(ctx context.Context, c store.ConsentRow) error
}

// consentDetails are the sealed part of a consent.
type consentDetails struct {
	Guardian string `json:"guardian,omitempty"`
	Note     string `json:"note,omitempty"`
}

// ConsentPlace is where a consent's sealed details live.
func ConsentPlace(id string) fieldcrypt.Place {
	return fieldcrypt.Place{Table: "consents", Column: "details_ct", Row: id}
}

// AddConsent adds an entry to a person's consent ledger: the notice it
// was given under must be published (0: the current one), and a guardian's
// name and the note are sealed under the person's key. The caller has
// checked the actor may record it and records the event.
func (c *Core) AddConsent(ctx context.Context, tx ConsentStore, a authz.Actor, key keyring.DataKey, subjectID, source string, in crm.ConsentInput) (crm.Consent, error) {
	if err := in.Normalise(); err != nil {
		return crm.Consent{}, err
	}
	notice, err := tx.Notice(ctx, in.NoticeVersion)
	switch {
	case errs.Is(err, errs.NotExist) && in.NoticeVersion == 0:
		return crm.Consent{}, errs.InvalidField("notice_version", "no privacy notice is published yet: publish one first, so that the consent says what the person was told")
	case errs.Is(err, errs.NotExist):
		return crm.Consent{}, errs.InvalidField("notice_version", fmt.Sprintf("no privacy notice version %d is published", in.NoticeVersion))
	case err != nil:
		return crm.Consent{}, err
	}
	out := crm.Consent{ID: crm.NewID("cns"), SubjectID: subjectID, Purpose: in.Purpose, Basis: in.Basis, NoticeVersion: notice.Version,
		Channel: in.Channel, Source: source, Guardian: in.Minor, GuardianName: in.GuardianName, Note: in.Note, GivenAt: c.Now(), RecordedBy: a.UserID}
	row := store.ConsentRow{ID: out.ID, SubjectID: subjectID, Purpose: out.Purpose, Basis: out.Basis, NoticeVersion: out.NoticeVersion,
		Channel: out.Channel, Source: source, Guardian: out.Guardian, GivenAt: out.GivenAt, RecordedBy: a.UserID}
	if in.GuardianName != "" || in.Note != "" {
		raw, err := json.Marshal(consentDetails{Guardian: in.GuardianName, Note: in.Note})
		if err != nil {
			return crm.Consent{}, err
		}
		if row.DetailsCT, err = fieldcrypt.Seal(key, ConsentPlace(out.ID), string(raw)); err != nil {
			return crm.Consent{}, err
		}
	}
	return out, tx.InsertConsent(ctx, row)
}

// OpenConsent turns a ledger row into a consent, opening its details.
func OpenConsent(key keyring.DataKey, r store.ConsentRow) (crm.Consent, error) {
	out := crm.Consent{ID: r.ID, SubjectID: r.SubjectID, Purpose: r.Purpose, Basis: r.Basis, NoticeVersion: r.NoticeVersion, Channel: r.Channel,
		Source: r.Source, Guardian: r.Guardian, GivenAt: r.GivenAt, WithdrawnAt: r.WithdrawnAt, RecordedBy: r.RecordedBy}
	if len(r.DetailsCT) > 0 {
		raw, err := fieldcrypt.Open(key, ConsentPlace(r.ID), r.DetailsCT)
		if err != nil {
			return out, errs.Wrap(errs.Internal, "core.OpenConsent", "", err)
		}
		var d consentDetails
		if err := json.Unmarshal([]byte(raw), &d); err != nil {
			return out, errs.Wrap(errs.Internal, "core.OpenConsent", "", err)
		}
		out.GuardianName, out.Note = d.Guardian, d.Note
	}
	return out, nil
}

// CustomerKey opens a customer's data key from its row.
func (c *Core) CustomerKey(row store.CustomerRow) (keyring.DataKey, error) {
	key, err := c.Keys.OpenDataKey(row.ID, row.WrappedKey)
	if err != nil {
		return key, errs.Wrap(errs.Internal, "service.openKey", "", err)
	}
	return key, nil
}

// ConsentReason describes a consent for the audit log: no personal values.
func ConsentReason(c crm.Consent) string {
	r := fmt.Sprintf("%s, basis %s, notice v%d, %s, %s", c.Purpose, c.Basis, c.NoticeVersion, c.Channel, c.ID)
	if c.Guardian {
		r += ", given by a guardian"
	}
	return r
}
