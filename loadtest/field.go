package loadtest

import (
	"math"
	"math/rand/v2"
	"time"
	"unicode/utf8"

	"github.com/paulmach/orb"
)

// FieldSpec is what members do after accepting (issue 20, item 6): they
// travel to the need at their speed, report arriving (most within the
// server's arrival radius, a share farther with a reason), some write one
// line to their team's thread, and they report leaving before they
// complete. OnCallShare of the people get weekly shift windows covering
// the drill (oncall.go).
type FieldSpec struct {
	// TimeScale compresses travel: simulated seconds per real second
	// (30: a 15-minute walk takes 30 s). MaxTravel caps the real wait so
	// that a short drill still sees most members arrive.
	TimeScale float64       `yaml:"time_scale"`
	MaxTravel time.Duration `yaml:"max_travel"`
	// OnFootKmh is the speed of people whose movement mode is still
	// (they walk to the need); others travel at their mode's speed_kmh.
	OnFootKmh float64 `yaml:"on_foot_kmh"`
	// ArrivalRadiusM is the server's field.arrival_radius_m: arrivals are
	// reported within 60% of it, or, for FarShare of them, 2 to 3.5 times
	// it with FarReason.
	ArrivalRadiusM float64 `yaml:"arrival_radius_m"`
	FarShare       float64 `yaml:"far_share"`
	FarReason      string  `yaml:"far_reason"`
	// MessageShare of the members who arrive write one of Messages to
	// their team's thread once the team is staffed.
	MessageShare float64  `yaml:"message_share"`
	Messages     []string `yaml:"messages"`
	OnCallShare  float64  `yaml:"on_call_share"`
}

// Field defaults.
const (
	defaultOnFootKmh      = 4.0
	defaultArrivalRadiusM = 150.0 // the server's field.arrival_radius_m
	maxMessageRunes       = 500   // the server's limit on a thread message
	maxReasonBytes        = 500   // the server's limit on an arrival's reason
)

func (sc *Scenario) validateField(bad func(string, ...any)) {
	f := sc.Field
	if f == nil {
		return
	}
	if f.TimeScale == 0 {
		f.TimeScale = 1
	}
	if f.OnFootKmh == 0 {
		f.OnFootKmh = defaultOnFootKmh
	}
	if f.ArrivalRadiusM == 0 {
		f.ArrivalRadiusM = defaultArrivalRadiusM
	}
	if f.TimeScale < 1 || f.TimeScale > 3600 {
		bad("field.time_scale must be in [1, 3600]")
	}
	if f.MaxTravel <= 0 || f.MaxTravel > 10*time.Minute {
		bad("field.max_travel must be in (0, 10m]")
	}
	if f.OnFootKmh < 0 || f.OnFootKmh > 20 {
		bad("field.on_foot_kmh must be in (0, 20]")
	}
	if f.ArrivalRadiusM < 10 || f.ArrivalRadiusM > 5000 {
		bad("field.arrival_radius_m must be in [10, 5000]")
	}
	for name, v := range map[string]float64{"far_share": f.FarShare, "message_share": f.MessageShare, "on_call_share": f.OnCallShare} {
		if v < 0 || v > 1 || math.IsNaN(v) {
			bad("field.%s must be in [0, 1]", name)
		}
	}
	if f.FarShare > 0 && (f.FarReason == "" || len(f.FarReason) > maxReasonBytes) {
		bad("field.far_reason: 1..%d bytes, required when far_share > 0", maxReasonBytes)
	}
	if f.MessageShare > 0 && len(f.Messages) == 0 {
		bad("field.messages: at least one text when message_share > 0")
	}
	for i, m := range f.Messages {
		if n := utf8.RuneCountInString(m); n == 0 || n > maxMessageRunes {
			bad("field.messages[%d]: 1..%d characters", i, maxMessageRunes)
		}
	}
}

// travelTime is the real time a member takes to cover distM at kmh,
// compressed by the time scale and capped.
func (f *FieldSpec) travelTime(distM, kmh float64) time.Duration {
	if kmh <= 0 {
		kmh = f.OnFootKmh
	}
	simulated := distM / (kmh / 3.6) // seconds
	d := time.Duration(simulated / f.TimeScale * float64(time.Second))
	return min(d, f.MaxTravel)
}

// arrivalPoint is where a member reports arriving: within 60% of the
// radius of the need, or, far, 2 to 3.5 radii away.
func (f *FieldSpec) arrivalPoint(r *rand.Rand, need orb.Point, far bool) orb.Point {
	dist := f.ArrivalRadiusM * 0.6 * math.Sqrt(r.Float64())
	if far {
		dist = f.ArrivalRadiusM * (2 + 1.5*r.Float64())
	}
	th := r.Float64() * 2 * math.Pi
	return offsetM(need, dist*math.Sin(th), dist*math.Cos(th))
}
