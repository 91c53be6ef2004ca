package mobilize

import (
	"context"
	"fmt"
	"math"
	"slices"
	"time"
)

// Offer waves: an urgent place whose offers are often declined or left to
// lapse is offered to several people at once, so that it does not wait an
// offer's whole life for each "no". The wave size comes from the measured
// chance that one offer is accepted; the store's claim and accept scripts
// keep it safe (one place never takes more people than it has room for).

// WaveMode says how an urgency's places are offered.
type WaveMode string

const (
	WaveSingle   WaveMode = "single"   // one offer per place at a time (as before waves)
	WaveAdaptive WaveMode = "adaptive" // as many as the acceptance estimate asks for
)

// WaveConfig tunes offer waves. The zero value is off: every urgency single.
type WaveConfig struct {
	// Target is the chance, in (0,1), that at least one offer of a wave is
	// accepted within the offer's life.
	Target float64
	// Max caps the offers one place has out at once (>= 1).
	Max int
	// Modes[u-1] is urgency u's mode; empty means single.
	Modes [4]WaveMode
	// PriorAccept and PriorWeight are the estimate before any answers: the
	// acceptance assumed, and how many answers it weighs as.
	PriorAccept float64
	PriorWeight float64
}

// DefaultWaveConfig is single for every urgency, so that behaviour only
// changes when an operator turns waves on.
func DefaultWaveConfig() WaveConfig {
	return WaveConfig{Target: 0.9, Max: 3, Modes: [4]WaveMode{WaveSingle, WaveSingle, WaveSingle, WaveSingle},
		PriorAccept: 0.5, PriorWeight: 10}
}

// Validate checks a configuration before use.
func (c WaveConfig) Validate() error {
	switch {
	case !(c.Target > 0 && c.Target < 1):
		return fmt.Errorf("waves target %v outside (0,1): %w", c.Target, ErrInvalid)
	case c.Max < 1 || c.Max > 10:
		return fmt.Errorf("waves max %d outside 1..10: %w", c.Max, ErrInvalid)
	case !(c.PriorAccept > 0 && c.PriorAccept < 1):
		return fmt.Errorf("waves prior_accept %v outside (0,1): %w", c.PriorAccept, ErrInvalid)
	case !(c.PriorWeight > 0) || c.PriorWeight > 1e6:
		return fmt.Errorf("waves prior_weight %v outside (0,1e6]: %w", c.PriorWeight, ErrInvalid)
	}
	for i, m := range c.Modes {
		if m != "" && m != WaveSingle && m != WaveAdaptive {
			return fmt.Errorf("waves urgency_%d %q: want single or adaptive: %w", i+1, m, ErrInvalid)
		}
	}
	return nil
}

// Adaptive reports whether urgency u's places are offered in waves.
func (c WaveConfig) Adaptive(u int) bool {
	return u >= 1 && u <= 4 && c.Modes[u-1] == WaveAdaptive
}

// WaveSize is the smallest k for which 1-(1-p)^k reaches target, capped at
// max (and at least 1). p outside (0,1) is taken at its edge: p >= 1 needs
// one offer, p <= 0 can never reach the target and takes max.
func WaveSize(p, target float64, max int) int {
	if max < 1 {
		return 1
	}
	if p >= 1 || target <= 0 {
		return 1
	}
	if p <= 0 || target >= 1 {
		return max
	}
	miss := 1.0
	for k := 1; k <= max; k++ {
		miss *= 1 - p
		// A tiny tolerance, so that p = 0.5, target 0.75 gives 2, not 3,
		// when 1-0.25 rounds below 0.75.
		if 1-miss >= target-1e-12 {
			return k
		}
	}
	return max
}

// AcceptanceKey is what acceptance is measured by, beside the hour of day.
type AcceptanceKey struct {
	Category string
	Role     Role
	Urgency  int
}

// AcceptanceCounts are decayed counts of answers: Accepted of Answered
// (accepts, declines and offers left to lapse). A withdrawn offer is no
// answer.
type AcceptanceCounts struct {
	Accepted, Answered float64
}

