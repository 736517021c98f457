package detect_test

import (
	"time"

	"strongroom.dev/strongroom/internal/audit"
)

func auditFailure(at time.Time, seq int64) audit.Event {
	return audit.Event{Seq: seq, At: at, IP: "192.0.2.9", Action: "session.create", ObjectType: "user", ObjectID: "usr_victim", Outcome: audit.Failure, Reason: "bad credentials"}
}
