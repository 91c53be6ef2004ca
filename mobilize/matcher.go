package mobilize

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"math"
	"slices"
	"strings"
	"time"

	"github.com/liandong/liandong/geo"
)

// MatchStore is what the matcher needs of the live state.
type MatchStore interface {
	ActiveNeeds(ctx context.Context, limit int) ([]NeedState, map[NeedID]map[ResponderID]bool, error)
	NearbyMany(ctx context.Context, qs []NearbyQuery) ([][]Candidate, error)
	// OfferMany claims a batch. When Redis failed partway (a master
	// dying mid-pipeline), it returns the error together with an outcome
	// for every claim, OfferFailed where none is known, so that the offers
	// that were made still reach their responders; nil outcomes when
	// nothing is known.
	OfferMany(ctx context.Context, os []OfferRequest) ([]OfferOutcome, error)
	ExpireDue(ctx context.Context, limit int) ([]Answer, error)
	Close(ctx context.Context, id NeedID, status NeedStatus) (Closed, error)
	SetShortfall(ctx context.Context, id NeedID, teamIndex int, r Reason) error
	Fatigue(ctx context.Context, ids []ResponderID) (map[ResponderID]Fatigue, error)
}

// MatchConfig tunes the matcher. DefaultMatchConfig is where a
// configuration starts; the matcher takes it as given, so a zero penalty
// or budget is off, as in the server's configuration file.
type MatchConfig struct {
	Tick time.Duration // how often a round runs
	// MicroBatch is how long after a new need arrives it is matched, with
	// the needs that arrive meanwhile (microbatch.go); zero: at the next tick.
	MicroBatch        time.Duration
	StartRadiusMeters float64       // the first search radius
	MaxRadiusMeters   float64       // the widest search radius
	OfferTTL          time.Duration // how long an offer waits for an answer
	Speeds            geo.Speeds
	Mode              geo.Mode // how responders are assumed to travel
	MaxNeedsPerTick   int      // the open needs one round reads at most
	// CandidatesPerSlot is how many candidates each open slot brings to the
	// batch beyond its own count; more gives the solver more room.
	CandidatesPerSlot int
	// Penalties added to a candidate's travel time, so that the same
	// nearest people are not asked every time: per decline or lapsed offer
	// within the last day, and per hour served in the last 24 hours.
	PenaltyPerDecline    time.Duration
	PenaltyPerHourServed time.Duration
	// PenaltyUnreliable is added in full for a reliability score of 0 and
	// in part below a newcomer's score; zero: reliability does not weigh.
	PenaltyUnreliable time.Duration
	// AlertBudgetPerHour is how many offers one person receives in an
	// hour before others in reach are preferred (fairload.go); zero: no
	// budget.
	AlertBudgetPerHour int
	// OnCallBonusMin is how many minutes of travel nearer someone on call
	// now counts as being (oncall.go): at equal cost the person on call is
	// asked; zero: being on call does not weigh.
	OnCallBonusMin int
	// CompareGreedy also solves each batch greedily (nearest first) and
	// reports both totals, to show what batch matching gains.
	CompareGreedy bool
	// Waves offers places of adaptive urgencies to several people at once
	// (waves.go); the default is single everywhere.
	Waves WaveConfig
}

// DefaultMatchConfig is the matcher's configuration when nothing is said.
func DefaultMatchConfig() MatchConfig {
	return MatchConfig{
		Tick:                 250 * time.Millisecond,
		MicroBatch:           20 * time.Millisecond,
		StartRadiusMeters:    1000,
		MaxRadiusMeters:      10_000,
		OfferTTL:             60 * time.Second,
		Speeds:               geo.DefaultSpeeds(),
		Mode:                 geo.Walk,
		MaxNeedsPerTick:      20_000,
		CandidatesPerSlot:    8,
		PenaltyPerDecline:    2 * time.Minute,
		PenaltyPerHourServed: 5 * time.Minute,
		PenaltyUnreliable:    3 * time.Minute,
		AlertBudgetPerHour:   6,
		OnCallBonusMin:       5,
		Waves:                DefaultWaveConfig(),
	}
}

