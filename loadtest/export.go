package loadtest

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"time"

	"github.com/gorilla/websocket"
)

// This file lends the drill's machinery to other harnesses (the socket
// benchmark in loadtest/sockbench): starting a server of their own,
// spreading clients over worker processes, dialling from a loopback
// address. The drill itself keeps using the unexported names.

// ChildServer is a server a harness started on loopback.
type ChildServer = childServer

// ServerOptions say how to start a child server.
type ServerOptions = serverOptions

// BuildServer compiles ./cmd/liandong of the enclosing module into dir.
func BuildServer(ctx context.Context, dir string, status io.Writer) (string, error) {
	return buildServer(ctx, dir, status)
}

// StartServer starts a server and waits until it answers /healthz.
func StartServer(ctx context.Context, o ServerOptions) (*ChildServer, error) {
	return startServer(ctx, o)
}

// PID is the server's process id.
func (s *childServer) PID() int { return s.pid() }

// URL is the server's base URL (http://127.0.0.1:port).
func (s *childServer) URL() string { return s.base.String() }

// Password is the first admin's password, chosen at start.
func (s *childServer) Password() string { return s.password }

// Stop interrupts the server and kills it after grace.
func (s *childServer) Stop(grace time.Duration) { s.stop(grace) }

// Registration is one responder of POST /api/v1/responders/batch.
type Registration = registration

// NewClientFrom is NewClient dialling from a local address (a 127.0.0.x
// of its own), so that per-address rate limits see several clients.
func NewClientFrom(base *url.URL, source string) (*Client, error) {
	c := NewClient(base)
	if source == "" {
		return c, nil
	}
	ip := net.ParseIP(source)
	if ip == nil {
		return nil, fmt.Errorf("bad source address %q", source)
	}
	nd := &net.Dialer{Timeout: 15 * time.Second, LocalAddr: &net.TCPAddr{IP: ip}}
	c.http.Transport.(*http.Transport).DialContext = nd.DialContext
	return c, nil
}

// CreateUser creates a staff user (admin only).
func (c *Client) CreateUser(ctx context.Context, username, password, role string) error {
	body := map[string]string{"username": username, "password": password, "role": role}
	return c.do(ctx, http.MethodPost, "/api/v1/users", nil, body, nil, http.StatusCreated)
}

// Dialer returns the websocket dialer phones use: small buffers, a shared
// write buffer pool, and source as the local address when it is set.
func Dialer(source string) (*websocket.Dialer, error) { return newDialer(source) }

// WebsocketURL turns a server's base URL into its /ws endpoint.
func WebsocketURL(base string) (*url.URL, error) { return wsURL(base) }

// ProcUsage reads a process's resident memory (bytes) and CPU seconds.
func ProcUsage(pid int) (rssBytes, cpuSeconds float64, err error) { return procUsage(pid) }

// Worker is a child process of the calling binary, started with a flag of
// the caller's choosing: it gets a spec as the first JSON line on stdin,
// then any further lines the parent sends, and answers in JSON lines.
type Worker = workerFleet

// SpawnWorker starts exe with flag, sends it spec and hands each line it
// writes on stdout to onLine (from one goroutine).
func SpawnWorker(exe, flag string, spec any, onLine func([]byte)) (*Worker, error) {
	return spawnWorker(exe, flag, spec, onLine)
}

// Send writes one more JSON line to the worker's stdin.
func (w *workerFleet) Send(v any) error {
	w.sendMu.Lock()
	defer w.sendMu.Unlock()
	return json.NewEncoder(w.stdin).Encode(v)
}

// Stop closes the worker's stdin and waits for it (killing it after
// timeout); it returns the CPU time the worker used.
func (w *workerFleet) Stop(timeout time.Duration) (float64, error) { return w.stop(timeout) }

// PID is the worker's process id.
func (w *workerFleet) PID() int { return w.pid() }
