package loadtest

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"time"

	"github.com/paulmach/orb"
	"github.com/paulmach/orb/planar"
	"go.yaml.in/yaml/v3"
)

// Scenario is one scripted emergency, read from YAML. Every quantity a
// drill needs lives here so that two runs of the same file (and seed) play
// the same event; the command line only scales it (Scale).
type Scenario struct {
	Name        string        `yaml:"name"`
	Description string        `yaml:"description"`
	Seed        uint64        `yaml:"seed"`
	Duration    time.Duration `yaml:"duration"` // how long needs arrive
	Drain       time.Duration `yaml:"drain"`    // how long phones keep answering after the last need
	Region      Region        `yaml:"region"`
	Centres     []Centre      `yaml:"centres"`
	Responders  Population    `yaml:"responders"`
	Movement    Movement      `yaml:"movement"`
	Behaviour   Behaviour     `yaml:"behaviour"`
	Needs       Arrivals      `yaml:"needs"`
	Depots      []DepotSpec   `yaml:"depots"` // charity resources (depots.go)
	// Communities, organisations and escalation (linkage.go): an area
	// file (relative to the scenario's directory), organisations homed in
	// its areas, and the escalation time goals of a server the drill
	// starts (escalation.go).
	Areas         string           `yaml:"areas"`
	Organisations []OrgSpec        `yaml:"organisations"`
	Escalation    *EscalationGoals `yaml:"escalation"`
	// The incident the drill plays under (incident.go) and what members
	// do once they accepted: travel, arrive, message; and who is on call
	// (field.go).
	Incident *IncidentSpec `yaml:"incident"`
	Field    *FieldSpec    `yaml:"field"`
	// NudgeSurge makes a surge of needs near off-duty people who opted in
	// to nudges (nudgedrill.go); nil: none.
	NudgeSurge *NudgeSurgeSpec `yaml:"nudge_surge"`

	areas *areaSet // the areas file, read by Validate
}

// LatLng is a vertex in YAML. Named fields, not a pair, because half the
// world writes lat first and GeoJSON writes lng first.
type LatLng struct {
	Lat float64 `yaml:"lat"`
	Lng float64 `yaml:"lng"`
}

// Point converts to orb's [lng, lat] order in one place.
func (p LatLng) Point() orb.Point { return orb.Point{p.Lng, p.Lat} }

// Region is the area the drill plays in; responders never leave it.
type Region struct {
	Name    string   `yaml:"name"`
	Polygon []LatLng `yaml:"polygon"`
}

// Centre is a residential centre. People live in clusters, not on a
// uniform grid, and matching behaves very differently in a dense estate
// than on an empty hillside, so both responders and needs cluster here.
type Centre struct {
	Name    string  `yaml:"name"`
	Lat     float64 `yaml:"lat"`
	Lng     float64 `yaml:"lng"`
	RadiusM float64 `yaml:"radius_m"` // one standard deviation of the cluster
	Weight  float64 `yaml:"weight"`
}

// Population says who the responders are.
type Population struct {
	Count int       `yaml:"count"`
	Roles []RoleMix `yaml:"roles"`
	// Orgs: without organisations, ids handed out round-robin; with
	// them, the organisations that take members (empty: all); see
	// orgAssigner.
	Orgs []string `yaml:"orgs"`
	// SMSOnlyShare and PushOnlyShare (0..1, default 0) are the people
	// without a live page: SMS-only (no smartphone, registered with
	// channel sms) and reached by Web Push alone (the page closed).
	// Neither keeps a websocket open (channels.go).
	SMSOnlyShare  float64 `yaml:"sms_only_share"`
	PushOnlyShare float64 `yaml:"push_only_share"`
}

// RoleMix is one role's share of the population and the skills its people
// carry.
type RoleMix struct {
	Role          string     `yaml:"role"`
	Share         float64    `yaml:"share"`
	MaxConcurrent int        `yaml:"max_concurrent"`
	Skills        []SkillMix `yaml:"skills"`
}

