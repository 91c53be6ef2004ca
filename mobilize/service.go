package mobilize

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"time"

	"github.com/paulmach/orb"

	"github.com/liandong/liandong/geo"
)

// Store is what the service needs of the live state: matching, the
// reads it hands through, and one part per group of use cases, each
// declared beside the methods that use it.
type Store interface {
	MatchStore
	SupplyStore
	ReliabilityStore
	Reads
	PresenceStore
	RosterStore
	AdminStore
	PrivacyStore  // privacy.go
	IncidentStore // incident.go
	FieldStore    // field.go
	MessageStore  // message.go
	ReviewStore   // review.go

	// Volunteers joining by invitation (invitation.go, application.go).
	InvitationStore

	ExportStore  // export.go
	SitrepStore  // sitrep.go
	OnCallStore  // oncall.go
	StandbyStore // standby.go
	SurgeStore   // nudge.go
	CreateNeed(ctx context.Context, n Need) (bool, error)
	Answer(ctx context.Context, offerID OfferID, rid ResponderID, verb string) (Answer, error)
	Complete(ctx context.Context, id NeedID, rid ResponderID) (CompleteOutcome, time.Time, error)
	AvailableIn(ctx context.Context, cells []geo.Cell, roles []Role) ([]Candidate, error)
	// Resolution is the H3 resolution of the live index.
	Resolution() int
}

// Service is the application layer: every use case of the mobilisation
// (needs in, offers out, answers back, and the staff's changes) is one of
// its methods, the same call whichever door (HTTP or websocket) it came
// through. Reads are answered straight from the store.
type Service struct {
	Reads
	store   Store
	sink    EventSink
	matcher *Matcher
	esc     *Escalator // nil: no areas, every need in the city pool
	dups    DuplicateConfig
	now     func() time.Time
	cap     CAPConfig

	field    FieldConfig   // field.go
	messages MessageConfig // message.go

	broadcasts BroadcastConfig // broadcast.go
	inboxes    InboxWriter     // message.go; nil: messages go by the sink alone
}

// ServiceDeps are what the service is built from. Store is required; a
// nil Escalator means no escalation (every need in the city pool), and
// Off says so for the start-up log.
type ServiceDeps struct {
	Store     Store
	Sink      EventSink  // nil: events go nowhere
	Escalator *Escalator // nil: needs are not routed to communities nor escalated
	Now       func() time.Time
	CAP       CAPConfig // what CAP warnings do beyond incidents
	// Field and Messages tune the on-scene rules and the team threads;
	// zero: the defaults.
	Field    FieldConfig
	Messages MessageConfig
	// Broadcasts bounds messages to everyone in an area (broadcast.go).
	Broadcasts BroadcastConfig
	// Duplicates says when a new need is flagged as a possible duplicate
	// (duplicates.go); a zero radius or window flags none.
	Duplicates DuplicateConfig
	// Acceptance measures how offers are answered, for offer waves
	// (waves.go); nil: every place is offered to one person at a time.
	Acceptance AcceptanceStore
	// Lease is the region's matcher lease (MatcherDeps.Lease); nil: the
	// matcher runs unleased.
	Lease Lease
	// Inboxes stores a staff message in its recipients' inboxes before
	// the sender is answered (message.go); nil: the sink delivers it
	// after, and a crash in between loses it.
	Inboxes InboxWriter
}

// NewService builds the service and its matcher. The matcher reserves
// items and weighs reliability through the store; the escalator, when
// there is one, routes needs and scopes the matcher's offers.
func NewService(d ServiceDeps, cfg MatchConfig) *Service {
	if d.Sink == nil {
		d.Sink = discard
	}
	if d.Now == nil {
		d.Now = time.Now
	}
	md := MatcherDeps{Store: d.Store, Sink: d.Sink, Supplies: d.Store, Reliability: d.Store, OnCall: d.Store, Now: d.Now, Acceptance: d.Acceptance, Lease: d.Lease}
	if d.Escalator != nil {
		md.Scoper = d.Escalator // a nil *Escalator must not become a non-nil Scoper
	}
	return &Service{Reads: d.Store, store: d.Store, sink: d.Sink, matcher: NewMatcher(md, cfg), esc: d.Escalator, now: d.Now,
		cap: d.CAP, field: d.Field, messages: d.Messages, broadcasts: d.Broadcasts, dups: d.Duplicates, inboxes: d.Inboxes}
}

