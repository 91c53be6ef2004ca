// Command liandong is the Liandong server: it reads the configuration,
// connects Redis (or starts the embedded one) and serves HTTP and websockets.
package main

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"go.uber.org/zap"

	"github.com/liandong/liandong/mobilize"
	"github.com/liandong/liandong/mobilize/notify"
	"github.com/liandong/liandong/mobilize/redisstore"
	"github.com/liandong/liandong/realtime"
	"github.com/liandong/liandong/realtime/redisrt"
	"github.com/liandong/liandong/web"
)

func main() {
	cfg, err := Load(os.Args[1:], os.Getenv)
	if err != nil {
		fmt.Fprintln(os.Stderr, "liandong:", err)
		os.Exit(2)
	}
	log, err := newLogger(cfg.Log)
	if err != nil {
		fmt.Fprintln(os.Stderr, "liandong: logger:", err)
		os.Exit(2)
	}
	defer log.Sync()
	raiseOpenFileLimit(log)

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()

	m := NewMain(cfg, log)
	if err := m.Run(ctx); err != nil {
		log.Error("start failed", zap.Error(err))
		m.Close()
		log.Sync()
		os.Exit(1)
	}
	<-ctx.Done()
	log.Info("shutting down", zap.Duration("timeout", cfg.HTTP.ShutdownTimeout))
	if err := m.Close(); err != nil {
		log.Error("shutdown", zap.Error(err))
		log.Sync()
		os.Exit(1)
	}
	log.Info("stopped")
}

// Main is the whole program, built so that a test can run it on
// 127.0.0.1:0 and stop it again.
type Main struct {
	Config Config
	Log    *zap.Logger

	redis    *redisConn
	registry *prometheus.Registry
	store    *redisstore.Store
	service  *mobilize.Service
	hub      *realtime.Hub
	notifier *notify.Notifier
	loops    *loops
	listener net.Listener
	http     *http.Server
	served   chan error
}

// NewMain returns a program that has not started yet.
func NewMain(cfg Config, log *zap.Logger) *Main {
	return &Main{Config: cfg, Log: log}
}

// Run connects Redis, builds the parts and starts serving in the
// background. It returns once the listener is open.
func (m *Main) Run(ctx context.Context) error {
	rc, err := openRedis(ctx, m.Config.Redis, m.Log)
	if err != nil {
		return err
	}
	m.redis = rc
	// A Redis that does not answer becomes "503, retry shortly" at the
	// edges, not "500 internal error".
	redisstore.WatchAvailability(rc.Client)

	m.registry = prometheus.NewRegistry()
	m.registry.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))

	m.store, err = redisstore.NewStore(rc.Client, m.Config.indexOptions())
	if err != nil {
		return err
	}
	inbox, broker := redisrt.New(rc.Client, m.Config.Redis.Prefix, redisrt.Options{Logger: m.Log.Named("realtime")})
	m.hub, err = realtime.New(realtime.HubOptions{Inbox: inbox, Broker: broker, Logger: m.Log.Named("realtime")})
	if err != nil {
		return err
	}
	if err := m.hub.Run(ctx); err != nil {
		return fmt.Errorf("websocket hub: %w", err)
	}
	events := m.Log.Named("events")
	m.notifier = notify.New(m.hub, notify.Options{Logger: events, Registerer: m.registry})
	esc := mobilize.NewEscalator(m.store, m.notifier, m.Config.escalationConfig(), time.Now)
	esc.OnCountFailed(func(id mobilize.NeedID, err error) {
		events.Warn("escalation not counted", zap.String("need_id", string(id)), zap.Error(err))
	})
	m.service = mobilize.NewService(mobilize.ServiceDeps{Store: m.store, Sink: m.notifier, Escalator: esc}, m.Config.matchConfig())
	if off := m.service.Off(); len(off) > 0 {
		m.Log.Info("features off", zap.Strings("features", off))
	}
	if err := loadAreaFile(ctx, m.store, m.Config.Areas.File, m.Log); err != nil {
		return err
	}

	access, err := redisstore.NewAccess(rc.Client, m.Config.Redis.Prefix, m.Config.Index.Region)
	if err != nil {
		return fmt.Errorf("api: %w", err)
	}
	apiOpts := m.Config.apiOptions()
	apiOpts.Access, apiOpts.Service, apiOpts.Logger = access, m.service, m.Log
	api, err := web.NewAPI(ctx, apiOpts)
	if err != nil {
		return fmt.Errorf("api: %w", err)
	}
	srv := web.NewServer(web.Options{
		Logger:   m.Log,
		Store:    web.PingerFunc(func(ctx context.Context) error { return rc.Client.Ping(ctx).Err() }),
		Registry: m.registry,
		API:      api,
	})
	if err := web.RegisterPages(srv, m.Config.pageOptions()); err != nil {
		return err
	}
	srv.Handle("GET /ws", api.WebsocketHandler(web.SocketDeps{Hub: m.hub, Log: m.Log.Named("ws")}))

	ln, err := net.Listen("tcp", m.Config.Listen)
	if err != nil {
		return fmt.Errorf("listen on %s: %w", m.Config.Listen, err)
	}
	m.listener = ln
	m.http = &http.Server{
		Handler:           srv,
		ReadHeaderTimeout: 10 * time.Second,
		ErrorLog:          zap.NewStdLog(m.Log.Named("http")),
	}
	m.served = make(chan error, 1)
	go func() { m.served <- m.http.Serve(ln) }()
	m.loops = startLoops(m.service, m.store, m.Config, m.Log)
	m.Log.Info("listening", zap.String("addr", ln.Addr().String()), zap.Bool("embedded_redis", rc.Embedded))
	return nil
}