// SkillMix is the fraction of a role holding a skill; certified skills are
// registered as certifications valid for a year, as the matcher only
// trusts current ones.
type SkillMix struct {
	Skill     string  `yaml:"skill"`
	Share     float64 `yaml:"share"`
	Certified bool    `yaml:"certified"`
}

// Movement says how responders move and how often their phones report.
type Movement struct {
	ReportEvery time.Duration `yaml:"report_every"`
	Modes       []ModeMix     `yaml:"modes"`
}

// ModeMix is one way of moving: still, walking or driving, each person
// wandering between random waypoints within RangeM of home.
type ModeMix struct {
	Mode     string  `yaml:"mode"`
	Share    float64 `yaml:"share"`
	SpeedKmh float64 `yaml:"speed_kmh"`
	RangeM   float64 `yaml:"range_m"`
}

// Behaviour is how a person answers an offer. Real volunteers hesitate,
// decline and miss their phone; a drill where everyone accepts instantly
// measures nothing a command centre cares about.
type Behaviour struct {
	Accept             float64 `yaml:"accept"`
	Decline            float64 `yaml:"decline"`
	Ignore             float64 `yaml:"ignore"`
	Think              Dist    `yaml:"think"`                // offer received -> answer sent
	Task               Dist    `yaml:"task"`                 // assignment received -> complete sent
	DisconnectsPerHour float64 `yaml:"disconnects_per_hour"` // phones losing the network
	Offline            Dist    `yaml:"offline"`              // how long a lost phone stays away
	// NudgeOnDuty is the share of surge nudges an off-duty phone answers
	// by going on duty, after a think time (0: none do).
	NudgeOnDuty float64 `yaml:"nudge_on_duty"`
}

// Arrivals is the stream of needs: a Poisson process whose rate follows a
// surge curve over the drill, placed in the event area.
type Arrivals struct {
	RatePerS  float64       `yaml:"rate_per_s"`
	Surge     []SurgePoint  `yaml:"surge"`
	Deadline  time.Duration `yaml:"deadline"` // 0: the server's default
	Spread    string        `yaml:"spread"`   // population or uniform
	EventArea EventArea     `yaml:"event_area"`
	Mix       []NeedMix     `yaml:"mix"`
}

// SurgePoint multiplies the base rate at a fraction of the drill; the
// curve is linear between points. Fractions, not times, so -duration
// scales the whole event.
type SurgePoint struct {
	At     float64 `yaml:"at"`
	Factor float64 `yaml:"factor"`
}

// EventArea is where needs arise: a polygon or a circle (an epicentre).
type EventArea struct {
	Name    string   `yaml:"name"`
	Polygon []LatLng `yaml:"polygon"`
	Circle  *Circle  `yaml:"circle"`
}

// Circle is a centre and a radius.
type Circle struct {
	Lat     float64 `yaml:"lat"`
	Lng     float64 `yaml:"lng"`
	RadiusM float64 `yaml:"radius_m"`
}

// NeedMix is one kind of need and the team it calls for.
type NeedMix struct {
	Category    string     `yaml:"category"`
	Share       float64    `yaml:"share"`
	Urgency     int        `yaml:"urgency"`
	Team        []TeamSlot `yaml:"team"`
	Description string     `yaml:"description"`
	Items       []ItemLine `yaml:"items"` // collected from the nearest depot with stock
}

// TeamSlot is one team entry as the API takes it.
type TeamSlot struct {
	Role   string   `yaml:"role" json:"role"`
	Count  int      `yaml:"count" json:"count"`
	Skills []string `yaml:"skills" json:"skills,omitempty"`
}

// Size is the number of people a need of this kind calls for.
func (m NeedMix) Size() int {
	n := 0
	for _, s := range m.Team {
		n += s.Count
	}
	return n
}

