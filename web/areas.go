package web

import (
	"context"
	"fmt"
	"net/http"

	"github.com/paulmach/orb/geojson"

	"github.com/liandong/liandong/mobilize"
)

// Areas, organisations and escalation: the five-society linkage. The
// linkage group keeps the areas and organisations; the needs group's
// escalate and needScope route needs through them.

// linkageGroup serves the areas and the organisations.
type linkageGroup struct {
	app   linkageApp
	audit *auditor
}

// linkageApp is what the linkage group needs of the application.
type linkageApp interface {
	PutAreas(ctx context.Context, upload []mobilize.Area) error
	Areas(ctx context.Context) ([]mobilize.Area, error)
	PutOrganisation(ctx context.Context, o mobilize.Organisation) (created bool, err error)
	Organisations(ctx context.Context) ([]mobilize.Organisation, error)
	MemberCount(ctx context.Context, org string) (int64, error)
}

// maxAreaBodyBytes bounds an area upload: a city's communities as
// simplified polygons fit in a few megabytes.
const maxAreaBodyBytes = 16 << 20

// areaCollectionJSON documents an area upload and listing: a GeoJSON
// FeatureCollection whose features are Polygons or MultiPolygons with
// properties id, name, tier and parent.
type areaCollectionJSON struct {
	Type     string            `json:"type" doc:"FeatureCollection"`
	Features []areaFeatureJSON `json:"features" doc:"properties: id (1..64 of A-Z a-z 0-9 _ . -), name, tier (city, district, street, community), parent (the id of the area one tier up; none for a city); name_en, note, source and illustrative are allowed as labels"`
}

type areaFeatureJSON struct {
	Type       string         `json:"type" doc:"Feature"`
	Properties map[string]any `json:"properties"`
	Geometry   map[string]any `json:"geometry" doc:"Polygon or MultiPolygon, closed rings of at least 4 positions"`
}

// areasLoadedJSON answers an upload.
type areasLoadedJSON struct {
	Loaded int `json:"loaded" doc:"areas added or replaced"`
	Total  int `json:"total" doc:"areas stored now"`
}

// handlePutAreas is POST /api/v1/areas (admin): add or replace areas from
// a FeatureCollection, all or nothing.
func (g *linkageGroup) handlePutAreas(ctx context.Context, c *call) error {
	areas, err := mobilize.ParseAreaCollection(c.body)
	if err != nil {
		return err
	}
	if err := g.app.PutAreas(ctx, areas); err != nil {
		return err
	}
	all, err := g.app.Areas(ctx)
	if err != nil {
		return err
	}
	g.audit.record(ctx, c.id, "areas.load", fmt.Sprintf("%d areas", len(areas)), 0)
	c.json(http.StatusOK, areasLoadedJSON{Loaded: len(areas), Total: len(all)})
	return nil
}

// handleListAreas is GET /api/v1/areas: every area as GeoJSON, for the
// console's overlay and for checking an upload.
func (g *linkageGroup) handleListAreas(ctx context.Context, c *call) error {
	areas, err := g.app.Areas(ctx)
	if err != nil {
		return err
	}
	fc := geojson.NewFeatureCollection()
	for _, ar := range areas {
		f := geojson.NewFeature(ar.Geometry)
		f.Properties["id"], f.Properties["name"], f.Properties["tier"] = string(ar.ID), ar.Name, string(ar.Tier)
		if ar.Parent != "" {
			f.Properties["parent"] = string(ar.Parent)
		}
		fc.Append(f)
	}
	c.json(http.StatusOK, fc)
	return nil
}

// organisationRequest is the body of POST /api/v1/organisations.
type organisationRequest struct {
	ID       string           `json:"id" api:"required" doc:"1..64 of A-Z a-z 0-9 _ . -; responders join by naming it as their org_id"`
	Name     string           `json:"name" api:"required"`
	Kind     mobilize.OrgKind `json:"kind" api:"required" enum:"social_organisation,social_work_station,community_committee,volunteer_team"`
	HomeArea string           `json:"home_area" api:"required" doc:"the id of a loaded area: the community, street, district or city it serves first"`
	Partners []string         `json:"partners" doc:"ids of existing organisations asked when this one's people cannot fill a need (both ways)"`
}

// organisationJSON is an organisation as the API shows it.
type organisationJSON struct {
	ID       string           `json:"id"`
	Name     string           `json:"name"`
	Kind     mobilize.OrgKind `json:"kind"`
	HomeArea string           `json:"home_area"`
	Partners []string         `json:"partners"`
	Members  int64            `json:"members" doc:"responders registered with this org_id"`
}

type organisationList struct {
	Organisations []organisationJSON `json:"organisations"`
}

func (g *linkageGroup) toOrganisationJSON(ctx context.Context, o mobilize.Organisation) (organisationJSON, error) {
	n, err := g.app.MemberCount(ctx, o.ID)
	if o.Partners == nil {
		o.Partners = []string{}
	}
	return organisationJSON{ID: o.ID, Name: o.Name, Kind: o.Kind, HomeArea: string(o.HomeArea), Partners: o.Partners, Members: n}, err
}

