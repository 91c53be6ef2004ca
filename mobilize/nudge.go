package mobilize

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"slices"
	"time"

	"github.com/paulmach/orb"

	"github.com/liandong/liandong/geo"
)

// Surge nudges (issue 17): after each matcher tick, the places nobody
// could be offered (nobody in reach, all busy, all declined) are counted
// per resolution-7 cell. Those cells are "in surge"; off-duty responders
// near one who opted in (the standby opt-in, standby.go) are asked to go
// on duty, at most once per person per interval, never at night unless a
// place is urgency 1, and each nudge is charged to the alert budget. A
// cell leaves the surge as soon as a tick finds no such place in it, and
// nobody is nudged for it after.

// SurgeResolution is the H3 resolution surges are counted at.
const SurgeResolution = 7

// Shortfall is one team entry a tick could not fully offer, and why.
type Shortfall struct {
	Need    NeedID
	Point   orb.Point
	Urgency int
	Places  int // places of the entry left without an offer this tick
	Reason  Reason
}

// surges reports whether a shortfall reason asks for more people on duty:
// a place taken by a more urgent one would not be helped by them.
func (r Reason) surges() bool {
	return r == ReasonNobodyInRadius || r == ReasonAllBusy || r == ReasonAllDeclined
}

// SurgeCell is one resolution-7 cell in surge.
type SurgeCell struct {
	Cell        geo.Cell
	Point       orb.Point // the cell's centre
	PlacesShort int
	Urgency     int // the most urgent (lowest) among its places
	NudgesSent  int // nudges sent for it since it entered the surge
}

// NudgeCharge is what came of charging one nudge.
type NudgeCharge string

// Nudge charges: sent (and charged), nudged within the interval already,
// or over the hour's alert budget (not sent).
const (
	NudgeSent   NudgeCharge = "sent"
	NudgeRecent NudgeCharge = "recent"
	NudgeOver   NudgeCharge = "over"
)

// SurgeStore keeps the surge cells and charges each nudge.
type SurgeStore interface {
	// SetSurge replaces the cells in surge; a cell that left forgets its
	// count of nudges.
	SetSurge(ctx context.Context, cells []SurgeCell) error
	Surge(ctx context.Context) ([]SurgeCell, error)
	// ChargeNudge sends one nudge unless the person had one within
	// interval or their budget of the hour (0: none) is spent, counting
	// it for the cell, in one step.
	ChargeNudge(ctx context.Context, rid ResponderID, cell geo.Cell, interval time.Duration, budget int) (NudgeCharge, error)
}

// NudgeStore is what the nudger reads and writes.
type NudgeStore interface {
	SurgeStore
	StandbyOptedIn(ctx context.Context) ([]ResponderID, error)
	Get(ctx context.Context, id ResponderID) (Presence, error)
	Deactivation(ctx context.Context, rid ResponderID) (*Deactivation, error)
}

// NudgeConfig tunes surge nudges.
type NudgeConfig struct {
	Enabled     bool
	MinInterval time.Duration // at most one nudge per person per interval
	RadiusM     float64       // how near a short place a person must be
	Night       NightHours    // no nudges then, unless urgency 1
	Zone        *time.Location
	// BudgetPerHour is the alert budget each nudge is charged to (0: none).
	BudgetPerHour int
	// LookEvery spaces the reads of the opted-in people's positions while
	// a surge lasts (0: every tick): a person is nudged once per interval
	// anyway, so reading them four times a second buys nothing.
	LookEvery time.Duration
}

// DefaultNudgeConfig is on, once per two hours, within 3 km.
func DefaultNudgeConfig() NudgeConfig {
	return NudgeConfig{Enabled: true, MinInterval: 2 * time.Hour, RadiusM: 3000, Night: DefaultNightHours, Zone: time.UTC, LookEvery: 5 * time.Second}
}

// Nudged: off-duty responders near a cell in surge were asked to go on
// duty. The push and SMS ladder may carry it beyond the inbox.
type Nudged struct {
	Nudge   string
	Cell    geo.Cell
	Point   orb.Point
	Needs   int // places short in the cell
	Urgency int
	To      []ResponderID
	At      time.Time
}

func (Nudged) domainEvent() {}

