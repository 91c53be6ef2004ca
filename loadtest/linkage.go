package loadtest

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"os"
	"slices"

	"github.com/paulmach/orb"
	"github.com/paulmach/orb/geojson"
	"github.com/paulmach/orb/planar"
)

// Communities and organisations (docs/ARCHITECTURE.md, "Communities,
// organisations and escalation"): a scenario may load an area tree and create organisations
// homed in its areas before anyone registers, so that the server routes
// needs to communities and escalates them on its clock.

// OrgSpec is an organisation the drill creates (POST /api/v1/organisations).
type OrgSpec struct {
	ID       string   `yaml:"id" json:"id"`
	Name     string   `yaml:"name" json:"name"`
	Kind     string   `yaml:"kind" json:"kind"`
	HomeArea string   `yaml:"home_area" json:"home_area"`
	Partners []string `yaml:"partners" json:"partners"`
}

// orgKinds are the kinds the server knows (mobilize.OrgKinds).
var orgKinds = map[string]bool{"social_organisation": true, "social_work_station": true, "community_committee": true, "volunteer_team": true}

// tierDepth orders the tiers, city at the top.
var tierDepth = map[string]int{"city": 0, "district": 1, "street": 2, "community": 3}

// drillArea is one area of the scenario's file, as the drill needs it:
// enough to know which areas hold a responder's home.
type drillArea struct {
	ID, Tier, Parent string
	Geometry         orb.Geometry
}

// areaSet is the scenario's area file, read once at load.
type areaSet struct {
	raw   []byte // the file as it is POSTed
	areas []drillArea
	byID  map[string]drillArea
}

// readAreaFile reads and checks a GeoJSON FeatureCollection of areas with
// the rules the server applies, so a bad file fails the scenario at load
// and not after registration.
func readAreaFile(path string) (*areaSet, error) {
	raw, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	fc, err := geojson.UnmarshalFeatureCollection(raw)
	if err != nil {
		return nil, fmt.Errorf("%s: not a GeoJSON FeatureCollection: %w", path, err)
	}
	set := &areaSet{raw: raw, byID: map[string]drillArea{}}
	var errs []error
	for i, f := range fc.Features {
		a := drillArea{ID: f.Properties.MustString("id", ""), Tier: f.Properties.MustString("tier", ""),
			Parent: f.Properties.MustString("parent", ""), Geometry: f.Geometry}
		if !depotID.MatchString(a.ID) {
			errs = append(errs, fmt.Errorf("feature %d: id %q must be 1..64 of A-Z a-z 0-9 _ . -", i, a.ID))
		}
		if _, ok := set.byID[a.ID]; ok {
			errs = append(errs, fmt.Errorf("feature %d: id %q appears twice", i, a.ID))
		}
		if _, ok := tierDepth[a.Tier]; !ok {
			errs = append(errs, fmt.Errorf("feature %d %s: tier %q is not city, district, street or community", i, a.ID, a.Tier))
		}
		switch f.Geometry.(type) {
		case orb.Polygon, orb.MultiPolygon:
		default:
			errs = append(errs, fmt.Errorf("feature %d %s: geometry must be a Polygon or MultiPolygon", i, a.ID))
		}
		set.byID[a.ID] = a
		set.areas = append(set.areas, a)
	}
	for _, a := range set.areas {
		if a.Parent == "" {
			continue
		}
		if p, ok := set.byID[a.Parent]; !ok || tierDepth[p.Tier] != tierDepth[a.Tier]-1 {
			errs = append(errs, fmt.Errorf("area %s: parent %q is not an area one tier up in the file", a.ID, a.Parent))
		}
	}
	if len(set.areas) == 0 {
		errs = append(errs, errors.New("no areas"))
	}
	if err := errors.Join(errs...); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	// Deepest first, so that the first area holding a point is its most
	// local one.
	slices.SortStableFunc(set.areas, func(x, y drillArea) int { return cmp.Compare(tierDepth[y.Tier], tierDepth[x.Tier]) })
	return set, nil
}

// holding lists the areas that hold p, deepest tier first.
func (s *areaSet) holding(p orb.Point) []drillArea {
	var out []drillArea
	for _, a := range s.areas {
		var in bool
		switch g := a.Geometry.(type) {
		case orb.Polygon:
			in = planar.PolygonContains(g, p)
		case orb.MultiPolygon:
			in = planar.MultiPolygonContains(g, p)
		}
		if in {
			out = append(out, a)
		}
	}
	return out
}

