package loadtest

import (
	"fmt"
	"html"
	"math"
	"strings"
)

const mapW, mapH = 760, 560

// maxMapStaffed caps the staffed dots drawn: past a few thousand they are
// a green carpet that only makes the file heavy; unstaffed needs, the
// point of the map, are always all drawn.
const maxMapStaffed = 4000

// mapSVG draws the region, the event area, the residential centres and
// every need: staffed ones as small green dots, unstaffed ones as red
// crosses, so that a gap in coverage shows as a red cluster.
func mapSVG(w words, m mapData) string {
	minLat, maxLat, minLng, maxLng := math.Inf(1), math.Inf(-1), math.Inf(1), math.Inf(-1)
	extend := func(lat, lng float64) {
		minLat, maxLat = math.Min(minLat, lat), math.Max(maxLat, lat)
		minLng, maxLng = math.Min(minLng, lng), math.Max(maxLng, lng)
	}
	for _, v := range m.region {
		extend(v.Lat, v.Lng)
	}
	for _, n := range m.needs {
		extend(n.Lat, n.Lng)
	}
	var s svg
	fmt.Fprintf(&s.b, `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 %d %d" width="%d" height="%d" role="img" aria-label="%s">`, mapW, mapH, mapW, mapH, html.EscapeString(w.t("map.label")))
	if math.IsInf(minLat, 0) {
		return s.close()
	}
	k := math.Cos((minLat + maxLat) / 2 * math.Pi / 180)
	spanX, spanY := math.Max((maxLng-minLng)*k, 1e-6), math.Max(maxLat-minLat, 1e-6)
	const pad = 24
	scale := math.Min((mapW-2*pad)/spanX, (mapH-2*pad-30)/spanY)
	px := func(lng float64) float64 { return pad + (lng-minLng)*k*scale }
	py := func(lat float64) float64 { return pad + 30 + (maxLat-lat)*scale }
	poly := func(vs []LatLng, class string) {
		var b strings.Builder
		for _, v := range vs {
			fmt.Fprintf(&b, "%.1f,%.1f ", px(v.Lng), py(v.Lat))
		}
		s.f(`<polygon points="%s" class="%s"/>`, strings.TrimSpace(b.String()), class)
	}
	poly(m.region, "region")
	if c := m.area.Circle; c != nil {
		s.f(`<circle cx="%.1f" cy="%.1f" r="%.1f" class="area"/>`, px(c.Lng), py(c.Lat), c.RadiusM/metersPerDegree*scale)
	} else if len(m.area.Polygon) > 0 {
		poly(m.area.Polygon, "area")
	}
	for _, c := range m.centres {
		s.f(`<circle cx="%.1f" cy="%.1f" r="%.1f" class="centre"><title>%s</title></circle>`,
			px(c.Lng), py(c.Lat), math.Max(c.RadiusM/metersPerDegree*scale, 2), html.EscapeString(c.Name))
	}
	staffed, unstaffed := 0, 0
	every := 1
	if n := len(m.needs); n > maxMapStaffed {
		every = (n + maxMapStaffed - 1) / maxMapStaffed
	}
	for i, n := range m.needs {
		if n.Staffed {
			staffed++
			if i%every == 0 {
				s.f(`<circle cx="%.1f" cy="%.1f" r="1.6" class="ok"/>`, px(n.Lng), py(n.Lat))
			}
		}
	}
	for _, n := range m.needs {
		if !n.Staffed {
			unstaffed++
			x, y := px(n.Lng), py(n.Lat)
			s.f(`<path d="M%.1f %.1fl5 5m0-5l-5 5" class="bad"><title>%s</title></path>`, x-2.5, y-2.5, html.EscapeString(n.Reason))
		}
	}
	s.f(`<text x="%d" y="18" class="t">%s</text>`, pad, html.EscapeString(w.t("map.title", "staffed", staffed, "unstaffed", unstaffed)))
	s.f(`<text x="%d" y="34" class="xl" style="text-anchor:start">%s</text>`, pad, html.EscapeString(w.t("map.legend")))
	return s.close()
}
