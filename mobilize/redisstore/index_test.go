package redisstore

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/paulmach/orb"
	"github.com/redis/go-redis/v9"

	"github.com/liandong/liandong/geo"
	"github.com/liandong/liandong/internal/redistest"
	"github.com/liandong/liandong/mobilize"
)

// Yantai city centre, where the tests place people.
const yantaiLat, yantaiLng = 37.46, 121.45

// testClock is an index clock the test moves by hand.
type testClock struct{ ms atomic.Int64 }

func newTestClock() *testClock {
	c := &testClock{}
	c.ms.Store(time.Date(2026, 11, 28, 12, 0, 0, 0, time.UTC).UnixMilli())
	return c
}
func (c *testClock) Now() time.Time          { return time.UnixMilli(c.ms.Load()).UTC() }
func (c *testClock) Advance(d time.Duration) { c.ms.Add(d.Milliseconds()) }

func newTestIndex(t testing.TB, rdb redis.UniversalClient, clock *testClock) *Index {
	t.Helper()
	ix, err := NewIndex(rdb, IndexOptions{Prefix: "t:", Region: "yt", StaleAfter: 10 * time.Minute, Now: clock.Now})
	if err != nil {
		t.Fatal(err)
	}
	return ix
}

func mustPoint(t testing.TB, lat, lng float64) orb.Point {
	t.Helper()
	p, err := geo.NewPoint(lat, lng)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// offset returns a point dx metres east and dy metres north of lat,lng.
func offset(lat, lng, dxMeters, dyMeters float64) (float64, float64) {
	const mPerDegLat = 111_320.0
	return lat + dyMeters/mPerDegLat, lng + dxMeters/(mPerDegLat*math.Cos(lat*math.Pi/180))
}

// model is the test's own record of what the index should hold.
type model struct {
	role   mobilize.Role
	status mobilize.Status
	skills []mobilize.Skill
	point  orb.Point
	seen   time.Time
	loc    bool
}

// bruteForce is the reference answer: every qualifying responder, sorted
// by exact distance then id.
func bruteForce(people map[mobilize.ResponderID]*model, q mobilize.NearbyQuery, now time.Time, staleAfter time.Duration) []mobilize.Candidate {
	var out []mobilize.Candidate
	for id, m := range people {
		if m.status != mobilize.StatusAvailable || !m.loc || m.role != q.Role || q.ExcludeResponders[id] {
			continue
		}
		if m.seen.Before(now.Add(-staleAfter)) || !mobilize.HasSkills(m.skills, q.Skills, now) {
			continue
		}
		d := geo.DistanceMeters(q.Point, m.point)
		if d > q.MaxRadiusMeters {
			continue
		}
		out = append(out, mobilize.Candidate{ID: id, Point: m.point, DistanceMeters: d, LastSeen: m.seen})
	}
	slices.SortFunc(out, func(a, b mobilize.Candidate) int {
		if c := cmp.Compare(a.DistanceMeters, b.DistanceMeters); c != 0 {
			return c
		}
		return strings.Compare(string(a.ID), string(b.ID))
	})
	if len(out) > q.K {
		out = out[:q.K]
	}
	return out
}

var testSkills = []string{"first_aid", "driving", "counselling", "sign_language"}

func randomSkills(r *rand.Rand, now time.Time) []mobilize.Skill {
	var out []mobilize.Skill
	for _, s := range testSkills {
		switch r.IntN(4) {
		case 0:
			out = append(out, mobilize.Skill{Name: s})
		case 1: // certified: half expired, half current
			exp := now.Add(time.Duration(r.IntN(48)-24) * time.Hour).Truncate(time.Millisecond)
			out = append(out, mobilize.Skill{Name: s, ExpiresAt: exp})
		}
	}
	return out
}

func randomPoint(t testing.TB, r *rand.Rand, halfMeters float64) orb.Point {
	lat, lng := offset(yantaiLat, yantaiLng, (r.Float64()*2-1)*halfMeters, (r.Float64()*2-1)*halfMeters)
	return mustPoint(t, lat, lng)
}

func randomStatus(r *rand.Rand) mobilize.Status {
	if r.IntN(10) < 7 {
		return mobilize.StatusAvailable
	}
	return []mobilize.Status{mobilize.StatusOffered, mobilize.StatusBusy, mobilize.StatusOffDuty}[r.IntN(3)]
}

func sameCandidates(got, want []mobilize.Candidate) error {
	if len(got) != len(want) {
		return fmt.Errorf("got %d candidates, want %d", len(got), len(want))
	}
	for i := range got {
		if got[i].ID != want[i].ID || got[i].DistanceMeters != want[i].DistanceMeters {
			return fmt.Errorf("candidate %d: got %s at %.3f m, want %s at %.3f m", i, got[i].ID, got[i].DistanceMeters, want[i].ID, want[i].DistanceMeters)
		}
	}
	return nil
}

// TestNearbyMatchesBruteForce is the property test of the index: on 20,000
// random responders in a 60 km box around Yantai, Nearby returns exactly
// what brute force returns, before and after moves, status changes and
// staleness.
func TestNearbyMatchesBruteForce(t *testing.T) {
	redistest.Each(t, func(t *testing.T, b redistest.Backend) {
		ctx := context.Background()
		clock := newTestClock()
		ix := newTestIndex(t, b.Client, clock)
		r := rand.New(rand.NewPCG(1, 2))
		const n = 20_000
		people := make(map[mobilize.ResponderID]*model, n)
		ids := make([]mobilize.ResponderID, 0, n)
		regs := make([]Registration, 0, n)
		for i := range n {
			id := mobilize.ResponderID(fmt.Sprintf("r%05d", i))
			m := &model{role: mobilize.Roles[r.IntN(len(mobilize.Roles))], status: randomStatus(r), skills: randomSkills(r, clock.Now())}
			people[id], ids = m, append(ids, id)
			regs = append(regs, Registration{ID: id, Role: m.role, Skills: m.skills, Status: m.status})
		}
		if err := ix.RegisterMany(ctx, regs); err != nil {
			t.Fatal(err)
		}
		// locate sends one batch of reports: anywhere in the box, or (walk)
		// within 40 m of the last position, so that most stay in their
		// cell, which the script handles on a path of its own. A batch may
		// hold several reports of one person.
		locate := func(batch []mobilize.ResponderID, walk bool) {
			ls := make([]mobilize.Location, len(batch))
			for i, id := range batch {
				m := people[id]
				// Spread last-seen times over the last 15 minutes, so some are
				// stale. A report older than the one held is ignored.
				p := randomPoint(t, r, 30_000)
				if walk && m.loc {
					lat, lng := offset(geo.Lat(m.point), geo.Lng(m.point), (r.Float64()*2-1)*40, (r.Float64()*2-1)*40)
					p = mustPoint(t, lat, lng)
				}
				seen := clock.Now().Add(-time.Duration(r.IntN(15*60)) * time.Second)
				if !m.loc || !seen.Before(m.seen) {
					m.point, m.seen, m.loc = p, seen, true
				}
				ls[i] = mobilize.Location{ID: id, Point: p, At: seen}
			}
			for i, err := range ix.LocateMany(ctx, ls) {
				if err != nil {
					t.Fatalf("locate %s: %v", ls[i].ID, err)
				}
			}
		}
		for start := 0; start < n; start += 500 {
			locate(ids[start:start+500], false)
		}

		// Every query is answered alone (Nearby) and all of them together
		// (NearbyMany, as the matcher asks, where searches share cells):
		// both must equal brute force.
		check := func(queries int) {
			t.Helper()
			qs := make([]mobilize.NearbyQuery, queries)
			for qi := range qs {
				q := mobilize.NearbyQuery{
					Point:           randomPoint(t, r, 30_000),
					Role:            mobilize.Roles[r.IntN(len(mobilize.Roles))],
					K:               1 + r.IntN(50),
					MaxRadiusMeters: 100 + r.Float64()*9_900,
				}
				if r.IntN(3) == 0 {
					q.Skills = []string{testSkills[r.IntN(len(testSkills))]}
				}
				if r.IntN(5) == 0 {
					q.ExcludeResponders = map[mobilize.ResponderID]bool{ids[r.IntN(n)]: true}
				}
				qs[qi] = q
			}
			together, err := ix.NearbyMany(ctx, qs)
			if err != nil {
				t.Fatal(err)
			}
			for qi, q := range qs {
				got, err := ix.Nearby(ctx, q)
				if err != nil {
					t.Fatal(err)
				}
				want := bruteForce(people, q, clock.Now(), 10*time.Minute)
				if err := sameCandidates(got, want); err != nil {
					t.Fatalf("query %d (k=%d role=%s radius=%.0f skills=%v): %v", qi, q.K, q.Role, q.MaxRadiusMeters, q.Skills, err)
				}
				if err := sameCandidates(together[qi], want); err != nil {
					t.Fatalf("query %d asked with %d others (k=%d role=%s radius=%.0f skills=%v): %v", qi, len(qs)-1, q.K, q.Role, q.MaxRadiusMeters, q.Skills, err)
				}
			}
		}
		check(500)

		// Random moves, status changes and the clock moving on.
		for round := range 3 {
			moved := make([]mobilize.ResponderID, 0, 3000)
			for range 3000 {
				moved = append(moved, ids[r.IntN(n)])
			}
			locate(moved, false)
			// Walks, with repeats: a tenth of the people report twice in a
			// row, so both reports share a script call.
			var walked []mobilize.ResponderID
			for _, id := range ids[r.IntN(n-2000):][:2000] {
				walked = append(walked, id)
				if r.IntN(10) == 0 {
					walked = append(walked, id)
				}
			}
			locate(walked, true)
			for range 1000 {
				id := ids[r.IntN(n)]
				st := randomStatus(r)
				if err := ix.SetStatus(ctx, id, st); err != nil {
					t.Fatal(err)
				}
				people[id].status = st
			}
			clock.Advance(time.Duration(round+1) * time.Minute)
			if round == 1 {
				if _, err := ix.Sweep(ctx); err != nil {
					t.Fatal(err)
				}
			}
			check(150)
		}
		checkSupply(t, ix, people, clock.Now())
	})
}

// checkSupply compares the supply counts with the model. Counts include
// responders that went stale since the last sweep, so sweep first.
func checkSupply(t *testing.T, ix *Index, people map[mobilize.ResponderID]*model, now time.Time) {
	t.Helper()
	ctx := context.Background()
	if _, err := ix.Sweep(ctx); err != nil {
		t.Fatal(err)
	}
	for _, res := range []int{7, 5} {
		want := map[geo.Cell]int{}
		for _, m := range people {
			if m.status == mobilize.StatusAvailable && m.loc && !m.seen.Before(now.Add(-10*time.Minute)) {
				// Supply counts by the H3 parent of the index cell, which
				// is not always the coarse cell containing the point.
				fine, _ := geo.CellAt(m.point, ix.Resolution())
				c, _ := fine.Parent(res)
				want[c]++
			}
		}
		box, err := geo.NewBBox(yantaiLng-0.5, yantaiLat-0.4, yantaiLng+0.5, yantaiLat+0.4)
		if err != nil {
			t.Fatal(err)
		}
		got, err := ix.Supply(ctx, box, res)
		if err != nil {
			t.Fatal(err)
		}
		if len(got) != len(want) {
			t.Fatalf("res %d: supply has %d cells, want %d", res, len(got), len(want))
		}
		for c, n := range want {
			if got[c] != n {
				t.Fatalf("res %d cell %s: supply %d, want %d", res, c, got[c], n)
			}
		}
	}
}

// snapshot returns every key and its dumped value, to prove that a refused
// call changed nothing.
func snapshot(t *testing.T, rdb redis.UniversalClient) map[string]string {
	t.Helper()
	ctx := context.Background()
	keys, err := rdb.Keys(ctx, "*").Result()
	if err != nil {
		t.Fatal(err)
	}
	out := make(map[string]string, len(keys))
	for _, k := range keys {
		switch typ := rdb.Type(ctx, k).Val(); typ {
		case "hash":
			out[k] = fmt.Sprint(rdb.HGetAll(ctx, k).Val())
		default:
			out[k] = typ
		}
	}
	return out
}

func TestBadInputChangesNothing(t *testing.T) {
	redistest.Each(t, func(t *testing.T, b redistest.Backend) {
		ctx := context.Background()
		clock := newTestClock()
		ix := newTestIndex(t, b.Client, clock)
		if err := ix.Register(ctx, "a", mobilize.RoleVolunteer, nil, mobilize.StatusAvailable); err != nil {
			t.Fatal(err)
		}
		if err := ix.Locate(ctx, mobilize.Location{ID: "a", Point: mustPoint(t, yantaiLat, yantaiLng), At: clock.Now()}); err != nil {
			t.Fatal(err)
		}
		before := snapshot(t, b.Client)
		tests := []struct {
			name string
			call func() error
			want error
		}{
			{"unknown id locate", func() error {
				return ix.Locate(ctx, mobilize.Location{ID: "ghost", Point: mustPoint(t, yantaiLat, yantaiLng), At: clock.Now()})
			}, mobilize.ErrNotFound},
			{"latitude out of range", func() error {
				return ix.Locate(ctx, mobilize.Location{ID: "a", Point: orb.Point{yantaiLng, 91}, At: clock.Now()})
			}, mobilize.ErrInvalid},
			{"longitude out of range", func() error {
				return ix.Locate(ctx, mobilize.Location{ID: "a", Point: orb.Point{-180.5, 10}, At: clock.Now()})
			}, mobilize.ErrInvalid},
			{"NaN", func() error {
				return ix.Locate(ctx, mobilize.Location{ID: "a", Point: orb.Point{math.NaN(), 10}, At: clock.Now()})
			}, mobilize.ErrInvalid},
			{"Inf", func() error {
				return ix.Locate(ctx, mobilize.Location{ID: "a", Point: orb.Point{10, math.Inf(1)}, At: clock.Now()})
			}, mobilize.ErrInvalid},
			{"unknown id status", func() error { return ix.SetStatus(ctx, "ghost", mobilize.StatusBusy) }, mobilize.ErrNotFound},
			{"unknown status", func() error { return ix.SetStatus(ctx, "a", "asleep") }, mobilize.ErrInvalid},
			{"id with separator", func() error { return ix.Register(ctx, "a|b", mobilize.RoleVolunteer, nil, mobilize.StatusAvailable) }, mobilize.ErrInvalid},
			{"unknown role", func() error { return ix.Register(ctx, "b", "pilot", nil, mobilize.StatusAvailable) }, mobilize.ErrInvalid},
			{"skill with separator", func() error {
				return ix.Register(ctx, "b", mobilize.RoleMedic, []mobilize.Skill{{Name: "a,b"}}, mobilize.StatusAvailable)
			}, mobilize.ErrInvalid},
			{"batch with one bad entry", func() error {
				return ix.RegisterMany(ctx, []Registration{
					{ID: "c", Role: mobilize.RoleVolunteer, Status: mobilize.StatusAvailable},
					{ID: "d", Role: "pilot", Status: mobilize.StatusAvailable},
				})
			}, mobilize.ErrInvalid},
			{"remove unknown", func() error { return ix.Remove(ctx, "ghost") }, mobilize.ErrNotFound},
			{"nearby k=0", func() error {
				_, err := ix.Nearby(ctx, mobilize.NearbyQuery{Point: mustPoint(t, yantaiLat, yantaiLng), Role: mobilize.RoleVolunteer, K: 0, MaxRadiusMeters: 100})
				return err
			}, mobilize.ErrInvalid},
			{"nearby NaN", func() error {
				_, err := ix.Nearby(ctx, mobilize.NearbyQuery{Point: orb.Point{math.NaN(), 0}, Role: mobilize.RoleVolunteer, K: 1, MaxRadiusMeters: 100})
				return err
			}, mobilize.ErrInvalid},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				if err := tt.call(); !errors.Is(err, tt.want) {
					t.Fatalf("err = %v, want %v", err, tt.want)
				}
				if after := snapshot(t, b.Client); fmt.Sprint(after) != fmt.Sprint(before) {
					t.Fatalf("Redis changed:\nbefore %v\nafter  %v", before, after)
				}
			})
		}
		errs := ix.LocateMany(ctx, []mobilize.Location{
			{ID: "a", Point: orb.Point{200, 0}, At: clock.Now()},
			{ID: "ghost", Point: mustPoint(t, 1, 1), At: clock.Now()},
		})
		if !errors.Is(errs[0], mobilize.ErrInvalid) || !errors.Is(errs[1], mobilize.ErrNotFound) {
			t.Fatalf("LocateMany errors = %v", errs)
		}
		if after := snapshot(t, b.Client); fmt.Sprint(after) != fmt.Sprint(before) {
			t.Fatal("LocateMany with only bad reports changed Redis")
		}
	})
}

