package redisstore

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"math"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/liandong/liandong/geo"
	"github.com/liandong/liandong/mobilize"
)

// maxNearbyK bounds one query; the matcher asks for a handful per slot.
const maxNearbyK = 1000

// MaxRadiusMeters is the widest search the index answers: what
// geo.MaxDiskK rings of its cells surely cover (neighbour spacing is about
// √3 edge lengths; cells vary in size, hence the margin).
func (ix *Index) MaxRadiusMeters() float64 {
	return 0.7 * float64(geo.MaxDiskK) * math.Sqrt(3) * geo.EdgeLengthMeters(ix.res)
}

// Nearby returns up to K available, fresh responders of the role with the
// required skills within the radius, sorted by exact great-circle distance
// (ties by id). It searches rings of cells outward and stops as soon as
// the K best are proven: when no cell of the next ring can hold anyone
// nearer than the K-th found. Cells that cannot beat the current K-th (or
// lie beyond the radius) are not fetched at all, so the ids that travel
// from Redis stay few.
func (ix *Index) Nearby(ctx context.Context, q mobilize.NearbyQuery) ([]mobilize.Candidate, error) {
	out, err := ix.NearbyMany(ctx, []mobilize.NearbyQuery{q})
	if err != nil {
		return nil, err
	}
	return out[0], nil
}

// NearbyMany answers many queries together, as the matcher asks them: the
// searches advance ring by ring in lockstep, and each round fetches the
// cells of every query in one pipeline, each cell once however many
// queries need it. A whole tick of queries costs a few round trips instead
// of a few per query.
func (ix *Index) NearbyMany(ctx context.Context, qs []mobilize.NearbyQuery) ([][]mobilize.Candidate, error) {
	now := ix.now()
	searches := make([]*ringSearch, len(qs))
	for i, q := range qs {
		rs, err := ix.newRingSearch(q, now)
		if err != nil {
			return nil, err
		}
		searches[i] = rs
	}
	// Searches overlap: one search's third ring is a neighbour's first.
	// Every cell read in an earlier round is kept, so that no cell
	// crosses the network twice in one call.
	fetched := map[string][]string{}
	named := make([][]string, len(searches)) // the cell keys each search needs this round
	errs := make([]error, len(searches))
	for {
		// Each search names the cells it needs next (in parallel: ring
		// geometry is CPU work); the round fetches the ones not read yet
		// all at once, then each search weighs its cells' people.
		inParallel(len(searches), func(i int) {
			named[i], errs[i] = named[i][:0], nil
			rs := searches[i]
			if rs.done {
				return
			}
			cells, err := rs.next(ix)
			if err != nil {
				errs[i] = err
				return
			}
			for _, c := range cells {
				named[i] = append(named[i], ix.keys.cell(c.String(), rs.role))
			}
		})
		if err := errors.Join(errs...); err != nil {
			return nil, err
		}
		var keys []string
		wanted := map[string]bool{}
		for _, ks := range named {
			for _, k := range ks {
				if _, ok := fetched[k]; !ok && !wanted[k] {
					wanted[k] = true
					keys = append(keys, k)
				}
			}
		}
		if err := ix.fetchKeys(ctx, keys, func(key string, vals []string) { fetched[key] = vals }); err != nil {
			return nil, err
		}
		more := false
		for _, ks := range named {
			more = more || len(ks) > 0
		}
		if !more {
			break
		}
		inParallel(len(searches), func(i int) {
			for _, k := range named[i] {
				for _, val := range fetched[k] {
					searches[i].consider(val)
				}
			}
		})
	}
	out := make([][]mobilize.Candidate, len(searches))
	for i, rs := range searches {
		out[i] = rs.best
	}
	return out, nil
}

// ringSearch is one query's progress through its rings.
type ringSearch struct {
	nearbySearch
	role   string
	origin geo.Cell
	rings  [][]geo.Cell
	disk   int // rings computed so far go up to disk
	k      int // next ring to consider
	done   bool
}

func (ix *Index) newRingSearch(q mobilize.NearbyQuery, now time.Time) (*ringSearch, error) {
	if err := geo.ValidPoint(q.Point); err != nil {
		return nil, fmt.Errorf("nearby: %w: %w", err, mobilize.ErrInvalid)
	}
	if _, err := mobilize.ParseRole(string(q.Role)); err != nil {
		return nil, fmt.Errorf("nearby: %w", err)
	}
	if q.K < 1 || q.K > maxNearbyK {
		return nil, fmt.Errorf("nearby: k=%d outside 1..%d: %w", q.K, maxNearbyK, mobilize.ErrInvalid)
	}
	if !(q.MaxRadiusMeters > 0) || q.MaxRadiusMeters > ix.MaxRadiusMeters() {
		return nil, fmt.Errorf("nearby: radius %.0f m outside (0, %.0f m] at index resolution %d: %w", q.MaxRadiusMeters, ix.MaxRadiusMeters(), ix.res, mobilize.ErrInvalid)
	}
	origin, err := geo.CellAt(q.Point, ix.res)
	if err != nil {
		return nil, fmt.Errorf("nearby: %w", err)
	}
	return &ringSearch{
		nearbySearch: nearbySearch{q: q, nowMs: now.UnixMilli(), cutoffMs: now.Add(-ix.staleAfter).UnixMilli(),
			best: make([]mobilize.Candidate, 0, min(q.K, 64)+1)},
		role:   string(q.Role),
		origin: origin,
		disk:   firstDisk,
		rings:  ix.disks.get(origin),
	}, nil
}

