// Package server is the Liandong program: its configuration, the parts it
// is built from, and the process that runs them. cmd/liandong runs it as
// the server binary; the tests boot it through the same New, on a free
// port.
package server

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"go.uber.org/zap"

	"github.com/liandong/liandong/internal/demo"
	"github.com/liandong/liandong/mobilize"
	"github.com/liandong/liandong/mobilize/lease"
	"github.com/liandong/liandong/mobilize/notify"
	"github.com/liandong/liandong/mobilize/phonecode"
	"github.com/liandong/liandong/mobilize/reach"
	"github.com/liandong/liandong/mobilize/reach/push"
	"github.com/liandong/liandong/mobilize/reach/sms"
	"github.com/liandong/liandong/mobilize/redisstore"
	"github.com/liandong/liandong/realtime"
	"github.com/liandong/liandong/realtime/redisrt"
	"github.com/liandong/liandong/web"
	"github.com/liandong/liandong/web/open311"
)

// Main is the whole program, built so that a test can run it on
// 127.0.0.1:0 and stop it again.
type Main struct {
	cfg   Config
	log   *zap.Logger
	hooks Hooks

	redis    *redisConn
	registry *prometheus.Registry
	store    *redisstore.Store
	service  *mobilize.Service
	hub      *realtime.Hub
	notifier *notify.Notifier
	pusher   *push.Sender // nil when push.enabled is false
	ladder   *reach.Ladder
	loops    *loops
	leases   *lease.Runner
	demo     *demo.Demo
	listener net.Listener
	http     *http.Server
	served   chan error
}

// Hooks let a test watch the running program from inside; the binary
// runs with none.
type Hooks struct {
	// Events, when set, is told every domain event as well, right after
	// the websocket delivery is (which it does not replace). It is called
	// on the matcher's path, so it must not block, and it must copy what
	// it keeps of an event's slices (mobilize.Event).
	Events mobilize.EventSink
	// Operator receives what is shown to the operator once and never
	// logged (the embedded Redis' password); nil: standard error.
	Operator io.Writer
	// Demo shapes the demonstration (a test's shorter intervals); zero:
	// the defaults, which suit a person watching.
	Demo demo.Options
	// Pusher, when set, replaces the ladder's Web Push rung (a test's
	// fake); nil: the Web Push sender when push.enabled.
	Pusher reach.Pusher
	// PhoneCodes, when set, texts and checks the codes that confirm the
	// phone of a volunteer joining by invitation (a test's fake).
	PhoneCodes PhoneCodes
	// Texter, when set, replaces the configured SMS provider (a test's
	// recorder of codes and requester texts).
	Texter sms.Provider
}

// PhoneCodes confirm a phone with a texted code (web's phoneCodes).
type PhoneCodes interface {
	SendCode(ctx context.Context, phone, purpose string) (ticket string, err error)
	ConfirmCode(ctx context.Context, ticket, code string) (phone string, err error)
}

// New returns a program that has not started yet.
func New(cfg Config, log *zap.Logger, hooks Hooks) *Main {
	return &Main{cfg: cfg, log: log, hooks: hooks}
}

