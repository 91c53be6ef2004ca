package reach_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/gorilla/websocket"
	"github.com/redis/go-redis/v9"

	"github.com/liandong/liandong/internal/redistest"
	"github.com/liandong/liandong/mobilize/reach"
	"github.com/liandong/liandong/mobilize/redisstore"
	"github.com/liandong/liandong/realtime"
	"github.com/liandong/liandong/realtime/redisrt"
)

// startHub runs a hub that marks its responders online in rec, behind an
// httptest server that opens a responder socket for ?user=.
func startHub(t *testing.T, rdb *redis.Client, rec *redisstore.Reach) string {
	t.Helper()
	inbox, broker := redisrt.New(rdb, "t:", redisrt.Options{})
	h, err := realtime.New(realtime.HubOptions{Inbox: inbox, Broker: broker, PingInterval: 50 * time.Millisecond, PongWait: time.Second,
		Presence: reach.NewOnline(rec, 200*time.Millisecond, nil)})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	if err := h.Run(ctx); err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_ = h.Serve(w, r, realtime.Identity{UserID: r.URL.Query().Get("user"), Kind: realtime.KindResponder},
			realtime.HandlerFunc(func(context.Context, *realtime.Session, realtime.Envelope) error { return nil }))
	}))
	t.Cleanup(func() {
		srv.Close()
		sctx, scancel := context.WithTimeout(context.Background(), 3*time.Second)
		defer scancel()
		h.Shutdown(sctx)
		cancel()
	})
	return "ws" + strings.TrimPrefix(srv.URL, "http")
}

func dial(t *testing.T, url, user string) *websocket.Conn {
	t.Helper()
	c, _, err := websocket.DefaultDialer.Dial(url+"/?user="+user, nil)
	if err != nil {
		t.Fatal(err)
	}
	// Read in the background so that pings are answered.
	go func() {
		for {
			if _, _, err := c.ReadMessage(); err != nil {
				return
			}
		}
	}()
	return c
}

// waitFor polls cond until it holds or the test's patience ends.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// Two hubs on one Redis: a responder is online while either holds a
// socket, stays online past the marker's ttl while the socket lives (the
// ping cycle renews it), and is offline once both closed.
func TestOnlineAcrossTwoHubs(t *testing.T) {
	srv := redistest.Start(t, redistest.Options{})
	rdb := srv.Client(t)
	rec, err := redisstore.NewReach(rdb, "t:", "yt")
	if err != nil {
		t.Fatal(err)
	}
	a, b := startHub(t, rdb, rec), startHub(t, rdb, rec)
	ctx := context.Background()
	online := func() bool { on, err := rec.Online(ctx, "r1", time.Now()); return err == nil && on }

	if online() {
		t.Fatal("online before any socket")
	}
	ca := dial(t, a, "r1")
	waitFor(t, "the socket on hub A to mark r1 online", online)
	cb := dial(t, b, "r1")
	time.Sleep(400 * time.Millisecond) // twice the marker's ttl: only renewals keep it
	if !online() {
		t.Fatal("marker lapsed while the sockets lived")
	}
	ca.Close()
	time.Sleep(100 * time.Millisecond)
	if !online() {
		t.Fatal("hub A's close hid hub B's socket")
	}
	cb.Close()
	waitFor(t, "r1 offline after both sockets closed", func() bool { return !online() })
}
