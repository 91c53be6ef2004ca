package redisstore

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// The scripts are joined from libraries whose top-level locals they call,
// so a missing library only shows when a script reaches the call (a nil
// global), and a surplus one costs every call its source. These tests
// resolve every name of every script the way Lua scopes locals, against
// the libraries the script lists, in their order.

// redisLuaGlobals are the globals of Redis' Lua that the scripts may use.
var redisLuaGlobals = map[string]bool{
	"redis": true, "cjson": true, "cmsgpack": true, "bit": true, "struct": true,
	"KEYS": true, "ARGV": true,
	"string": true, "table": true, "math": true,
	"tonumber": true, "tostring": true, "type": true, "pairs": true, "ipairs": true,
	"pcall": true, "error": true, "unpack": true, "select": true, "next": true, "assert": true,
}

var luaKeywords = map[string]bool{
	"and": true, "break": true, "do": true, "else": true, "elseif": true, "end": true,
	"false": true, "for": true, "function": true, "goto": true, "if": true, "in": true,
	"local": true, "nil": true, "not": true, "or": true, "repeat": true, "return": true,
	"then": true, "true": true, "until": true, "while": true,
}

type luaToken struct {
	text  string
	name  bool   // an identifier or keyword
	chunk string // the library or script it comes from
	line  int
}

func (t luaToken) String() string { return fmt.Sprintf("%s:%d %s", t.chunk, t.line, t.text) }

// lexLua splits Lua source into names and punctuation; comments, strings
// and numbers are dropped (a string or number stands as one "0" token).
func lexLua(chunk, src string) ([]luaToken, error) {
	var out []luaToken
	line := 1
	// longBracket returns the length of "[[" or "[==[" at i, or 0.
	longBracket := func(i int) (int, string) {
		if i >= len(src) || src[i] != '[' {
			return 0, ""
		}
		j := i + 1
		for j < len(src) && src[j] == '=' {
			j++
		}
		if j < len(src) && src[j] == '[' {
			return j + 1 - i, "]" + strings.Repeat("=", j-i-1) + "]"
		}
		return 0, ""
	}
	skipTo := func(i int, close string) (int, error) {
		end := strings.Index(src[i:], close)
		if end < 0 {
			return 0, fmt.Errorf("%s:%d: unterminated %q", chunk, line, close)
		}
		line += strings.Count(src[i:i+end], "\n")
		return i + end + len(close), nil
	}
	for i := 0; i < len(src); {
		c := src[i]
		switch {
		case c == '\n':
			line++
			i++
		case c == ' ' || c == '\t' || c == '\r':
			i++
		case strings.HasPrefix(src[i:], "--"):
			if n, close := longBracket(i + 2); n > 0 {
				var err error
				if i, err = skipTo(i+2+n, close); err != nil {
					return nil, err
				}
				continue
			}
			for i < len(src) && src[i] != '\n' {
				i++
			}
		case c == '\'' || c == '"':
			j := i + 1
			for j < len(src) && src[j] != c {
				if src[j] == '\\' {
					j++
				}
				if j < len(src) && src[j] == '\n' {
					line++
				}
				j++
			}
			if j >= len(src) {
				return nil, fmt.Errorf("%s:%d: unterminated string", chunk, line)
			}
			out = append(out, luaToken{text: "0", chunk: chunk, line: line})
			i = j + 1
		case c == '[':
			if n, close := longBracket(i); n > 0 {
				at := line
				var err error
				if i, err = skipTo(i+n, close); err != nil {
					return nil, err
				}
				out = append(out, luaToken{text: "0", chunk: chunk, line: at})
				continue
			}
			out = append(out, luaToken{text: "[", chunk: chunk, line: line})
			i++
		case isDigit(c) || (c == '.' && i+1 < len(src) && isDigit(src[i+1])):
			j := i + 1
			for j < len(src) && (isNameByte(src[j]) || src[j] == '.' ||
				((src[j] == '+' || src[j] == '-') && (src[j-1] == 'e' || src[j-1] == 'E'))) {
				j++
			}
			out = append(out, luaToken{text: "0", chunk: chunk, line: line})
			i = j
		case isNameByte(c):
			j := i
			for j < len(src) && isNameByte(src[j]) {
				j++
			}
			out = append(out, luaToken{text: src[i:j], name: true, chunk: chunk, line: line})
			i = j
		default:
			n := 1
			for _, op := range []string{"...", "..", "==", "~=", "<=", ">=", "::"} {
				if strings.HasPrefix(src[i:], op) {
					n = len(op)
					break
				}
			}
			out = append(out, luaToken{text: src[i : i+n], chunk: chunk, line: line})
			i += n
		}
	}
	return out, nil
}

func isDigit(c byte) bool    { return c >= '0' && c <= '9' }
func isNameByte(c byte) bool { return c == '_' || isDigit(c) || c|0x20 >= 'a' && c|0x20 <= 'z' }

// luaDecl is a local: where it is declared and whether at the top level
// of the chunk (what a library offers the chunks after it).
type luaDecl struct {
	name  string
	chunk string
	top   bool
}

