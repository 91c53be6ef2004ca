package mobilize

import (
	"errors"
	"math"
	"math/rand/v2"
	"slices"
	"testing"
)

func TestSolveAssignmentHandCases(t *testing.T) {
	type E = AssignEdge
	tests := []struct {
		name     string
		problem  AssignProblem
		want     []int
		wantCost int64
	}{
		{name: "empty tick", want: []int{}},
		{
			name: "urgency 1 takes the shared person although costlier",
			problem: AssignProblem{Capacity: []int{1}, Slots: []AssignSlot{
				{Urgency: 3, Candidates: []E{{0, 10}}},
				{Urgency: 1, Candidates: []E{{0, 900}}},
			}},
			want: []int{-1, 0}, wantCost: 900,
		},
		{
			name: "urgency 4 with a huge cost still beats leaving it open",
			problem: AssignProblem{Capacity: []int{1, 1}, Slots: []AssignSlot{
				{Urgency: 1, Candidates: []E{{0, 1}, {1, 2}}},
				{Urgency: 4, Candidates: []E{{1, 1 << 40}}},
			}},
			want: []int{0, 1}, wantCost: 1 + 1<<40,
		},
		{
			name: "greedy nearest-first costs more",
			problem: AssignProblem{Capacity: []int{1, 1}, Slots: []AssignSlot{
				{Urgency: 2, Candidates: []E{{0, 1}, {1, 2}}},
				{Urgency: 2, Candidates: []E{{0, 2}, {1, 100}}},
			}},
			want: []int{1, 0}, wantCost: 4,
		},
		{
			name: "greedy strands a less urgent slot",
			problem: AssignProblem{Capacity: []int{1, 1}, Slots: []AssignSlot{
				{Urgency: 1, Candidates: []E{{0, 1}, {1, 2}}},
				{Urgency: 2, Candidates: []E{{0, 1}}},
			}},
			want: []int{1, 0}, wantCost: 3,
		},
		{
			name: "an urgent slot displaces along a chain",
			problem: AssignProblem{Capacity: []int{1, 1, 1}, Slots: []AssignSlot{
				{Urgency: 4, Candidates: []E{{0, 1}, {1, 50}}},
				{Urgency: 4, Candidates: []E{{1, 1}, {2, 70}}},
				{Urgency: 1, Candidates: []E{{0, 500}}},
			}},
			want: []int{1, 2, 0}, wantCost: 620,
		},
		{
			name: "capacity 2 takes the two cheapest",
			problem: AssignProblem{Capacity: []int{2}, Slots: []AssignSlot{
				{Urgency: 3, Candidates: []E{{0, 5}}},
				{Urgency: 3, Candidates: []E{{0, 1}}},
				{Urgency: 3, Candidates: []E{{0, 3}}},
			}},
			want: []int{-1, 0, 0}, wantCost: 4,
		},
		{
			name: "capacity 2 shared by urgencies",
			problem: AssignProblem{Capacity: []int{2, 1}, Slots: []AssignSlot{
				{Urgency: 4, Candidates: []E{{0, 1}}},
				{Urgency: 2, Candidates: []E{{0, 9}, {1, 3}}},
				{Urgency: 1, Candidates: []E{{1, 8}}},
				{Urgency: 3, Candidates: []E{{0, 2}}},
			}},
			want: []int{-1, 0, 1, 0}, wantCost: 19,
		},
		{
			name: "slot without candidates stays open",
			problem: AssignProblem{Capacity: []int{1}, Slots: []AssignSlot{
				{Urgency: 1},
				{Urgency: 2, Candidates: []E{{0, 4}}},
			}},
			want: []int{-1, 0}, wantCost: 4,
		},
		{
			name: "capacity 0 takes no slot",
			problem: AssignProblem{Capacity: []int{0, 1}, Slots: []AssignSlot{
				{Urgency: 1, Candidates: []E{{0, 1}}},
				{Urgency: 2, Candidates: []E{{0, 1}, {1, 50}}},
			}},
			want: []int{-1, 1}, wantCost: 50,
		},
		{
			name: "same urgency: the cheaper slot keeps the person",
			problem: AssignProblem{Capacity: []int{1}, Slots: []AssignSlot{
				{Urgency: 2, Candidates: []E{{0, 10}}},
				{Urgency: 2, Candidates: []E{{0, 3}}},
			}},
			want: []int{-1, 0}, wantCost: 3,
		},
		{
			name: "costs summing exactly to the limit",
			problem: AssignProblem{Capacity: []int{1, 1}, Slots: []AssignSlot{
				{Urgency: 4, Candidates: []E{{0, maxTotalCost - 1}}},
				{Urgency: 1, Candidates: []E{{0, 1}, {1, 1}}},
			}},
			want: []int{0, 1}, wantCost: maxTotalCost,
		},
		{
			name: "duplicate candidate counts at its cheaper cost",
			problem: AssignProblem{Capacity: []int{1}, Slots: []AssignSlot{
				{Urgency: 2, Candidates: []E{{0, 7}, {0, 3}, {0, 5}}},
			}},
			want: []int{0}, wantCost: 3,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := SolveAssignment(tt.problem)
			if err != nil {
				t.Fatal(err)
			}
			checkResult(t, tt.problem, got)
			if !slices.Equal(got.PersonOf, tt.want) || got.TotalCost != tt.wantCost {
				t.Errorf("got %v cost %d, want %v cost %d", got.PersonOf, got.TotalCost, tt.want, tt.wantCost)
			}
			if g := SolveGreedy(tt.problem); scoreOf(tt.problem, g).compare(scoreOf(tt.problem, got)) > 0 {
				t.Errorf("greedy %v beats optimal %v", g.PersonOf, got.PersonOf)
			}
		})
	}
}

