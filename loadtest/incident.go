package loadtest

import (
	"math"
	"strings"
	"time"
)

// IncidentSpec is the incident a scenario plays under (issue 16): either
// opened by the drill itself over the event area (POST /api/v1/incidents,
// kind and name) or received as a CAP warning over it (cap). Every need
// the drill creates lies in the event area and must join it.
type IncidentSpec struct {
	Name string   `yaml:"name"`
	Kind string   `yaml:"kind"`
	CAP  *CAPSpec `yaml:"cap"`
}

// CAPSpec is the warning the drill writes (capalert.go): what an
// early-warning centre would send, shaped like the national profile.
type CAPSpec struct {
	Sender      string        `yaml:"sender"`      // e.g. 37060041600000: region code and organisation
	SenderName  string        `yaml:"sender_name"` // 烟台市气象台
	Event       string        `yaml:"event"`       // 台风
	EventCode   string        `yaml:"event_code"`  // GB/T 35965.1 event code, e.g. 11B01
	Headline    string        `yaml:"headline"`
	Description string        `yaml:"description"`
	Instruction string        `yaml:"instruction"`
	AreaDesc    string        `yaml:"area_desc"`
	Severity    string        `yaml:"severity"` // Severe or Extreme
	Expires     time.Duration `yaml:"expires"`  // after sending; 0: none given
	// Status is Exercise (default: clearly a drill; the server pre-alerts
	// nobody on one) or Actual, which only a server the drill starts
	// accepts from it; PreAlert then turns cap.pre_alert on there.
	Status   string `yaml:"status"`
	PreAlert bool   `yaml:"pre_alert"`
}

// incidentKinds are the kinds POST /api/v1/incidents takes.
var incidentKinds = map[string]bool{"typhoon": true, "flood": true, "earthquake": true, "epidemic": true, "fire": true, "heatwave": true, "other": true}

// maxIncidentName is the server's limit on an incident's name, in bytes.
const maxIncidentName = 200

func (sc *Scenario) validateIncident(bad func(string, ...any)) {
	in := sc.Incident
	if in == nil {
		return
	}
	if (in.Kind == "") == (in.CAP == nil) {
		bad("incident: give exactly one of kind (the drill opens it) and cap (a warning opens it)")
	}
	if in.Kind != "" {
		if !incidentKinds[in.Kind] {
			bad("incident.kind %q: want typhoon, flood, earthquake, epidemic, fire, heatwave or other", in.Kind)
		}
		if in.Name == "" || len(in.Name) > maxIncidentName {
			bad("incident.name: 1..%d bytes", maxIncidentName)
		}
	}
	if c := in.CAP; c != nil {
		if in.Name != "" {
			bad("incident.name: a CAP warning names its incident by its headline; leave name out")
		}
		if c.Sender == "" || strings.ContainsAny(c.Sender, " ,<&") {
			bad("incident.cap.sender: required, without spaces, commas, < or &")
		}
		if c.Event == "" || c.Headline == "" {
			bad("incident.cap: event and headline are required")
		}
		if c.Severity != "Severe" && c.Severity != "Extreme" {
			bad("incident.cap.severity %q: want Severe or Extreme (a lesser warning opens no incident worth a drill)", c.Severity)
		}
		switch c.Status {
		case "":
			c.Status = "Exercise"
		case "Exercise", "Actual":
		default:
			bad("incident.cap.status %q: want Exercise or Actual", c.Status)
		}
		if c.PreAlert && c.Status != "Actual" {
			bad("incident.cap.pre_alert: the server pre-alerts nobody on an Exercise; it needs status Actual")
		}
		if c.Expires < 0 {
			bad("incident.cap.expires must be >= 0")
		}
	}
}

// areaRing is the event area as a closed ring of {lat, lng}: the polygon
// as written, or a circle as the polygon of 32 sides around it (drawn a
// little outside, so that every need drawn in the circle lies inside).
func (a EventArea) areaRing() []LatLng {
	if a.Circle == nil {
		ring := append([]LatLng(nil), a.Polygon...)
		if len(ring) > 0 && ring[0] != ring[len(ring)-1] {
			ring = append(ring, ring[0])
		}
		return ring
	}
	const sides = 32
	c := LatLng{a.Circle.Lat, a.Circle.Lng}.Point()
	r := a.Circle.RadiusM / math.Cos(math.Pi/sides) * 1.01
	ring := make([]LatLng, 0, sides+1)
	for i := range sides {
		th := 2 * math.Pi * float64(i) / sides
		p := offsetM(c, r*math.Sin(th), r*math.Cos(th))
		ring = append(ring, LatLng{Lat: p.Lat(), Lng: p.Lon()})
	}
	return append(ring, ring[0])
}

// geoJSONPolygon is the ring as a GeoJSON Polygon ([lng, lat] pairs).
func geoJSONPolygon(ring []LatLng) map[string]any {
	coords := make([][2]float64, len(ring))
	for i, v := range ring {
		coords[i] = [2]float64{v.Lng, v.Lat}
	}
	return map[string]any{"type": "Polygon", "coordinates": [][][2]float64{coords}}
}