// cellHashesHolding lists the cell hashes that contain id.
func cellHashesHolding(t *testing.T, rdb redis.UniversalClient, id string) []string {
	t.Helper()
	ctx := context.Background()
	keys, err := rdb.Keys(ctx, "t:{yt}:ix:c:*").Result()
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, k := range keys {
		if rdb.HExists(ctx, k, id).Val() {
			out = append(out, k)
		}
	}
	return out
}

func TestMovingAcrossACellBorderManyTimes(t *testing.T) {
	redistest.Each(t, func(t *testing.T, b redistest.Backend) {
		ctx := context.Background()
		clock := newTestClock()
		ix := newTestIndex(t, b.Client, clock)
		if err := ix.Register(ctx, "walker", mobilize.RoleVolunteer, nil, mobilize.StatusAvailable); err != nil {
			t.Fatal(err)
		}
		// Find two points 2 m apart on either side of a cell border.
		lat, lng := yantaiLat, yantaiLng
		a := mustPoint(t, lat, lng)
		ca, _ := geo.CellAt(a, ix.Resolution())
		var bp orb.Point
		for step := 1; ; step++ {
			la, ln := offset(lat, lng, float64(step)*2, 0)
			p := mustPoint(t, la, ln)
			if c, _ := geo.CellAt(p, ix.Resolution()); c != ca {
				bp = p
				la2, ln2 := offset(la, ln, -2, 0)
				a = mustPoint(t, la2, ln2)
				break
			}
		}
		ca, _ = geo.CellAt(a, ix.Resolution())
		cb, _ := geo.CellAt(bp, ix.Resolution())
		if ca == cb {
			t.Fatal("test setup: both points in one cell")
		}
		for i := range 500 {
			p := a
			if i%2 == 1 {
				p = bp
			}
			clock.Advance(time.Second)
			if err := ix.Locate(ctx, mobilize.Location{ID: "walker", Point: p, At: clock.Now()}); err != nil {
				t.Fatal(err)
			}
			if i%50 == 0 || i == 499 {
				want := ca
				if i%2 == 1 {
					want = cb
				}
				holding := cellHashesHolding(t, b.Client, "walker")
				if len(holding) != 1 || !strings.Contains(holding[0], want.String()) {
					t.Fatalf("after move %d: in cell hashes %v, want only %s", i, holding, want)
				}
			}
		}
		box, _ := geo.NewBBox(yantaiLng-0.1, yantaiLat-0.1, yantaiLng+0.1, yantaiLat+0.1)
		for _, res := range []int{7, 5} {
			s, err := ix.Supply(ctx, box, res)
			if err != nil {
				t.Fatal(err)
			}
			total := 0
			for _, n := range s {
				total += n
			}
			if total != 1 {
				t.Fatalf("res %d supply total %d after 500 moves, want 1 (%v)", res, total, s)
			}
		}
	})
}

