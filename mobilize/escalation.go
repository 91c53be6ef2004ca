package mobilize

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/paulmach/orb"
)

// Escalation widens who may be offered a need that stays unfilled, one
// step each time its urgency's time goal passes (or an operator says so).
// Steps, for a need routed to community C (street S, district D, city Y):
//
//	0 community  members of organisations homed in C, and of the need's own
//	             organisation, within the start radius
//	1 rings      the same people, within the full radius
//	2 partners   plus members of the partners of those organisations
//	3 street     plus members of organisations homed anywhere in S
//	4 district   plus members of organisations homed anywhere in D
//	5 city       everyone: the city pool, as matching without areas
//
// Each step keeps everyone the earlier steps allowed. A need outside every
// community, and a responder without an organisation, are in the city
// pool from the start (step 5's rule): the unorganised are reached once a
// need escalates to the city. Areas are only the rule where loaded.
type EscalationStep struct {
	Name string
	Tier Tier
}

// EscalationSteps lists the steps in order.
var EscalationSteps = []EscalationStep{
	{"community", TierCommunity},
	{"rings", TierCommunity},
	{"partners", TierCommunity},
	{"street", TierStreet},
	{"district", TierDistrict},
	{"city", TierCity},
}

// Step numbers the code refers to.
const (
	stepNear     = 0
	stepPartners = 2
	stepStreet   = 3
	stepDistrict = 4
	LastStep     = 5
)

// EscalationState is where a need is in its escalation.
type EscalationState struct {
	Step  int
	Since time.Time // when the step began
}

// EscalationConfig holds the time goals: how long a need of each urgency
// (1..4) may stay unfilled at one step before it widens.
type EscalationConfig struct {
	Goals [4]time.Duration
	// WidenWhenEmpty skips a step at once, without waiting out its goal,
	// when nobody in its scope is available for one of the need's places:
	// waiting for people who cannot come only loses minutes. The steps are
	// still taken one by one, each an event the console shows.
	WidenWhenEmpty bool
}

// DefaultEscalationConfig is the escalation when nothing is said: the
// default goals, and a step with nobody available skipped at once.
func DefaultEscalationConfig() EscalationConfig {
	return EscalationConfig{Goals: DefaultEscalationGoals(), WidenWhenEmpty: true}
}

// DefaultEscalationGoals are 2, 5, 15 and 60 minutes for urgency 1..4.
func DefaultEscalationGoals() [4]time.Duration {
	return [4]time.Duration{2 * time.Minute, 5 * time.Minute, 15 * time.Minute, 60 * time.Minute}
}

// Linkage is the snapshot of areas and organisations escalation and
// routing read.
type Linkage struct {
	Areas *AreaTree
	Orgs  map[string]Organisation
}

// EscalationStore is what escalation needs of the live state.
type EscalationStore interface {
	Linkage(ctx context.Context) (*Linkage, error)
	EscalationStates(ctx context.Context, ids []NeedID) (map[NeedID]EscalationState, error)
	// AdvanceEscalation moves a need from step from to next, only if it is
	// still at from (several matchers may race); it reports whether it did.
	AdvanceEscalation(ctx context.Context, id NeedID, from int, next EscalationState) (bool, error)
	Members(ctx context.Context, orgs []string) (map[ResponderID]bool, error)
	// Community returns the community whose area holds p, or "".
	Community(ctx context.Context, p orb.Point) (AreaID, error)
	// NoteEscalation counts one escalation of a need, for the evaluation.
	NoteEscalation(ctx context.Context, id NeedID) error
}

// Scope narrows the candidates of one need. Members nil: everyone.
type Scope struct {
	Members  map[ResponderID]bool
	NearOnly bool // search only the start radius
}

// Escalator decides each need's scope and widens it on the clock. The
// matcher asks it for scopes once per tick.
type Escalator struct {
	store       EscalationStore
	sink        EventSink
	cfg         EscalationConfig
	now         func() time.Time
	countFailed func(NeedID, error)
}

// NewEscalator returns an escalator with cfg as given (start from
// DefaultEscalationConfig).
func NewEscalator(store EscalationStore, sink EventSink, cfg EscalationConfig, now func() time.Time) *Escalator {
	if sink == nil {
		sink = discard
	}
	if now == nil {
		now = time.Now
	}
	return &Escalator{store: store, sink: sink, cfg: cfg, now: now, countFailed: func(NeedID, error) {}}
}

// OnCountFailed sets what is done when a need escalated but the
// escalation could not be counted for the evaluation: the escalation
// stands (the count is a statistic), so the failure is only reported.
// Call it before the escalator is used.
func (e *Escalator) OnCountFailed(f func(id NeedID, err error)) { e.countFailed = f }

// Goal is the time a need of urgency u may wait at one step.
func (e *Escalator) Goal(urgency int) time.Duration {
	return e.cfg.Goals[min(max(urgency, 1), 4)-1]
}