// MatcherDeps are what a matcher is built from. Store is required; each
// other part is a feature, off when nil, so that what runs is what was
// wired, not what a store happens to implement.
type MatcherDeps struct {
	Store MatchStore
	Sink  EventSink // nil: events go nowhere
	// Supplies reserves needs' items at depots; nil: items are not reserved.
	Supplies SupplyStore
	// Reliability reads people's records; nil: reliability does not weigh.
	Reliability ReliabilityStore
	// Scoper narrows whom each need is offered to (escalation); nil: anyone.
	Scoper Scoper
	// OnCall says who is on call now; nil: nobody is preferred for it.
	OnCall OnCallReader
	Now    func() time.Time // nil: time.Now
	// Acceptance reads measured acceptance for offer waves; nil: every
	// place is offered to one person at a time whatever Waves says.
	Acceptance AcceptanceStore
	// Lease says whether this process holds the region's matcher lease
	// (package lease); nil: the matcher runs unleased, its claims carry
	// epoch 0, which the store accepts only in a region that never had a
	// lease (a single process, tests).
	Lease Lease
}

// Lease is the region's matcher lease as the matcher reads it at the start
// of each tick: a tick runs only while the lease is held, and its claims
// carry the epoch, so that they are refused once another has taken it.
type Lease interface {
	Hold() (epoch int64, held bool)
}

// Matcher offers open slots to the best available people, in ticks, over
// all open needs together so that two needs do not fight over one person.
// With a Lease, only the process holding the region's lease ticks; claims
// are atomic and fenced by the lease's epoch, so a process that lost the
// lease while paused mid-tick claims nobody.
type Matcher struct {
	store       MatchStore
	sink        EventSink
	supplies    SupplyStore      // nil: items not reserved
	reliability ReliabilityStore // nil: no reliability term
	scoper      Scoper           // nil: no escalation scopes
	onCall      OnCallReader     // nil: no on-call bonus
	acceptance  AcceptanceStore  // nil: no offer waves
	lease       Lease            // nil: unleased (epoch 0)
	cfg         MatchConfig
	now         func() time.Time
	wake        chan struct{}
	micro       *microBatch // new needs waiting for their window
}

// Scoper decides, once per tick, whom each need may be offered to; needs
// it leaves out may be offered to anyone.
type Scoper interface {
	Scopes(ctx context.Context, needs []NeedState) (map[NeedID]Scope, error)
	// WidenEmpty widens, now, needs whose scope had nobody available for
	// some place, and returns their new scopes (none: leave them be).
	WidenEmpty(ctx context.Context, needs []NeedState) (map[NeedID]Scope, error)
}

// NewMatcher returns a matcher; Run drives it, Tick runs one round.
func NewMatcher(d MatcherDeps, cfg MatchConfig) *Matcher {
	if d.Sink == nil {
		d.Sink = discard
	}
	if d.Now == nil {
		d.Now = time.Now
	}
	return &Matcher{store: d.Store, sink: d.Sink, supplies: d.Supplies, reliability: d.Reliability, scoper: d.Scoper, onCall: d.OnCall,
		acceptance: d.Acceptance, lease: d.Lease, cfg: cfg, now: d.Now, wake: make(chan struct{}, 1),
		micro: newMicroBatch(cfg.MicroBatch)}
}

// Wake starts a tick at once (a new urgency-1 need cannot wait).
func (m *Matcher) Wake() {
	select {
	case m.wake <- struct{}{}:
	default:
	}
}

// Run ticks until ctx ends, and between ticks when a micro-batch of new
// needs is due (NeedArrived). after, when set, hears how each tick went: a
// failed tick is simply tried again at the next, and a caller that logs
// wants to know when ticks work again as much as when they fail.
func (m *Matcher) Run(ctx context.Context, after func(TickReport, error)) {
	t := time.NewTicker(m.cfg.Tick)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		case <-m.wake:
		case <-m.micro.due:
		}
		m.micro.covered()
		rep, err := m.Tick(ctx)
		// Any tick does all a periodic one does: the next is due a period
		// after it, so micro-batches replace periodic ticks, not add to them.
		t.Reset(m.cfg.Tick)
		if ctx.Err() == nil && after != nil {
			after(rep, err)
		}
	}
}

