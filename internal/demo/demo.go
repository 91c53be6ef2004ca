// Package demo is the first five minutes of Liandong: it fills an empty
// server with an illustrative city (the Yantai areas of
// configs/areas/yantai-illustrative.geojson), a few organisations and
// depots, a few hundred simulated responders who move and answer offers,
// and needs arriving at a gentle rate, so that a newcomer's console shows
// the system working. Everything it creates carries the id prefix "demo-"
// and a name marked 演示 / Demo, is tracked in Redis (Records) so that a
// restarted process can still remove it, and is removed by one call.
//
// The simulated people act through the application layer
// (mobilize.Service), the same use cases a phone's requests end in; they
// learn of their offers from the domain's events (Demo is an EventSink).
package demo

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/paulmach/orb"
	"go.uber.org/zap"

	"github.com/liandong/liandong/mobilize"
)

// Prefix starts the id of everything the demo creates.
const Prefix = "demo-"

// IsDemo reports whether an id is one of the demo's.
func IsDemo(id string) bool { return strings.HasPrefix(id, Prefix) }

// ErrRunning is Start's answer while the demo already runs.
var ErrRunning = fmt.Errorf("the demo is already running: %w", mobilize.ErrConflict)

// Service is what the demo needs of the application (*mobilize.Service).
type Service interface {
	PutAreas(ctx context.Context, upload []mobilize.Area) error
	PutOrganisation(ctx context.Context, o mobilize.Organisation) (bool, error)
	PutDepot(ctx context.Context, d mobilize.Depot, stock map[mobilize.Item]int) (bool, error)
	RegisterMany(ctx context.Context, rs []mobilize.Responder) error
	Locate(ctx context.Context, rid mobilize.ResponderID, p orb.Point) error
	SetDuty(ctx context.Context, rid mobilize.ResponderID, onDuty bool) (mobilize.Status, error)
	CreateNeed(ctx context.Context, n mobilize.Need) (mobilize.NeedState, error)
	Respond(ctx context.Context, rid mobilize.ResponderID, offer mobilize.OfferID, accept bool) (mobilize.Answer, error)
	Complete(ctx context.Context, id mobilize.NeedID, rid mobilize.ResponderID) error
	Cancel(ctx context.Context, id mobilize.NeedID) (mobilize.NeedState, error)
}

// Kinds of record the demo tracks.
const (
	KindNeed      = "need"
	KindResponder = "responder"
	KindOrg       = "org"
	KindDepot     = "depot"
)

// Records keeps the ids of what the demo created, in Redis, and removes
// every trace of them (internal/server implements it on the store's keys).
type Records interface {
	// Track adds ids of one kind before they are created, so that a crash
	// between the two leaves nothing untracked.
	Track(ctx context.Context, kind string, ids ...string) error
	// Tracked lists the ids of each kind.
	Tracked(ctx context.Context) (map[string][]string, error)
	// Purge deletes every key, field and member named with Prefix and the
	// tracked ids themselves, and ends every run (Claim); it answers how
	// many things it removed.
	Purge(ctx context.Context) (int, error)
	// Claim records run as the demo's current run; Current tells whether
	// it still is. A purge by any process ends it, so that the process
	// simulating stops rather than filing needs into a removed demo.
	Claim(ctx context.Context, run string) error
	Current(ctx context.Context, run string) (bool, error)
}

// Options shape the demo; zero values take the defaults, which suit a
// person watching (tests shorten them).
type Options struct {
	AreasFile     string        // default configs/areas/yantai-illustrative.geojson
	Responders    int           // default 300
	NeedEvery     time.Duration // mean time between needs; default 15 s (10..20 s)
	FirstNeeds    int           // needs filed at once when the demo starts; default 3
	AcceptAfter   time.Duration // mean delay before answering an offer; default 8 s
	CompleteAfter time.Duration // mean time a task takes; default 90 s
	MoveEvery     time.Duration // a round of small moves; default 5 s
	AcceptShare   float64       // share of offers accepted; default 0.85
	Seed          uint64        // 0: random
}

