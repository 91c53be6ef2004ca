package web

import (
	"context"
	"strings"
	"testing"

	"github.com/liandong/liandong/internal/redistest"
)

// TestBadInput sends refused requests to every endpoint that takes input
// and checks the status, the error code, and that Redis did not change.
func TestBadInput(t *testing.T) {
	e := newEmbeddedEnv(t)
	f := e.fixture()
	need := func(change func(m map[string]any)) map[string]any {
		m := map[string]any{"lat": testLat, "lng": testLng, "category": "flood", "urgency": 2,
			"team": []any{map[string]any{"role": "medic", "count": 1}}}
		change(m)
		return m
	}
	big := `{"name":"` + strings.Repeat("a", defaultMaxBodyBytes) + `","role":"medic"}`
	hugeBatch := `{"responders":[{"name":"` + strings.Repeat("a", maxBatchBodyBytes) + `","role":"medic"}]}`
	tooMany := `{"responders":[` + strings.Repeat(`{"name":"a","role":"medic"},`, maxBatch) + `{"name":"a","role":"medic"}]}`
	oneBad := `{"responders":[` + strings.Repeat(`{"name":"a","role":"medic"},`, 57) + `{"name":"a","role":"chef"},{"name":"b","role":"medic"}]}`

	type tc struct {
		name, caller, method string
		path                 func(*fixture) string
		body                 any
		headers              []string
		status               int
		code                 string
	}
	r1 := func(suffix string) func(*fixture) string {
		return func(f *fixture) string { return "/api/v1/responders/" + f.R1 + suffix }
	}
	n := func(id func(*fixture) string, suffix string) func(*fixture) string {
		return func(f *fixture) string { return "/api/v1/needs/" + id(f) + suffix }
	}
	n1 := func(f *fixture) string { return f.N1 }
	n2 := func(f *fixture) string { return f.N2 }
	nc := func(f *fixture) string { return f.NC }
	login, users, resp, batch, needs := fixed("/api/v1/auth/login"), fixed("/api/v1/users"), fixed("/api/v1/responders"), fixed("/api/v1/responders/batch"), fixed("/api/v1/needs")
	cases := []tc{
		{"login empty body", cNone, "POST", login, "", nil, 400, "invalid_json"},
		{"login missing password", cNone, "POST", login, `{"username":"op1"}`, nil, 400, "invalid_request"},
		{"login truncated", cNone, "POST", login, `{"username":"op1"`, nil, 400, "invalid_json"},
		{"login unknown field", cNone, "POST", login, `{"username":"op1","password":"x","otp":1}`, nil, 400, "invalid_json"},
		{"login wrong password", cNone, "POST", login, `{"username":"op1","password":"wrong-password"}`, nil, 401, "invalid_credentials"},
		{"login unknown user", cNone, "POST", login, `{"username":"ghost","password":"wrong-password"}`, nil, 401, "invalid_credentials"},

		{"user bad role", cAdmin, "POST", users, `{"username":"x-user","password":"long-enough-pw","role":"root"}`, nil, 400, "invalid_request"},
		{"user coordinator without org", cAdmin, "POST", users, `{"username":"x-user","password":"long-enough-pw","role":"coordinator"}`, nil, 400, "invalid_request"},
		{"user operator with org", cAdmin, "POST", users, `{"username":"x-user","password":"long-enough-pw","role":"operator","org_id":"o"}`, nil, 400, "invalid_request"},
		{"user short password", cAdmin, "POST", users, `{"username":"x-user","password":"short","role":"operator"}`, nil, 400, "invalid_request"},
		{"user bad name", cAdmin, "POST", users, `{"username":"X User","password":"long-enough-pw","role":"operator"}`, nil, 400, "invalid_request"},
		{"user exists", cAdmin, "POST", users, `{"username":"op1","password":"long-enough-pw","role":"operator"}`, nil, 409, "user_exists"},

		{"revoke bad jti", cOperator, "POST", fixed("/api/v1/auth/revoke"), `{"jti":"xyz"}`, nil, 400, "invalid_request"},
		{"revoke another's token", cOperator, "POST", fixed("/api/v1/auth/revoke"), `{"jti":"0123456789abcdef0123456789abcdef"}`, nil, 403, "forbidden"},

		{"responder empty name", cOperator, "POST", resp, `{"name":" ","role":"medic"}`, nil, 400, "invalid_request"},
		{"responder bad role", cOperator, "POST", resp, `{"name":"A","role":"chef"}`, nil, 400, "invalid_request"},
		{"responder unknown field", cOperator, "POST", resp, `{"name":"A","role":"medic","age":30}`, nil, 400, "invalid_json"},
		{"responder wrong type", cOperator, "POST", resp, `{"name":5,"role":"medic"}`, nil, 400, "invalid_json"},
		{"responder trailing data", cOperator, "POST", resp, `{"name":"A","role":"medic"}{}`, nil, 400, "invalid_json"},
		{"responder array body", cOperator, "POST", resp, `[{"name":"A","role":"medic"}]`, nil, 400, "invalid_json"},
		{"responder null body", cOperator, "POST", resp, `null`, nil, 400, "invalid_json"},
		{"responder max_concurrent -1", cOperator, "POST", resp, `{"name":"A","role":"medic","max_concurrent":-1}`, nil, 400, "invalid_request"},
		{"responder max_concurrent 11", cOperator, "POST", resp, `{"name":"A","role":"medic","max_concurrent":11}`, nil, 400, "invalid_request"},
		{"responder skill with separator", cOperator, "POST", resp, `{"name":"A","role":"medic","skills":["a|b"]}`, nil, 400, "invalid_request"},
		{"responder bad certification", cOperator, "POST", resp, `{"name":"A","role":"medic","certifications":[{"skill":"cpr","expires_at":"next year"}]}`, nil, 400, "invalid_request"},
		{"responder phone letters", cOperator, "POST", resp, `{"name":"A","role":"medic","phone":"call me"}`, nil, 400, "invalid_request"},
		{"responder name too long", cOperator, "POST", resp, `{"name":"` + strings.Repeat("x", 201) + `","role":"medic"}`, nil, 400, "invalid_request"},
		{"responder control character", cOperator, "POST", resp, `{"name":"A\u0007","role":"medic"}`, nil, 400, "invalid_request"},
		{"responder body over 1 MiB", cOperator, "POST", resp, big, nil, 413, "body_too_large"},
		{"responder other organisation", cCoord, "POST", resp, `{"name":"A","role":"medic","org_id":"org-b"}`, nil, 403, "forbidden"},
		{"responder bad idempotency key", cOperator, "POST", resp, `{"name":"A","role":"medic"}`, []string{"Idempotency-Key", strings.Repeat("k", 256)}, 400, "invalid_idempotency_key"},

		{"batch empty", cOperator, "POST", batch, `{"responders":[]}`, nil, 400, "invalid_request"},
		{"batch missing list", cOperator, "POST", batch, `{}`, nil, 400, "invalid_request"},
		{"batch one bad entry", cOperator, "POST", batch, oneBad, nil, 400, "invalid_request"},
		{"batch over 10,000", cOperator, "POST", batch, tooMany, nil, 400, "invalid_request"},
		{"batch over 16 MiB", cOperator, "POST", batch, hugeBatch, nil, 413, "body_too_large"},
		{"batch other organisation", cCoord, "POST", batch, `{"responders":[{"name":"a","role":"medic"},{"name":"b","role":"medic","org_id":"org-b"}]}`, nil, 403, "forbidden"},

		{"location lat 91", cResponder, "PUT", r1("/location"), `{"lat":91,"lng":121}`, nil, 400, "invalid_request"},
		{"location lng -181", cResponder, "PUT", r1("/location"), `{"lat":37,"lng":-181}`, nil, 400, "invalid_request"},
		{"location missing lng", cResponder, "PUT", r1("/location"), `{"lat":37}`, nil, 400, "invalid_request"},
		{"location lat as string", cResponder, "PUT", r1("/location"), `{"lat":"37","lng":121}`, nil, 400, "invalid_json"},
		{"location unknown responder", cOperator, "PUT", fixed("/api/v1/responders/nobody/location"), `{"lat":37,"lng":121}`, nil, 404, "not_found"},
		{"location id with colon", cOperator, "PUT", fixed("/api/v1/responders/a:b/location"), `{"lat":37,"lng":121}`, nil, 404, "not_found"},
		{"status busy", cResponder, "PUT", r1("/status"), `{"status":"busy"}`, nil, 400, "invalid_request"},
		{"status empty", cResponder, "PUT", r1("/status"), `{"status":""}`, nil, 400, "invalid_request"},
		{"status unknown responder", cOperator, "PUT", fixed("/api/v1/responders/nobody/status"), `{"status":"available"}`, nil, 404, "not_found"},
		{"get unknown responder", cOperator, "GET", fixed("/api/v1/responders/nobody"), nil, nil, 404, "not_found"},
		{"offers unknown responder", cOperator, "GET", fixed("/api/v1/responders/nobody/offers"), nil, nil, 404, "not_found"},
		{"token unknown responder", cOperator, "POST", fixed("/api/v1/responders/nobody/token"), nil, nil, 404, "not_found"},

		{"need urgency 0", cOperator, "POST", needs, need(func(m map[string]any) { m["urgency"] = 0 }), nil, 400, "invalid_request"},
		{"need urgency 5", cOperator, "POST", needs, need(func(m map[string]any) { m["urgency"] = 5 }), nil, 400, "invalid_request"},
		{"need urgency missing", cOperator, "POST", needs, need(func(m map[string]any) { delete(m, "urgency") }), nil, 400, "invalid_request"},
		{"need urgency 1.5", cOperator, "POST", needs, need(func(m map[string]any) { m["urgency"] = 1.5 }), nil, 400, "invalid_json"},
		{"need no team", cOperator, "POST", needs, need(func(m map[string]any) { m["team"] = []any{} }), nil, 400, "invalid_request"},
		{"need team bad role", cOperator, "POST", needs, need(func(m map[string]any) { m["team"] = []any{map[string]any{"role": "chef", "count": 1}} }), nil, 400, "invalid_request"},
		{"need team count 0", cOperator, "POST", needs, need(func(m map[string]any) { m["team"] = []any{map[string]any{"role": "medic", "count": 0}} }), nil, 400, "invalid_request"},
		{"need team count 51", cOperator, "POST", needs, need(func(m map[string]any) { m["team"] = []any{map[string]any{"role": "medic", "count": 51}} }), nil, 400, "invalid_request"},
		{"need team unknown field", cOperator, "POST", needs, need(func(m map[string]any) { m["team"] = []any{map[string]any{"role": "medic", "count": 1, "x": 1}} }), nil, 400, "invalid_json"},
		{"need lat -91", cOperator, "POST", needs, need(func(m map[string]any) { m["lat"] = -91 }), nil, 400, "invalid_request"},
		{"need lng missing", cOperator, "POST", needs, need(func(m map[string]any) { delete(m, "lng") }), nil, 400, "invalid_request"},
		{"need category empty", cOperator, "POST", needs, need(func(m map[string]any) { m["category"] = "" }), nil, 400, "invalid_request"},
		{"need description too long", cOperator, "POST", needs, need(func(m map[string]any) { m["description"] = strings.Repeat("d", 2001) }), nil, 400, "invalid_request"},
		{"need deadline past", cOperator, "POST", needs, need(func(m map[string]any) { m["deadline"] = "2026-11-28T11:00:00Z" }), nil, 400, "invalid_request"},
		{"need unknown field", cOperator, "POST", needs, need(func(m map[string]any) { m["priority"] = "high" }), nil, 400, "invalid_json"},
		{"need other organisation", cCoord, "POST", needs, need(func(m map[string]any) { m["org_id"] = "org-b" }), nil, 403, "forbidden"},
		{"need bad idempotency key", cOperator, "POST", needs, need(func(map[string]any) {}), []string{"Idempotency-Key", "a b"}, 400, "invalid_idempotency_key"},
		{"list bad status", cOperator, "GET", fixed("/api/v1/needs?status=done"), nil, nil, 400, "invalid_request"},
		{"list limit 0", cOperator, "GET", fixed("/api/v1/needs?limit=0"), nil, nil, 400, "invalid_request"},
		{"list limit text", cOperator, "GET", fixed("/api/v1/needs?limit=all"), nil, nil, 400, "invalid_request"},
		{"get unknown need", cOperator, "GET", fixed("/api/v1/needs/n000"), nil, nil, 404, "not_found"},
		{"get need id with colon", cOperator, "GET", fixed("/api/v1/needs/x:asg"), nil, nil, 404, "not_found"},
		{"cancel unknown need", cOperator, "POST", fixed("/api/v1/needs/n000/cancel"), nil, nil, 404, "not_found"},
		{"cancel with a body", cOperator, "POST", n(n1, "/cancel"), `{"reason":"x"}`, nil, 400, "invalid_json"},
		{"cancel cancelled need", cOperator, "POST", n(nc, "/cancel"), nil, nil, 409, "invalid_transition"},
		{"complete open need", cResponder, "POST", n(n1, "/complete"), nil, nil, 409, "invalid_transition"},
		{"complete unknown need", cResponder, "POST", fixed("/api/v1/needs/n000/complete"), nil, nil, 404, "not_found"},
		{"complete note too long", cResponder, "POST", n(n2, "/complete"), `{"note":"` + strings.Repeat("n", 2001) + `"}`, nil, 400, "invalid_request"},
		{"accept unknown offer", cResponder, "POST", fixed("/api/v1/offers/o000/accept"), nil, nil, 404, "not_found"},
		{"accept with a body", cResponder, "POST", func(f *fixture) string { return "/api/v1/offers/" + f.O1 + "/accept" }, `{"now":true}`, nil, 400, "invalid_json"},
		{"decline unknown offer", cResponder, "POST", fixed("/api/v1/offers/o000/decline"), nil, nil, 404, "not_found"},
		{"audit limit 5000", cAdmin, "GET", fixed("/api/v1/audit?limit=5000"), nil, nil, 400, "invalid_request"},
		{"audit bad before", cAdmin, "GET", fixed("/api/v1/audit?before=yesterday"), nil, nil, 400, "invalid_request"},
		{"unknown endpoint", cOperator, "GET", fixed("/api/v1/teams"), nil, nil, 404, "not_found"},
		{"wrong method", cOperator, "DELETE", n(n1, ""), nil, nil, 405, "method_not_allowed"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			before := redistest.Snapshot(t, e.rdb)
			r := e.do(c.method, c.path(f), f.tokens[c.caller], c.body, c.headers...)
			if r.Status != c.status {
				t.Fatalf("status %d, want %d: %.300s", r.Status, c.status, r.Body)
			}
			if code := r.ErrorCode(t); code != c.code {
				t.Fatalf("code %s, want %s: %.300s", code, c.code, r.Body)
			}
			if c.status == 401 {
				// A wrong password is counted against the username
				// (loginlimit.go): the one write a refusal makes.
				forgetFailedLogins(t, e)
			}
			if after := redistest.Snapshot(t, e.rdb); after != before {
				t.Fatalf("Redis changed:\nbefore %s\nafter  %s", before, after)
			}
		})
	}
	// The one bad entry of a batch is named.
	r := e.do("POST", "/api/v1/responders/batch", f.tokens[cOperator], oneBad)
	if !strings.Contains(string(r.Body), "responders[57].role") {
		t.Fatalf("batch refusal does not name the entry: %s", r.Body)
	}
}

// The body limit is the configured one (http.max_body_bytes), not a
// constant: a body over it is 413, one under it is read.
func TestConfiguredBodyLimit(t *testing.T) {
	e := newEmbeddedEnv(t, func(o *APIOptions) { o.MaxBodyBytes = 200 })
	op := e.token("op", RoleOperator, "")
	small := map[string]any{"name": "Li", "role": "volunteer"}
	e.do("POST", "/api/v1/responders", op, small).Want(t, 201)
	big := map[string]any{"name": strings.Repeat("a", 300), "role": "volunteer"}
	if code := e.do("POST", "/api/v1/responders", op, big).Want(t, 413).ErrorCode(t); code != "body_too_large" {
		t.Fatalf("code %s, want body_too_large", code)
	}
}

// forgetFailedLogins deletes the failed-login counters.
func forgetFailedLogins(t *testing.T, e *env) {
	t.Helper()
	ctx := context.Background()
	keys, err := e.rdb.Keys(ctx, e.key("auth:login:")+"*").Result()
	if err != nil {
		t.Fatal(err)
	}
	if len(keys) > 0 {
		if err := e.rdb.Del(ctx, keys...).Err(); err != nil {
			t.Fatal(err)
		}
	}
}
