package server_test

import (
	"bufio"
	"errors"
	"io"
	"net"
	"net/http"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/liandong/liandong/internal/redistest"
	"github.com/liandong/liandong/internal/server"
	"github.com/liandong/liandong/internal/server/servertest"
	"github.com/liandong/liandong/internal/testkit"
)

// margin is how late past a timeout a connection may still close: the
// race detector on two shared cores is slow.
const margin = 3 * time.Second

// closedBy reads conn until the server closes it and reports whether it
// did by deadline; what the server answers on the way is ignored.
func closedBy(conn net.Conn, deadline time.Time) error {
	conn.SetReadDeadline(deadline)
	_, err := io.Copy(io.Discard, conn)
	var ne net.Error
	if errors.As(err, &ne) && ne.Timeout() {
		return errors.New("still open")
	}
	return nil // EOF or a reset: closed by the server
}

// keepAliveRequest sends one GET on conn and reads its answer, leaving the
// connection open for the next.
func keepAliveRequest(t *testing.T, conn net.Conn, br *bufio.Reader, path string) *http.Response {
	t.Helper()
	conn.SetDeadline(time.Now().Add(10 * time.Second))
	if _, err := io.WriteString(conn, "GET "+path+" HTTP/1.1\r\nHost: liandong\r\n\r\n"); err != nil {
		t.Fatal(err)
	}
	res, err := http.ReadResponse(br, nil)
	if err != nil {
		t.Fatalf("GET %s: %v", path, err)
	}
	body, _ := io.ReadAll(res.Body)
	res.Body.Close()
	res.Body = io.NopCloser(strings.NewReader(string(body)))
	conn.SetDeadline(time.Time{})
	return res
}

// TestSlowBodiesAreCutOff: 200 clients that send the headers of a POST and
// then trickle nothing are all disconnected within the body timeout.
func TestSlowBodiesAreCutOff(t *testing.T) {
	cfg := server.Default()
	cfg.HTTP.BodyTimeout = time.Second
	cfg.HTTP.MaxConnsPerAddress = 0
	base := servertest.Base(servertest.Run(t, cfg, server.Hooks{}))
	addr := strings.TrimPrefix(base, "http://")

	const clients = 200
	conns := make([]net.Conn, clients)
	for i := range conns {
		c, err := net.Dial("tcp", addr)
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		conns[i] = c
	}
	start := time.Now()
	for _, c := range conns {
		req := "POST /api/v1/service-records/verify HTTP/1.1\r\nHost: liandong\r\nContent-Type: application/json\r\nContent-Length: 4096\r\n\r\n{\"record\":"
		if _, err := io.WriteString(c, req); err != nil {
			t.Fatal(err)
		}
	}
	deadline := start.Add(cfg.HTTP.BodyTimeout + margin)
	var wg sync.WaitGroup
	open := make(chan int, clients)
	for i, c := range conns {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if closedBy(c, deadline) != nil {
				open <- i
			}
		}()
	}
	wg.Wait()
	close(open)
	if n := len(open); n > 0 {
		t.Fatalf("%d of %d slow bodies still open %s after they stalled (body timeout %s)", n, clients, time.Since(start).Round(time.Millisecond), cfg.HTTP.BodyTimeout)
	}
	t.Logf("%d slow bodies all closed %s after they stalled (body timeout %s)", clients, time.Since(start).Round(time.Millisecond), cfg.HTTP.BodyTimeout)
}

// TestIdleKeepAliveIsClosed: a keep-alive connection that sends nothing
// after its request is closed after the idle timeout.
func TestIdleKeepAliveIsClosed(t *testing.T) {
	cfg := server.Default()
	cfg.HTTP.IdleTimeout = time.Second
	base := servertest.Base(servertest.Run(t, cfg, server.Hooks{}))
	conn, err := net.Dial("tcp", strings.TrimPrefix(base, "http://"))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	if res := keepAliveRequest(t, conn, bufio.NewReader(conn), "/healthz"); res.StatusCode != 200 {
		t.Fatalf("/healthz = %d", res.StatusCode)
	}
	idle := time.Now()
	if err := closedBy(conn, idle.Add(cfg.HTTP.IdleTimeout+margin)); err != nil {
		t.Fatalf("idle keep-alive connection %s after %s (idle timeout %s)", err, time.Since(idle).Round(time.Millisecond), cfg.HTTP.IdleTimeout)
	}
}

