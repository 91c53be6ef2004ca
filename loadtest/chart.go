package loadtest

import (
	"fmt"
	"html"
	"math"
	"slices"
	"strings"

	"github.com/liandong/liandong/internal/svgchart"
)

// Charts are drawn as inline SVG by hand: the report must open on a
// laptop in a command centre with no network, so no chart library, no
// script and no font download.

const (
	chartW, chartH = 560, 220
	padL, padR     = 56, 16
	padT, padB     = 28, 36
)

// The axis numbers are svgchart's, shared with the cost curves.
var (
	niceStep = svgchart.NiceStep
	fmtNum   = svgchart.FmtNum
)

type svg struct{ b strings.Builder }

func (s *svg) open(w, h int, title string) {
	fmt.Fprintf(&s.b, `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 %d %d" width="%d" height="%d" role="img" aria-label="%s">`, w, h, w, h, html.EscapeString(title))
	fmt.Fprintf(&s.b, `<text x="%d" y="18" class="t">%s</text>`, padL, html.EscapeString(title))
}

func (s *svg) close() string { s.b.WriteString(`</svg>`); return s.b.String() }

func (s *svg) f(format string, a ...any) { fmt.Fprintf(&s.b, format, a...) }

// axes draws the frame, y ticks and x ticks for [x0,x1] x [0,y1]; with
// logX the x values are decimal logarithms and ticked at whole decades.
func (s *svg) axes(x0, x1, y1 float64, xLabel string, logX bool) (px func(float64) float64, py func(float64) float64) {
	iw, ih := float64(chartW-padL-padR), float64(chartH-padT-padB)
	if x1 <= x0 {
		x1 = x0 + 1
	}
	if y1 <= 0 {
		y1 = 1
	}
	px = func(x float64) float64 { return padL + (x-x0)/(x1-x0)*iw }
	py = func(y float64) float64 { return padT + ih - y/y1*ih }
	for y, st := 0.0, niceStep(y1, 4); y <= y1*1.0001; y += st {
		s.f(`<line x1="%d" x2="%d" y1="%.1f" y2="%.1f" class="g"/><text x="%d" y="%.1f" class="yl">%s</text>`,
			padL, chartW-padR, py(y), py(y), padL-6, py(y)+4, fmtNum(y))
	}
	if logX {
		for k := math.Ceil(x0); k <= x1+1e-9; k++ {
			s.f(`<line x1="%.1f" x2="%.1f" y1="%d" y2="%d" class="g"/><text x="%.1f" y="%d" class="xl">%s</text>`,
				px(k), px(k), padT, chartH-padB, px(k), chartH-padB+16, fmtNum(math.Pow(10, k)))
		}
	} else {
		for x, st := math.Ceil(x0/niceStep(x1-x0, 6))*niceStep(x1-x0, 6), niceStep(x1-x0, 6); x <= x1*1.0001; x += st {
			s.f(`<text x="%.1f" y="%d" class="xl">%s</text>`, px(x), chartH-padB+16, fmtNum(x))
		}
	}
	s.f(`<text x="%d" y="%d" class="xl">%s</text>`, padL+int(iw/2), chartH-4, html.EscapeString(xLabel))
	s.f(`<line x1="%d" x2="%d" y1="%d" y2="%d" class="a"/>`, padL, chartW-padR, padT+int(ih), padT+int(ih))
	return px, py
}

