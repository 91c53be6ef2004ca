// Package replay plays a recorded emergency (loadtest/recording) against
// a fresh matcher under one policy, in virtual time, and compares two
// policies' outcomes (report.go). The service runs in-process with an
// injected clock and is stepped tick by tick, so that the same file, the
// same seed and the same policy give the same figures however busy the
// machine is. The store comes from the caller (cmd/drill wires
// redisstore on a Redis of its own): this package does not import
// go-redis.
package replay

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"hash/fnv"
	"math/rand/v2"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/paulmach/orb"

	"github.com/liandong/liandong/loadtest/recording"
	"github.com/liandong/liandong/mobilize"
)

// Store is what a replay needs of a fresh store: the service's store and
// the acceptance it measures for waves.
type Store interface {
	mobilize.Store
	mobilize.AcceptanceStore
}

// Clock is the virtual time a replay runs on; the store and the service
// read it.
type Clock struct {
	mu  sync.Mutex
	now time.Time
}

// NewClock starts at t.
func NewClock(t time.Time) *Clock { return &Clock{now: t} }

// Now is the virtual time.
func (c *Clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *Clock) set(t time.Time) {
	c.mu.Lock()
	c.now = t
	c.mu.Unlock()
}

// Options tune one replay.
type Options struct {
	Seed uint64
	// Drain is how long the replay goes on after the last need, for the
	// last needs to be staffed or reach their deadline; 0: 10 minutes.
	Drain time.Duration
	// Refresh is how often every person's last position is reported
	// again, as phones do, so that nobody goes stale; 0: 2 minutes.
	Refresh time.Duration
}

// Result is what one replay measured, need by need and person by person,
// in the recording's ids and order, so that two replays pair up.
type Result struct {
	Policy string       `json:"policy"`
	Needs  []NeedResult `json:"needs"`
	// OffersPerPerson is the offers each recorded person received, in
	// the recording's order of people.
	OffersPerPerson []int `json:"offers_per_person"`
	Offers          int   `json:"offers"`
	Escalations     int   `json:"escalations"`
	Nudges          int   `json:"nudges"`
	// Answers says how the offers were answered: as recorded, or sampled
	// from the person's own measured behaviour.
	AnsweredAsRecorded int `json:"answered_as_recorded"`
	AnsweredSampled    int `json:"answered_sampled"`
	// DoubleBookings counts a person accepted on more needs at once than
	// they may hold; OverStaffed the needs with more accepted people than
	// places.
	DoubleBookings int `json:"double_bookings"`
	OverStaffed    int `json:"over_staffed"`
	Ticks          int `json:"ticks"`
}

// NeedResult is one need's outcome. Times are seconds from its creation;
// a need never offered or never staffed counts until it closed or the
// replay ended (Staffed false says which).
type NeedResult struct {
	ID            string  `json:"id"`
	Urgency       int     `json:"urgency"`
	FirstOfferS   float64 `json:"first_offer_s"`
	StaffedS      float64 `json:"staffed_s"`
	Staffed       bool    `json:"staffed"`
	TravelS       float64 `json:"travel_s"` // the accepted members' mean estimated travel
	OffersSent    int     `json:"offers_sent"`
	AcceptedCount int     `json:"accepted"`
	Places        int     `json:"places"`
}

// behaviour is what a person did when offered, for offers the recording
// does not answer.
type behaviour struct {
	accept, decline, silent int
	delays                  map[string][]int64 // by answer
	tasks                   []int64
}

type answerKey struct{ responder, need string }

// action is something due at a virtual instant: an answer or a
// completion. Ordered by time and then by ids, never by the order the
// matcher happened to emit, so that the order is the same every run.
type action struct {
	at        time.Time
	kind      int // 0 answer, 1 complete
	need      string
	responder string
	offer     mobilize.OfferID
	accept    bool
	taskMs    int64
}

// engine is one replay in progress.
type engine struct {
	rec    recording.Recording
	opts   Options
	svc    *mobilize.Service
	clock  *Clock
	match  mobilize.MatchConfig
	people []string
	index  map[string]int // person id -> position in people
	maxOf  map[string]int

	recorded map[answerKey]recording.Record
	by       map[string]*behaviour
	all      behaviour

	mu      sync.Mutex // the sink is called from the service's calls
	pending []action
	created map[string]time.Time
	needs   map[string]*NeedResult
	order   []string
	holding map[string]int // accepted, not completed
	res     Result
}

