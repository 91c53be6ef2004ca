package demo

import (
	"context"
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"time"

	"github.com/paulmach/orb"
	"go.uber.org/zap"

	"github.com/liandong/liandong/mobilize"
)

// simulation is one run of the demo: its people answer, work, move and
// take breaks, and needs arrive. One goroutine runs it, so its fields
// need no lock.
type simulation struct {
	*Demo
	city  *city
	rng   *rand.Rand
	runID string // this run's claim (Records.Claim)

	later    []action                      // what the people will do, in no order
	busy     map[mobilize.ResponderID]bool // offered or working: they neither move off duty nor rest
	resting  map[mobilize.ResponderID]bool
	nextNeed time.Time
	nextMove time.Time
	needs    int
}

type action struct {
	at time.Time
	do func(ctx context.Context) error
}

// Need categories and what each asks for: the team and, sometimes, items.
var needKinds = []struct {
	category string
	zh, en   string
	team     []mobilize.TeamSlot
	items    []mobilize.ItemCount
}{
	{"welfare_check", "独居老人上门探访", "a visit to an elderly person living alone", []mobilize.TeamSlot{{Role: mobilize.RoleVolunteer, Count: 1}}, nil},
	{"elderly_checkin", "高龄老人电话未接，请上门确认", "an elderly person does not answer the phone; please check", []mobilize.TeamSlot{{Role: mobilize.RoleCommunityWorker, Count: 1}}, nil},
	{"food_delivery", "送一份食品包", "deliver a food parcel", []mobilize.TeamSlot{{Role: mobilize.RoleVolunteer, Count: 1}}, []mobilize.ItemCount{{Item: mobilize.ItemFoodParcel, Count: 1}}},
	{"medicine_delivery", "代购并送药上门", "fetch and deliver medicine", []mobilize.TeamSlot{{Role: mobilize.RoleVolunteer, Count: 1}}, []mobilize.ItemCount{{Item: mobilize.ItemMedicineKit, Count: 1}}},
	{"mental_health", "独居居民情绪低落，需要陪伴", "a resident living alone is low and needs company", []mobilize.TeamSlot{{Role: mobilize.RoleSocialWorker, Count: 1}, {Role: mobilize.RoleVolunteer, Count: 1}}, nil},
	{"medical", "老人跌倒，需要医护人员查看", "an elderly person fell and needs a medic", []mobilize.TeamSlot{{Role: mobilize.RoleMedic, Count: 1}, {Role: mobilize.RoleVolunteer, Count: 1}}, nil},
}

// urgencies: mostly routine, rarely life-threatening.
var urgencyShares = []float64{0.05, 0.2, 0.45, 0.3} // urgency 1..4

func (s *simulation) run(ctx context.Context) {
	s.busy, s.resting = map[mobilize.ResponderID]bool{}, map[mobilize.ResponderID]bool{}
	now := time.Now()
	for range s.opts.FirstNeeds {
		s.fileNeed(ctx)
	}
	s.nextNeed, s.nextMove = now.Add(s.jitter(s.opts.NeedEvery)), now.Add(s.opts.MoveEvery)
	tick := time.NewTicker(min(s.opts.AcceptAfter, s.opts.MoveEvery, s.opts.NeedEvery, 250*time.Millisecond) / 2)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case e := <-s.events:
			s.react(e)
		case now := <-tick.C:
			if !s.step(ctx, now) {
				s.live.Store(false)
				s.log.Info("demo removed by another process: this one stops simulating")
				return
			}
		}
	}
}

// jitter spreads a mean duration over half to one and a half times it, as
// people and the world do.
func (s *simulation) jitter(mean time.Duration) time.Duration {
	return time.Duration(float64(mean) * (0.5 + s.rng.Float64()))
}

func (s *simulation) after(mean time.Duration, do func(ctx context.Context) error) {
	s.later = append(s.later, action{at: time.Now().Add(s.jitter(mean)), do: do})
}

// react plans a person's answer to what happened to them.
func (s *simulation) react(e mobilize.Event) {
	switch e := e.(type) {
	case mobilize.OfferSent:
		rid, offer := e.Responder, e.Offer
		// The demo's people serve the demo's needs only: an operator's
		// real need is declined at once, so it moves on to real people.
		accept := IsDemo(string(e.Need.ID)) && s.rng.Float64() < s.opts.AcceptShare
		delay := s.opts.AcceptAfter
		if !IsDemo(string(e.Need.ID)) {
			delay = time.Millisecond
		}
		s.busy[rid] = true
		s.after(delay, func(ctx context.Context) error {
			_, err := s.svc.Respond(ctx, rid, offer, accept)
			if !accept || err != nil {
				delete(s.busy, rid) // declined, or the offer was gone
			}
			return err
		})
	case mobilize.TeamStaffed:
		id, team := e.Need.ID, e.Team
		s.after(s.opts.CompleteAfter, func(ctx context.Context) error {
			for _, a := range team {
				delete(s.busy, a.ResponderID)
				if err := s.svc.Complete(ctx, id, a.ResponderID); err != nil && !ignorable(err) {
					return err
				}
			}
			return nil
		})
	}
}

