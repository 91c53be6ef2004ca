package web

import (
	"context"
	"encoding/json"
	"math"
	"net/http"

	"github.com/paulmach/orb"
	"github.com/paulmach/orb/geojson"

	"github.com/liandong/liandong/geo"
	"github.com/liandong/liandong/mobilize"
)

// incidentGroup serves incidents: the events needs are grouped under, and
// their figures for the report to the civil-affairs bureau.
type incidentGroup struct {
	app   incidentApp
	audit *auditor
}

// incidentApp is what the incident group needs of the application.
type incidentApp interface {
	CreateIncident(ctx context.Context, in mobilize.Incident) (mobilize.Incident, error)
	Incidents(ctx context.Context) ([]mobilize.Incident, error)
	IncidentReport(ctx context.Context, id mobilize.IncidentID) (mobilize.Incident, mobilize.IncidentFigures, error)
	CloseIncident(ctx context.Context, id mobilize.IncidentID) (mobilize.Incident, error)
	Linkage(ctx context.Context) (*mobilize.Linkage, error)
}

// incidentRequest is the body of POST /api/v1/incidents.
type incidentRequest struct {
	Name     string          `json:"name" api:"required" doc:"1..200 bytes, e.g. 台风“海燕” Typhoon Haiyan"`
	Kind     string          `json:"kind" api:"required" doc:"typhoon, flood, earthquake, epidemic, fire, heatwave or other"`
	Area     json.RawMessage `json:"area" doc:"a GeoJSON Polygon or MultiPolygon; or give area_id"`
	AreaID   string          `json:"area_id" doc:"the id of a loaded area whose polygon is the incident's; or give area"`
	Exercise bool            `json:"exercise" doc:"a drill: its needs and figures are marked as such"`
}

// incidentJSON is an incident as the API shows it.
type incidentJSON struct {
	ID        string          `json:"id"`
	Name      string          `json:"name"`
	Kind      string          `json:"kind"`
	Status    string          `json:"status" doc:"active or closed"`
	Exercise  bool            `json:"exercise"`
	Area      json.RawMessage `json:"area" doc:"GeoJSON MultiPolygon"`
	AreaID    string          `json:"area_id,omitempty"`
	Alert     string          `json:"alert,omitempty" doc:"the CAP alert that opened it, sender,identifier"`
	Headline  string          `json:"headline,omitempty" doc:"the warning's latest headline"`
	Severity  string          `json:"severity,omitempty" doc:"the warning's latest CAP severity"`
	Expires   *string         `json:"expires" doc:"the warning's expiry; null when none"`
	CreatedAt string          `json:"created_at"`
	UpdatedAt string          `json:"updated_at"`
	ClosedAt  *string         `json:"closed_at"`
	// Figures are in the answer of GET /api/v1/incidents/{id} and of a
	// close, not in the list.
	Figures *incidentFiguresJSON `json:"figures,omitempty"`
}

type incidentFiguresJSON struct {
	Frozen          bool           `json:"frozen" doc:"true once closed: computed at the close and kept"`
	At              string         `json:"at" doc:"when the figures were computed"`
	Needs           int            `json:"needs"`
	ByStatus        map[string]int `json:"by_status"`
	ByCategory      map[string]int `json:"by_category"`
	People          int            `json:"people" doc:"different responders who accepted a place"`
	Items           map[string]int `json:"items" doc:"items of completed needs, per item"`
	Staffed         int            `json:"staffed" doc:"needs staffed, over which the times are"`
	MedianToStaffed *float64       `json:"median_to_staffed_s" doc:"seconds from creation to staffed; null when none is staffed"`
	P90ToStaffed    *float64       `json:"p90_to_staffed_s"`
}

type incidentList struct {
	Incidents []incidentJSON `json:"incidents" doc:"active first, newest first"`
}

func toIncidentJSON(in mobilize.Incident) incidentJSON {
	area, _ := json.Marshal(geojson.NewGeometry(in.Area))
	return incidentJSON{
		ID: string(in.ID), Name: in.Name, Kind: string(in.Kind), Status: string(in.Status), Exercise: in.Exercise,
		Area: area, AreaID: string(in.AreaID), Alert: in.Alert, Headline: in.Headline, Severity: in.Severity,
		Expires: optionalTime(in.Expires), CreatedAt: rfc3339(in.CreatedAt), UpdatedAt: rfc3339(in.UpdatedAt), ClosedAt: optionalTime(in.ClosedAt),
	}
}

