// Package training is staff training: modules of text and a short quiz in
// English and Chinese, versioned, assigned to roles, with every attempt
// recorded. A module may be required: a user holding a role it is assigned
// to must have passed its current version before reaching customer data —
// the session query tells (store.SessionWithUser.TrainingPending), and the
// API and web wrappers refuse such a session everything but the training,
// the security policy and logging out, as they do for the policy. The
// quiz's correct answers stay in the service: it scores, and no reader is
// ever sent them.
package training

import (
	"context"
	"encoding/json"
	"fmt"
	"regexp"
	"slices"
	"strings"
	"time"

	"strongroom.dev/strongroom/internal/audit"
	"strongroom.dev/strongroom/internal/authz"
	"strongroom.dev/strongroom/internal/crm"
	"strongroom.dev/strongroom/internal/errs"
	"strongroom.dev/strongroom/internal/service/core"
	"strongroom.dev/strongroom/internal/store"
)

// Training is a domain service: training modules, their versions,
// attempts and coverage.
type Training struct{ c *core.Core }

// New returns the training service over c.
func New(c *core.Core) *Training { return &Training{c: c} }

// Question is a quiz question as a reader sees it: without its answer.
type Question struct {
	TextEN    string   `json:"text_en"`
	TextZH    string   `json:"text_zh"`
	ChoicesEN []string `json:"choices_en"`
	ChoicesZH []string `json:"choices_zh"`
}

// QuestionInput is a question as an administrator writes it: Answer is the
// index of the correct choice.
type QuestionInput struct {
	Question
	Answer int `json:"answer"`
}

// stored is a question as the quiz JSON keeps it.
type stored struct {
	TextEN    string   `json:"q_en"`
	TextZH    string   `json:"q_zh"`
	ChoicesEN []string `json:"choices_en"`
	ChoicesZH []string `json:"choices_zh"`
	Answer    int      `json:"answer"`
}

// Module is a module at its current version, as a reader sees it, with
// where the reader stands.
type Module struct {
	Key         string     `json:"key"`
	Version     int64      `json:"version"`
	TitleEN     string     `json:"title_en"`
	TitleZH     string     `json:"title_zh"`
	BodyEN      string     `json:"body_en"`
	BodyZH      string     `json:"body_zh"`
	Questions   []Question `json:"questions"`
	PassMark    int        `json:"pass_mark"` // percent
	Roles       []string   `json:"roles"`
	Required    bool       `json:"required"` // before customer data, for those roles
	PublishedAt time.Time  `json:"published_at"`
	// The reader's own standing.
	Assigned  bool `json:"assigned"`   // the reader holds one of Roles
	Passed    bool `json:"passed"`     // the reader passed this version
	LastScore int  `json:"last_score"` // the reader's last score at this version, -1 for none
}

// Input is a new version of a module, with its assignment.
type Input struct {
	Key       string          `json:"key"`
	TitleEN   string          `json:"title_en"`
	TitleZH   string          `json:"title_zh"`
	BodyEN    string          `json:"body_en"`
	BodyZH    string          `json:"body_zh"`
	Questions []QuestionInput `json:"questions"`
	PassMark  int             `json:"pass_mark"`
	Roles     []string        `json:"roles"`
	Required  bool            `json:"required"`
}

// Result is the outcome of an attempt.
type Result struct {
	Key      string `json:"key"`
	Version  int64  `json:"version"`
	Score    int    `json:"score"` // percent
	PassMark int    `json:"pass_mark"`
	Passed   bool   `json:"passed"`
}

// Coverage is, for one module at its current version, how many users
// holding each role it is assigned to have passed it.
type Coverage struct {
	Key      string         `json:"key"`
	Version  int64          `json:"version"`
	TitleEN  string         `json:"title_en"`
	TitleZH  string         `json:"title_zh"`
	Required bool           `json:"required"`
	Roles    []RoleCoverage `json:"roles"`
	Assigned int            `json:"assigned"` // users holding any of its roles
	Passed   int            `json:"passed"`   // of those, who passed this version
}

// RoleCoverage is one role's part of a module's coverage.
type RoleCoverage struct {
	Role   string `json:"role"`
	Users  int    `json:"users"`
	Passed int    `json:"passed"`
}