// TickReport says what one tick did.
type TickReport struct {
	Needs, OpenSlots, Offered, Refused, Expired, Unstaffed int
	// Standby: this process does not hold the region's lease, and the
	// tick did nothing. Fenced: claims the store refused because the
	// lease had passed to another since the tick began (counted in
	// Refused too); the tick stopped there.
	Standby bool
	Fenced  int
	// Planned is the solver's total travel time over the slots it filled;
	// Greedy the same for nearest-first (with CompareGreedy), both over the
	// same candidates before claims.
	PlannedTravelSeconds, GreedyTravelSeconds float64
	PlannedFilled, GreedyFilled               int
	// Where the tick's time went.
	Load, Gather, Solve, Claim time.Duration
	// Short are the team entries left with places nobody was offered,
	// and why: what surge nudges count (nudge.go).
	Short []Shortfall
}

// slotRef is one open position of one team entry.
type slotRef struct {
	need    *NeedState
	team    int
	urgency int
}

// groupKey identifies a team entry; its slots share one candidate query.
type groupKey struct {
	need NeedID
	team int
}

type candidateGroup struct {
	key        groupKey
	need       *NeedState
	query      NearbyQuery
	found      []Candidate
	anyInReach bool    // someone (asked or not) is within the radius
	maxRadius  float64 // the widest search its scope allows
	edges      []AssignEdge
	// Offer waves (waves.go): offers per place, the estimate it came
	// from, and how many offers beyond one per unoffered place to send.
	wave, waveExtra int
	pAccept         float64
	sent            int // offers claimed for the entry this tick
}

