package store

import (
	"context"
	"strings"
	"time"
)

// TrainingModuleRow is a training module at its current version, with the
// roles it is assigned to.
type TrainingModuleRow struct {
	Key      string
	Required bool // a user in one of Roles must pass it before reaching customer data
	Roles    []string
	Version  TrainingVersionRow // the current version
}

// TrainingVersionRow is one version of a module: its text and its quiz
// (JSON, holding the correct answers: only the service reads it).
type TrainingVersionRow struct {
	Key       string
	Version   int64
	TitleEN   string
	TitleZH   string
	BodyEN    string
	BodyZH    string
	Quiz      string
	PassMark  int // percent
	CreatedBy string
	CreatedAt time.Time
}

// TrainingAttemptRow is one attempt at a module's quiz.
type TrainingAttemptRow struct {
	ID      string
	UserID  string
	Key     string
	Version int64
	Score   int // percent
	Passed  bool
	TakenAt time.Time
}

// trainingRows are the training modules, their versions and attempts, one part of a Tx.
type trainingRows struct{ *conn }

const trainingVersionColumns = "v.module_key, v.version, v.title_en, v.title_zh, v.body_en, v.body_zh, v.quiz, v.pass_mark, v.created_by, v.created_at"

// currentVersion is the SQL condition that v is its module's latest version.
const currentVersion = "v.version = (SELECT max(v2.version) FROM training_versions v2 WHERE v2.module_key = v.module_key)"

func scanTrainingVersion(dst []any, v *TrainingVersionRow) []any {
	return append(dst, &v.Key, &v.Version, &v.TitleEN, &v.TitleZH, &v.BodyEN, &v.BodyZH, &v.Quiz, &v.PassMark, &v.CreatedBy)
}

// TrainingModules returns every module at its current version, by key.
func (tx *trainingRows) TrainingModules(ctx context.Context) ([]TrainingModuleRow, error) {
	rows, err := tx.query(ctx, "SELECT m.required, "+trainingVersionColumns+" FROM training_modules m JOIN training_versions v ON v.module_key = m.module_key WHERE "+currentVersion+" ORDER BY m.module_key")
	if err != nil {
		return nil, classify("store.TrainingModules", err)
	}
	defer rows.Close()
	var out []TrainingModuleRow
	for rows.Next() {
		var m TrainingModuleRow
		var required int
		var created int64
		if err := rows.Scan(append(scanTrainingVersion([]any{&required}, &m.Version), &created)...); err != nil {
			return nil, classify("store.TrainingModules", err)
		}
		m.Key, m.Required, m.Version.CreatedAt = m.Version.Key, required != 0, fromMicro(created)
		out = append(out, m)
	}
	if err := rows.Err(); err != nil {
		return nil, classify("store.TrainingModules", err)
	}
	roles, err := tx.trainingRoles(ctx)
	for i := range out {
		out[i].Roles = roles[out[i].Key]
	}
	return out, err
}

func (tx *trainingRows) trainingRoles(ctx context.Context) (map[string][]string, error) {
	rows, err := tx.query(ctx, "SELECT module_key, role FROM training_roles ORDER BY module_key, role")
	if err != nil {
		return nil, classify("store.trainingRoles", err)
	}
	defer rows.Close()
	out := map[string][]string{}
	for rows.Next() {
		var k, r string
		if err := rows.Scan(&k, &r); err != nil {
			return nil, classify("store.trainingRoles", err)
		}
		out[k] = append(out[k], r)
	}
	return out, classify("store.trainingRoles", rows.Err())
}

// TrainingVersion returns one version of a module.
func (tx *trainingRows) TrainingVersion(ctx context.Context, key string, version int64) (TrainingVersionRow, error) {
	var v TrainingVersionRow
	var created int64
	err := tx.queryRow(ctx, "SELECT "+trainingVersionColumns+" FROM training_versions v WHERE v.module_key = ? AND v.version = ?", key, version).
		Scan(append(scanTrainingVersion(nil, &v), &created)...)
	v.CreatedAt = fromMicro(created)
	return v, classify("store.TrainingVersion", err)
}

// InsertTrainingVersion adds a version (and the module, at its first).
func (tx *trainingRows) InsertTrainingVersion(ctx context.Context, v TrainingVersionRow) error {
	if _, err := tx.exec(ctx, "INSERT INTO training_modules (module_key, required, created_at) VALUES (?, 0, ?) ON CONFLICT (module_key) DO NOTHING", v.Key, v.CreatedAt.UnixMicro()); err != nil {
		return classify("store.InsertTrainingVersion", err)
	}
	_, err := tx.exec(ctx, "INSERT INTO training_versions (module_key, version, title_en, title_zh, body_en, body_zh, quiz, pass_mark, created_by, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
		v.Key, v.Version, v.TitleEN, v.TitleZH, v.BodyEN, v.BodyZH, v.Quiz, v.PassMark, v.CreatedBy, v.CreatedAt.UnixMicro())
	return classify("store.InsertTrainingVersion", err)
}