// Run connects Redis, builds the parts and starts serving in the
// background. It returns once the listener is open.
func (m *Main) Run(ctx context.Context) error {
	operator := m.hooks.Operator
	if operator == nil {
		operator = os.Stderr
	}
	rc, err := openRedis(ctx, m.cfg.Redis, m.log, operator)
	if err != nil {
		return err
	}
	m.redis = rc
	// A Redis that does not answer becomes "503, retry shortly" at the
	// edges, not "500 internal error".
	redisstore.WatchAvailability(rc.Client)

	m.registry = prometheus.NewRegistry()
	m.registry.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))

	m.store, err = redisstore.NewStore(rc.Client, m.cfg.indexOptions())
	if err != nil {
		return err
	}
	// Web Push: the delivery ladder's push rung (Pusher) and the API's
	// subscription routes, over the same subscriptions.
	pushStore, err := redisstore.NewPushStore(rc.Client, m.cfg.Redis.Prefix, m.cfg.Index.Region)
	if err != nil {
		return fmt.Errorf("push: %w", err)
	}
	var pushAPI *web.PushOptions
	if m.pusher, pushAPI, err = buildPush(ctx, m.cfg.pushSettings(), pushStore, m.registry, m.log.Named("push")); err != nil {
		return err
	}
	inbox, broker := redisrt.New(rc.Client, m.cfg.Redis.Prefix, redisrt.Options{Logger: m.log.Named("realtime")})
	reachRecords, err := redisstore.NewReach(rc.Client, m.cfg.Redis.Prefix, m.cfg.Index.Region)
	if err != nil {
		return err
	}
	hubOpts := m.cfg.hubOptions()
	hubOpts.Inbox, hubOpts.Broker, hubOpts.Logger = inbox, broker, m.log.Named("realtime")
	// The ladder learns which offers a socket acknowledged (the inbox
	// entry that carried them) and who has a socket open, on any process.
	hubOpts.Inbox = watchInbox(inbox, reachRecords, time.Hour, m.log.Named("reach"))
	hubOpts.Presence = reach.NewOnline(reachRecords, onlineMarkerTTL, m.log.Named("reach"))
	m.hub, err = realtime.New(hubOpts)
	if err != nil {
		return err
	}
	if err := m.hub.Run(ctx); err != nil {
		return fmt.Errorf("websocket hub: %w", err)
	}
	events := m.log.Named("events")
	notifyOpts := m.cfg.notifyOptions()
	notifyOpts.Logger, notifyOpts.Registerer, notifyOpts.Scopes = events, m.registry, m.store
	m.notifier = notify.New(m.hub, notifyOpts)
	// The demo's simulated people learn of their offers from the events
	// of the service they act through: it is a sink, told the service
	// once that exists.
	m.demo = demo.New(nil, newDemoRecords(rc.Client, m.cfg.Redis.Prefix, m.cfg.Index.Region), m.hooks.Demo, m.log.Named("demo"))
	access, err := redisstore.NewAccess(rc.Client, m.cfg.Redis.Prefix, m.cfg.Index.Region)
	if err != nil {
		return fmt.Errorf("api: %w", err)
	}
	rp := m.cfg.reachParts()
	texter, texts, err := smsProvider(rp, m.cfg.UI.TimeZone, m.log.Named("sms"))
	if err != nil {
		return err
	}
	if m.hooks.Texter != nil {
		texter = m.hooks.Texter
	}
	ladderOpts := rp.Ladder
	ladderOpts.Logger, ladderOpts.Registerer, ladderOpts.Texts = m.log.Named("reach"), m.registry, texts
	// A test's fake push rung wins; otherwise the Web Push sender, when
	// push is on (no typed nil: a nil sender leaves the rung out).
	pusher := m.hooks.Pusher
	if pusher == nil && m.pusher != nil {
		pusher = m.pusher
	}
	m.ladder = reach.New(reach.Deps{Records: reachRecords, Directory: m.store, Texter: texter, Pusher: pusher, Inbox: inboxFloor{inbox}, Audit: access}, ladderOpts)
	steps := &requestSteps{}
	sink := tee{m.notifier, m.ladder, m.demo, steps}
	if m.hooks.Events != nil {
		sink = append(sink, m.hooks.Events)
	}
	esc := mobilize.NewEscalator(m.store, sink, m.cfg.escalationConfig(), time.Now)
	esc.OnCountFailed(func(id mobilize.NeedID, err error) {
		events.Warn("escalation not counted", zap.String("need_id", string(id)), zap.Error(err))
	})
	deps := m.cfg.serviceTuning()
	deps.Store, deps.Sink, deps.Escalator = m.store, sink, esc
	deps.CAP, deps.Duplicates = m.cfg.capConfig(), m.cfg.duplicateConfig()
	// Offer waves measure acceptance by the local hour of day.
	if zone, err := time.LoadLocation(m.cfg.UI.TimeZone); err == nil {
		m.store.SetTimeZone(zone)
	}
	deps.Acceptance = m.store
	// A direct or area message is in its recipients' inboxes before the
	// sender is answered: it has no other record.
	deps.Inboxes = m.notifier
	// One matcher per region: this process matches the region while it
	// holds the region's lease (loops.go runs the leases).
	leaseOpts := m.cfg.leaseOptions()
	leaseOpts.Log, leaseOpts.Registerer = m.log.Named("lease"), m.registry
	if m.leases, err = lease.New(redisstore.NewLeases(rc.Client, m.cfg.Redis.Prefix), leaseOpts); err != nil {
		return err
	}
	deps.Lease = m.leases.Region(m.cfg.Index.Region)
	m.service = mobilize.NewService(deps, m.cfg.matchConfig())
	m.demo.Use(m.service)
	if off := m.service.Off(); len(off) > 0 {
		m.log.Info("features off", zap.Strings("features", off))
	}
	if err := loadAreaFile(ctx, m.store, m.cfg.Areas.File, m.log); err != nil {
		return err
	}
	// Needs stored before the per-organisation and per-community indexes
	// existed join them, once.
	if n, err := m.store.BackfillNeedIndexes(ctx); err != nil {
		return err
	} else if n > 0 {
		m.log.Info("indexed the needs by organisation and community", zap.Int("needs", n))
	}

	apiOpts := m.cfg.apiOptions()
	apiOpts.Access, apiOpts.Service, apiOpts.Logger = access, m.service, m.log
	apiOpts.Inbox = inbox
	apiOpts.Sockets = m.hub // revocations close sockets on every process
	apiOpts.Demo = demoControl{m.demo}
	apiOpts.Push = pushAPI
	apiOpts.SMS = web.SMSOptions{Secret: rp.WebhookSecret, Records: reachRecords, Sender: m.ladder, Texts: texts}
	// One-time codes confirm the phone of a resident asking for help and
	// of a volunteer joining by invitation: texted through the same
	// provider as everything else, keys in the region's slot.
	codeRecords, err := redisstore.NewPhoneCodes(rc.Client, m.cfg.Redis.Prefix, m.cfg.Index.Region)
	if err != nil {
		return fmt.Errorf("phone codes: %w", err)
	}
	var codes PhoneCodes = phonecode.New(codeRecords, texter, phonecode.Options{})
	if m.hooks.PhoneCodes != nil {
		codes = m.hooks.PhoneCodes
	}
	apiOpts.PhoneCodes = codes
	// Residents' requests.
	reqRecords, err := redisstore.NewRequests(rc.Client, m.cfg.Redis.Prefix, m.cfg.Index.Region)
	if err != nil {
		return fmt.Errorf("requests: %w", err)
	}
	rq := m.cfg.requestParts()
	desk := mobilize.NewRequests(reqRecords, m.service, rq.Limits, time.Now)
	desk.UseTeller(residentTexts{ladder: m.ladder, lang: ladderOpts.Lang})
	steps.desk.Store(desk)
	apiOpts.Service = reviewedService{Service: m.service, desk: desk}
	apiOpts.Requests = web.RequestOptions{Desk: desk, Region: rq.Region, CodesPerAddressPerHour: rq.CodesPerAddressPerHour,
		Codes: codes}
	api, err := web.NewAPI(ctx, apiOpts)
	if err != nil {
		return fmt.Errorf("api: %w", err)
	}
	m.ladder.UseFeedbackLinks(api.FeedbackURL)
	srv := web.NewServer(web.Options{
		Logger:   m.log,
		Store:    web.PingerFunc(func(ctx context.Context) error { return rc.Client.Ping(ctx).Err() }),
		Registry: m.registry,
		API:      api,
		// The index page's language with no ?lang= nor Accept-Language.
		DefaultLang: m.cfg.pageOptions().DefaultLang,
	})
	if err := web.RegisterPages(srv, m.cfg.pageOptions()); err != nil {
		return err
	}
	// The partners' Open311 door (docs/OPEN311.md).
	o311 := m.cfg.open311Options()
	o311.Keys, o311.App, o311.Logger = web.NewPartners(access).Open311(), m.service, m.log.Named("open311")
	door, err := open311.New(o311)
	if err != nil {
		return fmt.Errorf("open311: %w", err)
	}
	srv.Handle(open311.Prefix, door)
	srv.Handle("GET /ws", api.WebsocketHandler(web.SocketDeps{Hub: m.hub, Log: m.log.Named("ws"), Console: m.cfg.consoleLimits(), Registerer: m.registry}))

	ln, err := net.Listen("tcp", m.cfg.Listen)
	if err != nil {
		return fmt.Errorf("listen on %s: %w", m.cfg.Listen, err)
	}
	// Slow and idle clients are cut off: headers and bodies must arrive in
	// time, idle keep-alive connections close, an answer must be written
	// in time. Bodies get a deadline of their own (ReadBodyWithin) rather
	// than http.Server.ReadTimeout, so that the two bounds are set apart
	// and a request without a body is bounded by its headers only. A
	// websocket replaces the write deadline on every write and the read
	// deadline with its pong wait, so neither ends it.
	lim := m.cfg.serverLimits()
	m.listener = ln
	m.http = &http.Server{
		Handler:           web.ReadBodyWithin(lim.BodyTimeout, srv),
		ReadHeaderTimeout: lim.ReadHeaderTimeout,
		WriteTimeout:      lim.WriteTimeout,
		IdleTimeout:       lim.IdleTimeout,
		ErrorLog:          zap.NewStdLog(m.log.Named("http")),
	}
	ln = web.LimitConnsPerAddress(ln, lim.MaxConnsPerAddress, m.registry)
	m.served = make(chan error, 1)
	go func() { m.served <- m.http.Serve(ln) }()
	m.loops = startLoops(m.service, m.store, m.cfg, m.log, regionLease{m.leases, m.cfg.Index.Region}, m.registry)
	if m.cfg.Demo {
		if err := m.demo.Start(ctx); err != nil {
			return fmt.Errorf("demo: %w", err)
		}
	}
	m.log.Info("listening", zap.String("addr", ln.Addr().String()), zap.Bool("embedded_redis", rc.Embedded))
	return nil
}

