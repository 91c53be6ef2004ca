// Package cap reads warnings in the Common Alerting Protocol, version 1.2
// (OASIS Standard CAP-V1.2, 2010), the format China's early-warning
// system publishes in under its national profile (GB/T 35965.1). It only
// parses and checks: what a warning does to the mobilisation is decided
// by the caller.
//
// The reader is strict on purpose, since warnings arrive from outside:
// no DTD or entity declaration at all, UTF-8 only, every element in the
// CAP 1.2 namespace, and every required element present and well formed.
package cap

import (
	"bytes"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/paulmach/orb"
)

// Namespace is the XML namespace of CAP 1.2 (CAP-V1.2 §3.3.1).
const Namespace = "urn:oasis:names:tc:emergency:cap:1.2"

// Limits on one alert, beyond the byte size the caller caps.
const (
	MaxInfos        = 20
	MaxAreas        = 50 // per info
	MaxPolygonPairs = 2000
	MaxTextLen      = 4000 // any one element's text
	MaxDepth        = 10   // CAP nests four deep; deeper is not CAP
)

// ErrInvalid is wrapped by every error about the alert's content; the
// *Problem it comes in names the element.
var ErrInvalid = errors.New("cap: invalid alert")

// Problem names the element at fault, for a clear 400.
type Problem struct {
	Element string // e.g. "alert/info[0]/severity"
	Detail  string
}

func (p *Problem) Error() string { return fmt.Sprintf("cap: %s: %s", p.Element, p.Detail) }
func (p *Problem) Unwrap() error { return ErrInvalid }

func problem(element, format string, args ...any) error {
	return &Problem{Element: element, Detail: fmt.Sprintf(format, args...)}
}

// Alert is the <alert> element, with the sub-elements the server reads
// or checks (CAP-V1.2 §3.2.1). Times stay text here; Sent and the infos'
// times are parsed by Validate's helpers.
type Alert struct {
	XMLName     xml.Name `xml:"urn:oasis:names:tc:emergency:cap:1.2 alert"`
	Identifier  string   `xml:"identifier"`
	Sender      string   `xml:"sender"`
	Sent        string   `xml:"sent"`
	Status      string   `xml:"status"`
	MsgType     string   `xml:"msgType"`
	Source      string   `xml:"source"`
	Scope       string   `xml:"scope"`
	Restriction string   `xml:"restriction"`
	Addresses   string   `xml:"addresses"`
	Code        []string `xml:"code"`
	Note        string   `xml:"note"`
	References  string   `xml:"references"`
	Incidents   string   `xml:"incidents"`
	Infos       []Info   `xml:"info"`
}

// Info is one <info> block: the event, how bad and how certain, and where.
type Info struct {
	Language     string      `xml:"language"`
	Categories   []string    `xml:"category"`
	Event        string      `xml:"event"`
	ResponseType []string    `xml:"responseType"`
	Urgency      string      `xml:"urgency"`
	Severity     string      `xml:"severity"`
	Certainty    string      `xml:"certainty"`
	Audience     string      `xml:"audience"`
	EventCodes   []NameValue `xml:"eventCode"`
	Effective    string      `xml:"effective"`
	Onset        string      `xml:"onset"`
	Expires      string      `xml:"expires"`
	SenderName   string      `xml:"senderName"`
	Headline     string      `xml:"headline"`
	Description  string      `xml:"description"`
	Instruction  string      `xml:"instruction"`
	Web          string      `xml:"web"`
	Contact      string      `xml:"contact"`
	Parameters   []NameValue `xml:"parameter"`
	Areas        []Area      `xml:"area"`
}

// Area is one <area>: a description and any of polygons, circles and
// geocodes.
type Area struct {
	Desc     string      `xml:"areaDesc"`
	Polygons []string    `xml:"polygon"`
	Circles  []string    `xml:"circle"`
	Geocodes []NameValue `xml:"geocode"`
	Altitude string      `xml:"altitude"`
	Ceiling  string      `xml:"ceiling"`
}

// NameValue is the valueName/value pair of eventCode, parameter, geocode.
type NameValue struct {
	Name  string `xml:"valueName"`
	Value string `xml:"value"`
}

// Reference is one "sender,identifier,sent" triple of <references>.
type Reference struct{ Sender, Identifier, Sent string }

// Enumerations of CAP-V1.2 §3.2.
var (
	Statuses   = []string{"Actual", "Exercise", "System", "Test", "Draft"}
	MsgTypes   = []string{"Alert", "Update", "Cancel", "Ack", "Error"}
	Scopes     = []string{"Public", "Restricted", "Private"}
	Categories = []string{"Geo", "Met", "Safety", "Security", "Rescue", "Fire", "Health", "Env", "Transport", "Infra", "CBRNE", "Other"}
	Urgencies  = []string{"Immediate", "Expected", "Future", "Past", "Unknown"}
	Severities = []string{"Extreme", "Severe", "Moderate", "Minor", "Unknown"}
	Certainty  = []string{"Observed", "Likely", "Possible", "Unlikely", "Unknown"}
)

