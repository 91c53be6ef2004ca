package mobilize

import (
	"context"
	"time"

	"github.com/liandong/liandong/geo"
)

// Reads are the questions the edges ask of the live state: lists,
// statistics, a record by id. They apply no rule of the domain, so the
// service answers them straight from its store (Service embeds them);
// every change goes through a method of the service's own.
type Reads interface {
	Responder(ctx context.Context, id ResponderID) (Responder, Presence, error)
	// PendingOffer is the offer the responder has not answered yet;
	// found is false when there is none (or it ended meanwhile).
	PendingOffer(ctx context.Context, rid ResponderID) (po PendingOffer, found bool, err error)
	// Jobs are the needs the responder accepted and has not finished.
	Jobs(ctx context.Context, rid ResponderID) ([]Job, error)
	Get(ctx context.Context, id ResponderID) (Presence, error)
	CountResponders(ctx context.Context) (ResponderCounts, error)

	Need(ctx context.Context, id NeedID) (NeedState, error)
	Needs(ctx context.Context, ids []NeedID) ([]NeedState, error)
	NeedSummaries(ctx context.Context, activeOnly bool) ([]NeedSummary, error)
	// ScopedNeeds pages through the needs of a scope, newest first: the
	// ids created before the cursor (Unix ms, exclusive; 0: from the
	// newest), about n of them (needs of one millisecond come together),
	// and the cursor of the next page, 0 at the end. It reads only the
	// scope's indexes, whatever else the region holds.
	ScopedNeeds(ctx context.Context, scope NeedScope, before int64, n int) (ids []NeedID, next int64, err error)

	Depot(ctx context.Context, id string) (Depot, error)
	Depots(ctx context.Context) ([]Depot, error)

	Areas(ctx context.Context) ([]Area, error)
	Organisations(ctx context.Context) ([]Organisation, error)
	MemberCount(ctx context.Context, org string) (int64, error)
	// Linkage is the snapshot of areas and organisations.
	Linkage(ctx context.Context) (*Linkage, error)

	Feedbacks(ctx context.Context, needs []NeedID) (map[NeedID]Feedback, error)
	FeedbackState(ctx context.Context, need NeedID, ttl time.Duration) (FeedbackOutcome, error)
	Ledger(ctx context.Context, rid ResponderID, hoursCap time.Duration) ([]ServiceEntry, error)
	Escalations(ctx context.Context) (map[NeedID]int, error)
	ResponderOrgs(ctx context.Context, ids []ResponderID) (map[ResponderID]string, error)
	OrgReliability(ctx context.Context, orgs []string) (map[string]ReliabilityRecord, error)

	// Supply counts available responders per cell of a box at res (7 or 5).
	Supply(ctx context.Context, box geo.BBox, res int) (map[geo.Cell]int, error)
}

// NeedScope is a part of the needs, as a coordinator sees them: those of
// some organisations (a need's org_id) and those routed to some
// communities.
type NeedScope struct {
	Orgs        []string
	Communities []AreaID
}

// NeedSummary is what lists and statistics need of a need: no team, no
// assignments.
type NeedSummary struct {
	ID        NeedID
	Status    NeedStatus
	CreatedAt time.Time
	StaffedAt time.Time // zero until staffed
}

// ResponderCounts is how many registered responders are in each status,
// and how many available ones of each role are candidates (indexed with a
// position that has not gone stale).
type ResponderCounts struct {
	Total           int
	ByStatus        map[Status]int
	AvailableByRole map[Role]int
	IndexedByRole   map[Role]int
}

// Job is a need a responder accepted, with their assignment.
type Job struct {
	Need       NeedState
	Assignment Assignment
}

// PendingOffer is the offer a responder holds now, with its need.
type PendingOffer struct {
	Need       NeedState
	Assignment Assignment
}
