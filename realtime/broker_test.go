package realtime

import (
	"context"
	"testing"

	"github.com/redis/go-redis/v9"

	"github.com/liandong/liandong/internal/testkit"
)

func (c *client) subscribe(channels string) {
	c.t.Helper()
	c.send(`{"v":1,"type":"subscribe","data":{"channels":` + channels + `}}`)
	c.expect("subscribed")
}

// expectEvents reads events and checks their n, in order.
func (c *client) expectEvents(ns ...int) {
	c.t.Helper()
	for _, want := range ns {
		env := c.expect("need.updated")
		if got := payloadN(c.t, env); got != want {
			c.t.Fatalf("event n = %d, want %d", got, want)
		}
		if env.ID != "" || env.TS.IsZero() {
			c.t.Fatalf("event id %q ts %v: live events carry a ts and no inbox id", env.ID, env.TS)
		}
	}
}

// Two consoles on two processes see only the events of their channels,
// once each, and a new subscription replaces the old one.
func TestViewportRouting(t *testing.T) {
	backends(t, func(t *testing.T, rdb redis.UniversalClient) {
		h1 := newHub(t, rdb, HubOptions{})
		h2 := newHub(t, rdb, HubOptions{})
		a := dial(t, serve(t, h1, testHandler{}), "op-a", "")
		b := dial(t, serve(t, h2, testHandler{}), "op-b", "")
		a.subscribe(`["c1","c2"]`)
		b.subscribe(`["c3","c3"]`)

		pub := func(n int, channels ...string) {
			t.Helper()
			if err := h1.Publish(context.Background(), channels, "need.updated", map[string]int{"n": n}); err != nil {
				t.Fatal(err)
			}
		}
		pub(1, "c1")
		pub(2, "c2", "c3")
		pub(3, "c3")
		pub(4, "c1", "c2") // a is in both: once
		pub(5, "c9")       // nobody
		pub(6)             // no channels: nothing at all
		pub(7, "c1", "c3") // both: the last, so nothing else can be pending
		a.expectEvents(1, 2, 4, 7)
		b.expectEvents(2, 3, 7)

		a.subscribe(`["c3"]`)
		pub(8, "c1")
		pub(9, "c2")
		pub(10, "c3")
		a.expectEvents(10)
		b.expectEvents(10)

		h1.mu.RLock()
		_, c1 := h1.channels["c1"]
		_, c3 := h1.channels["c3"]
		h1.mu.RUnlock()
		if c1 || !c3 {
			t.Fatalf("h1 channel index after resubscribe: c1 %v c3 %v", c1, c3)
		}
		sessions := h2.sessionsOf("op-b")
		if len(sessions) != 1 || len(sessions[0].Channels()) != 1 {
			t.Fatalf("op-b channels not deduplicated")
		}
		a.conn.Close()
		testkit.WaitFor(t, "h1 index emptied", waitLimit, func() bool {
			h1.mu.RLock()
			defer h1.mu.RUnlock()
			return len(h1.channels) == 0 && len(h1.users) == 0
		})
	})
}
