package store

import (
	"context"
	"database/sql"
)

const teamParentsQuery = "SELECT team, parent FROM team_parents"

// TeamParents returns each nested team's parent, without a transaction
// (authentication reads it).
func (db *DB) TeamParents(ctx context.Context) (map[string]string, error) {
	rows, err := db.readQuery(ctx, teamParentsQuery)
	return scanTeamParents(rows, err)
}

// TeamParentsTx is TeamParents inside tx.
func (tx *teamRows) TeamParentsTx(ctx context.Context) (map[string]string, error) {
	rows, err := tx.query(ctx, teamParentsQuery)
	return scanTeamParents(rows, err)
}

func scanTeamParents(rows *sql.Rows, err error) (map[string]string, error) {
	if err != nil {
		return nil, classify("store.TeamParents", err)
	}
	defer rows.Close()
	out := map[string]string{}
	for rows.Next() {
		var team, parent string
		if err := rows.Scan(&team, &parent); err != nil {
			return nil, classify("store.TeamParents", err)
		}
		out[team] = parent
	}
	return out, classify("store.TeamParents", rows.Err())
}

// SetTeamParent places team under parent ("" makes it top-level).
func (tx *teamRows) SetTeamParent(ctx context.Context, team, parent string) error {
	if _, err := tx.exec(ctx, "DELETE FROM team_parents WHERE team = ?", team); err != nil {
		return classify("store.SetTeamParent", err)
	}
	if parent == "" {
		return nil
	}
	_, err := tx.exec(ctx, "INSERT INTO team_parents (team, parent) VALUES (?, ?)", team, parent)
	return classify("store.SetTeamParent", err)
}

// teamRows are the rows of the team tree, one part of a Tx.
type teamRows struct{ *conn }
