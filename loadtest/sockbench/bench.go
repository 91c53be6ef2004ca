package sockbench

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"net/url"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/liandong/liandong/loadtest"
)

// Options are one benchmark run's settings.
type Options struct {
	Responders   int           // responder sockets held open on the one server
	PerProcess   int           // sockets per worker process
	Consoles     int           // operator consoles for the event phase
	OfferRate    float64       // needs created (hence offers) per second
	OfferFor     time.Duration // how long needs are created
	EventRate    float64       // location messages (hence responder.moved events) per second
	EventFor     time.Duration // how long they are sent
	Settle       time.Duration // wait after connecting before memory is read
	Redis        string        // Redis URL for the server; "" a private redis-server; "embedded"
	ServerBin    string        // prebuilt server; "" builds ./cmd/liandong
	WorkerExe    string        // binary that runs workers (WorkerFlag); "" os.Executable
	Out          string        // directory for server.log
	Seed         uint64
	Progress     io.Writer
	DialInFlight int // dials in flight per worker
}

func (o *Options) defaults() {
	def := func(v *int, d int) {
		if *v <= 0 {
			*v = d
		}
	}
	def(&o.Responders, 30000)
	def(&o.PerProcess, 10000)
	def(&o.DialInFlight, 64)
	if o.Consoles < 0 {
		o.Consoles = 0
	}
	if o.Settle <= 0 {
		o.Settle = 15 * time.Second
	}
	if o.Out == "" {
		o.Out = "sockbench-report"
	}
	if o.Seed == 0 {
		o.Seed = 20261128
	}
	if o.Progress == nil {
		o.Progress = io.Discard
	}
}

// cityBox is the Yantai urban area the drills use, [minLng, minLat,
// maxLng, maxLat]: responders live in it, needs arise in it, consoles
// watch all of it.
var cityBox = []float64{121.26, 37.40, 121.52, 37.56}

// operators is how many operator accounts create needs: one token may make
// 500 requests a second and one address 1,000, so 1,000 needs a second are
// spread over several of each, as several dispatchers would be.
const operators = 4

// bench is one run in progress.
type bench struct {
	o       Options
	res     *Result
	redis   *privateRedis
	server  *loadtest.ChildServer
	admin   *loadtest.Client
	ops     []*loadtest.Client
	homes   [][2]float64
	tokens  []string
	workers []*workerHandle
	console *workerHandle
}

// workerHandle is the parent's view of one worker process.
type workerHandle struct {
	w       *loadtest.Worker
	mu      sync.Mutex
	last    workerReport // latest progress
	reports chan workerReport
	moved   chan workerReport
}

func (b *bench) logf(format string, a ...any) {
	fmt.Fprintf(b.o.Progress, "%s "+format+"\n", append([]any{time.Now().UTC().Format("15:04:05")}, a...)...)
}

// Run performs the benchmark and returns its figures.
func Run(ctx context.Context, o Options) (*Result, error) {
	o.defaults()
	b := &bench{o: o, res: &Result{Responders: o.Responders, Consoles: o.Consoles,
		OfferRate: o.OfferRate, EventRate: o.EventRate, Started: time.Now().UTC()}}
	b.res.Machine = machine()
	defer func() { b.res.Machine += "; at the end: " + loadAvg() }()
	defer b.close()
	err := b.run(ctx)
	b.res.Finished = time.Now().UTC()
	return b.res, err
}

func (b *bench) run(ctx context.Context) error {
	need := uint64(b.o.Responders + b.o.Consoles + serverFiles)
	b.res.FileLimit = raiseHardFileLimit(need)
	b.logf("open-file limit for this process and its children: %d", b.res.FileLimit)
	if b.res.FileLimit < need {
		return fmt.Errorf("the server may open %d files and %d sockets need about %d: raising the hard limit needs CAP_SYS_RESOURCE, which this process lacks; use -responders %d or fewer",
			b.res.FileLimit, b.o.Responders+b.o.Consoles, need, max(int(b.res.FileLimit)-b.o.Consoles-serverFiles, 0))
	}
	if err := b.startServer(ctx); err != nil {
		return err
	}
	if err := b.logins(ctx); err != nil {
		return err
	}
	if err := b.register(ctx); err != nil {
		return err
	}
	if err := b.connect(ctx); err != nil {
		return err
	}
	if b.o.OfferRate > 0 && b.o.OfferFor > 0 {
		if err := b.offers(ctx); err != nil {
			return err
		}
	}
	if b.o.Consoles > 0 && b.o.EventRate > 0 && b.o.EventFor > 0 {
		if err := b.events(ctx); err != nil {
			return err
		}
	}
	return nil
}