// Nudger sends surge nudges after each tick. One goroutine uses it (the
// matcher's): it remembers what it last wrote and when it last looked.
type Nudger struct {
	store NudgeStore
	sink  EventSink
	cfg   NudgeConfig
	now   func() time.Time

	written  []SurgeCell // the surge as last written; nil before the first write
	wroteAt  time.Time
	lastLook time.Time
}

// surgeRewriteEvery rewrites an unchanged surge now and then: another
// process's matcher may have written its own view meanwhile.
const surgeRewriteEvery = 10 * time.Second

// NewNudger builds a nudger on the service's store and events; budget is
// the matcher's alert budget unless cfg says otherwise.
func (s *Service) NewNudger(cfg NudgeConfig) *Nudger {
	if cfg.BudgetPerHour == 0 {
		cfg.BudgetPerHour = s.matcher.cfg.AlertBudgetPerHour
	}
	return NewNudger(s.store, s.sink, cfg, s.now)
}

// NewNudger builds a nudger; a nil sink or clock are none and time.Now.
func NewNudger(store NudgeStore, sink EventSink, cfg NudgeConfig, now func() time.Time) *Nudger {
	if sink == nil {
		sink = discard
	}
	if now == nil {
		now = time.Now
	}
	if cfg.Zone == nil {
		cfg.Zone = time.UTC
	}
	return &Nudger{store: store, sink: sink, cfg: cfg, now: now}
}

// Surge reads the cells in surge (the console's heatmap).
func (s *Service) Surge(ctx context.Context) ([]SurgeCell, error) {
	return s.store.Surge(ctx)
}

// AfterTick records the tick's surge cells and nudges the people near
// them. It returns how many were nudged.
func (n *Nudger) AfterTick(ctx context.Context, short []Shortfall) (int, error) {
	cells, err := surgeCells(short)
	if err != nil {
		return 0, err
	}
	now := n.now()
	if n.written == nil || !slices.Equal(cells, n.written) || now.Sub(n.wroteAt) >= surgeRewriteEvery {
		if err := n.store.SetSurge(ctx, cells); err != nil {
			return 0, err
		}
		n.written, n.wroteAt = append(make([]SurgeCell, 0, len(cells)), cells...), now
	}
	if !n.cfg.Enabled || len(cells) == 0 {
		return 0, nil
	}
	if n.cfg.LookEvery > 0 && !n.lastLook.IsZero() && now.Sub(n.lastLook) < n.cfg.LookEvery {
		return 0, nil
	}
	n.lastLook = now
	people, err := n.offDutyOptedIn(ctx)
	if err != nil {
		return 0, err
	}
	local := now.In(n.cfg.Zone)
	plans := planNudges(cells, short, people, n.cfg.RadiusM, n.cfg.Night.Holds(local.Hour()*60+local.Minute()))
	sent := 0
	for _, p := range plans {
		var to []ResponderID
		for _, rid := range p.to {
			charge, err := n.store.ChargeNudge(ctx, rid, p.cell.Cell, n.cfg.MinInterval, n.cfg.BudgetPerHour)
			if err != nil {
				return sent, err
			}
			if charge == NudgeSent {
				to = append(to, rid)
			}
		}
		if len(to) > 0 {
			sent += len(to)
			n.sink.Emit(ctx, Nudged{Nudge: newNudgeID(), Cell: p.cell.Cell, Point: p.cell.Point, Needs: p.cell.PlacesShort,
				Urgency: p.cell.Urgency, To: to, At: now})
		}
	}
	return sent, nil
}

// offDutyOptedIn are the opted-in responders off duty with a known
// position, not deactivated, in id order.
func (n *Nudger) offDutyOptedIn(ctx context.Context) ([]Presence, error) {
	ids, err := n.store.StandbyOptedIn(ctx)
	if err != nil {
		return nil, err
	}
	slices.Sort(ids)
	var out []Presence
	for _, rid := range ids {
		p, err := n.store.Get(ctx, rid)
		if errors.Is(err, ErrNotFound) {
			continue
		}
		if err != nil {
			return nil, err
		}
		if p.Status != StatusOffDuty || !p.Located {
			continue
		}
		if d, err := n.store.Deactivation(ctx, rid); err != nil {
			return nil, err
		} else if d != nil {
			continue
		}
		out = append(out, p)
	}
	return out, nil
}

func newNudgeID() string {
	var b [8]byte
	rand.Read(b[:])
	return "n" + hex.EncodeToString(b[:])
}
