package mobilize

import (
	"cmp"
	"math"
	"math/rand/v2"
	"slices"
	"testing"
)

func BenchmarkSolveAssignment_10kSlots_200kPeople(b *testing.B) {
	benchSolve(b, cityConfig{10000, 200000, 50000, 20, 4, 1})
}

func BenchmarkSolveAssignment_1kx2k_dense(b *testing.B) {
	benchSolve(b, cityConfig{1000, 2000, 10000, 50, 1, 2})
}

// BenchmarkSolveAssignment_10kSlots_12kPeople_tight has barely enough
// responders: every slot can be filled, but only by long displacement
// chains, and greedy strands a few hundred slots.
func BenchmarkSolveAssignment_10kSlots_12kPeople_tight(b *testing.B) {
	benchSolve(b, cityConfig{10000, 12000, 50000, 20, 4, 3})
}

// BenchmarkSolveAssignment_10kSlots_5kPeople_overloaded is the bad day:
// half the slots cannot be filled. A slot that simply stays open costs
// almost nothing (the duals of the saturated crowd price it out at once);
// the time goes into the swaps and long displacement chains of the urgency
// level where people run out, which is the optimisation greedy skips.
func BenchmarkSolveAssignment_10kSlots_5kPeople_overloaded(b *testing.B) {
	benchSolve(b, cityConfig{10000, 5000, 50000, 20, 4, 1})
}

func BenchmarkSolveGreedy_10k(b *testing.B) {
	p := cityProblem(cityConfig{10000, 200000, 50000, 20, 4, 1})
	b.ReportAllocs()
	for b.Loop() {
		SolveGreedy(p)
	}
}

// benchSolve times SolveAssignment on one city and reports how much worse
// greedy is there: its cost over the optimal cost, and the slots per
// urgency it leaves open that the optimum fills.
func benchSolve(b *testing.B, cfg cityConfig) {
	p := cityProblem(cfg)
	opt, err := SolveAssignment(p)
	if err != nil {
		b.Fatal(err)
	}
	greedy := SolveGreedy(p)
	checkResult(b, p, opt)
	checkResult(b, p, greedy)
	os, gs := scoreOf(p, opt), scoreOf(p, greedy)
	if os.compare(gs) < 0 {
		b.Fatalf("greedy %+v beats optimal %+v", gs, os)
	}
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		if _, err := SolveAssignment(p); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(greedy.TotalCost)/float64(opt.TotalCost), "greedy/opt-cost")
	b.ReportMetric(float64(opt.Filled-greedy.Filled), "greedy-unfilled")
	b.ReportMetric(float64(os.filled[0]-gs.filled[0]), "greedy-unfilled-u1")
}

// score is what the objective sees of a filling.
type score struct {
	filled [4]int // per urgency 1..4
	cost   int64
}

// compare is > 0 when s is better than o.
func (s score) compare(o score) int {
	for u := range s.filled {
		if s.filled[u] != o.filled[u] {
			return s.filled[u] - o.filled[u]
		}
	}
	switch {
	case s.cost < o.cost:
		return 1
	case s.cost > o.cost:
		return -1
	}
	return 0
}

func scoreOf(p AssignProblem, r AssignResult) score {
	s := score{cost: r.TotalCost}
	for i, q := range r.PersonOf {
		if q >= 0 {
			s.filled[p.Slots[i].Urgency-1]++
		}
	}
	return s
}

// checkResult fails unless r is a feasible filling of p whose totals add up.
func checkResult(t testing.TB, p AssignProblem, r AssignResult) {
	t.Helper()
	if len(r.PersonOf) != len(p.Slots) {
		t.Fatalf("PersonOf has %d entries for %d slots", len(r.PersonOf), len(p.Slots))
	}
	load := make([]int, len(p.Capacity))
	var cost int64
	filled := 0
	for i, q := range r.PersonOf {
		if q < 0 {
			if q != -1 {
				t.Fatalf("slot %d: person %d", i, q)
			}
			continue
		}
		edge := int64(-1)
		for _, e := range p.Slots[i].Candidates {
			if e.Person == q && (edge < 0 || e.Cost < edge) {
				edge = e.Cost
			}
		}
		if edge < 0 {
			t.Fatalf("slot %d: person %d is not a candidate", i, q)
		}
		load[q]++
		if load[q] > p.Capacity[q] {
			t.Fatalf("person %d holds more than capacity %d", q, p.Capacity[q])
		}
		cost += edge
		filled++
	}
	if cost != r.TotalCost || filled != r.Filled {
		t.Fatalf("TotalCost %d Filled %d, edges say %d and %d", r.TotalCost, r.Filled, cost, filled)
	}
}

