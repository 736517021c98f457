package api

import (
	"strconv"
	"time"

	"strongroom.dev/strongroom/internal/errs"
)

func intParam(q map[string]string, name string) (int64, error) {
	v, ok := q[name]
	if !ok {
		return 0, nil
	}
	n, err := strconv.ParseInt(v, 10, 64)
	if err != nil {
		return 0, errs.InvalidField(name, name+" must be a whole number")
	}
	return n, nil
}

func timeParam(q map[string]string, name string) (time.Time, error) {
	v, ok := q[name]
	if !ok {
		return time.Time{}, nil
	}
	t, err := time.Parse(time.RFC3339, v)
	if err != nil {
		return time.Time{}, errs.InvalidField(name, name+" must be an RFC 3339 time, like 2026-11-24T09:00:00Z")
	}
	return t, nil
}
