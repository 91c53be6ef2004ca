package web

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"
)

// TestOpenAPICoversEveryRoute walks every pattern registered on the server
// and fails on any the document lacks, and on any documented API path the
// server does not serve.
func TestOpenAPICoversEveryRoute(t *testing.T) {
	e := newEmbeddedEnv(t)
	// The pages' routes, as RegisterPages adds them in cmd (building the
	// real pages compresses every asset, which is slow under -race).
	for _, pattern := range PageRoutes {
		e.srv.Handle(pattern, http.NotFoundHandler())
	}
	var doc struct {
		OpenAPI    string                                `json:"openapi"`
		Paths      map[string]map[string]json.RawMessage `json:"paths"`
		Components struct {
			Schemas map[string]json.RawMessage `json:"schemas"`
		} `json:"components"`
	}
	r := e.do("GET", "/api/v1/openapi.json", "", nil).Want(t, 200)
	r.Decode(t, &doc)
	if doc.OpenAPI != "3.1.0" {
		t.Fatalf("openapi %q", doc.OpenAPI)
	}
	served := map[string]bool{}
	for _, pattern := range e.srv.Routes() {
		method, path, ok := strings.Cut(pattern, " ")
		if !ok {
			if pattern != "/api/" { // the catch-all that answers unknown paths
				t.Errorf("pattern %q has no method", pattern)
			}
			continue
		}
		path = docPath(path)
		served[strings.ToLower(method)+" "+path] = true
		if _, ok := doc.Paths[path][strings.ToLower(method)]; !ok {
			t.Errorf("%s is served but not in the OpenAPI document", pattern)
		}
	}
	for path, ops := range doc.Paths {
		for method := range ops {
			if !served[method+" "+path] && path != "/ws" { // the websocket is mounted by its own layer
				t.Errorf("%s %s is documented but not served", method, path)
			}
		}
	}
	// Every reference resolves.
	for _, ref := range strings.Split(string(r.Body), `"$ref": "#/components/schemas/`)[1:] {
		name, _, _ := strings.Cut(ref, `"`)
		if _, ok := doc.Components.Schemas[name]; !ok {
			t.Errorf("$ref to missing schema %s", name)
		}
	}
}
