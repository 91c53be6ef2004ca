// Package lease decides which process runs each region's matcher: one
// lease per region, kept in the store, renewed by its holder every quarter
// of its time and taken by another process once it lapses. Every
// acquisition raises the region's fencing epoch, which the matcher's
// claims carry and the store checks (mobilize.OfferRequest.Fence), so that
// a holder paused past its lease cannot claim anyone after it resumes.
package lease

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"hash/fnv"
	"os"
	"strings"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"go.uber.org/zap"
)

// How says how a process came to hold a lease in a round.
type How string

const (
	Renewed  How = "renewed"  // it held the lease already
	Acquired How = "acquired" // nobody held it, or this process held it last
	TookOver How = "takeover" // another process held it last and let it lapse
)

// Grant is the store's answer to an acquisition.
type Grant struct {
	Held  bool
	Epoch int64 // the region's fencing epoch now
	How   How   // when Held
	// Holder and Left, when not Held: who holds the lease and how long
	// it has left unless renewed.
	Holder string
	Left   time.Duration
}

// Store keeps the leases (redisstore.Leases).
type Store interface {
	// Acquire takes or renews the region's lease for ttl.
	Acquire(ctx context.Context, region, holder string, ttl time.Duration) (Grant, error)
	// Release gives the lease up if holder holds it.
	Release(ctx context.Context, region, holder string) error
	// Members says holder is alive for ttl and returns how many
	// processes are, itself included.
	Members(ctx context.Context, holder string, ttl time.Duration) (int, error)
}

// DefaultTTL is a lease's life without renewal (matching.lease_ttl).
const DefaultTTL = 2 * time.Second

// Options configure a Runner.
type Options struct {
	Regions []string      // the regions to share; at least one
	TTL     time.Duration // a lease's life without renewal; 0: DefaultTTL
	Holder  string        // this process's id; "": host, pid and a random suffix
	Log     *zap.Logger   // nil: no log
	// Registerer, when set, exports which regions this process holds,
	// their epochs, and acquisitions and takeovers.
	Registerer prometheus.Registerer
}

// Runner holds this process's share of the regions' leases while Run
// runs. Processes share regions evenly: each holds at most its share
// (regions divided by live processes, rounded up), so with one region
// one process holds it and the others stand by.
type Runner struct {
	store  Store
	opts   Options
	every  time.Duration // how often a holder renews
	order  []string      // the regions, from this holder's own starting point
	region map[string]*state
	now    func() time.Time

	acquired, takeovers *prometheus.CounterVec
}

// state is one region's lease as this process sees it.
type state struct {
	mu    sync.Mutex
	epoch int64
	// until is when the lease ends at the latest, counted from before the
	// renewal was asked: Redis counts from later, so the process gives up
	// first. Zero: not held.
	until time.Time
}

// New returns a runner; it touches the store only in Run.
func New(store Store, opts Options) (*Runner, error) {
	if len(opts.Regions) == 0 {
		return nil, errors.New("lease: no regions")
	}
	if opts.TTL == 0 {
		opts.TTL = DefaultTTL
	}
	if opts.TTL < 40*time.Millisecond {
		return nil, fmt.Errorf("lease: ttl %s is below 40ms", opts.TTL)
	}
	if opts.Holder == "" {
		opts.Holder = defaultHolder()
	}
	if opts.Log == nil {
		opts.Log = zap.NewNop()
	}
	r := &Runner{store: store, opts: opts, every: opts.TTL / 4, region: map[string]*state{}, now: time.Now}
	// Processes start at different regions, so that several starting at
	// once spread over the regions rather than race for the first.
	h := fnv.New32a()
	h.Write([]byte(opts.Holder))
	start := int(h.Sum32() % uint32(len(opts.Regions)))
	for i := range opts.Regions {
		name := opts.Regions[(start+i)%len(opts.Regions)]
		if _, dup := r.region[name]; dup {
			return nil, fmt.Errorf("lease: region %q listed twice", name)
		}
		r.region[name] = &state{}
		r.order = append(r.order, name)
	}
	r.acquired = prometheus.NewCounterVec(prometheus.CounterOpts{Namespace: "liandong", Subsystem: "lease", Name: "acquisitions_total",
		Help: "Times this process became the holder of a region's matcher lease."}, []string{"region"})
	r.takeovers = prometheus.NewCounterVec(prometheus.CounterOpts{Namespace: "liandong", Subsystem: "lease", Name: "takeovers_total",
		Help: "Acquisitions of a region's matcher lease that another process had held last and let lapse."}, []string{"region"})
	if opts.Registerer != nil {
		if err := opts.Registerer.Register(r.acquired); err != nil {
			return nil, err
		}
		if err := opts.Registerer.Register(r.takeovers); err != nil {
			return nil, err
		}
		if err := opts.Registerer.Register(heldCollector{r}); err != nil {
			return nil, err
		}
	}
	return r, nil
}

func defaultHolder() string {
	host, _ := os.Hostname()
	var b [4]byte
	rand.Read(b[:])
	return fmt.Sprintf("%s-%d-%s", strings.ReplaceAll(host, " ", "_"), os.Getpid(), hex.EncodeToString(b[:]))
}

// Holder is this process's id in the leases.
func (r *Runner) Holder() string { return r.opts.Holder }

