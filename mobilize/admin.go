package mobilize

import (
	"context"
	"time"
)

// AdminStore is what the staff's changes to the linkage, the depots and
// the recognition records need of the store. Each is one atomic step of
// the store; the service adds no rule to them beyond what the types
// validate, but they pass here so that every change has one door.
type AdminStore interface {
	PutAreas(ctx context.Context, upload []Area) error
	PutOrganisation(ctx context.Context, o Organisation) (created bool, err error)
	PutDepot(ctx context.Context, d Depot, stock map[Item]int) (created bool, err error)
	AdjustStock(ctx context.Context, id string, deltas map[Item]int) (Depot, error)
	RecordFeedback(ctx context.Context, f Feedback, ttl time.Duration) (FeedbackOutcome, error)
	EditHours(ctx context.Context, rid ResponderID, entryID string, hours float64, reason, by string, hoursCap time.Duration) (ServiceEntry, error)
}

// PutAreas adds or replaces areas, all or nothing.
func (s *Service) PutAreas(ctx context.Context, upload []Area) error {
	return s.store.PutAreas(ctx, upload)
}

// PutOrganisation creates or replaces an organisation.
func (s *Service) PutOrganisation(ctx context.Context, o Organisation) (created bool, err error) {
	return s.store.PutOrganisation(ctx, o)
}

// PutDepot creates or updates a depot; a nil stock leaves the stock alone.
func (s *Service) PutDepot(ctx context.Context, d Depot, stock map[Item]int) (created bool, err error) {
	return s.store.PutDepot(ctx, d, stock)
}

// AdjustStock adds to or takes from a depot's stock, never below zero.
func (s *Service) AdjustStock(ctx context.Context, id string, deltas map[Item]int) (Depot, error) {
	return s.store.AdjustStock(ctx, id, deltas)
}

// RecordFeedback stores the one rating of a completed need; the outcome
// says whether the link was still good.
func (s *Service) RecordFeedback(ctx context.Context, f Feedback, ttl time.Duration) (FeedbackOutcome, error) {
	return s.store.RecordFeedback(ctx, f, ttl)
}

// EditHours appends a correction of one ledger entry, by a staff member.
func (s *Service) EditHours(ctx context.Context, rid ResponderID, entryID string, hours float64, reason, by string, hoursCap time.Duration) (ServiceEntry, error) {
	return s.store.EditHours(ctx, rid, entryID, hours, reason, by, hoursCap)
}
