package mobilize

import (
	"fmt"
	"regexp"
	"slices"
	"strings"

	"github.com/paulmach/orb"
	"github.com/paulmach/orb/planar"
)

// AreaID names one area (a city, district, street or community).
type AreaID string

// Tier is an area's level in the administrative tree. A need is routed to
// a community; escalation widens from there up the tree.
type Tier string

// The four tiers, from the top. The street tier is where a social work
// station sits (街道社工站).
const (
	TierCity      Tier = "city"
	TierDistrict  Tier = "district"
	TierStreet    Tier = "street"
	TierCommunity Tier = "community"
)

// Tiers lists the tiers from the top down.
var Tiers = []Tier{TierCity, TierDistrict, TierStreet, TierCommunity}

// ParseTier refuses anything but the four tiers.
func ParseTier(s string) (Tier, error) {
	if slices.Contains(Tiers, Tier(s)) {
		return Tier(s), nil
	}
	return "", fmt.Errorf("tier %q is not one of city, district, street, community: %w", s, ErrInvalid)
}

// rank is 0 for a city .. 3 for a community.
func (t Tier) rank() int { return slices.Index(Tiers, t) }

// Area is one polygon of the tree. Every area but a city has a parent
// exactly one tier above it.
type Area struct {
	ID       AreaID
	Name     string
	Tier     Tier
	Parent   AreaID // empty for a city
	Geometry orb.Geometry
}

// Contains reports whether p lies inside the area or on its border.
func (a Area) Contains(p orb.Point) bool {
	switch g := a.Geometry.(type) {
	case orb.Polygon:
		return planar.PolygonContains(g, p)
	case orb.MultiPolygon:
		return planar.MultiPolygonContains(g, p)
	}
	return false
}

// Limits on areas.
const (
	MaxAreaNameLen = 200
	MaxAreas       = 10_000
)

// idShape is the shape of area and organisation ids: they end up in key
// names and URLs.
var idShape = regexp.MustCompile(`^[A-Za-z0-9_.-]{1,64}$`)

// ValidID reports whether s can be an area or organisation id.
func ValidID(s string) bool { return idShape.MatchString(s) }

// CheckAreas validates an upload of areas against those already stored:
// each is well formed, ids are unique within the upload, and in the tree
// the upload would leave (stored areas replaced by uploaded ones of the
// same id) every parent exists one tier up. It returns every problem, so
// that a bad file is fixed in one round.
func CheckAreas(stored, upload []Area) error {
	var problems []string
	tree := map[AreaID]Area{}
	for _, a := range stored {
		tree[a.ID] = a
	}
	seen := map[AreaID]bool{}
	for i, a := range upload {
		where := fmt.Sprintf("area %d (%q)", i, a.ID)
		if !ValidID(string(a.ID)) {
			problems = append(problems, where+": id must be 1..64 of A-Z a-z 0-9 _ . -")
		}
		if seen[a.ID] {
			problems = append(problems, where+": id appears twice")
		}
		seen[a.ID] = true
		if strings.TrimSpace(a.Name) == "" || len(a.Name) > MaxAreaNameLen {
			problems = append(problems, fmt.Sprintf("%s: name must be 1..%d bytes", where, MaxAreaNameLen))
		} else if strings.ContainsFunc(a.Name, Invisible) {
			problems = append(problems, where+": name contains invisible characters (bidi controls or zero-width characters)")
		}
		if _, err := ParseTier(string(a.Tier)); err != nil {
			problems = append(problems, where+": "+strings.TrimSuffix(err.Error(), ": "+ErrInvalid.Error()))
		}
		if a.Geometry == nil {
			problems = append(problems, where+": no polygon")
		}
		tree[a.ID] = a
	}
	if len(tree) > MaxAreas {
		problems = append(problems, fmt.Sprintf("more than %d areas in all", MaxAreas))
	}
	for i, a := range upload {
		where := fmt.Sprintf("area %d (%q)", i, a.ID)
		if a.Tier.rank() < 0 {
			continue
		}
		if a.Tier == TierCity {
			if a.Parent != "" {
				problems = append(problems, where+": a city has no parent")
			}
			continue
		}
		p, ok := tree[a.Parent]
		switch {
		case a.Parent == "":
			problems = append(problems, fmt.Sprintf("%s: a %s needs a parent %s", where, a.Tier, Tiers[a.Tier.rank()-1]))
		case !ok:
			problems = append(problems, fmt.Sprintf("%s: parent %q is unknown", where, a.Parent))
		case p.Tier.rank() != a.Tier.rank()-1:
			problems = append(problems, fmt.Sprintf("%s: parent %q is a %s; a %s's parent must be a %s", where, a.Parent, p.Tier, a.Tier, Tiers[a.Tier.rank()-1]))
		}
	}
	// A stored child whose parent the upload re-tiers would be orphaned.
	for _, a := range stored {
		if seen[a.ID] || a.Tier == TierCity {
			continue
		}
		if p, ok := tree[a.Parent]; ok && seen[p.ID] && p.Tier.rank() != a.Tier.rank()-1 {
			problems = append(problems, fmt.Sprintf("stored area %q would lose its %s parent %q", a.ID, Tiers[a.Tier.rank()-1], p.ID))
		}
	}
	if len(problems) > 0 {
		if len(problems) > 20 {
			problems = append(problems[:20], fmt.Sprintf("and %d more", len(problems)-20))
		}
		return fmt.Errorf("areas: %s: %w", strings.Join(problems, "; "), ErrInvalid)
	}
	return nil
}

// AreaTree is the tree of areas, read-only once built.
type AreaTree struct {
	byID map[AreaID]Area
}

// NewAreaTree indexes areas by id.
func NewAreaTree(areas []Area) *AreaTree {
	t := &AreaTree{byID: make(map[AreaID]Area, len(areas))}
	for _, a := range areas {
		t.byID[a.ID] = a
	}
	return t
}

// Len is the number of areas.
func (t *AreaTree) Len() int { return len(t.byID) }

// Area returns one area.
func (t *AreaTree) Area(id AreaID) (Area, bool) {
	a, ok := t.byID[id]
	return a, ok
}

// Ancestor returns the area of the given tier that holds id (id itself
// when it is of that tier), or "" when there is none.
func (t *AreaTree) Ancestor(id AreaID, tier Tier) AreaID {
	for range Tiers {
		a, ok := t.byID[id]
		if !ok {
			return ""
		}
		if a.Tier == tier {
			return a.ID
		}
		id = a.Parent
	}
	return ""
}

// Below lists the areas of the given tier within root (root itself when
// it is of that tier), sorted.
func (t *AreaTree) Below(root AreaID, tier Tier) []AreaID {
	var out []AreaID
	for id, a := range t.byID {
		if a.Tier == tier && t.Within(id, root) {
			out = append(out, id)
		}
	}
	slices.Sort(out)
	return out
}

// Within reports whether id is root or lies below it.
func (t *AreaTree) Within(id, root AreaID) bool {
	if id == "" || root == "" {
		return false
	}
	for range Tiers {
		if id == root {
			return true
		}
		a, ok := t.byID[id]
		if !ok {
			return false
		}
		id = a.Parent
	}
	return false
}
