// Package svgchart draws small standalone SVG charts by hand: curves of
// medians with their spread, on linear or logarithmic axes. The drill's
// report (loadtest) and the cost curves (cmd/benchcurves) share its
// number formatting; no chart library, no script, no web font.
package svgchart

import (
	"fmt"
	"html"
	"math"
	"strings"
)

// NiceStep picks a tick step of 1, 2 or 5 times a power of ten giving
// about n ticks over span.
func NiceStep(span float64, n int) float64 {
	if span <= 0 || n <= 0 {
		return 1
	}
	raw := span / float64(n)
	p := math.Pow(10, math.Floor(math.Log10(raw)))
	for _, m := range []float64{1, 2, 5, 10} {
		if m*p >= raw {
			return m * p
		}
	}
	return 10 * p
}

// FmtNum writes an axis number short: 12k, 250, 3.5, 0.042.
func FmtNum(v float64) string {
	switch {
	case v == 0:
		return "0"
	case math.Abs(v) >= 1e6 && math.Mod(v, 1e6) == 0:
		return fmt.Sprintf("%.0fM", v/1e6)
	case math.Abs(v) >= 10000:
		return fmt.Sprintf("%.0fk", v/1000)
	case math.Abs(v) >= 100 || v == math.Trunc(v):
		return fmt.Sprintf("%.0f", v)
	case math.Abs(v) >= 1:
		return fmt.Sprintf("%.1f", v)
	}
	return fmt.Sprintf("%.2g", v)
}

// Point is one measured size: Y the median of its runs, Lo and Hi their
// spread (equal to Y for a single run).
type Point struct{ X, Y, Lo, Hi float64 }

// Series is one curve.
type Series struct {
	Name   string
	Points []Point
}

// Chart is a curve chart. Log axes need positive values.
type Chart struct {
	Title, XLabel, YLabel string
	LogX, LogY            bool
	Series                []Series
	Note                  string // a line under the chart, e.g. what the bars are
}

const (
	width, height = 640, 360
	padL, padR    = 72, 20
	padT, padB    = 40, 64
)

var palette = []string{"#1f6fb4", "#d9541e", "#2a9d4b", "#8a4bb8"}

// axis maps values to pixels and lists its ticks.
type axis struct {
	log      bool
	lo, hi   float64 // in axis space (log10 when log)
	from, to float64 // pixels
	ticks    []float64
}

func (a axis) pos(v float64) float64 {
	if a.log {
		v = math.Log10(v)
	}
	return a.from + (v-a.lo)/(a.hi-a.lo)*(a.to-a.from)
}

// newAxis spans [min,max] of the data: a linear axis from zero to a nice
// ceiling, a log axis over 1-2-5 ticks covering the data.
func newAxis(min, max float64, log bool, from, to float64) axis {
	a := axis{log: log, from: from, to: to}
	if !log {
		if max <= 0 {
			max = 1
		}
		st := NiceStep(max, 5)
		a.lo, a.hi = 0, st*math.Ceil(max/st)
		if a.hi < max*1.05 {
			a.hi += st
		}
		for v := 0.0; v <= a.hi*1.0001; v += st {
			a.ticks = append(a.ticks, v)
		}
		return a
	}
	lo, hi := math.Log10(min), math.Log10(max)
	// A little room either side so that markers are not on the frame.
	pad := math.Max((hi-lo)*0.06, 0.05)
	a.lo, a.hi = lo-pad, hi+pad
	for d := math.Floor(a.lo); d <= math.Ceil(a.hi); d++ {
		for _, m := range []float64{1, 2, 5} {
			v := m * math.Pow(10, d)
			if l := math.Log10(v); l >= a.lo && l <= a.hi {
				a.ticks = append(a.ticks, v)
			}
		}
	}
	return a
}