// Off names the features this service runs without, for one line in the
// log at start: a feature switched off by configuration should be seen.
func (s *Service) Off() []string {
	var off []string
	if s.esc == nil {
		off = append(off, "escalation (no escalator)")
	}
	if s.matcher.cfg.PenaltyUnreliable <= 0 {
		off = append(off, "reliability penalty (matching.penalty_unreliable is 0)")
	}
	if s.matcher.cfg.AlertBudgetPerHour <= 0 {
		off = append(off, "alert budget (matching.alert_budget_per_hour is 0)")
	}
	if s.matcher.acceptance == nil {
		off = append(off, "offer waves (no acceptance store)")
	}
	if s.inboxes == nil {
		off = append(off, "messages stored before the answer (no inbox writer)")
	}
	return off
}

// Matcher is the service's matcher, for Run and Tick.
func (s *Service) Matcher() *Matcher { return s.matcher }

func newNeedID() NeedID {
	var b [10]byte
	rand.Read(b[:])
	return NeedID("n" + hex.EncodeToString(b[:]))
}

// CreateNeed validates and stores a need as open, tells the consoles, and
// starts a tick at once for a life-threatening one. A need from outside
// the staff (its Source) waits in pending_review instead (CreateIntake).
func (s *Service) CreateNeed(ctx context.Context, n Need) (NeedState, error) {
	return s.CreateIntake(ctx, n, false)
}

// CreateIntake is CreateNeed for a need from any door: trusted says its
// sender (a trusted partner) may skip review. Either way a possible
// duplicate of a need already known is flagged (duplicates.go).
func (s *Service) CreateIntake(ctx context.Context, n Need, trusted bool) (NeedState, error) {
	if n.Source == "" {
		n.Source = SourceStaff
	}
	if n.Unplaced && n.Source == SourceStaff {
		return NeedState{}, fmt.Errorf("need: staff place a need on the map: %w", ErrInvalid)
	}
	if err := n.Validate(); err != nil {
		return NeedState{}, err
	}
	if err := geo.ValidPoint(n.Point); err != nil {
		return NeedState{}, fmt.Errorf("need: %w: %w", err, ErrInvalid)
	}
	if n.ID == "" {
		n.ID = newNeedID()
	}
	n.Status, n.CreatedAt, n.Assignments = reviewStatus(n, trusted), s.now().UTC().Truncate(time.Millisecond), nil
	if err := s.flagDuplicates(ctx, &n); err != nil {
		return NeedState{}, err
	}
	if s.esc != nil && !n.Unplaced {
		c, err := s.esc.Route(ctx, n.Point)
		if err != nil {
			return NeedState{}, err
		}
		n.Community = c
	}
	incident, err := s.incidentOf(ctx, n)
	if err != nil {
		return NeedState{}, err
	}
	n.IncidentID = incident
	created, err := s.store.CreateNeed(ctx, n)
	if err != nil {
		return NeedState{}, err
	}
	if !created {
		return NeedState{}, fmt.Errorf("create need %s: %w", n.ID, ErrConflict)
	}
	if n.IncidentID != "" {
		// After the need exists, so an incident never counts a need that
		// is not; a crash between leaves the need naming its incident
		// and uncounted (the need's own field is the truth).
		if err := s.store.AddIncidentNeed(ctx, n.IncidentID, n.ID); err != nil {
			return NeedState{}, err
		}
	}
	// The store gave the need its short number: the consoles name it by
	// that, so read it back before telling them (without it if the read
	// fails: the need exists either way).
	st, err := s.store.Need(ctx, n.ID)
	if err == nil {
		n.Number = st.Number
	}
	if n.Status == NeedOpen { // a pending need is told when approved
		s.sink.Emit(ctx, NeedCreated{Need: n})
	}
	switch {
	case n.Status != NeedOpen:
	case n.Urgency == 1:
		s.matcher.Wake()
	default:
		s.matcher.NeedArrived() // matched in the next micro-batch
	}
	return st, err
}

