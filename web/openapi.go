package web

import (
	"encoding/json"
	"net/http"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/liandong/liandong/mobilize"
)

// The OpenAPI 3.1 document is generated from the route table and from the
// very Go types the handlers decode and encode, so that it cannot drift
// from the router; a test walks the server's registered patterns and
// fails on any the document lacks.

// otherEndpoint is an endpoint the process serves outside the API table.
type otherEndpoint struct {
	method, path, summary, contentType string
	statuses                           []int
	security                           bool
}

// otherEndpoints are the server's own routes and the websocket of
// docs/PROTOCOL.md.
var otherEndpoints = []otherEndpoint{
	{"GET", "/", "An index page", "text/html", []int{200}, false},
	{"GET", "/healthz", "200 while the process is up", "text/plain", []int{200}, false},
	{"GET", "/readyz", "200 only while Redis answers", "text/plain", []int{200, 503}, false},
	{"GET", "/metrics", "Prometheus metrics", "text/plain", []int{200}, false},
	{"GET", "/feedback/{token}", "The feedback page of a completed need (a one-time link, no login)", "text/html", []int{200, 404, 409, 410}, false},
	{"POST", "/feedback/{token}", "The feedback page's form: rating=1..5, comment", "text/html", []int{200, 400, 404, 409, 410}, false},
	{"GET", "/join/{token}", "The join page of an invitation (no login): phone, code, name, skills, certificates", "text/html", []int{200, 404, 409, 410}, false},
	{"POST", "/join/{token}", "The join page's forms: step=code with phone, then step=join with ticket, code, name, skills, cert1_name, cert1_expires, ...", "text/html", []int{200, 202, 400, 404, 409, 410, 429}, false},
	{"GET", "/ws", "Websocket (docs/PROTOCOL.md): the token as Authorization: Bearer or ?access_token=; ?last_id= resumes the inbox", "", []int{101, 401, 429}, true},
}

// pageSummaries describe the web pages of pages.go (PageRoutes).
var pageSummaries = map[string]string{
	"GET /console":    "The operator console (HTML)",
	"GET /respond":    "The responder page (HTML)",
	"GET /evaluation": "The evaluator dashboard (HTML)",
	"GET /roster":     "The staff's roster: find, correct, retire and import responders (HTML)",
	"GET /static/":    "Scripts, styles and the basemap of the pages",
	// Residents' requests (requests.go).
	"GET /request":           "Residents ask for help: what, where, phone with an SMS code (HTML)",
	"GET /request/s/{token}": "A resident's request as its status link shows it, refreshed every 20 s (HTML)",
}

// pageEndpoints are the pages as documented endpoints.
func pageEndpoints() []otherEndpoint {
	var out []otherEndpoint
	for _, pattern := range PageRoutes {
		method, path, _ := strings.Cut(pattern, " ")
		summary := pageSummaries[pattern]
		if summary == "" {
			summary = "A web page"
		}
		contentType := "text/html"
		if strings.HasSuffix(path, "/") {
			contentType = "*/*" // assets of every kind
		}
		out = append(out, otherEndpoint{method, path, summary, contentType, []int{200, 404}, false})
	}
	return out
}

// docPath turns a ServeMux pattern's path into an OpenAPI path: "/{$}"
// is "/", and a subtree "/static/" is "/static/{path}".
func docPath(p string) string {
	if trimmed, ok := strings.CutSuffix(p, "{$}"); ok {
		return trimmed
	}
	if len(p) > 1 && strings.HasSuffix(p, "/") {
		return p + "{path}"
	}
	return p
}

// pathParams declares the {name} segments of an OpenAPI path.
func pathParams(path string) []any {
	var params []any
	for _, seg := range strings.Split(path, "/") {
		if name, ok := strings.CutPrefix(seg, "{"); ok {
			params = append(params, map[string]any{"name": strings.TrimSuffix(name, "}"), "in": "path", "required": true, "schema": map[string]any{"type": "string"}})
		}
	}
	return params
}

