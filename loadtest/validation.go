package loadtest

import (
	"errors"
	"fmt"
	"math"
	"regexp"
	"time"

	"github.com/paulmach/orb/planar"
)

// Roles the server knows (the responder role enum of its OpenAPI
// document). A scenario naming another would only
// fail at registration, minutes into a large drill.
var knownRoles = map[string]bool{"social_worker": true, "volunteer": true, "medic": true, "community_worker": true}

var skillPattern = regexp.MustCompile(`^[A-Za-z0-9_.-]{1,64}$`)

// Limits that keep a drill bounded whatever the file says.
const (
	maxDrillDuration = 24 * time.Hour
	maxResponders    = 200_000
	// staleAfter is the server's default index.stale_after: a phone that
	// reports less often than this is never a candidate.
	staleAfter = 10 * time.Minute
)

// Validate checks a scenario before anything is registered, so that a
// typo costs a second and not a half-built drill.
func (sc *Scenario) Validate() error {
	var errs []error
	bad := func(format string, a ...any) { errs = append(errs, fmt.Errorf(format, a...)) }

	if sc.Name == "" {
		bad("name is required")
	}
	if sc.Duration <= 0 || sc.Duration > maxDrillDuration {
		bad("duration must be in (0, %v]", maxDrillDuration)
	}
	if sc.Drain < 0 || sc.Drain > 10*time.Minute {
		bad("drain must be in [0, 10m]")
	}
	if err := validPolygon(sc.Region.Polygon); err != nil {
		bad("region.polygon: %v", err)
	}
	region := sc.RegionPolygon()
	if len(sc.Centres) == 0 {
		bad("centres: at least one residential centre is required")
	}
	for i, c := range sc.Centres {
		if c.RadiusM <= 0 || c.Weight <= 0 {
			bad("centres[%d] %q: radius_m and weight must be > 0", i, c.Name)
		}
		if !planar.PolygonContains(region, LatLng{c.Lat, c.Lng}.Point()) {
			bad("centres[%d] %q lies outside the region", i, c.Name)
		}
	}
	sc.validatePopulation(bad)
	sc.validateMovement(bad)
	sc.validateBehaviour(bad)
	sc.validateNeeds(bad)
	sc.validateDepots(bad)
	sc.validateLinkage(bad)
	sc.validateEscalation(bad)
	sc.validateIncident(bad)
	sc.validateField(bad)
	if s := sc.NudgeSurge; s != nil {
		s.defaults(sc)
		if err := s.validate(); err != nil {
			bad("%v", err)
		}
		if b := sc.Behaviour.NudgeOnDuty; b < 0 || b > 1 {
			bad("behaviour.nudge_on_duty: %g is outside 0..1", b)
		}
	}
	return errors.Join(errs...)
}

func validPolygon(vs []LatLng) error {
	if len(vs) < 3 {
		return errors.New("at least 3 vertices")
	}
	for i, v := range vs {
		if v.Lat < -90 || v.Lat > 90 || v.Lng < -180 || v.Lng > 180 || (v.Lat == 0 && v.Lng == 0) {
			return fmt.Errorf("vertex %d (%v, %v) is out of range", i, v.Lat, v.Lng)
		}
	}
	if planar.Area(polygonOf(vs)) == 0 {
		return errors.New("the polygon has no area")
	}
	return nil
}

func shareSum(name string, shares []float64, bad func(string, ...any)) {
	sum := 0.0
	for i, s := range shares {
		if s <= 0 || s > 1 {
			bad("%s[%d].share must be in (0, 1]", name, i)
		}
		sum += s
	}
	if len(shares) == 0 {
		bad("%s: at least one entry is required", name)
	} else if math.Abs(sum-1) > 1e-6 {
		bad("%s: shares add up to %.4f, not 1", name, sum)
	}
}

func (sc *Scenario) validatePopulation(bad func(string, ...any)) {
	p := sc.Responders
	if p.Count <= 0 || p.Count > maxResponders {
		bad("responders.count must be in [1, %d]", maxResponders)
	}
	if p.SMSOnlyShare < 0 || p.SMSOnlyShare > 1 || p.PushOnlyShare < 0 || p.PushOnlyShare > 1 || math.IsNaN(p.SMSOnlyShare+p.PushOnlyShare) {
		bad("responders.sms_only_share and push_only_share must be in [0, 1]")
	} else if p.SMSOnlyShare+p.PushOnlyShare > 1 {
		bad("responders.sms_only_share + push_only_share add up to %.4f, more than 1", p.SMSOnlyShare+p.PushOnlyShare)
	}
	shares := make([]float64, len(p.Roles))
	for i, r := range p.Roles {
		shares[i] = r.Share
		if !knownRoles[r.Role] {
			bad("responders.roles[%d]: unknown role %q", i, r.Role)
		}
		if r.MaxConcurrent < 0 || r.MaxConcurrent > 10 {
			bad("responders.roles[%d].max_concurrent must be in [0, 10] (0: the server's default, 1)", i)
		}
		for j, s := range r.Skills {
			if !skillPattern.MatchString(s.Skill) {
				bad("responders.roles[%d].skills[%d]: bad skill name %q", i, j, s.Skill)
			}
			if s.Share <= 0 || s.Share > 1 {
				bad("responders.roles[%d].skills[%d].share must be in (0, 1]", i, j)
			}
		}
	}
	shareSum("responders.roles", shares, bad)
}

