package web

import (
	"io/fs"
	"regexp"
	"testing"
)

// Every table column has a header a screen reader can announce: an empty
// <th> (the sessions and administration pages had them for their buttons)
// is refused; a column of buttons names itself with visually hidden text.
func TestNoEmptyTableHeaders(t *testing.T) {
	empty := regexp.MustCompile(`<th[^>]*>\s*</th>`)
	names, err := fs.Glob(files, "templates/*.html")
	if err != nil {
		t.Fatal(err)
	}
	for _, n := range names {
		b, err := fs.ReadFile(files, n)
		if err != nil {
			t.Fatal(err)
		}
		if m := empty.FindAll(b, -1); len(m) > 0 {
			t.Errorf("%s has %d empty table headers", n, len(m))
		}
	}
}
