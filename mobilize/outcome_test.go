package mobilize

import (
	"go/ast"
	"go/parser"
	"go/token"
	"maps"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
)

// outcomeTypes are the outcome families, each with its Known.
var outcomeTypes = map[string]func(string) bool{
	"OfferOutcome":    func(v string) bool { return OfferOutcome(v).Known() },
	"AnswerOutcome":   func(v string) bool { return AnswerOutcome(v).Known() },
	"CloseOutcome":    func(v string) bool { return CloseOutcome(v).Known() },
	"CompleteOutcome": func(v string) bool { return CompleteOutcome(v).Known() },
	"FeedbackOutcome": func(v string) bool { return FeedbackOutcome(v).Known() },
}

// TestOutcomesKnown: Known accepts every constant declared of its type in
// this package, and nothing else; a constant added without its case in
// Known would be refused by the store.
func TestOutcomesKnown(t *testing.T) {
	files, err := filepath.Glob("*.go")
	if err != nil {
		t.Fatal(err)
	}
	declared := map[string]map[string]string{} // type -> value -> const
	fset := token.NewFileSet()
	for _, f := range files {
		if strings.HasSuffix(f, "_test.go") {
			continue
		}
		file, err := parser.ParseFile(fset, f, nil, 0)
		if err != nil {
			t.Fatal(err)
		}
		for _, d := range file.Decls {
			g, ok := d.(*ast.GenDecl)
			if !ok || g.Tok != token.CONST {
				continue
			}
			for _, s := range g.Specs {
				vs := s.(*ast.ValueSpec)
				typ, ok := vs.Type.(*ast.Ident)
				if !ok || outcomeTypes[typ.Name] == nil {
					continue
				}
				for i, name := range vs.Names {
					lit, ok := vs.Values[i].(*ast.BasicLit)
					if !ok {
						t.Fatalf("%s: not a string literal", name.Name)
					}
					v, _ := strconv.Unquote(lit.Value)
					if declared[typ.Name] == nil {
						declared[typ.Name] = map[string]string{}
					}
					if other, dup := declared[typ.Name][v]; dup {
						t.Errorf("%s and %s are both %q", other, name.Name, v)
					}
					declared[typ.Name][v] = name.Name
				}
			}
		}
	}
	// The values are the scripts' and, for answers, the wire's: they
	// never change.
	want := map[string][]string{
		"OfferOutcome":    {"already_asked", "busy", "fenced", "need_closed", "no_such_slot", "ok", "script_error", "slot_full", "stale", "unknown_responder", "wrong_role"},
		"AnswerOutcome":   {"accepted", "declined", "expired", "not_due", "not_pending", "not_yours", "slot_closed", "staffed", "unknown_offer"},
		"CloseOutcome":    {"already_closed", "cancelled", "not_due", "unknown_need", "unstaffed"},
		"CompleteOutcome": {"completed", "need_completed", "not_on_team", "not_staffed", "unknown_need"},
		"FeedbackOutcome": {"expired", "ok", "unknown", "used"},
	}
	for typ, known := range outcomeTypes {
		if got := slices.Sorted(maps.Keys(declared[typ])); !slices.Equal(got, want[typ]) {
			t.Errorf("%s values %q, want %q", typ, got, want[typ])
		}
		for v, name := range declared[typ] {
			if !known(v) {
				t.Errorf("%s (%q) is not Known", name, v)
			}
		}
		for _, v := range []string{"", "OK", "unknown_outcome", "staffed ", "script_error: boom"} {
			if known(v) {
				t.Errorf("%s: %q is Known", typ, v)
			}
		}
	}
}
