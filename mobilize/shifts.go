package mobilize

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"time"
)

// Shifts: a responder who opts in gives weekly windows of availability
// (Monday 08:00–12:00, in the region's time zone); at a window's start
// they go on duty by themselves, at its end off duty unless they are on
// a task or hold an offer. Only the edges act: someone who goes off duty
// in the middle of their window stays off until the next start.

// ShiftWindow is one weekly window, in minutes from the day's midnight in
// the region's zone; End is after Start and at most 24:00.
type ShiftWindow struct {
	Day   time.Weekday `json:"day"`
	Start int          `json:"start_minute"`
	End   int          `json:"end_minute"`
}

// MaxShiftWindows bounds one responder's week.
const MaxShiftWindows = 21

// CheckShifts validates a week of windows: each within its day, none
// overlapping another.
func CheckShifts(ws []ShiftWindow) error {
	if len(ws) > MaxShiftWindows {
		return fmt.Errorf("shifts: more than %d windows: %w", MaxShiftWindows, ErrInvalid)
	}
	sorted := slices.Clone(ws)
	slices.SortFunc(sorted, func(a, b ShiftWindow) int { return a.weekMinute() - b.weekMinute() })
	for i, w := range sorted {
		if w.Day < time.Sunday || w.Day > time.Saturday || w.Start < 0 || w.End > 24*60 || w.Start >= w.End {
			return fmt.Errorf("shifts: window %v %d..%d: a day 0..6 and 0 <= start < end <= 1440 minutes: %w", w.Day, w.Start, w.End, ErrInvalid)
		}
		if i > 0 && sorted[i-1].weekMinute()+sorted[i-1].End-sorted[i-1].Start > w.weekMinute() {
			return fmt.Errorf("shifts: windows on %v overlap: %w", w.Day, ErrInvalid)
		}
	}
	return nil
}

func (w ShiftWindow) weekMinute() int { return int(w.Day)*24*60 + w.Start }

// ShiftEdge is what the windows ask of a responder between two moments.
type ShiftEdge int

// Shift edges: none, a window started (go on duty), a window ended (go
// off duty).
const (
	ShiftNone ShiftEdge = iota
	ShiftStart
	ShiftEnd
)

// EdgeBetween is the last window edge in (from, to] in zone, ShiftNone
// when there is none. A window's end at the same moment as the next's
// start (12:00 end, 12:00 start) counts as the start: they stay on duty.
func EdgeBetween(ws []ShiftWindow, from, to time.Time, zone *time.Location) ShiftEdge {
	var last time.Time
	edge := ShiftNone
	note := func(at time.Time, e ShiftEdge) {
		if !at.After(from) || at.After(to) {
			return
		}
		if at.After(last) || (at.Equal(last) && e == ShiftStart) {
			last, edge = at, e
		}
	}
	// Every day the interval touches, from the day before from (a window
	// of that day cannot end later than its midnight, but checking it is
	// cheap) to the day of to; a long gap is capped at a week.
	if to.Sub(from) > 8*24*time.Hour {
		from = to.Add(-8 * 24 * time.Hour)
	}
	day := time.Date(from.In(zone).Year(), from.In(zone).Month(), from.In(zone).Day()-1, 0, 0, 0, 0, zone)
	for ; !day.After(to); day = day.AddDate(0, 0, 1) {
		for _, w := range ws {
			if w.Day != day.Weekday() {
				continue
			}
			note(day.Add(time.Duration(w.Start)*time.Minute), ShiftStart)
			note(day.Add(time.Duration(w.End)*time.Minute), ShiftEnd)
		}
	}
	return edge
}

// ShiftStore keeps the opted-in responders' windows and how far the
// shift loop got.
type ShiftStore interface {
	// SetShifts replaces a responder's windows; none opts them out.
	SetShifts(ctx context.Context, rid ResponderID, ws []ShiftWindow) error
	// Shifts returns a responder's windows (none: not opted in).
	Shifts(ctx context.Context, rid ResponderID) ([]ShiftWindow, error)
	// AllShifts returns every opted-in responder's windows.
	AllShifts(ctx context.Context) (map[ResponderID][]ShiftWindow, error)
	// ShiftsChecked returns when the loop last looked (zero: never) and
	// MarkShiftsChecked records it, so that a restart neither misses nor
	// repeats an edge.
	ShiftsChecked(ctx context.Context) (time.Time, error)
	MarkShiftsChecked(ctx context.Context, at time.Time) error
	// SetDuty puts a responder on or off duty; ShiftOff takes them off
	// unless they hold an offer or an assignment (kept true then).
	SetDuty(ctx context.Context, id ResponderID, onDuty bool) (Status, error)
	ShiftOff(ctx context.Context, id ResponderID) (kept bool, err error)
}

