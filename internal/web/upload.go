package web

import (
	"crypto/subtle"
	"io"
	"mime"
	"mime/multipart"
	"net/http"

	"strongroom.dev/strongroom/internal/errs"
)

// upload reads a multipart form whose parts arrive in order — the CSRF
// token, other fields, then the file — and returns the fields and the file
// part, open for streaming. Nothing is buffered or written to a temporary
// file, so an upload's plaintext never touches the disk.
func (q *request) upload(fileField string, max int64) (map[string]string, *multipart.Part, error) {
	ct, _, _ := mime.ParseMediaType(q.r.Header.Get("Content-Type"))
	if ct != "multipart/form-data" {
		return nil, nil, errs.E(errs.Invalid, "upload the file with the form")
	}
	q.r.Body = http.MaxBytesReader(q.w, q.r.Body, max)
	mr, err := q.r.MultipartReader()
	if err != nil {
		return nil, nil, errs.E(errs.Invalid, "the upload could not be read")
	}
	fields := map[string]string{}
	csrfOK := false
	for {
		part, err := mr.NextPart()
		if err == io.EOF {
			return nil, nil, errs.E(errs.Invalid, "choose a file to upload")
		}
		if err != nil {
			return nil, nil, errs.E(errs.Invalid, "the upload could not be read")
		}
		name := part.FormName()
		if name == fileField {
			if !csrfOK {
				return nil, nil, q.csrfRefused()
			}
			if part.FileName() == "" {
				return nil, nil, errs.E(errs.Invalid, "choose a file to upload")
			}
			return fields, part, nil
		}
		v, _ := io.ReadAll(io.LimitReader(part, 1024))
		part.Close()
		if name == csrfField {
			csrfOK = subtle.ConstantTimeCompare(v, []byte(q.csrf())) == 1
			continue
		}
		fields[name] = string(v)
	}
}
