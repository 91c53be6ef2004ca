package realtime

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/gorilla/websocket"
	"github.com/redis/go-redis/v9"

	"github.com/liandong/liandong/realtime/wire"
)

// seen is one console event as a client got it.
type seen struct {
	typ string
	n   int     // need.updated: its n
	rid string  // responder.moved: who
	lat float64 // responder.moved: where
}

func (e seen) String() string {
	if e.typ == wire.TypeResponderMoved {
		return fmt.Sprintf("moved(%s@%g)", e.rid, e.lat)
	}
	return fmt.Sprintf("%s(%d)", e.typ, e.n)
}

func seenOf(t testing.TB, env Envelope) seen {
	t.Helper()
	var d struct {
		N           int     `json:"n"`
		ResponderID string  `json:"responder_id"`
		Lat         float64 `json:"lat"`
	}
	if err := json.Unmarshal(env.Data, &d); err != nil {
		t.Fatalf("event %s: %v", env.Data, err)
	}
	return seen{typ: env.Type, n: d.N, rid: d.ResponderID, lat: d.Lat}
}

// readFrame reads one frame; a v1 socket's must be one envelope, an
// "events" frame's list is unpacked, each item a whole envelope.
func (c *client) readFrame() (typ string, events []seen) {
	c.t.Helper()
	_ = c.conn.SetReadDeadline(time.Now().Add(10 * time.Second))
	mt, msg, err := c.conn.ReadMessage()
	if err != nil {
		c.t.Fatalf("read: %v", err)
	}
	if mt != websocket.TextMessage {
		c.t.Fatalf("frame type %d, want text", mt)
	}
	env, err := DecodeEnvelope(msg)
	if err != nil {
		c.t.Fatalf("frame %s is not one envelope: %v", msg, err)
	}
	if env.Type != wire.TypeEvents {
		return env.Type, []seen{seenOf(c.t, env)}
	}
	var body wire.Events
	dec := json.NewDecoder(bytes.NewReader(env.Data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&body); err != nil || len(body.Events) == 0 {
		c.t.Fatalf("events frame %s: %v (%d events)", env.Data, err, len(body.Events))
	}
	for _, raw := range body.Events {
		inner, err := DecodeEnvelope(raw)
		if err != nil || inner.TS.IsZero() || inner.ID != "" {
			c.t.Fatalf("event %s in an events frame: %v; want a whole live envelope", raw, err)
		}
		events = append(events, seenOf(c.t, inner))
	}
	return env.Type, events
}

func publishN(t testing.TB, h *Hub, n int) {
	t.Helper()
	if err := h.Publish(context.Background(), []string{"c1"}, "need.updated", map[string]int{"n": n}); err != nil {
		t.Fatal(err)
	}
}

func publishMove(t testing.TB, h *Hub, rid string, lat float64) {
	t.Helper()
	d := wire.ResponderMoved{ResponderID: rid, Role: "volunteer", Status: "available", Lat: lat, Lng: 121.4, At: "2026-11-29T03:43:03.001Z"}
	if err := h.Publish(context.Background(), []string{"c1"}, wire.TypeResponderMoved, d); err != nil {
		t.Fatal(err)
	}
}

// window is long enough that what a test publishes after the first event
// surely lands in one window, even on a loaded machine.
const window = time.Second

// publishWindow publishes, after the event that opens the window, moves
// of two responders between other events. Coalesced, r1's three moves
// become its last, sent after need.updated(2) which came before it; r2's
// one move stays where it was.
func publishWindow(t testing.TB, h *Hub) {
	publishMove(t, h, "r1", 1)
	publishN(t, h, 1)
	publishMove(t, h, "r2", 1)
	publishMove(t, h, "r1", 2)
	publishN(t, h, 2)
	publishMove(t, h, "r1", 3)
}

var wantWindow = []seen{
	{typ: "need.updated", n: 1},
	{typ: wire.TypeResponderMoved, rid: "r2", lat: 1},
	{typ: "need.updated", n: 2},
	{typ: wire.TypeResponderMoved, rid: "r1", lat: 3},
}

func sameEvents(a, b []seen) bool {
	return fmt.Sprint(a) == fmt.Sprint(b)
}

func dialFrames(t testing.TB, url string) *client {
	t.Helper()
	c, resp, err := testDialer.Dial(url, nil)
	if resp != nil && resp.Body != nil {
		resp.Body.Close()
	}
	if err != nil {
		t.Fatalf("dial %s: %v", url, err)
	}
	t.Cleanup(func() { c.Close() })
	return &client{t: t, conn: c}
}

// TestCoalesceV1KeepsLatestMoveAndOrder: a v1 console (no frames
// parameter) gets one envelope per frame; within a window a responder's
// moves become its latest, placed after every event that came before it,
// and the other events come exactly, in order. The first event after a
// quiet window goes at once.
func TestCoalesceV1KeepsLatestMoveAndOrder(t *testing.T) {
	backends(t, func(t *testing.T, rdb redis.UniversalClient) {
		h := newHub(t, rdb, HubOptions{ConsoleCoalesce: window})
		c := dial(t, serve(t, h, testHandler{}), "op-a", "")
		c.subscribe(`["c1"]`)

		start := time.Now()
		publishN(t, h, 0)
		if typ, got := c.readFrame(); typ != "need.updated" || got[0].n != 0 {
			t.Fatalf("first event: %s %v", typ, got)
		}
		if waited := time.Since(start); waited > window/2 {
			t.Errorf("the first event of a quiet window waited %v", waited)
		}
		publishWindow(t, h)
		var got []seen
		for len(got) < len(wantWindow) {
			typ, evs := c.readFrame()
			if typ == wire.TypeEvents {
				t.Fatalf("a v1 socket got an events frame")
			}
			got = append(got, evs...)
		}
		if !sameEvents(got, wantWindow) {
			t.Fatalf("got %v, want %v", got, wantWindow)
		}
		c.echo("nothing-else-pending")
		if st := h.Stats(); st.CoalescedMoves != 2 || st.EventFlushes != 0 {
			t.Fatalf("stats: %d moves coalesced, %d events flushes; want 2, 0", st.CoalescedMoves, st.EventFlushes)
		}
	})
}

// TestCoalesceEventsFramesOptIn: a console that asks (?frames=events) gets
// a window's events in one "events" frame, coalesced the same way, while a
// v1 console on the same channel still gets one object per frame.
func TestCoalesceEventsFramesOptIn(t *testing.T) {
	h := newHub(t, embedded(t), HubOptions{ConsoleCoalesce: window})
	srv := serve(t, h, testHandler{})
	b := dialFrames(t, wsURL(srv, "op-b", "")+"&frames=events")
	v1 := dial(t, srv, "op-v1", "")
	b.subscribe(`["c1"]`)
	v1.subscribe(`["c1"]`)

	publishN(t, h, 0)
	if typ, got := b.readFrame(); typ != wire.TypeEvents || !sameEvents(got, []seen{{typ: "need.updated"}}) {
		t.Fatalf("first frame: %s %v", typ, got)
	}
	publishWindow(t, h)
	typ, got := b.readFrame()
	if typ != wire.TypeEvents || !sameEvents(got, wantWindow) {
		t.Fatalf("window frame: %s %v, want one events frame %v", typ, got, wantWindow)
	}
	b.echo("nothing-else-pending")

	var v1got []seen
	for len(v1got) < 1+len(wantWindow) {
		typ, evs := v1.readFrame()
		if typ == wire.TypeEvents || len(evs) != 1 {
			t.Fatalf("v1 socket got %s with %d events", typ, len(evs))
		}
		v1got = append(v1got, evs...)
	}
	if want := append([]seen{{typ: "need.updated"}}, wantWindow...); !sameEvents(v1got, want) {
		t.Fatalf("v1 socket got %v, want %v", v1got, want)
	}
	if st := h.Stats(); st.EventFlushes != 2 {
		t.Fatalf("events flushes %d, want 2", st.EventFlushes)
	}
}

// TestCoalesceOffSendsSingleFrames: with no window, a socket that asked
// for events frames gets every event alone, every move included, as the
// protocol warns.
func TestCoalesceOffSendsSingleFrames(t *testing.T) {
	h := newHub(t, embedded(t), HubOptions{})
	srv := serve(t, h, testHandler{})
	b := dialFrames(t, wsURL(srv, "op-b", "")+"&frames=events")
	b.subscribe(`["c1"]`)
	publishWindow(t, h)
	var got []seen
	for range 6 {
		typ, evs := b.readFrame()
		if typ == wire.TypeEvents {
			t.Fatalf("events frame without coalescing")
		}
		got = append(got, evs...)
	}
	want := "[moved(r1@1) need.updated(1) moved(r2@1) moved(r1@2) need.updated(2) moved(r1@3)]"
	if fmt.Sprint(got) != want {
		t.Fatalf("got %v, want %s", got, want)
	}
}

// TestFramesParameterChecked: an unknown frames value is refused before
// the upgrade, with a 400 that says what is allowed.
func TestFramesParameterChecked(t *testing.T) {
	h := newHub(t, embedded(t), HubOptions{ConsoleCoalesce: window})
	srv := serve(t, h, testHandler{})
	_, resp, err := testDialer.Dial(wsURL(srv, "op-x", "")+"&frames=batch", nil)
	if err == nil || resp == nil || resp.StatusCode != http.StatusBadRequest {
		t.Fatalf("frames=batch: err %v, response %v; want 400", err, resp)
	}
	var body bytes.Buffer
	_, _ = body.ReadFrom(resp.Body)
	resp.Body.Close()
	if !strings.Contains(body.String(), `"events"`) {
		t.Fatalf("400 body %q does not say what is allowed", body.String())
	}
	if h.Stats().Accepted != 0 {
		t.Fatalf("a refused socket was accepted")
	}
}

// TestCoalesceDeliversLatestOfEveryResponder: a flood of moves of many
// responders mixed with other events, over many windows: every
// responder's last position arrives, no move goes back in time, and every
// other event arrives once, in order.
func TestCoalesceDeliversLatestOfEveryResponder(t *testing.T) {
	h := newHub(t, embedded(t), HubOptions{ConsoleCoalesce: 5 * time.Millisecond})
	srv := serve(t, h, testHandler{})
	b := dialFrames(t, wsURL(srv, "op-b", "")+"&frames=events")
	v1 := dial(t, srv, "op-v1", "")
	b.subscribe(`["c1"]`)
	v1.subscribe(`["c1"]`)

	const responders, moves, every = 50, 3000, 10
	for i := range moves {
		publishMove(t, h, fmt.Sprintf("r%d", i%responders), float64(i))
		if i%every == 0 {
			publishN(t, h, i/every)
		}
	}
	publishN(t, h, -1) // the end
	for _, c := range []*client{b, v1} {
		last := map[string]float64{}
		next := 0
		for done := false; !done; {
			_, evs := c.readFrame()
			for _, e := range evs {
				switch {
				case e.typ == wire.TypeResponderMoved:
					if prev, ok := last[e.rid]; ok && e.lat <= prev {
						t.Fatalf("%s moved back from %g to %g", e.rid, prev, e.lat)
					}
					last[e.rid] = e.lat
				case e.n == -1:
					done = true
				case e.n != next:
					t.Fatalf("need.updated(%d), want %d", e.n, next)
				default:
					next++
				}
			}
		}
		if next != moves/every {
			t.Fatalf("%d other events arrived, want %d", next, moves/every)
		}
		for r := range responders {
			want := float64(moves - responders + r)
			if got := last[fmt.Sprintf("r%d", r)]; got != want {
				t.Fatalf("r%d ended at %g, want its last position %g", r, got, want)
			}
		}
	}
	t.Logf("stats %+v", h.Stats())
}

// TestCoalesceKey: moves are keyed by their responder, read fast where
// encoding/json puts it and decoded otherwise; other events have no key.
func TestCoalesceKey(t *testing.T) {
	for _, tc := range []struct{ frame, want string }{
		{`{"v":1,"type":"responder.moved","ts":"x","data":{"responder_id":"r-1","lat":1}}`, "r-1"},
		{`{"v":1,"type":"responder.moved","ts":"x","data":{"lat":1,"responder_id":"r-2"}}`, "r-2"},
		{`{"v":1,"type":"responder.moved","ts":"x","data":{"responder_id":"r\"3","lat":1}}`, `r"3`},
		{`{"v":1,"type":"need.updated","ts":"x","data":{"responder_id":"r-1"}}`, ""},
		{`{"v":1,"type":"responder.movedX","ts":"x","data":{"responder_id":"r-1"}}`, ""},
	} {
		if got := coalesceKey([]byte(tc.frame)); got != tc.want {
			t.Errorf("coalesceKey(%s) = %q, want %q", tc.frame, got, tc.want)
		}
	}
}
