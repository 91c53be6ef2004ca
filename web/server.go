// Package web is the HTTP side of Liandong: routes, JSON, auth, health and
// metrics endpoints, and the embedded console and responder pages.
package web

import (
	"context"
	"net/http"
	"slices"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	"go.uber.org/zap"
)

// Pinger reports whether the store behind the server answers; /readyz is
// 200 only while it does.
type Pinger interface {
	Ping(ctx context.Context) error
}

// PingerFunc adapts a function to Pinger.
type PingerFunc func(ctx context.Context) error

// Ping calls f.
func (f PingerFunc) Ping(ctx context.Context) error { return f(ctx) }

// Options are what the server is built from; cmd wires them.
type Options struct {
	Logger   *zap.Logger
	Store    Pinger
	Registry *prometheus.Registry
	// API, when set, is mounted under /api/v1 (build it with NewAPI).
	API *API
}

// Server routes every HTTP request of the process.
type Server struct {
	log      *zap.Logger
	store    Pinger
	mux      *http.ServeMux
	handler  http.Handler
	patterns []string // every pattern registered, for the OpenAPI test
}

// readyTimeout bounds the Redis check behind /readyz, so that a load
// balancer's probe never hangs.
const readyTimeout = time.Second

// NewServer builds the routes. Metrics are registered on opts.Registry.
func NewServer(opts Options) *Server {
	s := &Server{log: opts.Logger, store: opts.Store, mux: http.NewServeMux()}
	s.handle("GET /healthz", http.HandlerFunc(s.handleHealthz))
	s.handle("GET /readyz", http.HandlerFunc(s.handleReadyz))
	s.handle("GET /metrics", promhttp.HandlerFor(opts.Registry, promhttp.HandlerOpts{Registry: opts.Registry}))
	s.handle("GET /{$}", http.HandlerFunc(s.handleIndex))
	if opts.API != nil {
		opts.API.mount(s, newAPIMetrics(opts.Registry))
	}
	s.handler = instrument(s.mux, newHTTPMetrics(opts.Registry))
	return s
}

// Handle adds a route; parts built after the server (the websocket hub, the
// API) register here.
func (s *Server) Handle(pattern string, h http.Handler) { s.handle(pattern, h) }

func (s *Server) handle(pattern string, h http.Handler) {
	s.mux.Handle(pattern, h)
	s.patterns = append(s.patterns, pattern)
}

// Routes lists every pattern registered on the server, in order, so that a
// test can hold the OpenAPI document to what is really served.
func (s *Server) Routes() []string { return slices.Clone(s.patterns) }

// ServeHTTP serves a request through the instrumented router.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) { s.handler.ServeHTTP(w, r) }

func (s *Server) handleHealthz(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.Write([]byte("ok\n"))
}

func (s *Server) handleReadyz(w http.ResponseWriter, r *http.Request) {
	ctx, cancel := context.WithTimeout(r.Context(), readyTimeout)
	defer cancel()
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	if err := s.store.Ping(ctx); err != nil {
		s.log.Warn("readiness check failed", zap.Error(err))
		w.WriteHeader(http.StatusServiceUnavailable)
		w.Write([]byte("redis not answering\n"))
		return
	}
	w.Write([]byte("ready\n"))
}

func (s *Server) handleIndex(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Write([]byte(indexPage))
}

const indexPage = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Liandong</title>
<style>body{font-family:system-ui,sans-serif;max-width:40rem;margin:3rem auto;padding:0 1rem;line-height:1.5}</style>
</head><body>
<h1>Liandong 联动</h1>
<p>Emergency-response mobilisation server: social workers and volunteers linked to the people who need them.</p>
<ul>
<li><a href="/console">/console</a>: the command centre's live map (operators)</li>
<li><a href="/respond">/respond</a>: the responder page (opened from a responder's link)</li>
<li><a href="/api/v1/openapi.json">/api/v1/openapi.json</a>: the HTTP API</li>
<li><a href="/healthz">/healthz</a>: the process is up</li>
<li><a href="/readyz">/readyz</a>: Redis answers</li>
<li><a href="/metrics">/metrics</a>: Prometheus metrics</li>
<li><a href="/api/v1/openapi.json">/api/v1/openapi.json</a>: the HTTP API</li>
</ul>
</body></html>
`