// luaUse is what resolving a joined script found: the names that are no
// local where they are used (globals), which chunk used a top-level local
// of which other chunk, and the top-level locals declared twice.
type luaUse struct {
	free       []luaToken
	uses       map[string]map[string]bool // chunk -> chunks whose top-level locals it uses
	redeclared []string
}

// resolveLua scopes the tokens as Lua does: a local is visible from its
// declaration to the end of its block, so a function that calls one
// declared only after it (in a later library, say) calls a global.
func resolveLua(toks []luaToken) luaUse {
	use := luaUse{uses: map[string]map[string]bool{}}
	scopes := []map[string]*luaDecl{{}}
	declare := func(t luaToken) {
		top := len(scopes) == 1
		if prev, ok := scopes[len(scopes)-1][t.text]; ok && top && prev.top && prev.chunk != t.chunk {
			use.redeclared = append(use.redeclared, fmt.Sprintf("%s declared twice (in %s and %s)", t.text, prev.chunk, t.chunk))
		}
		scopes[len(scopes)-1][t.text] = &luaDecl{name: t.text, chunk: t.chunk, top: top}
	}
	push := func() { scopes = append(scopes, map[string]*luaDecl{}) }
	pop := func() {
		if len(scopes) > 1 {
			scopes = scopes[:len(scopes)-1]
		}
	}
	reference := func(t luaToken) {
		for i := len(scopes) - 1; i >= 0; i-- {
			if d, ok := scopes[i][t.text]; ok {
				if d.top && d.chunk != t.chunk {
					if use.uses[t.chunk] == nil {
						use.uses[t.chunk] = map[string]bool{}
					}
					use.uses[t.chunk][d.chunk] = true
				}
				return
			}
		}
		use.free = append(use.free, t)
	}
	// params declares a function's parameters, from the "(" at i; it
	// returns the index of the ")".
	params := func(i int) int {
		for i++; i < len(toks) && toks[i].text != ")"; i++ {
			if toks[i].name {
				declare(toks[i])
			}
		}
		return i
	}
	var brackets []string // open (, [ and {, to tell a table key from a name
	var forNames []luaToken
	at := func(i int) string {
		if i < 0 || i >= len(toks) {
			return ""
		}
		return toks[i].text
	}
	for i := 0; i < len(toks); i++ {
		t := toks[i]
		switch t.text {
		case "(", "[", "{":
			brackets = append(brackets, t.text)
			continue
		case ")", "]", "}":
			if len(brackets) > 0 {
				brackets = brackets[:len(brackets)-1]
			}
			continue
		}
		if !t.name {
			continue
		}
		switch {
		case t.text == "local" && at(i+1) == "function":
			declare(toks[i+2]) // visible in its own body: it may recurse
			push()
			i = params(i + 3)
		case t.text == "local":
			for i++; i < len(toks) && toks[i].name; i++ {
				declare(toks[i])
				if at(i+1) != "," {
					break
				}
				i++
			}
		case t.text == "function":
			if i+1 < len(toks) && toks[i+1].name {
				reference(toks[i+1]) // function f() assigns the global f
				for i++; at(i) != "("; i++ {
				}
			} else {
				i++
			}
			push()
			i = params(i)
		case t.text == "for":
			forNames = forNames[:0]
			for i++; i < len(toks) && toks[i].name && toks[i].text != "in"; i++ {
				forNames = append(forNames, toks[i])
				if at(i+1) == "," {
					i++
				}
			}
			i-- // the = or in
		case t.text == "do" || t.text == "then" || t.text == "repeat":
			push()
			if t.text == "do" {
				for _, n := range forNames {
					declare(n)
				}
				forNames = forNames[:0]
			}
		case t.text == "else":
			pop()
			push()
		case t.text == "end" || t.text == "until" || t.text == "elseif":
			pop()
		case luaKeywords[t.text]:
		case at(i-1) == "." || at(i-1) == ":":
			// a field or method
		case at(i+1) == "=" && len(brackets) > 0 && brackets[len(brackets)-1] == "{":
			// a table constructor's key
		default:
			reference(t)
		}
	}
	return use
}

// checkLua resolves body joined after libs and reports, for the chunk
// named what, every name that is neither a local in reach nor one of
// Redis' Lua globals, every library of libs that neither the body nor a
// library it uses needs, and top-level locals declared twice.
func checkLua(what, body string, libs []*luaLib) []string {
	var toks []luaToken
	var problems []string
	for _, l := range libs {
		lt, err := lexLua(l.name, l.src)
		if err != nil {
			return []string{err.Error()}
		}
		toks = append(toks, lt...)
	}
	bt, err := lexLua(what, body)
	if err != nil {
		return []string{err.Error()}
	}
	use := resolveLua(append(toks, bt...))
	for _, t := range use.free {
		if !redisLuaGlobals[t.text] {
			problems = append(problems, fmt.Sprintf("%s: %s is not defined by a listed library (or not before it)", what, t))
		}
	}
	for _, r := range use.redeclared {
		problems = append(problems, fmt.Sprintf("%s: top-level local %s", what, r))
	}
	needed := map[string]bool{}
	var visit func(string)
	visit = func(chunk string) {
		for c := range use.uses[chunk] {
			if !needed[c] {
				needed[c] = true
				visit(c)
			}
		}
	}
	visit(what)
	for _, l := range libs {
		if !needed[l.name] {
			problems = append(problems, fmt.Sprintf("%s: includes %s but uses nothing of it", what, l.name))
		}
	}
	return problems
}