// handlePutOrganisation is POST /api/v1/organisations (admin, operator):
// create or replace one organisation.
func (g *linkageGroup) handlePutOrganisation(ctx context.Context, c *call) error {
	var req organisationRequest
	if err := decodeStrict(c.body, &req); err != nil {
		return err
	}
	o := mobilize.Organisation{ID: req.ID, Name: req.Name, Kind: req.Kind, HomeArea: mobilize.AreaID(req.HomeArea), Partners: req.Partners}
	var p problems
	p.text("name", req.Name, mobilize.MaxAreaNameLen, true, false)
	if err := p.err(); err != nil {
		return err
	}
	created, err := g.app.PutOrganisation(ctx, o)
	if err != nil {
		return err
	}
	g.audit.record(ctx, c.id, "organisation.put", o.ID, 0)
	out, err := g.toOrganisationJSON(ctx, o)
	if err != nil {
		return err
	}
	status := http.StatusOK
	if created {
		status = http.StatusCreated
	}
	c.json(status, out)
	return nil
}

// handleListOrganisations is GET /api/v1/organisations; a coordinator
// sees its own organisation and its partners.
func (g *linkageGroup) handleListOrganisations(ctx context.Context, c *call) error {
	orgs, err := g.app.Organisations(ctx)
	if err != nil {
		return err
	}
	out := organisationList{Organisations: []organisationJSON{}}
	var own mobilize.Organisation
	for _, o := range orgs {
		if o.ID == c.id.OrgID {
			own = o
		}
	}
	for _, o := range orgs {
		if c.id.Role == RoleCoordinator && o.ID != c.id.OrgID && !partners(own, o) {
			continue
		}
		oj, err := g.toOrganisationJSON(ctx, o)
		if err != nil {
			return err
		}
		out.Organisations = append(out.Organisations, oj)
	}
	c.json(http.StatusOK, out)
	return nil
}

func partners(x, y mobilize.Organisation) bool {
	for _, p := range x.Partners {
		if p == y.ID {
			return true
		}
	}
	for _, p := range y.Partners {
		if p == x.ID {
			return true
		}
	}
	return false
}

// escalationJSON is where a need is in its escalation (mobilize/escalation.go).
type escalationJSON struct {
	Step     int           `json:"step" doc:"0 community, 1 rings, 2 partners, 3 street, 4 district, 5 city"`
	StepName string        `json:"step_name"`
	Tier     mobilize.Tier `json:"tier"`
	Since    string        `json:"since" doc:"when the step began"`
	GoalS    float64       `json:"goal_s" doc:"seconds the need may wait at one step before it widens"`
	NextAt   *string       `json:"next_at" doc:"when it widens next if still unfilled; null at the city pool"`
}

func (g *needGroup) escalationOf(ctx context.Context, n mobilize.NeedState) (*escalationJSON, error) {
	st, goal, ok, err := g.app.EscalationOf(ctx, n)
	if err != nil || !ok {
		return nil, err
	}
	step := mobilize.EscalationSteps[min(st.Step, mobilize.LastStep)]
	out := &escalationJSON{Step: st.Step, StepName: step.Name, Tier: step.Tier, Since: rfc3339(st.Since), GoalS: goal.Seconds()}
	if st.Step < mobilize.LastStep && n.Status.Active() {
		next := rfc3339(st.Since.Add(goal))
		out.NextAt = &next
	}
	return out, nil
}

// handleEscalate is POST /api/v1/needs/{id}/escalate (operators): widen
// the need's scope one step now.
func (g *needGroup) handleEscalate(ctx context.Context, c *call) error {
	if err := parseEmpty(c.body); err != nil {
		return err
	}
	if _, err := g.needFor(ctx, c); err != nil {
		return err
	}
	n, _, err := g.app.Escalate(ctx, mobilize.NeedID(c.r.PathValue("id")))
	if err != nil {
		return err
	}
	g.audit.record(ctx, c.id, "need.escalate", string(n.ID), 0)
	out := toNeedJSON(n)
	if out.Escalation, err = g.escalationOf(ctx, n); err != nil {
		return err
	}
	c.json(http.StatusOK, out)
	return nil
}

// needScope returns whether the caller may see a need. Staff other than
// coordinators see every need; a coordinator sees its organisation's own
// needs and those routed to a community within the organisation's home
// area (a community committee its community, a street's social work
// station every community of its street).
func (g *needGroup) needScope(ctx context.Context, id Identity) (func(mobilize.NeedState) bool, error) {
	if id.Role != RoleCoordinator {
		return func(mobilize.NeedState) bool { return true }, nil
	}
	link, err := g.app.Linkage(ctx)
	if err != nil {
		return nil, err
	}
	return coordinatorSees(link, id), nil
}

// coordinatorSees is needScope's rule for a coordinator.
func coordinatorSees(link *mobilize.Linkage, id Identity) func(mobilize.NeedState) bool {
	home := link.Orgs[id.OrgID].HomeArea
	return func(n mobilize.NeedState) bool {
		return n.OrgID == id.OrgID || (home != "" && link.Areas.Within(n.Community, home))
	}
}
