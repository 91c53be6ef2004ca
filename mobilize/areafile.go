package mobilize

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strings"

	"github.com/liandong/liandong/geo"
)

// areaProperties are the properties a feature of an area file may carry:
// id, name, tier and parent are read; name_en, note, source and
// illustrative are allowed as labels and ignored. Anything else is
// refused, so that a misspelt "parnet" is not silently dropped.
var areaLabels = map[string]bool{"name_en": true, "note": true, "source": true, "illustrative": true}

// ParseAreaCollection reads a GeoJSON FeatureCollection of areas: each
// feature a Polygon or MultiPolygon with properties id, name, tier
// (city, district, street, community) and parent (the id of the area one
// tier up; none for a city). It checks each feature on its own; the tree
// is checked by CheckAreas.
func ParseAreaCollection(data []byte) ([]Area, error) {
	var fc struct {
		Type     string            `json:"type"`
		Features []json.RawMessage `json:"features"`
	}
	if err := json.Unmarshal(data, &fc); err != nil {
		return nil, fmt.Errorf("areas: not a GeoJSON object: %v: %w", err, ErrInvalid)
	}
	if fc.Type != "FeatureCollection" {
		return nil, fmt.Errorf("areas: type %q, want FeatureCollection: %w", fc.Type, ErrInvalid)
	}
	if len(fc.Features) == 0 {
		return nil, fmt.Errorf("areas: no features: %w", ErrInvalid)
	}
	if len(fc.Features) > MaxAreas {
		return nil, fmt.Errorf("areas: more than %d features: %w", MaxAreas, ErrInvalid)
	}
	var problems []string
	out := make([]Area, 0, len(fc.Features))
	for i, raw := range fc.Features {
		a, err := parseAreaFeature(raw)
		if err != nil {
			problems = append(problems, fmt.Sprintf("feature %d: %v", i, err))
			continue
		}
		out = append(out, a)
	}
	if len(problems) > 0 {
		if len(problems) > 20 {
			problems = append(problems[:20], fmt.Sprintf("and %d more", len(problems)-20))
		}
		return nil, fmt.Errorf("areas: %s: %w", strings.Join(problems, "; "), ErrInvalid)
	}
	return out, nil
}

func parseAreaFeature(raw json.RawMessage) (Area, error) {
	var f struct {
		Type       string                     `json:"type"`
		Geometry   json.RawMessage            `json:"geometry"`
		Properties map[string]json.RawMessage `json:"properties"`
	}
	if err := json.Unmarshal(raw, &f); err != nil {
		return Area{}, fmt.Errorf("not a GeoJSON feature: %v", err)
	}
	if f.Type != "Feature" {
		return Area{}, fmt.Errorf("type %q, want Feature", f.Type)
	}
	var a Area
	fields := map[string]*string{"id": (*string)(&a.ID), "name": &a.Name, "tier": (*string)(&a.Tier), "parent": (*string)(&a.Parent)}
	for k, v := range f.Properties {
		dst, ok := fields[k]
		switch {
		case ok:
			dec := json.NewDecoder(bytes.NewReader(v))
			if err := dec.Decode(dst); err != nil {
				return Area{}, fmt.Errorf("property %q must be a string", k)
			}
		case !areaLabels[k]:
			return Area{}, fmt.Errorf("unknown property %q (want id, name, tier, parent)", k)
		}
	}
	if a.ID == "" || a.Name == "" || a.Tier == "" {
		return Area{}, fmt.Errorf("properties id, name and tier are required")
	}
	if len(f.Geometry) == 0 || string(f.Geometry) == "null" {
		return Area{}, fmt.Errorf("area %q has no geometry", a.ID)
	}
	var head struct {
		Type string `json:"type"`
	}
	if err := json.Unmarshal(f.Geometry, &head); err != nil || (head.Type != "Polygon" && head.Type != "MultiPolygon") {
		return Area{}, fmt.Errorf("area %q: geometry must be a Polygon or MultiPolygon", a.ID)
	}
	g, err := geo.ParseArea(f.Geometry)
	if err != nil {
		return Area{}, fmt.Errorf("area %q: %v", a.ID, err)
	}
	a.Geometry = g
	return a, nil
}
