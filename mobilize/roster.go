package mobilize

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"strconv"
	"time"
)

// RosterStore is what registering people needs of the live state.
type RosterStore interface {
	// Enroll registers a responder (created false: the id was taken).
	Enroll(ctx context.Context, r Responder, onDuty bool) (created bool, err error)
	// EnrollMany registers a batch, all or nothing.
	EnrollMany(ctx context.Context, rs []Responder, onDuty bool) error
	RosterEditStore // rosteredit.go
	ShiftStore      // shifts.go
}

func randomHex(n int) string {
	b := make([]byte, n)
	rand.Read(b)
	return hex.EncodeToString(b)
}

// Register enrols a new responder under a fresh id. They start on duty
// and become a candidate with their first position report.
func (s *Service) Register(ctx context.Context, r Responder) (Responder, Presence, error) {
	r.ID = ResponderID("r" + randomHex(10))
	r.CreatedAt = s.now().UTC().Truncate(time.Millisecond)
	created, err := s.store.Enroll(ctx, r, true)
	if err != nil {
		return Responder{}, Presence{}, err
	}
	if !created {
		return Responder{}, Presence{}, fmt.Errorf("register %s: id taken: %w", r.ID, ErrConflict)
	}
	return s.store.Responder(ctx, r.ID)
}

// NewBatchIDs gives each member of a batch its id: a random prefix shared
// by the batch and the member's number, so that one audit entry
// ("prefix*") names the whole batch. It returns the prefix.
func NewBatchIDs(rs []Responder) string {
	prefix := "r" + randomHex(8) + "-"
	for i := range rs {
		rs[i].ID = ResponderID(prefix + strconv.Itoa(i))
	}
	return prefix
}

// RegisterMany enrols a batch whose ids NewBatchIDs gave, all or nothing,
// every member on duty.
func (s *Service) RegisterMany(ctx context.Context, rs []Responder) error {
	now := s.now().UTC().Truncate(time.Millisecond)
	for i := range rs {
		if rs[i].ID == "" {
			return fmt.Errorf("register batch: responder %d has no id: %w", i, ErrInvalid)
		}
		rs[i].CreatedAt = now
	}
	return s.store.EnrollMany(ctx, rs, true)
}