func TestStatusMovesInAndOutOfCandidates(t *testing.T) {
	redistest.Each(t, func(t *testing.T, b redistest.Backend) {
		ctx := context.Background()
		clock := newTestClock()
		ix := newTestIndex(t, b.Client, clock)
		p := mustPoint(t, yantaiLat, yantaiLng)
		q := mobilize.NearbyQuery{Point: p, Role: mobilize.RoleMedic, K: 5, MaxRadiusMeters: 1000}
		found := func() int {
			t.Helper()
			got, err := ix.Nearby(ctx, q)
			if err != nil {
				t.Fatal(err)
			}
			return len(got)
		}
		if err := ix.Register(ctx, "m1", mobilize.RoleMedic, nil, mobilize.StatusOffDuty); err != nil {
			t.Fatal(err)
		}
		if err := ix.Locate(ctx, mobilize.Location{ID: "m1", Point: p, At: clock.Now()}); err != nil {
			t.Fatal(err)
		}
		steps := []struct {
			name      string
			do        func() error
			candidate bool
		}{
			{"off duty with a position", func() error { return nil }, false},
			{"available", func() error { return ix.SetStatus(ctx, "m1", mobilize.StatusAvailable) }, true},
			{"offered via compare-and-set", func() error {
				ok, err := ix.CompareAndSetStatus(ctx, "m1", mobilize.StatusAvailable, mobilize.StatusOffered)
				if err == nil && !ok {
					err = errors.New("compare-and-set from available refused")
				}
				return err
			}, false},
			{"second claim refused", func() error {
				ok, err := ix.CompareAndSetStatus(ctx, "m1", mobilize.StatusAvailable, mobilize.StatusOffered)
				if err == nil && ok {
					err = errors.New("second compare-and-set succeeded")
				}
				return err
			}, false},
			{"busy", func() error { return ix.SetStatus(ctx, "m1", mobilize.StatusBusy) }, false},
			{"available again", func() error { return ix.SetStatus(ctx, "m1", mobilize.StatusAvailable) }, true},
			{"stale after 11 minutes", func() error { clock.Advance(11 * time.Minute); return nil }, false},
			{"swept", func() error {
				n, err := ix.Sweep(ctx)
				if err == nil && n != 1 {
					err = fmt.Errorf("swept %d, want 1", n)
				}
				return err
			}, false},
			{"available but stale stays out", func() error { return ix.SetStatus(ctx, "m1", mobilize.StatusAvailable) }, false},
			{"fresh position brings it back", func() error {
				return ix.Locate(ctx, mobilize.Location{ID: "m1", Point: p, At: clock.Now()})
			}, true},
			{"an older report is ignored", func() error {
				return ix.Locate(ctx, mobilize.Location{ID: "m1", Point: mustPoint(t, 0, 0), At: clock.Now().Add(-time.Hour)})
			}, true},
			{"removed", func() error { return ix.Remove(ctx, "m1") }, false},
		}
		for _, s := range steps {
			if err := s.do(); err != nil {
				t.Fatalf("%s: %v", s.name, err)
			}
			if got := found() == 1; got != s.candidate {
				t.Fatalf("%s: candidate = %v, want %v", s.name, got, s.candidate)
			}
		}
		if keys := b.Client.Keys(ctx, "t:{yt}:ix:c:*").Val(); len(keys) != 0 {
			t.Fatalf("cell hashes left after remove: %v", keys)
		}
	})
}