// Tick runs one round: expire due offers, close needs past their deadline,
// gather candidates for every open slot, solve the batch, claim the picks.
func (m *Matcher) Tick(ctx context.Context) (TickReport, error) {
	var rep TickReport
	var epoch int64 // 0: unleased
	if m.lease != nil {
		var held bool
		if epoch, held = m.lease.Hold(); !held {
			rep.Standby = true
			return rep, nil
		}
	}
	phase := time.Now()
	lap := func(d *time.Duration) {
		now := time.Now()
		*d, phase = now.Sub(phase), now
	}
	expired, err := m.store.ExpireDue(ctx, 10_000)
	if err != nil {
		return rep, err
	}
	for _, a := range expired {
		rep.Expired++
		m.emitAnswer(ctx, a, AssignExpired)
	}

	needs, asked, err := m.store.ActiveNeeds(ctx, m.cfg.MaxNeedsPerTick)
	if err != nil {
		return rep, err
	}
	// A possible duplicate waits for a reviewer, unless life-threatening.
	needs = slices.DeleteFunc(needs, func(n NeedState) bool { return n.HeldForReview() })
	rep.Needs = len(needs)
	var scopes map[NeedID]Scope
	if m.scoper != nil {
		if scopes, err = m.scoper.Scopes(ctx, needs); err != nil {
			return rep, fmt.Errorf("scopes: %w", err)
		}
	}
	snap, err := m.acceptanceSnapshot(ctx, needs)
	if err != nil {
		return rep, err
	}
	now := m.now()
	if err := m.reserveSupplies(ctx, needs, now); err != nil {
		return rep, err
	}
	var groups []*candidateGroup
	for i := range needs {
		n := &needs[i]
		if !n.Deadline.IsZero() && !now.Before(n.Deadline) {
			closed, err := m.store.Close(ctx, n.ID, NeedUnstaffed)
			if err != nil {
				return rep, err
			}
			if closed.Outcome == CloseUnstaffed {
				rep.Unstaffed++
				m.emitClosed(ctx, n, NeedUnstaffed, closed)
			}
			continue
		}
		for t := range n.Team {
			open := n.Open(t)
			wave, p := m.waveSize(n, t, snap)
			extra := waveExtra(n, t, wave)
			if open <= 0 && extra <= 0 {
				continue
			}
			open = max(open, 0)
			rep.OpenSlots += open
			scope := scopes[n.ID]
			g := &candidateGroup{
				key:  groupKey{n.ID, t},
				need: n,
				query: NearbyQuery{
					Point: n.Point, Role: n.Team[t].Role, Skills: n.Team[t].Skills,
					K: open + extra + m.cfg.CandidatesPerSlot, ExcludeResponders: asked[n.ID],
					OnlyResponders: scope.Members,
				},
				maxRadius: m.cfg.MaxRadiusMeters,
				wave:      wave, waveExtra: extra, pAccept: p,
			}
			if scope.NearOnly {
				g.maxRadius = m.cfg.StartRadiusMeters
			}
			groups = append(groups, g)
		}
	}
	lap(&rep.Load)
	if len(groups) == 0 {
		return rep, nil
	}
	if err := m.gather(ctx, groups); err != nil {
		return rep, err
	}
	if err := m.widenEmpty(ctx, groups); err != nil {
		return rep, err
	}
	lap(&rep.Gather)

	// Weigh each candidate's fatigue into the cost.
	var ids []ResponderID
	seen := map[ResponderID]bool{}
	for _, g := range groups {
		for _, c := range g.found {
			if !seen[c.ID] {
				seen[c.ID] = true
				ids = append(ids, c.ID)
			}
		}
	}
	fatigue, err := m.store.Fatigue(ctx, ids)
	if err != nil {
		return rep, err
	}
	reliability, err := m.reliabilityOf(ctx, ids)
	if err != nil {
		return rep, err
	}
	m.applyAlertBudget(groups, fatigue)
	offCall, err := m.offCallMillis(ctx, ids)
	if err != nil {
		return rep, err
	}

	// Build the sparse assignment problem.
	var problem AssignProblem
	personIndex := map[ResponderID]int{}
	var persons []ResponderID
	var slots []slotRef
	var slotGroup []*candidateGroup
	for _, g := range groups {
		var edges []AssignEdge
		for _, c := range g.found {
			p, ok := personIndex[c.ID]
			if !ok {
				p = len(persons)
				personIndex[c.ID] = p
				persons = append(persons, c.ID)
			}
			edges = append(edges, AssignEdge{Person: p, Cost: m.routeMillis(g.need, c) + m.penaltyMillis(fatigue[c.ID]) + m.unreliablePenaltyMillis(reliability[c.ID]) + offCall[c.ID]})
		}
		g.edges = edges
		for range g.need.Open(g.key.team) {
			problem.Slots = append(problem.Slots, AssignSlot{Urgency: g.need.Urgency, Candidates: edges})
			slots = append(slots, slotRef{need: g.need, team: g.key.team, urgency: g.need.Urgency})
			slotGroup = append(slotGroup, g)
		}
	}
	problem.Capacity = make([]int, len(persons))
	for i := range problem.Capacity {
		problem.Capacity[i] = 1 // one pending offer per person at a time
	}
	res, err := SolveAssignment(problem)
	if err != nil {
		return rep, fmt.Errorf("match: %w", err)
	}

	lap(&rep.Solve)
	rep.PlannedTravelSeconds, rep.PlannedFilled = float64(res.TotalCost)/1000, res.Filled
	if m.cfg.CompareGreedy {
		g := SolveGreedy(problem)
		rep.GreedyTravelSeconds, rep.GreedyFilled = float64(g.TotalCost)/1000, g.Filled
	}

	// Claim the picks in one round trip; record the reasons of shortfalls.
	// A wave's further offers go after every first offer, so that a place
	// not offered yet wins the room over a second offer for another.
	short := map[groupKey]Reason{}
	unoffered := map[groupKey]int{}
	var offers []OfferRequest
	var offerGroup []*candidateGroup
	var offerCand []Candidate
	for s, p := range res.PersonOf {
		g := slotGroup[s]
		if p < 0 {
			unoffered[g.key]++
			if _, seen := short[g.key]; !seen {
				short[g.key] = m.shortfall(g, len(problem.Slots[s].Candidates))
			}
			continue
		}
		c := findCandidate(g.found, persons[p])
		offers = append(offers, m.offerRequest(g, c))
		offerGroup, offerCand = append(offerGroup, g), append(offerCand, c)
	}
	firsts := len(offers)
	waveGroups, wavePersons, err := m.solveWaves(groups, problem.Capacity, res)
	if err != nil {
		return rep, err
	}
	for i, p := range wavePersons {
		if p >= 0 {
			g := waveGroups[i]
			c := findCandidate(g.found, persons[p])
			offers = append(offers, m.offerRequest(g, c))
			offerGroup, offerCand = append(offerGroup, g), append(offerCand, c)
		}
	}
	for i := range offers {
		offers[i].Fence = epoch
	}
	outcomes, offerErr := m.store.OfferMany(ctx, offers)
	if offerErr != nil && len(outcomes) != len(offers) {
		return rep, offerErr
	}
	for i, outcome := range outcomes {
		g := offerGroup[i]
		if outcome == OfferFenced {
			rep.Refused++
			rep.Fenced++
			continue
		}
		if outcome != OfferOK {
			// Claimed by another process (or busy) since the query; the
			// next tick tries again. A wave's further offer says nothing
			// of why a place is short.
			rep.Refused++
			if i < firsts {
				unoffered[g.key]++
			}
			if i < firsts && short[g.key] == "" {
				short[g.key] = ReasonAllBusy
			}
			continue
		}
		rep.Offered++
		g.sent++
		m.emitOffer(ctx, g.need, g.key.team, offers[i], offerCand[i], waveOfOffer(g.need, g.key.team, offers[i], g.sent))
		if _, seen := short[g.key]; !seen && i < firsts {
			short[g.key] = "" // every slot of the entry has its offer
		}
	}
	lap(&rep.Claim)
	if offerErr != nil {
		// The offers made are told; the rest of the tick waits for the
		// next, which starts over from what Redis holds.
		return rep, offerErr
	}
	if rep.Fenced > 0 {
		// Another process holds the region now: its ticks say what is short.
		return rep, nil
	}
	rep.Short = shortfalls(needs, short, unoffered)
	for k, r := range short {
		prev := slotShortfall(needsByID(needs, k.need), k.team)
		if prev != r {
			if err := m.store.SetShortfall(ctx, k.need, k.team, r); err != nil {
				return rep, err
			}
		}
	}
	return rep, nil
}