// Parse reads and checks one CAP 1.2 alert. The caller caps the size
// before (the HTTP door answers 413). Every error wraps ErrInvalid; a
// *Problem in it names the element.
func Parse(data []byte) (*Alert, error) {
	if err := scan(data); err != nil {
		return nil, err
	}
	var a Alert
	d := xml.NewDecoder(bytes.NewReader(data))
	d.Strict = true
	if err := d.Decode(&a); err != nil {
		return nil, problem("alert", "not a CAP 1.2 alert: %v", err)
	}
	if err := a.Validate(); err != nil {
		return nil, err
	}
	return &a, nil
}

// scan walks every token before decoding: a DTD or entity declaration
// (a Directive token: <!DOCTYPE, <!ENTITY) is refused outright although
// encoding/xml would not expand external entities, any element outside
// the CAP 1.2 namespace is refused, and so is a document nested deeper
// than CAP ever is or with anything after the alert.
func scan(data []byte) error {
	// A Directive is reported only once the decoder reaches it; refuse
	// the usual spellings before reading at all, so nothing is decoded.
	upper := bytes.ToUpper(data)
	if bytes.Contains(upper, []byte("<!DOCTYPE")) || bytes.Contains(upper, []byte("<!ENTITY")) {
		return problem("alert", "a DTD or entity declaration is not allowed")
	}
	d := xml.NewDecoder(bytes.NewReader(data))
	d.Strict = true
	depth, roots := 0, 0
	for {
		tok, err := d.Token()
		if err == io.EOF {
			break
		}
		if err != nil {
			return problem("alert", "not well-formed XML: %v", err)
		}
		switch t := tok.(type) {
		case xml.Directive:
			return problem("alert", "a DTD or entity declaration is not allowed")
		case xml.ProcInst:
			if t.Target != "xml" {
				return problem("alert", "processing instruction %q is not allowed", t.Target)
			}
		case xml.StartElement:
			if depth == 0 {
				roots++
				if roots > 1 {
					return problem("alert", "more than one root element")
				}
				if t.Name.Local != "alert" {
					return problem("alert", "the root element is <%s>, not <alert>", t.Name.Local)
				}
			}
			if t.Name.Space != Namespace {
				return problem(t.Name.Local, "element is in namespace %q, not %s", t.Name.Space, Namespace)
			}
			depth++
			if depth > MaxDepth {
				return problem(t.Name.Local, "nested deeper than %d", MaxDepth)
			}
		case xml.EndElement:
			depth--
		case xml.CharData:
			if len(t) > MaxTextLen {
				return problem("alert", "an element's text is longer than %d bytes", MaxTextLen)
			}
		}
	}
	if roots == 0 {
		return problem("alert", "no <alert> element")
	}
	return nil
}

// Validate checks the required elements and the enumerations of
// CAP-V1.2 §3.2 and the shapes of polygons, circles and references.
func (a *Alert) Validate() error {
	for _, f := range []struct{ name, v string }{
		{"identifier", a.Identifier}, {"sender", a.Sender}, {"sent", a.Sent},
		{"status", a.Status}, {"msgType", a.MsgType}, {"scope", a.Scope},
	} {
		if strings.TrimSpace(f.v) == "" {
			return problem("alert/"+f.name, "required element is missing or empty")
		}
	}
	// §3.2.1: identifier and sender contain no spaces, commas nor < &.
	for _, f := range []struct{ name, v string }{{"identifier", a.Identifier}, {"sender", a.Sender}} {
		if strings.ContainsAny(f.v, " \t\r\n,<&") || len(f.v) > 256 {
			return problem("alert/"+f.name, "must be 1..256 characters without spaces, commas, < or &")
		}
	}
	if _, err := ParseTime(a.Sent); err != nil {
		return problem("alert/sent", "%v", err)
	}
	if err := oneOf("alert/status", a.Status, Statuses); err != nil {
		return err
	}
	if err := oneOf("alert/msgType", a.MsgType, MsgTypes); err != nil {
		return err
	}
	if err := oneOf("alert/scope", a.Scope, Scopes); err != nil {
		return err
	}
	refs, err := a.Refs()
	if err != nil {
		return err
	}
	if (a.MsgType == "Update" || a.MsgType == "Cancel") && len(refs) == 0 {
		return problem("alert/references", "an %s must name the alert it follows", a.MsgType)
	}
	if len(a.Infos) > MaxInfos {
		return problem("alert/info", "more than %d info blocks", MaxInfos)
	}
	for i, in := range a.Infos {
		if err := in.validate(fmt.Sprintf("alert/info[%d]", i)); err != nil {
			return err
		}
	}
	return nil
}