// serverFiles is what the server holds besides the benchmark's sockets:
// the operators' HTTP connections, the Redis pool, its log, the listener.
const serverFiles = 400

// raiseHardFileLimit lifts this process's open-file limit, soft and hard,
// to at least want (root may raise the hard limit; anyone the soft one up
// to it). Children inherit it: the server, which raises its soft limit to
// the hard one at start, and the workers.
func raiseHardFileLimit(want uint64) uint64 {
	var rl syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_NOFILE, &rl); err != nil {
		return 0
	}
	if rl.Max < want {
		up := syscall.Rlimit{Cur: want, Max: want}
		if syscall.Setrlimit(syscall.RLIMIT_NOFILE, &up) == nil {
			return want
		}
	}
	soft, _ := loadtest.RaiseFileLimit()
	return soft
}

func (b *bench) startServer(ctx context.Context) error {
	if err := os.MkdirAll(b.o.Out, 0o755); err != nil {
		return err
	}
	redisURL := b.o.Redis
	switch redisURL {
	case "":
		r, err := startRedis(ctx)
		if err != nil {
			return err
		}
		b.redis, redisURL = r, r.url()
		b.res.Redis = "private redis-server " + r.addr
	case "embedded":
		redisURL = ""
		b.res.Redis = "embedded (in the server process: its keys count as server memory)"
	default:
		b.res.Redis = redisURL
	}
	bin := b.o.ServerBin
	if bin == "" {
		dir, err := os.MkdirTemp("", "sockbench-server-")
		if err != nil {
			return err
		}
		defer os.RemoveAll(dir) // the running binary stays usable on Linux
		if bin, err = loadtest.BuildServer(ctx, dir, b.o.Progress); err != nil {
			return err
		}
	}
	logPath := filepath.Join(b.o.Out, "server.log")
	srv, err := loadtest.StartServer(ctx, loadtest.ServerOptions{Bin: bin, Redis: redisURL, LogPath: logPath})
	if err != nil {
		return err
	}
	b.server = srv
	b.logf("server %s (pid %d, log %s), Redis: %s", srv.URL(), srv.PID(), logPath, b.res.Redis)
	return nil
}

// logins logs the admin in and creates the operators that create needs,
// each calling from its own loopback address.
func (b *bench) logins(ctx context.Context) error {
	base, _ := url.Parse(b.server.URL())
	b.admin = loadtest.NewClient(base)
	if err := b.admin.Login(ctx, "admin", b.server.Password()); err != nil {
		return err
	}
	for i := range operators {
		name := "bench-op-" + strconv.Itoa(i)
		pw := fmt.Sprintf("bench-%d-%x", i, rand.Uint64())
		if err := b.admin.CreateUser(ctx, name, pw, "operator"); err != nil {
			return err
		}
		c, err := loadtest.NewClientFrom(base, "127.0.0."+strconv.Itoa(2+i))
		if err != nil {
			return err
		}
		if err := c.Login(ctx, name, pw); err != nil {
			return err
		}
		b.ops = append(b.ops, c)
	}
	return nil
}