func toFiguresJSON(f mobilize.IncidentFigures, frozen bool) *incidentFiguresJSON {
	out := &incidentFiguresJSON{Frozen: frozen, At: rfc3339(f.At), Needs: f.Needs, People: f.People, Staffed: f.Staffed,
		ByStatus: map[string]int{}, ByCategory: map[string]int{}, Items: map[string]int{}}
	for k, v := range f.ByStatus {
		out.ByStatus[string(k)] = v
	}
	for k, v := range f.ByCategory {
		out.ByCategory[k] = v
	}
	for k, v := range f.Items {
		out.Items[string(k)] = v
	}
	if f.Staffed > 0 {
		m, p := math.Round(f.MedianToStaffed.Seconds()), math.Round(f.P90ToStaffed.Seconds())
		out.MedianToStaffed, out.P90ToStaffed = &m, &p
	}
	return out
}

// handleCreateIncident is POST /api/v1/incidents (admins, operators).
func (g *incidentGroup) handleCreateIncident(ctx context.Context, c *call) error {
	var req incidentRequest
	if err := decodeStrict(c.body, &req); err != nil {
		return err
	}
	var p problems
	p.text("name", req.Name, mobilize.MaxIncidentNameLen, true, false)
	if _, err := mobilize.ParseIncidentKind(req.Kind); err != nil {
		p.addf("kind must be one of typhoon, flood, earthquake, epidemic, fire, heatwave, other")
	}
	hasArea := len(req.Area) > 0 && string(req.Area) != "null"
	if hasArea == (req.AreaID != "") {
		p.addf("give exactly one of area (a GeoJSON Polygon or MultiPolygon) and area_id")
	}
	if req.AreaID != "" {
		p.name("area_id", req.AreaID)
	}
	if err := p.err(); err != nil {
		return err
	}
	in := mobilize.Incident{Name: req.Name, Kind: mobilize.IncidentKind(req.Kind), Exercise: req.Exercise}
	var shape orb.Geometry
	if hasArea {
		g, err := geo.ParseArea(req.Area)
		if err != nil {
			return invalid("area: " + err.Error())
		}
		shape = g
	} else {
		link, err := g.app.Linkage(ctx)
		if err != nil {
			return err
		}
		a, ok := link.Areas.Area(mobilize.AreaID(req.AreaID))
		if !ok {
			return invalid("area_id " + req.AreaID + " is not a loaded area")
		}
		shape, in.AreaID = a.Geometry, a.ID
	}
	switch s := shape.(type) {
	case orb.Polygon:
		in.Area = orb.MultiPolygon{s}
	case orb.MultiPolygon:
		in.Area = s
	default:
		return invalid("area must be a Polygon or MultiPolygon")
	}
	created, err := g.app.CreateIncident(ctx, in)
	if err != nil {
		return err
	}
	g.audit.record(ctx, c.id, "incident.create", string(created.ID), 0)
	c.json(http.StatusCreated, toIncidentJSON(created))
	return nil
}

// handleListIncidents is GET /api/v1/incidents: active first.
func (g *incidentGroup) handleListIncidents(ctx context.Context, c *call) error {
	all, err := g.app.Incidents(ctx)
	if err != nil {
		return err
	}
	out := incidentList{Incidents: make([]incidentJSON, 0, len(all))}
	for _, in := range all {
		out.Incidents = append(out.Incidents, toIncidentJSON(in))
	}
	c.json(http.StatusOK, out)
	return nil
}

func incidentPathID(c *call) (mobilize.IncidentID, error) {
	id := c.r.PathValue("id")
	if !idPattern.MatchString(id) {
		return "", notFound("incident")
	}
	return mobilize.IncidentID(id), nil
}

// handleGetIncident is GET /api/v1/incidents/{id}: the incident and its
// figures (frozen once closed).
func (g *incidentGroup) handleGetIncident(ctx context.Context, c *call) error {
	id, err := incidentPathID(c)
	if err != nil {
		return err
	}
	in, f, err := g.app.IncidentReport(ctx, id)
	if err != nil {
		return err
	}
	out := toIncidentJSON(in)
	out.Figures = toFiguresJSON(f, in.Figures != nil)
	c.json(http.StatusOK, out)
	return nil
}

// handleCloseIncident is POST /api/v1/incidents/{id}/close: its figures
// are computed once and kept; its needs go on as they are.
func (g *incidentGroup) handleCloseIncident(ctx context.Context, c *call) error {
	if err := parseEmpty(c.body); err != nil {
		return err
	}
	id, err := incidentPathID(c)
	if err != nil {
		return err
	}
	in, err := g.app.CloseIncident(ctx, id)
	if err != nil {
		return err
	}
	g.audit.record(ctx, c.id, "incident.close", string(in.ID), 0)
	out := toIncidentJSON(in)
	if in.Figures != nil {
		out.Figures = toFiguresJSON(*in.Figures, true)
	}
	c.json(http.StatusOK, out)
	return nil
}
