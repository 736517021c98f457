package store

import (
	"context"
	"fmt"
	"strings"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/stdlib"
)

// SetNameTokens replaces the name-token indexes of one subject.
func (tx *conn) SetNameTokens(ctx context.Context, kind, subjectID string, tokens [][]byte) error {
	if _, err := tx.exec(ctx, "DELETE FROM name_tokens WHERE kind = ? AND subject_id = ?", kind, subjectID); err != nil {
		return classify("store.SetNameTokens", err)
	}
	return tx.insertNameTokens(ctx, kind, map[string][][]byte{subjectID: tokens})
}

// insertNameTokens adds tokens for many subjects in multi-row statements.
func (tx *conn) insertNameTokens(ctx context.Context, kind string, bySubject map[string][][]byte) error {
	return tx.insertIndex(ctx, "name_tokens", "token", kind, bySubject)
}

// SetTags replaces the tag indexes of one subject (nil removes them).
func (tx *conn) SetTags(ctx context.Context, kind, subjectID string, tags [][]byte) error {
	if _, err := tx.exec(ctx, "DELETE FROM tag_index WHERE kind = ? AND subject_id = ?", kind, subjectID); err != nil {
		return classify("store.SetTags", err)
	}
	return tx.insertIndex(ctx, "tag_index", "tag", kind, map[string][][]byte{subjectID: tags})
}

// insertIndex adds (kind, subject, value) rows to a blind-index table
// (name_tokens or tag_index) in multi-row statements.
func (tx *conn) insertIndex(ctx context.Context, table, column, kind string, bySubject map[string][][]byte) error {
	if tx.raw != nil {
		var rows [][]any
		for id, tokens := range bySubject {
			for _, t := range tokens {
				rows = append(rows, []any{kind, id, t})
			}
		}
		return classify("store.insertIndex", tx.copyRows(ctx, table, []string{"kind", "subject_id", column}, rows))
	}
	var args []any
	flush := func() error {
		if len(args) == 0 {
			return nil
		}
		rows := len(args) / 3
		_, err := tx.exec(ctx, tx.bulkInsert()+" "+table+" (kind, subject_id, "+column+") VALUES "+strings.TrimSuffix(strings.Repeat("(?, ?, ?), ", rows), ", "), args...)
		args = args[:0]
		return classify("store.insertIndex", err)
	}
	for id, tokens := range bySubject {
		for _, t := range tokens {
			args = append(args, kind, id, t)
			if len(args) >= 9000 {
				if err := flush(); err != nil {
					return err
				}
			}
		}
	}
	return flush()
}

// bulkInsert begins a multi-row INSERT. On SQLite it is INSERT OR FAIL: a
// failing row still fails the statement, and the transaction is rolled
// back, but SQLite keeps no statement journal of the pages the statement
// changed, which was a sixth of a large import's time (a table with a
// foreign key still gets one: see insertAuditSubjects). PostgreSQL has no
// such clause and needs none.
func (tx *conn) bulkInsert() string {
	if tx.db.engine == SQLite {
		return "INSERT OR FAIL INTO"
	}
	return "INSERT INTO"
}

// DeleteNameTokens removes a subject's name tokens.
func (tx *conn) DeleteNameTokens(ctx context.Context, kind, subjectID string) error {
	_, err := tx.exec(ctx, "DELETE FROM name_tokens WHERE kind = ? AND subject_id = ?", kind, subjectID)
	return classify("store.DeleteNameTokens", err)
}

// tokenMatch is a condition on idColumn: the subject has every token. It
// asks once per token, so that each lookup is a search of the
// (kind, token, subject_id) index; a GROUP BY subject_id over all the
// tokens led SQLite to read the kind's whole primary key instead.
func tokenMatch(kind, idColumn string, tokens [][]byte) (string, []any) {
	conds := make([]string, 0, len(tokens))
	args := make([]any, 0, 2*len(tokens))
	for _, t := range tokens {
		conds = append(conds, idColumn+" IN (SELECT subject_id FROM name_tokens WHERE kind = ? AND token = ?)")
		args = append(args, kind, t)
	}
	return "(" + strings.Join(conds, " AND ") + ")", args
}

// copyRows writes rows into table with PostgreSQL's COPY, in the
// transaction: the fastest way in for a bulk import, with no statement to
// parse and no limit on parameters. PostgreSQL only (tx.raw).
func (tx *conn) copyRows(ctx context.Context, table string, columns []string, rows [][]any) error {
	if len(rows) == 0 {
		return nil
	}
	return tx.raw.Raw(func(driverConn any) error {
		pc, ok := driverConn.(*stdlib.Conn)
		if !ok {
			return fmt.Errorf("store: COPY needs the pgx driver, not %T", driverConn)
		}
		_, err := pc.Conn().CopyFrom(ctx, pgx.Identifier{table}, columns, pgx.CopyFromRows(rows))
		return err
	})
}