// histogramSVG draws the distribution of latencies in milliseconds. The
// range stops at the 99.5th percentile so that one outlier does not
// squash the picture (the rest go in a last bar marked as overflow); a
// long tail (p99.5 over 20 times the median) gets a logarithmic axis, so
// that the bulk and the tail are both visible.
func histogramSVG(w words, title string, samples []float64) string {
	var s svg
	s.open(chartW, chartH, title)
	if len(samples) == 0 {
		s.f(`<text x="%d" y="%d" class="xl">%s</text>`, chartW/2, chartH/2, html.EscapeString(w.t("chart.no_samples")))
		return s.close()
	}
	v := slices.Clone(samples)
	slices.Sort(v)
	hi := percentile(v, 99.5)
	if hi <= v[0] {
		hi = v[0] + 1
	}
	logX := hi > 20*math.Max(percentile(v, 50), 0.1)
	tx := func(ms float64) float64 { return ms }
	x0, x1 := 0.0, hi
	if logX {
		floor := math.Max(v[0], 0.1)
		tx = func(ms float64) float64 { return math.Log10(math.Max(ms, floor)) }
		x0, x1 = math.Floor(tx(floor)), math.Ceil(tx(hi))
		if x1 <= x0 {
			x1 = x0 + 1
		}
	}
	const bins = 40
	width := (x1 - x0) / bins
	if !logX {
		width = niceStep(hi, bins)
		x1 = (math.Ceil(hi/width) + 1) * width
	}
	n := int(math.Round((x1 - x0) / width))
	counts := make([]int, n)
	over := 0
	for _, ms := range v {
		i := int((tx(ms) - x0) / width)
		if i >= n-1 {
			i = n - 1
			if ms > hi {
				over++
			}
		}
		counts[max(i, 0)]++
	}
	top := slices.Max(counts)
	label := w.t("axis.ms")
	if logX {
		label = w.t("axis.ms_log")
	}
	px, py := s.axes(x0, x1, float64(top), label, logX)
	edge := func(i int) float64 {
		if logX {
			return math.Pow(10, x0+float64(i)*width)
		}
		return x0 + float64(i)*width
	}
	for i, c := range counts {
		if c == 0 {
			continue
		}
		cls := "bar"
		if i == n-1 && over > 0 {
			cls = "bar over"
		}
		left := x0 + float64(i)*width
		s.f(`<rect x="%.1f" y="%.1f" width="%.1f" height="%.1f" class="%s"><title>%s</title></rect>`,
			px(left)+0.5, py(float64(c)), math.Max(px(left+width)-px(left)-1, 1), py(0)-py(float64(c)), cls,
			html.EscapeString(w.t("bar.ms", "from", fmtNum(edge(i)), "to", fmtNum(edge(i+1)), "n", c)))
	}
	for _, q := range []struct {
		name string
		p    float64
	}{{"p50", 50}, {"p99", 99}} {
		ms := percentile(v, q.p)
		if x := tx(ms); x <= x1 {
			lx, anchor := px(x)+3, "start"
			if lx > chartW-padR-60 {
				lx, anchor = px(x)-3, "end" // keep the label inside the frame
			}
			s.f(`<line x1="%.1f" x2="%.1f" y1="%d" y2="%d" class="q"/><text x="%.1f" y="%d" class="ql" style="text-anchor:%s">%s %s</text>`,
				px(x), px(x), padT, chartH-padB, lx, padT+10, anchor, q.name, fmtNum(ms))
		}
	}
	return s.close()
}

// line is one series of a line chart.
type line struct {
	name, class string
	ys          []float64
}

// lineSVG draws series over a shared x axis (seconds).
func lineSVG(w words, title string, xs []float64, lines []line) string {
	var s svg
	s.open(chartW, chartH, title)
	if len(xs) == 0 {
		s.f(`<text x="%d" y="%d" class="xl">%s</text>`, chartW/2, chartH/2, html.EscapeString(w.t("chart.no_samples")))
		return s.close()
	}
	top := 0.0
	for _, l := range lines {
		for _, y := range l.ys {
			top = math.Max(top, y)
		}
	}
	top = niceStep(top, 4) * math.Ceil(top/niceStep(top, 4))
	px, py := s.axes(xs[0], xs[len(xs)-1], top, w.t("axis.s"), false)
	for i, l := range lines {
		var pts strings.Builder
		for j, y := range l.ys {
			if j < len(xs) {
				fmt.Fprintf(&pts, "%.1f,%.1f ", px(xs[j]), py(y))
			}
		}
		s.f(`<polyline points="%s" class="ln %s"/>`, strings.TrimSpace(pts.String()), l.class)
		s.f(`<rect x="%d" y="%d" width="10" height="10" class="sw %s"/><text x="%d" y="%d" class="lg">%s</text>`,
			padL+8+i*130, padT+2, l.class, padL+22+i*130, padT+11, html.EscapeString(l.name))
	}
	return s.close()
}
