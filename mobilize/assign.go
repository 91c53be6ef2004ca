package mobilize

import (
	"fmt"
	"math"
	"math/bits"
	"slices"
	"strings"
	"time"
)

// AssignEdge offers one candidate to a slot. Person indexes
// AssignProblem.Capacity; Cost is what sending that person costs (travel
// milliseconds plus penalties), never negative.
type AssignEdge struct {
	Person int
	Cost   int64
}

// AssignSlot is one open position on a need's team. Its index in
// AssignProblem.Slots is its identity in the result. Urgency runs from 1
// (life-threatening) to 4 (routine). A person listed twice counts at the
// cheaper cost.
type AssignSlot struct {
	Urgency    int
	Candidates []AssignEdge
}

// AssignProblem is one matcher tick: every open slot with its short list of
// candidates, and how many slots each person may take in this tick.
type AssignProblem struct {
	Slots    []AssignSlot
	Capacity []int // Capacity[p] >= 0; 0 takes the person out of the tick
}

// AssignResult says who fills which slot. PersonOf[i] is -1 when slot i
// stays open.
type AssignResult struct {
	PersonOf  []int
	TotalCost int64
	Filled    int
}

// maxTotalCost bounds the sum, over slots, of each slot's most expensive
// candidate. It keeps every dual value and path length of the solver below
// 2^60, so int64 arithmetic cannot overflow; in milliseconds it still
// allows a year per slot for 10^6 slots, so only corrupt input hits it.
const maxTotalCost = 1 << 55

// SolveAssignment fills the slots of one tick optimally for the
// lexicographic objective: as many urgency-1 slots as possible, then as many
// urgency-2 slots, then 3, then 4, and among all such fillings the least
// total cost. A greedy pass cannot promise this: taking the nearest person
// for one slot may strand another that had no one else.
//
// The objective becomes one integer min-cost problem. With M = 1 + the sum
// of every slot's most expensive candidate, filling slot s through edge e
// weighs cost(e) - (5-urgency(s))*M. M exceeds any total cost, so a
// minimum-weight filling first maximises H = sum over filled slots of
// (5-urgency) and only then minimises cost. Maximising H is enough for the
// urgency order because fillable slot sets form a (transversal) matroid: H
// equals the sum over k of the filled slots of urgency <= k, each term is at
// most the matroid rank of the urgency <= k slots, and the urgency-ordered
// greedy basis reaches every term at once. So any maximum-H filling has the
// greedy basis's count in every urgency, which is the lexicographic maximum.
// The small multipliers 1..4 (rather than one bonus per level dwarfing the
// whole level below) keep the weights near 4*M, far from overflow.
//
// The min-cost problem is solved exactly with the Hungarian method over the
// sparse graph: slots are inserted one by one (most urgent first), each by a
// Dijkstra shortest augmenting path on reduced costs that stops as soon as
// it reaches a person with room or the cheapest way to leave some slot open.
// A person of capacity c is one node holding up to c slots, so edge lists are
// never copied. Connected components need no explicit split: a search never
// leaves its slot's component, so independent parts of the city cost
// nothing to each other. A slot that cannot be filled is usually cheap too:
// the duals of a saturated crowd price it out without exploring the crowd.
//
// It never modifies p, so slots may share one candidate slice (the open
// slots of one team do). It returns an error wrapping ErrInvalid for a
// person index out of range, a negative capacity or cost, an urgency
// outside 1..4, or costs whose per-slot maxima sum beyond 2^55.
func SolveAssignment(p AssignProblem) (AssignResult, error) {
	unit, cheapest, err := validateAssign(p)
	if err != nil {
		return AssignResult{}, fmt.Errorf("solve assignment: %w", err)
	}
	a := newAssigner(p, unit)
	for _, s := range urgencyOrder(p.Slots, cheapest) {
		a.insert(s)
	}
	return a.result(), nil
}

