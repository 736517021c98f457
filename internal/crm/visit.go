package crm

import (
	"fmt"
	"math"
	"time"

	"strongroom.dev/strongroom/internal/errs"
)

// Location is where a device said it was, with its accuracy in metres.
type Location struct {
	Lat      float64 `json:"lat"`
	Lon      float64 `json:"lon"`
	Accuracy float64 `json:"accuracy"`
}

// Check validates a location.
func (l Location) Check() error {
	switch {
	case math.IsNaN(l.Lat) || l.Lat < -90 || l.Lat > 90:
		return errs.InvalidField("lat", "latitude must be between -90 and 90")
	case math.IsNaN(l.Lon) || l.Lon < -180 || l.Lon > 180:
		return errs.InvalidField("lon", "longitude must be between -180 and 180")
	case math.IsNaN(l.Accuracy) || l.Accuracy < 0 || l.Accuracy > 100_000:
		return errs.InvalidField("accuracy", "accuracy must be between 0 and 100000 metres")
	}
	return nil
}

// String is the stored form of a location (sealed).
func (l Location) String() string { return fmt.Sprintf("%.6f,%.6f,%.1f", l.Lat, l.Lon, l.Accuracy) }

// ParseLocation reads the stored form.
func ParseLocation(s string) (*Location, error) {
	if s == "" {
		return nil, nil
	}
	var l Location
	if _, err := fmt.Sscanf(s, "%f,%f,%f", &l.Lat, &l.Lon, &l.Accuracy); err != nil {
		return nil, err
	}
	return &l, nil
}

// VisitFields are a visit's sealed parts with their classes: the rep's
// device locations (contact: where a person was) and the visit's notes and
// photos (notes).
var VisitFields = []struct {
	Name  string
	Class FieldClass
}{
	{"location", ClassContact},
	{"notes", ClassNotes},
}

// Visit is a field rep's planned visit to a store, with its check-in and
// check-out. The device locations are the rep's personal data (sealed
// under the rep's key); notes and photos belong to the store (sealed under
// the store's key).
type Visit struct {
	ID          string
	CompanyID   string
	StoreName   string
	RepID       string
	RepTeam     string
	PlannedFor  string // YYYY-MM-DD
	CheckinAt   *time.Time
	CheckoutAt  *time.Time
	CheckinLoc  *Location
	CheckoutLoc *Location
	Notes       string
	Photos      []Photo
}

// Status is planned, in progress (checked in) or done (checked out).
func (v Visit) Status() string {
	switch {
	case v.CheckoutAt != nil:
		return "done"
	case v.CheckinAt != nil:
		return "in_progress"
	}
	return "planned"
}

// Photo is an attachment's description; its bytes are fetched on their own.
type Photo struct {
	ID          string    `json:"id"`
	ContentType string    `json:"content_type"`
	Size        int64     `json:"size"`
	CreatedAt   time.Time `json:"created_at"`
}

// PhotoType recognises an accepted photo format by its first bytes (never
// by what a client claims): image/jpeg, image/png or image/webp; "" for
// anything else.
func PhotoType(b []byte) string {
	switch {
	case len(b) > 3 && b[0] == 0xFF && b[1] == 0xD8 && b[2] == 0xFF:
		return "image/jpeg"
	case len(b) > 8 && string(b[:8]) == "\x89PNG\r\n\x1a\n":
		return "image/png"
	case len(b) > 12 && string(b[:4]) == "RIFF" && string(b[8:12]) == "WEBP":
		return "image/webp"
	}
	return ""
}

// NormaliseVisitNotes validates visit notes (free text) and returns them
// in their stored form.
func NormaliseVisitNotes(s string) (string, error) {
	return FreeText("notes", s, maxNotes)
}

// PhotoFileName is the name a downloaded photo is saved under: made by the
// server from the visit's and the photo's ids and the recognised type,
// never the name it was uploaded with (which is not kept).
func PhotoFileName(visitID, photoID, contentType string) string {
	ext := ".bin"
	switch contentType {
	case "image/jpeg":
		ext = ".jpg"
	case "image/png":
		ext = ".png"
	case "image/webp":
		ext = ".webp"
	}
	return "visit-" + visitID + "-" + photoID + ext
}
