package web

import (
	"context"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/gorilla/websocket"
	"github.com/prometheus/client_golang/prometheus"
	"go.uber.org/zap"

	"github.com/liandong/liandong/internal/testkit"
	"github.com/liandong/liandong/realtime"
	"github.com/liandong/liandong/realtime/redisrt"
)

// socketServer serves e's API and /ws on one hub built with opts, and
// returns its base URL.
func socketServer(t *testing.T, e *env, opts realtime.HubOptions) string {
	t.Helper()
	opts.Inbox, opts.Broker = redisrt.New(e.rdb, testPrefix, redisrt.Options{})
	opts.Logger = zap.NewNop()
	hub, err := realtime.New(opts)
	if err != nil {
		t.Fatal(err)
	}
	if err := hub.Run(context.Background()); err != nil {
		t.Fatal(err)
	}
	e.srv.Handle("GET /ws", e.api.WebsocketHandler(SocketDeps{Hub: hub, Log: zap.NewNop(), Now: e.clock.Now}))
	ts := httptest.NewServer(e.srv)
	t.Cleanup(func() {
		ctx, done := context.WithTimeout(context.Background(), 2*time.Second)
		hub.Shutdown(ctx)
		done()
		ts.Close()
	})
	return ts.URL
}

// TestLocationBudgetIsPerPerson: fifty sockets of one responder's token
// share one location budget, and the HTTP route draws on it too; another
// responder keeps their own.
func TestLocationBudgetIsPerPerson(t *testing.T) {
	const burst = 5
	e := newEmbeddedEnv(t, func(o *APIOptions) { o.Limits.LocationPerSecond, o.Limits.LocationBurst = 0.001, burst })
	base := socketServer(t, e, realtime.HubOptions{})
	admin := e.token("admin", RoleAdmin, "")
	var one, two struct{ ID, Token string }
	e.do("POST", "/api/v1/responders", admin, map[string]any{"name": "李华", "role": "volunteer"}).Want(t, 201).Decode(t, &one)
	e.do("POST", "/api/v1/responders", admin, map[string]any{"name": "王芳", "role": "volunteer"}).Want(t, 201).Decode(t, &two)

	codes := map[string]int{}
	for range 50 {
		d := &wsDoor{sock: testkit.Dial(t, base, one.Token, "")}
		if typ := d.sock.Read(doorRead).Type; typ != "welcome" {
			t.Fatalf("first message %q, want welcome", typ)
		}
		codes[d.send("location", `{"lat":37.54,"lng":121.40}`)]++
	}
	if codes[""] != burst || codes["rate_limited"] != 50-burst {
		t.Fatalf("50 sockets of one person, one location each: %v, want %d accepted and the rest rate_limited", codes, burst)
	}
	r := e.do("PUT", "/api/v1/responders/"+one.ID+"/location", one.Token, `{"lat":37.54,"lng":121.40}`).Want(t, 429)
	if code := r.ErrorCode(t); code != "rate_limited" || r.Header.Get("Retry-After") == "" {
		t.Fatalf("HTTP location after the sockets' burst: %s, Retry-After %q", code, r.Header.Get("Retry-After"))
	}
	e.do("PUT", "/api/v1/responders/"+two.ID+"/location", two.Token, `{"lat":37.54,"lng":121.40}`).Want(t, 204)
}

// TestHandshakesLimitedPerAddress: past its burst, an address gets 429
// with Retry-After before any token is looked at or socket opened.
func TestHandshakesLimitedPerAddress(t *testing.T) {
	e := newEmbeddedEnv(t, func(o *APIOptions) { o.Limits.HandshakePerSecond, o.Limits.HandshakeBurst = 0.001, 2 })
	base := socketServer(t, e, realtime.HubOptions{})
	token := e.token("op1", RoleOperator, "")
	url := "ws" + strings.TrimPrefix(base, "http") + "/ws?access_token="
	for range 2 {
		testkit.Dial(t, base, token, "")
	}
	for _, tok := range []string{token, ""} {
		conn, res, err := websocket.DefaultDialer.Dial(url+tok, nil)
		if err == nil {
			conn.Close()
			t.Fatalf("handshake past the burst (token %t) upgraded", tok != "")
		}
		if res == nil || res.StatusCode != http.StatusTooManyRequests {
			t.Fatalf("handshake past the burst: %v %v, want 429", res, err)
		}
		if s, err := strconv.Atoi(res.Header.Get("Retry-After")); err != nil || s < 1 {
			t.Fatalf("Retry-After %q", res.Header.Get("Retry-After"))
		}
	}
}

// TestBodyDeadlineLiftedOnceRead: a handler that has read its body may
// take longer than the body timeout; its request is not cancelled (a
// deadline left on the connection would cancel it from net/http's
// background read, which today starts by lifting it) and its answer
// arrives, also on a kept-alive connection.
func TestBodyDeadlineLiftedOnceRead(t *testing.T) {
	const timeout = 100 * time.Millisecond
	ts := httptest.NewServer(ReadBodyWithin(timeout, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, err := io.ReadAll(r.Body)
		if err != nil {
			http.Error(w, err.Error(), 400)
			return
		}
		select {
		case <-r.Context().Done():
			http.Error(w, "cancelled", 500)
		case <-time.After(3 * timeout): // slow work, well past the body's deadline
			w.Write(body)
		}
	})))
	defer ts.Close()
	for range 2 { // the second on the same keep-alive connection
		res, err := http.Post(ts.URL, "text/plain", strings.NewReader("hello"))
		if err != nil {
			t.Fatal(err)
		}
		got, _ := io.ReadAll(res.Body)
		res.Body.Close()
		if res.StatusCode != 200 || string(got) != "hello" {
			t.Fatalf("%d %q, want 200 hello", res.StatusCode, got)
		}
	}
}

// TestConnLimitListener: past max an address's connections are closed at
// accept and counted; a closed connection (however often closed) frees
// exactly one place.
func TestConnLimitListener(t *testing.T) {
	raw, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	reg := prometheus.NewRegistry()
	ln := LimitConnsPerAddress(raw, 2, reg)
	defer ln.Close()
	accepted := make(chan net.Conn, 10)
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			accepted <- c
		}
	}()
	dial := func() net.Conn {
		c, err := net.Dial("tcp", raw.Addr().String())
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { c.Close() })
		return c
	}
	dial()
	dial()
	first, second := <-accepted, <-accepted
	refusedConn := dial()
	refusedConn.SetReadDeadline(time.Now().Add(5 * time.Second))
	if _, err := refusedConn.Read(make([]byte, 1)); err == nil || os.IsTimeout(err) {
		t.Fatalf("third connection: %v, want it closed", err)
	}
	first.Close()
	first.Close() // frees one place, not two
	dial()
	<-accepted
	over := dial()
	over.SetReadDeadline(time.Now().Add(5 * time.Second))
	if _, err := over.Read(make([]byte, 1)); err == nil || os.IsTimeout(err) {
		t.Fatalf("connection past the cap after a double close: %v, want it closed", err)
	}
	if n := counterValue(t, reg, "liandong_http_connections_refused_total"); n != 2 {
		t.Fatalf("refused %v, want 2", n)
	}
	second.Close()
}

// counterValue reads one counter from reg.
func counterValue(t *testing.T, reg *prometheus.Registry, name string) float64 {
	t.Helper()
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, mf := range mfs {
		if mf.GetName() == name {
			return mf.GetMetric()[0].GetCounter().GetValue()
		}
	}
	t.Fatalf("no metric %s", name)
	return 0
}