// step does what is due: planned answers, a new need, a round of moves.
// It answers false once the demo was removed (by any process).
func (s *simulation) step(ctx context.Context, now time.Time) bool {
	due := s.later[:0:0]
	rest := s.later[:0]
	for _, a := range s.later {
		if now.Before(a.at) {
			rest = append(rest, a)
		} else {
			due = append(due, a)
		}
	}
	s.later = rest
	for _, a := range due {
		if err := a.do(ctx); err != nil && !ignorable(err) && ctx.Err() == nil {
			s.log.Warn("demo step failed", zap.Error(err))
		}
	}
	if now.After(s.nextNeed) || now.After(s.nextMove) {
		if current, err := s.records.Current(ctx, s.runID); err == nil && !current {
			return false
		}
	}
	if now.After(s.nextNeed) {
		s.fileNeed(ctx)
		s.nextNeed = now.Add(s.jitter(s.opts.NeedEvery))
	}
	if now.After(s.nextMove) {
		s.moveSome(ctx)
		s.nextMove = now.Add(s.opts.MoveEvery)
	}
	return true
}

// fileNeed files one need in a random community, marked as the demo's.
func (s *simulation) fileNeed(ctx context.Context) {
	k := needKinds[s.rng.IntN(len(needKinds))]
	urgency := 4
	for x, i := s.rng.Float64(), 0; i < len(urgencyShares); i++ {
		if x < urgencyShares[i] {
			urgency = i + 1
			break
		}
		x -= urgencyShares[i]
	}
	where := s.city.communities[s.rng.IntN(len(s.city.communities))]
	s.needs++
	n := mobilize.Need{
		ID:          mobilize.NeedID(fmt.Sprintf("%sn%d-%04x", Prefix, s.needs, s.rng.Uint32()&0xffff)),
		Urgency:     urgency,
		Category:    k.category,
		Point:       where.randomPoint(s.rng),
		Team:        slices.Clone(k.team),
		Description: "【演示 Demo】" + k.zh + " / " + k.en,
		OrgID:       s.city.committee[where.id],
	}
	if s.city.depots > 0 {
		n.Items = slices.Clone(k.items)
	}
	if err := s.records.Track(ctx, KindNeed, string(n.ID)); err != nil {
		s.log.Warn("demo need not tracked, not filed", zap.Error(err))
		return
	}
	if _, err := s.svc.CreateNeed(ctx, n); err != nil && ctx.Err() == nil {
		s.log.Warn("demo need refused", zap.String("need_id", string(n.ID)), zap.Error(err))
	}
}

// moveSome moves a fifth of the idle people a few dozen metres, and now and
// then lets one take a break (off duty) or come back from one.
func (s *simulation) moveSome(ctx context.Context) {
	for i := range s.city.people {
		p := &s.city.people[i]
		if s.busy[p.id] || s.resting[p.id] || s.rng.IntN(5) != 0 {
			continue
		}
		p.point = step(p.point, 20+s.rng.Float64()*60, s.rng.Float64()*2*math.Pi)
		if !p.home.contains(p.point) {
			p.point = p.home.randomPoint(s.rng)
		}
		if err := s.svc.Locate(ctx, p.id, p.point); err != nil && ctx.Err() == nil {
			s.log.Debug("demo move refused", zap.Error(err))
		}
	}
	p := s.city.people[s.rng.IntN(len(s.city.people))]
	switch {
	case s.busy[p.id]:
	case s.resting[p.id]:
		delete(s.resting, p.id)
		s.svc.SetDuty(ctx, p.id, true)
		s.svc.Locate(ctx, p.id, p.point)
	case s.rng.IntN(3) == 0:
		s.resting[p.id] = true
		s.svc.SetDuty(ctx, p.id, false)
	}
}

func (p place) contains(pt orb.Point) bool {
	if p.id == "" {
		return p.box.Contains(pt)
	}
	return p.area.Contains(pt)
}

// step moves a point by metres in a direction (flat earth: tens of metres).
func step(p orb.Point, metres, angle float64) orb.Point {
	const perDegLat = 111_320.0
	dLat := metres * math.Cos(angle) / perDegLat
	dLng := metres * math.Sin(angle) / (perDegLat * math.Cos(p[1]*math.Pi/180))
	return orb.Point{p[0] + dLng, p[1] + dLat}
}
