package loadtest

import (
	"math"
	"math/rand/v2"

	"github.com/paulmach/orb"
	"github.com/paulmach/orb/geo"
)

// metersPerDegree is a degree of latitude; good to 0.5% anywhere, which is
// plenty for scattering simulated people around a city.
const metersPerDegree = 111_320.0

// distanceM is the great-circle distance in metres.
func distanceM(a, b orb.Point) float64 { return geo.Distance(a, b) }

// offsetM moves p by east and north metres (flat-earth, fine at city
// scale).
func offsetM(p orb.Point, eastM, northM float64) orb.Point {
	lat := p.Lat() + northM/metersPerDegree
	lng := p.Lon() + eastM/(metersPerDegree*math.Cos(p.Lat()*math.Pi/180))
	return orb.Point{lng, lat}
}

// towards moves from a to b by at most stepM metres, returning the new
// point and whether b was reached.
func towards(a, b orb.Point, stepM float64) (orb.Point, bool) {
	d := distanceM(a, b)
	if d <= stepM || d == 0 {
		return b, true
	}
	f := stepM / d
	return orb.Point{a.Lon() + (b.Lon()-a.Lon())*f, a.Lat() + (b.Lat()-a.Lat())*f}, false
}

// uniformIn draws a point uniformly from the part of b where inside holds,
// by rejection; ok is false when maxTries draws all missed (a sliver).
func uniformIn(r *rand.Rand, b orb.Bound, inside func(orb.Point) bool, maxTries int) (orb.Point, bool) {
	for range maxTries {
		p := orb.Point{b.Min.Lon() + r.Float64()*(b.Max.Lon()-b.Min.Lon()), b.Min.Lat() + r.Float64()*(b.Max.Lat()-b.Min.Lat())}
		if inside(p) {
			return p, true
		}
	}
	return b.Center(), false
}

// nearCentre draws a point from a weighted mixture of Gaussian clusters
// around the residential centres, keeping only points where inside holds.
// This is how people are actually spread in a city: dense estates,
// thinning out towards the edges.
func nearCentre(r *rand.Rand, centres []Centre, inside func(orb.Point) bool, maxTries int) (orb.Point, bool) {
	total := 0.0
	for _, c := range centres {
		total += c.Weight
	}
	for range maxTries {
		pick := r.Float64() * total
		c := centres[len(centres)-1]
		for _, cc := range centres {
			if pick < cc.Weight {
				c = cc
				break
			}
			pick -= cc.Weight
		}
		p := offsetM(LatLng{c.Lat, c.Lng}.Point(), r.NormFloat64()*c.RadiusM, r.NormFloat64()*c.RadiusM)
		if inside(p) {
			return p, true
		}
	}
	return orb.Point{}, false
}