// shortfalls lists the entries left short this tick, in need order.
func shortfalls(needs []NeedState, short map[groupKey]Reason, unoffered map[groupKey]int) []Shortfall {
	var out []Shortfall
	for k, r := range short {
		if r == "" || unoffered[k] == 0 {
			continue
		}
		n := needsByID(needs, k.need)
		out = append(out, Shortfall{Need: k.need, Point: n.Point, Urgency: n.Urgency, Places: unoffered[k], Reason: r})
	}
	slices.SortFunc(out, func(a, b Shortfall) int { return strings.Compare(string(a.Need), string(b.Need)) })
	return out
}

// gather finds every team entry's candidates with batched index queries:
// the round trips to Redis, not the solver, are the cost of a tick. An
// entry that finds too few within the start radius tries the full radius;
// one that finds nobody is checked again without its exclusions, to tell
// "all declined" from "nobody in radius".
func (m *Matcher) gather(ctx context.Context, groups []*candidateGroup) error {
	for _, g := range groups {
		g.query.MaxRadiusMeters = m.cfg.StartRadiusMeters
	}
	if err := m.query(ctx, groups); err != nil {
		return err
	}
	if m.cfg.MaxRadiusMeters > m.cfg.StartRadiusMeters {
		var wider []*candidateGroup
		for _, g := range groups {
			if len(g.found) < g.query.K && g.maxRadius > m.cfg.StartRadiusMeters {
				g.query.MaxRadiusMeters = g.maxRadius
				wider = append(wider, g)
			}
		}
		if err := m.query(ctx, wider); err != nil {
			return err
		}
	}
	var empty []*candidateGroup
	var probes []NearbyQuery
	for _, g := range groups {
		if len(g.found) == 0 && len(g.query.ExcludeResponders) > 0 {
			q := g.query
			q.ExcludeResponders, q.K = nil, 1
			empty, probes = append(empty, g), append(probes, q)
		}
	}
	if len(probes) == 0 {
		return nil
	}
	found, err := m.store.NearbyMany(ctx, probes)
	if err != nil {
		return err
	}
	for i, g := range empty {
		g.anyInReach = len(found[i]) > 0
	}
	return nil
}

