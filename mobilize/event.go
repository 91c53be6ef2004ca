package mobilize

import (
	"context"
	"time"

	"github.com/paulmach/orb"
)

// Event is one thing that happened in the mobilisation, told to the world
// through an EventSink. The set is closed: the types below are all there
// is, so an adapter that says them on a wire can switch over every one.
// Events carry domain values; how they are worded for a phone or a
// console is the adapter's business.
//
// An event shares slices and pointers with its emitter (the need's team,
// its supplies): a sink that keeps one past Emit must copy what it keeps.
type Event interface {
	domainEvent()
}

// NeedCreated: a need was filed and is open. It happened at
// Need.CreatedAt.
type NeedCreated struct {
	Need Need
}

// OfferSent: a responder was claimed for one place of a need's team and
// offered it.
type OfferSent struct {
	Need           NeedState // as it was when offered, with its supplies
	Role           Role      // of the place offered
	Offer          OfferID
	Responder      ResponderID
	Reason         Reason
	From           orb.Point // where the responder was; zero when an operator chose them
	DistanceMeters float64
	Expires        time.Time
	At             time.Time
	// Wave is set when the place is offered in a wave (waves.go).
	Wave *Wave
}

// OfferAnswered: an offer was accepted, declined, or lapsed
// (AssignAccepted, AssignDeclined or AssignExpired), or withdrawn
// (AssignWithdrawn) because another member of its wave took the place
// (waves.go). A lapsed or withdrawn offer is gone from the responder's
// phone too.
type OfferAnswered struct {
	Need      NeedID
	Offer     OfferID
	Responder ResponderID
	State     AssignmentState
	At        time.Time
}

// OfferLost: a responder answered an offer the store does not hold (or
// holds for someone else). Redis replicates asynchronously, so an offer
// acknowledged by a master that died before its replica had it is gone
// after a failover while the phone still shows it; the phone is told to
// drop it, and the need, which the store no longer counts as offered, is
// matched again. Need is unknown: the store has nothing to read it from.
type OfferLost struct {
	Offer     OfferID
	Responder ResponderID
	At        time.Time
}

// NeedClosed: a need closed unstaffed or was cancelled (Status), and its
// pending offers were withdrawn.
type NeedClosed struct {
	Need      Need
	Status    NeedStatus // NeedCancelled or NeedUnstaffed
	Withdrawn []Withdrawal
	At        time.Time
}

// TeamStaffed: the last place of a need's team was filled. Team is the
// people who accepted, in the need's order; Withdrawn the offers still
// pending, taken back because the team is full.
type TeamStaffed struct {
	Need      NeedState
	Team      []Assignment
	Withdrawn []Withdrawal
	At        time.Time
}

// TaskCompleted: the team reported the task done.
type TaskCompleted struct {
	Need Need
	At   time.Time
}

// NeedEscalated: a need's scope widened to EscalationSteps[Step], after
// waiting Waited at the step before (whose goal was Goal).
type NeedEscalated struct {
	Need   NeedState
	Step   int
	Reason EscalationReason
	Goal   time.Duration
	Waited time.Duration
	At     time.Time
}

// NeedSupplied: a need's items were reserved at a depot.
type NeedSupplied struct {
	Need     NeedState
	Supplies Supplies // the reservation: where the items wait
	At       time.Time
}

// ResponderMoved: a responder's position or state changed.
type ResponderMoved struct {
	Responder ResponderID
	Role      Role
	Status    Status
	Point     orb.Point
	At        time.Time
}

// Alerted: an operator sent a message to everyone available in an area.
type Alerted struct {
	Alert   string
	To      []ResponderID
	Message string
	At      time.Time
}

// PreAlerted: a Severe or Extreme CAP warning was received (cap.pre_alert
// on) and the available responders inside its area are asked to stand
// by. The push and SMS ladder may carry it beyond the inbox.
type PreAlerted struct {
	Incident IncidentID
	Alert    string // the CAP alert, "sender,identifier"
	To       []ResponderID
	Headline string
	Severity string    // Severe or Extreme
	Expires  time.Time // zero when the warning gives none
	At       time.Time
}

