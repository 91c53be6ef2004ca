package web

import (
	"encoding/json"
	"fmt"
	"testing"

	"github.com/liandong/liandong/internal/redistest"
	"github.com/liandong/liandong/internal/testkit"
	"github.com/liandong/liandong/realtime"
)

// Fuzz targets at the doors, on a running API over the embedded Redis:
// every route that takes a body, chosen by the input, and every message a
// responder's socket accepts. Whatever the input: no panic, no 5xx (no
// "internal" on the socket), and a refusal changes nothing.

// bodyRoutes are the routes that read a body, in table order, each with
// a caller it admits.
func bodyRoutes(e *env) []route {
	var out []route
	for _, rt := range e.api.routes {
		if rt.method == "POST" || rt.method == "PUT" {
			out = append(out, rt)
		}
	}
	return out
}

// admitted is the token of a caller the route admits: admin where it may,
// else a responder, else none (a public route).
func admitted(rt route, f *fixture) string {
	for _, c := range []string{cAdmin, cResponder, cEvaluator} {
		for _, r := range rt.roles {
			if r == callerRoles[c] {
				return f.tokens[c]
			}
		}
	}
	return ""
}

// FuzzRouteBodies sends the input's body to the route the input picks
// (modulo the number of body routes), as a caller the route admits.
func FuzzRouteBodies(f *testing.F) {
	e := newEmbeddedEnv(f)
	fx := e.fixture()
	e.do("POST", "/api/v1/areas", fx.tokens[cAdmin], webTestTree()).Want(f, 200)
	routes := bodyRoutes(e)
	// Seeds: for every route, the empty object, and the valid body of the
	// hand-written auth matrix where it has one.
	valid := map[string][]byte{}
	for _, mr := range matrixRoutes() {
		if mr.body != nil {
			valid[mr.method+" "+mr.pattern] = []byte(testkit.MustJSON(f, mr.body(fx)))
		}
	}
	for i, rt := range routes {
		f.Add(uint8(i), []byte("{}"))
		f.Add(uint8(i), []byte(`{"id":"x","lat":1e400,"name":"\u0000"}`))
		if b, ok := valid[rt.method+" "+rt.path]; ok {
			f.Add(uint8(i), b)
		}
	}
	base := captureState(f, e.rdb)
	f.Fuzz(func(t *testing.T, pick uint8, body []byte) {
		e.t = t // the env's helpers fail the input, not the target
		rt := routes[int(pick)%len(routes)]
		before := redistest.Snapshot(t, e.rdb)
		r := e.do(rt.method, matrixPath(rt.path, fx), admitted(rt, fx), string(body))
		name := fmt.Sprintf("%s %s with %q", rt.method, rt.path, body)
		if r.Status >= 500 {
			t.Fatalf("%s: %d %s", name, r.Status, r.Body)
		}
		if r.Status >= 400 {
			r.ErrorCode(t) // the uniform error body
			if r.Status == 401 {
				forgetFailedLogins(t, e) // a wrong password is counted
			}
			if after := redistest.Snapshot(t, e.rdb); after != before {
				t.Fatalf("%s: refused with %d, but Redis changed:\nbefore %s\nafter  %s", name, r.Status, before, after)
			}
			return
		}
		restoreState(t, e.rdb, base) // the next input meets the same city
	})
}

// FuzzSocketMessage sends a responder's socket each message type with the
// input's data (quoted as a JSON string when it is not JSON).
func FuzzSocketMessage(f *testing.F) {
	e := newEmbeddedEnv(f)
	fx := e.fixture()
	// No message rate limit: the fuzzer sends as fast as it can.
	door := dialResponder(f, e, fx.tokens[cResponder], func(o *realtime.HubOptions) { o.RateLimit.PerSecond = -1 })
	types := []string{"location", "status", "accept", "decline", "complete", "subscribe", "ack"}
	for i, data := range []string{
		`{"lat":37.46,"lng":121.45}`, `{"status":"off_duty"}`, `{"offer_id":"` + fx.O1 + `"}`, `{"offer_id":"o-none"}`,
		`{"need_id":"` + fx.N2 + `","note":"done"}`, `{"bbox":[121,37,122,38]}`, `{"id":"0-1"}`,
	} {
		f.Add(uint8(i), []byte(data))
		f.Add(uint8(i), []byte(`{}`))
		f.Add(uint8(i), []byte(`null`))
		f.Add(uint8(i), []byte(`{"lat":"x","offer_id":7,"extra":true}`))
	}
	f.Fuzz(func(t *testing.T, pick uint8, data []byte) {
		e.t, door.sock.T = t, t
		typ := types[int(pick)%len(types)]
		raw := string(data)
		if !json.Valid(data) {
			raw = testkit.MustJSON(t, string(data))
		}
		before := redistest.Snapshot(t, e.rdb)
		code := door.send(typ, raw)
		if code == "internal" {
			t.Fatalf("%s %s: internal error", typ, raw)
		}
		if code != "" {
			if after := redistest.Snapshot(t, e.rdb); after != before {
				t.Fatalf("%s %s: refused with %s, but Redis changed:\nbefore %s\nafter  %s", typ, raw, code, before, after)
			}
		}
	})
}
