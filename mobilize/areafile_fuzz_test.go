package mobilize

import (
	"errors"
	"testing"

	"github.com/paulmach/orb"
)

// FuzzParseAreaCollection: whatever the upload, parsing an area file
// never panics and refuses with ErrInvalid; what it accepts are areas with
// an id, a name, a tier and a polygon, which the tree check then judges,
// again without panicking and refusing only with ErrInvalid.
func FuzzParseAreaCollection(f *testing.F) {
	box := `{"type":"Polygon","coordinates":[[[121.4,37.4],[121.5,37.4],[121.5,37.5],[121.4,37.5],[121.4,37.4]]]}`
	for _, s := range []string{
		``, `null`, `[]`, `{}`, `{"type":"FeatureCollection"}`, `{"type":"FeatureCollection","features":[]}`,
		`{"type":"FeatureCollection","features":[null]}`,
		`{"type":"FeatureCollection","features":[{"type":"Feature","properties":{"id":"yt","name":"Yantai","tier":"city"},"geometry":` + box + `}]}`,
		`{"type":"FeatureCollection","features":[{"type":"Feature","properties":{"id":"yt","name":"Yantai","tier":"city"},"geometry":` + box + `},` +
			`{"type":"Feature","properties":{"id":"d1","name":"Zhifu","tier":"district","parent":"yt","name_en":"Zhifu"},"geometry":` + box + `}]}`,
		`{"type":"FeatureCollection","features":[{"type":"Feature","properties":{"id":"c1","name":"C","tier":"community","parent":"nowhere"},"geometry":` + box + `}]}`,
		`{"type":"FeatureCollection","features":[{"type":"Feature","properties":{"id":"a b","name":"x","tier":"village","parnet":"y"},"geometry":{"type":"Point","coordinates":[1,2]}}]}`,
		`{"type":"FeatureCollection","features":[{"type":"Feature","properties":{"id":1,"name":"x","tier":"city"},"geometry":null}]}`,
		`{"type":"FeatureCollection","features":[{"type":"Feature","properties":{"id":"x","name":"x","tier":"city"},"geometry":{"type":"MultiPolygon","coordinates":[[[[0,0],[1,0],[1,1],[0,0]]]]}}]}`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		areas, err := ParseAreaCollection(data)
		if err != nil {
			if !errors.Is(err, ErrInvalid) {
				t.Fatalf("refusal %v is not ErrInvalid", err)
			}
			return
		}
		if len(areas) == 0 {
			t.Fatal("accepted an upload of no areas")
		}
		for _, a := range areas {
			if a.ID == "" || a.Name == "" || a.Tier == "" {
				t.Fatalf("accepted an area without id, name or tier: %+v", a)
			}
			switch a.Geometry.(type) {
			case orb.Polygon, orb.MultiPolygon:
			default:
				t.Fatalf("accepted area %s with a %T", a.ID, a.Geometry)
			}
		}
		if err := CheckAreas(nil, areas); err != nil && !errors.Is(err, ErrInvalid) {
			t.Fatalf("tree check refusal %v is not ErrInvalid", err)
		}
	})
}