// validateAssign checks p and returns the bonus unit M and each slot's
// cheapest candidate cost (math.MaxInt64 for none), read in the same pass
// because touching every candidate is a large part of a big tick's time.
func validateAssign(p AssignProblem) (unit int64, cheapest []int64, err error) {
	if len(p.Slots) >= math.MaxInt32 || len(p.Capacity) >= math.MaxInt32 {
		return 0, nil, fmt.Errorf("%d slots, %d persons: beyond int32: %w", len(p.Slots), len(p.Capacity), ErrInvalid)
	}
	for i, c := range p.Capacity {
		if c < 0 {
			return 0, nil, fmt.Errorf("person %d: capacity %d is negative: %w", i, c, ErrInvalid)
		}
	}
	cheapest = make([]int64, len(p.Slots))
	var total int64
	for i, s := range p.Slots {
		if s.Urgency < 1 || s.Urgency > 4 || len(s.Candidates) >= math.MaxInt32 {
			return 0, nil, fmt.Errorf("slot %d: urgency %d outside 1..4 or %d candidates: %w", i, s.Urgency, len(s.Candidates), ErrInvalid)
		}
		most, least := int64(0), int64(math.MaxInt64)
		for j, e := range s.Candidates {
			if e.Person < 0 || e.Person >= len(p.Capacity) {
				return 0, nil, fmt.Errorf("slot %d candidate %d: person %d outside 0..%d: %w", i, j, e.Person, len(p.Capacity)-1, ErrInvalid)
			}
			if e.Cost < 0 {
				return 0, nil, fmt.Errorf("slot %d candidate %d: cost %d is negative: %w", i, j, e.Cost, ErrInvalid)
			}
			most, least = max(most, e.Cost), min(least, e.Cost)
		}
		if most > maxTotalCost-total {
			return 0, nil, fmt.Errorf("slot %d: costs sum beyond %d: %w", i, int64(maxTotalCost), ErrInvalid)
		}
		total += most
		cheapest[i] = least
	}
	return total + 1, cheapest, nil
}

// urgencyOrder lists slot indexes most urgent first, then by cheapest
// candidate (math.MaxInt64 for none), then by index. The solver is exact in
// any order; this one makes most insertions find a free person at once
// instead of displacing earlier, less urgent choices. Sorting packed uint64
// keys is several times faster than a comparison function; the packing
// clamps urgency to 1..4 and costs to the bits left beside the index
// (2^48 for 10^4 slots), which only SolveGreedy on corrupt input can see.
func urgencyOrder(slots []AssignSlot, cheapest []int64) []int32 {
	idxBits := bits.Len(uint(len(slots)))
	costCap := int64(1)<<(62-idxBits) - 1
	keys := make([]uint64, len(slots))
	for i, s := range slots {
		u := uint64(min(max(s.Urgency, 1), 4) - 1)
		keys[i] = u<<62 | uint64(min(max(cheapest[i], 0), costCap))<<idxBits | uint64(i)
	}
	slices.Sort(keys)
	order := make([]int32, len(keys))
	for r, k := range keys {
		order[r] = int32(k & (1<<idxBits - 1))
	}
	return order
}

// assigner is the state of one SolveAssignment call. It reads candidates
// where the caller put them and keeps per-node state together, one struct
// per slot and per person, because a search touches a person's dual,
// distance and load at once and one cache miss per candidate is the
// dominant cost on large ticks. (Renumbering only the persons that appear
// was tried: the random reads it needs cost more than it saves.)
//
// Dual values u (slots) and v (persons) keep every reduced cost w - u - v
// of a residual edge non-negative, which is what lets Dijkstra find
// shortest augmenting paths. Leaving a slot open is an edge of weight 0 to
// a private sink, so u <= 0 with equality while the slot is open; v < 0
// only while the person is full.
type assigner struct {
	slots   []slotState
	persons []personState

	phase          uint32
	best           int64 // cheapest way found to end the current path
	endSlot        int32 // the path ends by opening this slot, or -1
	endPerson      int32 // the path ends at this person with room, or -1
	heap           []heapItem
	settledSlots   []int32
	settledPersons []int32
}

// dead is the stamp of a person of capacity 0, whom no search enters.
const dead = math.MaxUint32

type slotState struct {
	cands []AssignEdge
	u     int64
	dist  int64 // in the current search
	cost  int64 // of the edge filling the slot
	bonus int64 // (5-urgency)*M, subtracted from the costs of its edges
	owner int32 // person filling the slot, or -1
	next  int32 // next slot held by the same person, or -1
}

