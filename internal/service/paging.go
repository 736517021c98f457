package service

import (
	"strongroom.dev/strongroom/internal/authz"
	"strongroom.dev/strongroom/internal/errs"
	"strongroom.dev/strongroom/internal/store"
)

// scopeFilter turns a collection decision's scope into the owner or team a
// list must be limited to ("" for no limit). A team-scoped actor without a
// team reaches only their own records.
func scopeFilter(a authz.Actor, d authz.Decision) (owner string, teams []string) {
	switch {
	case d.Scope == authz.ScopeOwn, d.Scope == authz.ScopeTeam && a.Team == "":
		return a.UserID, nil
	case d.Scope == authz.ScopeTeam:
		return "", append([]string{a.Team}, a.SubTeams...)
	}
	return "", nil
}

// pageLimit checks a requested page size: 0 means the default.
func pageLimit(n int) (int, error) {
	switch {
	case n == 0:
		return defaultLimit, nil
	case n < 0 || n > maxLimit:
		return 0, errs.InvalidField("limit", "limit must be between 1 and 200")
	}
	return n, nil
}

// cutPage trims rows fetched with one row more than want, and returns the
// cursor of the next page when there is one.
func cutPage[T any](rows []T, want int, cursor func(T) store.Cursor) ([]T, string) {
	if len(rows) <= want {
		return rows, ""
	}
	rows = rows[:want]
	return rows, encodeCursor(cursor(rows[want-1]))
}
