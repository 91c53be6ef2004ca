package realtime

import (
	"context"
	"encoding/json"
	"fmt"
	"net"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gorilla/websocket"

	"github.com/liandong/liandong/internal/testkit"
)

func TestBadMessagesKeepSocketOpen(t *testing.T) {
	h := newHub(t, embedded(t), HubOptions{RateLimit: RateLimit{PerSecond: -1}})
	srv := serve(t, h, testHandler{})
	c := dial(t, srv, "u1", "")
	for _, tt := range []struct{ name, msg, code string }{
		{"not json", `hello`, CodeInvalidJSON},
		{"truncated", `{"v":1,"type":"echo"`, CodeInvalidJSON},
		{"version", `{"v":2,"type":"echo"}`, CodeUnsupportedVersion},
		{"no type", `{"v":1}`, CodeInvalidMessage},
		{"unknown field", `{"v":1,"type":"echo","colour":"red"}`, CodeInvalidMessage},
		{"unknown type", `{"v":1,"type":"teleport"}`, CodeUnknownType},
		{"handler field error", `{"v":1,"type":"subscribe","data":{"channels":5}}`, "invalid_subscribe"},
		{"handler failure", `{"v":1,"type":"fail"}`, CodeInternal},
		{"handler panic", `{"v":1,"type":"panic"}`, CodeInternal},
	} {
		t.Run(tt.name, func(t *testing.T) {
			c.t = t
			c.send(tt.msg)
			c.expectError(tt.code)
			c.echo(tt.name)
		})
	}
	c.t = t
	if err := c.conn.WriteMessage(websocket.BinaryMessage, []byte(`{"v":1,"type":"echo"}`)); err != nil {
		t.Fatal(err)
	}
	c.expectError(CodeInvalidMessage)

	// An error answers the message it is about.
	c.send(`{"v":1,"type":"teleport","id":"req-7"}`)
	if env := c.expect("error"); env.ID != "req-7" {
		t.Fatalf("error id = %q, want req-7", env.ID)
	}
	c.echo("still open")
	if st := h.Stats(); st.ClientErrors < 11 || st.Connections != 1 {
		t.Fatalf("stats %+v", st)
	}
}

func TestOversizedMessageCloses1009(t *testing.T) {
	h := newHub(t, embedded(t), HubOptions{})
	srv := serve(t, h, testHandler{})
	c := dial(t, srv, "u1", "")
	msg := func(size int) string {
		head, tail := `{"v":1,"type":"echo","data":{"pad":"`, `"}}`
		return head + strings.Repeat("x", size-len(head)-len(tail)) + tail
	}
	c.send(msg(64 << 10)) // exactly the limit: fine
	c.expect("echo")
	c.send(msg(64<<10 + 1))
	c.expectClose(websocket.CloseMessageTooBig)
	testkit.WaitFor(t, "session gone", waitLimit, func() bool { return h.Stats().Connections == 0 })
}

func TestRateLimit(t *testing.T) {
	// One token per 10 s: nothing refills during the test.
	h := newHub(t, embedded(t), HubOptions{RateLimit: RateLimit{PerSecond: 0.1, Burst: 3}})
	srv := serve(t, h, testHandler{})
	c := dial(t, srv, "u1", "")
	for i := 0; i < 3; i++ {
		c.echo("burst")
	}
	c.send(`{"v":1,"type":"echo","data":{}}`)
	c.expectError(CodeRateLimited)
	for i := 0; i < 3; i++ { // dropped quietly: one error per flood
		c.send(`{"v":1,"type":"echo","data":{}}`)
	}
	c.expectClose(websocket.ClosePolicyViolation)
	if st := h.Stats(); st.RateLimited != 4 {
		t.Fatalf("rate limited %d, want 4", st.RateLimited)
	}
}