// TestConnectionsPerAddressCapped: past the cap an address's connection is
// closed at accept, unanswered, and counted; a place freed is usable again.
func TestConnectionsPerAddressCapped(t *testing.T) {
	cfg := server.Default()
	cfg.HTTP.MaxConnsPerAddress = 3
	base := servertest.Base(servertest.Run(t, cfg, server.Hooks{}))
	addr := strings.TrimPrefix(base, "http://")
	dial := func() (net.Conn, *bufio.Reader) {
		c, err := net.Dial("tcp", addr)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { c.Close() })
		return c, bufio.NewReader(c)
	}
	var held []net.Conn
	for range 3 {
		c, br := dial()
		if res := keepAliveRequest(t, c, br, "/healthz"); res.StatusCode != 200 {
			t.Fatalf("/healthz = %d", res.StatusCode)
		}
		held = append(held, c)
	}
	over, _ := dial()
	io.WriteString(over, "GET /healthz HTTP/1.1\r\nHost: liandong\r\n\r\n")
	over.SetReadDeadline(time.Now().Add(10 * time.Second))
	if n, err := over.Read(make([]byte, 1)); n != 0 || err == nil || os.IsTimeout(err) {
		t.Fatalf("fourth connection from one address: read %d bytes, %v; want it closed unanswered", n, err)
	}
	held[0].Close()
	var metrics string
	testkit.WaitFor(t, "a freed place taken by a new connection", 5*time.Second, func() bool {
		c, br := dial()
		c.SetDeadline(time.Now().Add(5 * time.Second))
		io.WriteString(c, "GET /metrics HTTP/1.1\r\nHost: liandong\r\n\r\n")
		res, err := http.ReadResponse(br, nil)
		if err != nil {
			c.Close()
			return false
		}
		b, _ := io.ReadAll(res.Body)
		metrics = string(b)
		return res.StatusCode == 200
	})
	if !strings.Contains(metrics, "liandong_http_connections_refused_total ") ||
		strings.Contains(metrics, "liandong_http_connections_refused_total 0\n") {
		t.Fatalf("/metrics does not count the refused connection:\n%s", grepLines(metrics, "refused"))
	}
}

func grepLines(s, word string) string {
	var out []string
	for _, l := range strings.Split(s, "\n") {
		if strings.Contains(l, word) {
			out = append(out, l)
		}
	}
	return strings.Join(out, "\n")
}

// TestSocketOutlivesHTTPTimeouts: the HTTP timeouts cut plain connections
// off, but a websocket, which sets its own deadlines once upgraded, still
// works in both directions after all of them have passed.
func TestSocketOutlivesHTTPTimeouts(t *testing.T) {
	const short = 300 * time.Millisecond
	// The token comes from a server with the usual timeouts (a login's
	// bcrypt alone may take longer than short); both share one Redis and
	// token key, so the token is good on either.
	cfg := servertest.OnRealRedis(redistest.Start(t, redistest.Options{}), "admin-password-limits")
	admin := servertest.LoginAdmin(t, servertest.Base(servertest.Run(t, cfg, server.Hooks{})), cfg.Auth.AdminPassword)
	cfg.HTTP.ReadHeaderTimeout, cfg.HTTP.BodyTimeout, cfg.HTTP.WriteTimeout, cfg.HTTP.IdleTimeout = short, short, short, short
	base := servertest.Base(servertest.Run(t, cfg, server.Hooks{}))

	ws := testkit.Dial(t, base, admin.Token, "")
	ws.Next("welcome")
	// A plain keep-alive connection opened after the socket: once the
	// server has closed it as idle, every HTTP deadline the socket's own
	// request set has passed as well.
	conn, err := net.Dial("tcp", strings.TrimPrefix(base, "http://"))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	keepAliveRequest(t, conn, bufio.NewReader(conn), "/healthz")
	if err := closedBy(conn, time.Now().Add(short+margin)); err != nil {
		t.Fatalf("idle connection %s", err)
	}
	ws.Send("subscribe", "s1", map[string]any{"bbox": []float64{121.3, 37.4, 121.5, 37.6}})
	if got := ws.Next("subscribed"); got.ID != "" && got.ID != "s1" {
		t.Fatalf("subscribed %+v", got)
	}
}
