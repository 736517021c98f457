package api

import (
	"net/http"
	"strconv"
	"time"

	"strongroom.dev/strongroom/internal/authz"
	"strongroom.dev/strongroom/internal/errs"
	"strongroom.dev/strongroom/internal/httpx"
	"strongroom.dev/strongroom/internal/service/privacy"
)

// minimisationAPI serves the minimisation report.
type minimisationAPI struct {
	minimisation *privacy.Minimisation
}

type fieldLevelJSON struct {
	Field  string `json:"field"`
	Level  string `json:"level"`
	Reveal bool   `json:"reveal,omitempty"`
}

func fieldLevelsJSON(in []privacy.FieldLevel) []fieldLevelJSON {
	out := make([]fieldLevelJSON, 0, len(in))
	for _, l := range in {
		out = append(out, fieldLevelJSON{l.Field, l.Level, l.Reveal})
	}
	return out
}

// showMinimisation answers the minimisation report (?days=N, default 90).
func (h *minimisationAPI) showMinimisation(w http.ResponseWriter, r *http.Request, a authz.Actor) error {
	q, err := httpx.Query(r, "days")
	if err != nil {
		return err
	}
	days := 0
	if v := q["days"]; v != "" {
		if days, err = strconv.Atoi(v); err != nil || days < 1 {
			return errs.InvalidField("days", "days is 1 to 3650")
		}
	}
	rep, err := h.minimisation.Report(r.Context(), a, days)
	if err != nil {
		return err
	}
	type fieldJSON struct {
		Field       string `json:"field"`
		Class       string `json:"class"`
		Filled      int64  `json:"filled"`
		Shown       int64  `json:"shown"`
		Masked      int64  `json:"shown_masked"`
		NeverShown  bool   `json:"filled_never_read"`
		Special     bool   `json:"special_category"`
		CollectedBy int    `json:"roles_writing"`
	}
	type templateJSON struct {
		Name     string           `json:"name"`
		Title    string           `json:"title"`
		Collects []string         `json:"collects"`
		Fields   []fieldLevelJSON `json:"fields"`
	}
	type roleJSON struct {
		Role    string           `json:"role"`
		BuiltIn bool             `json:"built_in"`
		Fields  []fieldLevelJSON `json:"fields"`
	}
	out := struct {
		Days      int            `json:"days"`
		Since     time.Time      `json:"since"`
		Fields    []fieldJSON    `json:"fields"`
		Templates []templateJSON `json:"templates"`
		Roles     []roleJSON     `json:"roles"`
	}{Days: rep.Days, Since: rep.Since, Fields: []fieldJSON{}, Templates: []templateJSON{}, Roles: []roleJSON{}}
	for _, f := range rep.Fields {
		out.Fields = append(out.Fields, fieldJSON{f.Field, string(f.Class), f.Filled, f.Shown, f.Masked, f.NeverShown, f.Special, f.CollectedBy})
	}
	for _, t := range rep.Templates {
		out.Templates = append(out.Templates, templateJSON{t.Name, t.Title, append([]string{}, t.Collects...), fieldLevelsJSON(t.Fields)})
	}
	for _, ro := range rep.Roles {
		out.Roles = append(out.Roles, roleJSON{ro.Role, ro.BuiltIn, fieldLevelsJSON(ro.Fields)})
	}
	httpx.WriteJSON(w, http.StatusOK, out)
	return nil
}
