package mobilize

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/liandong/liandong/geo"
)

// DuplicateConfig says when a new need may repeat one already known: the
// same category within RadiusMeters and Window of it, or the same
// reporter's phone while the other is not closed.
type DuplicateConfig struct {
	RadiusMeters float64       // default 150
	Window       time.Duration // default 30 min
}

// DefaultDuplicateConfig is the configuration's default.
func DefaultDuplicateConfig() DuplicateConfig {
	return DuplicateConfig{RadiusMeters: 150, Window: 30 * time.Minute}
}

// DuplicateQuery is what the store searches for candidates with: the
// needs created since Since near the new one (its cell index) and the
// needs reported from the same phones (by PhoneKey).
type DuplicateQuery struct {
	RadiusMeters float64
	Since        time.Time
	Phones       []string // PhoneKey of each contact's phone
}

// Duplicate reasons, for the reviewer.
const (
	DuplicateNearby    = "same_category_nearby"
	DuplicateSamePhone = "same_phone"
)

// PhoneKey is what the phone index keeps of a number: a digest of its
// digits, so that no phone number appears in a key name.
func PhoneKey(phone string) string {
	var digits strings.Builder
	for _, r := range phone {
		if r >= '0' && r <= '9' {
			digits.WriteRune(r)
		}
	}
	d := digits.String()
	if len(d) < 5 {
		return "" // too short to say two reports share a phone
	}
	if len(d) > 11 {
		d = d[len(d)-11:] // +86 535 ... and 0535 ... are the same line
	}
	sum := sha256.Sum256([]byte(d))
	return hex.EncodeToString(sum[:12])
}

// phoneKeys are the PhoneKeys of a need's contacts.
func phoneKeys(n Need) []string {
	var out []string
	for _, c := range n.Contacts {
		if k := PhoneKey(c.Phone); k != "" && !slices.Contains(out, k) {
			out = append(out, k)
		}
	}
	return out
}

// findDuplicates returns the needs among candidates that n may repeat,
// and why: same category within the radius and window, or a shared phone.
func findDuplicates(n Need, candidates []NeedState, cfg DuplicateConfig, now time.Time) ([]NeedID, string) {
	phones := phoneKeys(n)
	var ids []NeedID
	reasons := map[string]bool{}
	for _, c := range candidates {
		if c.ID == n.ID || c.Status.Terminal() || len(ids) == MaxDuplicateRefs {
			continue
		}
		near := !c.Unplaced && !n.Unplaced && c.Category == n.Category &&
			now.Sub(c.CreatedAt) <= cfg.Window && geo.DistanceMeters(c.Point, n.Point) <= cfg.RadiusMeters
		samePhone := false
		for _, k := range phoneKeys(c.Need) {
			samePhone = samePhone || slices.Contains(phones, k)
		}
		if near {
			reasons[DuplicateNearby] = true
		}
		if samePhone {
			reasons[DuplicateSamePhone] = true
		}
		if near || samePhone {
			ids = append(ids, c.ID)
		}
	}
	var why []string
	for _, r := range []string{DuplicateNearby, DuplicateSamePhone} {
		if reasons[r] {
			why = append(why, r)
		}
	}
	return ids, strings.Join(why, ",")
}

// flagDuplicates sets n's duplicate flag from the store's candidates.
func (s *Service) flagDuplicates(ctx context.Context, n *Need) error {
	cfg := s.dups
	if cfg.RadiusMeters <= 0 || cfg.Window <= 0 {
		return nil
	}
	now := s.now()
	q := DuplicateQuery{RadiusMeters: cfg.RadiusMeters, Since: now.Add(-cfg.Window), Phones: phoneKeys(*n)}
	cands, err := s.store.DuplicateCandidates(ctx, *n, q)
	if err != nil {
		return fmt.Errorf("duplicates of need %s: %w", n.ID, err)
	}
	n.PossibleDuplicateOf, n.DuplicateReason = findDuplicates(*n, cands, cfg, now)
	return nil
}
