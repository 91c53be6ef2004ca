package realtime

import (
	"errors"
	"testing"
	"time"

	"github.com/gorilla/websocket"
)

// closeFrame reads until the close frame and returns its code and
// reason.
func (c *client) closeFrame() (int, string) {
	c.t.Helper()
	defer c.conn.Close()
	for {
		_ = c.conn.SetReadDeadline(time.Now().Add(10 * time.Second))
		_, _, err := c.conn.ReadMessage()
		if err == nil {
			continue
		}
		var ce *websocket.CloseError
		if !errors.As(err, &ce) {
			c.t.Fatalf("read ended with %v, want a close frame", err)
		}
		return ce.Code, ce.Text
	}
}

// One person's fourth socket closes their oldest with 4001 and a reason
// that says why; their other sockets and other people's stay open.
func TestSocketCapClosesTheOldest(t *testing.T) {
	h := newHub(t, embedded(t), HubOptions{MaxSockets: map[string]int{KindResponder: 3}})
	srv := serve(t, h, testHandler{welcome: true})
	other := dial(t, srv, "u2", "")
	other.expect("welcome")
	var socks []*client
	for range 3 {
		c := dial(t, srv, "u1", "")
		c.expect("welcome")
		socks = append(socks, c)
	}
	for i := range 2 {
		c := dial(t, srv, "u1", "")
		c.expect("welcome")
		socks = append(socks, c)
		code, text := socks[i].closeFrame()
		if code != CloseTooManySockets || text != ReasonTooManySockets {
			t.Fatalf("socket %d closed with %d %q, want %d %q", i, code, text, CloseTooManySockets, ReasonTooManySockets)
		}
	}
	for _, c := range socks[2:] {
		c.echo("still open")
	}
	other.echo("other person")
	if n := h.Stats().OverCapCloses; n != 2 {
		t.Fatalf("OverCapCloses = %d, want 2", n)
	}
}

// A kind without a cap keeps every socket.
func TestSocketCapOnlyForTheKindsNamed(t *testing.T) {
	h := newHub(t, embedded(t), HubOptions{MaxSockets: map[string]int{KindOperator: 1}})
	srv := serve(t, h, testHandler{welcome: true})
	var socks []*client
	for range 4 {
		c := dial(t, srv, "u1", "") // dial names KindResponder
		c.expect("welcome")
		socks = append(socks, c)
	}
	for _, c := range socks {
		c.echo("open")
	}
}