// register creates the responders through the batch API, all volunteers
// living at random places in the city.
func (b *bench) register(ctx context.Context) error {
	n := b.o.Responders
	rng := rand.New(rand.NewPCG(b.o.Seed, 1))
	b.homes = make([][2]float64, n)
	b.tokens = make([]string, n)
	start := time.Now()
	const batch = 5000
	for i := 0; i < n; i += batch {
		part := min(batch, n-i)
		regs := make([]loadtest.Registration, part)
		for j := range regs {
			k := i + j
			b.homes[k] = [2]float64{
				cityBox[1] + rng.Float64()*(cityBox[3]-cityBox[1]),
				cityBox[0] + rng.Float64()*(cityBox[2]-cityBox[0]),
			}
			regs[j] = loadtest.Registration{Name: fmt.Sprintf("sockbench %05d", k), Role: "volunteer", MaxConcurrent: 1}
		}
		got, err := b.admin.RegisterBatch(ctx, regs)
		if err != nil {
			return fmt.Errorf("register responders: %w", err)
		}
		for j, r := range got {
			b.tokens[i+j] = r.Token
		}
	}
	b.logf("registered %d responders in %.1fs", n, time.Since(start).Seconds())
	return nil
}

// spawn starts a worker process and routes its lines.
func (b *bench) spawn(spec workerSpec) (*workerHandle, error) {
	exe := b.o.WorkerExe
	if exe == "" {
		var err error
		if exe, err = os.Executable(); err != nil {
			return nil, err
		}
	}
	h := &workerHandle{reports: make(chan workerReport, 4), moved: make(chan workerReport, 1)}
	w, err := loadtest.SpawnWorker(exe, WorkerFlag, spec, func(line []byte) {
		r, err := decodeReport(line)
		if err != nil {
			return
		}
		switch r.Op {
		case "progress":
			h.mu.Lock()
			h.last = r
			h.mu.Unlock()
		case "report":
			h.reports <- r
		case "moved":
			h.moved <- r
		}
	})
	if err != nil {
		return nil, err
	}
	h.w = w
	return h, nil
}

func (h *workerHandle) progress() workerReport {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.last
}

// report asks the worker for its counters.
func (h *workerHandle) report(ctx context.Context) (workerReport, error) {
	if err := h.w.Send(command{Op: "report"}); err != nil {
		return workerReport{}, err
	}
	select {
	case r := <-h.reports:
		return r, nil
	case <-time.After(60 * time.Second):
		return workerReport{}, errors.New("a worker did not report within 60 s")
	case <-ctx.Done():
		return workerReport{}, ctx.Err()
	}
}

// connect opens every responder socket and reads the server's memory
// before and after.
func (b *bench) connect(ctx context.Context) error {
	pid := b.server.PID()
	time.Sleep(2 * time.Second) // let registration's garbage settle a little
	before, err := rssBytes(pid)
	if err != nil {
		return err
	}
	b.res.Memory.RSSBefore = before
	b.res.Memory.GaugesBefore, _ = fetchGauges(ctx, b.server.URL())

	n := b.o.Responders
	procs := (n + b.o.PerProcess - 1) / b.o.PerProcess
	per := (n + procs - 1) / procs
	start := time.Now()
	for i := range procs {
		lo, hi := i*per, min((i+1)*per, n)
		h, err := b.spawn(workerSpec{
			Target: b.server.URL(), Source: "127.0.0." + strconv.Itoa(10+i), Kind: kindResponders,
			Tokens: b.tokens[lo:hi], Homes: b.homes[lo:hi], Dial: b.o.DialInFlight, Seed: b.o.Seed + uint64(i),
		})
		if err != nil {
			return err
		}
		b.workers = append(b.workers, h)
	}
	b.res.Processes = procs
	b.logf("connecting %d responder sockets from %d worker processes (127.0.0.10-%d) ...", n, procs, 9+procs)
	connected, err := b.waitConnected(ctx, b.workers, n)
	b.res.Connected = connected
	b.res.ConnectSeconds = round1(time.Since(start).Seconds())
	if err != nil {
		return err
	}
	b.logf("connected %d/%d in %.1fs; settling %v before reading memory", connected, n, b.res.ConnectSeconds, b.o.Settle)
	peak, early := int64(0), int64(0)
	settled := time.Now()
	for end := settled.Add(b.o.Settle); time.Now().Before(end); {
		r, err := rssBytes(pid)
		if err == nil && r > peak {
			peak = r
		}
		if err == nil && early == 0 && time.Since(settled) >= earlyRead {
			early = r
		}
		if !sleep(ctx, time.Second) {
			return ctx.Err()
		}
	}
	after, err := rssBytes(pid)
	if err != nil {
		return err
	}
	m := &b.res.Memory
	m.RSSAfter, m.RSSPeakSettling = after, peak
	if early > 0 && connected > 0 {
		m.PerConnKiBAt15s = round1(float64(early-before) / float64(connected) / 1024)
	}
	m.GaugesAfter, _ = fetchGauges(ctx, b.server.URL())
	if connected > 0 {
		m.PerConnKiB = round1(float64(after-before) / float64(connected) / 1024)
		for _, g := range runtimeGauges {
			if g == "go_goroutines" {
				continue
			}
			if m.PerConnByGauge == nil {
				m.PerConnByGauge = map[string]float64{}
			}
			m.PerConnByGauge[g] = round1((m.GaugesAfter[g] - m.GaugesBefore[g]) / float64(connected) / 1024)
		}
		m.GoroutinesPerConn = round1((m.GaugesAfter["go_goroutines"] - m.GaugesBefore["go_goroutines"]) / float64(connected))
	}
	b.logf("server RSS %.1f MiB -> %.1f MiB: %.1f KiB per connection", mib(before), mib(after), m.PerConnKiB)
	return nil
}

