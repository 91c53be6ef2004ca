package mobilize

import (
	"fmt"
	"math"

	"github.com/paulmach/orb"

	"github.com/liandong/liandong/geo"
)

// What a responder may know of a need before accepting it: enough to
// decide (what, how urgent, roughly where and how far), not enough to find
// the person in need. The exact point, the description and any contact
// reach a responder only once they are on the team (issue 14, item 9).

// DefaultApproxResolution is the H3 resolution of an offer's area: at 8 a
// cell's edge is about 460 m, a few blocks in a Chinese city.
const DefaultApproxResolution = 8

// distanceStep rounds an offer's distance, so that distances from several
// known places cannot be combined into the exact point.
const distanceStep = 100.0

// OfferPreview is what an offer tells before acceptance.
type OfferPreview struct {
	Title          string    // category and urgency; never the description
	Cell           geo.Cell  // the need's cell at Resolution
	Centre         orb.Point // the cell's centre, for a map
	Resolution     int
	DistanceMeters float64 // rounded to distanceStep
}

// PreviewOffer words an offer of need n, distanceMeters from the responder,
// at resolution res (DefaultApproxResolution when res is not a valid H3
// resolution).
func PreviewOffer(n Need, distanceMeters float64, res int) OfferPreview {
	if res < 0 || res > 15 {
		res = DefaultApproxResolution
	}
	p := OfferPreview{Title: OfferTitle(n), Resolution: res, DistanceMeters: RoundDistance(distanceMeters)}
	if c, err := geo.CellAt(n.Point, res); err == nil {
		ctr := c.Centre()
		p.Cell, p.Centre = c, orb.Point{round5(ctr.Lon()), round5(ctr.Lat())}
	}
	return p
}

// OfferTitle is a short title safe to show before acceptance: the category
// (checked like a name when the need was filed) and the urgency.
func OfferTitle(n Need) string {
	return fmt.Sprintf("%s, urgency %d", n.Category, n.Urgency)
}

// RoundDistance rounds a distance to the nearest distanceStep, at least one
// step ("100 m" rather than "0 m" next door); 0 stays 0, "not known" (an
// operator chose someone who never reported a position).
func RoundDistance(m float64) float64 {
	if math.IsNaN(m) || m <= 0 {
		return 0
	}
	return max(distanceStep, math.Round(m/distanceStep)*distanceStep)
}

// round5 keeps five decimals of a degree, about a metre: the centre of a
// cell needs no more.
func round5(deg float64) float64 { return math.Round(deg*1e5) / 1e5 }
