package wire

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"go/ast"
	"go/parser"
	"go/token"
	"os"
	"reflect"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
)

// docs/PROTOCOL.md describes every message in a section headed "### `type`"
// with a field table (header "| field | type | meaning |", each field's
// JSON name in backticks) and an example envelope. Objects inside messages
// (pickup, team) have sections of their own under "## Objects inside
// messages", headed with the field's name in backticks; an object with no
// section of its own is listed in its parent's table as `a.b`. The tests
// below hold the document and these types to each other both ways.

const protocolDoc = "../../docs/PROTOCOL.md"

// objectsChapter is the chapter whose sections describe nested objects.
const objectsChapter = "## Objects inside messages"

// pushChapter is the chapter whose sections, headed "### Push `type`",
// describe Web Push payloads: plain JSON objects with the type inside,
// not envelopes.
const pushChapter = "## Push payloads"

// pushPayloads are the push payload types by their type field.
var pushPayloads = map[string]any{PushTypeOffer: PushOffer{}, PushTypeMessage: PushMessage{}}

// messages are all the types of this package that go on the wire as a
// message or console event (TestMessagesListsEveryType keeps the list
// whole).
var messages = []typed{
	Welcome{}, Offer{}, OfferWithdrawn{}, Assignment{}, Alert{}, Standby{}, Answered{}, Subscribed{}, Error{}, Resync{},
	Location{}, Status{}, Accept{}, Decline{}, Complete{}, Subscribe{}, Ack{},
	NeedCreated{}, NeedUpdated{}, OfferSent{}, OfferAnswered{}, NeedStaffed{}, NeedCompleted{},
	NeedEscalated{}, NeedSupplied{}, ResponderMoved{},
	FieldStatus{}, Message{}, Arrived{}, Left{},
	MessageRead{},
	Nudge{},
	Events{},
}

// TestMessagesListsEveryType reads this package's source: every type with
// a Type method is in messages, and every Type* constant names one of
// them, so that a new message cannot escape the document check.
func TestMessagesListsEveryType(t *testing.T) {
	fset := token.NewFileSet()
	entries, err := os.ReadDir(".")
	if err != nil {
		t.Fatal(err)
	}
	var typed, consts []string
	for _, e := range entries {
		if !strings.HasSuffix(e.Name(), ".go") || strings.HasSuffix(e.Name(), "_test.go") {
			continue
		}
		f, err := parser.ParseFile(fset, e.Name(), nil, 0)
		if err != nil {
			t.Fatal(err)
		}
		for _, d := range f.Decls {
			switch d := d.(type) {
			case *ast.FuncDecl:
				if d.Name.Name == "Type" && d.Recv != nil {
					if id, ok := d.Recv.List[0].Type.(*ast.Ident); ok {
						typed = append(typed, id.Name)
					}
				}
			case *ast.GenDecl:
				if d.Tok != token.CONST {
					continue
				}
				for _, s := range d.Specs {
					vs := s.(*ast.ValueSpec)
					for i, name := range vs.Names {
						if !strings.HasPrefix(name.Name, "Type") || i >= len(vs.Values) {
							continue
						}
						if lit, ok := vs.Values[i].(*ast.BasicLit); ok {
							v, err := strconv.Unquote(lit.Value)
							if err != nil {
								t.Fatal(err)
							}
							consts = append(consts, v)
						}
					}
				}
			}
		}
	}
	var listed, names []string
	for _, m := range messages {
		listed = append(listed, reflect.TypeOf(m).Name())
		names = append(names, m.Type())
	}
	slices.Sort(typed)
	slices.Sort(listed)
	if !slices.Equal(typed, listed) {
		t.Errorf("types with a Type method %v, messages lists %v", typed, listed)
	}
	slices.Sort(consts)
	slices.Sort(names)
	if !slices.Equal(consts, names) {
		t.Errorf("Type constants %v, the messages' types %v", consts, names)
	}
}

