package core

import (
	"encoding/base64"
	"strconv"
	"strings"
	"time"

	"strongroom.dev/strongroom/internal/authz"
	"strongroom.dev/strongroom/internal/crm"
	"strongroom.dev/strongroom/internal/errs"
	"strongroom.dev/strongroom/internal/store"
)

// ScopeFilter turns a collection decision's scope into the owner or team a
// list must be limited to ("" for no limit). A team-scoped actor without a
// team reaches only their own records.
func ScopeFilter(a authz.Actor, d authz.Decision) (owner string, teams []string) {
	switch {
	case d.Scope == authz.ScopeOwn, d.Scope == authz.ScopeTeam && a.Team == "":
		return a.UserID, nil
	case d.Scope == authz.ScopeTeam:
		return "", append([]string{a.Team}, a.SubTeams...)
	}
	return "", nil
}

// PageLimit checks a requested page size: 0 means the default.
func PageLimit(n int) (int, error) {
	switch {
	case n == 0:
		return DefaultLimit, nil
	case n < 0 || n > MaxLimit:
		return 0, errs.InvalidField("limit", "limit must be between 1 and 200")
	}
	return n, nil
}

// CutPage trims rows fetched with one row more than want, and returns the
// cursor of the next page when there is one.
func CutPage[T any](rows []T, want int, cursor func(T) store.Cursor) ([]T, string) {
	if len(rows) <= want {
		return rows, ""
	}
	rows = rows[:want]
	return rows, EncodeCursor(cursor(rows[want-1]))
}

func EncodeCursor(c store.Cursor) string {
	return base64.RawURLEncoding.EncodeToString([]byte(strconv.FormatInt(c.CreatedAt.UnixMicro(), 10) + "." + c.ID))
}

func DecodeCursor(s string) (store.Cursor, error) {
	bad := errs.InvalidField("cursor", "cursor is not one this server gave out")
	b, err := base64.RawURLEncoding.DecodeString(s)
	if err != nil {
		return store.Cursor{}, bad
	}
	us, id, ok := strings.Cut(string(b), ".")
	n, err := strconv.ParseInt(us, 10, 64)
	if !ok || err != nil || !crm.ValidID(id) {
		return store.Cursor{}, bad
	}
	return store.Cursor{CreatedAt: time.UnixMicro(n).UTC(), ID: id}, nil
}

// Page sizes of lists.
const (
	DefaultLimit = 50
	MaxLimit     = 200
)