// MaxFailedAttempts is how many failed attempts at a module's version a
// user may make in 24 hours: enough to retry, too few to try every
// combination of answers.
const MaxFailedAttempts = 5

var moduleKey = regexp.MustCompile(`^[a-z0-9][a-z0-9-]{0,39}$`)

func mayManage(a authz.Actor) error {
	return core.May(a, authz.ActionUpdate, authz.ObjectPrivacy, "only the privacy officer and administrators manage training")
}

func quizOf(v store.TrainingVersionRow) ([]stored, error) {
	var q []stored
	if err := json.Unmarshal([]byte(v.Quiz), &q); err != nil {
		return nil, errs.Wrap(errs.Internal, "training.quizOf", "", err)
	}
	return q, nil
}

func moduleOf(m store.TrainingModuleRow, quiz []stored) Module {
	out := Module{Key: m.Key, Version: m.Version.Version, TitleEN: m.Version.TitleEN, TitleZH: m.Version.TitleZH, BodyEN: m.Version.BodyEN,
		BodyZH: m.Version.BodyZH, PassMark: m.Version.PassMark, Roles: m.Roles, Required: m.Required, PublishedAt: m.Version.CreatedAt,
		Questions: make([]Question, 0, len(quiz)), LastScore: -1}
	for _, q := range quiz {
		out.Questions = append(out.Questions, Question{TextEN: q.TextEN, TextZH: q.TextZH, ChoicesEN: q.ChoicesEN, ChoicesZH: q.ChoicesZH})
	}
	if out.Roles == nil {
		out.Roles = []string{}
	}
	return out
}

// standing fills in the reader's own standing on each module.
func standing(mods []Module, a authz.Actor, attempts []store.TrainingAttemptRow) {
	for i := range mods {
		m := &mods[i]
		m.Assigned = slices.ContainsFunc(m.Roles, func(r string) bool { return slices.Contains(a.Roles, authz.Role(r)) })
		for _, t := range attempts { // newest first
			if t.Key != m.Key || t.Version != m.Version {
				continue
			}
			if m.LastScore < 0 {
				m.LastScore = t.Score
			}
			m.Passed = m.Passed || t.Passed
		}
	}
}

// Modules lists every module at its current version with the reader's
// standing, those assigned to the reader first. Anyone logged in (a user
// who owes training reaches it); not audited: it reads no personal data.
func (s *Training) Modules(ctx context.Context, a authz.Actor) ([]Module, error) {
	if a.UserID == "" {
		return nil, errs.E(errs.Permission, "log in to see the training")
	}
	out := []Module{}
	err := core.Look(ctx, s.c, trainingStoreOf, func(tx trainingStore) error {
		rows, err := tx.TrainingModules(ctx)
		if err != nil {
			return err
		}
		for _, m := range rows {
			quiz, err := quizOf(m.Version)
			if err != nil {
				return err
			}
			out = append(out, moduleOf(m, quiz))
		}
		attempts, err := tx.TrainingAttempts(ctx, a.UserID)
		standing(out, a, attempts)
		return err
	})
	slices.SortStableFunc(out, func(x, y Module) int {
		switch {
		case x.Assigned == y.Assigned:
			return 0
		case x.Assigned:
			return -1
		}
		return 1
	})
	return out, err
}

// Module returns one module at its current version (without answers),
// with the reader's standing.
func (s *Training) Module(ctx context.Context, a authz.Actor, key string) (Module, error) {
	mods, err := s.Modules(ctx, a)
	if err != nil {
		return Module{}, err
	}
	for _, m := range mods {
		if m.Key == key {
			return m, nil
		}
	}
	return Module{}, errs.E(errs.NotExist, "training module not found")
}

