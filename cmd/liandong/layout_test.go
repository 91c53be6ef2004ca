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

// The layout is checked by package, from what `go list` says each package
// depends on (docs/ARCHITECTURE.md, "Dependency direction").

// allowedImports says which of our own top-level folders each folder's
// packages may depend on at all. cmd may depend on everything.
var allowedImports = map[string][]string{
	"geo":      {},
	"mobilize": {"geo", "mobilize"},
	"realtime": {"realtime"},
	"web":      {"web", "mobilize", "realtime", "geo"},
	"loadtest": {"loadtest"},
	"internal": {"internal"},
}

// allowedAlso widens the folder rule for one package: the notification
// adapter is where the domain meets the websocket hub, and the server
// package wires every part together as cmd does.
var allowedAlso = map[string][]string{
	"mobilize/notify":            {"realtime"},
	"internal/server":            {"geo", "mobilize", "realtime", "web"},
	"internal/server/servertest": {"geo", "mobilize", "realtime", "web"},
	// The demo drives the application as a crowd of phones would.
	"internal/demo": {"mobilize", "geo"},
	// A replay drives the application in virtual time on a recording,
	// and draws its report with the drill's charts.
	"internal/replay": {"mobilize", "geo", "loadtest"},
}

// usableAnywhere are leaves with no project imports of their own.
var usableAnywhere = map[string]bool{"internal/batch": true, "realtime/wire": true, "internal/i18n": true,
	// The drill's phones play the browser's side of Web Push with it.
	"internal/pushtest": true,
	// Charts drawn by hand: the drill's report and the cost curves.
	"internal/svgchart": true}

// forbidden are finer rules, by package: a package (or a tree, "x/...")
// may not depend on a path (or anything under it), even transitively.
var forbidden = []struct{ pkg, dep, why string }{
	{"web/...", module + "/mobilize/redisstore", "web calls the application (mobilize.Service), never the store"},
	{"web/...", module + "/realtime/redisrt", "web serves sockets through the hub core, which knows no Redis"},
	{"web/...", "github.com/redis/go-redis", "web knows nothing of where state is kept"},
	{"mobilize", "github.com/redis/go-redis", "the domain knows nothing of where state is kept"},
	{"mobilize/notify", "github.com/redis/go-redis", "notify reaches Redis only through the hub"},
	{"realtime", "github.com/redis/go-redis", "the hub core reaches Redis through realtime/redisrt"},
	{"realtime/wire", module + "/", "the protocol's vocabulary is a leaf"},
}

// directOnly are external modules that only some packages may import
// themselves: cgo stays in one place, and Redis is reached through the
// adapters, which only the composition roots (cmd, internal/server) and
// the test helper build.
var directOnly = map[string][]string{
	"github.com/uber/h3-go":     {"geo"},
	"github.com/redis/go-redis": {"mobilize/redisstore", "realtime/redisrt", "internal/redistest", "internal/server", "cmd/..."},
}

// matches reports whether the package rel is pkg, or under it when pkg
// ends in "/...".
func matches(pkg, rel string) bool {
	if tree, ok := strings.CutSuffix(pkg, "/..."); ok {
		return rel == tree || strings.HasPrefix(rel, tree+"/")
	}
	return rel == pkg
}

type listedPackage struct {
	ImportPath string
	Imports    []string // direct
	Deps       []string // transitive
}

func listPackages(t *testing.T) []listedPackage {
	t.Helper()
	cmd := exec.Command("go", "list", "-json=ImportPath,Imports,Deps", module+"/...")
	cmd.Dir = "../.."
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("go list: %v", err)
	}
	var pkgs []listedPackage
	dec := json.NewDecoder(strings.NewReader(string(out)))
	for {
		var p listedPackage
		if err := dec.Decode(&p); err == io.EOF {
			break
		} else if err != nil {
			t.Fatal(err)
		}
		pkgs = append(pkgs, p)
	}
	if len(pkgs) < 15 {
		t.Fatalf("go list found only %d packages", len(pkgs))
	}
	return pkgs
}

// layoutViolations lists what breaks the rules in pkgs.
func layoutViolations(pkgs []listedPackage) []string {
	var bad []string
	for _, p := range pkgs {
		rel := strings.TrimPrefix(strings.TrimPrefix(p.ImportPath, module), "/")
		top, _, _ := strings.Cut(rel, "/")
		for _, imp := range p.Imports {
			for mod, only := range directOnly {
				if strings.HasPrefix(imp, mod) && !slices.ContainsFunc(only, func(pkg string) bool { return matches(pkg, rel) }) {
					bad = append(bad, rel+" imports "+imp+": only "+strings.Join(only, ", ")+" may")
				}
			}
		}
		for _, dep := range p.Deps {
			for _, f := range forbidden {
				if matches(f.pkg, rel) && strings.HasPrefix(dep, f.dep) {
					bad = append(bad, rel+" depends on "+dep+": "+f.why)
				}
			}
			allowed, ruled := allowedImports[top]
			if !ruled || !strings.HasPrefix(dep, module+"/") {
				continue
			}
			depRel := strings.TrimPrefix(dep, module+"/")
			depTop, _, _ := strings.Cut(depRel, "/")
			if !usableAnywhere[depRel] && !slices.Contains(allowed, depTop) && !slices.Contains(allowedAlso[rel], depTop) {
				bad = append(bad, rel+" depends on "+depRel+": "+rel+" may depend only on "+strings.Join(append(slices.Clone(allowed), allowedAlso[rel]...), ", "))
			}
		}
	}
	return bad
}

// TestImportDirection keeps the arrows pointing inward and the doors to
// Redis and to cgo where they belong.
func TestImportDirection(t *testing.T) {
	for _, v := range layoutViolations(listPackages(t)) {
		t.Error(v)
	}
}

// TestLayoutRulesBite feeds the rules the imports someone might add by
// mistake, so that a rule that no longer matches anything is noticed.
func TestLayoutRulesBite(t *testing.T) {
	for _, tc := range []listedPackage{
		{ImportPath: module + "/web", Deps: []string{module + "/mobilize/redisstore"}},
		{ImportPath: module + "/web", Deps: []string{"github.com/redis/go-redis/v9"}},
		{ImportPath: module + "/mobilize", Imports: []string{"github.com/redis/go-redis/v9"}, Deps: []string{"github.com/redis/go-redis/v9"}},
		{ImportPath: module + "/realtime", Deps: []string{"github.com/redis/go-redis/v9/internal"}},
		{ImportPath: module + "/mobilize/notify", Imports: []string{"github.com/uber/h3-go/v4"}},
		{ImportPath: module + "/loadtest", Deps: []string{module + "/mobilize"}},
		{ImportPath: module + "/realtime/wire", Deps: []string{module + "/geo"}},
	} {
		if got := layoutViolations([]listedPackage{tc}); len(got) == 0 {
			t.Errorf("%s with imports %v deps %v breaks no rule", tc.ImportPath, tc.Imports, tc.Deps)
		}
	}
}