// checkOrder reports a library listed twice, or before one it needs, or
// without one it needs.
func checkOrder(what string, libs []*luaLib) []string {
	var problems []string
	for i, l := range libs {
		if slices.Index(libs, l) != i {
			problems = append(problems, fmt.Sprintf("%s: %s listed twice", what, l.name))
		}
		for _, n := range l.needs {
			if j := slices.Index(libs, n); j < 0 || j > i {
				problems = append(problems, fmt.Sprintf("%s: %s needs %s before it", what, l.name, n.name))
			}
		}
	}
	return problems
}

// TestLuaLibraryNeeds: each library names exactly the libraries it calls.
func TestLuaLibraryNeeds(t *testing.T) {
	for _, l := range []*luaLib{indexLib, recognitionLib, suppliesLib, fairloadLib, mobilizeLib} {
		for _, p := range append(checkOrder(l.name, l.needs), checkLua(l.name, l.src, l.needs)...) {
			t.Error(p)
		}
	}
}

// TestLuaScriptLibraries: every script of lua/ is built with exactly the
// libraries it needs, each after the ones it needs.
func TestLuaScriptLibraries(t *testing.T) {
	files, err := filepath.Glob("lua/*.lua")
	if err != nil {
		t.Fatal(err)
	}
	built := map[string]luaScript{}
	for _, s := range luaScripts {
		built[s.file] = s
	}
	for _, f := range files {
		name := filepath.Base(f)
		if strings.HasSuffix(name, "_lib.lua") {
			continue
		}
		s, ok := built[name]
		if !ok {
			t.Errorf("%s is not built with newScript", name)
			continue
		}
		delete(built, name)
		src, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		if string(src) != s.body {
			t.Errorf("%s: the script built under its name has another body", name)
		}
		for _, p := range append(checkOrder(name, s.libs), checkLua(name, s.body, s.libs)...) {
			t.Error(p)
		}
		var names []string
		size := len(s.body)
		for _, l := range s.libs {
			names = append(names, l.name)
			size += len(l.src) + 1
		}
		t.Logf("%-18s %5d bytes: %s", name, size, strings.Join(names, ", "))
	}
	for name := range built {
		t.Errorf("script %s is built but lua/%s does not exist", name, name)
	}
}

// TestCheckLuaFindsWrongLists: the checks above catch a missing library,
// one listed after a library that calls it, one the script does not need,
// a name defined nowhere, and a library listed twice.
func TestCheckLuaFindsWrongLists(t *testing.T) {
	for _, c := range []struct {
		what string
		body string
		libs []*luaLib
		want string
	}{
		{"missing", closeBody, []*luaLib{indexLib, recognitionLib, fairloadLib, mobilizeLib}, "endSupplies is not defined"},
		{"late", closeBody, []*luaLib{indexLib, recognitionLib, fairloadLib, mobilizeLib, suppliesLib}, "endSupplies is not defined"},
		{"late order", "", []*luaLib{indexLib, mobilizeLib, recognitionLib, suppliesLib, fairloadLib}, "mobilize_lib needs recognition_lib before it"},
		{"surplus", removeBody, []*luaLib{indexLib, fairloadLib}, "includes fairload_lib but uses nothing of it"},
		{"surplus chain", "return readFair(ARGV[5])", []*luaLib{indexLib, recognitionLib, fairloadLib}, "includes recognition_lib but uses nothing"},
		{"global", "local x = NOW return x", []*luaLib{}, "NOW is not defined"},
		{"later local", "local function f() return g() end local function g() return 1 end return f()", nil, "g is not defined"},
		{"out of scope", "if ARGV[1] then local y = 1 end return y", nil, "y is not defined"},
		{"twice", "return split(ARGV[5])", []*luaLib{indexLib, indexLib}, "index_lib listed twice"},
		{"shadowed", "local split = 1 return split", []*luaLib{indexLib}, "top-level local split declared twice"},
	} {
		got := append(checkOrder(c.what, c.libs), checkLua(c.what, c.body, c.libs)...)
		if !slices.ContainsFunc(got, func(p string) bool { return strings.Contains(p, c.want) }) {
			t.Errorf("%s: want a problem %q, got %q", c.what, c.want, got)
		}
	}
	// And a right list passes: names used through a library count.
	if got := checkLua("through", "return fresh(splitPos(ARGV[5]), 0)", []*luaLib{indexLib}); len(got) > 0 {
		t.Errorf("a right list: %q", got)
	}
	if got := checkLua("locals", "for i, v in ipairs(ARGV) do local t = {v = i} return t.v end", nil); len(got) > 0 {
		t.Errorf("loop variables and table keys: %q", got)
	}
}