// Run replays rec on st (fresh and empty) under match, on clock.
func Run(ctx context.Context, rec recording.Recording, st Store, clock *Clock, match mobilize.MatchConfig, policy string, opts Options) (Result, error) {
	if opts.Drain <= 0 {
		opts.Drain = 10 * time.Minute
	}
	if opts.Refresh <= 0 {
		opts.Refresh = 2 * time.Minute
	}
	if match.Tick <= 0 {
		return Result{}, errors.New("replay: the policy's matching tick is not positive")
	}
	e := &engine{rec: rec, opts: opts, clock: clock, match: match, index: map[string]int{}, maxOf: map[string]int{},
		recorded: map[answerKey]recording.Record{}, by: map[string]*behaviour{},
		created: map[string]time.Time{}, needs: map[string]*NeedResult{}, holding: map[string]int{}}
	e.res.Policy = policy
	e.learn()
	e.svc = mobilize.NewService(mobilize.ServiceDeps{Store: st, Sink: mobilize.EventSinkFunc(e.emit), Now: clock.Now, Acceptance: st}, match)
	if err := e.run(ctx); err != nil {
		return e.res, err
	}
	return e.finish(ctx)
}

// learn reads the people and what each did when offered.
func (e *engine) learn() {
	e.all.delays = map[string][]int64{}
	for _, r := range e.rec.Records {
		switch r.Type {
		case recording.TypeResponder:
			e.index[r.Responder] = len(e.people)
			e.people = append(e.people, r.Responder)
			e.maxOf[r.Responder] = max(r.MaxConcurrent, 1)
			e.by[r.Responder] = &behaviour{delays: map[string][]int64{}}
		case recording.TypeAnswer:
			k := answerKey{r.Responder, r.Need}
			if _, seen := e.recorded[k]; !seen {
				e.recorded[k] = r
			}
			for _, b := range []*behaviour{e.by[r.Responder], &e.all} {
				switch r.Answer {
				case recording.Accept:
					b.accept++
					if r.TaskMs > 0 {
						b.tasks = append(b.tasks, r.TaskMs)
					}
				case recording.Decline:
					b.decline++
				default:
					b.silent++
				}
				b.delays[r.Answer] = append(b.delays[r.Answer], r.DelayMs)
			}
		}
	}
	e.res.OffersPerPerson = make([]int, len(e.people))
}

// sample decides how a person answers an offer they were never offered
// in the recording: from their own answers, smoothed towards everyone's
// (two answers' weight), with a generator seeded by the seed, the person
// and the need alone, so that the answer does not depend on the order
// offers come in.
func (e *engine) sample(person, need string) (answer string, delayMs int64) {
	h := fnv.New64a()
	fmt.Fprintf(h, "%s\x00%s", person, need)
	r := rand.New(rand.NewPCG(e.opts.Seed, h.Sum64()))
	b := e.by[person]
	total := float64(e.all.accept + e.all.decline + e.all.silent)
	const w = 2.0
	rate := func(own, all int) float64 {
		mine := float64(b.accept + b.decline + b.silent)
		g := 1.0 / 3
		if total > 0 {
			g = float64(all) / total
		}
		return (float64(own) + w*g) / (mine + w)
	}
	pa, pd := rate(b.accept, e.all.accept), rate(b.decline, e.all.decline)
	x := r.Float64()
	switch {
	case x < pa:
		answer = recording.Accept
	case x < pa+pd:
		answer = recording.Decline
	default:
		answer = recording.Silent
	}
	ds := b.delays[answer]
	if len(ds) == 0 {
		ds = e.all.delays[answer]
	}
	if len(ds) > 0 {
		delayMs = ds[r.IntN(len(ds))]
	} else {
		delayMs = 5000
	}
	return answer, delayMs
}

// taskOf is how long an accepted task takes: as recorded, else one of the
// person's (or everyone's) recorded tasks, else 5 minutes.
func (e *engine) taskOf(person, need string, recorded int64) int64 {
	if recorded > 0 {
		return recorded
	}
	ts := e.by[person].tasks
	if len(ts) == 0 {
		ts = e.all.tasks
	}
	if len(ts) == 0 {
		return (5 * time.Minute).Milliseconds()
	}
	h := fnv.New64a()
	fmt.Fprintf(h, "task\x00%s\x00%s", person, need)
	return ts[rand.New(rand.NewPCG(e.opts.Seed, h.Sum64())).IntN(len(ts))]
}