// next returns the cells to fetch in the coming round, or none (and done)
// when the K best are proven or every further cell lies beyond the radius.
// The first round takes rings 0 and 1 together: the nearest people are
// usually there, and one round beats two.
func (rs *ringSearch) next(ix *Index) ([]geo.Cell, error) {
	for {
		last := rs.k
		if rs.k == 0 {
			last = 1
		}
		var fetch []geo.Cell
		anyInReach := false
		for ; rs.k <= last; rs.k++ {
			if rs.k > rs.disk {
				rs.disk = min(rs.disk*2, geo.MaxDiskK)
				if rs.k > rs.disk {
					return nil, fmt.Errorf("nearby: search passed %d rings without reaching %.0f m: %w", geo.MaxDiskK, rs.q.MaxRadiusMeters, mobilize.ErrInvalid)
				}
				rs.rings = geo.Disk(rs.origin, rs.disk)
			}
			for _, c := range rs.rings[rs.k] {
				shape := ix.shapes.get(c)
				lb := max(0, geo.DistanceMeters(rs.q.Point, shape.centre)-shape.radius)
				if lb > rs.q.MaxRadiusMeters {
					continue
				}
				anyInReach = true
				if rs.full() && lb > rs.worst() {
					continue
				}
				fetch = append(fetch, c)
			}
		}
		switch {
		case !anyInReach: // every cell of the ring lies beyond the radius
			rs.done = true
			return nil, nil
		case len(fetch) > 0:
			return fetch, nil
		case rs.full(): // proven: nothing in this ring can beat the K-th
			rs.done = true
			return nil, nil
		}
	}
}

// nearbySearch keeps the K best candidates found so far, sorted.
type nearbySearch struct {
	q        mobilize.NearbyQuery
	nowMs    int64
	cutoffMs int64
	best     []mobilize.Candidate
}

func (s *nearbySearch) full() bool     { return len(s.best) >= s.q.K }
func (s *nearbySearch) worst() float64 { return s.best[len(s.best)-1].DistanceMeters }

func candidateLess(a, b mobilize.Candidate) int {
	if c := cmp.Compare(a.DistanceMeters, b.DistanceMeters); c != 0 {
		return c
	}
	return strings.Compare(string(a.ID), string(b.ID))
}

func (s *nearbySearch) offer(c mobilize.Candidate) {
	if s.full() && candidateLess(c, s.best[len(s.best)-1]) >= 0 {
		return
	}
	i, _ := slices.BinarySearchFunc(s.best, c, candidateLess)
	s.best = slices.Insert(s.best, i, c)
	if len(s.best) > s.q.K {
		s.best = s.best[:s.q.K]
	}
}

// consider parses one cell-hash value "id|lat|lng|ts|skills" and keeps it
// if it qualifies. The fields are substrings of the reply: nothing more is
// allocated unless the entry is kept.
func (s *nearbySearch) consider(val string) {
	id, rest, _ := strings.Cut(val, "|")
	latS, rest, _ := strings.Cut(rest, "|")
	lngS, rest, _ := strings.Cut(rest, "|")
	tsS, skills, _ := strings.Cut(rest, "|")
	ts, err := strconv.ParseInt(tsS, 10, 64)
	if err != nil || ts < s.cutoffMs {
		return
	}
	if len(s.q.ExcludeResponders) > 0 && s.q.ExcludeResponders[mobilize.ResponderID(id)] {
		return
	}
	if s.q.OnlyResponders != nil && !s.q.OnlyResponders[mobilize.ResponderID(id)] {
		return
	}
	if len(s.q.Skills) > 0 && !hasSkillsEncoded(skills, s.q.Skills, s.nowMs) {
		return
	}
	lat, err1 := strconv.ParseFloat(latS, 64)
	lng, err2 := strconv.ParseFloat(lngS, 64)
	if err1 != nil || err2 != nil {
		return
	}
	p, err := geo.NewPoint(lat, lng)
	if err != nil {
		return
	}
	d := geo.DistanceMeters(s.q.Point, p)
	if d > s.q.MaxRadiusMeters {
		return
	}
	if s.full() && d > s.worst() {
		return
	}
	s.offer(mobilize.Candidate{ID: mobilize.ResponderID(id), Point: p, DistanceMeters: d, LastSeen: time.UnixMilli(ts).UTC()})
}