func TestSolveAssignmentRejectsInvalid(t *testing.T) {
	type E = AssignEdge
	one := func(u int, e ...E) []AssignSlot { return []AssignSlot{{Urgency: u, Candidates: e}} }
	tests := []struct {
		name    string
		problem AssignProblem
	}{
		{"person below range", AssignProblem{Capacity: []int{1}, Slots: one(1, E{-1, 1})}},
		{"person above range", AssignProblem{Capacity: []int{1}, Slots: one(1, E{1, 1})}},
		{"negative cost", AssignProblem{Capacity: []int{1}, Slots: one(1, E{0, -1})}},
		{"urgency 0", AssignProblem{Capacity: []int{1}, Slots: one(0, E{0, 1})}},
		{"urgency 5", AssignProblem{Capacity: []int{1}, Slots: one(5)}},
		{"negative capacity", AssignProblem{Capacity: []int{-1}, Slots: one(1, E{0, 1})}},
		{"costs sum beyond the limit", AssignProblem{Capacity: []int{1}, Slots: []AssignSlot{
			{Urgency: 1, Candidates: []E{{0, maxTotalCost}}},
			{Urgency: 1, Candidates: []E{{0, 1}}},
		}}},
		{"one cost beyond the limit", AssignProblem{Capacity: []int{1}, Slots: one(2, E{0, math.MaxInt64})}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := SolveAssignment(tt.problem); !errors.Is(err, ErrInvalid) {
				t.Errorf("err = %v, want ErrInvalid", err)
			}
			SolveGreedy(tt.problem) // must not panic
		})
	}
}

// The exactness tests compare with two references that share no code with
// the solver: a brute force that compares fillings lexicographically
// without any bonus, and a dense Hungarian algorithm that uses the textbook
// per-level bonuses rather than the solver's matroid argument.

// TestSolveAssignmentMatchesBruteForce also checks the Hungarian reference
// against the brute force, where its textbook bonuses fit in int64.
func TestSolveAssignmentMatchesBruteForce(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	maxCosts := []int64{3, 100, 1000, 1 << 40, maxTotalCost / 8}
	for i := range 2000 {
		maxCost := maxCosts[i%len(maxCosts)]
		p := randomProblem(rng, 1+rng.IntN(7), 1+rng.IntN(7), 4, maxCost)
		got, err := SolveAssignment(p)
		if err != nil {
			t.Fatal(err)
		}
		checkResult(t, p, got)
		want := bruteForce(p)
		if have := scoreOf(p, got); want != have {
			t.Fatalf("instance %d: got %+v %v, brute force %+v\n%+v", i, have, got.PersonOf, want, p)
		}
		if maxCost > 1000 {
			continue
		}
		if hu := hungarianScore(t, p); hu != want {
			t.Fatalf("instance %d: Hungarian %+v, brute force %+v\n%+v", i, hu, want, p)
		}
	}
}

func TestSolveAssignmentMatchesHungarian(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 6))
	tests := []struct {
		name string
		make func(i int) AssignProblem
		runs int
	}{
		{"random 20 slots", func(int) AssignProblem { return randomProblem(rng, 20, 15, 5, 1000) }, 100},
		{"random 100 slots", func(int) AssignProblem { return randomProblem(rng, 100, 70, 6, 1000) }, 20},
		{"random 500 slots", func(int) AssignProblem { return randomProblem(rng, 500, 350, 8, 1000) }, 1},
		{"city 200 slots", func(i int) AssignProblem { return cityProblem(cityConfig{200, 400, 5000, 10, 2, uint64(i)}) }, 5},
		{"city 500 slots", func(i int) AssignProblem { return cityProblem(cityConfig{500, 600, 5000, 8, 1, uint64(i)}) }, 1},
		{"city twice as many slots as people", func(i int) AssignProblem { return cityProblem(cityConfig{200, 100, 3000, 10, 1, uint64(i)}) }, 2},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			for i := range tt.runs {
				p := tt.make(i)
				got, err := SolveAssignment(p)
				if err != nil {
					t.Fatal(err)
				}
				checkResult(t, p, got)
				if want, have := hungarianScore(t, p), scoreOf(p, got); want != have {
					t.Fatalf("instance %d: got %+v, Hungarian %+v", i, have, want)
				}
			}
		})
	}
}