// emit hears the service's events.
func (e *engine) emit(_ context.Context, ev mobilize.Event) {
	e.mu.Lock()
	defer e.mu.Unlock()
	switch v := ev.(type) {
	case mobilize.OfferSent:
		id, who := string(v.Need.ID), string(v.Responder)
		e.res.Offers++
		if i, ok := e.index[who]; ok {
			e.res.OffersPerPerson[i]++
		}
		n := e.needs[id]
		if n == nil {
			return
		}
		if n.OffersSent == 0 {
			n.FirstOfferS = v.At.Sub(e.created[id]).Seconds()
		}
		n.OffersSent++
		answer, delay := "", int64(0)
		if r, ok := e.recorded[answerKey{who, id}]; ok {
			answer, delay = r.Answer, r.DelayMs
			e.res.AnsweredAsRecorded++
		} else {
			answer, delay = e.sample(who, id)
			e.res.AnsweredSampled++
		}
		if answer == recording.Silent {
			return // the offer lapses by itself
		}
		e.pending = append(e.pending, action{at: v.At.Add(time.Duration(delay) * time.Millisecond), need: id, responder: who,
			offer: v.Offer, accept: answer == recording.Accept})
	case mobilize.TeamStaffed:
		id := string(v.Need.ID)
		if n := e.needs[id]; n != nil && !n.Staffed {
			n.Staffed, n.StaffedS = true, v.At.Sub(e.created[id]).Seconds()
		}
	case mobilize.NeedEscalated:
		e.res.Escalations++
	}
}

// run steps virtual time from the first record to the last need's drain.
func (e *engine) run(ctx context.Context) error {
	start := e.rec.Header.Start
	recs := e.rec.Records
	var last int64
	for _, r := range recs {
		if r.Type == recording.TypeNeed {
			last = r.T
		}
	}
	end := start.Add(time.Duration(last)*time.Millisecond + e.opts.Drain)
	positions := map[string]orb.Point{}
	next := 0
	nextRefresh := start.Add(e.opts.Refresh)
	for now := start; !now.After(end); now = now.Add(e.match.Tick) {
		if err := ctx.Err(); err != nil {
			return err
		}
		e.clock.set(now)
		// The recording's events due by now, in the file's order.
		from := next
		for next < len(recs) && !start.Add(time.Duration(recs[next].T)*time.Millisecond).After(now) {
			next++
		}
		if err := e.applyDue(ctx, now, recs[from:next], positions); err != nil {
			return err
		}
		if !now.Before(nextRefresh) {
			nextRefresh = now.Add(e.opts.Refresh)
			for _, p := range e.people {
				if pos, ok := positions[p]; ok {
					if err := e.svc.Locate(ctx, mobilize.ResponderID(p), pos); err != nil {
						return fmt.Errorf("replay: locate %s: %w", p, err)
					}
				}
			}
		}
		if err := e.answerDue(ctx, now); err != nil {
			return err
		}
		if _, err := e.svc.Matcher().Tick(ctx); err != nil {
			return fmt.Errorf("replay: tick at %v: %w", now.Sub(start), err)
		}
		e.res.Ticks++
	}
	return nil
}

// applyDue applies the records due in this tick: people enrolled and
// placed, duty changes, needs created.
func (e *engine) applyDue(ctx context.Context, now time.Time, due []recording.Record, positions map[string]orb.Point) error {
	var people []mobilize.Responder
	for _, r := range due {
		if r.Type != recording.TypeResponder {
			continue
		}
		skills := make([]mobilize.Skill, len(r.Skills))
		for i, s := range r.Skills {
			skills[i] = mobilize.Skill{Name: s}
		}
		people = append(people, mobilize.Responder{ID: mobilize.ResponderID(r.Responder), Name: r.Responder, Role: mobilize.Role(r.Role),
			Skills: skills, OrgID: r.Org, MaxConcurrent: max(r.MaxConcurrent, 1)})
	}
	if len(people) > 0 {
		if err := e.svc.RegisterMany(ctx, people); err != nil {
			return fmt.Errorf("replay: enrol: %w", err)
		}
	}
	for _, r := range due {
		var err error
		switch r.Type {
		case recording.TypeResponder, recording.TypePosition:
			positions[r.Responder] = orb.Point{r.Lng, r.Lat}
			err = e.svc.Locate(ctx, mobilize.ResponderID(r.Responder), positions[r.Responder])
			if err == nil && r.Type == recording.TypeResponder && !r.Duty() {
				_, err = e.svc.SetDuty(ctx, mobilize.ResponderID(r.Responder), false)
			}
		case recording.TypeDuty:
			_, err = e.svc.SetDuty(ctx, mobilize.ResponderID(r.Responder), r.Duty())
		case recording.TypeNeed:
			err = e.createNeed(ctx, r, now)
		}
		if err != nil {
			return fmt.Errorf("replay: %s at %d ms: %w", r.Type, r.T, err)
		}
	}
	return nil
}