// earlyRead is when memory is read first after connecting. A longer settle
// (over two minutes) also sees the runtime's periodic GC, after which the
// garbage of the connection storm is gone: the idle steady state.
const earlyRead = 15 * time.Second

// waitConnected waits until want sockets are welcomed, or until none got
// through for 30 s.
func (b *bench) waitConnected(ctx context.Context, hs []*workerHandle, want int) (int, error) {
	last, lastChange, nextLog := -1, time.Now(), time.Now().Add(5*time.Second)
	for {
		got, failed := 0, 0
		for _, h := range hs {
			p := h.progress()
			got += p.Connected
			failed += p.Failed
		}
		if got >= want {
			return got, nil
		}
		if got+failed >= want && failed > 0 {
			return got, fmt.Errorf("%d sockets failed to connect", failed)
		}
		if got != last {
			last, lastChange = got, time.Now()
		}
		if time.Since(lastChange) > 30*time.Second {
			return got, fmt.Errorf("only %d/%d sockets connected (%d failed); none for 30 s", got, want, failed)
		}
		if time.Now().After(nextLog) {
			b.logf("connecting: %d/%d (%d failed)", got, want, failed)
			nextLog = time.Now().Add(5 * time.Second)
		}
		if !sleep(ctx, 250*time.Millisecond) {
			return got, ctx.Err()
		}
	}
}

// resetAll clears every worker's counters.
func resetAll(hs []*workerHandle) error {
	for _, h := range hs {
		if err := h.w.Send(command{Op: "reset"}); err != nil {
			return err
		}
	}
	time.Sleep(300 * time.Millisecond) // the workers read it before anything is measured
	return nil
}

// collect merges the reports of hs.
func collect(ctx context.Context, hs []*workerHandle) (workerReport, error) {
	var sum workerReport
	sum.Messages, sum.Reasons = map[string]int64{}, map[string]int{}
	for _, h := range hs {
		r, err := h.report(ctx)
		if err != nil {
			return sum, err
		}
		sum.Connected += r.Connected
		sum.Failed += r.Failed
		sum.Closed += r.Closed
		sum.Offers.Merge(r.Offers)
		sum.Events.Merge(r.Events)
		sum.EventsAt.Merge(r.EventsAt)
		for k, n := range r.Messages {
			sum.Messages[k] += n
		}
		for k, n := range r.Reasons {
			sum.Reasons[k] += n
		}
	}
	return sum, nil
}

