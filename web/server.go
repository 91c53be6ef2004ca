// Package web is the HTTP side of Liandong: routes, JSON, auth, health and
// metrics endpoints, and the embedded console and responder pages.
package web

import (
	"context"
	"html/template"
	"net/http"
	"slices"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	"go.uber.org/zap"

	"github.com/liandong/liandong/internal/i18n"
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
	// DefaultLang is the index page's language (zh-CN or en) when neither
	// ?lang= nor Accept-Language says; empty or unknown: zh-CN.
	DefaultLang string
}

// Server routes every HTTP request of the process.
type Server struct {
	log      *zap.Logger
	store    Pinger
	mux      *http.ServeMux
	handler  http.Handler
	patterns []string // every pattern registered, for the OpenAPI test
	lang     pageLang // the index page's
}

// readyTimeout bounds the Redis check behind /readyz, so that a load
// balancer's probe never hangs.
const readyTimeout = time.Second

// NewServer builds the routes. Metrics are registered on opts.Registry.
func NewServer(opts Options) *Server {
	s := &Server{log: opts.Logger, store: opts.Store, mux: http.NewServeMux()}
	// The configuration has checked the language; a wrong one here only
	// falls back to zh-CN, as the index page is no place to fail.
	s.lang, _ = newPageLang(opts.DefaultLang, "")
	if s.lang.def == "" {
		s.lang, _ = newPageLang("", "")
	}
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
	lang := s.lang.pick(w, r)
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	indexPage.Execute(w, indexPageData{Lang: lang, OtherLang: lang.Other(), OtherURL: langLink(r, lang.Other())})
}

type indexPageData struct {
	Lang, OtherLang i18n.Lang
	OtherURL        string
}

// T says a key of the page's catalogue in the page's language.
func (d indexPageData) T(key string, params ...any) string { return pageText.T(d.Lang, key, params...) }

var indexPage = template.Must(template.New("index").Parse(`<!doctype html>
<html lang="{{.Lang}}"><head><meta charset="utf-8"><title>{{.T "index.title"}}</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<style>body{font-family:system-ui,-apple-system,"PingFang SC","Hiragino Sans GB","Microsoft YaHei","Noto Sans CJK SC","Source Han Sans SC",sans-serif;max-width:40rem;margin:3rem auto;padding:0 1rem;line-height:1.5}</style>
</head><body>
<header><h1>{{.T "index.title"}}</h1><a href="{{.OtherURL}}" lang="{{.OtherLang}}" hreflang="{{.OtherLang}}">{{.T "lang.other"}}</a></header>
<main>
<p>{{.T "index.intro"}}</p>
<h2>{{.T "index.pages"}}</h2>
<ul>
<li><a href="/console">/console</a>: {{.T "index.console"}}</li>
<li><a href="/respond">/respond</a>: {{.T "index.respond"}}</li>
<li><a href="/api/v1/openapi.json">/api/v1/openapi.json</a>: {{.T "index.api"}}</li>
<li><a href="/healthz">/healthz</a>: {{.T "index.healthz"}}</li>
<li><a href="/readyz">/readyz</a>: {{.T "index.readyz"}}</li>
<li><a href="/metrics">/metrics</a>: {{.T "index.metrics"}}</li>
</ul>
</main>
</body></html>
`))