func (in Info) validate(where string) error {
	if len(in.Categories) == 0 {
		return problem(where+"/category", "required element is missing")
	}
	for _, c := range in.Categories {
		if err := oneOf(where+"/category", c, Categories); err != nil {
			return err
		}
	}
	if strings.TrimSpace(in.Event) == "" {
		return problem(where+"/event", "required element is missing or empty")
	}
	for _, f := range []struct {
		name, v string
		allowed []string
	}{{"urgency", in.Urgency, Urgencies}, {"severity", in.Severity, Severities}, {"certainty", in.Certainty, Certainty}} {
		if strings.TrimSpace(f.v) == "" {
			return problem(where+"/"+f.name, "required element is missing or empty")
		}
		if err := oneOf(where+"/"+f.name, f.v, f.allowed); err != nil {
			return err
		}
	}
	for _, f := range []struct{ name, v string }{{"effective", in.Effective}, {"onset", in.Onset}, {"expires", in.Expires}} {
		if f.v == "" {
			continue
		}
		if _, err := ParseTime(f.v); err != nil {
			return problem(where+"/"+f.name, "%v", err)
		}
	}
	if len(in.Areas) > MaxAreas {
		return problem(where+"/area", "more than %d areas", MaxAreas)
	}
	for j, ar := range in.Areas {
		aw := fmt.Sprintf("%s/area[%d]", where, j)
		if strings.TrimSpace(ar.Desc) == "" {
			return problem(aw+"/areaDesc", "required element is missing or empty")
		}
		if len(ar.Polygons) == 0 && len(ar.Circles) == 0 && len(ar.Geocodes) == 0 {
			return problem(aw, "needs a polygon, circle or geocode")
		}
		for k, p := range ar.Polygons {
			if _, err := ParsePolygon(p); err != nil {
				return problem(fmt.Sprintf("%s/polygon[%d]", aw, k), "%v", err)
			}
		}
		for k, c := range ar.Circles {
			if _, _, err := ParseCircle(c); err != nil {
				return problem(fmt.Sprintf("%s/circle[%d]", aw, k), "%v", err)
			}
		}
		for k, g := range ar.Geocodes {
			if strings.TrimSpace(g.Name) == "" || strings.TrimSpace(g.Value) == "" {
				return problem(fmt.Sprintf("%s/geocode[%d]", aw, k), "needs a valueName and a value")
			}
		}
	}
	return nil
}

func oneOf(element, v string, allowed []string) error {
	if !slices.Contains(allowed, v) {
		return problem(element, "%q is not one of %s", v, strings.Join(allowed, ", "))
	}
	return nil
}

// ParseTime reads a CAP dateTime: "2026-09-14T08:30:00+08:00", with an
// explicit offset; §3.3.2 forbids the letter Z.
func ParseTime(s string) (time.Time, error) {
	s = strings.TrimSpace(s)
	if strings.HasSuffix(s, "Z") || strings.HasSuffix(s, "z") {
		return time.Time{}, fmt.Errorf("time %q: CAP times carry a numeric offset such as +08:00, never Z", s)
	}
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		return time.Time{}, fmt.Errorf("time %q is not like 2026-09-14T08:30:00+08:00", s)
	}
	return t, nil
}

// Refs reads <references>: whitespace-separated "sender,identifier,sent".
func (a *Alert) Refs() ([]Reference, error) {
	var out []Reference
	for _, f := range strings.Fields(a.References) {
		parts := strings.Split(f, ",")
		if len(parts) != 3 || parts[0] == "" || parts[1] == "" {
			return nil, problem("alert/references", "%q is not sender,identifier,sent", f)
		}
		if _, err := ParseTime(parts[2]); err != nil {
			return nil, problem("alert/references", "%v", err)
		}
		out = append(out, Reference{Sender: parts[0], Identifier: parts[1], Sent: parts[2]})
	}
	return out, nil
}

// ParsePolygon reads a CAP polygon: "lat,lon lat,lon ..." of at least
// four pairs, the first and last the same (§3.2.4).
func ParsePolygon(s string) (orb.Polygon, error) {
	fields := strings.Fields(s)
	if len(fields) < 4 {
		return nil, fmt.Errorf("a polygon needs at least 4 lat,lon pairs, got %d", len(fields))
	}
	if len(fields) > MaxPolygonPairs {
		return nil, fmt.Errorf("a polygon has more than %d points", MaxPolygonPairs)
	}
	ring := make(orb.Ring, 0, len(fields))
	for _, f := range fields {
		p, err := parsePair(f)
		if err != nil {
			return nil, err
		}
		ring = append(ring, p)
	}
	if !ring.Closed() {
		return nil, errors.New("a polygon's first and last points must be the same")
	}
	return orb.Polygon{ring}, nil
}