// Take scores the reader's answers (the index of the chosen choice, one
// per question) to version of a module, which must be its current version
// (so nobody passes a text they were not shown), and records the attempt.
// After MaxFailedAttempts failures in a day it refuses (TooMany). Audited
// (training.attempt).
func (s *Training) Take(ctx context.Context, a authz.Actor, key string, version int64, answers []int) (Result, error) {
	if a.SessionID == "" {
		return Result{}, errs.E(errs.Permission, "log in to take the training")
	}
	var out Result
	err := core.Change(ctx, s.c, trainingStoreOf, func(tx trainingStore) error {
		mods, err := tx.TrainingModules(ctx)
		if err != nil {
			return err
		}
		i := slices.IndexFunc(mods, func(m store.TrainingModuleRow) bool { return m.Key == key })
		if i < 0 {
			return errs.E(errs.NotExist, "training module not found")
		}
		cur := mods[i].Version
		if cur.Version != version {
			return errs.InvalidField("version", fmt.Sprintf("version %d is not the current version of this module (%d); read the current one", version, cur.Version))
		}
		quiz, err := quizOf(cur)
		if err != nil {
			return err
		}
		// Guessing every combination is not passing: a few failed tries a
		// day, then the text is to be read again tomorrow.
		past, err := tx.TrainingAttempts(ctx, a.UserID)
		if err != nil {
			return err
		}
		since, failed := s.c.Now().Add(-24*time.Hour), 0
		for _, t := range past {
			if t.Key == key && t.Version == version && !t.Passed && t.TakenAt.After(since) {
				failed++
			}
		}
		if failed >= MaxFailedAttempts {
			return errs.E(errs.TooMany, fmt.Sprintf("%d failed attempts at this module in a day; read it again and try tomorrow", failed))
		}
		if len(answers) != len(quiz) {
			return errs.InvalidField("answers", fmt.Sprintf("answer each of the %d questions", len(quiz)))
		}
		right := 0
		for j, q := range quiz {
			if answers[j] < 0 || answers[j] >= len(q.ChoicesEN) {
				return errs.InvalidField("answers", fmt.Sprintf("answer question %d with one of its choices", j+1))
			}
			if answers[j] == q.Answer {
				right++
			}
		}
		out = Result{Key: key, Version: version, Score: right * 100 / len(quiz), PassMark: cur.PassMark}
		out.Passed = out.Score >= cur.PassMark
		if err := tx.InsertTrainingAttempt(ctx, store.TrainingAttemptRow{ID: crm.NewID("trn"), UserID: a.UserID, Key: key, Version: version,
			Score: out.Score, Passed: out.Passed, TakenAt: s.c.Now()}); err != nil {
			return err
		}
		verdict := "failed"
		if out.Passed {
			verdict = "passed"
		}
		return s.c.Record(ctx, tx, a, "training.attempt", "training", key, nil, audit.Success, fmt.Sprintf("version %d: %d%% (pass mark %d%%), %s", version, out.Score, cur.PassMark, verdict))
	})
	return out, err
}

// check validates in and returns its quiz JSON.
func (in *Input) check() (string, error) {
	if !moduleKey.MatchString(in.Key) || in.Key == "coverage" || in.Key == "publish" {
		return "", errs.InvalidField("key", "a module's key is lower-case letters, digits and hyphens, at most 40 (not coverage or publish)")
	}
	var err error
	for _, t := range []struct {
		field string
		v     *string
		max   int
	}{{"title_en", &in.TitleEN, 200}, {"title_zh", &in.TitleZH, 200}, {"body_en", &in.BodyEN, 20000}, {"body_zh", &in.BodyZH, 20000}} {
		if t.max == 200 {
			*t.v, err = crm.Label(t.field, *t.v, t.max)
		} else {
			*t.v, err = crm.FreeText(t.field, *t.v, t.max)
		}
		if err != nil {
			return "", err
		}
		if *t.v == "" {
			return "", errs.InvalidField(t.field, "a module needs its title and text in English and in Chinese")
		}
	}
	if len(in.Questions) == 0 || len(in.Questions) > 20 {
		return "", errs.InvalidField("questions", "a module has 1 to 20 questions")
	}
	if in.PassMark < 1 || in.PassMark > 100 {
		return "", errs.InvalidField("pass_mark", "the pass mark is a percentage, 1 to 100")
	}
	quiz := make([]stored, 0, len(in.Questions))
	for n, q := range in.Questions {
		field := fmt.Sprintf("questions[%d]", n)
		st := stored{Answer: q.Answer}
		if st.TextEN, err = crm.FreeText(field, q.TextEN, 500); err != nil {
			return "", err
		}
		if st.TextZH, err = crm.FreeText(field, q.TextZH, 500); err != nil {
			return "", err
		}
		if st.TextEN == "" || st.TextZH == "" {
			return "", errs.InvalidField(field, "each question needs its text in English and in Chinese")
		}
		if len(q.ChoicesEN) < 2 || len(q.ChoicesEN) > 6 || len(q.ChoicesZH) != len(q.ChoicesEN) {
			return "", errs.InvalidField(field, "each question has 2 to 6 choices, as many in Chinese as in English")
		}
		for k := range q.ChoicesEN {
			en, err := crm.Label(field, q.ChoicesEN[k], 200)
			if err != nil {
				return "", err
			}
			zh, err := crm.Label(field, q.ChoicesZH[k], 200)
			if err != nil {
				return "", err
			}
			if en == "" || zh == "" {
				return "", errs.InvalidField(field, "a choice needs its text")
			}
			st.ChoicesEN, st.ChoicesZH = append(st.ChoicesEN, en), append(st.ChoicesZH, zh)
		}
		if q.Answer < 0 || q.Answer >= len(q.ChoicesEN) {
			return "", errs.InvalidField(field, "the answer is the index of the correct choice, from 0")
		}
		quiz = append(quiz, st)
	}
	b, err := json.Marshal(quiz)
	return string(b), err
}