// MemberArrived: a team member reported arriving at the need (Status
// says where, and whether their position confirmed it); To are the other
// members, who are told.
type MemberArrived struct {
	Need   Need
	Status FieldStatus
	To     []ResponderID
	At     time.Time
}

// MemberLeft: a team member reported leaving the need.
type MemberLeft struct {
	Need   Need
	Status FieldStatus
	To     []ResponderID
	At     time.Time
}

// MessagePosted: someone wrote in a need's team thread; To are the
// members it is delivered to (the team but the writer). A message to one
// responder has no need (Need.ID empty) and is told to nobody else.
type MessagePosted struct {
	Need    Need
	Message TeamMessage
	To      []ResponderID
	// Scope is how it reached them: ScopeTeam, ScopeDirect or
	// ScopeBroadcast (broadcast.go).
	Scope string
	// Stored says the recipients' inbox entries are written already
	// (InboxWriter): sinks tell the rest (consoles, push, SMS) and must
	// not write them again.
	Stored bool
}

func (NeedCreated) domainEvent()    {}
func (OfferSent) domainEvent()      {}
func (OfferAnswered) domainEvent()  {}
func (OfferLost) domainEvent()      {}
func (NeedClosed) domainEvent()     {}
func (TeamStaffed) domainEvent()    {}
func (TaskCompleted) domainEvent()  {}
func (NeedEscalated) domainEvent()  {}
func (NeedSupplied) domainEvent()   {}
func (ResponderMoved) domainEvent() {}
func (Alerted) domainEvent()        {}
func (PreAlerted) domainEvent()     {}
func (MemberArrived) domainEvent()  {}
func (MemberLeft) domainEvent()     {}
func (MessagePosted) domainEvent()  {}
func (ThreadRead) domainEvent()     {}

// ThreadRead: a member marked a need's thread read up to a message (the
// read receipt the consoles show).
type ThreadRead struct {
	Need      Need
	Responder ResponderID
	UpTo      string
	At        time.Time
}

// EventSink receives events; cmd wires the notification adapter in as
// one. Emit must not block for long: it is called on the matcher's path.
type EventSink interface {
	Emit(ctx context.Context, e Event)
}

// EventSinkFunc adapts a function to EventSink.
type EventSinkFunc func(ctx context.Context, e Event)

// Emit calls f.
func (f EventSinkFunc) Emit(ctx context.Context, e Event) { f(ctx, e) }

// discard is the sink used when none is given.
var discard = EventSinkFunc(func(context.Context, Event) {})

func (m *Matcher) emitOffer(ctx context.Context, n *NeedState, team int, o OfferRequest, c Candidate, wave *Wave) {
	emitOffer(ctx, m.sink, n, team, o, c, m.now(), wave)
}

func emitOffer(ctx context.Context, sink EventSink, n *NeedState, team int, o OfferRequest, c Candidate, now time.Time, wave *Wave) {
	sink.Emit(ctx, OfferSent{
		Need: *n, Role: n.Team[team].Role, Offer: o.OfferID, Responder: o.Responder, Reason: o.Reason,
		From: c.Point, DistanceMeters: c.DistanceMeters, Expires: now.Add(o.TTL), At: now, Wave: wave,
	})
}

// emitAnswer tells what became of an offer.
func (m *Matcher) emitAnswer(ctx context.Context, a Answer, state AssignmentState) {
	emitAnswer(ctx, m.sink, a, state, m.now())
}

func emitAnswer(ctx context.Context, sink EventSink, a Answer, state AssignmentState, now time.Time) {
	sink.Emit(ctx, OfferAnswered{Need: a.Need, Offer: a.OfferID, Responder: a.Responder, State: state, At: now})
}

// emitClosed tells that a need closed and its offers were withdrawn.
func (m *Matcher) emitClosed(ctx context.Context, n *NeedState, status NeedStatus, c Closed) {
	emitClosed(ctx, m.sink, &n.Need, status, c, m.now())
}

func emitClosed(ctx context.Context, sink EventSink, n *Need, status NeedStatus, c Closed, now time.Time) {
	sink.Emit(ctx, NeedClosed{Need: *n, Status: status, Withdrawn: c.Withdrawn, At: now})
}