// Addr is the address the server listens on (useful with port 0).
func (m *Main) Addr() string {
	if m.listener == nil {
		return ""
	}
	return m.listener.Addr().String()
}

// Close stops in order: stop accepting and finish in-flight requests, stop
// the matcher and sweeper, deliver the messages they queued, close the
// websockets, then close Redis. Producers of events stop before the
// notifier drains, and the hub and Redis it delivers through close after
// it. It is safe to call after a failed Run.
func (m *Main) Close() error {
	var errs []error
	if m.http != nil {
		ctx, cancel := context.WithTimeout(context.Background(), m.Config.HTTP.ShutdownTimeout)
		if err := m.http.Shutdown(ctx); err != nil {
			errs = append(errs, fmt.Errorf("http shutdown: %w", err))
			m.http.Close()
		}
		cancel()
		if err := <-m.served; err != nil && !errors.Is(err, http.ErrServerClosed) {
			errs = append(errs, fmt.Errorf("http serve: %w", err))
		}
		m.http = nil
	}
	if m.loops != nil {
		m.loops.Close()
		m.loops = nil
	}
	if m.notifier != nil {
		// Sockets stay open until the hub shuts down: what they still
		// cause is delivered on the spot, after the queue.
		ctx, cancel := context.WithTimeout(context.Background(), m.Config.HTTP.ShutdownTimeout)
		if err := m.notifier.Close(ctx); err != nil {
			errs = append(errs, err)
		}
		cancel()
		m.notifier = nil
	}
	if m.hub != nil {
		// Hijacked websockets outlive http.Server.Shutdown: close them with
		// "going away" so that clients reconnect elsewhere.
		ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
		if err := m.hub.Shutdown(ctx); err != nil {
			errs = append(errs, fmt.Errorf("websocket hub: %w", err))
		}
		cancel()
		m.hub = nil
	}
	if m.redis != nil {
		if err := m.redis.Close(); err != nil {
			errs = append(errs, fmt.Errorf("redis close: %w", err))
		}
		m.redis = nil
	}
	return errors.Join(errs...)
}

// raiseOpenFileLimit lifts the soft open-file limit to the hard one: every
// websocket is a file, and the default soft limit is far below what a city
// of responders needs.
func raiseOpenFileLimit(log *zap.Logger) {
	var lim syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_NOFILE, &lim); err != nil {
		log.Warn("cannot read the open-file limit", zap.Error(err))
		return
	}
	if lim.Cur < lim.Max {
		lim.Cur = lim.Max
		if err := syscall.Setrlimit(syscall.RLIMIT_NOFILE, &lim); err != nil {
			log.Warn("cannot raise the open-file limit", zap.Error(err))
		}
	}
	log.Info("open-file limit", zap.Uint64("soft", lim.Cur), zap.Uint64("hard", lim.Max))
}
