package web

import (
	"context"
	"errors"
	"fmt"
	"net/http/httptest"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gorilla/websocket"
	"go.uber.org/zap"

	"github.com/liandong/liandong/internal/testkit"
	"github.com/liandong/liandong/mobilize"
	"github.com/liandong/liandong/realtime"
)

// flakyAccess is the API's store with token checks that fail while down
// is set, as when Redis does not answer, counting the failures.
type flakyAccess struct {
	AccessStore
	down   atomic.Bool
	failed atomic.Int32
}

func (f *flakyAccess) TokenStates(ctx context.Context, jtis, persons []string) ([]bool, []int64, error) {
	if f.down.Load() {
		f.failed.Add(1)
		return nil, nil, fmt.Errorf("check tokens: %w", mobilize.ErrUnavailable)
	}
	return f.AccessStore.TokenStates(ctx, jtis, persons)
}

// emptyInbox and silentBroker are a hub's storage and fan-out for a test
// that needs neither: one process, nothing delivered.
type emptyInbox struct{}

func (emptyInbox) Append(context.Context, string, string, string, []byte) (string, error) {
	return "", errors.New("no inbox in this test")
}
func (emptyInbox) ReadAfter(context.Context, string, string, int) (realtime.InboxPage, error) {
	return realtime.InboxPage{}, nil
}
func (emptyInbox) Ack(context.Context, string, string) error { return nil }

type silentBroker struct{}

func (silentBroker) Publish(context.Context, []string, []byte) error { return nil }
func (silentBroker) Subscribe(context.Context, realtime.Receiver) (func(), error) {
	return func() {}, nil
}

// TestIdleSocketRecheckedOnItsPingCycle: a socket that sends nothing is
// rechecked on its ping cycle. While the store does not answer it stays
// open (no mass logout during a Redis restart); once its token is revoked
// it closes with 1008, although no recheck request reached it (the API
// here has no Sockets).
func TestIdleSocketRecheckedOnItsPingCycle(t *testing.T) {
	var access *flakyAccess
	e := newEmbeddedEnv(t, func(o *APIOptions) {
		access = &flakyAccess{AccessStore: o.Access}
		o.Access = access
	})
	hub, err := realtime.New(realtime.HubOptions{Inbox: emptyInbox{}, Broker: silentBroker{}, Logger: zap.NewNop(),
		PingInterval: 50 * time.Millisecond, PongWait: 10 * time.Second, Now: e.clock.Now})
	if err != nil {
		t.Fatal(err)
	}
	if err := hub.Run(context.Background()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { hub.Close() })
	srv := httptest.NewServer(e.api.WebsocketHandler(SocketDeps{Hub: hub, Log: zap.NewNop(), Now: e.clock.Now}))
	t.Cleanup(srv.Close)

	tok := e.token("r-idle", RoleResponder, "")
	ws := testkit.Dial(t, srv.URL, tok, "")
	ws.Next("welcome")

	access.down.Store(true)
	testkit.WaitFor(t, "rechecks failing while the store is down", 5*time.Second, func() bool { return access.failed.Load() >= 5 })
	ws.Send("status", "m1", map[string]string{"status": "available"})
	msg := ws.Next("error")
	var body struct{ Code string }
	msg.Decode(t, &body)
	if msg.ID != "m1" || body.Code != "unavailable" {
		t.Fatalf("a message while the store is down: %s %s, want unavailable", msg.ID, msg.Data)
	}
	access.down.Store(false)

	e.do("POST", "/api/v1/auth/revoke", tok, nil).Want(t, 204)
	ws.Conn.SetReadDeadline(time.Now().Add(time.Second))
	for {
		_, _, err := ws.Conn.ReadMessage()
		if err == nil {
			continue
		}
		if !websocket.IsCloseError(err, 1008) {
			t.Fatalf("socket of a revoked token ended with %v, want close 1008 within a second", err)
		}
		break
	}
}
