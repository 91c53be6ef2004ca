package redisstore

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/liandong/liandong/internal/redistest"
	"github.com/liandong/liandong/mobilize"
	"github.com/liandong/liandong/mobilize/lease"
)

// heldLease is a matcher's view of a lease it believes it holds: a process
// paused mid-tick still believes so when it resumes.
type heldLease struct{ epoch int64 }

func (h heldLease) Hold() (int64, bool) { return h.epoch, true }

// pausingStore holds the matcher between planning and claiming: OfferMany
// says it was reached, then waits to be let go.
type pausingStore struct {
	*Store
	planned chan []mobilize.OfferRequest
	resume  chan struct{}
}

func (p pausingStore) OfferMany(ctx context.Context, os []mobilize.OfferRequest) ([]mobilize.OfferOutcome, error) {
	p.planned <- os
	<-p.resume
	return p.Store.OfferMany(ctx, os)
}

// TestPausedMatcherIsFenced: a matcher that held the region's lease plans
// its offers and is paused before claiming them; meanwhile its lease lapses
// and another process takes it. When the paused one resumes, every claim
// it makes is refused as fenced, and nobody is offered anything by it.
func TestPausedMatcherIsFenced(t *testing.T) {
	srv := redistest.Start(t, redistest.Options{})
	b := redistest.Backend{Client: srv.Client(t), Real: true}
	ctx := context.Background()
	clock := newTestClock()
	st := newStore(t, b, clock)
	rec := &recorder{}
	svc := mobilize.NewService(mobilize.ServiceDeps{Store: st, Sink: rec, Now: clock.Now}, matchConfig())
	for i, id := range []mobilize.ResponderID{"v1", "v2", "v3"} {
		enrollAt(t, st, clock, id, mobilize.RoleVolunteer, 1, yantaiLat+0.001*float64(i+1), yantaiLng)
	}
	n := mustCreateNeed(t, svc, mobilize.Need{Urgency: 2, Category: "evacuation_help", Point: mustPoint(t, yantaiLat, yantaiLng),
		Team: []mobilize.TeamSlot{{Role: mobilize.RoleVolunteer, Count: 2}}})

	leases := NewLeases(b.Client, "t:")
	const ttl = 300 * time.Millisecond
	a, err := leases.Acquire(ctx, "yt", "proc-a", ttl)
	if err != nil || !a.Held {
		t.Fatalf("a acquires: %+v %v", a, err)
	}
	paused := pausingStore{Store: st, planned: make(chan []mobilize.OfferRequest, 1), resume: make(chan struct{})}
	ma := mobilize.NewMatcher(mobilize.MatcherDeps{Store: paused, Sink: rec, Now: clock.Now, Lease: heldLease{a.Epoch}}, matchConfig())
	type result struct {
		rep mobilize.TickReport
		err error
	}
	done := make(chan result, 1)
	go func() {
		rep, err := ma.Tick(ctx)
		done <- result{rep, err}
	}()
	planned := <-paused.planned
	if len(planned) != 2 {
		t.Fatalf("planned %d claims, want 2", len(planned))
	}

	// Paused past its lease: another process takes the region over.
	time.Sleep(ttl + 50*time.Millisecond)
	bg, err := leases.Acquire(ctx, "yt", "proc-b", ttl)
	if err != nil || !bg.Held || bg.How != lease.TookOver || bg.Epoch != a.Epoch+1 {
		t.Fatalf("b takes over: %+v %v (a had epoch %d)", bg, err, a.Epoch)
	}

	close(paused.resume)
	res := <-done
	if res.err != nil {
		t.Fatal(res.err)
	}
	if res.rep.Offered != 0 || res.rep.Fenced != 2 {
		t.Fatalf("the resumed matcher offered %d, fenced %d; want 0 and 2", res.rep.Offered, res.rep.Fenced)
	}
	got, err := st.Need(ctx, n.ID)
	if err != nil {
		t.Fatal(err)
	}
	if len(got.Assignments) != 0 {
		t.Fatalf("the fenced matcher claimed %+v", got.Assignments)
	}
	for _, id := range []mobilize.ResponderID{"v1", "v2", "v3"} {
		if e, _ := st.Get(ctx, id); e.Status != mobilize.StatusAvailable {
			t.Fatalf("%s after the fenced tick: %s, want available", id, e.Status)
		}
	}
	if len(rec.offers("v1"))+len(rec.offers("v2"))+len(rec.offers("v3")) != 0 {
		t.Fatal("the fenced matcher sent offers")
	}

	// The new holder's matcher claims under the new epoch.
	mb := mobilize.NewMatcher(mobilize.MatcherDeps{Store: st, Sink: rec, Now: clock.Now, Lease: heldLease{bg.Epoch}}, matchConfig())
	rep, err := mb.Tick(ctx)
	if err != nil || rep.Offered != 2 || rep.Fenced != 0 {
		t.Fatalf("the holder's tick: %+v %v", rep, err)
	}
}