// cityConfig describes a synthetic tick: slots and people uniformly spread
// over a square, each slot of a random role offered the nearest people of
// that role.
type cityConfig struct {
	slots, people int
	sideMeters    float64
	nearest       int // candidates per slot
	roles         int
	seed          uint64
}

// cityProblem builds the tick: cost is travel at 8 m/s in milliseconds, a
// fifth of candidates carry a penalty of up to two minutes, urgencies are
// 10/20/30/40 % for levels 1..4, and capacities are 1 except 5 % of people
// with 2 and 2 % with 0. People are bucketed in a grid per role so that
// 200,000 of them take well under a second to set up.
func cityProblem(c cityConfig) AssignProblem {
	rng := rand.New(rand.NewPCG(c.seed, 0x5eed))
	type point struct{ x, y float64 }
	perRole := max(1, float64(c.people)/float64(c.roles))
	cell := c.sideMeters * math.Sqrt(float64(c.nearest)/perRole) / 2
	g := max(1, min(1000, int(c.sideMeters/cell)))
	cell = c.sideMeters / float64(g)
	cellOf := func(v float64) int { return min(g-1, int(v/cell)) }
	grid := make([][]int32, c.roles*g*g)
	people := make([]point, c.people)
	p := AssignProblem{Capacity: make([]int, c.people), Slots: make([]AssignSlot, c.slots)}
	for i := range people {
		people[i] = point{rng.Float64() * c.sideMeters, rng.Float64() * c.sideMeters}
		role := rng.IntN(c.roles)
		k := (role*g+cellOf(people[i].y))*g + cellOf(people[i].x)
		grid[k] = append(grid[k], int32(i))
		switch r := rng.IntN(100); {
		case r < 2:
			p.Capacity[i] = 0
		case r < 7:
			p.Capacity[i] = 2
		default:
			p.Capacity[i] = 1
		}
	}
	type found struct {
		d float64
		q int32
	}
	var near []found
	for i := range p.Slots {
		at := point{rng.Float64() * c.sideMeters, rng.Float64() * c.sideMeters}
		role := rng.IntN(c.roles)
		cx, cy := cellOf(at.x), cellOf(at.y)
		near = near[:0]
		// Ring r holds the cells at Chebyshev distance r; anything beyond
		// it is at least r cells away, so the search may stop once the
		// nearest-th find is closer than that.
		for r := 0; r <= g; r++ {
			for y := max(0, cy-r); y <= min(g-1, cy+r); y++ {
				for x := max(0, cx-r); x <= min(g-1, cx+r); x++ {
					if max(abs(x-cx), abs(y-cy)) != r {
						continue
					}
					for _, q := range grid[(role*g+y)*g+x] {
						near = append(near, found{math.Hypot(people[q].x-at.x, people[q].y-at.y), q})
					}
				}
			}
			if len(near) >= c.nearest {
				slices.SortFunc(near, func(a, b found) int { return cmp.Compare(a.d, b.d) })
				if near[c.nearest-1].d <= float64(r)*cell {
					break
				}
			}
		}
		slot := &p.Slots[i]
		slot.Urgency = []int{1, 2, 2, 3, 3, 3, 4, 4, 4, 4}[rng.IntN(10)]
		for _, f := range near[:min(len(near), c.nearest)] {
			cost := int64(f.d * 125)
			if rng.IntN(5) == 0 {
				cost += rng.Int64N(120_000)
			}
			slot.Candidates = append(slot.Candidates, AssignEdge{int(f.q), cost})
		}
	}
	return p
}

// randomProblem draws a problem without geography: up to maxCand
// candidates per slot, repeats allowed, capacities mostly 1.
func randomProblem(rng *rand.Rand, slots, persons, maxCand int, maxCost int64) AssignProblem {
	p := AssignProblem{Slots: make([]AssignSlot, slots), Capacity: make([]int, persons)}
	for i := range p.Capacity {
		p.Capacity[i] = []int{0, 1, 1, 1, 1, 1, 1, 2, 2, 3}[rng.IntN(10)]
	}
	for i := range p.Slots {
		p.Slots[i].Urgency = 1 + rng.IntN(4)
		for range rng.IntN(maxCand + 1) {
			p.Slots[i].Candidates = append(p.Slots[i].Candidates, AssignEdge{rng.IntN(persons), rng.Int64N(maxCost + 1)})
		}
	}
	return p
}

func abs(x int) int {
	if x < 0 {
		return -x
	}
	return x
}