// offers creates needs at the offer rate through POST /api/v1/needs, each
// next to a responder's home, and measures each offer from the server's
// envelope ts to its receipt.
func (b *bench) offers(ctx context.Context) error {
	if err := resetAll(b.workers); err != nil {
		return err
	}
	meter := b.meter(false)
	rng := rand.New(rand.NewPCG(b.o.Seed, 2))
	total := int(b.o.OfferRate * b.o.OfferFor.Seconds())
	b.logf("creating %d needs at %.0f/s for %v ...", total, b.o.OfferRate, b.o.OfferFor)
	var created, failed atomic.Int64
	var wg sync.WaitGroup
	sem := make(chan struct{}, 128)
	start := time.Now()
	run := strconv.FormatUint(rng.Uint64(), 16)
	late := 0
	for i := range total {
		due := start.Add(time.Duration(float64(i) / b.o.OfferRate * float64(time.Second)))
		if !sleep(ctx, time.Until(due)) {
			break
		}
		select {
		case sem <- struct{}{}:
		case <-ctx.Done():
		}
		if time.Since(due) > 100*time.Millisecond {
			late++
		}
		home := b.homes[rng.IntN(len(b.homes))]
		spec := loadtest.NeedSpec{Lat: home[0], Lng: home[1], Category: "sockbench", Urgency: 3,
			Team: []loadtest.TeamSlot{{Role: "volunteer", Count: 1}}}
		c := b.ops[i%len(b.ops)]
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			if _, err := c.CreateNeed(ctx, spec, "sockbench-"+run+"-"+strconv.Itoa(i)); err != nil {
				if failed.Add(1) <= 3 {
					b.logf("create need: %v", err)
				}
				return
			}
			created.Add(1)
		}()
	}
	wg.Wait()
	elapsed := time.Since(start).Seconds()
	b.logf("created %d needs in %.1fs (%.0f/s; %d failed, %d requests started >100 ms late); waiting for the offers ...",
		created.Load(), elapsed, float64(created.Load())/elapsed, failed.Load(), late)

	var sum workerReport
	var err error
	lastN, lastChange := int64(-1), time.Now()
	for {
		if !sleep(ctx, 2*time.Second) {
			return ctx.Err()
		}
		if sum, err = collect(ctx, b.workers); err != nil {
			return err
		}
		n := sum.Offers.N()
		if n >= created.Load() || time.Since(lastChange) > 10*time.Second {
			break
		}
		if n != lastN {
			lastN, lastChange = n, time.Now()
		}
	}
	b.res.Offer = &OfferResult{
		NeedsCreated: created.Load(), NeedsFailed: failed.Load(), CreateSeconds: round1(elapsed),
		OffersReceived: sum.Offers.N(), Push: sum.Offers.Summarize(),
		SocketsClosed: sum.Closed, Cores: meter.cores(),
	}
	b.logf("offers received %d of %d needs; push (server ts -> receipt) p50 %.1f ms, p99 %.1f ms, max %.1f ms",
		b.res.Offer.OffersReceived, created.Load(), b.res.Offer.Push.P50, b.res.Offer.Push.P99, b.res.Offer.Push.Max)
	return nil
}

