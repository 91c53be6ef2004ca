package main

import (
	"encoding/json"
	"io"
	"os/exec"
	"slices"
	"strings"
	"testing"
)

const module = "github.com/liandong/liandong"

// allowedImports says which of our own packages each top-level package may
// import (docs/ARCHITECTURE.md, "Dependency direction"). cmd may import
// all.
var allowedImports = map[string][]string{
	"geo":      {},
	"mobilize": {"geo", "mobilize"},
	"realtime": {"realtime"},
	"web":      {"web", "mobilize", "realtime", "geo"},
	"loadtest": {"loadtest"},
	"internal": {"internal"},
}

// allowedAlso widens the rule of a package's top-level folder for one
// package: the notification adapter is where the domain meets the
// websocket hub.
var allowedAlso = map[string][]string{
	"mobilize/notify": {"realtime"},
}

// usableAnywhere are leaf utilities with no project imports of their own.
var usableAnywhere = map[string]bool{"internal/batch": true, "realtime/wire": true}

// TestImportDirection keeps the arrows pointing inward, and h3-go (cgo)
// confined to geo.
func TestImportDirection(t *testing.T) {
	cmd := exec.Command("go", "list", "-json=ImportPath,Imports,Deps", module+"/...")
	cmd.Dir = "../.."
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("go list: %v", err)
	}
	dec := json.NewDecoder(strings.NewReader(string(out)))
	checked := 0
	for {
		var p struct {
			ImportPath string
			Imports    []string // direct
			Deps       []string // transitive
		}
		if err := dec.Decode(&p); err == io.EOF {
			break
		} else if err != nil {
			t.Fatal(err)
		}
		rel := strings.TrimPrefix(strings.TrimPrefix(p.ImportPath, module), "/")
		top, _, _ := strings.Cut(rel, "/")
		allowed, ruled := allowedImports[top]
		for _, imp := range p.Imports {
			if strings.HasPrefix(imp, "github.com/uber/h3-go") && top != "geo" {
				t.Errorf("%s imports h3-go; only geo may (cgo stays in one place)", p.ImportPath)
			}
		}
		for _, dep := range p.Deps {
			if !ruled || !strings.HasPrefix(dep, module+"/") {
				continue
			}
			depRel := strings.TrimPrefix(dep, module+"/")
			depTop, _, _ := strings.Cut(depRel, "/")
			ok := usableAnywhere[depRel]
			mayImport := append(slices.Clone(allowed), allowedAlso[rel]...)
			for _, a := range mayImport {
				ok = ok || a == depTop
			}
			if !ok {
				t.Errorf("%s imports %s: %s may import only %v", p.ImportPath, dep, rel, mayImport)
			}
		}
		checked++
	}
	if checked < 6 {
		t.Fatalf("checked only %d packages", checked)
	}
}