func buildOpenAPI(routes []route) ([]byte, error) {
	g := &schemaGen{defs: map[string]any{}}
	paths := map[string]map[string]any{}
	add := func(method, path string, op map[string]any) {
		path = docPath(path)
		if paths[path] == nil {
			paths[path] = map[string]any{}
		}
		paths[path][strings.ToLower(method)] = op
	}
	for _, rt := range routes {
		add(rt.method, rt.path, g.operation(rt))
	}
	for _, e := range append(slices.Clone(otherEndpoints), pageEndpoints()...) {
		responses := map[string]any{}
		for _, s := range e.statuses {
			r := map[string]any{"description": http.StatusText(s)}
			if e.contentType != "" && s == 200 {
				r["content"] = map[string]any{e.contentType: map[string]any{"schema": map[string]any{"type": "string"}}}
			}
			responses[strconv.Itoa(s)] = r
		}
		op := map[string]any{"operationId": operationID(e.method, e.path), "summary": e.summary, "responses": responses, "security": []any{}}
		if e.security {
			op["security"] = []any{map[string]any{"bearer": []string{}}}
		}
		if params := pathParams(docPath(e.path)); len(params) > 0 {
			op["parameters"] = params
		}
		add(e.method, e.path, op)
	}
	g.defs["Error"] = map[string]any{
		"type": "object", "required": []string{"error"},
		"properties": map[string]any{"error": map[string]any{
			"type": "object", "required": []string{"code", "message"},
			"properties": map[string]any{
				"code":    map[string]any{"type": "string", "description": "snake_case, stable: clients switch on it"},
				"message": map[string]any{"type": "string", "description": "a human sentence"},
			},
		}},
	}
	doc := map[string]any{
		"openapi": "3.1.0",
		"info": map[string]any{
			"title":   "Liandong",
			"version": "1",
			"description": "Emergency-response mobilisation. Errors are {\"error\":{\"code\",\"message\"}}; times are RFC 3339 in UTC. " +
				"Roles: admin, operator, coordinator (one organisation), evaluator (statistics only), responder (one person).",
		},
		"paths": paths,
		"components": map[string]any{
			"schemas":         g.defs,
			"securitySchemes": map[string]any{"bearer": map[string]any{"type": "http", "scheme": "bearer", "bearerFormat": "JWT"}},
		},
	}
	return json.MarshalIndent(doc, "", "  ")
}

func operationID(method, path string) string {
	var b strings.Builder
	b.WriteString(strings.ToLower(method))
	for _, part := range strings.FieldsFunc(docPath(path), func(r rune) bool { return strings.ContainsRune("/{}.$", r) }) {
		if part == "api" || part == "v1" {
			continue
		}
		b.WriteString(strings.ToUpper(part[:1]) + part[1:])
	}
	return b.String()
}