func (sc *Scenario) validateMovement(bad func(string, ...any)) {
	m := sc.Movement
	if m.ReportEvery < time.Second || m.ReportEvery >= staleAfter {
		bad("movement.report_every must be in [1s, %v): the server forgets silent phones", staleAfter)
	}
	shares := make([]float64, len(m.Modes))
	for i, md := range m.Modes {
		shares[i] = md.Share
		switch md.Mode {
		case "still":
			if md.SpeedKmh != 0 || md.RangeM != 0 {
				bad("movement.modes[%d]: still takes no speed_kmh or range_m", i)
			}
		case "walking", "driving":
			if md.SpeedKmh <= 0 || md.SpeedKmh > 150 || md.RangeM <= 0 {
				bad("movement.modes[%d]: %s needs speed_kmh in (0, 150] and range_m > 0", i, md.Mode)
			}
		default:
			bad("movement.modes[%d]: unknown mode %q (still, walking, driving)", i, md.Mode)
		}
	}
	shareSum("movement.modes", shares, bad)
}

func (sc *Scenario) validateBehaviour(bad func(string, ...any)) {
	b := sc.Behaviour
	for name, p := range map[string]float64{"accept": b.Accept, "decline": b.Decline, "ignore": b.Ignore} {
		if p < 0 || p > 1 {
			bad("behaviour.%s must be a probability", name)
		}
	}
	if math.Abs(b.Accept+b.Decline+b.Ignore-1) > 1e-6 {
		bad("behaviour: accept + decline + ignore must be 1")
	}
	for name, d := range map[string]Dist{"think": b.Think, "task": b.Task} {
		if err := d.Validate(); err != nil {
			bad("behaviour.%s: %v", name, err)
		}
	}
	if b.DisconnectsPerHour < 0 || b.DisconnectsPerHour > 3600 {
		bad("behaviour.disconnects_per_hour must be in [0, 3600]")
	}
	if b.DisconnectsPerHour > 0 {
		if err := b.Offline.Validate(); err != nil {
			bad("behaviour.offline: %v", err)
		}
	} else if b.Offline != (Dist{}) {
		bad("behaviour.offline is set but disconnects_per_hour is 0")
	}
}

func (sc *Scenario) validateNeeds(bad func(string, ...any)) {
	n := sc.Needs
	if n.RatePerS <= 0 || n.RatePerS > 10_000 {
		bad("needs.rate_per_s must be in (0, 10000]")
	}
	for i, s := range n.Surge {
		if s.At < 0 || s.At > 1 || s.Factor < 0 || s.Factor > 100 {
			bad("needs.surge[%d]: at must be in [0, 1] and factor in [0, 100]", i)
		}
		if i > 0 && s.At <= n.Surge[i-1].At {
			bad("needs.surge[%d]: at must increase", i)
		}
	}
	if n.Deadline < 0 || n.Deadline > 30*24*time.Hour {
		bad("needs.deadline must be in [0, 30 days]")
	}
	if n.Spread != "" && n.Spread != "population" && n.Spread != "uniform" {
		bad("needs.spread must be population or uniform")
	}
	a := n.EventArea
	switch {
	case a.Circle != nil && len(a.Polygon) > 0:
		bad("needs.event_area: a polygon or a circle, not both")
	case a.Circle != nil:
		if a.Circle.RadiusM <= 0 {
			bad("needs.event_area.circle.radius_m must be > 0")
		}
		if !planar.PolygonContains(sc.RegionPolygon(), LatLng{a.Circle.Lat, a.Circle.Lng}.Point()) {
			bad("needs.event_area.circle: the centre lies outside the region")
		}
	default:
		if err := validPolygon(a.Polygon); err != nil {
			bad("needs.event_area.polygon: %v", err)
		} else if !planar.PolygonContains(sc.RegionPolygon(), a.Bound().Center()) {
			bad("needs.event_area: its centre lies outside the region")
		}
	}
	shares := make([]float64, len(n.Mix))
	for i, m := range n.Mix {
		shares[i] = m.Share
		if m.Category == "" || len(m.Category) > 64 {
			bad("needs.mix[%d]: category must be 1..64 bytes", i)
		}
		if m.Urgency < 1 || m.Urgency > 4 {
			bad("needs.mix[%d] %s: urgency must be 1..4", i, m.Category)
		}
		if len(m.Team) == 0 || len(m.Team) > 10 || m.Size() > 50 {
			bad("needs.mix[%d] %s: team must have 1..10 entries and 50 people at most", i, m.Category)
		}
		for j, t := range m.Team {
			if t.Count < 1 {
				bad("needs.mix[%d].team[%d]: count must be >= 1", i, j)
			}
			if !sc.canStaff(t) {
				bad("needs.mix[%d].team[%d]: no responder in the population is a %s with skills %v", i, j, t.Role, t.Skills)
			}
		}
	}
	shareSum("needs.mix", shares, bad)
}

// canStaff reports whether the population can ever fill a team entry; a
// scenario that cannot would report "unstaffed" and blame the server.
func (sc *Scenario) canStaff(t TeamSlot) bool {
	for _, r := range sc.Responders.Roles {
		if r.Role != t.Role {
			continue
		}
		have := map[string]bool{}
		for _, s := range r.Skills {
			have[s.Skill] = true
		}
		ok := true
		for _, s := range t.Skills {
			ok = ok && have[s]
		}
		if ok {
			return true
		}
	}
	return false
}