// docSection is one "###" section of the document.
type docSection struct {
	heading  string
	name     string // the message type, or the field an object section is of
	object   bool   // a section of the objects chapter
	push     bool   // a section of the push payloads chapter
	line     int
	tables   int      // field tables seen: one is expected
	rows     []docRow // the field table
	examples []string // json code blocks
}

type docRow struct {
	name, typ string
	line      int
}

var (
	messageHeading = regexp.MustCompile("^### `([a-z_.]+)`$")
	objectHeading  = regexp.MustCompile("^### The `([a-z_]+)`( [a-z]+)? object$")
	pushHeading    = regexp.MustCompile("^### Push `([a-z_.]+)`$")
	fieldCell      = regexp.MustCompile("^`([a-z_.]+)`$")
)

// readProtocolDoc splits the document into its "###" sections.
func readProtocolDoc(t *testing.T) []*docSection {
	t.Helper()
	b, err := os.ReadFile(protocolDoc)
	if err != nil {
		t.Fatal(err)
	}
	var (
		sections []*docSection
		cur      *docSection
		chapter  string
		inTable  bool // inside a field table
		example  *strings.Builder
	)
	sc := bufio.NewScanner(bytes.NewReader(b))
	for n := 1; sc.Scan(); n++ {
		line := sc.Text()
		switch {
		case example != nil:
			if line == "```" {
				cur.examples = append(cur.examples, example.String())
				example = nil
			} else {
				example.WriteString(line)
			}
			continue
		case strings.HasPrefix(line, "## "):
			chapter, cur = line, nil
		case strings.HasPrefix(line, "### "):
			cur = &docSection{heading: line, line: n, object: chapter == objectsChapter, push: chapter == pushChapter}
			re := messageHeading
			switch {
			case cur.object:
				re = objectHeading
			case cur.push:
				re = pushHeading
			}
			m := re.FindStringSubmatch(line)
			if m == nil {
				t.Errorf("%s:%d: %q names no message or object (want %q)", protocolDoc, n, line, re)
				cur = nil
				continue
			}
			cur.name = m[1]
			sections = append(sections, cur)
		case cur == nil:
		case line == "```json":
			example = &strings.Builder{}
		case strings.HasPrefix(line, "|"):
			cells := strings.Split(line, "|")
			first := strings.TrimSpace(cells[1])
			switch {
			case first == "field":
				inTable = true
				cur.tables++
			case !inTable || strings.HasPrefix(first, "---"):
			case len(cells) < 4:
				t.Errorf("%s:%d: a field row needs field, type and meaning", protocolDoc, n)
			default:
				m := fieldCell.FindStringSubmatch(first)
				if m == nil {
					t.Errorf("%s:%d: %q is not a field name in backticks", protocolDoc, n, first)
					continue
				}
				cur.rows = append(cur.rows, docRow{m[1], strings.TrimSpace(cells[2]), n})
			}
			continue
		}
		inTable = false
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return sections
}

// jsonField is one JSON key of a struct.
type jsonField struct {
	name      string
	typ       string       // as the document's type column says it
	omitEmpty bool         // may be absent
	object    reflect.Type // the struct it holds, alone or in an array
}

func jsonFieldsOf(t reflect.Type) []jsonField {
	var out []jsonField
	for f := range t.Fields() {
		tag := f.Tag.Get("json")
		name, opts, _ := strings.Cut(tag, ",")
		if !f.IsExported() || name == "-" {
			continue
		}
		if name == "" {
			name = f.Name
		}
		jf := jsonField{name: name, omitEmpty: slices.Contains(strings.Split(opts, ","), "omitempty")}
		ft := f.Type
		if ft.Kind() == reflect.Pointer {
			ft = ft.Elem()
		}
		switch ft.Kind() {
		case reflect.String:
			jf.typ = "string"
		case reflect.Int, reflect.Int64, reflect.Int32:
			jf.typ = "integer"
		case reflect.Float64:
			jf.typ = "number"
		case reflect.Bool:
			jf.typ = "boolean"
		case reflect.Slice:
			jf.typ = "array"
			if ft.Elem().Kind() == reflect.Struct {
				jf.object = ft.Elem()
			}
		case reflect.Struct:
			jf.typ, jf.object = "object", ft
		default:
			jf.typ = "kind " + ft.Kind().String()
		}
		out = append(out, jf)
	}
	return out
}

// docCheck compares sections with types.
type docCheck struct {
	t       *testing.T
	objects map[string]*docSection  // object sections by field name
	used    map[string]reflect.Type // the type each object section was checked against
}

// expect lists the rows a table of t must have: its fields, and the fields
// of nested objects that have no section of their own as `a.b`. Objects
// with a section are checked against it.
func (c *docCheck) expect(t reflect.Type, prefix string) []docRow {
	var rows []docRow
	for _, f := range jsonFieldsOf(t) {
		rows = append(rows, docRow{name: prefix + f.name, typ: f.typ})
		if f.object == nil {
			continue
		}
		if _, own := c.objects[f.name]; own {
			c.checkObject(f.name, f.object)
		} else {
			rows = append(rows, c.expect(f.object, prefix+f.name+".")...)
		}
	}
	return rows
}

func (c *docCheck) checkObject(name string, t reflect.Type) {
	if prev, ok := c.used[name]; ok {
		if prev != t {
			c.t.Errorf("%q holds a %v in one message and a %v in another: one section cannot describe both", name, prev, t)
		}
		return
	}
	c.used[name] = t
	c.compare(c.objects[name], c.expect(t, ""))
}

// compare checks a section's field table lists exactly want, with the
// same types.
func (c *docCheck) compare(s *docSection, want []docRow) {
	c.t.Helper()
	if s.tables != 1 {
		c.t.Errorf("%s:%d %s: %d field tables, want 1", protocolDoc, s.line, s.heading, s.tables)
	}
	have := map[string]docRow{}
	for _, r := range s.rows {
		if _, dup := have[r.name]; dup {
			c.t.Errorf("%s:%d: %s: `%s` listed twice", protocolDoc, r.line, s.heading, r.name)
		}
		have[r.name] = r
	}
	for _, w := range want {
		r, ok := have[w.name]
		switch {
		case !ok:
			c.t.Errorf("%s:%d %s: field `%s` (%s) is missing", protocolDoc, s.line, s.heading, w.name, w.typ)
		case r.typ != w.typ:
			c.t.Errorf("%s:%d: %s: `%s` is %s in the document, %s in the code", protocolDoc, r.line, s.heading, w.name, r.typ, w.typ)
		}
		delete(have, w.name)
	}
	for _, r := range have {
		c.t.Errorf("%s:%d: %s: `%s` is not a field of the message", protocolDoc, r.line, s.heading, r.name)
	}
}

func TestProtocolDocumentMatchesTypes(t *testing.T) {
	sections := readProtocolDoc(t)
	c := &docCheck{t: t, objects: map[string]*docSection{}, used: map[string]reflect.Type{}}
	byType := map[string]*docSection{}
	for _, s := range sections {
		if s.push {
			continue // TestProtocolDocumentPushPayloads checks these
		}
		index := byType
		if s.object {
			index = c.objects
		}
		if prev, dup := index[s.name]; dup {
			t.Errorf("%s:%d: %s again (first at line %d)", protocolDoc, s.line, s.heading, prev.line)
		}
		index[s.name] = s
	}
	for _, m := range messages {
		s, ok := byType[m.Type()]
		if !ok {
			t.Errorf("%s has no section \"### `%s`\"", protocolDoc, m.Type())
			continue
		}
		delete(byType, m.Type())
		c.compare(s, c.expect(reflect.TypeOf(m), ""))
	}
	for _, s := range byType {
		t.Errorf("%s:%d: %s names no message of realtime/wire", protocolDoc, s.line, s.heading)
	}
	for name, s := range c.objects {
		if _, ok := c.used[name]; !ok {
			t.Errorf("%s:%d: %s: no message has an object field %q", protocolDoc, s.line, s.heading, name)
		}
	}
}

// docEnvelope is the envelope of an example, for a strict decode.
type docEnvelope struct {
	V    int             `json:"v"`
	Type string          `json:"type"`
	ID   string          `json:"id"`
	TS   string          `json:"ts"`
	Data json.RawMessage `json:"data"`
}

func decodeStrict(b []byte, v any) error {
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return err
	}
	if dec.More() {
		return errors.New("data after the JSON value")
	}
	return nil
}