// LoadScenario reads and validates a scenario file.
func LoadScenario(path string) (*Scenario, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("load scenario: %w", err)
	}
	defer f.Close()
	sc, err := decodeScenario(f, filepath.Dir(path))
	if err != nil {
		return nil, fmt.Errorf("load scenario %s: %w", path, err)
	}
	return sc, nil
}

// DecodeScenario decodes strictly: an unknown key is an error, because a
// misspelt "surge" silently ignored would run a different drill than the
// one the command centre asked for.
func DecodeScenario(r io.Reader) (*Scenario, error) { return decodeScenario(r, "") }

// decodeScenario decodes a scenario whose relative file names (areas)
// are relative to dir.
func decodeScenario(r io.Reader, dir string) (*Scenario, error) {
	raw, err := io.ReadAll(r)
	if err != nil {
		return nil, err
	}
	dec := yaml.NewDecoder(bytes.NewReader(raw))
	dec.KnownFields(true)
	var sc Scenario
	if err := dec.Decode(&sc); err != nil {
		if errors.Is(err, io.EOF) {
			return nil, errors.New("empty scenario")
		}
		return nil, err
	}
	var extra any
	if err := dec.Decode(&extra); !errors.Is(err, io.EOF) {
		return nil, errors.New("a scenario is one YAML document")
	}
	if sc.Areas != "" && !filepath.IsAbs(sc.Areas) && dir != "" {
		sc.Areas = filepath.Join(dir, sc.Areas)
	}
	if err := sc.Validate(); err != nil {
		return nil, err
	}
	return &sc, nil
}

// Scale resizes the drill: responders to n (needs per second in
// proportion, so supply meets demand as in the full scenario) and the
// duration to d. A shorter drill also gets a shorter drain (a quarter of
// it, at least 5 s), so that a 30 s smoke drill takes about 30 s. Zero
// leaves a quantity as written.
func (sc *Scenario) Scale(n int, d time.Duration) {
	if n > 0 && n != sc.Responders.Count {
		sc.Needs.RatePerS *= float64(n) / float64(sc.Responders.Count)
		sc.Responders.Count = n
	}
	if d > 0 {
		if d < sc.Duration {
			sc.Drain = min(sc.Drain, max(d/4, 5*time.Second))
			if f := sc.Field; f != nil {
				// The event is compressed as a whole: travel too, so
				// members still arrive within the shorter drill.
				f.TimeScale *= float64(sc.Duration) / float64(d)
				f.MaxTravel = min(f.MaxTravel, d/3)
			}
		}
		sc.Duration = d
	}
}

// RegionPolygon is the region as an orb polygon.
func (sc *Scenario) RegionPolygon() orb.Polygon { return polygonOf(sc.Region.Polygon) }

func polygonOf(vs []LatLng) orb.Polygon {
	ring := make(orb.Ring, 0, len(vs)+1)
	for _, v := range vs {
		ring = append(ring, v.Point())
	}
	if len(ring) > 0 && ring[0] != ring[len(ring)-1] {
		ring = append(ring, ring[0])
	}
	return orb.Polygon{ring}
}

// Contains reports whether p lies in the event area.
func (a EventArea) Contains(p orb.Point) bool {
	if a.Circle != nil {
		return distanceM(p, LatLng{a.Circle.Lat, a.Circle.Lng}.Point()) <= a.Circle.RadiusM
	}
	return planar.PolygonContains(polygonOf(a.Polygon), p)
}

// Bound is the event area's bounding box.
func (a EventArea) Bound() orb.Bound {
	if a.Circle != nil {
		c := LatLng{a.Circle.Lat, a.Circle.Lng}.Point()
		dLat := a.Circle.RadiusM / metersPerDegree
		dLng := dLat / math.Cos(c.Lat()*math.Pi/180)
		return orb.Bound{Min: orb.Point{c.Lon() - dLng, c.Lat() - dLat}, Max: orb.Point{c.Lon() + dLng, c.Lat() + dLat}}
	}
	return polygonOf(a.Polygon).Bound()
}