// Hold reports whether this process holds the region's lease now, and
// under which epoch its claims go.
func (r *Runner) Hold(region string) (epoch int64, held bool) {
	st := r.region[region]
	if st == nil {
		return 0, false
	}
	st.mu.Lock()
	defer st.mu.Unlock()
	if st.until.IsZero() || !r.now().Before(st.until) {
		return st.epoch, false
	}
	return st.epoch, true
}

// Region is one region's lease as a matcher reads it (mobilize.Lease).
func (r *Runner) Region(name string) Region { return Region{r: r, name: name} }

// Region is one region's lease of a Runner.
type Region struct {
	r    *Runner
	name string
}

// Hold reports whether this process holds the lease, and its epoch.
func (g Region) Hold() (int64, bool) { return g.r.Hold(g.name) }

// Run keeps this process's share of leases until ctx ends, then gives
// them up so that a standby takes over at once.
func (r *Runner) Run(ctx context.Context) {
	for {
		wait := r.round(ctx)
		select {
		case <-ctx.Done():
			r.releaseAll()
			return
		case <-time.After(wait):
		}
	}
}

// round renews what this process holds, takes free regions up to its
// share and gives up what is beyond it. It returns when to look again: a
// quarter of the lease's time, or sooner when another's lease ends
// sooner, so that a lapsed lease is taken within moments of its end.
func (r *Runner) round(ctx context.Context) time.Duration {
	members, err := r.store.Members(ctx, r.opts.Holder, r.opts.TTL)
	if err != nil {
		if ctx.Err() == nil {
			r.opts.Log.Warn("lease members", zap.Error(err))
		}
		members = 1
	}
	share := (len(r.order) + max(members, 1) - 1) / max(members, 1)
	held := 0
	for _, name := range r.order {
		if _, ok := r.Hold(name); ok {
			held++
		}
	}
	wait := r.every
	for _, name := range r.order {
		_, had := r.Hold(name)
		if !had && held >= share {
			continue
		}
		start := r.now()
		g, err := r.store.Acquire(ctx, name, r.opts.Holder, r.opts.TTL)
		if err != nil {
			if ctx.Err() == nil {
				r.opts.Log.Warn("lease round failed", zap.String("region", name), zap.Error(err))
			}
			continue
		}
		st := r.region[name]
		st.mu.Lock()
		st.epoch = g.Epoch
		if g.Held {
			st.until = start.Add(r.opts.TTL)
		} else {
			st.until = time.Time{}
		}
		st.mu.Unlock()
		switch {
		case g.Held && !had:
			held++
			r.acquired.WithLabelValues(name).Inc()
			if g.How == TookOver {
				r.takeovers.WithLabelValues(name).Inc()
			}
			r.opts.Log.Info("matcher lease acquired", zap.String("region", name), zap.Int64("epoch", g.Epoch), zap.String("how", string(g.How)))
		case !g.Held && had:
			held--
			r.opts.Log.Warn("matcher lease lost", zap.String("region", name), zap.String("holder", g.Holder), zap.Int64("epoch", g.Epoch))
		case !g.Held && g.Left > 0:
			wait = min(wait, g.Left+time.Millisecond)
		}
	}
	// Beyond its share (more processes came): give one region up a round.
	if held > share {
		for i := len(r.order) - 1; i >= 0; i-- {
			if _, ok := r.Hold(r.order[i]); ok {
				r.release(ctx, r.order[i])
				break
			}
		}
	}
	return wait
}

func (r *Runner) release(ctx context.Context, name string) {
	st := r.region[name]
	st.mu.Lock()
	st.until = time.Time{}
	st.mu.Unlock()
	if err := r.store.Release(ctx, name, r.opts.Holder); err != nil {
		r.opts.Log.Warn("lease release", zap.String("region", name), zap.Error(err))
		return
	}
	r.opts.Log.Info("matcher lease released", zap.String("region", name))
}

func (r *Runner) releaseAll() {
	ctx, cancel := context.WithTimeout(context.Background(), r.every)
	defer cancel()
	for _, name := range r.order {
		if _, ok := r.Hold(name); ok {
			r.release(ctx, name)
		}
	}
}

// heldCollector exports, at each scrape, which regions this process holds
// and their epochs, as they are at that moment.
type heldCollector struct{ r *Runner }

var (
	heldDesc = prometheus.NewDesc("liandong_lease_held", "1 while this process holds the region's matcher lease, else 0.",
		[]string{"region", "holder"}, nil)
	epochDesc = prometheus.NewDesc("liandong_lease_epoch", "The region's fencing epoch as this process last saw it.",
		[]string{"region"}, nil)
)

func (c heldCollector) Describe(ch chan<- *prometheus.Desc) { ch <- heldDesc; ch <- epochDesc }

func (c heldCollector) Collect(ch chan<- prometheus.Metric) {
	for _, name := range c.r.order {
		epoch, held := c.r.Hold(name)
		v := 0.0
		if held {
			v = 1
		}
		ch <- prometheus.MustNewConstMetric(heldDesc, prometheus.GaugeValue, v, name, c.r.opts.Holder)
		ch <- prometheus.MustNewConstMetric(epochDesc, prometheus.GaugeValue, float64(epoch), name)
	}
}
