package crm

import (
	"unicode"

	"strongroom.dev/strongroom/internal/errs"
)

// CheckTeam validates a team name: up to 64 letters, digits, spaces, dashes
// and underscores.
func CheckTeam(team string) error {
	if _, err := Label("team", team, 0); err != nil {
		return err
	}
	if len(team) > 64 {
		return errs.InvalidField("team", "team must be at most 64 characters")
	}
	for _, r := range team {
		if !(r == ' ' || r == '-' || r == '_' || r >= '0' && r <= '9' || unicode.IsLetter(r)) {
			return errs.InvalidField("team", "team may hold only letters, digits, spaces, dashes and underscores")
		}
	}
	return nil
}
