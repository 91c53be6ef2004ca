package lease

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// memStore keeps leases in memory as lease.lua does in Redis: a holder
// with an end, an epoch raised at every acquisition, live members.
type memStore struct {
	mu      sync.Mutex
	holder  map[string]string
	until   map[string]time.Time
	epoch   map[string]int64
	last    map[string]string
	members map[string]time.Time
	down    atomic.Bool // every call fails, as when Redis does not answer
	lastOK  time.Time   // when the last acquisition or renewal was granted
}

func newMemStore() *memStore {
	return &memStore{holder: map[string]string{}, until: map[string]time.Time{}, epoch: map[string]int64{},
		last: map[string]string{}, members: map[string]time.Time{}}
}

var errDown = errors.New("store down")

func (m *memStore) Acquire(_ context.Context, region, holder string, ttl time.Duration) (Grant, error) {
	if m.down.Load() {
		return Grant{}, errDown
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	now := time.Now()
	cur := m.holder[region]
	if cur != "" && !now.Before(m.until[region]) {
		cur = ""
	}
	switch {
	case cur == holder:
		m.until[region], m.lastOK = now.Add(ttl), now
		return Grant{Held: true, Epoch: m.epoch[region], How: Renewed}, nil
	case cur != "":
		return Grant{Epoch: m.epoch[region], Holder: cur, Left: m.until[region].Sub(now)}, nil
	}
	m.epoch[region]++
	how := Acquired
	if l := m.last[region]; l != "" && l != holder {
		how = TookOver
	}
	m.holder[region], m.until[region], m.last[region], m.lastOK = holder, now.Add(ttl), holder, now
	return Grant{Held: true, Epoch: m.epoch[region], How: how}, nil
}

func (m *memStore) Release(_ context.Context, region, holder string) error {
	if m.down.Load() {
		return errDown
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.holder[region] == holder {
		delete(m.holder, region)
	}
	return nil
}

func (m *memStore) Members(_ context.Context, holder string, ttl time.Duration) (int, error) {
	if m.down.Load() {
		return 0, errDown
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	now := time.Now()
	m.members[holder] = now.Add(ttl)
	n := 0
	for _, until := range m.members {
		if now.Before(until) {
			n++
		}
	}
	return n, nil
}

// runners starts n runners over store and regions; each stops with its
// cancel (or the test's end).
func runners(t *testing.T, store Store, regions []string, names []string, ttl time.Duration) ([]*Runner, []context.CancelFunc) {
	t.Helper()
	var rs []*Runner
	var stops []context.CancelFunc
	var wg sync.WaitGroup
	t.Cleanup(func() {
		for _, c := range stops {
			c()
		}
		wg.Wait()
	})
	for _, name := range names {
		r, err := New(store, Options{Regions: regions, TTL: ttl, Holder: name})
		if err != nil {
			t.Fatal(err)
		}
		ctx, cancel := context.WithCancel(context.Background())
		wg.Add(1)
		go func() { defer wg.Done(); r.Run(ctx) }()
		rs, stops = append(rs, r), append(stops, cancel)
	}
	return rs, stops
}

// counts is how many of regions each runner holds now, and how many
// runners hold each region.
func counts(rs []*Runner, regions []string) (perRunner []int, perRegion map[string]int) {
	perRegion = map[string]int{}
	for _, r := range rs {
		n := 0
		for _, g := range regions {
			if _, ok := r.Hold(g); ok {
				n++
				perRegion[g]++
			}
		}
		perRunner = append(perRunner, n)
	}
	return perRunner, perRegion
}

func eventually(t *testing.T, within time.Duration, what string, cond func() bool) {
	t.Helper()
	for end := time.Now().Add(within); time.Now().Before(end); time.Sleep(5 * time.Millisecond) {
		if cond() {
			return
		}
	}
	t.Fatalf("%s: not within %s", what, within)
}

// TestOneRegionOneHolder: three processes, one region: one holds it, the
// others stand by, and never two at once.
func TestOneRegionOneHolder(t *testing.T) {
	const ttl = 100 * time.Millisecond
	regions := []string{"city"}
	rs, _ := runners(t, newMemStore(), regions, []string{"p0", "p1", "p2"}, ttl)
	eventually(t, time.Second, "a holder", func() bool { _, per := counts(rs, regions); return per["city"] == 1 })
	// Views are read one runner after another, so a handover between two
	// reads can show two holders once; a real overlap shows in the next
	// look too.
	twice := 0
	for end := time.Now().Add(5 * ttl); time.Now().Before(end); time.Sleep(3 * time.Millisecond) {
		if _, per := counts(rs, regions); per["city"] > 1 {
			if twice++; twice > 1 {
				t.Fatalf("%d holders of the one region", per["city"])
			}
		} else {
			twice = 0
		}
	}
}

// TestRegionsShareEvenly: four regions over two processes are two each;
// when one process stops, the other takes all four; when it returns with
// a third, no process holds more than its share of two.
func TestRegionsShareEvenly(t *testing.T) {
	const ttl = 100 * time.Millisecond
	regions := []string{"yantai", "qingdao", "weifang", "weihai"}
	store := newMemStore()
	rs, stops := runners(t, store, regions, []string{"p0", "p1"}, ttl)
	eventually(t, 2*time.Second, "two each", func() bool {
		per, reg := counts(rs, regions)
		return per[0] == 2 && per[1] == 2 && len(reg) == 4
	})
	stops[0]() // releases its two at once
	eventually(t, 2*time.Second, "the survivor holds all four", func() bool {
		per, _ := counts(rs, regions)
		return per[1] == 4
	})
	more, _ := runners(t, store, regions, []string{"p2", "p3"}, ttl)
	all := []*Runner{rs[1], more[0], more[1]}
	eventually(t, 3*time.Second, "at most two each, every region held once", func() bool {
		per, reg := counts(all, regions)
		for _, n := range per {
			if n > 2 {
				return false
			}
		}
		for _, g := range regions {
			if reg[g] != 1 {
				return false
			}
		}
		return true
	})
}

// TestHolderGivesUpWithoutRenewal: a holder that cannot reach the store
// stops believing it holds the region ttl after its last renewal at the
// latest, before the store lets the lease go.
func TestHolderGivesUpWithoutRenewal(t *testing.T) {
	const ttl = 100 * time.Millisecond
	store := newMemStore()
	rs, _ := runners(t, store, []string{"city"}, []string{"p0"}, ttl)
	eventually(t, time.Second, "held", func() bool { _, ok := rs[0].Hold("city"); return ok })
	store.down.Store(true)
	time.Sleep(10 * time.Millisecond) // a renewal under way when it went lands first
	store.mu.Lock()
	last := store.lastOK
	store.mu.Unlock()
	time.Sleep(time.Until(last.Add(ttl)))
	if _, ok := rs[0].Hold("city"); ok {
		t.Fatalf("still held %s after the last renewal (ttl %s)", time.Since(last), ttl)
	}
}

func TestNewRefusesBadOptions(t *testing.T) {
	for _, o := range []Options{{}, {Regions: []string{"a", "a"}}, {Regions: []string{"a"}, TTL: time.Millisecond}} {
		if _, err := New(newMemStore(), o); err == nil {
			t.Errorf("New(%+v) accepted", o)
		}
	}
}
