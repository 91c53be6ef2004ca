package loadtest

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"sync"
	"time"

	"github.com/liandong/liandong/internal/i18n"
)

// Options are a drill's settings beyond the scenario.
type Options struct {
	Scenario   *Scenario
	Target     string // server base URL; empty: start a child server on loopback
	Out        string // report directory
	Redis      string // for a child server; empty: embedded
	User       string // operator login on an explicit target
	Password   string
	ServerBin  string   // prebuilt server for a child; empty: go build
	ServerEnv  []string // extra environment for a child server
	WorkerExe  string   // binary that runs phone workers (WorkerFlag); empty: os.Executable
	PerProcess int      // phones per process; more spreads them over workers
	Seed       uint64   // 0: the scenario's
	Progress   io.Writer
	Every      time.Duration // progress line period
	Lang       i18n.Lang     // report.html's language; empty: zh-CN
	// Record, when set, is where the drill writes its recording for a
	// replay (record.go, docs/REPLAY.md).
	Record string
}

// defaultPerProcess keeps a process well under the 20,000 open files one
// process may hold here, with room for the HTTP client and the server's
// own sockets when they share the limit.
const defaultPerProcess = 9000

// Run plays the scenario against the server and returns the report, which
// it has also written to opts.Out. Cancelling ctx (Ctrl-C) ends the drill
// early but cleanly: phones hang up, needs are fetched and the report is
// still written, marked interrupted.
func Run(ctx context.Context, opts Options) (*Report, error) {
	d, err := newDrill(opts)
	if err != nil {
		return nil, err
	}
	defer d.closeServer()
	defer func() {
		if d.client != nil {
			d.client.http.CloseIdleConnections()
		}
	}()
	runErr := d.run(ctx)
	if d.ledger == nil {
		return nil, runErr
	}
	rep, err := d.finish(ctx, runErr)
	return rep, errors.Join(runErr, err)
}

// drill is one run in progress.
type drill struct {
	opts    Options
	sc      *Scenario
	seed    uint64
	ledger  *Ledger
	client  *Client
	server  *childServer
	target  string
	people  []Person
	fleets  []*fleet
	workers []*workerFleet
	sampler *sampler
	planned int
	started time.Time
	arrived time.Time // the first need was due
	closed  time.Time // phones hung up
	workCPU float64
	// nWorkers counts worker processes ever started, for the report.
	nWorkers     int
	stopSampling func()
	quiet        *quietSide // SMS gateway, push service and their phones (drillchannels.go)
	// The incident opened at the start (incidentrun.go) and the people
	// given shift windows covering the drill (oncall.go).
	incident      *IncidentReport
	onCall        map[string]bool
	shiftsRefused int
	surge         *surgeRun // the surge of needs for nudges (nudgedrill.go)
}

func newDrill(opts Options) (*drill, error) {
	if opts.Scenario == nil {
		return nil, errors.New("no scenario")
	}
	if opts.Out == "" {
		opts.Out = "drill-report"
	}
	if opts.PerProcess <= 0 {
		opts.PerProcess = defaultPerProcess
	}
	if opts.Every <= 0 {
		opts.Every = 5 * time.Second
	}
	if opts.User == "" {
		opts.User = "admin"
	}
	seed := opts.Seed
	if seed == 0 {
		seed = opts.Scenario.Seed
	}
	return &drill{opts: opts, sc: opts.Scenario, seed: seed, started: time.Now()}, nil
}

func (d *drill) logf(format string, a ...any) {
	if d.opts.Progress != nil {
		fmt.Fprintf(d.opts.Progress, format+"\n", a...)
	}
}

// run does everything up to the phones hanging up.
func (d *drill) run(ctx context.Context) error {
	soft, _ := RaiseFileLimit()
	if err := d.connectServer(ctx); err != nil {
		return err
	}
	d.ledger = NewLedger()
	if err := d.setupLinkage(ctx); err != nil {
		d.closed = time.Now()
		return err
	}
	if err := d.register(ctx); err != nil {
		d.closed = time.Now()
		return err
	}
	if err := d.putDepots(ctx); err != nil {
		d.closed = time.Now()
		return err
	}
	d.onCall = d.putShifts(ctx)
	if err := d.prepareSurge(ctx); err != nil {
		d.closed = time.Now()
		return err
	}
	if need := uint64(len(d.socketPeople())/max(d.processes(), 1)) + 256; soft > 0 && soft < need {
		d.logf("warning: open-file limit %d is below the %d this drill needs per process", soft, need)
	}
	if err := d.startPhones(ctx); err != nil {
		d.stopPhones()
		return err
	}
	d.waitConnected(ctx)
	if err := d.openIncident(ctx); err != nil {
		d.stopPhones()
		return err
	}
	if ctx.Err() == nil {
		d.startSurge(ctx)
		d.playArrivals(ctx)
		d.drain(ctx)
	}
	d.stopSurge()
	d.stopPhones()
	return nil
}

