package sockbench

import (
	"context"
	"fmt"
	"io"
	"math/rand/v2"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"sync"
	"syscall"
	"time"

	"github.com/liandong/liandong/loadtest"
)

// Options are one benchmark run's settings.
type Options struct {
	Responders int           // responder sockets held open on the one server
	PerProcess int           // sockets per worker process
	Consoles   int           // operator consoles for the event phase
	OfferRate  float64       // needs created (hence offers) per second
	OfferFor   time.Duration // how long needs are created
	EventRate  float64       // location messages (hence responder.moved events) per second
	EventFor   time.Duration // how long they are sent
	// ConsoleFrames is the consoles' /ws frames parameter: "events" (as
	// our console) gathers each coalescing window into one frame; "" is a
	// v1 console, one event per frame.
	ConsoleFrames string
	Settle        time.Duration // wait after connecting before memory is read
	Redis         string        // Redis URL for the server; "" a private redis-server; "embedded"
	ServerBin     string        // prebuilt server; "" builds ./cmd/liandong
	WorkerExe     string        // binary that runs workers (WorkerFlag); "" os.Executable
	Out           string        // directory for server.log
	Seed          uint64
	Progress      io.Writer
	DialInFlight  int // dials in flight per worker
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