// answerErrors maps refused answers to domain errors.
var answerErrors = map[AnswerOutcome]error{
	AnswerUnknownOffer: ErrNotFound,
	AnswerNotYours:     ErrNotFound, // do not tell a stranger the offer exists
	AnswerNotPending:   ErrInvalidTransition,
	AnswerExpired:      ErrInvalidTransition,
	AnswerSlotClosed:   ErrInvalidTransition,
}

// Respond applies a responder's accept or decline of an offer.
func (s *Service) Respond(ctx context.Context, rid ResponderID, offerID OfferID, accept bool) (Answer, error) {
	verb := "decline"
	if accept {
		verb = "accept"
	}
	a, err := s.store.Answer(ctx, offerID, rid, verb)
	if err != nil {
		return a, err
	}
	// The answer is stored: what follows must not depend on the caller
	// staying (a phone losing the network right after its accept, an HTTP
	// client giving up), or a team it staffed would never be told.
	ctx = context.WithoutCancel(ctx)
	now := s.now()
	switch a.Outcome {
	case AnswerAccepted, AnswerStaffed:
		emitAnswer(ctx, s.sink, a, AssignAccepted, now)
		emitWaveWithdrawn(ctx, s.sink, a, now)
	case AnswerDeclined:
		emitAnswer(ctx, s.sink, a, AssignDeclined, now)
	case AnswerUnknownOffer, AnswerNotYours:
		// The phone holds an offer the store does not: lost in a Redis
		// failover (or never this responder's). Either way it must go from
		// the phone; both outcomes are told alike so that the withdrawal
		// does not tell a stranger whether someone else's offer exists.
		s.sink.Emit(ctx, OfferLost{Offer: offerID, Responder: rid, At: now})
		s.matcher.Wake()
	case AnswerExpired, AnswerSlotClosed:
		emitAnswer(ctx, s.sink, a, AssignExpired, now)
	}
	if a.Outcome == AnswerDeclined {
		s.matcher.Wake()
	}
	if a.Outcome == AnswerStaffed {
		if err := s.announceStaffed(ctx, a); err != nil {
			return a, err
		}
	}
	if e, refused := answerErrors[a.Outcome]; refused {
		return a, fmt.Errorf("%s offer %s: %s: %w", verb, offerID, a.Outcome, e)
	}
	return a, nil
}

// announceStaffed tells that the need is staffed: the team who accepted,
// and the offers withdrawn because it is full.
func (s *Service) announceStaffed(ctx context.Context, a Answer) error {
	n, err := s.staffedNeed(ctx, a.Need)
	if err != nil {
		// %v: the accept is stored, so this is no "unavailable, nothing
		// changed, send it again" for the caller; it is an error to log.
		return fmt.Errorf("need %s staffed but its team not told: %v", a.Need, err)
	}
	var team []Assignment
	for _, as := range n.Assignments {
		if as.State == AssignAccepted {
			team = append(team, as)
		}
	}
	s.sink.Emit(ctx, TeamStaffed{Need: n, Team: team, Withdrawn: a.Withdrawn, At: s.now()})
	return nil
}

// announceReads bounds the reads of a need just staffed: its team hears of
// it only from announceStaffed, so a brief outage is waited out.
const announceReads = 5

func (s *Service) staffedNeed(ctx context.Context, id NeedID) (NeedState, error) {
	for attempt := 1; ; attempt++ {
		n, err := s.store.Need(ctx, id)
		if err == nil || attempt == announceReads || !errors.Is(err, ErrUnavailable) {
			return n, err
		}
		time.Sleep(time.Duration(attempt) * 100 * time.Millisecond)
	}
}

// Cancel withdraws every offer of a need and releases its people.
func (s *Service) Cancel(ctx context.Context, id NeedID) (NeedState, error) {
	c, err := s.store.Close(ctx, id, NeedCancelled)
	if err != nil {
		return NeedState{}, err
	}
	switch c.Outcome {
	case CloseUnknownNeed:
		return NeedState{}, fmt.Errorf("cancel need %s: %w", id, ErrNotFound)
	case CloseAlreadyClosed:
		return NeedState{}, fmt.Errorf("cancel need %s: already closed: %w", id, ErrInvalidTransition)
	}
	n, err := s.store.Need(ctx, id)
	if err != nil {
		return NeedState{}, err
	}
	emitClosed(ctx, s.sink, &n.Need, NeedCancelled, c, s.now())
	return n, nil
}