// SetTrainingAssignment sets the roles a module is assigned to and whether
// they must pass it before reaching customer data.
func (tx *trainingRows) SetTrainingAssignment(ctx context.Context, key string, roles []string, required bool) error {
	if err := tx.updateOne(ctx, "store.SetTrainingAssignment", "UPDATE training_modules SET required = ? WHERE module_key = ?", boolInt(required), key); err != nil {
		return err
	}
	if _, err := tx.exec(ctx, "DELETE FROM training_roles WHERE module_key = ?", key); err != nil {
		return classify("store.SetTrainingAssignment", err)
	}
	for _, r := range roles {
		if _, err := tx.exec(ctx, "INSERT INTO training_roles (module_key, role) VALUES (?, ?)", key, r); err != nil {
			return classify("store.SetTrainingAssignment", err)
		}
	}
	return nil
}

// InsertTrainingAttempt records an attempt.
func (tx *trainingRows) InsertTrainingAttempt(ctx context.Context, a TrainingAttemptRow) error {
	_, err := tx.exec(ctx, "INSERT INTO training_attempts (id, user_id, module_key, version, score, passed, taken_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
		a.ID, a.UserID, a.Key, a.Version, a.Score, boolInt(a.Passed), a.TakenAt.UnixMicro())
	return classify("store.InsertTrainingAttempt", err)
}

// TrainingAttempts returns a user's attempts ("" for every user's), newest first.
func (tx *trainingRows) TrainingAttempts(ctx context.Context, userID string) ([]TrainingAttemptRow, error) {
	q, args := "SELECT id, user_id, module_key, version, score, passed, taken_at FROM training_attempts", []any{}
	if userID != "" {
		q, args = q+" WHERE user_id = ?", append(args, userID)
	}
	rows, err := tx.query(ctx, q+" ORDER BY taken_at DESC, id DESC", args...)
	if err != nil {
		return nil, classify("store.TrainingAttempts", err)
	}
	defer rows.Close()
	var out []TrainingAttemptRow
	for rows.Next() {
		var a TrainingAttemptRow
		var passed int
		var at int64
		if err := rows.Scan(&a.ID, &a.UserID, &a.Key, &a.Version, &a.Score, &passed, &at); err != nil {
			return nil, classify("store.TrainingAttempts", err)
		}
		a.Passed, a.TakenAt = passed != 0, fromMicro(at)
		out = append(out, a)
	}
	return out, classify("store.TrainingAttempts", rows.Err())
}

// trainingOwed is the SQL condition that the user u holds a role that must
// have passed module m's current version v, and has not.
var trainingOwed = "m.required <> 0 AND " + trainingAssigned + ` AND NOT EXISTS (SELECT 1 FROM training_attempts ta
	WHERE ta.user_id = u.id AND ta.module_key = m.module_key AND ta.version = v.version AND ta.passed <> 0)`

// trainingAssigned is the SQL condition that user u holds a role module m is assigned to.
var trainingAssigned = "EXISTS (SELECT 1 FROM training_roles tr WHERE tr.module_key = m.module_key AND " + roleIn("u.role", "replace(tr.role, '_', '\\_')") + ")"

// trainingPendingQuery counts the required modules user u has not passed
// at their current version: the session query's training gate.
var trainingPendingQuery = "(SELECT count(*) FROM training_modules m JOIN training_versions v ON v.module_key = m.module_key WHERE " +
	currentVersion + " AND " + strings.ReplaceAll(trainingOwed, "\n", " ") + ")"

// TrainingCoverage counts, over enabled users and every module at its
// current version, the (user, module) pairs where the user holds a role
// the module is assigned to (assigned), and of those the ones where the
// user has passed that version (passed): the compliance report's coverage.
func (tx *trainingRows) TrainingCoverage(ctx context.Context) (assigned, passed int, err error) {
	err = tx.queryRow(ctx, `SELECT count(*), coalesce(sum(CASE WHEN EXISTS (SELECT 1 FROM training_attempts ta
			WHERE ta.user_id = u.id AND ta.module_key = m.module_key AND ta.version = v.version AND ta.passed <> 0) THEN 1 ELSE 0 END), 0)
		FROM users u, training_modules m JOIN training_versions v ON v.module_key = m.module_key
		WHERE u.disabled = 0 AND `+currentVersion+" AND "+trainingAssigned).Scan(&assigned, &passed)
	return assigned, passed, classify("store.TrainingCoverage", err)
}