func TestSolveAssignmentInvariants(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 8))
	for i := range 200 {
		var p AssignProblem
		if i%2 == 0 {
			p = randomProblem(rng, 1+rng.IntN(300), 1+rng.IntN(300), 12, 5000)
		} else {
			p = cityProblem(cityConfig{1 + rng.IntN(500), 1 + rng.IntN(1500), 8000, 1 + rng.IntN(20), 4, uint64(i)})
		}
		got, err := SolveAssignment(p)
		if err != nil {
			t.Fatal(err)
		}
		checkResult(t, p, got)
		greedy := SolveGreedy(p)
		checkResult(t, p, greedy)
		if c := scoreOf(p, got).compare(scoreOf(p, greedy)); c < 0 {
			t.Fatalf("instance %d: greedy %+v beats optimal %+v", i, scoreOf(p, greedy), scoreOf(p, got))
		}
	}
}

func TestSolveAssignmentQualityReport(t *testing.T) {
	for _, cfg := range []cityConfig{
		{50, 150, 5000, 10, 4, 1},
		{200, 600, 8000, 15, 4, 2},
		{500, 1500, 10000, 20, 4, 3},
		{500, 800, 10000, 20, 4, 4}, // scarce responders
	} {
		p := cityProblem(cfg)
		opt, err := SolveAssignment(p)
		if err != nil {
			t.Fatal(err)
		}
		greedy := SolveGreedy(p)
		os, gs := scoreOf(p, opt), scoreOf(p, greedy)
		if os.compare(gs) < 0 {
			t.Fatalf("%+v: greedy %+v beats optimal %+v", cfg, gs, os)
		}
		t.Logf("%d slots, %d people: filled per urgency optimal %v greedy %v; cost optimal %d greedy %d (greedy %+.1f%%)",
			cfg.slots, cfg.people, os.filled, gs.filled, os.cost, gs.cost, 100*float64(gs.cost-os.cost)/float64(os.cost))
	}
}

// FuzzSolveAssignment decodes bytes into a small problem, sometimes with a
// person index out of range or costs summing beyond the limit, and checks
// the solver against the brute force and greedy.
func FuzzSolveAssignment(f *testing.F) {
	f.Add([]byte{})
	f.Add([]byte{2, 2, 1, 1, 0, 2, 0, 1, 1, 2, 1, 2, 0, 2, 1, 100})
	f.Add([]byte{5, 3, 1, 2, 0, 3, 1, 0, 1, 2, 0, 9, 3, 4, 2, 1, 7, 0, 0, 3, 3, 2, 2, 40, 1, 1, 4, 5, 0, 1, 0, 0})
	f.Add([]byte{3, 1, 1, 2, 2, 1, 3, 1, 0, 7, 9, 0, 1, 0, 1, 2, 3, 200, 200, 40})
	f.Fuzz(func(t *testing.T, data []byte) {
		next := func() int {
			if len(data) == 0 {
				return 0
			}
			b := data[0]
			data = data[1:]
			return int(b)
		}
		p := AssignProblem{Slots: make([]AssignSlot, next()%7), Capacity: make([]int, 1+next()%6)}
		for i := range p.Capacity {
			p.Capacity[i] = next() % 3
		}
		valid, total := true, int64(0) // total of the per-slot maxima
		for i := range p.Slots {
			p.Slots[i].Urgency = 1 + next()%4
			most := int64(0)
			for range next() % 5 {
				e := AssignEdge{Person: next() % (len(p.Capacity) + 1), Cost: int64(next()) << (next() % 48)}
				valid = valid && e.Person < len(p.Capacity)
				most = max(most, e.Cost)
				p.Slots[i].Candidates = append(p.Slots[i].Candidates, e)
			}
			total += most
		}
		got, err := SolveAssignment(p)
		greedy := SolveGreedy(p)
		if !valid || total > maxTotalCost {
			if !errors.Is(err, ErrInvalid) {
				t.Fatalf("person out of range or costs beyond the limit: err = %v", err)
			}
			return
		}
		if err != nil {
			t.Fatal(err)
		}
		checkResult(t, p, got)
		checkResult(t, p, greedy)
		have := scoreOf(p, got)
		if have.compare(scoreOf(p, greedy)) < 0 {
			t.Fatalf("greedy %+v beats optimal %+v", scoreOf(p, greedy), have)
		}
		if want := bruteForce(p); want != have {
			t.Fatalf("got %+v %v, brute force %+v", have, got.PersonOf, want)
		}
	})
}

