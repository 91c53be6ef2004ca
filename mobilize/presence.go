package mobilize

import (
	"context"
	"fmt"
	"time"

	"github.com/paulmach/orb"

	"github.com/liandong/liandong/geo"
)

// A responder's presence: where they are and whether they are on duty.
// Phones report both over the websocket, apps and operators over HTTP;
// both doors call the same two methods here, so they cannot disagree on
// what a report does or what the map is told.

// Location is one position report.
type Location struct {
	ID    ResponderID
	Point orb.Point
	At    time.Time
}

// Located is what recording a position found.
type Located struct {
	Applied bool // false: the report was older than the position held, and ignored
	Role    Role
	Status  Status // after the report
}

// Presence is what the live index holds about one responder.
type Presence struct {
	ID       ResponderID
	Role     Role
	Status   Status
	Skills   []Skill
	Located  bool      // false until the first position report
	Point    orb.Point // valid when Located
	LastSeen time.Time // valid when Located
	Cell     geo.Cell  // valid when Located
	Indexed  bool      // in its cell hash: available with a position not yet swept
}

// PresenceStore is what reporting presence needs of the live state.
type PresenceStore interface {
	// Track records a position and says the responder's role and status,
	// so that the map can be told without reading the record back.
	Track(ctx context.Context, l Location) (Located, error)
	SetDuty(ctx context.Context, id ResponderID, onDuty bool) (Status, error)
	Get(ctx context.Context, id ResponderID) (Presence, error)
}

// Locate records where a responder is, stamped with the server's time
// (a phone's clock is not trusted for freshness), and tells the consoles.
// A report older than the position held changes nothing and tells nobody.
func (s *Service) Locate(ctx context.Context, rid ResponderID, p orb.Point) error {
	if err := geo.ValidPoint(p); err != nil {
		return fmt.Errorf("locate %s: %w: %w", rid, err, ErrInvalid)
	}
	l := Location{ID: rid, Point: p, At: s.now()}
	got, err := s.store.Track(ctx, l)
	if err != nil {
		return err
	}
	if got.Applied {
		s.Moved(ctx, rid, got.Role, got.Status, l.At, l.Point)
	}
	return nil
}

// SetDuty puts a responder on or off duty and tells the consoles the new
// state. Going off duty does not withdraw an offer already held; the
// person can still decline it.
func (s *Service) SetDuty(ctx context.Context, rid ResponderID, onDuty bool) (Status, error) {
	st, err := s.store.SetDuty(ctx, rid, onDuty)
	if err != nil {
		return "", err
	}
	// The map needs the position too; a failure to read it back only
	// costs a map update, so it is not the caller's failure.
	if p, err := s.store.Get(ctx, rid); err == nil && p.Located {
		s.Moved(ctx, rid, p.Role, p.Status, p.LastSeen, p.Point)
	}
	return st, nil
}
