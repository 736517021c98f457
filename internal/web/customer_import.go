package web

import (
	"crypto/subtle"
	"io"
	"mime"
	"net/http"
	"strings"

	"strongroom.dev/strongroom/internal/errs"
	"strongroom.dev/strongroom/internal/service"
)

// maxUpload bounds an uploaded import file.
const maxUpload = 64 << 20

type importView struct {
	Report *service.ImportReport
	Error  string
}

func (h *Handler) showImport(q *request) error {
	h.render(q, http.StatusOK, "import", "import", importView{})
	return nil
}

// importCustomers streams the uploaded file into the import: the form's
// parts arrive in order (csrf, options, file), so nothing is buffered and
// no temporary file ever holds the plaintext.
func (h *Handler) importCustomers(q *request) error {
	ct, _, _ := mime.ParseMediaType(q.r.Header.Get("Content-Type"))
	if ct != "multipart/form-data" {
		return errs.E(errs.Invalid, "upload the file with the import form")
	}
	q.r.Body = http.MaxBytesReader(q.w, q.r.Body, maxUpload)
	mr, err := q.r.MultipartReader()
	if err != nil {
		return errs.E(errs.Invalid, "the upload could not be read")
	}
	var opt service.ImportOptions
	csrfOK := false
	for {
		part, err := mr.NextPart()
		if err == io.EOF {
			return errs.E(errs.Invalid, "choose a CSV file to import")
		}
		if err != nil {
			return errs.E(errs.Invalid, "the upload could not be read")
		}
		switch part.FormName() {
		case csrfField:
			v, _ := io.ReadAll(io.LimitReader(part, 256))
			csrfOK = subtle.ConstantTimeCompare(v, []byte(q.csrf())) == 1
		case "dry_run":
			opt.DryRun = true
		case "partial":
			opt.Partial = true
		case "file":
			if !csrfOK {
				return errs.E(errs.Permission, tr(q.lang, "form_expired"))
			}
			if part.FileName() == "" {
				return errs.E(errs.Invalid, "choose a CSV file to import")
			}
			rep, err := h.svc.ImportCustomers(q.r.Context(), q.actor, part, opt)
			if err != nil {
				if errs.Is(err, errs.Invalid) || errs.Is(err, errs.TooLarge) {
					msg, _ := errs.Public(err)
					h.render(q, errs.KindOf(err).Status(), "import", "import", importView{Error: msg})
					return nil
				}
				return err
			}
			h.render(q, http.StatusOK, "import", "import", importView{Report: &rep})
			return nil
		}
		part.Close()
	}
}

func (h *Handler) exportCustomers(q *request) error {
	query := strings.TrimSpace(q.r.URL.Query().Get("q"))
	cq := service.CustomerQuery{}
	if strings.Contains(query, "@") {
		cq.Email = query
	} else if query != "" {
		cq.Phone = query
	}
	q.w.Header().Set("Content-Type", "text/csv; charset=utf-8")
	q.w.Header().Set("Content-Disposition", `attachment; filename="customers.csv"`)
	if _, err := h.svc.ExportCustomers(q.r.Context(), q.actor, cq, q.w); err != nil {
		q.w.Header().Del("Content-Disposition")
		return err
	}
	return nil
}