// Each message's example is an envelope of its type whose data decodes,
// strictly, into the message's type and has every field that is always
// sent.
func TestProtocolDocumentExamplesDecode(t *testing.T) {
	byType := map[string]typed{}
	for _, m := range messages {
		byType[m.Type()] = m
	}
	for _, s := range readProtocolDoc(t) {
		if s.object || s.push {
			continue
		}
		m, ok := byType[s.name]
		if !ok {
			continue // TestProtocolDocumentMatchesTypes reports it
		}
		if len(s.examples) == 0 {
			t.Errorf("%s:%d %s: no example", protocolDoc, s.line, s.heading)
		}
		for _, ex := range s.examples {
			var env docEnvelope
			if err := decodeStrict([]byte(ex), &env); err != nil {
				t.Errorf("%s: example envelope: %v\n%s", s.heading, err, ex)
				continue
			}
			if env.V != 1 || env.Type != s.name {
				t.Errorf("%s: example has v %d, type %q", s.heading, env.V, env.Type)
			}
			data := reflect.New(reflect.TypeOf(m))
			if err := decodeStrict(env.Data, data.Interface()); err != nil {
				t.Errorf("%s: example data does not decode into %T: %v\n%s", s.heading, m, err, env.Data)
				continue
			}
			var keys map[string]json.RawMessage
			if err := json.Unmarshal(env.Data, &keys); err != nil {
				t.Fatal(err)
			}
			for _, f := range jsonFieldsOf(reflect.TypeOf(m)) {
				if _, ok := keys[f.name]; !ok && !f.omitEmpty {
					t.Errorf("%s: example data lacks %q, which is always sent", s.heading, f.name)
				}
			}
		}
	}
}