// A client that never reads fills its TCP buffers and then its send queue;
// it is disconnected, the queue never grows past its bound, and the other
// hundred consoles get every event in time regardless.
func TestSlowClientDoesNotDelayOthers(t *testing.T) {
	const (
		fast   = 100
		events = 100
		queue  = 32
	)
	// WriteTimeout is long: if anyone waited for the slow socket's writes,
	// delivery would take at least that long.
	h := newHub(t, embedded(t), HubOptions{SendQueue: queue, WriteTimeout: time.Minute})
	srv := serve(t, h, testHandler{})

	slowDialer := testDialer
	slowDialer.NetDialContext = func(ctx context.Context, network, addr string) (net.Conn, error) {
		conn, err := (&net.Dialer{}).DialContext(ctx, network, addr)
		if err == nil {
			_ = conn.(*net.TCPConn).SetReadBuffer(4096)
		}
		return conn, err
	}
	slowConn, err := dialErr(srv, &slowDialer, "slow", "")
	if err != nil {
		t.Fatal(err)
	}
	defer slowConn.Close()
	// The slow console also watches a busy channel of big events, so that
	// its TCP buffers (megabytes on loopback) fill within the test.
	if err := slowConn.WriteMessage(websocket.TextMessage, []byte(`{"v":1,"type":"subscribe","data":{"channels":["cell:a","cell:busy"]}}`)); err != nil {
		t.Fatal(err)
	}

	clients := make([]*client, fast)
	for i := range clients {
		clients[i] = dial(t, srv, fmt.Sprintf("op%d", i), "")
		clients[i].send(`{"v":1,"type":"subscribe","data":{"channels":["cell:a"]}}`)
		clients[i].expect("subscribed")
	}
	testkit.WaitFor(t, "all subscribed", waitLimit, func() bool {
		h.mu.RLock()
		defer h.mu.RUnlock()
		return len(h.channels["cell:a"]) == fast+1
	})

	start := time.Now()
	var wg sync.WaitGroup
	errs := make(chan string, fast)
	progress := make([]atomic.Int64, fast)
	for k, c := range clients {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < events; i++ {
				env, err := c.read(20 * time.Second)
				if err != nil {
					errs <- err.Error()
					return
				}
				var body struct{ N int }
				if err := json.Unmarshal(env.Data, &body); err != nil || body.N != i {
					errs <- fmt.Sprintf("event %d: got %s", i, env.Data)
					return
				}
				progress[k].Store(int64(i + 1))
			}
		}()
	}
	// The publisher runs at the pace of the fast consoles (none more than
	// a few events behind), however slow the machine: only the client that
	// does not read can fill its queue.
	behind := func(i int) bool {
		for k := range progress {
			if progress[k].Load() < int64(i-queue/2) {
				return true
			}
		}
		return false
	}
	bigPad := strings.Repeat("b", 60000)
	for i := 0; i < events; i++ {
		for behind(i) {
			select {
			case e := <-errs:
				t.Fatalf("fast client: %s", e)
			default:
			}
			time.Sleep(100 * time.Microsecond)
		}
		if err := h.Publish(context.Background(), []string{"cell:a"}, "need.updated",
			map[string]any{"n": i}); err != nil {
			t.Fatal(err)
		}
		for j := 0; j < 2; j++ {
			if err := h.Publish(context.Background(), []string{"cell:busy"}, "need.updated",
				map[string]any{"n": i, "pad": bigPad}); err != nil {
				t.Fatal(err)
			}
		}
	}
	wg.Wait()
	close(errs)
	for e := range errs {
		t.Fatalf("fast client: %s", e)
	}
	elapsed := time.Since(start)
	testkit.WaitFor(t, "slow client disconnected", waitLimit, func() bool { return h.Stats().SlowDisconnects == 1 })
	testkit.WaitFor(t, "slow session gone", waitLimit, func() bool { return h.Stats().Connections == fast })
	st := h.Stats()
	t.Logf("%d events x %d consoles in %v; peak send queue %d (bound %d)", events, fast, elapsed, st.PeakSendQueue, queue)
	if st.PeakSendQueue > queue {
		t.Fatalf("send queue reached %d, bound is %d", st.PeakSendQueue, queue)
	}
	if elapsed > 30*time.Second {
		t.Fatalf("delivery took %v: someone waited for the slow client", elapsed)
	}
}
