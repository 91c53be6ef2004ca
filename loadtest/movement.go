package loadtest

import (
	"math"
	"math/rand/v2"
	"time"

	"github.com/paulmach/orb"
)

// mover is where one simulated person is. Walkers and drivers wander
// between random waypoints near home (random waypoint model): enough to
// keep the server's index moving people between cells, which is the cost
// a still population would hide.
type mover struct {
	mode   ModeMix
	home   orb.Point
	pos    orb.Point
	target orb.Point
	last   time.Time
	inside func(orb.Point) bool
}

func newMover(mode ModeMix, home orb.Point, inside func(orb.Point) bool, now time.Time) *mover {
	return &mover{mode: mode, home: home, pos: home, target: home, last: now, inside: inside}
}

// at advances the person to now and returns where they are.
func (m *mover) at(now time.Time, r *rand.Rand) orb.Point {
	dt := now.Sub(m.last).Seconds()
	m.last = now
	if m.mode.Mode == "still" || m.mode.SpeedKmh <= 0 || dt <= 0 {
		return m.pos
	}
	stepM := m.mode.SpeedKmh / 3.6 * dt
	for stepM > 0 {
		d := distanceM(m.pos, m.target)
		next, reached := towards(m.pos, m.target, stepM)
		m.pos = next
		if !reached {
			break
		}
		stepM -= d
		m.target = m.waypoint(r)
		if d == 0 && distanceM(m.pos, m.target) == 0 {
			break // nowhere to go (a range that fits no point of the region)
		}
	}
	return m.pos
}

// waypoint picks a point uniformly in the disc of RangeM around home that
// lies in the region.
func (m *mover) waypoint(r *rand.Rand) orb.Point {
	for range 20 {
		rad := m.mode.RangeM * math.Sqrt(r.Float64())
		th := r.Float64() * 2 * math.Pi
		p := offsetM(m.home, rad*math.Cos(th), rad*math.Sin(th))
		if m.inside == nil || m.inside(p) {
			return p
		}
	}
	return m.home
}