// Route finds the community a need at p belongs to ("" outside all).
func (e *Escalator) Route(ctx context.Context, p orb.Point) (AreaID, error) {
	return e.store.Community(ctx, p)
}

// States returns the escalation state of needs routed to a community;
// a need never escalated is at step 0 since it was created.
func (e *Escalator) States(ctx context.Context, needs []NeedState) (map[NeedID]EscalationState, error) {
	var ids []NeedID
	for _, n := range needs {
		if n.Community != "" {
			ids = append(ids, n.ID)
		}
	}
	out := map[NeedID]EscalationState{}
	if len(ids) == 0 {
		return out, nil
	}
	stored, err := e.store.EscalationStates(ctx, ids)
	if err != nil {
		return nil, err
	}
	for _, n := range needs {
		if n.Community == "" {
			continue
		}
		st, ok := stored[n.ID]
		if !ok {
			st = EscalationState{Step: 0, Since: n.CreatedAt}
		}
		out[n.ID] = st
	}
	return out, nil
}

// Scopes is the matcher's hook: it escalates every need whose time goal
// has passed (one step per call, so the console sees each), then returns
// the scope of every need routed to a community. Needs without one are
// left out: everyone may be offered them.
func (e *Escalator) Scopes(ctx context.Context, needs []NeedState) (map[NeedID]Scope, error) {
	states, sc, err := e.begin(ctx, needs)
	if sc == nil {
		return nil, err
	}
	now := e.now()
	out := make(map[NeedID]Scope, len(states))
	for i := range needs {
		n := &needs[i]
		st, ok := states[n.ID]
		if !ok {
			continue
		}
		if st.Step < LastStep && now.Sub(st.Since) >= e.Goal(n.Urgency) {
			if next, moved, err := e.advance(ctx, n, st, now, EscalatedTimeGoal); err != nil {
				return nil, err
			} else if moved {
				st = next
			}
		}
		if st.Step >= LastStep {
			continue // the city pool: no filter
		}
		if out[n.ID], err = sc.scope(ctx, n, st.Step); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// WidenEmpty is the matcher's hook for needs whose scope had nobody
// available for some place this tick: with WidenWhenEmpty each widens one
// step now, and the result is its new scope (Members nil once it reaches
// the city pool). Without WidenWhenEmpty it does nothing and returns nil.
func (e *Escalator) WidenEmpty(ctx context.Context, needs []NeedState) (map[NeedID]Scope, error) {
	if !e.cfg.WidenWhenEmpty || len(needs) == 0 {
		return nil, nil
	}
	states, sc, err := e.begin(ctx, needs)
	if sc == nil {
		return nil, err
	}
	now := e.now()
	out := make(map[NeedID]Scope, len(states))
	for i := range needs {
		n := &needs[i]
		st, ok := states[n.ID]
		if !ok || st.Step >= LastStep {
			continue
		}
		next, moved, err := e.advance(ctx, n, st, now, EscalatedNobodyInScope)
		if err != nil {
			return nil, err
		}
		if !moved {
			continue // another matcher moved it; its next tick reads the new step
		}
		if next.Step >= LastStep {
			out[n.ID] = Scope{}
			continue
		}
		if out[n.ID], err = sc.scope(ctx, n, next.Step); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// begin reads what a pass over needs starts from: the states of those
// routed to a community, and a scope cache over the current areas and
// organisations. A nil cache means there is nothing to do (or an error).
func (e *Escalator) begin(ctx context.Context, needs []NeedState) (map[NeedID]EscalationState, *scopeCache, error) {
	states, err := e.States(ctx, needs)
	if err != nil || len(states) == 0 {
		return nil, nil, err
	}
	link, err := e.store.Linkage(ctx)
	if err != nil {
		return nil, nil, err
	}
	return states, newScopeCache(e.store, link), nil
}

// scopeCache builds scopes for one pass: needs share them, one per
// community, filer and step, and one member read per distinct set of
// organisations.
type scopeCache struct {
	store   EscalationStore
	link    *Linkage
	byScope map[scopeKey]map[ResponderID]bool
	members map[string]map[ResponderID]bool // by org set
}

type scopeKey struct {
	community AreaID
	org       string
	step      int
}

func newScopeCache(store EscalationStore, link *Linkage) *scopeCache {
	return &scopeCache{store: store, link: link, byScope: map[scopeKey]map[ResponderID]bool{}, members: map[string]map[ResponderID]bool{}}
}

// scope is who may be offered need n at a step below the city pool.
func (c *scopeCache) scope(ctx context.Context, n *NeedState, step int) (Scope, error) {
	sk := scopeKey{n.Community, n.OrgID, step}
	m, ok := c.byScope[sk]
	if !ok {
		orgs := scopeOrgs(c.link, n, step)
		key := strings.Join(orgs, ",")
		if m, ok = c.members[key]; !ok {
			var err error
			if m, err = c.store.Members(ctx, orgs); err != nil {
				return Scope{}, err
			}
			if m == nil {
				m = map[ResponderID]bool{}
			}
			c.members[key] = m
		}
		c.byScope[sk] = m
	}
	return Scope{Members: m, NearOnly: step == stepNear}, nil
}

// Escalate widens a need by one step now, at an operator's word.
func (e *Escalator) Escalate(ctx context.Context, n NeedState) (EscalationState, error) {
	if n.Community == "" {
		return EscalationState{}, fmt.Errorf("escalate need %s: it lies in no community, so every responder may be offered it already: %w", n.ID, ErrConflict)
	}
	if !n.Status.Active() {
		return EscalationState{}, fmt.Errorf("escalate need %s: it is %s: %w", n.ID, n.Status, ErrInvalidTransition)
	}
	states, err := e.States(ctx, []NeedState{n})
	if err != nil {
		return EscalationState{}, err
	}
	st := states[n.ID]
	if st.Step >= LastStep {
		return st, fmt.Errorf("escalate need %s: it has reached the city pool: %w", n.ID, ErrConflict)
	}
	next, moved, err := e.advance(ctx, &n, st, e.now(), EscalatedManually)
	if err != nil {
		return EscalationState{}, err
	}
	if !moved {
		return EscalationState{}, fmt.Errorf("escalate need %s: it escalated meanwhile; try again: %w", n.ID, ErrConflict)
	}
	return next, nil
}

// EscalationReason says why a need widened.
type EscalationReason string

// Why a need widened.
const (
	EscalatedTimeGoal      EscalationReason = "time_goal"       // it waited its urgency's goal unfilled
	EscalatedNobodyInScope EscalationReason = "nobody_in_scope" // nobody in the step's scope was available
	EscalatedManually      EscalationReason = "manual"          // an operator widened it
)

// countTimeout bounds counting an escalation that has happened.
const countTimeout = 2 * time.Second

func (e *Escalator) advance(ctx context.Context, n *NeedState, st EscalationState, now time.Time, reason EscalationReason) (EscalationState, bool, error) {
	next := EscalationState{Step: st.Step + 1, Since: now.UTC().Truncate(time.Millisecond)}
	moved, err := e.store.AdvanceEscalation(ctx, n.ID, st.Step, next)
	if err != nil || !moved {
		return st, false, err
	}
	e.sink.Emit(ctx, NeedEscalated{Need: *n, Step: next.Step, Reason: reason, Goal: e.Goal(n.Urgency), Waited: now.Sub(st.Since), At: now})
	// Counted here, where it happened, even if the caller has given up
	// meanwhile: the step has moved and will not be taken again.
	cctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), countTimeout)
	defer cancel()
	if err := e.store.NoteEscalation(cctx, n.ID); err != nil {
		e.countFailed(n.ID, err)
	}
	return next, true, nil
}

// scopeOrgs lists, sorted, the organisations whose members may be offered
// need n at a step below the city pool. Partners are those of the
// community's own organisations (and the filer), not of every
// organisation a wider tier brings in.
func scopeOrgs(link *Linkage, n *NeedState, step int) []string {
	set := map[string]bool{}
	if n.OrgID != "" {
		set[n.OrgID] = true
	}
	addHomedIn := func(root AreaID) {
		for id, o := range link.Orgs {
			if link.Areas.Within(o.HomeArea, root) {
				set[id] = true
			}
		}
	}
	addHomedIn(n.Community)
	if step >= stepPartners {
		home := make([]string, 0, len(set))
		for id := range set {
			home = append(home, id)
		}
		for _, id := range home {
			for _, p := range link.Orgs[id].Partners {
				set[p] = true
			}
		}
		for id, o := range link.Orgs { // partnership works both ways
			for _, p := range o.Partners {
				if slices.Contains(home, p) {
					set[id] = true
				}
			}
		}
	}
	switch {
	case step >= stepDistrict:
		addHomedIn(link.Areas.Ancestor(n.Community, TierDistrict))
	case step >= stepStreet:
		addHomedIn(link.Areas.Ancestor(n.Community, TierStreet))
	}
	out := make([]string, 0, len(set))
	for id := range set {
		out = append(out, id)
	}
	slices.Sort(out)
	return out
}

// Escalate widens a need's scope by one step at an operator's word and
// starts a tick so that the wider scope is tried at once.
func (s *Service) Escalate(ctx context.Context, id NeedID) (NeedState, EscalationState, error) {
	if s.esc == nil {
		return NeedState{}, EscalationState{}, fmt.Errorf("escalate need %s: no areas are configured: %w", id, ErrConflict)
	}
	n, err := s.store.Need(ctx, id)
	if err != nil {
		return NeedState{}, EscalationState{}, err
	}
	st, err := s.esc.Escalate(ctx, n)
	if err != nil {
		return n, st, err
	}
	s.matcher.Wake()
	return n, st, nil
}
