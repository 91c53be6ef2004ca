package mobilize

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"time"
)

// People's control of their own data (PIPL): a responder may have a copy
// of everything held about them, and an admin may erase a responder. What
// erasure keeps is what organisations' figures are made of (hours,
// completions, ratings), under a pseudonym, so that a team's totals do not
// change when one of its people leaves. docs/PRIVACY.md says what is kept,
// for how long and who sees it.

// PersonalData is everything the live state holds about one responder.
type PersonalData struct {
	Responder Responder
	Presence  Presence
	// PendingOffer, Accepted and OnDuty are the responder's load.
	PendingOffer OfferID
	Accepted     int
	OnDuty       bool
	// Fatigue and FairLoad are the raw records the matcher weighs them by
	// (formats in docs/ARCHITECTURE.md); empty when there is none.
	Fatigue  string
	FairLoad string
	// Reliability is the responder's record; HasReliability false: none.
	Reliability    ReliabilityRecord
	HasReliability bool
	// Offers are every offer made to them, with what became of it.
	Offers []OfferRecord
	// Ledger is the hours ledger; Feedback the ratings of the needs in it.
	Ledger   []ServiceEntry
	Feedback []Feedback
	// Organisations whose member sets hold them.
	Organisations []string
}

// OfferRecord is one offer made to a responder, seen from their side.
type OfferRecord struct {
	Need     NeedID
	Category string
	Lead     bool // they led the team
	Assignment
}

// EraseOutcome is what an erasure met.
type EraseOutcome string

const (
	EraseOK       EraseOutcome = "ok"
	EraseUnknown  EraseOutcome = "unknown"  // no such responder
	EraseAlready  EraseOutcome = "already"  // erased before: only the pseudonym remains
	EraseOffered  EraseOutcome = "offered"  // holds an offer not yet answered
	EraseAssigned EraseOutcome = "assigned" // on an accepted assignment
)

// PrivacyStore is what access, erasure and retention need of the live
// state.
type PrivacyStore interface {
	// PersonalData gathers what the region holds about the responder.
	PersonalData(ctx context.Context, rid ResponderID, hoursCap time.Duration) (PersonalData, error)
	// Erase removes the responder's personal data and moves what the
	// figures are made of to the pseudonym, in one step; it refuses
	// (nothing changed) while they hold an offer or an assignment.
	Erase(ctx context.Context, rid, pseudonym ResponderID) (EraseOutcome, error)
	// ForgetPositions drops stored positions last reported before cutoff,
	// reading at most limit records from cursor; next 0 means done.
	ForgetPositions(ctx context.Context, cutoff time.Time, cursor uint64, limit int) (forgotten int, next uint64, err error)
	// ForgetNeedDetails strips the personal details of needs closed before
	// cutoff, reading at most limit keys from cursor; next 0 means done.
	ForgetNeedDetails(ctx context.Context, cutoff time.Time, cursor uint64, limit int) (forgotten int, next uint64, err error)
}

// Pseudonym is the stable name an erased responder's records are kept
// under: a hash, so that it names nobody, and the same for every attempt,
// so that an interrupted erasure can be run again.
func Pseudonym(rid ResponderID) ResponderID {
	sum := sha256.Sum256([]byte("liandong erased responder\n" + string(rid)))
	return ResponderID("erased-" + hex.EncodeToString(sum[:10]))
}

// PersonalData is what the service holds about one responder.
func (s *Service) PersonalData(ctx context.Context, rid ResponderID, hoursCap time.Duration) (PersonalData, error) {
	return s.store.PersonalData(ctx, rid, hoursCap)
}

// Erase erases a responder and returns the pseudonym their records are
// kept under. A responder holding an offer or on an assignment is refused
// with ErrConflict: the person being helped must not lose their helper
// to a records request; the admin waits for the task to end (or the
// coordinator withdraws it) and asks again. Erasing an erased responder
// again succeeds, so that an interrupted erasure can be finished.
func (s *Service) Erase(ctx context.Context, rid ResponderID) (ResponderID, EraseOutcome, error) {
	ps := Pseudonym(rid)
	out, err := s.store.Erase(ctx, rid, ps)
	if err != nil {
		return "", "", err
	}
	switch out {
	case EraseOK, EraseAlready:
		// The standby opt-in names the person outside the record erase.lua
		// clears (standby.go); an erasure asked again finishes it.
		if err := s.store.SetStandbyOptIn(ctx, rid, false); err != nil {
			return "", "", err
		}
		return ps, out, nil
	case EraseUnknown:
		return "", out, fmt.Errorf("erase %s: %w", rid, ErrNotFound)
	case EraseOffered:
		return "", out, fmt.Errorf("erase %s: holds an offer not yet answered; ask again once it is answered or expired: %w", rid, ErrConflict)
	case EraseAssigned:
		return "", out, fmt.Errorf("erase %s: on an active assignment; ask again once it is completed or withdrawn: %w", rid, ErrConflict)
	}
	return "", out, fmt.Errorf("erase %s: unknown outcome %q", rid, out)
}

// RetentionConfig is how long personal data is kept once it stops being
// needed.
type RetentionConfig struct {
	Locations time.Duration // a position no report has renewed; default 30 days
	Needs     time.Duration // the details of a closed need; default 180 days
	Batch     int           // records read per store call; default 1000
}

// DefaultRetention is the retention when nothing is configured.
func DefaultRetention() RetentionConfig {
	return RetentionConfig{Locations: 30 * 24 * time.Hour, Needs: 180 * 24 * time.Hour, Batch: 1000}
}

// RetentionReport says what one sweep forgot.
type RetentionReport struct {
	Positions int
	Needs     int
}

// SweepRetention forgets positions and need details older than cfg says,
// one pass over each, batch by batch. Every step is idempotent, so a pass
// cut short (a crash, a shutdown) is simply done again by the next.
func (s *Service) SweepRetention(ctx context.Context, cfg RetentionConfig) (RetentionReport, error) {
	def := DefaultRetention()
	if cfg.Locations <= 0 {
		cfg.Locations = def.Locations
	}
	if cfg.Needs <= 0 {
		cfg.Needs = def.Needs
	}
	if cfg.Batch <= 0 {
		cfg.Batch = def.Batch
	}
	var rep RetentionReport
	now := s.now()
	for cursor := uint64(0); ; {
		n, next, err := s.store.ForgetPositions(ctx, now.Add(-cfg.Locations), cursor, cfg.Batch)
		rep.Positions += n
		if err != nil {
			return rep, err
		}
		if cursor = next; cursor == 0 {
			break
		}
	}
	for cursor := uint64(0); ; {
		n, next, err := s.store.ForgetNeedDetails(ctx, now.Add(-cfg.Needs), cursor, cfg.Batch)
		rep.Needs += n
		if err != nil {
			return rep, err
		}
		if cursor = next; cursor == 0 {
			break
		}
	}
	return rep, nil
}