// Complete records that a team member finished the task.
func (s *Service) Complete(ctx context.Context, id NeedID, rid ResponderID) error {
	outcome, _, err := s.store.Complete(ctx, id, rid)
	if err != nil {
		return err
	}
	switch outcome {
	case CompleteUnknownNeed, CompleteNotOnTeam:
		return fmt.Errorf("complete need %s: %s: %w", id, outcome, ErrNotFound)
	case CompleteNotStaffed:
		return fmt.Errorf("complete need %s: not staffed: %w", id, ErrInvalidTransition)
	case CompleteNeedCompleted:
		n, err := s.store.Need(ctx, id)
		if err != nil {
			return err
		}
		s.sink.Emit(ctx, TaskCompleted{Need: n.Need, At: s.now()})
	}
	return nil
}

// Moved tells the consoles where a responder is now and in what state, for
// the live map (a "responder.moved" event).
func (s *Service) Moved(ctx context.Context, rid ResponderID, role Role, status Status, at time.Time, p orb.Point) {
	s.sink.Emit(ctx, ResponderMoved{Responder: rid, Role: role, Status: status, Point: p, At: at})
}

// ReasonOperator marks an offer an operator chose by hand.
const ReasonOperator Reason = "operator_choice"

// Assign offers one open place of the need to a person an operator chose,
// bypassing the matcher's choice but not its rules: the person must be
// available, of the place's role and not asked before for this need, and
// hold the place's required skills with current certifications unless
// overrideSkills says the operator takes that on (the edge audits why).
// The offer lives as long as the matcher's.
func (s *Service) Assign(ctx context.Context, id NeedID, rid ResponderID, role Role, overrideSkills bool) (NeedState, error) {
	who, err := s.store.Get(ctx, rid)
	if err != nil {
		return NeedState{}, err
	}
	n, err := s.store.Need(ctx, id)
	if err != nil {
		return NeedState{}, err
	}
	if !n.Status.Active() {
		return NeedState{}, fmt.Errorf("assign to need %s: it is %s: %w", id, n.Status, ErrInvalidTransition)
	}
	// The first open place the person is qualified for; failing that, the
	// first open place at all, whose missing skills the refusal names.
	team, firstOpen := -1, -1
	var missing []string
	for i, t := range n.Team {
		if (role != "" && t.Role != role) || n.Open(i) <= 0 {
			continue
		}
		lacks := MissingSkills(who.Skills, t.Skills, s.now())
		if len(lacks) == 0 {
			team = i
			break
		}
		if firstOpen < 0 {
			firstOpen, missing = i, lacks
		}
	}
	switch {
	case team >= 0:
	case firstOpen < 0:
		return NeedState{}, fmt.Errorf("assign to need %s: no open place for role %q: %w", id, role, ErrConflict)
	case !overrideSkills:
		return NeedState{}, fmt.Errorf("assign %s to need %s: %w", rid, id, &MissingSkillsError{Skills: missing})
	default:
		team = firstOpen
	}
	dist := 0.0
	if who.Located {
		dist = geo.DistanceMeters(n.Point, who.Point)
	}
	o := OfferRequest{OfferID: newOfferID(), Need: id, TeamIndex: team, Responder: rid, TTL: s.matcher.cfg.OfferTTL, DistanceMeters: dist, Reason: ReasonOperator, Fence: NoFence}
	outs, err := s.store.OfferMany(ctx, []OfferRequest{o})
	if err != nil {
		return NeedState{}, err
	}
	switch outs[0] {
	case OfferOK:
	case OfferUnknownResponder:
		return NeedState{}, fmt.Errorf("assign %s: %w", rid, ErrNotFound)
	default:
		return NeedState{}, fmt.Errorf("assign %s to need %s: %s: %w", rid, id, outs[0], ErrConflict)
	}
	emitOffer(ctx, s.sink, &n, team, o, Candidate{ID: rid, DistanceMeters: o.DistanceMeters}, s.now(), nil)
	return s.store.Need(ctx, id)
}

// Alert sends a message to each responder's durable inbox: the operator
// drew an area and mobilised everyone available in it.
func (s *Service) Alert(ctx context.Context, alertID string, to []ResponderID, message string) {
	if len(to) == 0 {
		return
	}
	s.sink.Emit(ctx, Alerted{Alert: alertID, To: to, Message: message, At: s.now()})
}