// AcceptanceSnapshot is what the store has measured, read once per tick:
// per key, for the current local hour of day, and over everything.
type AcceptanceSnapshot struct {
	ByKey map[AcceptanceKey]AcceptanceCounts
	Hour  AcceptanceCounts
	All   AcceptanceCounts
}

// AcceptanceStore reads the acceptance measured from answers (the store's
// answer script keeps it as answers arrive).
type AcceptanceStore interface {
	Acceptance(ctx context.Context, keys []AcceptanceKey) (AcceptanceSnapshot, error)
}

// smoothed is a Beta(prior) posterior mean: the prior counts as weight
// answers at rate prior.
func smoothed(c AcceptanceCounts, prior, weight float64) float64 {
	return (c.Accepted + prior*weight) / (c.Answered + weight)
}

// EstimateAcceptance blends what was measured for the key with the hour of
// day. The key says who is asked for what (a nurse at night for a fall is
// not a volunteer for a food parcel); the hour says when (3 a.m. asks go
// unanswered whatever they are). Few keys have answers at every hour, so
// the two are not crossed: the key's estimate is scaled by how the hour
// compares with all hours, each smoothed towards the prior so that an hour
// or key with few answers moves the estimate little. The result is kept
// in [0.01, 0.99], so that no wave is sized on certainty.
func EstimateAcceptance(snap AcceptanceSnapshot, k AcceptanceKey, cfg WaveConfig) float64 {
	key := smoothed(snap.ByKey[k], cfg.PriorAccept, cfg.PriorWeight)
	hour := smoothed(snap.Hour, cfg.PriorAccept, cfg.PriorWeight)
	all := smoothed(snap.All, cfg.PriorAccept, cfg.PriorWeight)
	p := key * hour / all
	if math.IsNaN(p) {
		p = cfg.PriorAccept
	}
	return min(max(p, 0.01), 0.99)
}

// Wave is how one team entry's places are being offered, for the API and
// the console.
type Wave struct {
	PAccept     float64 `json:"p_accept"`
	Size        int     `json:"size"`
	Outstanding int     `json:"outstanding"`
}

// waveSize is the offers per place for a need's team entry: 1 unless its
// urgency is adaptive and an estimate is known.
func (m *Matcher) waveSize(n *NeedState, team int, snap *AcceptanceSnapshot) (int, float64) {
	if snap == nil || !m.cfg.Waves.Adaptive(n.Urgency) {
		return 1, 0
	}
	p := EstimateAcceptance(*snap, AcceptanceKey{Category: n.Category, Role: n.Team[team].Role, Urgency: n.Urgency}, m.cfg.Waves)
	return WaveSize(p, m.cfg.Waves.Target, m.cfg.Waves.Max), p
}

// waveExtra is how many offers team entry t wants beyond one per place
// not yet offered: each place still open may have size offers out, and
// each pending offer already covers a place first, so that after one
// member of a wave declines the place is offered again only while the
// wave is short of its size.
func waveExtra(n *NeedState, t, size int) int {
	places := n.Team[t].Count - n.Filled[t]
	if size <= 1 || places <= 0 {
		return 0
	}
	return max(0, places*size-n.Pending[t]-max(0, n.Open(t)))
}

// acceptanceSnapshot reads the estimates for the tick's adaptive needs;
// nil when waves are off everywhere or no store measures acceptance.
func (m *Matcher) acceptanceSnapshot(ctx context.Context, needs []NeedState) (*AcceptanceSnapshot, error) {
	if m.acceptance == nil {
		return nil, nil
	}
	seen := map[AcceptanceKey]bool{}
	var keys []AcceptanceKey
	for i := range needs {
		n := &needs[i]
		if !m.cfg.Waves.Adaptive(n.Urgency) {
			continue
		}
		for _, t := range n.Team {
			k := AcceptanceKey{Category: n.Category, Role: t.Role, Urgency: n.Urgency}
			if !seen[k] {
				seen[k] = true
				keys = append(keys, k)
			}
		}
	}
	if len(keys) == 0 {
		return nil, nil
	}
	snap, err := m.acceptance.Acceptance(ctx, keys)
	if err != nil {
		return nil, fmt.Errorf("acceptance: %w", err)
	}
	return &snap, nil
}

