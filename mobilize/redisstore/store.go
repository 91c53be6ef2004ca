package redisstore

import (
	"context"

	"github.com/redis/go-redis/v9"

	"github.com/liandong/liandong/mobilize"
)

// Store is the mobilisation state of one region in Redis: the value cmd
// builds and hands to package mobilize. It is the sum of the aggregates,
// each with its own keys and scripts, over one client, one set of key
// names and one clock. The aggregates' types are not named after their
// contents (Needs, Depots, Linkage) because Store promotes methods of
// those names, which an embedded field of the same name would hide.
type Store struct {
	*Index            // positions, cells, nearby, supply, sweep
	*NeedStore        // needs, offers, the roster and the load they change
	*DepotStore       // depots, stock and item reservations
	*RecognitionStore // reliability, feedback, the hours ledger, escalation counts
	*LinkageStore     // areas, organisations and their members
	*IncidentStore    // incidents, their needs, what CAP alerts did (incidents.go)
	*InvitationStore  // invitations to join and the applications they bring (invitations.go)
}

// What package mobilize asks of the store, checked where the store is
// defined rather than where it is first handed over.
var (
	_ mobilize.Store            = (*Store)(nil)
	_ mobilize.MatchStore       = (*Store)(nil)
	_ mobilize.Reads            = (*Store)(nil)
	_ mobilize.PresenceStore    = (*Store)(nil)
	_ mobilize.RosterStore      = (*Store)(nil)
	_ mobilize.AdminStore       = (*Store)(nil)
	_ mobilize.EscalationStore  = (*Store)(nil)
	_ mobilize.SupplyStore      = (*Store)(nil)
	_ mobilize.ReliabilityStore = (*Store)(nil)
)

// NewStore returns a store over rdb; it does not touch Redis.
func NewStore(rdb redis.UniversalClient, opts IndexOptions) (*Store, error) {
	ix, err := NewIndex(rdb, opts)
	if err != nil {
		return nil, err
	}
	return storeOver(ix), nil
}

// storeOver builds the other aggregates over the index's region: one
// client, one set of key names, one clock.
func storeOver(ix *Index) *Store {
	r := ix.region
	return &Store{
		Index:            ix,
		NeedStore:        &NeedStore{region: r},
		DepotStore:       &DepotStore{region: r},
		RecognitionStore: &RecognitionStore{region: r},
		LinkageStore:     &LinkageStore{region: r},
		IncidentStore:    &IncidentStore{region: r},
		InvitationStore:  &InvitationStore{region: r},
	}
}

// Responder returns a responder's profile (the roster's) and index entry
// (the Index's).
func (s *Store) Responder(ctx context.Context, id mobilize.ResponderID) (mobilize.Responder, mobilize.Presence, error) {
	r, err := s.profile(ctx, id)
	if err != nil {
		return mobilize.Responder{}, mobilize.Presence{}, err
	}
	e, err := s.Get(ctx, id)
	return r, e, err
}