// Pusher is the Web Push sender, the delivery ladder's push rung; nil
// when push.enabled is false.
func (m *Main) Pusher() *push.Sender { return m.pusher }

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
		ctx, cancel := context.WithTimeout(context.Background(), m.cfg.HTTP.ShutdownTimeout)
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
	if m.demo != nil {
		// Its people stop acting before the matcher does; its records
		// stay for DELETE /api/v1/demo, here or after a restart.
		m.demo.Close()
	}
	if m.loops != nil {
		m.loops.Close()
		m.loops = nil
	}
	if m.notifier != nil {
		// Sockets stay open until the hub shuts down: what they still
		// cause is delivered on the spot, after the queue.
		ctx, cancel := context.WithTimeout(context.Background(), m.cfg.HTTP.ShutdownTimeout)
		if err := m.notifier.Close(ctx); err != nil {
			errs = append(errs, err)
		}
		cancel()
		m.notifier = nil
	}
	if m.ladder != nil {
		// After the notifier: what it says is what the ladder follows up.
		ctx, cancel := context.WithTimeout(context.Background(), m.cfg.HTTP.ShutdownTimeout)
		if err := m.ladder.Close(ctx); err != nil {
			errs = append(errs, fmt.Errorf("reach: %w", err))
		}
		cancel()
		m.ladder = nil
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

// tee tells every event to each of its sinks in turn.
type tee []mobilize.EventSink

func (t tee) Emit(ctx context.Context, e mobilize.Event) {
	for _, s := range t {
		s.Emit(ctx, e)
	}
}