func (o *Options) defaults() {
	if o.AreasFile == "" {
		o.AreasFile = "configs/areas/yantai-illustrative.geojson"
	}
	if o.Responders <= 0 {
		o.Responders = 300
	}
	if o.NeedEvery <= 0 {
		o.NeedEvery = 15 * time.Second
	}
	if o.FirstNeeds <= 0 {
		o.FirstNeeds = 3
	}
	if o.AcceptAfter <= 0 {
		o.AcceptAfter = 8 * time.Second
	}
	if o.CompleteAfter <= 0 {
		o.CompleteAfter = 90 * time.Second
	}
	if o.MoveEvery <= 0 {
		o.MoveEvery = 5 * time.Second
	}
	if o.AcceptShare <= 0 || o.AcceptShare > 1 {
		o.AcceptShare = 0.85
	}
	if o.Seed == 0 {
		o.Seed = rand.Uint64()
	}
}

// State is what GET /api/v1/demo shows.
type State struct {
	Running bool
	Since   time.Time // zero when not running
	Counts  map[string]int
}

// Demo runs the simulation in this process. Start, Remove and State may be
// called from any goroutine; Emit from the event path.
type Demo struct {
	svc     Service
	records Records
	opts    Options
	log     *zap.Logger

	mu      sync.Mutex // guards running, since, cancel, done; held through Start and Remove
	running bool
	since   time.Time
	cancel  context.CancelFunc
	done    chan struct{}

	live   atomic.Bool // running, for Emit, which must not wait for mu
	events chan mobilize.Event
}

// New returns a demo that has not started.
func New(svc Service, records Records, opts Options, log *zap.Logger) *Demo {
	opts.defaults()
	if log == nil {
		log = zap.NewNop()
	}
	return &Demo{svc: svc, records: records, opts: opts, log: log, events: make(chan mobilize.Event, 4096)}
}

// Use sets the service the demo drives, when it could not be given to New
// (the service is built with the demo among its event sinks).
func (d *Demo) Use(svc Service) { d.svc = svc }

// Emit takes the events the simulated people react to: offers to them and
// their teams staffed. It never blocks: the matcher's path calls it, and a
// dropped event only leaves an offer to lapse as an unanswered one would.
func (d *Demo) Emit(_ context.Context, e mobilize.Event) {
	if !d.live.Load() {
		return
	}
	var keep mobilize.Event
	switch e := e.(type) {
	case mobilize.OfferSent:
		if IsDemo(string(e.Responder)) {
			keep = mobilize.OfferSent{Need: mobilize.NeedState{Need: mobilize.Need{ID: e.Need.ID}}, Offer: e.Offer, Responder: e.Responder}
		}
	case mobilize.TeamStaffed:
		if IsDemo(string(e.Need.ID)) {
			keep = mobilize.TeamStaffed{Need: mobilize.NeedState{Need: mobilize.Need{ID: e.Need.ID}}, Team: append([]mobilize.Assignment(nil), e.Team...)}
		}
	}
	if keep == nil {
		return
	}
	select {
	case d.events <- keep:
	default:
	}
}

// Start builds the city and starts the simulation in the background; it
// returns once the responders are on the map. ErrRunning while it runs.
func (d *Demo) Start(ctx context.Context) error {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.running && d.live.Load() {
		return ErrRunning
	}
	d.stop() // a run that ended itself (removed by another process)
	run := fmt.Sprintf("%016x", rand.Uint64())
	if err := d.records.Claim(ctx, run); err != nil {
		return err
	}
	rng := rand.New(rand.NewPCG(d.opts.Seed, d.opts.Seed^0x9e3779b97f4a7c15))
	d.live.Store(true) // the people's first offers may come while they are being placed
	city, err := d.build(ctx, rng)
	if err != nil {
		d.live.Store(false)
		return err
	}
	runCtx, cancel := context.WithCancel(context.Background())
	d.running, d.since, d.cancel, d.done = true, time.Now(), cancel, make(chan struct{})
	sim := &simulation{Demo: d, city: city, rng: rng, runID: run}
	go func() {
		defer close(d.done)
		sim.run(runCtx)
	}()
	d.log.Info("demo started", zap.Int("responders", len(city.people)), zap.Int("communities", len(city.communities)), zap.Int("organisations", len(city.orgs)))
	return nil
}