// Each push payload has a section in the push chapter whose table lists
// its fields and whose examples decode, strictly, into its type with the
// type field set and every field present.
func TestProtocolDocumentPushPayloads(t *testing.T) {
	c := &docCheck{t: t, objects: map[string]*docSection{}, used: map[string]reflect.Type{}}
	seen := map[string]bool{}
	for _, s := range readProtocolDoc(t) {
		if !s.push {
			continue
		}
		p, ok := pushPayloads[s.name]
		if !ok {
			t.Errorf("%s:%d: %s names no push payload of realtime/wire", protocolDoc, s.line, s.heading)
			continue
		}
		seen[s.name] = true
		c.compare(s, c.expect(reflect.TypeOf(p), ""))
		if len(s.examples) == 0 {
			t.Errorf("%s:%d %s: no example", protocolDoc, s.line, s.heading)
		}
		for _, ex := range s.examples {
			v := reflect.New(reflect.TypeOf(p))
			if err := decodeStrict([]byte(ex), v.Interface()); err != nil {
				t.Errorf("%s: example does not decode into %T: %v\n%s", s.heading, p, err, ex)
				continue
			}
			if got := v.Elem().FieldByName("Type").String(); got != s.name {
				t.Errorf("%s: example has type %q", s.heading, got)
			}
			var keys map[string]json.RawMessage
			if err := json.Unmarshal([]byte(ex), &keys); err != nil {
				t.Fatal(err)
			}
			for _, f := range jsonFieldsOf(reflect.TypeOf(p)) {
				if _, ok := keys[f.name]; !ok && !f.omitEmpty {
					t.Errorf("%s: example lacks %q, which is always sent", s.heading, f.name)
				}
			}
		}
	}
	for name := range pushPayloads {
		if !seen[name] {
			t.Errorf("%s has no section \"### Push `%s`\" under %q", protocolDoc, name, pushChapter)
		}
	}
}
