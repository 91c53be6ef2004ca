package realtime

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/gorilla/websocket"
	"github.com/redis/go-redis/v9"
	"go.uber.org/zap"
	"go.uber.org/zap/zaptest/observer"

	"github.com/liandong/liandong/internal/redistest"
	"github.com/liandong/liandong/internal/testkit"
)

// Shutdown sends every client 1001, refuses new sockets and leaves no
// goroutine behind.
func TestShutdown(t *testing.T) {
	// A client of our own, closed before counting: its pool's connections
	// (and miniredis's goroutines serving them) outlive the hub by design.
	m, _ := redistest.Embedded(t)
	rdb := redis.NewClient(&redis.Options{Addr: m.Addr()})
	before := runtime.NumGoroutine()

	h := newHub(t, rdb, onRedis(t, rdb, "sd:", 0, HubOptions{Logger: zap.NewNop()}))
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_ = h.Serve(w, r, Identity{UserID: r.URL.Query().Get("user"), Kind: KindOperator}, testHandler{welcome: true})
	}))
	var clients []*client
	for i := 0; i < 20; i++ {
		c := dial(t, srv, fmt.Sprintf("u%d", i), "")
		c.expect("welcome")
		c.subscribe(`["c"]`)
		clients = append(clients, c)
	}
	if _, err := h.Deliver(context.Background(), "u0", "offer", map[string]int{"n": 0}); err != nil {
		t.Fatal(err)
	}
	clients[0].expectOffers(0, 1, nil)

	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	shutdown := make(chan error, 1)
	go func() { shutdown <- h.Shutdown(ctx) }()
	for _, c := range clients {
		c.expectClose(websocket.CloseGoingAway)
	}
	if err := <-shutdown; err != nil {
		t.Fatalf("shutdown: %v", err)
	}
	_, err := dialErr(srv, &testDialer, "late", "")
	if !errors.Is(err, websocket.ErrBadHandshake) {
		t.Fatalf("dial after shutdown: %v, want a refused handshake", err)
	}
	if err := h.Run(context.Background()); !errors.Is(err, ErrClosed) {
		t.Fatalf("Run after shutdown: %v", err)
	}
	if err := h.Close(); err != nil { // idempotent
		t.Fatal(err)
	}
	srv.Close()
	rdb.Close()

	deadline := time.Now().Add(5 * time.Second)
	for runtime.NumGoroutine() > before {
		if time.Now().After(deadline) {
			buf := make([]byte, 1<<20)
			t.Fatalf("%d goroutines before, %d after:\n%s", before, runtime.NumGoroutine(),
				buf[:runtime.Stack(buf, true)])
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// A Shutdown whose deadline passes cuts the remaining connections and still
// returns only after their goroutines have ended.
func TestShutdownDeadline(t *testing.T) {
	h, err := New(onRedis(t, embedded(t), "test:", 0, HubOptions{Logger: zap.NewNop(), CloseGrace: 30 * time.Second}))
	if err != nil {
		t.Fatal(err)
	}
	srv := serve(t, h, testHandler{})
	c := dial(t, srv, "u1", "") // never answers the close frame
	c.echo("open")
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	start := time.Now()
	if err := h.Shutdown(ctx); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("shutdown: %v, want deadline exceeded", err)
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Fatalf("shutdown took %v", d)
	}
	if n := h.Stats().Connections; n != 0 {
		t.Fatalf("%d connections left", n)
	}
}

// rawDial opens a websocket with a bare TCP connection, so that measuring
// the server's memory per socket is not blurred by a client library's
// buffers.
func rawDial(addr, path string) (net.Conn, error) {
	conn, err := net.Dial("tcp", addr)
	if err != nil {
		return nil, err
	}
	req := "GET " + path + " HTTP/1.1\r\nHost: " + addr + "\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n" +
		"Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n"
	if _, err := conn.Write([]byte(req)); err != nil {
		conn.Close()
		return nil, err
	}
	status, err := bufio.NewReaderSize(conn, 256).ReadString('\n')
	if err != nil || !strings.Contains(status, " 101 ") {
		conn.Close()
		return nil, fmt.Errorf("handshake: %q %v", status, err)
	}
	return conn, nil
}

func memInUse() (heap, stack uint64) {
	runtime.GC()
	runtime.GC()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return m.HeapInuse, m.StackInuse
}

// TestIdleConnectionMemory measures what one idle socket costs the server
// (both goroutines, gorilla's state and buffers, the session, the HTTP
// server's leftovers), with bare TCP clients whose own share is a few
// hundred bytes.
func TestIdleConnectionMemory(t *testing.T) {
	n := 2000
	if testing.Short() {
		n = 200
	}
	h := newHub(t, embedded(t), HubOptions{Logger: zap.NewNop()})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_ = h.Serve(w, r, Identity{UserID: r.URL.Query().Get("user"), Kind: KindResponder}, testHandler{})
	}))
	defer srv.Close()
	addr := strings.TrimPrefix(srv.URL, "http://")
	// Warm up: the first sockets pay for what does not grow per socket
	// (the Redis connection pool, buffer pools).
	const warm = 100
	for i := 0; i < warm; i++ {
		c, err := rawDial(addr, fmt.Sprintf("/ws?user=warm%d", i))
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
	}
	testkit.WaitFor(t, "warm-up sockets", waitLimit, func() bool { return h.Stats().Connections == warm })
	time.Sleep(100 * time.Millisecond)

	heap0, stack0 := memInUse()
	conns := make([]net.Conn, 0, n)
	defer func() {
		for _, c := range conns {
			c.Close()
		}
	}()
	for i := 0; i < n; i++ {
		c, err := rawDial(addr, fmt.Sprintf("/ws?user=u%d", i))
		if err != nil {
			t.Fatalf("socket %d: %v", i, err)
		}
		conns = append(conns, c)
	}
	testkit.WaitFor(t, "all registered", waitLimit, func() bool { return h.Stats().Connections == int64(n+warm) })
	time.Sleep(200 * time.Millisecond) // let every writer finish its first inbox read
	heap1, stack1 := memInUse()
	heap, stack := float64(heap1-heap0)/float64(n), float64(stack1-stack0)/float64(n)
	per := heap + stack
	t.Logf("%d idle sockets: %.1f KiB each (heap %.1f + stacks %.1f KiB; race detector %v)",
		n, per/1024, heap/1024, stack/1024, raceEnabled)
	// About 9.5 KiB here: one parked goroutine (the reader) and no writer.
	if !raceEnabled && per > 12<<10 {
		t.Fatalf("%.1f KiB per idle socket, want under 12 KiB", per/1024)
	}
}

