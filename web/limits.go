package web

import (
	"errors"
	"net"
	"net/http"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// Limits on connections, the layer below the API's request limits
// (ratelimit.go): how long a client may take to send a body, how many
// connections one address may hold, how fast it may open sockets.

// admitHandshake applies the per-address limit on websocket handshakes
// before any work (token check, upgrade, inbox replay) is done, and
// answers 429 with Retry-After when it is spent.
func (a *API) admitHandshake(w http.ResponseWriter, r *http.Request) bool {
	err := a.limits.handshake.allow(clientAddr(r))
	if err == nil {
		return true
	}
	var e *Error
	if errors.As(err, &e) {
		e.Message = "too many socket handshakes from this address; retry after the time in Retry-After"
	}
	a.writeError(w, r, err)
	return false
}

// ReadBodyWithin gives every request that has a body d to deliver it, from
// the moment its handler starts: a client that trickles a body (or stops
// half-way) is cut off instead of holding the connection and a goroutine
// forever. Once the body has been read to its end net/http lifts the
// deadline itself (its background read of the connection starts with
// none), so a handler slower than d still answers; a handler that leaves
// the body unread is answered and the rest is discarded within d.
// Requests without a body, websocket upgrades among them, are left alone.
// d <= 0 turns it off.
func ReadBodyWithin(d time.Duration, next http.Handler) http.Handler {
	if d <= 0 {
		return next
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Body != nil && r.Body != http.NoBody && r.ContentLength != 0 {
			_ = http.NewResponseController(w).SetReadDeadline(time.Now().Add(d))
		}
		next.ServeHTTP(w, r)
	})
}

// LimitConnsPerAddress returns ln with at most max connections open at
// once from one client address (IPv6: one /64, as for the rate limits).
// A connection over the limit is closed as soon as it is accepted, before
// anything is read from it, and counted in
// liandong_http_connections_refused_total on reg. Hijacked connections
// (websockets) count until they close. max <= 0 returns ln unchanged.
func LimitConnsPerAddress(ln net.Listener, max int, reg prometheus.Registerer) net.Listener {
	if max <= 0 {
		return ln
	}
	refused := prometheus.NewCounter(prometheus.CounterOpts{
		Name: "liandong_http_connections_refused_total",
		Help: "Connections closed at accept because their address already held http.max_conns_per_address.",
	})
	if reg != nil {
		reg.MustRegister(refused)
	}
	return &connLimitListener{Listener: ln, max: max, refused: refused, live: map[string]int{}}
}

type connLimitListener struct {
	net.Listener
	max     int
	refused prometheus.Counter

	mu   sync.Mutex
	live map[string]int // open connections per address key
}

// Accept returns the next connection within the limit; the ones over it
// are closed on the way.
func (l *connLimitListener) Accept() (net.Conn, error) {
	for {
		c, err := l.Listener.Accept()
		if err != nil {
			return nil, err
		}
		key := addressKey(c.RemoteAddr().String())
		l.mu.Lock()
		over := l.live[key] >= l.max
		if !over {
			l.live[key]++
		}
		l.mu.Unlock()
		if over {
			l.refused.Inc()
			c.Close()
			continue
		}
		return &countedConn{Conn: c, release: sync.OnceFunc(func() { l.release(key) })}, nil
	}
}

func (l *connLimitListener) release(key string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.live[key] <= 1 {
		delete(l.live, key)
		return
	}
	l.live[key]--
}

// countedConn gives its place back when closed, once however often Close
// is called (net/http and the websocket hub may both close it).
type countedConn struct {
	net.Conn
	release func()
}

func (c *countedConn) Close() error {
	err := c.Conn.Close()
	c.release()
	return err
}

// CloseWrite keeps net/http's graceful half-close of a TCP connection.
func (c *countedConn) CloseWrite() error {
	if cw, ok := c.Conn.(interface{ CloseWrite() error }); ok {
		return cw.CloseWrite()
	}
	return nil
}