func (e *engine) createNeed(ctx context.Context, r recording.Record, now time.Time) error {
	n := mobilize.Need{ID: mobilize.NeedID(r.Need), Urgency: r.Urgency, Category: r.Category, Point: orb.Point{r.Lng, r.Lat},
		Description: r.Description}
	places := 0
	for _, t := range r.Team {
		n.Team = append(n.Team, mobilize.TeamSlot{Role: mobilize.Role(t.Role), Count: t.Count, Skills: t.Skills})
		places += t.Count
	}
	for _, it := range r.Items {
		n.Items = append(n.Items, mobilize.ItemCount{Item: mobilize.Item(it.Item), Count: it.Count})
	}
	if r.DeadlineMs > 0 {
		n.Deadline = now.Add(time.Duration(r.DeadlineMs) * time.Millisecond)
	}
	e.mu.Lock()
	e.created[r.Need] = now
	e.needs[r.Need] = &NeedResult{ID: r.Need, Urgency: r.Urgency, Places: places}
	e.order = append(e.order, r.Need)
	e.mu.Unlock()
	if _, err := e.svc.CreateNeed(ctx, n); err != nil {
		return fmt.Errorf("replay: need %s: %w", r.Need, err)
	}
	return nil
}

// answerDue sends the answers and completions due by now.
func (e *engine) answerDue(ctx context.Context, now time.Time) error {
	e.mu.Lock()
	slices.SortFunc(e.pending, func(a, b action) int {
		return cmp.Or(a.at.Compare(b.at), cmp.Compare(a.kind, b.kind), strings.Compare(a.need, b.need), strings.Compare(a.responder, b.responder))
	})
	n := 0
	for n < len(e.pending) && !e.pending[n].at.After(now) {
		n++
	}
	due := slices.Clone(e.pending[:n])
	e.pending = slices.Delete(e.pending, 0, n)
	e.mu.Unlock()
	for _, a := range due {
		if a.kind == 1 {
			if err := e.svc.Complete(ctx, mobilize.NeedID(a.need), mobilize.ResponderID(a.responder)); err == nil {
				e.mu.Lock()
				e.holding[a.responder]--
				e.mu.Unlock()
			}
			continue
		}
		ans, err := e.svc.Respond(ctx, mobilize.ResponderID(a.responder), a.offer, a.accept)
		if err != nil {
			if errors.Is(err, mobilize.ErrInvalidTransition) || errors.Is(err, mobilize.ErrNotFound) || errors.Is(err, mobilize.ErrConflict) {
				continue // withdrawn, lapsed or filled meanwhile: as a phone would hear
			}
			return fmt.Errorf("replay: answer %s of %s: %w", a.offer, a.responder, err)
		}
		if ans.Outcome == mobilize.AnswerAccepted || ans.Outcome == mobilize.AnswerStaffed {
			e.mu.Lock()
			e.holding[a.responder]++
			if e.holding[a.responder] > e.maxOf[a.responder] {
				e.res.DoubleBookings++
			}
			task := int64(0)
			if r, ok := e.recorded[answerKey{a.responder, a.need}]; ok {
				task = r.TaskMs
			}
			e.pending = append(e.pending, action{at: now.Add(time.Duration(e.taskOf(a.responder, a.need, task)) * time.Millisecond), kind: 1,
				need: a.need, responder: a.responder})
			e.mu.Unlock()
		}
	}
	return nil
}

// finish reads every need's final state from the store.
func (e *engine) finish(ctx context.Context) (Result, error) {
	end := e.clock.Now()
	for _, id := range e.order {
		nr := e.needs[id]
		st, err := e.svc.Need(ctx, mobilize.NeedID(id))
		if err != nil {
			return e.res, fmt.Errorf("replay: read need %s: %w", id, err)
		}
		// The store keeps a need's assignments in no fixed order (offer ids
		// are random), so the travel times are summed sorted: the same
		// figure to the last bit every run.
		var travels []float64
		for _, a := range st.Assignments {
			if a.State != mobilize.AssignAccepted && a.State != mobilize.AssignCompleted {
				continue
			}
			nr.AcceptedCount++
			d, err := e.match.Speeds.TravelTime(a.DistanceMeters, e.match.Mode)
			if err == nil {
				travels = append(travels, d.Seconds())
			}
		}
		slices.Sort(travels)
		if nr.AcceptedCount > 0 {
			nr.TravelS = round(sum(travels) / float64(nr.AcceptedCount))
		}
		if nr.AcceptedCount > nr.Places {
			e.res.OverStaffed++
		}
		if !nr.Staffed {
			nr.StaffedS = end.Sub(e.created[id]).Seconds()
			if !st.Deadline.IsZero() && st.Deadline.Before(end) {
				nr.StaffedS = st.Deadline.Sub(e.created[id]).Seconds()
			}
		}
		if nr.OffersSent == 0 {
			nr.FirstOfferS = nr.StaffedS
		}
		e.res.Needs = append(e.res.Needs, *nr)
	}
	return e.res, nil
}