type personState struct {
	v        int64
	dist     int64 // in the current search
	pred     int32 // slot the current search reached the person from
	predEdge int32 // by its candidate number predEdge
	used     int32 // slots held
	capacity int32
	head     int32  // first slot held, or -1
	stamp    uint32 // 2*phase when labelled, 2*phase+1 when settled, or dead
}

type heapItem struct {
	d int64
	p int32
}

func newAssigner(p AssignProblem, unit int64) *assigner {
	a := &assigner{slots: make([]slotState, len(p.Slots)), persons: make([]personState, len(p.Capacity))}
	for i, s := range p.Slots {
		a.slots[i] = slotState{cands: s.Candidates, bonus: int64(5-s.Urgency) * unit, owner: -1, next: -1}
	}
	for i, c := range p.Capacity {
		a.persons[i] = personState{capacity: int32(min(c, len(p.Slots))), head: -1}
		if c == 0 {
			a.persons[i].stamp = dead
		}
	}
	return a
}

// insert adds slot s to the solved set and restores optimality with one
// shortest augmenting path. Persons are labelled with tentative distances;
// a full person, once settled, settles the slots it holds at the same
// distance (their edges are tight) and the search continues from them. A
// person with room ends a path at its label; a settled slot t ends one at
// dist(t) - u(t), by giving up its person and staying open. The search
// stops once nothing left in the heap can beat the best ending, which on a
// quiet tick is right after looking at the slot's own candidates.
func (a *assigner) insert(s int32) {
	a.phase++ // at most len(Slots) < 2^31, so 2*phase+1 < dead
	settled := 2*a.phase + 1
	a.heap = a.heap[:0]
	a.settledSlots = a.settledSlots[:0]
	a.settledPersons = a.settledPersons[:0]

	slot := &a.slots[s]
	us := int64(0)
	for _, e := range slot.cands {
		if p := &a.persons[e.Person]; p.stamp != dead {
			us = min(us, e.Cost-slot.bonus-p.v)
		}
	}
	slot.u, slot.dist = us, 0
	a.best, a.endSlot, a.endPerson = -us, s, -1 // leave s open
	a.settledSlots = append(a.settledSlots, s)
	a.relax(s, 0)
	for len(a.heap) > 0 && a.heap[0].d < a.best {
		it := a.pop()
		p := &a.persons[it.p]
		if p.stamp == settled || it.d > p.dist {
			continue // stale entry
		}
		p.stamp = settled
		a.settledPersons = append(a.settledPersons, it.p)
		for t := p.head; t >= 0; t = a.slots[t].next {
			held := &a.slots[t]
			held.dist = it.d
			a.settledSlots = append(a.settledSlots, t)
			if d := it.d - held.u; d < a.best {
				a.best, a.endSlot, a.endPerson = d, t, -1
			}
			a.relax(t, it.d)
		}
	}

	// Settled nodes lie at distance <= best; shifting their duals by their
	// slack keeps all reduced costs non-negative and makes the path tight.
	for _, t := range a.settledSlots {
		a.slots[t].u += a.best - a.slots[t].dist
	}
	for _, q := range a.settledPersons {
		a.persons[q].v -= a.best - a.persons[q].dist
	}

	q := a.endPerson
	if q < 0 {
		if a.endSlot == s {
			return // s stays open
		}
		q = a.slots[a.endSlot].owner
		a.detach(a.endSlot, q)
	}
	for {
		t := a.persons[q].pred
		old := a.slots[t].owner
		if old >= 0 {
			a.detach(t, old)
		}
		a.attach(t, q, a.slots[t].cands[a.persons[q].predEdge].Cost)
		if t == s {
			return
		}
		q = old
	}
}

// relax labels the candidates of settled slot t, at distance dt.
func (a *assigner) relax(t int32, dt int64) {
	labelled, settled := 2*a.phase, 2*a.phase+1
	slot := &a.slots[t]
	base := dt - slot.bonus - slot.u
	for j, e := range slot.cands {
		q := int32(e.Person)
		p := &a.persons[q]
		if p.stamp >= settled || q == slot.owner { // settled or dead
			continue
		}
		nd := base + e.Cost - p.v
		if p.stamp == labelled && nd >= p.dist {
			continue
		}
		p.stamp, p.dist, p.pred, p.predEdge = labelled, nd, t, int32(j)
		if nd >= a.best {
			continue
		}
		if p.used < p.capacity {
			a.best, a.endSlot, a.endPerson = nd, -1, q
		} else {
			a.push(heapItem{nd, q})
		}
	}
}

