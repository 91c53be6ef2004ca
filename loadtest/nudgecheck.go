package loadtest

import (
	"fmt"
	"slices"
	"time"

	"github.com/liandong/liandong/realtime/wire"
)

// Surge nudges in a drill (issue 17): what the phones saw of nudges, when
// the nudged went on duty and were offered places, and what the drill read
// of the cells in surge (GET /api/v1/surge) as it went. The gates speak
// only of that; the server's own counts are not trusted.

// Violation kinds of the nudge gates.
const (
	// kindNudgeMissing: a cell the drill made short got no nudge.
	kindNudgeMissing = "nudge_missing"
	// kindNudgeTooSoon: a person got two nudges within the interval.
	kindNudgeTooSoon = "nudge_too_soon"
	// kindNudgeAfterSurge: a nudge for a cell sent more than one tick
	// after the drill saw the cell's shortfall gone.
	kindNudgeAfterSurge = "nudge_after_surge"
	// kindNudgedNotOffered: fewer of the nudged who went on duty were
	// offered a place than there were places for them.
	kindNudgedNotOffered = "nudged_not_offered"
)

// nudgeSeen is one nudge a phone received: SentAt is the server's sent_at.
type nudgeSeen struct {
	Responder, Nudge, Cell string
	SentAt, At             time.Time
}

// surgeSample is one read of the cells in surge, at the drill's clock.
type surgeSample struct {
	At    time.Time
	Cells map[string]bool
}

// nudgeLedger is the drill's record of surge nudges.
type nudgeLedger struct {
	nudges  []nudgeSeen
	onDuty  map[string]time.Time   // responder -> went on duty after a nudge
	offers  map[string][]time.Time // responder -> offers received
	samples []surgeSample          // in time order
}

func newNudgeLedger() *nudgeLedger {
	return &nudgeLedger{onDuty: map[string]time.Time{}, offers: map[string][]time.Time{}}
}

// NudgeGates are the rules the checks apply: the server's min_interval
// and its tick (the grace after a shortfall ends), the cells the drill
// made short with their places, and the end of the drill's answers
// (people who went on duty after it are not held to being offered).
type NudgeGates struct {
	MinInterval time.Duration
	Tick        time.Duration
	Cells       []string
	Places      int // places the surge called for (0: any number)
	Cutoff      time.Time
}

// NudgeReport is the report's section on surge nudges.
type NudgeReport struct {
	Sent       int `json:"sent"`   // distinct nudges received, per person
	People     int `json:"people"` // distinct people nudged
	WentOnDuty int `json:"went_on_duty"`
	Offered    int `json:"offered"` // of those, offered a place after
	// ToOnDutyS: from the nudge's sent_at to the person's going on duty.
	ToOnDutyS Quantile `json:"to_on_duty_s"`
	// InSurge: cells in surge at each read, in time order.
	InSurge    []int       `json:"in_surge,omitempty"`
	Violations []Violation `json:"violations,omitempty"`
}

