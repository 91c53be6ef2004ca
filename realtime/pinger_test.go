package realtime

import (
	"runtime"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gorilla/websocket"

	"github.com/liandong/liandong/internal/testkit"
)

// TestPingsKeepLiveClientsAndDropSilentOnes: the hub's pinger pings every
// socket once per PingInterval; a client that answers (gorilla answers
// pings while it reads) stays, one that never answers is closed after
// PongWait.
func TestPingsKeepLiveClientsAndDropSilentOnes(t *testing.T) {
	h := newHub(t, embedded(t), HubOptions{PingInterval: 50 * time.Millisecond, PongWait: 300 * time.Millisecond})
	srv := serve(t, h, testHandler{})

	live := dial(t, srv, "live", "")
	var pings atomic.Int32
	live.conn.SetPingHandler(func(data string) error {
		pings.Add(1)
		return live.conn.WriteControl(websocket.PongMessage, []byte(data), time.Now().Add(time.Second))
	})
	readErr := make(chan error, 1)
	go func() {
		for {
			if _, _, err := live.conn.ReadMessage(); err != nil {
				readErr <- err
				return
			}
		}
	}()

	silent := dial(t, srv, "silent", "")
	silent.conn.SetPingHandler(func(string) error { return nil }) // never pongs

	time.Sleep(time.Second) // more than three PongWaits
	if n := pings.Load(); n < 10 {
		t.Errorf("live client got %d pings in 1 s at a 50 ms interval, want about 20", n)
	}
	select {
	case err := <-readErr:
		t.Fatalf("the live client was dropped: %v", err)
	default:
	}
	_ = silent.conn.SetReadDeadline(time.Now().Add(2 * time.Second))
	for {
		_, _, err := silent.conn.ReadMessage()
		if err == nil {
			continue
		}
		if ce, ok := err.(*websocket.CloseError); ok && ce.Code != websocket.CloseGoingAway {
			t.Errorf("silent client closed with %d, want %d (read failed)", ce.Code, websocket.CloseGoingAway)
		}
		if ne, ok := err.(interface{ Timeout() bool }); ok && ne.Timeout() {
			t.Fatal("the silent client was still connected 1 s after its PongWait")
		}
		break
	}
	live.conn.Close()
}

// TestIdleSocketHasNoWriter: a writer goroutine exists while there is
// something to write, not while the socket is idle, and one starts again
// for the next message.
func TestIdleSocketHasNoWriter(t *testing.T) {
	h := newHub(t, embedded(t), HubOptions{})
	srv := serve(t, h, testHandler{welcome: true})
	c := dial(t, srv, "idle", "")
	c.expect("welcome")
	testkit.WaitFor(t, "the writer to end", waitLimit, func() bool { return writers() == 0 })
	c.echo("still there")
	testkit.WaitFor(t, "the writer to end again", waitLimit, func() bool { return writers() == 0 })
	c.conn.Close()
}

// writers counts goroutines running a session's writeLoop.
func writers() int {
	buf := make([]byte, 1<<20)
	buf = buf[:runtime.Stack(buf, true)]
	return strings.Count(string(buf), "realtime.(*Session).writeLoop")
}
