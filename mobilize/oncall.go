package mobilize

import (
	"context"
	"fmt"
	"slices"
	"time"
)

// On-call rosters (issue 20, item 5): an organisation says, date by date,
// who of its members is on call, in which role, from when to when (a
// night duty runs past midnight). Someone is "on call now" when a roster
// entry or one of their weekly shift windows covers the moment; the
// shift loop keeps that set in the store, the matcher reads it once a
// tick and prefers those on it at equal cost.

// OnCallEntry is one person on an organisation's roster for a date, in
// minutes from that date's midnight in the region's zone. To at or before
// From ends on the next day ("18:00" to "08:00").
type OnCallEntry struct {
	Responder ResponderID `json:"responder_id"`
	Role      Role        `json:"role"`
	From      int         `json:"from_minute"`
	To        int         `json:"to_minute"`
}

// DateLayout is how a roster's date is written (in the region's zone).
const DateLayout = "2006-01-02"

// Limits of the rosters.
const (
	MaxOnCallEntries = 500 // one organisation, one date
	MaxOnCallDays    = 31  // one read
	// OnCallKeepDays is how long a date's roster is kept after the date.
	OnCallKeepDays = 7
)

// OnCallStore keeps the rosters and the set of those on call now.
type OnCallStore interface {
	// SetOnCall replaces an organisation's roster for a date (none
	// removes it), kept for keepFor (Redis expires by its own clock, so a
	// duration, not a moment).
	SetOnCall(ctx context.Context, org, date string, es []OnCallEntry, keepFor time.Duration) error
	// OnCall reads one organisation's roster for one date.
	OnCall(ctx context.Context, org, date string) ([]OnCallEntry, error)
	// OnCallOrgs lists the organisations with a roster on a date.
	OnCallOrgs(ctx context.Context, date string) ([]string, error)
	// SetOnCallNow replaces the set of responders on call now.
	SetOnCallNow(ctx context.Context, ids []ResponderID) error
	// OnCallAmong says which of ids are in that set, in one round trip.
	OnCallAmong(ctx context.Context, ids []ResponderID) (map[ResponderID]bool, error)
}

// span is a stretch of time someone is on call.
type span struct{ from, to time.Time }

func (s span) covers(t time.Time) bool { return !t.Before(s.from) && t.Before(s.to) }

func (s span) overlaps(from, to time.Time) bool { return s.from.Before(to) && from.Before(s.to) }

// entrySpan is when an entry of the roster for day (its midnight) runs.
func entrySpan(day time.Time, e OnCallEntry) span {
	from := day.Add(time.Duration(e.From) * time.Minute)
	end := day
	if e.To <= e.From {
		end = time.Date(day.Year(), day.Month(), day.Day()+1, 0, 0, 0, 0, day.Location())
	}
	return span{from, end.Add(time.Duration(e.To) * time.Minute)}
}

// shiftSpans are the weekly windows' stretches that touch [from, to).
func shiftSpans(ws []ShiftWindow, from, to time.Time, zone *time.Location) []span {
	var out []span
	f := from.In(zone)
	for day := time.Date(f.Year(), f.Month(), f.Day()-1, 0, 0, 0, 0, zone); day.Before(to); day = day.AddDate(0, 0, 1) {
		for _, w := range ws {
			if w.Day != day.Weekday() {
				continue
			}
			s := span{day.Add(time.Duration(w.Start) * time.Minute), day.Add(time.Duration(w.End) * time.Minute)}
			if s.overlaps(from, to) {
				out = append(out, s)
			}
		}
	}
	return out
}

// ParseDate reads a roster's date in zone.
func ParseDate(s string, zone *time.Location) (time.Time, error) {
	d, err := time.ParseInLocation(DateLayout, s, zone)
	if err != nil {
		return time.Time{}, fmt.Errorf("date %q is not YYYY-MM-DD: %w", s, ErrInvalid)
	}
	return d, nil
}

// SetOnCall replaces an organisation's roster for a date: the
// organisation must exist and every person be an active member of it, in
// a known role, at most once.
func (s *Service) SetOnCall(ctx context.Context, org, date string, es []OnCallEntry, zone *time.Location) error {
	day, err := ParseDate(date, zone)
	if err != nil {
		return err
	}
	if len(es) > MaxOnCallEntries {
		return fmt.Errorf("on call: more than %d entries: %w", MaxOnCallEntries, ErrInvalid)
	}
	if err := s.knownOrg(ctx, org); err != nil {
		return err
	}
	seen := map[ResponderID]bool{}
	for i, e := range es {
		if _, err := ParseRole(string(e.Role)); err != nil {
			return fmt.Errorf("entries[%d]: %w", i, err)
		}
		if e.From < 0 || e.From >= 24*60 || e.To < 0 || e.To > 24*60 || e.From == e.To {
			return fmt.Errorf("entries[%d]: from 00:00..23:59, to 00:00..24:00, not equal: %w", i, ErrInvalid)
		}
		if seen[e.Responder] {
			return fmt.Errorf("entries[%d]: %s appears twice: %w", i, e.Responder, ErrInvalid)
		}
		seen[e.Responder] = true
		r, _, err := s.store.Responder(ctx, e.Responder)
		if err != nil {
			return fmt.Errorf("entries[%d]: responder %s: %w", i, e.Responder, err)
		}
		if r.OrgID != org {
			return fmt.Errorf("entries[%d]: responder %s is not a member of %s: %w", i, e.Responder, org, ErrInvalid)
		}
	}
	keepFor := day.AddDate(0, 0, OnCallKeepDays+1).Sub(s.now())
	if keepFor <= 0 {
		return fmt.Errorf("on call: %s is more than %d days ago: %w", date, OnCallKeepDays, ErrInvalid)
	}
	if err := s.store.SetOnCall(ctx, org, day.Format(DateLayout), es, keepFor); err != nil {
		return err
	}
	// A roster for now weighs in the next tick, not at the shift loop's
	// next pass.
	_, err = s.RefreshOnCall(ctx, zone)
	return err
}