// check applies the four gates and computes the figures.
func (l *nudgeLedger) check(g NudgeGates) NudgeReport {
	var rep NudgeReport
	// A reconnect replays an inbox: one nudge counts once per person.
	seen := map[[2]string]bool{}
	byPerson := map[string][]nudgeSeen{}
	byCell := map[string]int{}
	for _, n := range l.nudges {
		k := [2]string{n.Responder, n.Nudge}
		if seen[k] {
			continue
		}
		seen[k] = true
		rep.Sent++
		byPerson[n.Responder] = append(byPerson[n.Responder], n)
		byCell[n.Cell]++
	}
	rep.People = len(byPerson)
	for _, c := range g.Cells {
		if byCell[c] == 0 {
			rep.Violations = append(rep.Violations, Violation{Kind: kindNudgeMissing,
				Detail: fmt.Sprintf("cell %s was made short but no phone got a nudge for it", c)})
		}
	}
	for _, rid := range sortedKeys(byPerson) {
		ns := byPerson[rid]
		slices.SortFunc(ns, func(a, b nudgeSeen) int { return a.SentAt.Compare(b.SentAt) })
		for i := 1; i < len(ns); i++ {
			if gap := ns[i].SentAt.Sub(ns[i-1].SentAt); gap < g.MinInterval {
				rep.Violations = append(rep.Violations, Violation{Kind: kindNudgeTooSoon, Responder: rid, At: stamp(ns[i].SentAt),
					Detail: fmt.Sprintf("nudge %s came %s after nudge %s; the interval is %s", ns[i].Nudge, gap, ns[i-1].Nudge, g.MinInterval)})
			}
		}
		for _, n := range ns {
			if ended, ok := l.endedBefore(n.Cell, n.SentAt, g.Tick); ok {
				rep.Violations = append(rep.Violations, Violation{Kind: kindNudgeAfterSurge, Responder: rid, At: stamp(n.SentAt),
					Detail: fmt.Sprintf("nudge %s for cell %s sent after its shortfall was seen gone at %s", n.Nudge, n.Cell, stamp(ended))})
			}
		}
	}
	var toDuty []float64
	var notOffered []string // went on duty before the cutoff, never offered
	for _, rid := range sortedKeys(l.onDuty) {
		at := l.onDuty[rid]
		ns := byPerson[rid]
		if len(ns) == 0 {
			continue // on duty without a nudge is not the nudge's doing
		}
		rep.WentOnDuty++
		if first := ns[0].SentAt; !first.IsZero() && !at.Before(first) {
			toDuty = append(toDuty, at.Sub(first).Seconds())
		}
		offered := slices.ContainsFunc(l.offers[rid], func(t time.Time) bool { return !t.Before(at) })
		if offered {
			rep.Offered++
		} else if g.Cutoff.IsZero() || at.Before(g.Cutoff) {
			notOffered = append(notOffered, rid)
		}
	}
	// More may answer a nudge than there are places: everyone who came is
	// owed an offer only while places are left for them.
	owed := rep.Offered + len(notOffered)
	if g.Places > 0 {
		owed = min(owed, g.Places)
	}
	if rep.Offered < owed {
		for _, rid := range notOffered[:owed-rep.Offered] {
			rep.Violations = append(rep.Violations, Violation{Kind: kindNudgedNotOffered, Responder: rid, At: stamp(l.onDuty[rid]),
				Detail: fmt.Sprintf("went on duty after a nudge and was never offered a place; %d offered for %d places", rep.Offered, g.Places)})
		}
	}
	rep.ToOnDutyS = quantile(toDuty)
	for _, s := range l.samples {
		rep.InSurge = append(rep.InSurge, len(s.Cells))
	}
	return rep
}

// endedBefore reports whether the drill saw cell's shortfall gone more
// than one tick before sent, and not back in surge since: the last read
// before sent-tick lacks the cell and no read after it, up to one
// tick past sent, has it. A cell the drill never read is given the
// benefit of the doubt.
func (l *nudgeLedger) endedBefore(cell string, sent time.Time, tick time.Duration) (time.Time, bool) {
	last := -1
	for i, s := range l.samples {
		if !s.At.Before(sent.Add(-tick)) {
			break
		}
		last = i
	}
	if last < 0 || l.samples[last].Cells[cell] {
		return time.Time{}, false
	}
	for _, s := range l.samples[last+1:] {
		if s.At.After(sent.Add(tick)) {
			break
		}
		if s.Cells[cell] {
			return time.Time{}, false
		}
	}
	// The cell must have been in surge at some read before: a cell never
	// seen in surge was short between reads, which proves nothing.
	for _, s := range l.samples[:last] {
		if s.Cells[cell] {
			return l.samples[last].At, true
		}
	}
	return time.Time{}, false
}