func TestNearbyNearAPentagonAndEveryKeyInOneSlot(t *testing.T) {
	redistest.Each(t, func(t *testing.T, b redistest.Backend) {
		ctx := context.Background()
		clock := newTestClock()
		ix := newTestIndex(t, b.Client, clock)
		// Res-0 pentagon 8009fffffffffff lies off Norway's coast; its
		// res-10 centre child is a pentagon too.
		pent, err := geo.ParseCell("8009fffffffffff")
		if err != nil || !pent.IsPentagon() {
			t.Fatalf("test setup: %v %v", pent, err)
		}
		c := pent.Centre()
		var people []mobilize.ResponderID
		for i := range 30 {
			id := mobilize.ResponderID(fmt.Sprintf("p%02d", i))
			people = append(people, id)
			lat, lng := offset(geo.Lat(c), geo.Lng(c), float64(i%6-3)*80, float64(i/6-2)*80)
			if err := ix.Register(ctx, id, mobilize.RoleVolunteer, nil, mobilize.StatusAvailable); err != nil {
				t.Fatal(err)
			}
			if err := ix.Locate(ctx, mobilize.Location{ID: id, Point: mustPoint(t, lat, lng), At: clock.Now()}); err != nil {
				t.Fatal(err)
			}
		}
		got, err := ix.Nearby(ctx, mobilize.NearbyQuery{Point: c, Role: mobilize.RoleVolunteer, K: 30, MaxRadiusMeters: 2000})
		if err != nil {
			t.Fatal(err)
		}
		if len(got) != 30 {
			t.Fatalf("near a pentagon: found %d of 30", len(got))
		}
		// Every key carries the region's hash tag, so every script is
		// confined to one Redis Cluster slot.
		keys := b.Client.Keys(ctx, "*").Val()
		for _, k := range keys {
			if !strings.HasPrefix(k, "t:{yt}:") {
				t.Fatalf("key %q lacks the prefix and region hash tag", k)
			}
		}
	})
}

func TestValidID(t *testing.T) {
	for _, id := range []mobilize.ResponderID{"v1", "社工-07", mobilize.ResponderID(strings.Repeat("x", 64))} {
		if err := validID(id); err != nil {
			t.Errorf("validID(%q) = %v, want nil", id, err)
		}
	}
	bad := []mobilize.ResponderID{"", mobilize.ResponderID(strings.Repeat("x", 65))}
	for _, c := range "|,@: {}\t\r\n" {
		bad = append(bad, mobilize.ResponderID("a"+string(c)+"b"))
	}
	for _, id := range bad {
		if err := validID(id); !errors.Is(err, mobilize.ErrInvalid) {
			t.Errorf("validID(%q) = %v, want ErrInvalid", id, err)
		}
	}
}
