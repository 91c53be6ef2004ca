package web

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"
	"time"

	"go.uber.org/zap"

	"github.com/liandong/liandong/internal/testkit"
	"github.com/liandong/liandong/mobilize"
	"github.com/liandong/liandong/realtime"
	"github.com/liandong/liandong/realtime/redisrt"
)

// described names each event with the fields a console acts on.
func described(events []mobilize.Event) []string {
	out := make([]string, len(events))
	for i, e := range events {
		out[i] = describeEvent(e)
	}
	return out
}

// describeEvent names an event with the fields a console acts on.
func describeEvent(e mobilize.Event) string {
	if m, ok := e.(mobilize.ResponderMoved); ok {
		return fmt.Sprintf("responder.moved %s %s %v", m.Responder, m.Status, m.Point.Lat())
	}
	return fmt.Sprintf("%T", e)
}

// wsDoor is a responder's socket to a test server.
type wsDoor struct {
	sock *testkit.Socket
	seq  int
}

// doorRead is how long a door waits for each message from the server.
const doorRead = 5 * time.Second

func dialResponder(t testing.TB, e *env, token string, hubOpts ...func(*realtime.HubOptions)) *wsDoor {
	t.Helper()
	inbox, broker := redisrt.New(e.rdb, testPrefix, redisrt.Options{})
	// The hub keeps the env's clock, which issued the tokens: a socket
	// closes when its token expires by that clock.
	ho := realtime.HubOptions{Inbox: inbox, Broker: broker, Logger: zap.NewNop(), Now: e.clock.Now}
	for _, f := range hubOpts {
		f(&ho)
	}
	hub, err := realtime.New(ho)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	if err := hub.Run(ctx); err != nil {
		t.Fatal(err)
	}
	e.srv.Handle("GET /ws", e.api.WebsocketHandler(SocketDeps{Hub: hub, Log: zap.NewNop(), Now: e.clock.Now}))
	ts := httptest.NewServer(e.srv)
	// Cleanups run last first: the socket, which Dial registers, closes
	// before the hub and the server.
	t.Cleanup(func() {
		sctx, done := context.WithTimeout(context.Background(), 2*time.Second)
		hub.Shutdown(sctx)
		done()
		cancel()
		ts.Close()
	})
	d := &wsDoor{sock: testkit.Dial(t, ts.URL, token, "")}
	if typ := d.sock.Read(doorRead).Type; typ != "welcome" {
		t.Fatalf("first message %q, want welcome", typ)
	}
	return d
}

// send sends one message and returns the code of the error it drew, or
// "" when it drew none. A message that succeeds has no answer, so a probe
// that always fails (an unknown type) follows it: the first error carrying
// the message's own id is its refusal; the probe's error means none.
func (d *wsDoor) send(typ, data string) string {
	d.sock.T.Helper()
	d.seq++
	id, probe := fmt.Sprintf("m%d", d.seq), fmt.Sprintf("probe%d", d.seq)
	d.sock.Send(typ, id, data)
	d.sock.Send("no_such_type", probe, nil) // data null, which reads as none
	for {
		env := d.sock.Read(doorRead)
		if env.Type != "error" {
			continue
		}
		var e struct{ Code string }
		env.Decode(d.sock.T, &e)
		switch env.ID {
		case id:
			d.sock.Read(doorRead) // the probe's error
			return e.Code
		case probe:
			return ""
		}
	}
}

// refusalKind folds each door's error code into the domain's kind of
// refusal: the doors word codes for their own clients (a socket says
// invalid_location where HTTP says invalid_request), but must refuse the
// same things for the same reason.
func refusalKind(code string) string {
	switch code {
	case "":
		return "ok"
	case "invalid_request", "invalid_json", "invalid_message", "invalid_location":
		return "invalid"
	}
	return code
}

// TestResponderActionsAgreeOnBothDoors runs each of a responder's presence
// actions through HTTP and through the websocket, each on a fresh server
// holding the same responder, and checks that both doors refuse the same
// inputs, tell the consoles the same events and write the same audit.
func TestResponderActionsAgreeOnBothDoors(t *testing.T) {
	actions := []struct {
		name, typ, data string
		want            string   // refusal kind
		events          []string // described, after the set-up's
	}{
		{"location", "location", `{"lat":37.54,"lng":121.40}`, "ok", []string{"responder.moved RID available 37.54"}},
		{"location out of range", "location", `{"lat":95,"lng":121.40}`, "invalid", nil},
		{"location without lng", "location", `{"lat":37.54}`, "invalid", nil},
		{"location not JSON numbers", "location", `{"lat":"north","lng":121.4}`, "invalid", nil},
		{"location with an unknown field", "location", `{"lat":37.54,"lng":121.4,"alt":3}`, "invalid", nil},
		{"off duty", "status", `{"status":"off_duty"}`, "ok", []string{"responder.moved RID off_duty 37.53"}},
		{"on duty", "status", `{"status":"available"}`, "ok", []string{"responder.moved RID available 37.53"}},
		{"status unknown", "status", `{"status":"busy"}`, "invalid", nil},
	}
	type outcome struct {
		Kind   string
		Events []string
		Audit  int
	}
	run := func(t *testing.T, door, typ, data string) outcome {
		e := newEmbeddedEnv(t)
		admin := e.token("admin", RoleAdmin, "")
		var reg struct{ ID, Token string }
		e.do("POST", "/api/v1/responders", admin, map[string]any{"name": "李华", "role": "volunteer"}).Want(t, 201).Decode(t, &reg)
		e.do("PUT", "/api/v1/responders/"+reg.ID+"/location", reg.Token, `{"lat":37.53,"lng":121.39}`).Want(t, 204)
		auditBefore := len(e.auditEntries(t, admin))
		e.events.Take()

		var code string
		switch door {
		case "http":
			path := "/api/v1/responders/" + reg.ID + "/" + typ
			if r := e.do("PUT", path, reg.Token, data); r.Status != http.StatusNoContent {
				code = r.ErrorCode(t)
			}
		case "socket":
			code = dialResponder(t, e, reg.Token).send(typ, data)
		}
		events := described(e.events.Take())
		for i := range events {
			events[i] = strings.ReplaceAll(events[i], reg.ID, "RID")
		}
		return outcome{Kind: refusalKind(code), Events: events, Audit: len(e.auditEntries(t, admin)) - auditBefore}
	}
	for _, a := range actions {
		t.Run(a.name, func(t *testing.T) {
			viaHTTP := run(t, "http", a.typ, a.data)
			viaSocket := run(t, "socket", a.typ, a.data)
			want := outcome{Kind: a.want, Events: a.events, Audit: 0}
			if want.Events == nil {
				want.Events = []string{}
			}
			for door, got := range map[string]outcome{"http": viaHTTP, "socket": viaSocket} {
				if got.Kind != want.Kind || !slices.Equal(got.Events, want.Events) || got.Audit != want.Audit {
					t.Errorf("over %s: %+v, want %+v", door, got, want)
				}
			}
		})
	}
}

// auditEntries reads the audit log through the API.
func (e *env) auditEntries(t *testing.T, admin string) []json.RawMessage {
	t.Helper()
	var out struct{ Entries []json.RawMessage }
	e.do("GET", "/api/v1/audit?limit=1000", admin, nil).Want(t, 200).Decode(t, &out)
	return out.Entries
}
