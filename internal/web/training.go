package web

import (
	"fmt"
	"net/http"
	"strconv"
	"strings"

	"strongroom.dev/strongroom/internal/authz"
	"strongroom.dev/strongroom/internal/errs"
	"strongroom.dev/strongroom/internal/service/training"
)

// moduleItem is a module in the reader's language.
type moduleItem struct {
	training.Module
	Title, Body string
	Quiz        []questionItem
}

type questionItem struct {
	N       int // from 0: the form field is q<N>
	Text    string
	Choices []string
}

func itemOf(m training.Module, lang string) moduleItem {
	it := moduleItem{Module: m, Title: m.TitleEN, Body: m.BodyEN}
	if lang == langZH {
		it.Title, it.Body = m.TitleZH, m.BodyZH
	}
	for i, q := range m.Questions {
		qi := questionItem{N: i, Text: q.TextEN, Choices: q.ChoicesEN}
		if lang == langZH {
			qi.Text, qi.Choices = q.TextZH, q.ChoicesZH
		}
		it.Quiz = append(it.Quiz, qi)
	}
	return it
}

type trainingView struct {
	Modules []moduleItem
	Owed    bool // a role of the reader must pass a module before customer data
}

type trainingModuleView struct {
	Module moduleItem
	Owed   bool
	Result *training.Result
	Error  string
}

// showTraining lists the modules, those assigned to the reader first.
func (h *trainingPages) showTraining(q *request) error {
	mods, err := h.trainingSvc.Modules(q.r.Context(), q.actor)
	if err != nil {
		return err
	}
	v := trainingView{Owed: q.actor.Owes(authz.GateFull) == "training"}
	for _, m := range mods {
		v.Modules = append(v.Modules, itemOf(m, q.lang))
	}
	h.render(q, http.StatusOK, "training", "training", v)
	return nil
}

// showModule shows a module's text and its quiz.
func (h *trainingPages) showModule(q *request) error {
	return h.renderModule(q, http.StatusOK, nil, nil)
}

func (h *trainingPages) renderModule(q *request, code int, res *training.Result, formErr error) error {
	m, err := h.trainingSvc.Module(q.r.Context(), q.actor, q.r.PathValue("key"))
	if err != nil {
		return err
	}
	v := trainingModuleView{Module: itemOf(m, q.lang), Owed: q.actor.Owes(authz.GateFull) == "training", Result: res}
	if formErr != nil {
		v.Error, _ = q.public(formErr)
	}
	h.render(q, code, "training_module", "training", v)
	return nil
}

// takeModule sends the answers (q0, q1, … the chosen choice) to be scored.
func (h *trainingPages) takeModule(q *request) error {
	version, _ := strconv.ParseInt(q.r.PostFormValue("version"), 10, 64)
	var answers []int
	last := -1
	for i := range 20 {
		v, ok := q.r.PostForm[fmt.Sprintf("q%d", i)]
		n := -1
		if ok && len(v) == 1 {
			if x, err := strconv.Atoi(v[0]); err == nil {
				n, last = x, i
			}
		}
		answers = append(answers, n)
	}
	res, err := h.trainingSvc.Take(q.r.Context(), q.actor, q.r.PathValue("key"), version, answers[:last+1])
	switch {
	case errs.Is(err, errs.Invalid):
		return h.renderModule(q, http.StatusBadRequest, nil, err)
	case errs.Is(err, errs.TooMany):
		return h.renderModule(q, http.StatusTooManyRequests, nil, err)
	case err != nil:
		return err
	}
	if res.Passed {
		q.redirect("/training", "training_passed")
		return nil
	}
	return h.renderModule(q, http.StatusOK, &res, nil)
}

type coverageView struct {
	Modules []training.Coverage
	Error   string
}

// showCoverage shows, per module and role, who passed; administrators
// assign modules to roles there.
func (h *trainingPages) showCoverage(q *request) error {
	return h.renderCoverage(q, http.StatusOK, nil)
}

func (h *trainingPages) renderCoverage(q *request, code int, formErr error) error {
	c, err := h.trainingSvc.Coverage(q.r.Context(), q.actor)
	if err != nil {
		return err
	}
	v := coverageView{Modules: c}
	if formErr != nil {
		v.Error, _ = q.public(formErr)
	}
	h.render(q, code, "training_coverage", "training_coverage", v)
	return nil
}