// applyNudge records a nudge received or an on-duty sent; the caller
// holds l.mu.
func (l *Ledger) applyNudge(ev Event, at time.Time) {
	if l.nudge == nil {
		l.nudge = newNudgeLedger()
	}
	switch ev.Kind {
	case evNudge:
		l.nudge.nudges = append(l.nudge.nudges, nudgeSeen{Responder: ev.Responder, Nudge: ev.Nudge, Cell: ev.Info,
			SentAt: fromNanos(ev.ServerTS), At: at})
	case evOnDuty:
		if prev, ok := l.nudge.onDuty[ev.Responder]; !ok || at.Before(prev) {
			l.nudge.onDuty[ev.Responder] = at
		}
	}
}

// SurgeRead records one read of the cells in surge.
func (l *Ledger) SurgeRead(at time.Time, cells []string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.nudge == nil {
		l.nudge = newNudgeLedger()
	}
	s := surgeSample{At: at, Cells: map[string]bool{}}
	for _, c := range cells {
		s.Cells[c] = true
	}
	i, _ := slices.BinarySearchFunc(l.nudge.samples, at, func(x surgeSample, t time.Time) int { return x.At.Compare(t) })
	l.nudge.samples = slices.Insert(l.nudge.samples, i, s)
}

// nudgeReport checks the surge nudges; nil when the drill saw none and
// read no surge.
func (l *Ledger) nudgeReport(g NudgeGates) *NudgeReport {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.nudge == nil {
		if len(g.Cells) == 0 {
			return nil
		}
		l.nudge = newNudgeLedger()
	}
	l.nudge.offers = map[string][]time.Time{}
	for rid, p := range l.people {
		for _, o := range p.offers {
			if !o.Received.IsZero() {
				l.nudge.offers[rid] = append(l.nudge.offers[rid], o.Received)
			}
		}
	}
	rep := l.nudge.check(g)
	return &rep
}

// onNudge records a nudge and, for the behaviour's share, goes on duty
// after a think time, as the nudge's one action does.
func (ph *phone) onNudge(m wire.Nudge, now time.Time) {
	ph.emit(Event{Kind: evNudge, At: now.UnixNano(), ServerTS: nanos(parseTS(m.SentAt)), Nudge: m.NudgeID, Info: m.Cell})
	ph.mu.Lock()
	dup := ph.seen["nudge:"+m.NudgeID]
	ph.seen["nudge:"+m.NudgeID] = true
	goes := ph.rng.Float64() < ph.kit.behaviour.NudgeOnDuty
	think := ph.kit.behaviour.Think.Sample(ph.rng)
	ph.mu.Unlock()
	if dup || !goes {
		return
	}
	ph.after(think, func() {
		ph.deliver(outMsg{typ: wire.TypeStatus, data: wire.Status{Status: "available"}, ev: Event{Kind: evOnDuty, Nudge: m.NudgeID}})
	})
}

// Count is how many violations of kind the gates found.
func (r NudgeReport) Count(kind string) int {
	n := 0
	for _, v := range r.Violations {
		if v.Kind == kind {
			n++
		}
	}
	return n
}

// SurgeTrace writes the cells in surge per read with runs merged, e.g.
// "0×3 1×2 0×52".
func (r NudgeReport) SurgeTrace() string {
	var b []byte
	for i := 0; i < len(r.InSurge); {
		j := i
		for j < len(r.InSurge) && r.InSurge[j] == r.InSurge[i] {
			j++
		}
		if len(b) > 0 {
			b = append(b, ' ')
		}
		b = fmt.Appendf(b, "%d×%d", r.InSurge[i], j-i)
		i = j
	}
	return string(b)
}

// nudgesSeen is a copy of the nudges the phones received.
func (l *Ledger) nudgesSeen() []nudgeSeen {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.nudge == nil {
		return nil
	}
	return slices.Clone(l.nudge.nudges)
}
