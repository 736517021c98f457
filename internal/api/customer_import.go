package api

import (
	"mime"
	"net/http"
	"strings"

	"strongroom.dev/strongroom/internal/authz"
	"strongroom.dev/strongroom/internal/errs"
	"strongroom.dev/strongroom/internal/httpx"
	"strongroom.dev/strongroom/internal/service/records"
)

// MaxImport is the largest CSV file an import reads.
const MaxImport = 64 << 20

func (h *customersAPI) importCustomers(w http.ResponseWriter, r *http.Request, a authz.Actor) error {
	ct, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if ct != "text/csv" {
		return errs.E(errs.Invalid, "send the file as the body, with Content-Type: text/csv")
	}
	opt := records.ImportOptions{Mapping: map[string]string{}}
	for k, vs := range r.URL.Query() {
		switch {
		case k == "dry_run" || k == "partial":
			v := len(vs) == 1 && (vs[0] == "true" || vs[0] == "1")
			if len(vs) != 1 || (!v && vs[0] != "false" && vs[0] != "0") {
				return errs.InvalidField(k, k+" must be true or false")
			}
			if k == "dry_run" {
				opt.DryRun = v
			} else {
				opt.Partial = v
			}
		case k == "owner_id" && len(vs) == 1:
			opt.OwnerID = vs[0]
		case strings.HasPrefix(k, "map.") && len(vs) == 1:
			opt.Mapping[strings.TrimPrefix(k, "map.")] = vs[0]
		default:
			return errs.InvalidField(k, "unknown query parameter "+k+"; allowed: dry_run, partial, owner_id, map.<field>")
		}
	}
	rep, err := h.customers.ImportCustomers(r.Context(), a, http.MaxBytesReader(w, r.Body, MaxImport), opt)
	if err != nil {
		return err
	}
	status := http.StatusOK
	if rep.Imported {
		status = http.StatusCreated
	}
	httpx.WriteJSON(w, status, rep)
	return nil
}
