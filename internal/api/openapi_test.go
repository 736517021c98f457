package api

import (
	"encoding/json"
	"net/http"
	"slices"
	"strings"
	"testing"

	"strongroom.dev/strongroom/internal/service"
)

type routeRecorder []string

func (r *routeRecorder) Handle(pattern string, _ http.Handler) { *r = append(*r, pattern) }

// TestOpenAPIMatchesRoutes keeps the OpenAPI document true to the code:
// every registered route is documented and every documented one exists.
func TestOpenAPIMatchesRoutes(t *testing.T) {
	var doc struct {
		OpenAPI string                    `json:"openapi"`
		Paths   map[string]map[string]any `json:"paths"`
	}
	if err := json.Unmarshal(OpenAPI(), &doc); err != nil {
		t.Fatalf("openapi.json: %v", err)
	}
	var documented []string
	for path, ops := range doc.Paths {
		for method := range ops {
			if method != "parameters" {
				documented = append(documented, strings.ToUpper(method)+" "+path)
			}
		}
	}
	var rec routeRecorder
	(&Handler{svc: &service.Service{}}).Routes(&rec) // method values of the domain services, never called
	var registered []string
	for _, p := range rec {
		if strings.Contains(p, " ") { // skip the catch-all
			registered = append(registered, p)
		}
	}
	slices.Sort(documented)
	slices.Sort(registered)
	if !slices.Equal(documented, registered) {
		t.Fatalf("OpenAPI paths and routes differ:\ndocumented: %v\nregistered: %v", documented, registered)
	}
}