// WaveOf says how each team entry of a need is offered now, for the API:
// nil when the need's urgency is single (or nothing measures acceptance).
func (m *Matcher) WaveOf(ctx context.Context, n NeedState) ([]Wave, error) {
	if m == nil || m.acceptance == nil || !m.cfg.Waves.Adaptive(n.Urgency) {
		return nil, nil
	}
	snap, err := m.acceptanceSnapshot(ctx, []NeedState{n})
	if err != nil || snap == nil {
		return nil, err
	}
	out := make([]Wave, len(n.Team))
	for t := range n.Team {
		size, p := m.waveSize(&n, t, snap)
		out[t] = Wave{PAccept: math.Round(p*100) / 100, Size: size, Outstanding: n.Pending[t]}
	}
	return out, nil
}

// offerRequest is the claim of candidate c for group g's team entry; it
// carries the wave size, which the claim script uses as the entry's room.
func (m *Matcher) offerRequest(g *candidateGroup, c Candidate) OfferRequest {
	o := OfferRequest{
		OfferID: newOfferID(), Need: g.need.ID, TeamIndex: g.key.team, Responder: c.ID,
		TTL: m.cfg.OfferTTL, DistanceMeters: c.DistanceMeters, Reason: pickReason(g, c),
	}
	if m.cfg.Waves.Adaptive(g.need.Urgency) && m.acceptance != nil {
		o.Wave, o.PAccept = g.wave, g.pAccept
	}
	return o
}

// solveWaves picks the further offers of every wave among the people the
// first offers left free: a second solve, so that no place's first offer
// ever gives way to another place's second (the first solve ranks places
// by urgency only, and would count both alike). It returns each further
// offer's group and person (-1: nobody left).
func (m *Matcher) solveWaves(groups []*candidateGroup, capacity []int, firsts AssignResult) ([]*candidateGroup, []int, error) {
	var problem AssignProblem
	var of []*candidateGroup
	for _, g := range groups {
		for range g.waveExtra {
			problem.Slots = append(problem.Slots, AssignSlot{Urgency: g.need.Urgency, Candidates: g.edges})
			of = append(of, g)
		}
	}
	if len(of) == 0 {
		return nil, nil, nil
	}
	problem.Capacity = slices.Clone(capacity)
	for _, p := range firsts.PersonOf {
		if p >= 0 {
			problem.Capacity[p]--
		}
	}
	res, err := SolveAssignment(problem)
	if err != nil {
		return nil, nil, fmt.Errorf("waves: %w", err)
	}
	return of, res.PersonOf, nil
}

// waveOfOffer is the wave an offer belongs to, for its event: nil for a
// single offer. Outstanding counts the offers the entry had out before
// the tick and the sent claimed in this one, this offer included.
func waveOfOffer(n *NeedState, team int, o OfferRequest, sent int) *Wave {
	if o.Wave < 1 {
		return nil
	}
	return &Wave{PAccept: math.Round(o.PAccept*100) / 100, Size: o.Wave, Outstanding: n.Pending[team] + sent}
}

// emitWaveWithdrawn tells of the offers an accept withdrew because its
// team entry filled while the need still has other places open (a wave's
// other members); when the accept staffs the need, TeamStaffed tells.
func emitWaveWithdrawn(ctx context.Context, sink EventSink, a Answer, now time.Time) {
	if a.Outcome != AnswerAccepted {
		return
	}
	for _, w := range a.Withdrawn {
		sink.Emit(ctx, OfferAnswered{Need: a.Need, Offer: w.OfferID, Responder: w.Responder, State: AssignWithdrawn, At: now})
	}
}

// WaveOf says how each team entry of a need is offered now (nil: singly),
// for the API and the console.
func (s *Service) WaveOf(ctx context.Context, n NeedState) ([]Wave, error) {
	if !n.Status.Active() {
		return nil, nil
	}
	return s.matcher.WaveOf(ctx, n)
}