// roles checks the roles a module is assigned to.
func (s *Training) roles(ctx context.Context, roles []string) ([]string, error) {
	var list []string
	for _, r := range roles {
		if r = strings.TrimSpace(r); r != "" {
			list = append(list, r)
		}
	}
	if len(list) == 0 {
		return nil, nil
	}
	joined, err := s.c.CheckRoles(ctx, strings.Join(list, ","))
	if err != nil {
		return nil, err
	}
	var out []string
	for _, r := range authz.RolesOf(joined) {
		out = append(out, string(r))
	}
	return out, nil
}

// Publish publishes a new version of a module (its first, for a new key)
// and sets the roles it is assigned to: a user holding one of them who
// passed an earlier version must pass this one. The privacy officer and
// administrators. Audited
// (training.publish).
func (s *Training) Publish(ctx context.Context, a authz.Actor, in Input) (Module, error) {
	if err := mayManage(a); err != nil {
		return Module{}, err
	}
	quiz, err := in.check()
	if err != nil {
		return Module{}, err
	}
	roles, err := s.roles(ctx, in.Roles)
	if err != nil {
		return Module{}, err
	}
	var out Module
	err = core.Change(ctx, s.c, trainingStoreOf, func(tx trainingStore) error {
		mods, err := tx.TrainingModules(ctx)
		if err != nil {
			return err
		}
		next := int64(1)
		if i := slices.IndexFunc(mods, func(m store.TrainingModuleRow) bool { return m.Key == in.Key }); i >= 0 {
			next = mods[i].Version.Version + 1
		}
		v := store.TrainingVersionRow{Key: in.Key, Version: next, TitleEN: in.TitleEN, TitleZH: in.TitleZH, BodyEN: in.BodyEN, BodyZH: in.BodyZH,
			Quiz: quiz, PassMark: in.PassMark, CreatedBy: a.UserID, CreatedAt: s.c.Now()}
		if err := tx.InsertTrainingVersion(ctx, v); err != nil {
			return err
		}
		if err := tx.SetTrainingAssignment(ctx, in.Key, roles, in.Required); err != nil {
			return err
		}
		var st []stored
		_ = json.Unmarshal([]byte(quiz), &st) // just encoded
		out = moduleOf(store.TrainingModuleRow{Key: in.Key, Required: in.Required, Roles: roles, Version: v}, st)
		return s.c.Record(ctx, tx, a, "training.publish", "training", in.Key, nil, audit.Success,
			fmt.Sprintf("version %d, %d questions, pass mark %d%%, roles %s, required %t", next, len(st), in.PassMark, strings.Join(roles, ","), in.Required))
	})
	return out, err
}