// events opens the consoles on the whole city and has the responders
// report positions at the event rate; every report becomes one
// responder.moved event for every console.
func (b *bench) events(ctx context.Context) error {
	toks := make([]string, b.o.Consoles)
	for i := range toks {
		toks[i] = b.ops[i%len(b.ops)].Token()
	}
	h, err := b.spawn(workerSpec{Target: b.server.URL(), Source: "127.0.0.9", Kind: kindConsoles,
		Tokens: toks, BBox: cityBox, Dial: 16, Seed: b.o.Seed})
	if err != nil {
		return err
	}
	b.console = h
	if _, err := b.waitConnected(ctx, []*workerHandle{h}, b.o.Consoles); err != nil {
		return fmt.Errorf("consoles: %w", err)
	}
	if err := resetAll(append([]*workerHandle{h}, b.workers...)); err != nil {
		return err
	}
	meter := b.meter(true)
	start := time.Now()
	b.logf("%d consoles subscribed to the city; %.0f location reports/s for %v ...", b.o.Consoles, b.o.EventRate, b.o.EventFor)
	for _, w := range b.workers {
		cmd := command{Op: "move", Rate: b.o.EventRate / float64(len(b.workers)), Seconds: b.o.EventFor.Seconds()}
		if err := w.w.Send(cmd); err != nil {
			return err
		}
	}
	var sent int64
	for _, w := range b.workers {
		select {
		case r := <-w.moved:
			sent += r.Sent
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	sendSeconds := time.Since(start).Seconds()
	expect := sent * int64(b.o.Consoles)
	var sum workerReport
	for wait := time.Now().Add(15 * time.Second); ; {
		if !sleep(ctx, time.Second) {
			return ctx.Err()
		}
		if sum, err = collect(ctx, []*workerHandle{h}); err != nil {
			return err
		}
		if sum.Events.N() >= expect || time.Now().After(wait) {
			break
		}
	}
	b.res.Event = &EventResult{
		LocationsSent: sent, SendSeconds: round1(sendSeconds), EventsExpected: expect,
		EventsReceived: sum.Events.N(), Delivery: sum.Events.Summarize(), FromLocate: sum.EventsAt.Summarize(),
		ConsolesClosed: sum.Closed, Cores: meter.cores(),
	}
	e := b.res.Event
	b.logf("events received %d of %d; delivery (server ts -> receipt) p50 %.1f ms, p99 %.1f ms; from the location write (data.at) p99 %.1f ms",
		e.EventsReceived, expect, e.Delivery.P50, e.Delivery.P99, e.FromLocate.P99)
	return nil
}

func (b *bench) close() {
	var all []*workerHandle
	all = append(all, b.workers...)
	if b.console != nil {
		all = append(all, b.console)
	}
	var wg sync.WaitGroup
	var cpu float64
	var mu sync.Mutex
	for _, h := range all {
		wg.Add(1)
		go func() {
			defer wg.Done()
			c, _ := h.w.Stop(60 * time.Second)
			mu.Lock()
			cpu += c
			mu.Unlock()
		}()
	}
	wg.Wait()
	b.res.WorkerCPUSeconds = round1(cpu)
	if b.server != nil {
		b.server.Stop(20 * time.Second)
	}
	if b.redis != nil {
		b.redis.stop()
	}
}

// machine says how many cores there are and how busy they were.
func machine() string {
	return fmt.Sprintf("%d cores, go %s; load average at start: %s", runtime.NumCPU(), runtime.Version(), loadAvg())
}

// loadAvg is the 1, 5 and 15 minute load average.
func loadAvg() string {
	raw, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return "unknown"
	}
	f := strings.Fields(string(raw))
	if len(f) < 3 {
		return "unknown"
	}
	return strings.Join(f[:3], " ")
}

// cpuMeter reads the CPU time of the processes a phase involves, so that
// the report can say who used the two cores: server, Redis, clients.
type cpuMeter struct {
	pids  map[string][]int
	start map[string]float64
	at    time.Time
}

func (b *bench) meter(withConsoles bool) *cpuMeter {
	m := &cpuMeter{pids: map[string][]int{"server": {b.server.PID()}}, start: map[string]float64{}, at: time.Now()}
	if b.redis != nil {
		m.pids["redis"] = []int{b.redis.pid()}
	}
	for _, w := range b.workers {
		m.pids["responder_clients"] = append(m.pids["responder_clients"], w.w.PID())
	}
	if withConsoles && b.console != nil {
		m.pids["console_client"] = []int{b.console.w.PID()}
	}
	for k := range m.pids {
		m.start[k] = m.cpu(k)
	}
	return m
}

func (m *cpuMeter) cpu(k string) float64 {
	var sum float64
	for _, pid := range m.pids[k] {
		if _, c, err := loadtest.ProcUsage(pid); err == nil {
			sum += c
		}
	}
	return sum
}

// cores is each process group's average use over the phase, in cores.
func (m *cpuMeter) cores() map[string]float64 {
	el := time.Since(m.at).Seconds()
	out := make(map[string]float64, len(m.pids))
	for k := range m.pids {
		out[k] = math.Round((m.cpu(k)-m.start[k])/el*100) / 100
	}
	return out
}

func sleep(ctx context.Context, d time.Duration) bool {
	if d <= 0 {
		return ctx.Err() == nil
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return false
	case <-t.C:
		return true
	}
}