// SVG renders the chart as a standalone SVG document: one circle marker
// per point, a vertical bar for its spread where there is one.
func (c Chart) SVG() (string, error) {
	minX, maxX := math.Inf(1), math.Inf(-1)
	minY, maxY := math.Inf(1), math.Inf(-1)
	n := 0
	for _, s := range c.Series {
		for _, p := range s.Points {
			for _, v := range []float64{p.X, p.Y, p.Lo, p.Hi} {
				if math.IsNaN(v) || math.IsInf(v, 0) {
					return "", fmt.Errorf("svgchart %q: series %q has a point that is not a number", c.Title, s.Name)
				}
			}
			if p.Lo > p.Y || p.Hi < p.Y {
				return "", fmt.Errorf("svgchart %q: series %q at x=%g: spread [%g, %g] does not hold the median %g", c.Title, s.Name, p.X, p.Lo, p.Hi, p.Y)
			}
			if (c.LogX && p.X <= 0) || (c.LogY && p.Lo <= 0) {
				return "", fmt.Errorf("svgchart %q: series %q at x=%g: a log axis needs positive values", c.Title, s.Name, p.X)
			}
			minX, maxX = math.Min(minX, p.X), math.Max(maxX, p.X)
			minY, maxY = math.Min(minY, p.Lo), math.Max(maxY, p.Hi)
			n++
		}
	}
	if n == 0 {
		return "", fmt.Errorf("svgchart %q: no points", c.Title)
	}
	if !c.LogX {
		minX = 0
	}
	if minX == maxX {
		minX, maxX = minX/2, maxX*2
	}
	if c.LogY && minY == maxY {
		minY, maxY = minY/2, maxY*2
	}
	xa := newAxis(minX, maxX, c.LogX, padL, width-padR)
	ya := newAxis(minY, maxY, c.LogY, height-padB, padT)

	var b strings.Builder
	f := func(format string, a ...any) { fmt.Fprintf(&b, format, a...) }
	esc := html.EscapeString
	f(`<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 %d %d" width="%d" height="%d" role="img" aria-label="%s">`+"\n", width, height, width, height, esc(c.Title))
	f(`<style>text{font:12px sans-serif;fill:#222}.t{font-size:14px;font-weight:bold}.g{stroke:#e2e2e2}.a{stroke:#555}.yl{text-anchor:end}.xl{text-anchor:middle}.n{font-size:11px;fill:#666}.ln{fill:none;stroke-width:1.5}.err{stroke-width:1.5}.lg{paint-order:stroke;stroke:#fff;stroke-width:3px}</style>` + "\n")
	f(`<rect width="%d" height="%d" fill="#fff"/>`+"\n", width, height)
	f(`<text x="%d" y="22" class="t">%s</text>`+"\n", padL, esc(c.Title))
	for _, v := range ya.ticks {
		y := ya.pos(v)
		f(`<line x1="%d" x2="%d" y1="%.1f" y2="%.1f" class="g"/><text x="%d" y="%.1f" class="yl">%s</text>`+"\n", padL, width-padR, y, y, padL-6, y+4, FmtNum(v))
	}
	for _, v := range xa.ticks {
		x := xa.pos(v)
		f(`<line x1="%.1f" x2="%.1f" y1="%d" y2="%d" class="g"/><text x="%.1f" y="%d" class="xl">%s</text>`+"\n", x, x, padT, height-padB, x, height-padB+16, FmtNum(v))
	}
	f(`<line x1="%d" x2="%d" y1="%d" y2="%d" class="a"/><line x1="%d" x2="%d" y1="%d" y2="%d" class="a"/>`+"\n",
		padL, width-padR, height-padB, height-padB, padL, padL, padT, height-padB)
	f(`<text x="%d" y="%d" class="xl">%s</text>`+"\n", (padL+width-padR)/2, height-padB+36, esc(c.XLabel))
	f(`<text transform="translate(16 %d) rotate(-90)" class="xl">%s</text>`+"\n", (padT+height-padB)/2, esc(c.YLabel))
	for i, s := range c.Series {
		col := palette[i%len(palette)]
		var pts []string
		for _, p := range s.Points {
			pts = append(pts, fmt.Sprintf("%.1f,%.1f", xa.pos(p.X), ya.pos(p.Y)))
		}
		f(`<g class="series" data-name="%s">`+"\n", esc(s.Name))
		if len(pts) > 1 {
			f(`<polyline points="%s" class="ln" stroke="%s"/>`+"\n", strings.Join(pts, " "), col)
		}
		for _, p := range s.Points {
			x := xa.pos(p.X)
			if p.Hi > p.Lo {
				f(`<line x1="%.1f" x2="%.1f" y1="%.1f" y2="%.1f" class="err" stroke="%s"/>`, x, x, ya.pos(p.Lo), ya.pos(p.Hi), col)
				f(`<line x1="%.1f" x2="%.1f" y1="%.1f" y2="%.1f" class="err" stroke="%s"/><line x1="%.1f" x2="%.1f" y1="%.1f" y2="%.1f" class="err" stroke="%s"/>`,
					x-4, x+4, ya.pos(p.Lo), ya.pos(p.Lo), col, x-4, x+4, ya.pos(p.Hi), ya.pos(p.Hi), col)
			}
			f(`<circle cx="%.1f" cy="%.1f" r="3.5" class="pt" fill="%s"><title>%s: %s at %s (%s to %s)</title></circle>`+"\n",
				x, ya.pos(p.Y), col, esc(s.Name), fmtVal(p.Y), fmtVal(p.X), fmtVal(p.Lo), fmtVal(p.Hi))
		}
		lx, ly := padL+12+i*150, padT+14
		f(`<rect x="%d" y="%d" width="10" height="10" fill="%s"/><text x="%d" y="%d" class="lg">%s</text></g>`+"\n", lx, ly-9, col, lx+14, ly, esc(s.Name))
	}
	if c.Note != "" {
		f(`<text x="%d" y="%d" class="n">%s</text>`+"\n", padL, height-8, esc(c.Note))
	}
	b.WriteString("</svg>\n")
	return b.String(), nil
}

// fmtVal writes a measured value with three significant digits.
func fmtVal(v float64) string { return fmt.Sprintf("%.3g", v) }
