package geo

import (
	"encoding/json"
	"fmt"

	"github.com/paulmach/orb"
	"github.com/paulmach/orb/geojson"
)

// PolygonToCells returns the cells at res whose centres lie inside g, an
// orb.Polygon or orb.MultiPolygon (holes excluded), sorted and without
// duplicates. Centre containment is H3's rule: neighbouring areas that
// share an edge share no cells, and an area smaller than a cell may get
// none.
//
// Every ring must be closed (first point repeated last, so at least 4
// points) and enclose some area. Latitudes must be within -90..90.
// Longitudes may run past ±180 (up to ±360), as web maps report them after
// panning across the antimeridian; an edge whose ends differ by more than
// 180° is taken to cross the antimeridian, the short way round. Rings that
// wind around a pole are refused. Areas across the antimeridian are split
// there, so their cells come from both sides.
//
// It returns ErrTooManyCells rather than more than MaxCells cells, and
// refuses up front work estimated at twice that: bounding boxes that would
// hold that many cells, or rings so long at res that tracing them costs as
// much.
func PolygonToCells(g orb.Geometry, res int) ([]Cell, error) {
	if err := checkResolution(res); err != nil {
		return nil, fmt.Errorf("polygon to cells: %w", err)
	}
	polys, err := preparePolygons(g)
	if err != nil {
		return nil, fmt.Errorf("polygon to cells: %w", err)
	}
	cells, err := fill(polys, res, MaxCells)
	if err != nil {
		return nil, fmt.Errorf("polygon to cells: %w", err)
	}
	if len(cells) > MaxCells {
		return nil, fmt.Errorf("polygon to cells: %d cells at res %d, more than %d: %w", len(cells), res, MaxCells, ErrTooManyCells)
	}
	return cells, nil
}

// ParseArea reads an area drawn on the map or uploaded as GeoJSON: a
// Polygon or MultiPolygon geometry, a Feature holding one, or a
// FeatureCollection whose features all hold one. It returns an orb.Polygon
// when there is exactly one polygon and an orb.MultiPolygon otherwise, and
// checks the rings as PolygonToCells does, so a bad drawing is refused when
// it arrives rather than when it is used.
func ParseArea(data []byte) (orb.Geometry, error) {
	var head struct {
		Type string `json:"type"`
	}
	if err := json.Unmarshal(data, &head); err != nil {
		return nil, fmt.Errorf("parse area: not a GeoJSON object: %v: %w", err, ErrInvalidPolygon)
	}
	var polys []orb.Polygon
	switch head.Type {
	case "Polygon", "MultiPolygon":
		g, err := geojson.UnmarshalGeometry(data)
		if err != nil {
			return nil, fmt.Errorf("parse area: %v: %w", err, ErrInvalidPolygon)
		}
		if polys, err = polygonsOf(g.Geometry()); err != nil {
			return nil, fmt.Errorf("parse area: %w", err)
		}
	case "Feature":
		f, err := geojson.UnmarshalFeature(data)
		if err != nil {
			return nil, fmt.Errorf("parse area: %v: %w", err, ErrInvalidPolygon)
		}
		if polys, err = polygonsOf(f.Geometry); err != nil {
			return nil, fmt.Errorf("parse area: %w", err)
		}
	case "FeatureCollection":
		fc, err := geojson.UnmarshalFeatureCollection(data)
		if err != nil {
			return nil, fmt.Errorf("parse area: %v: %w", err, ErrInvalidPolygon)
		}
		for i, f := range fc.Features {
			if f == nil {
				return nil, fmt.Errorf("parse area: feature %d is null: %w", i, ErrInvalidPolygon)
			}
			ps, err := polygonsOf(f.Geometry)
			if err != nil {
				return nil, fmt.Errorf("parse area: feature %d: %w", i, err)
			}
			polys = append(polys, ps...)
		}
	case "":
		return nil, fmt.Errorf("parse area: no \"type\" member: %w", ErrInvalidPolygon)
	default:
		return nil, fmt.Errorf("parse area: GeoJSON %s is not an area, want Polygon, MultiPolygon, Feature or FeatureCollection: %w", quote(head.Type), ErrInvalidPolygon)
	}
	if len(polys) == 0 {
		return nil, fmt.Errorf("parse area: no polygons: %w", ErrInvalidPolygon)
	}
	var g orb.Geometry = orb.MultiPolygon(polys)
	if len(polys) == 1 {
		g = polys[0]
	}
	if _, err := preparePolygons(g); err != nil {
		return nil, fmt.Errorf("parse area: %w", err)
	}
	return g, nil
}

// polygonsOf flattens one decoded geometry into polygons.
func polygonsOf(g orb.Geometry) ([]orb.Polygon, error) {
	switch v := g.(type) {
	case orb.Polygon:
		return []orb.Polygon{v}, nil
	case orb.MultiPolygon:
		return v, nil
	case nil:
		return nil, fmt.Errorf("no geometry: %w", ErrInvalidPolygon)
	default:
		return nil, fmt.Errorf("%s is not an area, want Polygon or MultiPolygon: %w", g.GeoJSONType(), ErrInvalidPolygon)
	}
}

// CellsFeatureCollection draws cells for the map: one Polygon feature per
// valid cell, in the order given, with property "cell" holding its hex id.
// Outlines come from Cell.Boundary, so cells on the antimeridian have
// longitudes past ±180: Leaflet draws them whole, while strict RFC 7946
// consumers would want them split.
func CellsFeatureCollection(cells []Cell) *geojson.FeatureCollection {
	fc := geojson.NewFeatureCollection()
	for _, c := range cells {
		ring := c.Boundary()
		if ring == nil {
			continue
		}
		f := geojson.NewFeature(orb.Polygon{ring})
		f.Properties["cell"] = c.String()
		fc.Append(f)
	}
	return fc
}