// TestFenceRule: epoch 0 (an unleased matcher) claims only in a region that
// never had a lease; an operator's claim (NoFence) is no lease's concern;
// a leased claim must carry the region's epoch now.
func TestFenceRule(t *testing.T) {
	redistest.Each(t, func(t *testing.T, b redistest.Backend) {
		ctx := context.Background()
		clock := newTestClock()
		st := newStore(t, b, clock)
		svc := mobilize.NewService(mobilize.ServiceDeps{Store: st, Sink: &recorder{}, Now: clock.Now}, matchConfig())
		for _, id := range []mobilize.ResponderID{"v1", "v2", "v3", "v4", "v5"} {
			enrollAt(t, st, clock, id, mobilize.RoleVolunteer, 1, yantaiLat, yantaiLng)
		}
		n := mustCreateNeed(t, svc, mobilize.Need{Urgency: 2, Category: "evacuation_help", Point: mustPoint(t, yantaiLat, yantaiLng),
			Team: []mobilize.TeamSlot{{Role: mobilize.RoleVolunteer, Count: 5}}})
		claim := func(rid mobilize.ResponderID, fence int64) mobilize.OfferOutcome {
			t.Helper()
			out, err := st.Offer(ctx, mobilize.OfferRequest{OfferID: mobilize.OfferID("o-" + string(rid)), Need: n.ID, Responder: rid, TTL: time.Minute, Fence: fence})
			if err != nil {
				t.Fatal(err)
			}
			return out
		}
		if got := claim("v1", 0); got != mobilize.OfferOK {
			t.Fatalf("unleased claim before any lease: %s", got)
		}
		if got := claim("v2", 3); got != mobilize.OfferFenced {
			t.Fatalf("claim of epoch 3 in a region without a lease: %s", got)
		}
		g, err := NewLeases(b.Client, "t:").Acquire(ctx, "yt", "proc-a", time.Minute)
		if err != nil || !g.Held || g.Epoch != 1 || g.How != lease.Acquired {
			t.Fatalf("first acquisition: %+v %v", g, err)
		}
		if got := claim("v2", 0); got != mobilize.OfferFenced {
			t.Fatalf("unleased claim once the region has a lease: %s", got)
		}
		if got := claim("v2", 2); got != mobilize.OfferFenced {
			t.Fatalf("claim of a future epoch: %s", got)
		}
		if got := claim("v2", 1); got != mobilize.OfferOK {
			t.Fatalf("claim of the epoch now: %s", got)
		}
		if got := claim("v3", mobilize.NoFence); got != mobilize.OfferOK {
			t.Fatalf("operator's claim: %s", got)
		}
		// Claims of two epochs never share a batch.
		_, err = st.OfferMany(ctx, []mobilize.OfferRequest{
			{OfferID: "o-a", Need: n.ID, Responder: "v4", TTL: time.Minute, Fence: 1},
			{OfferID: "o-b", Need: n.ID, Responder: "v5", TTL: time.Minute, Fence: 2}})
		if !errors.Is(err, mobilize.ErrInvalid) {
			t.Fatalf("a batch of two epochs: %v", err)
		}
		if e, _ := st.Get(ctx, "v4"); e.Status != mobilize.StatusAvailable {
			t.Fatalf("v4 after a refused batch: %s", e.Status)
		}
	})
}