// connectServer starts a child server or checks the given target, then
// logs in as an operator.
func (d *drill) connectServer(ctx context.Context) error {
	if err := d.startQuietServices(); err != nil {
		return err
	}
	if d.opts.Target == "" {
		bin := d.opts.ServerBin
		if bin == "" {
			dir, err := os.MkdirTemp("", "drill-server-")
			if err != nil {
				return err
			}
			defer os.RemoveAll(dir) // the running binary stays usable on Linux
			if bin, err = buildServer(ctx, dir, d.opts.Progress); err != nil {
				return err
			}
		}
		if err := os.MkdirAll(d.opts.Out, 0o755); err != nil {
			return err
		}
		env, err := d.sc.serverConfigEnv(d.opts.Out, d.quiet.channelConfig())
		if err != nil {
			return err
		}
		srv, err := startServer(ctx, serverOptions{
			Bin: bin, Redis: d.opts.Redis, Env: append(env, d.opts.ServerEnv...),
			LogPath: filepath.Join(d.opts.Out, "server.log"),
		})
		if err != nil {
			return err
		}
		d.server, d.target = srv, srv.base.String()
		d.opts.Password = srv.password
		d.logf("server started: %s (pid %d, log in %s)", d.target, srv.pid(), filepath.Join(d.opts.Out, "server.log"))
	} else {
		u, err := CheckTarget(d.opts.Target, true)
		if err != nil {
			return err
		}
		if in := d.sc.Incident; in != nil && in.CAP != nil && in.CAP.Status == "Actual" {
			return errActualToTarget
		}
		d.target = u.String()
		if d.sc.Escalation != nil {
			d.logf("note: the scenario's escalation goals apply only to a server the drill starts; %s keeps its own", d.target)
		}
		if d.quiet != nil {
			d.logf("note: SMS-only phones hear only what %s sends to this drill's gateway, %s (give it as sms.webhook_url, with push.insecure_endpoints: true for push-only phones)", d.target, d.quiet.gateway.URL())
		}
	}
	u, _ := url.Parse(d.target)
	d.client = NewClient(u)
	lctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	return d.client.Login(lctx, d.opts.User, d.opts.Password)
}

func (d *drill) closeServer() {
	if d.server != nil {
		d.server.stop(15 * time.Second)
		d.server = nil
	}
	d.closeQuietServices()
	d.quiet = nil
}

// register creates the population through the batch API. Batches start
// at 2,000 people and halve after a server error (the API allows 10,000,
// but a slow store may time out on big ones); a refusal (4xx) is final.
func (d *drill) register(ctx context.Context) error {
	d.people = d.sc.Population(d.seed)
	if s := d.sc.NudgeSurge; s != nil {
		d.people = append(d.people, s.surgePeople(len(d.people))...)
	}
	chunk := 2000
	now := time.Now()
	d.logf("registering %d responders ...", len(d.people))
	for i := 0; i < len(d.people); {
		part := d.people[i:min(i+chunk, len(d.people))]
		regs := make([]registration, len(part))
		for j, p := range part {
			regs[j] = p.registration(now)
		}
		got, err := d.client.RegisterBatch(ctx, regs)
		if err != nil {
			var apiErr *APIError
			if ctx.Err() == nil && chunk > 100 && (!errors.As(err, &apiErr) || apiErr.Status >= 500) {
				d.ledger.countError("register_batch_of_" + strconv.Itoa(chunk))
				chunk /= 2
				d.logf("registration batch failed (%v); retrying with batches of %d", err, chunk)
				continue
			}
			d.people = d.people[:i]
			return fmt.Errorf("register responders: %w", err)
		}
		for j := range part {
			part[j].ID, part[j].Token = got[j].ID, got[j].Token
			d.ledger.AddPerson(got[j].ID, part[j].MaxConcurrent, part[j].Channel)
		}
		i += len(part)
	}
	return nil
}

// processes is how many processes hold phones.
func (d *drill) processes() int {
	n := len(d.socketPeople())
	if n <= d.opts.PerProcess {
		return 1
	}
	return (n + d.opts.PerProcess - 1) / d.opts.PerProcess
}