// inParallel runs fn(0..n-1) over the machine's cores when n is large
// enough to pay for the goroutines, else in order. Each index is handled
// by exactly one goroutine.
func inParallel(n int, fn func(i int)) {
	workers := min(runtime.GOMAXPROCS(0), n/minParallelSearches)
	if workers < 2 {
		for i := range n {
			fn(i)
		}
		return
	}
	var wg sync.WaitGroup
	per := (n + workers - 1) / workers
	for lo := 0; lo < n; lo += per {
		wg.Add(1)
		go func(lo, hi int) {
			defer wg.Done()
			for i := lo; i < hi; i++ {
				fn(i)
			}
		}(lo, min(n, lo+per))
	}
	wg.Wait()
}

// minParallelSearches is the fewest searches per goroutine worth starting
// one for.
const minParallelSearches = 128

// fetchKeys reads cell hashes with HVALS (each value repeats its id; a
// Lua script gathering the same cells measured about three times the
// Redis CPU), in pipelines of bounded size.
func (ix *Index) fetchKeys(ctx context.Context, keys []string, each func(key string, vals []string)) error {
	const chunk = 4096
	for len(keys) > 0 {
		part := keys[:min(chunk, len(keys))]
		keys = keys[len(part):]
		pipe := ix.rdb.Pipeline()
		cmds := make([]*redis.StringSliceCmd, len(part))
		for i, k := range part {
			cmds[i] = pipe.HVals(ctx, k)
		}
		if _, err := pipe.Exec(ctx); err != nil {
			return fmt.Errorf("nearby: %w", err)
		}
		for i, cmd := range cmds {
			each(part[i], cmd.Val())
		}
	}
	return nil
}

// Supply counts the indexed available responders per cell at res (7 or
// 5) for the cells overlapping the box: the supply side of the heatmap.
// Cells with nobody are left out.
func (ix *Index) Supply(ctx context.Context, box geo.BBox, res int) (map[geo.Cell]int, error) {
	if res != 7 && res != 5 {
		return nil, fmt.Errorf("supply: resolution %d: only 7 and 5 are counted: %w", res, mobilize.ErrInvalid)
	}
	cells, err := box.Cells(res)
	if err != nil {
		return nil, fmt.Errorf("supply: %w: %w", err, mobilize.ErrInvalid)
	}
	out := make(map[geo.Cell]int)
	const chunk = 1000
	for len(cells) > 0 {
		part := cells[:min(chunk, len(cells))]
		cells = cells[len(part):]
		fields := make([]string, len(part))
		for i, c := range part {
			fields[i] = c.String()
		}
		vals, err := ix.rdb.HMGet(ctx, ix.keys.supply(res), fields...).Result()
		if err != nil {
			return nil, fmt.Errorf("supply: %w", err)
		}
		for i, v := range vals {
			s, ok := v.(string)
			if !ok {
				continue
			}
			if n, err := strconv.Atoi(s); err == nil && n > 0 {
				out[part[i]] = n
			}
		}
	}
	return out, nil
}

// AvailableIn lists the available, fresh responders of the given roles in
// the given cells (at the index resolution), for mobilising an area.
func (ix *Index) AvailableIn(ctx context.Context, cells []geo.Cell, roles []mobilize.Role) ([]mobilize.Candidate, error) {
	now := ix.now()
	cutoff := now.Add(-ix.staleAfter).UnixMilli()
	var keys []string
	for _, c := range cells {
		if c.Resolution() != ix.res {
			return nil, fmt.Errorf("available in: cell %s is not at resolution %d: %w", c, ix.res, mobilize.ErrInvalid)
		}
		for _, r := range roles {
			keys = append(keys, ix.keys.cell(c.String(), string(r)))
		}
	}
	var out []mobilize.Candidate
	err := ix.fetchKeys(ctx, keys, func(_ string, vals []string) {
		for _, val := range vals {
			if c, ok := parseCellEntry(val, cutoff); ok {
				out = append(out, c)
			}
		}
	})
	return out, err
}

// parseCellEntry reads a cell-hash value "id|lat|lng|ts|skills"; ok is
// false for an entry older than cutoff (Unix ms) or a damaged one.
func parseCellEntry(val string, cutoff int64) (mobilize.Candidate, bool) {
	id, rest, _ := strings.Cut(val, "|")
	latS, rest, _ := strings.Cut(rest, "|")
	lngS, rest, _ := strings.Cut(rest, "|")
	tsS, _, _ := strings.Cut(rest, "|")
	ts, err := strconv.ParseInt(tsS, 10, 64)
	if err != nil || ts < cutoff {
		return mobilize.Candidate{}, false
	}
	lat, err1 := strconv.ParseFloat(latS, 64)
	lng, err2 := strconv.ParseFloat(lngS, 64)
	p, err3 := geo.NewPoint(lat, lng)
	if err1 != nil || err2 != nil || err3 != nil {
		return mobilize.Candidate{}, false
	}
	return mobilize.Candidate{ID: mobilize.ResponderID(strings.Clone(id)), Point: p, LastSeen: time.UnixMilli(ts).UTC()}, true
}
