package audit

import (
	"encoding/csv"
	"encoding/hex"
	"encoding/json"
	"io"
	"strconv"
	"strings"
	"time"
)

// CSVHeader names the columns WriteCSV writes, in order.
var CSVHeader = []string{"seq", "at", "actor_id", "session_id", "ip", "client_id", "device_id", "action", "object_type", "object_id", "subjects", "fields", "outcome", "reason", "prev_hash", "hash"}

// WriteCSV writes events as CSV with a header row: times in RFC 3339
// UTC, lists comma-separated in one cell, hashes in hex; a cell a
// spreadsheet would evaluate (a leading = + - @) gets an apostrophe.
func WriteCSV(w io.Writer, events []Event) error {
	cw := csv.NewWriter(w)
	if err := cw.Write(CSVHeader); err != nil {
		return err
	}
	for _, e := range events {
		row := []string{strconv.FormatInt(e.Seq, 10), e.At.UTC().Format(time.RFC3339Nano), e.ActorID, e.SessionID, e.IP, e.ClientID, e.DeviceID,
			e.Action, e.ObjectType, e.ObjectID, strings.Join(e.Subjects, ","), strings.Join(e.Fields, ","), e.Outcome, e.Reason,
			hex.EncodeToString(e.PrevHash), hex.EncodeToString(e.Hash)}
		for i, v := range row {
			if v != "" && strings.ContainsRune("=+-@\t\r", rune(v[0])) {
				row[i] = "'" + v
			}
		}
		if err := cw.Write(row); err != nil {
			return err
		}
	}
	cw.Flush()
	return cw.Error()
}

// WriteJSONLines writes events one JSON object a line, as the API shows
// them (hashes in base64).
func WriteJSONLines(w io.Writer, events []Event) error {
	enc := json.NewEncoder(w)
	for _, e := range events {
		if err := enc.Encode(e); err != nil {
			return err
		}
	}
	return nil
}