// Assign sets the roles a module is assigned to and whether they must pass
// it before reaching customer data, without a new version. The privacy officer and administrators.
// Audited (training.assign).
func (s *Training) Assign(ctx context.Context, a authz.Actor, key string, roles []string, required bool) (Module, error) {
	if err := mayManage(a); err != nil {
		return Module{}, err
	}
	if !moduleKey.MatchString(key) {
		return Module{}, errs.E(errs.NotExist, "training module not found")
	}
	roles, err := s.roles(ctx, roles)
	if err != nil {
		return Module{}, err
	}
	var out Module
	err = core.Change(ctx, s.c, trainingStoreOf, func(tx trainingStore) error {
		if err := tx.SetTrainingAssignment(ctx, key, roles, required); err != nil {
			return core.NotFound(err, "training module")
		}
		mods, err := tx.TrainingModules(ctx)
		if err != nil {
			return err
		}
		for _, m := range mods {
			if m.Key == key {
				quiz, err := quizOf(m.Version)
				if err != nil {
					return err
				}
				out = moduleOf(m, quiz)
			}
		}
		return s.c.Record(ctx, tx, a, "training.assign", "training", key, nil, audit.Success, fmt.Sprintf("roles %s, required %t", strings.Join(roles, ","), required))
	})
	return out, err
}

// Coverage tells, per module at its current version and per role it is
// assigned to, how many enabled users hold the role and how many of them
// passed. The privacy officer, administrators and auditors. Audited (training.coverage).
func (s *Training) Coverage(ctx context.Context, a authz.Actor) ([]Coverage, error) {
	if err := core.May(a, authz.ActionRead, authz.ObjectPrivacy, "you may not read training coverage"); err != nil {
		return nil, err
	}
	out := []Coverage{}
	err := core.Change(ctx, s.c, trainingStoreOf, func(tx trainingStore) error {
		mods, err := tx.TrainingModules(ctx)
		if err != nil {
			return err
		}
		users, err := tx.ListUsers(ctx)
		if err != nil {
			return err
		}
		attempts, err := tx.TrainingAttempts(ctx, "")
		if err != nil {
			return err
		}
		for _, m := range mods {
			passed := map[string]bool{}
			for _, t := range attempts {
				if t.Key == m.Key && t.Version == m.Version.Version && t.Passed {
					passed[t.UserID] = true
				}
			}
			c := Coverage{Key: m.Key, Version: m.Version.Version, TitleEN: m.Version.TitleEN, TitleZH: m.Version.TitleZH, Required: m.Required, Roles: []RoleCoverage{}}
			for _, r := range m.Roles {
				rc := RoleCoverage{Role: r}
				for _, u := range users {
					if !u.Disabled && authz.HasRole(u.Role, authz.Role(r)) {
						rc.Users++
						if passed[u.ID] {
							rc.Passed++
						}
					}
				}
				c.Roles = append(c.Roles, rc)
			}
			for _, u := range users {
				if !u.Disabled && slices.ContainsFunc(m.Roles, func(r string) bool { return authz.HasRole(u.Role, authz.Role(r)) }) {
					c.Assigned++
					if passed[u.ID] {
						c.Passed++
					}
				}
			}
			out = append(out, c)
		}
		return s.c.Record(ctx, tx, a, "training.coverage", "training", "", nil, audit.Success, fmt.Sprintf("%d modules", len(out)))
	})
	return out, err
}

// trainingStore is what the methods in training.go read and write.
type trainingStore interface {
	audit.Appender
	TrainingModules(ctx context.Context) ([]store.TrainingModuleRow, error)
	InsertTrainingVersion(ctx context.Context, v store.TrainingVersionRow) error
	SetTrainingAssignment(ctx context.Context, key string, roles []string, required bool) error
	InsertTrainingAttempt(ctx context.Context, a store.TrainingAttemptRow) error
	TrainingAttempts(ctx context.Context, userID string) ([]store.TrainingAttemptRow, error)
	ListUsers(ctx context.Context) ([]store.UserRow, error)
}

// trainingStoreOf is the compiler's check that the store has every method of trainingStore.
func trainingStoreOf(tx *store.Tx) trainingStore { return tx }