// startPhones opens one websocket per responder, in this process for a
// small drill and in worker processes, each dialling from its own
// loopback address, for a large one.
func (d *drill) startPhones(ctx context.Context) error {
	if err := d.startQuietPhones(ctx, d.quietPeople()); err != nil {
		return err
	}
	people := d.socketPeople()
	spec := fleetSpec{
		Target: d.target, Seed: d.seed, Behaviour: d.sc.Behaviour,
		Report: d.sc.Movement.ReportEvery, Region: d.sc.Region.Polygon, Field: d.sc.Field,
	}
	n := d.processes()
	if n == 1 {
		spec.People = people
		f, err := startFleet(ctx, &spec, d.ledger.Apply)
		if err != nil {
			return err
		}
		d.fleets = append(d.fleets, f)
		return nil
	}
	exe := d.opts.WorkerExe
	if exe == "" {
		var err error
		if exe, err = os.Executable(); err != nil {
			return err
		}
	}
	loop := isLoopbackIPv4(d.target)
	per := (len(people) + n - 1) / n
	for i := range n {
		s := spec
		s.People = people[i*per : min((i+1)*per, len(people))]
		if loop {
			s.Source = "127.0.0." + strconv.Itoa(2+i%250)
		}
		w, err := startWorker(exe, &s, d.ledger.Apply)
		if err != nil {
			return err
		}
		d.workers = append(d.workers, w)
		d.nWorkers++
	}
	d.logf("phones spread over %d worker processes", n)
	return nil
}

// waitConnected waits until every phone has been welcomed once (phones
// that lose the network come and go, so the live count may never reach
// everyone), or until no new phone got through for 20 s.
func (d *drill) waitConnected(ctx context.Context) {
	want := len(d.socketPeople())
	last, lastChange := -1, time.Now()
	tick := time.NewTicker(500 * time.Millisecond)
	defer tick.Stop()
	nextLog := time.Now()
	for {
		p := d.ledger.Progress()
		if p.Ever >= want {
			d.logf("connected %d/%d phones in %.1fs", p.Ever, want, time.Since(d.started).Seconds())
			return
		}
		if p.Ever != last {
			last, lastChange = p.Ever, time.Now()
		}
		if time.Since(lastChange) > 20*time.Second {
			d.logf("%d/%d phones connected; no new one for 20 s, starting anyway", p.Ever, want)
			return
		}
		if time.Now().After(nextLog) {
			d.logf("connecting: %d/%d", p.Ever, want)
			nextLog = time.Now().Add(d.opts.Every)
		}
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
	}
}

// stopPhones hangs every phone up and collects the workers' last events.
func (d *drill) stopPhones() {
	d.stopQuietPhones()
	var wg sync.WaitGroup
	var mu sync.Mutex
	for _, f := range d.fleets {
		wg.Add(1)
		go func() { defer wg.Done(); f.stop() }()
	}
	for _, w := range d.workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			cpu, err := w.stop(30 * time.Second)
			if err != nil {
				d.logf("phone worker: %v", err)
			}
			mu.Lock()
			d.workCPU += cpu
			mu.Unlock()
		}()
	}
	wg.Wait()
	d.fleets, d.workers = nil, nil
	if d.closed.IsZero() {
		d.closed = time.Now()
	}
}

// CheckTarget parses a target URL. A drill opens thousands of sockets and
// creates thousands of needs: pointed at a real deployment by mistake it
// would mobilise real people, so anything but loopback must come from an
// explicit -target.
func CheckTarget(target string, explicit bool) (*url.URL, error) {
	u, err := url.Parse(target)
	if err != nil {
		return nil, fmt.Errorf("target %q: %w", target, err)
	}
	if (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.User != nil || u.RawQuery != "" || (u.Path != "" && u.Path != "/") {
		return nil, fmt.Errorf("target %q: want http(s)://host:port and nothing else", target)
	}
	u.Path = ""
	if !isLoopbackURL(u.String()) && !explicit {
		return nil, fmt.Errorf("target %s is not a loopback address: pass it with -target to mean it", u.Host)
	}
	return u, nil
}

// isLoopbackURL reports whether the URL's host is a loopback address.
func isLoopbackURL(s string) bool {
	u, err := url.Parse(s)
	if err != nil {
		return false
	}
	h := u.Hostname()
	if h == "localhost" {
		return true
	}
	ip := net.ParseIP(h)
	return ip != nil && ip.IsLoopback()
}

// isLoopbackIPv4 reports whether the URL's host is a 127.x.y.z literal,
// the only case where phones can dial from other 127.0.0.x addresses.
func isLoopbackIPv4(s string) bool {
	u, err := url.Parse(s)
	if err != nil {
		return false
	}
	ip := net.ParseIP(u.Hostname())
	return ip != nil && ip.To4() != nil && ip.IsLoopback()
}
