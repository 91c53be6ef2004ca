// Command basemap derives the console's offline basemap, the land of the
// Yantai region, from the OpenStreetMap-based npm package
// @geo-maps/countries-coastline-1m. The package is 107 MB, so it is not
// kept: `make basemap` fetches its tarball with `npm pack`, and this
// program clips the world's coastline polygons to a box, rounds them to
// about a metre (optionally simplifies them) and writes a small GeoJSON
// file that is committed under web/static.
//
//	go run ./cmd/basemap -in geo-maps-countries-coastline-1m-0.6.0.tgz -out web/static/basemap.geojson
//
// The output is deterministic: the same input always gives the same bytes.
package main

import (
	"archive/tar"
	"compress/gzip"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"

	"github.com/paulmach/orb"
	"github.com/paulmach/orb/clip"
	"github.com/paulmach/orb/geojson"
	"github.com/paulmach/orb/simplify"
)

// Attribution is the credit the data's licence (ODbL) asks for; the map
// shows it and the file carries it.
const Attribution = "© OpenStreetMap contributors"

// Options say what to cut out of the world and how finely.
type Options struct {
	Box       orb.Bound
	Tolerance float64 // Douglas-Peucker threshold, degrees
	Decimals  int     // coordinates are rounded to this many decimals
	Source    string  // recorded in the output, e.g. the package and version
}

func main() {
	in := flag.String("in", "", "the package tarball from `npm pack` (.tgz) or its map.geo.json")
	out := flag.String("out", "web/static/basemap.geojson", "where to write the clipped GeoJSON")
	box := flag.String("bbox", "120.6,36.8,122.2,38.0", "minLng,minLat,maxLng,maxLat")
	tol := flag.Float64("tolerance", 0, "simplification threshold in degrees (0 keeps every point)")
	decimals := flag.Int("decimals", 5, "decimals kept in coordinates")
	source := flag.String("source", "@geo-maps/countries-coastline-1m@0.6.0", "source named in the output")
	flag.Parse()
	if *in == "" {
		fmt.Fprintln(os.Stderr, "basemap: -in is required (run `make basemap`)")
		os.Exit(2)
	}
	b, err := parseBox(*box)
	if err != nil {
		fmt.Fprintln(os.Stderr, "basemap:", err)
		os.Exit(2)
	}
	opts := Options{Box: b, Tolerance: *tol, Decimals: *decimals, Source: *source}
	if err := run(*in, *out, opts); err != nil {
		fmt.Fprintln(os.Stderr, "basemap:", err)
		os.Exit(1)
	}
}

func run(in, out string, opts Options) error {
	f, err := os.Open(in)
	if err != nil {
		return err
	}
	defer f.Close()
	r, err := openMap(f, strings.HasSuffix(in, ".tgz") || strings.HasSuffix(in, ".tar.gz"))
	if err != nil {
		return fmt.Errorf("%s: %w", in, err)
	}
	fc, err := Clip(r, opts)
	if err != nil {
		return fmt.Errorf("%s: %w", in, err)
	}
	data, err := Encode(fc)
	if err != nil {
		return err
	}
	if err := os.WriteFile(out, data, 0o644); err != nil {
		return err
	}
	fmt.Fprintf(os.Stderr, "basemap: %d features, %d bytes -> %s\n", len(fc.Features), len(data), out)
	return nil
}

// parseBox reads "minLng,minLat,maxLng,maxLat".
func parseBox(s string) (orb.Bound, error) {
	parts := strings.Split(s, ",")
	if len(parts) != 4 {
		return orb.Bound{}, fmt.Errorf("bbox %q: want minLng,minLat,maxLng,maxLat", s)
	}
	var v [4]float64
	for i, p := range parts {
		f, err := strconv.ParseFloat(strings.TrimSpace(p), 64)
		if err != nil {
			return orb.Bound{}, fmt.Errorf("bbox %q: %w", s, err)
		}
		v[i] = f
	}
	if v[0] >= v[2] || v[1] >= v[3] || v[0] < -180 || v[2] > 180 || v[1] < -90 || v[3] > 90 {
		return orb.Bound{}, fmt.Errorf("bbox %q: not a box on the globe", s)
	}
	return orb.Bound{Min: orb.Point{v[0], v[1]}, Max: orb.Point{v[2], v[3]}}, nil
}