// bruteForce tries every filling, comparing scores directly.
func bruteForce(p AssignProblem) score {
	left := slices.Clone(p.Capacity)
	var cur, best score
	first := true
	var fill func(i int)
	fill = func(i int) {
		if i == len(p.Slots) {
			if first || cur.compare(best) > 0 {
				best, first = cur, false
			}
			return
		}
		fill(i + 1)
		u := p.Slots[i].Urgency - 1
		for _, e := range p.Slots[i].Candidates {
			if left[e.Person] == 0 {
				continue
			}
			left[e.Person]--
			cur.filled[u]++
			cur.cost += e.Cost
			fill(i + 1)
			cur.cost -= e.Cost
			cur.filled[u]--
			left[e.Person]++
		}
	}
	fill(0)
	return best
}

// hungarianScore solves p densely: rows are slots, columns are person
// copies (one per unit of capacity) and one dummy per slot meaning "open".
// An edge weighs cost - B(urgency) with the textbook bonuses B(4) > total
// cost, B(u) > sum over lower levels of count*B + total cost; a missing
// edge weighs more than any whole assignment can gain.
func hungarianScore(t *testing.T, p AssignProblem) score {
	t.Helper()
	var total int64
	var count [5]int64
	for _, s := range p.Slots {
		var most int64
		for _, e := range s.Candidates {
			most = max(most, e.Cost)
		}
		total += most
		count[s.Urgency]++
	}
	var bonus [5]int64
	for u := 4; u >= 1; u-- {
		bonus[u] = total + 1
		for l := u + 1; l <= 4; l++ {
			bonus[u] += count[l] * bonus[l]
		}
	}
	n := len(p.Slots)
	forbidden := int64(n+1)*(bonus[1]+total) + 1
	if bonus[1] > 1<<50 || forbidden > 1<<58 {
		t.Fatalf("instance too large for the Hungarian reference: bonus %d", bonus[1])
	}
	var owner []int // column -> person, -1 for dummies
	for q, c := range p.Capacity {
		for range c {
			owner = append(owner, q)
		}
	}
	persons := len(owner)
	for range n {
		owner = append(owner, -1)
	}
	a := make([][]int64, n)
	for i, s := range p.Slots {
		a[i] = make([]int64, len(owner))
		for j := range a[i] {
			a[i][j] = forbidden
		}
		a[i][persons+i] = 0
		for _, e := range s.Candidates {
			for j := range persons {
				if owner[j] == e.Person {
					a[i][j] = min(a[i][j], e.Cost-bonus[s.Urgency])
				}
			}
		}
	}
	col := hungarian(a)
	var sc score
	for i, j := range col {
		if a[i][j] >= forbidden {
			t.Fatalf("Hungarian used a missing edge")
		}
		if j < persons {
			sc.filled[p.Slots[i].Urgency-1]++
			sc.cost += a[i][j] + bonus[p.Slots[i].Urgency]
		}
	}
	return sc
}

// hungarian returns, for each row of the n x m cost matrix (n <= m), the
// column of a minimum-cost assignment; O(n^2 m), potentials and a
// shortest-path scan per row.
func hungarian(a [][]int64) []int {
	n, m := len(a), 0
	if n > 0 {
		m = len(a[0])
	}
	u, v := make([]int64, n+1), make([]int64, m+1)
	rowOf, way := make([]int, m+1), make([]int, m+1) // 1-based; column 0 is the root
	minv, used := make([]int64, m+1), make([]bool, m+1)
	for i := 1; i <= n; i++ {
		rowOf[0] = i
		j0 := 0
		for j := range minv {
			minv[j], used[j] = math.MaxInt64, false
		}
		for {
			used[j0] = true
			i0, delta, j1 := rowOf[j0], int64(math.MaxInt64), 0
			row, ui := a[i0-1], u[i0]
			for j := 1; j <= m; j++ {
				if used[j] {
					continue
				}
				if cur := row[j-1] - ui - v[j]; cur < minv[j] {
					minv[j], way[j] = cur, j0
				}
				if minv[j] < delta {
					delta, j1 = minv[j], j
				}
			}
			for j := 0; j <= m; j++ {
				if used[j] {
					u[rowOf[j]] += delta
					v[j] -= delta
				} else {
					minv[j] -= delta
				}
			}
			j0 = j1
			if rowOf[j0] == 0 {
				break
			}
		}
		for j0 != 0 {
			j1 := way[j0]
			rowOf[j0] = rowOf[j1]
			j0 = j1
		}
	}
	col := make([]int, n)
	for j := 1; j <= m; j++ {
		if rowOf[j] > 0 {
			col[rowOf[j]-1] = j - 1
		}
	}
	return col
}