// validateLinkage checks the areas file, the organisations and every
// organisation a responder or depot names.
func (sc *Scenario) validateLinkage(bad func(string, ...any)) {
	if sc.Areas != "" {
		set, err := readAreaFile(sc.Areas)
		if err != nil {
			bad("areas: %v", err)
		}
		sc.areas = set
	} else if len(sc.Organisations) > 0 {
		bad("organisations: need an areas file, as each is homed in one of its areas")
	}
	defined := map[string]bool{}
	for i, o := range sc.Organisations {
		if !depotID.MatchString(o.ID) || defined[o.ID] {
			bad("organisations[%d]: id must be 1..64 of A-Z a-z 0-9 _ . - and unique", i)
		}
		defined[o.ID] = true
		if o.Name == "" || !orgKinds[o.Kind] {
			bad("organisations[%d] %s: name is required and kind must be social_organisation, social_work_station, community_committee or volunteer_team", i, o.ID)
		}
		if sc.areas != nil {
			if _, ok := sc.areas.byID[o.HomeArea]; !ok {
				bad("organisations[%d] %s: home_area %q is not an area of %s", i, o.ID, o.HomeArea, sc.Areas)
			}
		}
	}
	for i, o := range sc.Organisations {
		for _, p := range o.Partners {
			if !defined[p] || p == o.ID {
				bad("organisations[%d] %s: partner %q is not another organisation of the scenario", i, o.ID, p)
			}
		}
	}
	if len(sc.Organisations) == 0 {
		return // responders.orgs are then bare labels, handed out round-robin
	}
	for i, id := range sc.Responders.Orgs {
		if !defined[id] {
			bad("responders.orgs[%d]: unknown organisation %q", i, id)
		}
	}
	for i, d := range sc.Depots {
		if !defined[d.Org] {
			bad("depots[%d] %s: unknown organisation %q", i, d.ID, d.Org)
		}
	}
}

// orgAssigner gives each responder an organisation. With organisations
// defined, a responder joins one homed in the most local area holding
// their home (a community's, else its street's, district's, city's),
// round-robin by person when several share that area; a home in no
// such area leaves them unorganised, in the city pool. responders.orgs,
// if set, limits which organisations take members. Without
// organisations, responders.orgs are handed out round-robin as labels.
type orgAssigner struct {
	labels []string
	areas  *areaSet
	byArea map[string][]string // home area -> organisations homed there
}

func (sc *Scenario) orgAssigner() orgAssigner {
	if len(sc.Organisations) == 0 || sc.areas == nil {
		return orgAssigner{labels: sc.Responders.Orgs}
	}
	eligible := func(string) bool { return true }
	if len(sc.Responders.Orgs) > 0 {
		eligible = func(id string) bool { return slices.Contains(sc.Responders.Orgs, id) }
	}
	a := orgAssigner{areas: sc.areas, byArea: map[string][]string{}}
	for _, o := range sc.Organisations {
		if eligible(o.ID) {
			a.byArea[o.HomeArea] = append(a.byArea[o.HomeArea], o.ID)
		}
	}
	return a
}

// org is the organisation of person i living at home.
func (a orgAssigner) org(i int, home orb.Point) string {
	if a.areas == nil {
		if len(a.labels) == 0 {
			return ""
		}
		return a.labels[i%len(a.labels)]
	}
	for _, area := range a.areas.holding(home) {
		if orgs := a.byArea[area.ID]; len(orgs) > 0 {
			return orgs[i%len(orgs)]
		}
	}
	return ""
}

// PostAreas loads an area FeatureCollection (admin).
func (c *Client) PostAreas(ctx context.Context, raw []byte) error {
	return c.do(ctx, http.MethodPost, "/api/v1/areas", nil, json.RawMessage(raw), nil, http.StatusOK)
}

// PutOrganisation creates (201) or replaces (200) an organisation.
func (c *Client) PutOrganisation(ctx context.Context, o OrgSpec) error {
	if o.Partners == nil {
		o.Partners = []string{}
	}
	err := c.do(ctx, http.MethodPost, "/api/v1/organisations", nil, o, nil, http.StatusCreated)
	var apiErr *APIError
	if errors.As(err, &apiErr) && apiErr.Status == http.StatusOK {
		return nil // it existed and is replaced
	}
	return err
}

// setupLinkage loads the areas and creates the organisations before
// anyone registers. Partners must exist when named, so every
// organisation is created first and those with partners are written
// again with them.
func (d *drill) setupLinkage(ctx context.Context) error {
	sc := d.sc
	if sc.areas == nil {
		return nil
	}
	if err := d.client.PostAreas(ctx, sc.areas.raw); err != nil {
		return fmt.Errorf("load areas %s: %w", sc.Areas, err)
	}
	for _, o := range sc.Organisations {
		bare := o
		bare.Partners = nil
		if err := d.client.PutOrganisation(ctx, bare); err != nil {
			return fmt.Errorf("create organisation %s: %w", o.ID, err)
		}
	}
	for _, o := range sc.Organisations {
		if len(o.Partners) == 0 {
			continue
		}
		if err := d.client.PutOrganisation(ctx, o); err != nil {
			return fmt.Errorf("set partners of organisation %s: %w", o.ID, err)
		}
	}
	d.logf("%d areas loaded from %s; %d organisations created", len(sc.areas.areas), sc.Areas, len(sc.Organisations))
	return nil
}