// assignModule sets the roles a module is assigned to.
func (h *trainingPages) assignModule(q *request) error {
	_, err := h.trainingSvc.Assign(q.r.Context(), q.actor, q.r.PathValue("key"), splitList(q.r.PostFormValue("roles")), q.r.PostFormValue("required") == "1")
	if errs.Is(err, errs.Invalid) {
		return h.renderCoverage(q, http.StatusBadRequest, err)
	}
	if err != nil {
		return err
	}
	q.redirect("/training/coverage", "training_assignment_saved")
	return nil
}

// publishSlots is how many questions the publish form offers.
const publishSlots = 8

type publishView struct {
	Input     training.Input
	Roles     string
	Questions []publishQuestion
	Error     string
}

type publishQuestion struct {
	N, Num                       int // the form's index, and the number shown (from 1)
	TextEN, TextZH               string
	ChoicesEN, ChoicesZH, Answer string
}

// showPublish shows the form for a new version of a module (?key=), filled
// with the current version's text and questions — but never their
// answers, which the administrator gives again.
func (h *trainingPages) showPublish(q *request) error {
	v := publishView{Input: training.Input{Key: q.r.URL.Query().Get("key"), PassMark: 80}}
	if v.Input.Key != "" {
		m, err := h.trainingSvc.Module(q.r.Context(), q.actor, v.Input.Key)
		if err != nil {
			return err
		}
		v.Input = training.Input{Key: m.Key, TitleEN: m.TitleEN, TitleZH: m.TitleZH, BodyEN: m.BodyEN, BodyZH: m.BodyZH, PassMark: m.PassMark, Required: m.Required}
		v.Roles = strings.Join(m.Roles, ", ")
		for _, x := range m.Questions {
			v.Input.Questions = append(v.Input.Questions, training.QuestionInput{Question: x, Answer: -1})
		}
	}
	h.renderPublish(q, http.StatusOK, v, nil)
	return nil
}

func (h *trainingPages) renderPublish(q *request, code int, v publishView, formErr error) {
	v.Questions = nil
	for i := range publishSlots {
		pq := publishQuestion{N: i, Num: i + 1}
		if i < len(v.Input.Questions) {
			x := v.Input.Questions[i]
			pq.TextEN, pq.TextZH = x.TextEN, x.TextZH
			pq.ChoicesEN, pq.ChoicesZH = strings.Join(x.ChoicesEN, "\n"), strings.Join(x.ChoicesZH, "\n")
			if x.Answer >= 0 {
				pq.Answer = strconv.Itoa(x.Answer + 1)
			}
		}
		v.Questions = append(v.Questions, pq)
	}
	if formErr != nil {
		v.Error, _ = q.public(formErr)
	}
	h.render(q, code, "training_publish", "training_publish", v)
}

func lines(s string) []string {
	var out []string
	for _, l := range strings.Split(s, "\n") {
		if l = strings.TrimSpace(l); l != "" {
			out = append(out, l)
		}
	}
	return out
}

// publishModule publishes the form's new version.
func (h *trainingPages) publishModule(q *request) error {
	f := q.r.PostFormValue
	pass, _ := strconv.Atoi(f("pass_mark"))
	in := training.Input{Key: strings.TrimSpace(f("key")), TitleEN: f("title_en"), TitleZH: f("title_zh"), BodyEN: f("body_en"), BodyZH: f("body_zh"),
		PassMark: pass, Roles: splitList(f("roles")), Required: f("required") == "1"}
	for i := range publishSlots {
		p := fmt.Sprintf("q%d_", i)
		if strings.TrimSpace(f(p+"en")) == "" && strings.TrimSpace(f(p+"zh")) == "" {
			continue
		}
		answer, err := strconv.Atoi(strings.TrimSpace(f(p + "answer")))
		if err != nil {
			answer = 0 // refused below: the answer is counted from 1
		}
		in.Questions = append(in.Questions, training.QuestionInput{Question: training.Question{TextEN: f(p + "en"), TextZH: f(p + "zh"),
			ChoicesEN: lines(f(p + "choices_en")), ChoicesZH: lines(f(p + "choices_zh"))}, Answer: answer - 1})
	}
	m, err := h.trainingSvc.Publish(q.r.Context(), q.actor, in)
	if errs.Is(err, errs.Invalid) {
		h.renderPublish(q, http.StatusBadRequest, publishView{Input: in, Roles: f("roles")}, err)
		return nil
	}
	if err != nil {
		return err
	}
	q.redirect("/training/"+m.Key, "training_published")
	return nil
}
