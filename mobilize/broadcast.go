package mobilize

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"

	"github.com/paulmach/orb"
)

// Broadcast messages (issue 20, item 4): staff write to everyone of a
// role or an organisation inside an area they drew. The recipients are
// the responders the live index holds inside the area now (the same
// cells an area alert covers), and each gets the message in their durable
// inbox, as a team message would arrive, with the scope "broadcast".

// Broadcast limits.
const (
	DefaultBroadcastMaxRecipients = 5000
	DefaultBroadcastsPerMinute    = 2 // per sender
)

// ErrTooManyRecipients refuses a broadcast whose area and filters take in
// more people than one message may reach.
var ErrTooManyRecipients = errors.New("too many recipients")

// Message scopes: how a message reached its reader.
const (
	ScopeTeam      = "team"
	ScopeDirect    = "direct"
	ScopeBroadcast = "broadcast"
)

// BroadcastConfig tunes broadcasts; zero values take the defaults.
type BroadcastConfig struct {
	MaxRecipients int // people one broadcast may reach
	PerMinute     int // broadcasts one sender may send a minute
}

func (c BroadcastConfig) maxRecipients() int {
	if c.MaxRecipients <= 0 {
		return DefaultBroadcastMaxRecipients
	}
	return c.MaxRecipients
}

func (c BroadcastConfig) perMinute() int {
	if c.PerMinute <= 0 {
		return DefaultBroadcastsPerMinute
	}
	return c.PerMinute
}

// Audience is who a broadcast is for: the available responders inside
// Area (a drawn polygon, or a stored area's polygons), of Role when set,
// of Org when set. A coordinator's caller sets Org to their own
// organisation.
type Audience struct {
	Area orb.MultiPolygon
	Role Role   // "": every role
	Org  string // "": every organisation
}

// BroadcastResult is what came of a broadcast (or of its dry run).
type BroadcastResult struct {
	ID         string // "b" + 16 hex digits; empty on a dry run
	Recipients int
	Message    TeamMessage
}

// Recipients lists the responders a broadcast to aud would reach now,
// refusing an audience over the limit.
func (s *Service) Recipients(ctx context.Context, aud Audience) ([]ResponderID, error) {
	roles := Roles
	if aud.Role != "" {
		roles = []Role{aud.Role}
	}
	if len(aud.Area) == 0 {
		return nil, fmt.Errorf("broadcast: no area: %w", ErrInvalid)
	}
	var inside []ResponderID
	seen := map[ResponderID]bool{}
	for _, poly := range aud.Area {
		found, err := s.availableInside(ctx, poly, roles)
		if err != nil {
			return nil, err
		}
		for _, rid := range found {
			if !seen[rid] {
				seen[rid] = true
				inside = append(inside, rid)
			}
		}
	}
	to := inside
	if aud.Org != "" && len(inside) > 0 {
		orgs, err := s.store.ResponderOrgs(ctx, inside)
		if err != nil {
			return nil, err
		}
		to = make([]ResponderID, 0, len(inside))
		for _, rid := range inside {
			if orgs[rid] == aud.Org {
				to = append(to, rid)
			}
		}
	}
	if limit := s.broadcasts.maxRecipients(); len(to) > limit {
		return nil, fmt.Errorf("broadcast: %d recipients, more than %d: draw a smaller area or narrow the role or organisation: %w",
			len(to), limit, ErrTooManyRecipients)
	}
	return to, nil
}

// BroadcastMessage sends text from a staff member to everyone aud takes
// in, through their durable inboxes. A dry run counts the recipients and
// sends nothing, spending no budget.
func (s *Service) BroadcastMessage(ctx context.Context, aud Audience, from Sender, text string, dryRun bool) (BroadcastResult, error) {
	if err := ValidMessageText(text); err != nil {
		return BroadcastResult{}, err
	}
	to, err := s.Recipients(ctx, aud)
	if err != nil {
		return BroadcastResult{}, err
	}
	if dryRun {
		return BroadcastResult{Recipients: len(to)}, nil
	}
	ok, err := s.store.CountMessage(ctx, "broadcast:"+from.key(), s.broadcasts.perMinute())
	if err != nil {
		return BroadcastResult{}, err
	}
	if !ok {
		return BroadcastResult{}, fmt.Errorf("broadcast: more than %d a minute: %w", s.broadcasts.perMinute(), ErrTooManyMessages)
	}
	var b [8]byte
	rand.Read(b[:])
	id := "b" + hex.EncodeToString(b[:])
	m := TeamMessage{ID: id, From: from, Text: text, At: s.now()}
	if len(to) > 0 {
		if err := s.post(ctx, MessagePosted{Message: m, To: to, Scope: ScopeBroadcast}); err != nil {
			return BroadcastResult{}, err
		}
	}
	return BroadcastResult{ID: id, Recipients: len(to), Message: m}, nil
}