func (a *assigner) attach(t, q int32, cost int64) {
	slot, p := &a.slots[t], &a.persons[q]
	slot.owner, slot.cost, slot.next = q, cost, p.head
	p.head = t
	p.used++
}

func (a *assigner) detach(t, q int32) {
	p := &a.persons[q]
	if p.head == t {
		p.head = a.slots[t].next
	} else {
		prev := p.head
		for a.slots[prev].next != t {
			prev = a.slots[prev].next
		}
		a.slots[prev].next = a.slots[t].next
	}
	a.slots[t].owner, a.slots[t].next = -1, -1
	p.used--
}

func (a *assigner) push(it heapItem) {
	h := append(a.heap, it)
	i := len(h) - 1
	for i > 0 {
		parent := (i - 1) / 2
		if h[parent].d <= it.d {
			break
		}
		h[i] = h[parent]
		i = parent
	}
	h[i] = it
	a.heap = h
}

func (a *assigner) pop() heapItem {
	h := a.heap
	top := h[0]
	last := h[len(h)-1]
	h = h[:len(h)-1]
	if n := len(h); n > 0 {
		i := 0
		for {
			c := 2*i + 1
			if c >= n {
				break
			}
			if c+1 < n && h[c+1].d < h[c].d {
				c++
			}
			if last.d <= h[c].d {
				break
			}
			h[i] = h[c]
			i = c
		}
		h[i] = last
	}
	a.heap = h
	return top
}

func (a *assigner) result() AssignResult {
	r := AssignResult{PersonOf: make([]int, len(a.slots))}
	for t, slot := range a.slots {
		r.PersonOf[t] = int(slot.owner)
		if slot.owner >= 0 {
			r.TotalCost += slot.cost
			r.Filled++
		}
	}
	return r
}

// SolveGreedy is the nearest-first baseline the optimal solver is measured
// against, and a fallback that needs no validation: slots go in urgency
// order, then by their cheapest candidate, and each takes its cheapest
// candidate with room left. Candidates naming no person, or with a negative
// cost, are skipped rather than trusted.
func SolveGreedy(p AssignProblem) AssignResult {
	valid := func(e AssignEdge) bool { return e.Person >= 0 && e.Person < len(p.Capacity) && e.Cost >= 0 }
	cheapest := make([]int64, len(p.Slots))
	for i, s := range p.Slots {
		cheapest[i] = math.MaxInt64
		for _, e := range s.Candidates {
			if valid(e) {
				cheapest[i] = min(cheapest[i], e.Cost)
			}
		}
	}
	left := slices.Clone(p.Capacity)
	r := AssignResult{PersonOf: make([]int, len(p.Slots))}
	for _, s := range urgencyOrder(p.Slots, cheapest) {
		best, bestCost := -1, int64(0)
		for _, e := range p.Slots[s].Candidates {
			if !valid(e) || left[e.Person] <= 0 {
				continue
			}
			if best < 0 || e.Cost < bestCost {
				best, bestCost = e.Person, e.Cost
			}
		}
		r.PersonOf[s] = best
		if best >= 0 {
			left[best]--
			r.TotalCost += bestCost
			r.Filled++
		}
	}
	return r
}

// MissingSkills lists the required skills that skills lack at t, in the
// order required names them: absent, or held with a certification that
// has expired. An operator's hand assignment is refused on them unless
// overridden (Service.Assign).
func MissingSkills(skills []Skill, required []string, t time.Time) []string {
	var missing []string
	for _, name := range required {
		if !HasSkills(skills, []string{name}, t) {
			missing = append(missing, name)
		}
	}
	return missing
}

// MissingSkillsError refuses a hand assignment to someone who lacks the
// place's required skills; it is a conflict (errors.Is ErrConflict).
type MissingSkillsError struct {
	Skills []string
}

func (e *MissingSkillsError) Error() string {
	return fmt.Sprintf("missing required skill %s; set override_skills with a reason to assign anyway", strings.Join(e.Skills, ", "))
}

// Unwrap makes the refusal a conflict.
func (e *MissingSkillsError) Unwrap() error { return ErrConflict }