type hookHandler struct {
	testHandler
	refuse bool
	gone   chan Identity
}

func (hh hookHandler) HandleConnect(ctx context.Context, s *Session) error {
	if hh.refuse {
		return &ClientError{Code: "not_on_duty", Message: "start your shift first"}
	}
	return nil
}

func (hh hookHandler) HandleDisconnect(s *Session) { hh.gone <- s.Identity() }

func TestConnectAndDisconnectHooks(t *testing.T) {
	h := newHub(t, embedded(t), HubOptions{})
	gone := make(chan Identity, 2)

	refused := dial(t, serve(t, h, hookHandler{refuse: true, gone: gone}), "u1", "")
	refused.expectError("not_on_duty")
	refused.expectClose(websocket.ClosePolicyViolation)
	if id := <-gone; id.UserID != "u1" {
		t.Fatalf("disconnect hook got %+v", id)
	}

	c := dial(t, serve(t, h, hookHandler{gone: gone}), "u2", "")
	c.echo("open")
	sessions := h.sessionsOf("u2")
	if len(sessions) != 1 {
		t.Fatalf("%d sessions for u2", len(sessions))
	}
	sessions[0].Close(websocket.CloseNormalClosure, strings.Repeat("причина ", 20))
	c.expectClose(websocket.CloseNormalClosure)
	if id := <-gone; id.UserID != "u2" || id.Kind != KindResponder {
		t.Fatalf("disconnect hook got %+v", id)
	}
	if err := sessions[0].Send("late", nil); err != ErrSessionClosed {
		t.Fatalf("send after close: %v", err)
	}
}

// TestSessionLogIsSampled: a Redis outage makes every session report the
// same failure; the log keeps a few of them.
func TestSessionLogIsSampled(t *testing.T) {
	core, seen := observer.New(zap.DebugLevel)
	l := sampledForSessions(zap.New(core))
	for i := range 10_000 {
		l.Warn("inbox read failed, will retry", zap.Int("session", i))
	}
	if n := seen.Len(); n < 5 || n > 20 {
		t.Fatalf("%d lines for 10,000 sessions failing at once, want the first 5 and a few samples", n)
	}
	l.Warn("inbox ack failed")
	if seen.FilterMessage("inbox ack failed").Len() != 1 {
		t.Fatal("another message was sampled away with the first")
	}
}