// TestLeaseScript: renewal keeps the epoch, a lapse lets another take over
// with the next epoch, release frees at once, bad input changes nothing.
func TestLeaseScript(t *testing.T) {
	srv := redistest.Start(t, redistest.Options{})
	rdb := srv.Client(t)
	ctx := context.Background()
	l := NewLeases(rdb, "t:")
	const ttl = 200 * time.Millisecond
	g, err := l.Acquire(ctx, "yt", "a", ttl)
	if err != nil || !g.Held || g.Epoch != 1 || g.How != lease.Acquired {
		t.Fatalf("a acquires: %+v %v", g, err)
	}
	if g, _ = l.Acquire(ctx, "yt", "a", ttl); !g.Held || g.Epoch != 1 || g.How != lease.Renewed {
		t.Fatalf("a renews: %+v", g)
	}
	if g, _ = l.Acquire(ctx, "yt", "b", ttl); g.Held || g.Holder != "a" || g.Left <= 0 || g.Left > ttl {
		t.Fatalf("b while a holds: %+v", g)
	}
	time.Sleep(ttl + 20*time.Millisecond)
	if g, _ = l.Acquire(ctx, "yt", "b", ttl); !g.Held || g.Epoch != 2 || g.How != lease.TookOver {
		t.Fatalf("b after a lapsed: %+v", g)
	}
	if err := l.Release(ctx, "yt", "a"); err != nil {
		t.Fatal(err)
	}
	if g, _ = l.Acquire(ctx, "yt", "a", ttl); g.Held {
		t.Fatalf("a's release freed b's lease: %+v", g)
	}
	if err := l.Release(ctx, "yt", "b"); err != nil {
		t.Fatal(err)
	}
	if g, _ = l.Acquire(ctx, "yt", "a", ttl); !g.Held || g.Epoch != 3 || g.How != lease.TookOver {
		t.Fatalf("a after b released: %+v", g)
	}
	if e, _ := l.Epoch(ctx, "yt"); e != 3 {
		t.Fatalf("epoch %d, want 3", e)
	}
	for _, bad := range []struct{ region, holder string }{{"", "a"}, {"y{t}", "a"}, {"yt", ""}, {"yt", "a b"}} {
		if _, err := l.Acquire(ctx, bad.region, bad.holder, ttl); !errors.Is(err, mobilize.ErrInvalid) {
			t.Errorf("Acquire(%q, %q): %v, want invalid", bad.region, bad.holder, err)
		}
	}
	if e, _ := l.Epoch(ctx, "yt"); e != 3 {
		t.Fatalf("epoch after bad input %d, want 3", e)
	}
}

// dyingStore is a lease store whose process can die: after kill, nothing
// it sends reaches Redis. It remembers when its last renewal was sent.
type dyingStore struct {
	*Leases
	dead        atomic.Bool
	mu          sync.Mutex
	lastRenewal time.Time
}

var errDead = errors.New("process dead")

func (d *dyingStore) Acquire(ctx context.Context, region, holder string, ttl time.Duration) (lease.Grant, error) {
	if d.dead.Load() {
		return lease.Grant{}, errDead
	}
	sent := time.Now()
	g, err := d.Leases.Acquire(ctx, region, holder, ttl)
	if err == nil && g.Held {
		d.mu.Lock()
		d.lastRenewal = sent
		d.mu.Unlock()
	}
	return g, err
}

func (d *dyingStore) Members(ctx context.Context, holder string, ttl time.Duration) (int, error) {
	if d.dead.Load() {
		return 0, errDead
	}
	return d.Leases.Members(ctx, holder, ttl)
}