func (s *Service) knownOrg(ctx context.Context, org string) error {
	link, err := s.store.Linkage(ctx)
	if err != nil {
		return err
	}
	if _, ok := link.Orgs[org]; !ok {
		return fmt.Errorf("organisation %q: %w", org, ErrNotFound)
	}
	return nil
}

// OnCallDates reads an organisation's rosters from one date to another,
// both included (at most MaxOnCallDays); dates without a roster are left
// out.
func (s *Service) OnCallDates(ctx context.Context, org, from, to string, zone *time.Location) (map[string][]OnCallEntry, error) {
	first, err := ParseDate(from, zone)
	if err != nil {
		return nil, err
	}
	last, err := ParseDate(to, zone)
	if err != nil {
		return nil, err
	}
	if last.Before(first) || last.After(first.AddDate(0, 0, MaxOnCallDays-1)) {
		return nil, fmt.Errorf("on call: to must be from..from+%d days: %w", MaxOnCallDays-1, ErrInvalid)
	}
	if err := s.knownOrg(ctx, org); err != nil {
		return nil, err
	}
	out := map[string][]OnCallEntry{}
	for d := first; !d.After(last); d = d.AddDate(0, 0, 1) {
		es, err := s.store.OnCall(ctx, org, d.Format(DateLayout))
		if err != nil {
			return nil, err
		}
		if len(es) > 0 {
			out[d.Format(DateLayout)] = es
		}
	}
	return out, nil
}

// onCallSpan is one person's stretch on call, with the organisation and
// role it counts for.
type onCallSpan struct {
	span
	Responder ResponderID
	Org       string
	Role      Role
}

// onCallSpans gathers every stretch on call that touches [from, to):
// roster entries of the dates from the day before from to the day of to,
// and the weekly windows (counted for the person's organisation and
// role).
func (s *Service) onCallSpans(ctx context.Context, from, to time.Time, zone *time.Location) ([]onCallSpan, error) {
	var out []onCallSpan
	f := from.In(zone)
	for day := time.Date(f.Year(), f.Month(), f.Day()-1, 0, 0, 0, 0, zone); day.Before(to); day = day.AddDate(0, 0, 1) {
		date := day.Format(DateLayout)
		orgs, err := s.store.OnCallOrgs(ctx, date)
		if err != nil {
			return nil, err
		}
		slices.Sort(orgs)
		for _, org := range orgs {
			es, err := s.store.OnCall(ctx, org, date)
			if err != nil {
				return nil, err
			}
			for _, e := range es {
				if sp := entrySpan(day, e); sp.overlaps(from, to) {
					out = append(out, onCallSpan{span: sp, Responder: e.Responder, Org: org, Role: e.Role})
				}
			}
		}
	}
	all, err := s.store.AllShifts(ctx)
	if err != nil {
		return nil, err
	}
	for rid, ws := range all {
		sps := shiftSpans(ws, from, to, zone)
		if len(sps) == 0 {
			continue
		}
		r, _, err := s.store.Responder(ctx, rid)
		if err != nil {
			continue // gone since: their windows say nothing
		}
		for _, sp := range sps {
			out = append(out, onCallSpan{span: sp, Responder: rid, Org: r.OrgID, Role: r.Role})
		}
	}
	return out, nil
}

// RefreshOnCall writes the set of those on call now (a roster entry or a
// weekly window covers the moment), for the matcher; the shift loop
// calls it every pass. It returns how many are on call.
func (s *Service) RefreshOnCall(ctx context.Context, zone *time.Location) (int, error) {
	now := s.now()
	spans, err := s.onCallSpans(ctx, now, now.Add(time.Minute), zone)
	if err != nil {
		return 0, err
	}
	var ids []ResponderID
	for _, sp := range spans {
		if sp.covers(now) && !slices.Contains(ids, sp.Responder) {
			ids = append(ids, sp.Responder)
		}
	}
	return len(ids), s.store.SetOnCallNow(ctx, ids)
}

// OnCallReader is what the matcher asks about who is on call now.
type OnCallReader interface {
	OnCallAmong(ctx context.Context, ids []ResponderID) (map[ResponderID]bool, error)
}

// offCallMillis is the on-call term of the cost: the bonus is added to
// everyone not on call rather than taken from those on call, which
// compares the same and keeps every cost non-negative. One read a tick.
func (m *Matcher) offCallMillis(ctx context.Context, ids []ResponderID) (map[ResponderID]int64, error) {
	bonus := (time.Duration(m.cfg.OnCallBonusMin) * time.Minute).Milliseconds()
	if m.onCall == nil || bonus <= 0 || len(ids) == 0 {
		return nil, nil
	}
	on, err := m.onCall.OnCallAmong(ctx, ids)
	if err != nil {
		return nil, err
	}
	out := make(map[ResponderID]int64, len(ids))
	for _, id := range ids {
		if !on[id] {
			out[id] = bonus
		}
	}
	return out, nil
}
