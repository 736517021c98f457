package api

import (
	"net/http"

	"strongroom.dev/strongroom/internal/authz"
	"strongroom.dev/strongroom/internal/httpx"
	"strongroom.dev/strongroom/internal/service/training"
)

// trainingAPI serves staff training. Reading and taking a module is open
// to a user who still owes it (beforeTraining); nothing sent holds the
// quiz's answers.
type trainingAPI struct{ training *training.Training }

// listTraining lists the modules with the caller's standing.
func (h *trainingAPI) listTraining(w http.ResponseWriter, r *http.Request, a authz.Actor) error {
	if _, err := httpx.Query(r); err != nil {
		return err
	}
	mods, err := h.training.Modules(r.Context(), a)
	if err != nil {
		return err
	}
	httpx.WriteJSON(w, http.StatusOK, map[string]any{"modules": mods, "owed": a.Owes(authz.GateFull) == "training"})
	return nil
}

// showTraining answers one module at its current version.
func (h *trainingAPI) showTraining(w http.ResponseWriter, r *http.Request, a authz.Actor) error {
	m, err := h.training.Module(r.Context(), a, r.PathValue("key"))
	if err != nil {
		return err
	}
	httpx.WriteJSON(w, http.StatusOK, m)
	return nil
}

// takeTraining scores the caller's answers to the module's current version.
func (h *trainingAPI) takeTraining(w http.ResponseWriter, r *http.Request, a authz.Actor) error {
	var in struct {
		Version int64 `json:"version"`
		Answers []int `json:"answers"`
	}
	if err := httpx.DecodeJSON(w, r, &in, "version", "answers"); err != nil {
		return err
	}
	res, err := h.training.Take(r.Context(), a, r.PathValue("key"), in.Version, in.Answers)
	if err != nil {
		return err
	}
	httpx.WriteJSON(w, http.StatusCreated, res)
	return nil
}

// publishTraining publishes a new version of a module (administrators).
func (h *trainingAPI) publishTraining(w http.ResponseWriter, r *http.Request, a authz.Actor) error {
	var in struct {
		TitleEN   string                   `json:"title_en"`
		TitleZH   string                   `json:"title_zh"`
		BodyEN    string                   `json:"body_en"`
		BodyZH    string                   `json:"body_zh"`
		Questions []training.QuestionInput `json:"questions"`
		PassMark  int                      `json:"pass_mark"`
		Roles     []string                 `json:"roles"`
		Required  bool                     `json:"required"`
	}
	if err := httpx.DecodeJSON(w, r, &in, "title_en", "title_zh", "body_en", "body_zh", "questions", "pass_mark", "roles", "required"); err != nil {
		return err
	}
	m, err := h.training.Publish(r.Context(), a, training.Input{Key: r.PathValue("key"), TitleEN: in.TitleEN, TitleZH: in.TitleZH, BodyEN: in.BodyEN, BodyZH: in.BodyZH,
		Questions: in.Questions, PassMark: in.PassMark, Roles: in.Roles, Required: in.Required})
	if err != nil {
		return err
	}
	httpx.WriteJSON(w, http.StatusOK, m)
	return nil
}

// assignTraining sets the roles a module is assigned to (administrators).
func (h *trainingAPI) assignTraining(w http.ResponseWriter, r *http.Request, a authz.Actor) error {
	var in struct {
		Roles    []string `json:"roles"`
		Required bool     `json:"required"`
	}
	if err := httpx.DecodeJSON(w, r, &in, "roles", "required"); err != nil {
		return err
	}
	m, err := h.training.Assign(r.Context(), a, r.PathValue("key"), in.Roles, in.Required)
	if err != nil {
		return err
	}
	httpx.WriteJSON(w, http.StatusOK, m)
	return nil
}

// trainingCoverage answers, per module and role, who passed (administrators, auditors).
func (h *trainingAPI) trainingCoverage(w http.ResponseWriter, r *http.Request, a authz.Actor) error {
	if _, err := httpx.Query(r); err != nil {
		return err
	}
	c, err := h.training.Coverage(r.Context(), a)
	if err != nil {
		return err
	}
	httpx.WriteJSON(w, http.StatusOK, map[string]any{"modules": c})
	return nil
}