// SetShifts opts a responder in (or out, with no windows).
func (s *Service) SetShifts(ctx context.Context, rid ResponderID, ws []ShiftWindow) error {
	if err := CheckShifts(ws); err != nil {
		return err
	}
	if _, _, err := s.store.Responder(ctx, rid); err != nil {
		return err
	}
	return s.store.SetShifts(ctx, rid, ws)
}

// Shifts returns a responder's windows (none: not opted in).
func (s *Service) Shifts(ctx context.Context, rid ResponderID) ([]ShiftWindow, error) {
	return s.store.Shifts(ctx, rid)
}

// ShiftReport says what one pass of the shift loop did.
type ShiftReport struct {
	// OnDuty: put on duty at a window's start; OffDuty: off duty at its end
	// (those off already included); Kept: left on duty at its end, on a task.
	OnDuty, OffDuty, Kept int
}

// ApplyShifts acts on the window edges since the last pass (at most a
// week back; the first pass only records the time). A deactivated
// responder is not put on duty (the store refuses it).
func (s *Service) ApplyShifts(ctx context.Context, zone *time.Location) (ShiftReport, error) {
	var rep ShiftReport
	now := s.now()
	last, err := s.store.ShiftsChecked(ctx)
	if err != nil {
		return rep, err
	}
	if last.IsZero() {
		return rep, s.markShifts(ctx, now, zone)
	}
	all, err := s.store.AllShifts(ctx)
	if err != nil {
		return rep, err
	}
	for rid, ws := range all {
		switch EdgeBetween(ws, last, now, zone) {
		case ShiftStart:
			if _, err := s.store.SetDuty(ctx, rid, true); err != nil && !isRefusal(err) {
				return rep, err
			} else if err == nil {
				rep.OnDuty++
				s.tellShift(ctx, rid, ShiftStart, now)
			}
		case ShiftEnd:
			kept, err := s.store.ShiftOff(ctx, rid)
			if err != nil && !isRefusal(err) {
				return rep, err
			}
			if kept {
				rep.Kept++
			} else if err == nil {
				rep.OffDuty++
				s.tellShift(ctx, rid, ShiftEnd, now)
			}
		}
	}
	return rep, s.markShifts(ctx, now, zone)
}

// markShifts records the pass, then rewrites who is on call now: marked
// first, so that a failed rewrite (done again by the next pass) never
// makes the edges act twice.
func (s *Service) markShifts(ctx context.Context, now time.Time, zone *time.Location) error {
	if err := s.store.MarkShiftsChecked(ctx, now); err != nil {
		return err
	}
	_, err := s.RefreshOnCall(ctx, zone)
	return err
}

// Shift messages, to the responder's inbox at a window's edge: Chinese
// first, then English, as one text (the inbox shows an alert's text as
// it is).
const (
	ShiftStartedText = "你的值班已开始 / Your shift has started"
	ShiftEndedText   = "你的值班已结束 / Your shift has ended"
)

// tellShift tells a responder that their shift started or ended (one
// alert id per person and edge, so a repeated pass is recognisable).
func (s *Service) tellShift(ctx context.Context, rid ResponderID, e ShiftEdge, at time.Time) {
	kind, text := "shift-start", ShiftStartedText
	if e == ShiftEnd {
		kind, text = "shift-end", ShiftEndedText
	}
	s.sink.Emit(ctx, Alerted{Alert: fmt.Sprintf("%s:%s:%d", kind, rid, at.Unix()/60), To: []ResponderID{rid}, Message: text, At: at})
}

// isRefusal is an error about one responder (gone, deactivated), which
// must not stop the others' shifts.
func isRefusal(err error) bool {
	return errors.Is(err, ErrNotFound) || errors.Is(err, ErrConflict)
}
