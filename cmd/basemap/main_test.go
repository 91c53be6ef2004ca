package main

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"encoding/json"
	"strings"
	"testing"

	"github.com/paulmach/orb"
)

// world is a tiny stand-in for the npm package: one country across the
// box's west edge, one far away, one with an island too small to survive.
const world = `{"type":"FeatureCollection","features":[
{"type":"Feature","properties":{"A3":"CHN"},"geometry":{"type":"MultiPolygon","coordinates":[
 [[[120,37],[121,37],[121,37.5],[120,37.5],[120,37]]],
 [[[121.5,37.9],[121.500001,37.9],[121.500001,37.900001],[121.5,37.9]]]]}},
{"type":"Feature","properties":{"A3":"FRA"},"geometry":{"type":"Polygon","coordinates":[[[2,48],[3,48],[3,49],[2,48]]]}}
]}`

var box = orb.Bound{Min: orb.Point{120.6, 36.8}, Max: orb.Point{122.2, 38.0}}

func TestClipKeepsOnlyLandInTheBox(t *testing.T) {
	fc, err := Clip(strings.NewReader(world), Options{Box: box, Decimals: 5, Source: "test"})
	if err != nil {
		t.Fatal(err)
	}
	if len(fc.Features) != 1 {
		t.Fatalf("%d features, want 1 (CHN)", len(fc.Features))
	}
	f := fc.Features[0]
	if f.Properties["country"] != "CHN" {
		t.Errorf("country = %v", f.Properties["country"])
	}
	mp, ok := f.Geometry.(orb.MultiPolygon)
	if !ok || len(mp) != 1 {
		t.Fatalf("geometry %T %v, want one polygon (the speck rounds away)", f.Geometry, f.Geometry)
	}
	for _, p := range mp[0][0] {
		if !box.Contains(p) {
			t.Errorf("point %v outside the box", p)
		}
	}
	if fc.ExtraMembers["attribution"] != Attribution {
		t.Errorf("attribution = %v", fc.ExtraMembers["attribution"])
	}
}

func TestClipIsDeterministicAndReadsTarballs(t *testing.T) {
	var tgz bytes.Buffer
	gz := gzip.NewWriter(&tgz)
	tw := tar.NewWriter(gz)
	tw.WriteHeader(&tar.Header{Name: "package/README.md", Mode: 0o644, Size: 2})
	tw.Write([]byte("hi"))
	tw.WriteHeader(&tar.Header{Name: "package/map.geo.json", Mode: 0o644, Size: int64(len(world))})
	tw.Write([]byte(world))
	tw.Close()
	gz.Close()

	r, err := openMap(&tgz, true)
	if err != nil {
		t.Fatal(err)
	}
	opts := Options{Box: box, Decimals: 5, Source: "test"}
	a, err := Clip(r, opts)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := Clip(strings.NewReader(world), opts)
	ea, _ := Encode(a)
	eb, _ := Encode(b)
	if !bytes.Equal(ea, eb) {
		t.Fatalf("tarball and plain file differ:\n%s\n%s", ea, eb)
	}
	if !json.Valid(ea) {
		t.Fatalf("output is not JSON: %s", ea)
	}
}

func TestBadInput(t *testing.T) {
	for name, in := range map[string]string{
		"not json":    "nope",
		"no features": `{"type":"FeatureCollection"}`,
		"array":       `[]`,
	} {
		t.Run(name, func(t *testing.T) {
			if _, err := Clip(strings.NewReader(in), Options{Box: box}); err == nil {
				t.Fatal("no error")
			}
		})
	}
	for _, s := range []string{"1,2,3", "122,36,121,38", "a,b,c,d", "-200,0,0,1"} {
		if _, err := parseBox(s); err == nil {
			t.Errorf("parseBox(%q) accepted", s)
		}
	}
}