// widenEmpty gives a scoped need whose search found nobody for one of its
// places a wider scope at once, and searches again, step by step within
// the tick, until someone is found or the need reaches the city pool.
func (m *Matcher) widenEmpty(ctx context.Context, groups []*candidateGroup) error {
	if m.scoper == nil {
		return nil
	}
	for range LastStep {
		var stuck []NeedState
		seen := map[NeedID]bool{}
		for _, g := range groups {
			if g.query.OnlyResponders != nil && len(g.found) == 0 && !seen[g.need.ID] {
				seen[g.need.ID] = true
				stuck = append(stuck, *g.need)
			}
		}
		if len(stuck) == 0 {
			return nil
		}
		scopes, err := m.scoper.WidenEmpty(ctx, stuck)
		if err != nil {
			return fmt.Errorf("widen: %w", err)
		}
		if len(scopes) == 0 {
			return nil
		}
		var again []*candidateGroup
		for _, g := range groups {
			scope, ok := scopes[g.need.ID]
			if !ok {
				continue
			}
			g.query.OnlyResponders, g.maxRadius = scope.Members, m.cfg.MaxRadiusMeters
			if scope.NearOnly {
				g.maxRadius = m.cfg.StartRadiusMeters
			}
			if len(g.found) == 0 {
				again = append(again, g)
			}
		}
		if err := m.gather(ctx, again); err != nil {
			return err
		}
	}
	return nil
}

func (m *Matcher) query(ctx context.Context, groups []*candidateGroup) error {
	if len(groups) == 0 {
		return nil
	}
	qs := make([]NearbyQuery, len(groups))
	for i, g := range groups {
		qs[i] = g.query
	}
	found, err := m.store.NearbyMany(ctx, qs)
	if err != nil {
		return err
	}
	for i, g := range groups {
		g.found = found[i]
	}
	return nil
}

// costMillis is the estimated travel time to the need, in milliseconds.
func (m *Matcher) costMillis(c Candidate) int64 {
	d, err := m.cfg.Speeds.TravelTime(c.DistanceMeters, m.cfg.Mode)
	if err != nil {
		return math.MaxInt32
	}
	return d.Milliseconds()
}

// penaltyMillis is the fatigue term of the cost.
func (m *Matcher) penaltyMillis(f Fatigue) int64 {
	return int64(f.RecentDeclines)*m.cfg.PenaltyPerDecline.Milliseconds() +
		int64(f.HoursLast24h*float64(m.cfg.PenaltyPerHourServed.Milliseconds()))
}

func (m *Matcher) shortfall(g *candidateGroup, candidates int) Reason {
	switch {
	case candidates > 0:
		return ReasonTakenByUrgent
	case g.anyInReach:
		return ReasonAllDeclined
	default:
		return ReasonNobodyInRadius
	}
}

func pickReason(g *candidateGroup, c Candidate) Reason {
	switch {
	case len(g.found) == 1:
		return ReasonOnlyInReach
	case g.found[0].ID == c.ID && len(g.query.Skills) > 0:
		return ReasonSkill
	case g.found[0].ID == c.ID:
		return ReasonNearest
	default:
		return ReasonBatchOptimal
	}
}

func findCandidate(cs []Candidate, id ResponderID) Candidate {
	for _, c := range cs {
		if c.ID == id {
			return c
		}
	}
	return Candidate{ID: id}
}

func needsByID(needs []NeedState, id NeedID) *NeedState {
	for i := range needs {
		if needs[i].ID == id {
			return &needs[i]
		}
	}
	return nil
}

func slotShortfall(n *NeedState, team int) Reason {
	if n == nil {
		return ""
	}
	return n.Shortfalls[team]
}

// newOfferID returns a random offer id.
func newOfferID() OfferID {
	var b [12]byte
	rand.Read(b[:])
	return OfferID("o" + hex.EncodeToString(b[:]))
}