// ParseCircle reads a CAP circle: "lat,lon radius" with the radius in
// kilometres (§3.2.4).
func ParseCircle(s string) (orb.Point, float64, error) {
	fields := strings.Fields(s)
	if len(fields) != 2 {
		return orb.Point{}, 0, errors.New(`a circle is "lat,lon radius_km"`)
	}
	p, err := parsePair(fields[0])
	if err != nil {
		return orb.Point{}, 0, err
	}
	r, err := strconv.ParseFloat(fields[1], 64)
	if err != nil || math.IsNaN(r) || r <= 0 || r > 2000 {
		return orb.Point{}, 0, fmt.Errorf("radius %q must be a number of kilometres in (0, 2000]", fields[1])
	}
	return p, r, nil
}

// parsePair reads "lat,lon" into an orb.Point ([lon, lat]).
func parsePair(s string) (orb.Point, error) {
	lat, lon, ok := strings.Cut(s, ",")
	if !ok {
		return orb.Point{}, fmt.Errorf("%q is not lat,lon", s)
	}
	la, err1 := strconv.ParseFloat(lat, 64)
	lo, err2 := strconv.ParseFloat(lon, 64)
	if err1 != nil || err2 != nil || math.IsNaN(la) || math.IsNaN(lo) || la < -90 || la > 90 || lo < -180 || lo > 180 {
		return orb.Point{}, fmt.Errorf("%q is not lat,lon within -90..90, -180..180", s)
	}
	return orb.Point{lo, la}, nil
}

// circleSides is how many sides a circle becomes: enough that the
// polygon strays less than 0.5 % of the radius from the circle.
const circleSides = 48

// CirclePolygon approximates a circle of radius km around c by a closed
// polygon, on a local flat projection (fine for warning areas, which are
// tens of kilometres).
func CirclePolygon(c orb.Point, km float64) orb.Polygon {
	const kmPerDegLat = 111.32
	dLat := km / kmPerDegLat
	dLon := km / (kmPerDegLat * math.Max(math.Cos(c[1]*math.Pi/180), 0.01))
	ring := make(orb.Ring, 0, circleSides+1)
	for i := range circleSides {
		a := 2 * math.Pi * float64(i) / circleSides
		ring = append(ring, orb.Point{c[0] + dLon*math.Cos(a), c[1] + dLat*math.Sin(a)})
	}
	return orb.Polygon{append(ring, ring[0])}
}

// Geometry is every polygon and circle of every info's areas, as one
// multipolygon; empty when the alert places itself by geocodes only.
func (a *Alert) Geometry() orb.MultiPolygon {
	var out orb.MultiPolygon
	for _, in := range a.Infos {
		for _, ar := range in.Areas {
			for _, s := range ar.Polygons {
				if p, err := ParsePolygon(s); err == nil {
					out = append(out, p)
				}
			}
			for _, s := range ar.Circles {
				if c, r, err := ParseCircle(s); err == nil {
					out = append(out, CirclePolygon(c, r))
				}
			}
		}
	}
	return out
}

// Geocodes lists every geocode value of every area (GB/T 2260 region
// codes under the national profile), for placing an alert by a loaded
// area of that id.
func (a *Alert) Geocodes() []string {
	var out []string
	for _, in := range a.Infos {
		for _, ar := range in.Areas {
			for _, g := range ar.Geocodes {
				out = append(out, strings.TrimSpace(g.Value))
			}
		}
	}
	return out
}

// Key names the alert the way references do: sender,identifier,sent.
func (a *Alert) Key() Reference {
	return Reference{Sender: a.Sender, Identifier: a.Identifier, Sent: a.Sent}
}

// Worst is the info with the gravest severity (the first of equals), or
// nil when there is none: its headline, event and expiry speak for the
// alert.
func (a *Alert) Worst() *Info {
	var best *Info
	rank := func(s string) int { return slices.Index(Severities, s) }
	for i := range a.Infos {
		if best == nil || rank(a.Infos[i].Severity) < rank(best.Severity) {
			best = &a.Infos[i]
		}
	}
	return best
}

// Expires is the latest expiry of the infos; zero when none says.
func (a *Alert) Expires() time.Time {
	var out time.Time
	for _, in := range a.Infos {
		if t, err := ParseTime(in.Expires); err == nil && t.After(out) {
			out = t
		}
	}
	return out
}