// openMap returns the GeoJSON stream: the file itself, or map.geo.json
// inside the npm tarball.
func openMap(r io.Reader, tarball bool) (io.Reader, error) {
	if !tarball {
		return r, nil
	}
	gz, err := gzip.NewReader(r)
	if err != nil {
		return nil, err
	}
	tr := tar.NewReader(gz)
	for {
		h, err := tr.Next()
		if err == io.EOF {
			return nil, errors.New("no map.geo.json in the tarball")
		}
		if err != nil {
			return nil, err
		}
		if strings.HasSuffix(h.Name, "/map.geo.json") || h.Name == "map.geo.json" {
			return tr, nil
		}
	}
}

// Clip reads a FeatureCollection one feature at a time (the source is too
// big to hold twice) and keeps the land inside opts.Box.
func Clip(r io.Reader, opts Options) (*geojson.FeatureCollection, error) {
	dec := json.NewDecoder(r)
	if err := seekFeatures(dec); err != nil {
		return nil, err
	}
	out := geojson.NewFeatureCollection()
	out.ExtraMembers = geojson.Properties{"attribution": Attribution, "source": opts.Source,
		"bbox": []float64{opts.Box.Min[0], opts.Box.Min[1], opts.Box.Max[0], opts.Box.Max[1]}}
	for dec.More() {
		var f geojson.Feature
		if err := dec.Decode(&f); err != nil {
			return nil, fmt.Errorf("feature %d: %w", len(out.Features), err)
		}
		if f.Geometry == nil || !f.Geometry.Bound().Intersects(opts.Box) {
			continue
		}
		land := landIn(f.Geometry, opts)
		if len(land) == 0 {
			continue
		}
		g := geojson.NewFeature(land)
		if a3, ok := f.Properties["A3"].(string); ok {
			g.Properties["country"] = a3
		}
		out.Features = append(out.Features, g)
	}
	return out, nil
}

// seekFeatures advances dec to just inside the "features" array.
func seekFeatures(dec *json.Decoder) error {
	if t, err := dec.Token(); err != nil || t != json.Delim('{') {
		return fmt.Errorf("not a GeoJSON object (%v)", err)
	}
	for dec.More() {
		t, err := dec.Token()
		if err != nil {
			return err
		}
		if t == "features" {
			if t, err := dec.Token(); err != nil || t != json.Delim('[') {
				return fmt.Errorf("features is not an array (%v)", err)
			}
			return nil
		}
		var skip json.RawMessage
		if err := dec.Decode(&skip); err != nil {
			return err
		}
	}
	return errors.New("no features in the GeoJSON")
}

// landIn clips a country's polygons to the box, simplifies and rounds them,
// and drops what shrinks to nothing.
func landIn(g orb.Geometry, opts Options) orb.MultiPolygon {
	var polys orb.MultiPolygon
	switch g := g.(type) {
	case orb.Polygon:
		polys = orb.MultiPolygon{g}
	case orb.MultiPolygon:
		polys = g
	default:
		return nil
	}
	var out orb.MultiPolygon
	for _, p := range clip.MultiPolygon(opts.Box, polys) {
		if opts.Tolerance > 0 {
			p = simplify.DouglasPeucker(opts.Tolerance).Polygon(p)
		}
		var kept orb.Polygon
		for i, ring := range p {
			ring = roundRing(ring, opts.Decimals)
			if len(ring) < 4 {
				if i == 0 {
					break // the outer ring vanished: so does the polygon
				}
				continue
			}
			kept = append(kept, ring)
		}
		if len(kept) > 0 {
			out = append(out, kept)
		}
	}
	return out
}

// roundRing rounds a ring's points and removes the repeats that rounding
// makes, keeping it closed.
func roundRing(r orb.Ring, decimals int) orb.Ring {
	factor := 1
	for range decimals {
		factor *= 10
	}
	rounded := orb.Round(orb.LineString(r.Clone()), factor).(orb.LineString)
	out := make(orb.Ring, 0, len(rounded))
	for _, p := range rounded {
		if len(out) == 0 || !p.Equal(out[len(out)-1]) {
			out = append(out, p)
		}
	}
	if len(out) > 0 && !out[0].Equal(out[len(out)-1]) {
		out = append(out, out[0])
	}
	return out
}

// Encode writes the collection as compact JSON with a final newline.
func Encode(fc *geojson.FeatureCollection) ([]byte, error) {
	data, err := json.Marshal(fc)
	if err != nil {
		return nil, err
	}
	return append(data, '\n'), nil
}
