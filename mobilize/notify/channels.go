package notify

import (
	"fmt"
	"math"

	"github.com/paulmach/orb"

	"github.com/liandong/liandong/geo"
	"github.com/liandong/liandong/mobilize"
)

// Console events are routed by H3 cell and by who may see them: an event
// is published on the coarse cells of its location at a few resolutions,
// and a console subscribes to the cells that cover its map box at the
// finest resolution that keeps the list short. Routing is then a set
// lookup in the hub, not a scan of every console. A console receives the
// events of every cell that overlaps its box (a slightly larger area); the
// map draws what is inside.
//
// Operators and admins see everything in their box: they subscribe to the
// plain cell channels. A coordinator sees what its HTTP reads show: its
// organisation's people, and needs of its organisation or of communities
// within its home area. So an event is also published on scoped variants
// of its cells (an organisation's, an area's, an organisation-and-area's),
// and a coordinator subscribes only to the variants of its organisation
// and home area. The hub stays generic: a scope is part of a channel name.
var channelResolutions = []int{6, 4, 2}

// cellAreaKm2 is H3's average cell area at the channel resolutions: a box
// whose area alone needs more cells than a subscription may hold skips
// the resolution without listing its cells (most of a large box's cost).
var cellAreaKm2 = map[int]float64{6: 36.13, 4: 1770.32, 2: 86745.85}

// maxViewportChannels bounds the cells of one subscription (per scope).
const maxViewportChannels = 3000

// Audience is who besides operators and admins may see a console event:
// coordinators, named by organisation and home area. The zero Audience
// is operators and admins only.
type Audience struct {
	// Orgs: coordinators of these organisations.
	Orgs []string
	// Areas: coordinators of organisations homed at one of these areas
	// (a need's community and every area above it).
	Areas []mobilize.AreaID
	// OrgAreas: coordinators of Org, when it is homed at Area.
	OrgAreas []OrgArea
	// ScopedOnly leaves out operators and admins: a wording of an event
	// made for coordinators, operators getting another.
	ScopedOnly bool
}

// OrgArea is an organisation homed at an area.
type OrgArea struct {
	Org  string
	Area mobilize.AreaID
}

// Viewer is whose console subscribes.
type Viewer struct {
	// All: an operator or admin, who sees every event in the box.
	All bool
	// Org and Home: a coordinator's organisation and its home area ("" when
	// it has none). A viewer with neither All nor Org sees nothing.
	Org  string
	Home mobilize.AreaID
}

// Scope prefixes of channel names. Organisation and area ids cannot hold
// '/' (mobilize's id pattern), so a prefix cannot be forged by an id.
func orgScope(org string) string                        { return "o/" + org + "/" }
func areaScope(area mobilize.AreaID) string             { return "a/" + string(area) + "/" }
func orgAreaScope(org string, a mobilize.AreaID) string { return "oa/" + org + "/" + string(a) + "/" }

// scopes lists the channel prefixes an event for a is published under:
// "" (operators) first, unless ScopedOnly.
func (a Audience) scopes() []string {
	out := make([]string, 0, 1+len(a.Orgs)+len(a.Areas)+len(a.OrgAreas))
	if !a.ScopedOnly {
		out = append(out, "")
	}
	for _, o := range a.Orgs {
		if o != "" {
			out = append(out, orgScope(o))
		}
	}
	for _, ar := range a.Areas {
		if ar != "" {
			out = append(out, areaScope(ar))
		}
	}
	for _, oa := range a.OrgAreas {
		if oa.Org != "" && oa.Area != "" {
			out = append(out, orgAreaScope(oa.Org, oa.Area))
		}
	}
	return out
}

// scopes lists the channel prefixes v subscribes under.
func (v Viewer) scopes() []string {
	switch {
	case v.All:
		return []string{""}
	case v.Org == "":
		return nil
	case v.Home == "":
		return []string{orgScope(v.Org)}
	}
	return []string{orgScope(v.Org), areaScope(v.Home), orgAreaScope(v.Org, v.Home)}
}

// EventChannels lists the channels an event at p for audience a is
// published on; none for a point that is not a place (zero or invalid).
func EventChannels(p orb.Point, a Audience) []string {
	if geo.ValidPoint(p) != nil || (p[0] == 0 && p[1] == 0) {
		return nil
	}
	cells := make([]string, 0, len(channelResolutions))
	for _, res := range channelResolutions {
		c, err := geo.CellAt(p, res)
		if err == nil {
			cells = append(cells, cellChannel(res, c))
		}
	}
	scopes := a.scopes()
	out := make([]string, 0, len(scopes)*len(cells))
	for _, s := range scopes {
		for _, c := range cells {
			out = append(out, s+c)
		}
	}
	return out
}

// ViewportChannels maps a console's map box to the channels v subscribes
// to: the cells covering it at the finest resolution that keeps the list
// short, under each of v's scopes. None for a box too large for the
// coarsest resolution (the socket bounds boxes well below that).
func ViewportChannels(box geo.BBox, v Viewer) []string {
	scopes := v.scopes()
	if len(scopes) == 0 {
		return nil
	}
	area := BoxAreaKm2(box)
	for _, res := range channelResolutions {
		if area/cellAreaKm2[res] > maxViewportChannels {
			continue
		}
		cells, err := box.Cells(res)
		if err != nil || len(cells) > maxViewportChannels {
			continue
		}
		out := make([]string, 0, len(scopes)*len(cells))
		for _, s := range scopes {
			for _, c := range cells {
				out = append(out, s+cellChannel(res, c))
			}
		}
		return out
	}
	return nil
}

// BoxAreaKm2 is the area of a lng/lat box on the sphere.
func BoxAreaKm2(b geo.BBox) float64 {
	const earthRadiusKm = 6371.0088
	rad := math.Pi / 180
	return earthRadiusKm * earthRadiusKm * (b.MaxLng - b.MinLng) * rad *
		math.Abs(math.Sin(b.MaxLat*rad)-math.Sin(b.MinLat*rad))
}

func cellChannel(res int, c geo.Cell) string { return fmt.Sprintf("c%d:%s", res, c) }

// areaPath is id and every area above it, nearest first; nil for "".
func areaPath(tree *mobilize.AreaTree, id mobilize.AreaID) []mobilize.AreaID {
	if id == "" {
		return nil
	}
	out := []mobilize.AreaID{id}
	if tree == nil {
		return out
	}
	for range mobilize.Tiers {
		a, ok := tree.Area(id)
		if !ok || a.Parent == "" {
			break
		}
		id = a.Parent
		out = append(out, id)
	}
	return out
}
