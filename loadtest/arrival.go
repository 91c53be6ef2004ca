package loadtest

import (
	"math/rand/v2"
	"time"

	"github.com/paulmach/orb"
	"github.com/paulmach/orb/planar"
)

// Arrival is one need the drill will create, At after the start.
type Arrival struct {
	At   time.Duration
	Need NeedSpec
}

// NeedSpec is the body of POST /api/v1/needs.
type NeedSpec struct {
	Lat         float64    `json:"lat"`
	Lng         float64    `json:"lng"`
	Category    string     `json:"category"`
	Urgency     int        `json:"urgency"`
	Team        []TeamSlot `json:"team"`
	Description string     `json:"description,omitempty"`
	Deadline    string     `json:"deadline,omitempty"`
	Items       []ItemLine `json:"items,omitempty"`
}

// Size is the number of people the need calls for.
func (n NeedSpec) Size() int { return NeedMix{Team: n.Team}.Size() }

// Factor is the surge multiplier at frac (0..1) of the drill: linear
// between the points, flat before the first and after the last, 1 when
// the scenario has no curve.
func (a Arrivals) Factor(frac float64) float64 {
	s := a.Surge
	if len(s) == 0 {
		return 1
	}
	if frac <= s[0].At {
		return s[0].Factor
	}
	for i := 1; i < len(s); i++ {
		if frac <= s[i].At {
			w := (frac - s[i-1].At) / (s[i].At - s[i-1].At)
			return s[i-1].Factor + w*(s[i].Factor-s[i-1].Factor)
		}
	}
	return s[len(s)-1].Factor
}

// maxFactor bounds the curve, for thinning.
func (a Arrivals) maxFactor() float64 {
	m := 0.0
	for _, p := range a.Surge {
		m = max(m, p.Factor)
	}
	if len(a.Surge) == 0 {
		m = 1
	}
	return m
}

// ExpectedNeeds is the integral of the rate over the drill: the mean
// number of arrivals, for tests and for the progress line's "of ~N".
func (a Arrivals) ExpectedNeeds(d time.Duration) float64 {
	const steps = 10_000
	sum := 0.0
	for i := range steps {
		sum += a.Factor((float64(i) + 0.5) / steps)
	}
	return a.RatePerS * d.Seconds() * sum / steps
}

// ArrivalTimes draws the arrival instants of the non-homogeneous Poisson
// process by thinning (Lewis and Shedler): candidates at the peak rate,
// each kept with probability rate(t)/peak. Real calls come independently
// of each other, so their counts in any window are Poisson, bunching
// included; evenly spaced needs would hide queueing in the server.
func (a Arrivals) ArrivalTimes(r *rand.Rand, d time.Duration) []time.Duration {
	peak := a.RatePerS * a.maxFactor()
	if peak <= 0 || d <= 0 {
		return nil
	}
	var out []time.Duration
	t := 0.0
	end := d.Seconds()
	for {
		t += r.ExpFloat64() / peak
		if t >= end {
			return out
		}
		if r.Float64()*peak <= a.RatePerS*a.Factor(t/end) {
			out = append(out, time.Duration(t*float64(time.Second)))
		}
	}
}

// Arrivals plans every need of the drill: when, where, what and for whom.
// Planned up front from the seed so that a run can be replayed and so that
// the plan is testable without a server. Deadlines are absolute times, so
// the runner stamps them when it sends the need.
func (sc *Scenario) Arrivals(seed uint64) []Arrival {
	r := rand.New(rand.NewPCG(seed, 0x5851f42d4c957f2d))
	times := sc.Needs.ArrivalTimes(r, sc.Duration)
	region := sc.RegionPolygon()
	area := sc.Needs.EventArea
	inside := func(p orb.Point) bool { return area.Contains(p) && planar.PolygonContains(region, p) }
	shares := make([]float64, len(sc.Needs.Mix))
	for i, m := range sc.Needs.Mix {
		shares[i] = m.Share
	}
	out := make([]Arrival, len(times))
	for i, at := range times {
		var p orb.Point
		ok := false
		if sc.Needs.Spread != "uniform" {
			p, ok = nearCentre(r, sc.Centres, inside, 200)
		}
		if !ok {
			p, _ = uniformIn(r, area.Bound(), inside, 2000)
		}
		m := sc.Needs.Mix[pickShare(r, shares)]
		spec := NeedSpec{
			Lat: p.Lat(), Lng: p.Lon(), Category: m.Category, Urgency: m.Urgency,
			Team: m.Team, Description: m.Description, Items: m.Items,
		}
		out[i] = Arrival{At: at, Need: spec}
	}
	return out
}
