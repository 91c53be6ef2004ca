package realtime

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/liandong/liandong/internal/testkit"
)

// lapsingHandler is testHandler whose sockets' right lapses for the users
// in lapsed: its Recheck closes them with 1008 and counts every call.
type lapsingHandler struct {
	testHandler
	mu     sync.Mutex
	lapsed map[string]bool
	calls  map[string]int
}

func newLapsingHandler() *lapsingHandler {
	return &lapsingHandler{lapsed: map[string]bool{}, calls: map[string]int{}}
}

func (lh *lapsingHandler) lapse(user string) {
	lh.mu.Lock()
	defer lh.mu.Unlock()
	lh.lapsed[user] = true
}

func (lh *lapsingHandler) callsOf(user string) int {
	lh.mu.Lock()
	defer lh.mu.Unlock()
	return lh.calls[user]
}

func (lh *lapsingHandler) Recheck(ctx context.Context, s *Session) {
	lh.mu.Lock()
	user := s.Identity().UserID
	lh.calls[user]++
	lapsed := lh.lapsed[user]
	lh.mu.Unlock()
	if lapsed {
		s.Close(1008, "token has been revoked")
	}
}

// TestPingCycleRechecksIdleSockets: a socket that never sends anything is
// rechecked on its ping cycle, and closed once its right has lapsed; the
// others stay open.
func TestPingCycleRechecksIdleSockets(t *testing.T) {
	lh := newLapsingHandler()
	h := newHub(t, embedded(t), HubOptions{PingInterval: 50 * time.Millisecond, PongWait: 5 * time.Second})
	srv := serve(t, h, lh)
	idle := dial(t, srv, "idle", "")
	other := dial(t, srv, "other", "")
	testkit.WaitFor(t, "a recheck of the idle socket on its ping cycle", 5*time.Second, func() bool { return lh.callsOf("idle") >= 2 })
	lh.lapse("idle")
	idle.expectClose(1008)
	other.echo("still-open")
}

// TestRecheckReachesEveryProcess: Hub.Recheck on one hub rechecks the
// user's sockets on another hub at once, through the broker, without
// waiting for a ping cycle (the pinger here would take a minute); an
// empty user rechecks everyone.
func TestRecheckReachesEveryProcess(t *testing.T) {
	backends(t, func(t *testing.T, rdb redis.UniversalClient) {
		lh := newLapsingHandler()
		slow := HubOptions{PingInterval: time.Minute, PongWait: 2 * time.Minute}
		a := newHub(t, rdb, slow)
		b := newHub(t, rdb, slow)
		srv := serve(t, b, lh)
		gone := dial(t, srv, "u1", "")
		stays := dial(t, srv, "u2", "")
		stays.echo("connected")

		lh.lapse("u1")
		start := time.Now()
		if err := a.Recheck(context.Background(), "u1"); err != nil {
			t.Fatal(err)
		}
		gone.expectClose(1008)
		if d := time.Since(start); d > time.Second {
			t.Fatalf("the socket on the other process closed %v after the recheck, want under 1 s", d)
		}
		stays.echo("still-open")
		if n := lh.callsOf("u2"); n != 0 {
			t.Fatalf("u2 was rechecked %d times for a request naming u1", n)
		}

		if err := a.Recheck(context.Background(), ""); err != nil {
			t.Fatal(err)
		}
		testkit.WaitFor(t, "u2 rechecked by a request for everyone", 5*time.Second, func() bool { return lh.callsOf("u2") == 1 })
		stays.echo("still-open-after-all")
	})
}

// TestCloseAt: a socket set to close at a time closes then with the code
// and reason given, without sending anything; one set later stays open.
func TestCloseAt(t *testing.T) {
	h := newHub(t, embedded(t), HubOptions{})
	srv := serve(t, h, closeAtHandler{})
	soon := dial(t, srv, "soon", "")
	later := dial(t, srv, "later", "")
	later.echo("connected")
	start := time.Now()
	soon.expectClose(1008)
	if d := time.Since(start); d < 100*time.Millisecond || d > 2*time.Second {
		t.Fatalf("closed after %v, want about 300 ms", d)
	}
	later.echo("still-open")
}

// closeAtHandler closes the user "soon" 300 ms after it connects, others
// in an hour.
type closeAtHandler struct{ testHandler }

func (closeAtHandler) HandleConnect(ctx context.Context, s *Session) error {
	in := time.Hour
	if s.Identity().UserID == "soon" {
		in = 300 * time.Millisecond
	}
	s.CloseAt(time.Now().Add(in), 1008, "token has expired")
	return nil
}