// operation documents one route.
func (g *schemaGen) operation(rt route) map[string]any {
	params := pathParams(rt.path)
	for _, q := range rt.query {
		params = append(params, map[string]any{"name": q.name, "in": "query", "description": q.doc, "schema": map[string]any{"type": q.kind}})
	}
	if rt.idempotent {
		params = append(params, map[string]any{"name": "Idempotency-Key", "in": "header",
			"description": "1..255 printable ASCII characters; a retry with the same key returns the first answer for 24 h",
			"schema":      map[string]any{"type": "string", "maxLength": maxIdempotencyKeyLen}})
	}
	ok := map[string]any{"description": http.StatusText(rt.status)}
	if rt.answer != nil {
		ok["content"] = map[string]any{"application/json": map[string]any{"schema": g.schema(reflect.TypeOf(rt.answer))}}
	}
	if len(rt.rawAnswers) > 0 {
		content := map[string]any{}
		for _, ct := range rt.rawAnswers {
			content[ct] = map[string]any{"schema": map[string]any{"type": "string"}}
		}
		ok["content"] = content
	}
	responses := map[string]any{strconv.Itoa(rt.status): ok}
	refusal := func(status int, why string) {
		responses[strconv.Itoa(status)] = map[string]any{"description": why,
			"content": map[string]any{"application/json": map[string]any{"schema": map[string]any{"$ref": "#/components/schemas/Error"}}}}
	}
	refusal(429, "rate limited; see Retry-After")
	refusal(500, "internal error")
	refusal(503, "the data store is not answering; nothing was changed; see Retry-After")
	desc := "Anyone; no token needed."
	op := map[string]any{"operationId": operationID(rt.method, rt.path), "summary": rt.summary, "security": []any{}}
	if rt.roles != nil {
		roles := make([]string, len(rt.roles))
		for i, r := range rt.roles {
			roles[i] = string(r)
		}
		desc = "Roles: " + strings.Join(roles, ", ") + "."
		if slices.Contains(rt.roles, RoleResponder) && len(rt.roles) < len(rolesAnyone) {
			desc += " A responder only for itself."
		}
		if slices.Contains(rt.roles, RoleCoordinator) {
			desc += " A coordinator only within its organisation."
		}
		op["security"] = []any{map[string]any{"bearer": []string{}}}
		op["x-roles"] = roles
		refusal(401, "no valid token")
		refusal(403, "the token's role may not do this")
	}
	if rt.body != nil || rt.rawBody != "" || len(rt.query) > 0 {
		refusal(400, "invalid request (code invalid_json or invalid_request)")
	}
	if len(params) > 0 && strings.Contains(rt.path, "{") {
		refusal(404, "not found")
	}
	if rt.method == "POST" || rt.method == "PUT" || rt.method == "PATCH" {
		refusal(413, "body too large")
		refusal(409, "conflict with the current state")
	}
	if rt.idempotent {
		refusal(422, "the Idempotency-Key was used for a different request")
	}
	if rt.login {
		responses["401"] = map[string]any{"description": "bad credentials", "content": map[string]any{"application/json": map[string]any{"schema": map[string]any{"$ref": "#/components/schemas/Error"}}}}
	}
	op["description"] = desc
	op["responses"] = responses
	if len(params) > 0 {
		op["parameters"] = params
	}
	if rt.rawBody != "" {
		op["requestBody"] = map[string]any{"required": true, "content": map[string]any{rt.rawBody: map[string]any{"schema": map[string]any{"type": "string"}}}}
	}
	if rt.body != nil {
		t := reflect.TypeOf(rt.body)
		op["requestBody"] = map[string]any{
			"required": t.NumField() > 0 && !isOptionalBody(t),
			"content":  map[string]any{"application/json": map[string]any{"schema": g.schema(t)}},
		}
	}
	return op
}

// isOptionalBody reports whether every field of a request may be left
// out, in which case an empty body is accepted too.
func isOptionalBody(t reflect.Type) bool {
	for f := range t.Fields() {
		if f.Tag.Get("api") == "required" {
			return false
		}
	}
	return true
}

// schemaGen turns Go types into JSON Schema (2020-12, as OpenAPI 3.1
// uses), each named struct once under components/schemas.
type schemaGen struct {
	defs map[string]any
}

// enums are the values of the API's named string types.
var enums = map[reflect.Type][]string{
	reflect.TypeFor[Role]():                     {"admin", "operator", "coordinator", "evaluator", "responder"},
	reflect.TypeFor[mobilize.Role]():            {"social_worker", "volunteer", "medic", "community_worker"},
	reflect.TypeFor[mobilize.Status]():          {"available", "offered", "busy", "off_duty"},
	reflect.TypeFor[mobilize.NeedStatus]():      {"open", "staffing", "staffed", "completed", "cancelled", "unstaffed", "pending_review", "rejected", "merged"},
	reflect.TypeFor[mobilize.AssignmentState](): {"offered", "accepted", "declined", "expired", "withdrawn", "completed"},
}

