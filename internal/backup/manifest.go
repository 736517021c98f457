package backup

import (
	"encoding/json"
	"fmt"
	"time"

	"strongroom.dev/strongroom/internal/checkpoint"
)

// Manifest describes one backup. It is signed with the audit key (a
// signed note whose first line says it is a manifest), is written to the
// target after the data, and is what makes a backup listed: a backup
// without its manifest is not one.
type Manifest struct {
	Format        string       `json:"format"` // "strongroom-backup/1"
	ID            string       `json:"id"`
	Created       time.Time    `json:"created"`
	Host          string       `json:"host"`
	Engine        string       `json:"engine"` // the source's; a restore may go to either
	SchemaVersion int          `json:"schema_version"`
	Tables        []TableSum   `json:"tables"`
	Audit         AuditAt      `json:"audit"`
	KeyTerms      []int64      `json:"master_key_terms"` // the master key's terms the data keys are wrapped under; never the key
	Data          DataObject   `json:"data"`
	Retain        time.Time    `json:"retain_until,omitzero"` // Object Lock: immutable until then
	Erasures      int64        `json:"erasures"`              // the ledger's entries at snapshot time
	Duration      JSONDuration `json:"duration"`
}

// TableSum is a table's row count and checksum.
type TableSum struct {
	Name   string `json:"name"`
	Rows   int64  `json:"rows"`
	SHA256 string `json:"sha256"`
}

// AuditAt is the audit log at the snapshot: its head and the latest signed
// checkpoint, which a drill verifies the restored chain against.
type AuditAt struct {
	Events     int64  `json:"events"`
	Head       string `json:"head_sha256"`
	Checkpoint string `json:"checkpoint,omitempty"` // signed note
}

// DataObject is the stored data: compressed, then encrypted.
type DataObject struct {
	Key         string   `json:"key"`
	Size        int64    `json:"size"`
	SHA256      string   `json:"sha256"`
	Compression string   `json:"compression"` // zstd
	Encryption  string   `json:"encryption"`  // age
	Recipients  []string `json:"recipients"`
}

// Rows is the total of every table's rows.
func (m Manifest) Rows() int64 {
	var n int64
	for _, t := range m.Tables {
		n += t.Rows
	}
	return n
}

// JSONDuration is a duration written as text ("1.5s").
type JSONDuration time.Duration

func (d JSONDuration) MarshalText() ([]byte, error) { return []byte(time.Duration(d).String()), nil }
func (d *JSONDuration) UnmarshalText(b []byte) error {
	v, err := time.ParseDuration(string(b))
	*d = JSONDuration(v)
	return err
}

const formatName = "strongroom-backup/1"

// statement kinds signed with the audit key.
const (
	kindManifest = "backup-manifest"
	kindErasure  = "erasure"
)

// sign returns m as a signed statement.
func (m Manifest) sign(s *checkpoint.Signer) ([]byte, error) {
	body, err := json.MarshalIndent(m, "", "  ")
	if err != nil {
		return nil, err
	}
	signed, err := s.SignStatement(kindManifest, string(body))
	return []byte(signed), err
}

// openManifest checks a manifest's signature with verifierKey and parses it.
func openManifest(signed []byte, verifierKey string) (Manifest, error) {
	var m Manifest
	body, err := checkpoint.OpenStatement(signed, kindManifest, verifierKey)
	if err != nil {
		return m, fmt.Errorf("the manifest's signature fails: %v", err)
	}
	if err := json.Unmarshal([]byte(body), &m); err != nil {
		return m, fmt.Errorf("the manifest does not parse: %v", err)
	}
	if m.Format != formatName {
		return m, fmt.Errorf("the manifest's format %q is not %q", m.Format, formatName)
	}
	return m, nil
}