// TestLeaseTakeover: two processes share one region; one holds it, the
// other stands by. The holder dies (its renewals stop): the other holds
// the region within lease_ttl of the holder's last renewal, under the
// next epoch, counted as a takeover.
func TestLeaseTakeover(t *testing.T) {
	srv := redistest.Start(t, redistest.Options{})
	rdb := srv.Client(t)
	const ttl = 800 * time.Millisecond
	sa, sb := &dyingStore{Leases: NewLeases(rdb, "t:")}, &dyingStore{Leases: NewLeases(rdb, "t:")}
	ra, err := lease.New(sa, lease.Options{Regions: []string{"yt"}, TTL: ttl, Holder: "proc-a"})
	if err != nil {
		t.Fatal(err)
	}
	rb, err := lease.New(sb, lease.Options{Regions: []string{"yt"}, TTL: ttl, Holder: "proc-b"})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	defer func() { cancel(); wg.Wait() }()
	wg.Add(1)
	go func() { defer wg.Done(); ra.Run(ctx) }()
	waitFor(t, 2*time.Second, func() bool { _, ok := ra.Hold("yt"); return ok })
	wg.Add(1)
	go func() { defer wg.Done(); rb.Run(ctx) }()
	// Both run for three lease times: one holder throughout.
	for end := time.Now().Add(3 * ttl); time.Now().Before(end); time.Sleep(10 * time.Millisecond) {
		_, a := ra.Hold("yt")
		_, b := rb.Hold("yt")
		if !a || b {
			t.Fatalf("while a lives: a holds %v, b holds %v", a, b)
		}
	}
	epochA, _ := ra.Hold("yt")

	sa.dead.Store(true)
	sa.mu.Lock()
	last := sa.lastRenewal
	sa.mu.Unlock()
	waitFor(t, 3*ttl, func() bool { _, ok := rb.Hold("yt"); return ok })
	took := time.Since(last)
	t.Logf("b holds the region %s after a's last renewal (lease_ttl %s)", took, ttl)
	// The lease lapses ttl after Redis saw the renewal; b looks again the
	// moment it ends. The slack is the round trip and the timer on a busy
	// machine.
	if took > ttl+100*time.Millisecond {
		t.Fatalf("takeover %s after the last renewal, want within lease_ttl %s", took, ttl)
	}
	if _, ok := ra.Hold("yt"); ok {
		t.Fatal("a still believes it holds the region after b took it")
	}
	if epochB, _ := rb.Hold("yt"); epochB != epochA+1 {
		t.Fatalf("b's epoch %d, want %d", epochB, epochA+1)
	}
}

func waitFor(t *testing.T, within time.Duration, cond func() bool) {
	t.Helper()
	for end := time.Now().Add(within); time.Now().Before(end); time.Sleep(2 * time.Millisecond) {
		if cond() {
			return
		}
	}
	t.Fatalf("not within %s", within)
}

// notHeld is a lease another process holds.
type notHeld struct{}

func (notHeld) Hold() (int64, bool) { return 4, false }

// TestStandbyMatcherDoesNothing: a matcher whose process does not hold the
// region's lease neither expires, closes nor offers anything.
func TestStandbyMatcherDoesNothing(t *testing.T) {
	redistest.Each(t, func(t *testing.T, b redistest.Backend) {
		ctx := context.Background()
		clock := newTestClock()
		st := newStore(t, b, clock)
		rec := &recorder{}
		svc := mobilize.NewService(mobilize.ServiceDeps{Store: st, Sink: rec, Now: clock.Now}, matchConfig())
		enrollAt(t, st, clock, "v1", mobilize.RoleVolunteer, 1, yantaiLat, yantaiLng)
		n := mustCreateNeed(t, svc, mobilize.Need{Urgency: 2, Category: "evacuation_help", Point: mustPoint(t, yantaiLat, yantaiLng),
			Team: []mobilize.TeamSlot{{Role: mobilize.RoleVolunteer, Count: 1}}, Deadline: clock.Now().Add(time.Minute)})
		clock.Advance(2 * time.Minute) // past the deadline: a holder would close it
		m := mobilize.NewMatcher(mobilize.MatcherDeps{Store: st, Sink: rec, Now: clock.Now, Lease: notHeld{}}, matchConfig())
		rep, err := m.Tick(ctx)
		if err != nil || !rep.Standby || rep.Needs != 0 || rep.Unstaffed != 0 || rep.Offered != 0 {
			t.Fatalf("standby tick: %+v %v", rep, err)
		}
		if got, _ := st.Need(ctx, n.ID); got.Status != mobilize.NeedOpen || len(got.Assignments) != 0 {
			t.Fatalf("need after a standby tick: %s %+v", got.Status, got.Assignments)
		}
	})
}