var timeType = reflect.TypeFor[time.Time]()
var rawType = reflect.TypeFor[json.RawMessage]()

func (g *schemaGen) schema(t reflect.Type) map[string]any {
	switch {
	case t == timeType:
		return map[string]any{"type": "string", "format": "date-time"}
	case t == rawType:
		return map[string]any{}
	}
	switch t.Kind() {
	case reflect.Pointer:
		inner := g.schema(t.Elem())
		if typ, ok := inner["type"].(string); ok {
			inner["type"] = []string{typ, "null"}
			return inner
		}
		return map[string]any{"oneOf": []any{inner, map[string]any{"type": "null"}}}
	case reflect.String:
		if values, ok := enums[t]; ok {
			return map[string]any{"type": "string", "enum": values}
		}
		return map[string]any{"type": "string"}
	case reflect.Bool:
		return map[string]any{"type": "boolean"}
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64, reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return map[string]any{"type": "integer"}
	case reflect.Float32, reflect.Float64:
		return map[string]any{"type": "number"}
	case reflect.Slice, reflect.Array:
		return map[string]any{"type": "array", "items": g.schema(t.Elem())}
	case reflect.Map:
		if t.Elem().Kind() == reflect.Interface {
			return map[string]any{"type": "object"}
		}
		return map[string]any{"type": "object", "additionalProperties": g.schema(t.Elem())}
	case reflect.Struct:
		name := strings.TrimSuffix(strings.ToUpper(t.Name()[:1])+t.Name()[1:], "JSON")
		if _, done := g.defs[name]; !done {
			g.defs[name] = map[string]any{} // placeholder against recursion
			g.defs[name] = g.object(t)
		}
		return map[string]any{"$ref": "#/components/schemas/" + name}
	}
	return map[string]any{}
}

// object documents a struct. A request type (named ...Request, or tagging
// fields api:"required") requires only its tagged fields and refuses
// unknown ones, as the decoder does; a response type always carries its
// fields that are not omitempty.
func (g *schemaGen) object(t reflect.Type) map[string]any {
	request := strings.HasSuffix(t.Name(), "Request") || !isOptionalBody(t)
	props := map[string]any{}
	var required []string
	var walk func(t reflect.Type)
	walk = func(t reflect.Type) {
		for f := range t.Fields() {
			if f.Anonymous && f.Type.Kind() == reflect.Struct {
				walk(f.Type) // embedded: its fields are promoted
				continue
			}
			name, opts, _ := strings.Cut(f.Tag.Get("json"), ",")
			if !f.IsExported() || name == "-" {
				continue
			}
			if name == "" {
				name = f.Name
			}
			ft := f.Type
			if request && ft.Kind() == reflect.Pointer {
				ft = ft.Elem() // a pointer only tells "absent" from zero; null is refused
			}
			s := g.schema(ft)
			if strings.HasSuffix(name, "_at") || name == "deadline" || name == "last_seen" {
				s["format"] = "date-time"
			}
			if _, isRef := s["$ref"]; isRef && f.Tag.Get("doc") != "" {
				s = map[string]any{"allOf": []any{s}}
			}
			if e := f.Tag.Get("enum"); e != "" {
				s["enum"] = strings.Split(e, ",")
			}
			if v := f.Tag.Get("format"); v != "" {
				s["format"] = v
			}
			if v := f.Tag.Get("doc"); v != "" {
				s["description"] = v
			}
			props[name] = s
			omit := strings.Contains(opts, "omitempty") || strings.Contains(opts, "omitzero")
			if (request && f.Tag.Get("api") == "required") || (!request && !omit) {
				required = append(required, name)
			}
		}
	}
	walk(t)
	out := map[string]any{"type": "object", "properties": props}
	if len(required) > 0 {
		out["required"] = required
	}
	if request {
		out["additionalProperties"] = false
	}
	return out
}