// Close stops the simulation and leaves its records (the process is
// shutting down; a restart's Remove still finds them).
func (d *Demo) Close() {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.stop()
}

func (d *Demo) stop() {
	if !d.running {
		return
	}
	d.live.Store(false)
	d.cancel()
	<-d.done
	d.running, d.since = false, time.Time{}
	for len(d.events) > 0 { // what came after the end concerns no one now
		<-d.events
	}
}

// Remove stops the simulation and removes everything the demo created,
// whichever process created it: its needs are cancelled (offers withdrawn,
// people and items released) and its people taken off duty through the
// application first, so that the live map and the index are told, then
// every demo record is deleted. Calling it again removes nothing more.
func (d *Demo) Remove(ctx context.Context) (int, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.stop()
	tracked, err := d.records.Tracked(ctx)
	if err != nil {
		return 0, err
	}
	for _, id := range tracked[KindNeed] {
		if _, err := d.svc.Cancel(ctx, mobilize.NeedID(id)); err != nil && !ignorable(err) {
			return 0, fmt.Errorf("demo: cancel %s: %w", id, err)
		}
	}
	for _, id := range tracked[KindResponder] {
		if _, err := d.svc.SetDuty(ctx, mobilize.ResponderID(id), false); err != nil && !ignorable(err) {
			return 0, fmt.Errorf("demo: off duty %s: %w", id, err)
		}
	}
	n, err := d.records.Purge(ctx)
	if err != nil {
		return 0, err
	}
	// What the cancellations told the people (withdrawn offers) is
	// delivered to their inboxes by the notifier's queue, which may land
	// after the first pass, later still on a busy machine: passes repeat
	// until two in a row find nothing, for at most ten seconds.
	quiet := 0
	for range 40 {
		select {
		case <-ctx.Done():
			return n, ctx.Err()
		case <-time.After(250 * time.Millisecond):
		}
		more, err := d.records.Purge(ctx)
		if err != nil {
			return n, err
		}
		n += more
		if more > 0 {
			quiet = 0
		} else {
			quiet++
		}
		if quiet == 2 {
			break
		}
	}
	d.log.Info("demo removed", zap.Int("needs", len(tracked[KindNeed])), zap.Int("responders", len(tracked[KindResponder])), zap.Int("records", n))
	return n, nil
}

// ignorable are the refusals of a record already closed or gone.
func ignorable(err error) bool {
	return errors.Is(err, mobilize.ErrNotFound) || errors.Is(err, mobilize.ErrInvalidTransition) || errors.Is(err, mobilize.ErrConflict)
}

// State says whether the demo runs here and how many records it has.
func (d *Demo) State(ctx context.Context) (State, error) {
	tracked, err := d.records.Tracked(ctx)
	if err != nil {
		return State{}, err
	}
	st := State{Counts: map[string]int{}}
	for _, k := range []string{KindNeed, KindResponder, KindOrg, KindDepot} {
		st.Counts[k] = len(tracked[k])
	}
	d.mu.Lock()
	st.Running = d.running && d.live.Load()
	if st.Running {
		st.Since = d.since
	}
	d.mu.Unlock()
	return st, nil
}

// readAreas reads the illustrative area file.
func readAreas(path string) ([]mobilize.Area, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("demo areas: %w", err)
	}
	return mobilize.ParseAreaCollection(data)
}
