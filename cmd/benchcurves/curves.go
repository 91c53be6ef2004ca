package main

import (
	"fmt"
	"sort"
	"strings"

	"github.com/liandong/liandong/internal/svgchart"
)

// metric picks one figure out of a result and places it on a chart:
// which series, at which x, with what value.
type metric struct {
	series func(name string) (string, bool)
	x      func(name string) (float64, bool)
	unit   string  // the benchmark's unit
	scale  float64 // multiplies the value (e.g. µs to ms)
}

// points gathers every run of every sub-benchmark that m applies to and
// reduces each (series, x) to its median and range, series in the order
// they first appear, points by x. runs says how many runs were behind
// the points: the fewest and the most.
func points(results []result, ms ...metric) (series []svgchart.Series, runs runCount) {
	type key struct {
		series string
		x      float64
	}
	vals := map[key][]float64{}
	var order []string
	for _, r := range results {
		for _, m := range ms {
			s, ok := m.series(r.Name)
			if !ok {
				continue
			}
			x, ok := m.x(r.Name)
			v, has := r.Metrics[m.unit]
			if !ok || !has {
				continue
			}
			k := key{s, x}
			if _, seen := vals[k]; !seen && !contains(order, s) {
				order = append(order, s)
			}
			vals[k] = append(vals[k], v*m.scale)
		}
	}
	for _, name := range order {
		s := svgchart.Series{Name: name}
		for k, v := range vals {
			if k.series != name {
				continue
			}
			y, lo, hi := summary(v)
			s.Points = append(s.Points, svgchart.Point{X: k.x, Y: y, Lo: lo, Hi: hi})
			runs.add(len(v))
		}
		sort.Slice(s.Points, func(i, j int) bool { return s.Points[i].X < s.Points[j].X })
		series = append(series, s)
	}
	return series, runs
}

func contains(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}

// prefixed is a series function for names under prefix, all one series.
func prefixed(prefix, series string) func(string) (string, bool) {
	return func(name string) (string, bool) { return series, strings.HasPrefix(name, prefix) }
}

// sizeIn reads the size named key (or the last segment, key "").
func sizeIn(key string) func(string) (float64, bool) {
	return func(name string) (float64, bool) { return param(name, key) }
}

// curve is one chart drawn from one raw output file.
type curve struct {
	file  string // under the raw directory
	svg   string // under the output directory
	chart svgchart.Chart
	ms    []metric
}

// curves are the charts of docs/BENCHMARKS.md, "How cost grows".
var curves = []curve{
	{
		file: "nearby.txt", svg: "nearby-rate.svg",
		chart: svgchart.Chart{Title: "Nearest 10 within 2 km, 50 callers: throughput", XLabel: "indexed responders (log scale)", YLabel: "queries/s", LogX: true},
		ms:    []metric{{series: prefixed("BenchmarkNearby/index/", "Index.Nearby"), x: sizeIn(""), unit: "queries/s", scale: 1}},
	},
	{
		file: "nearby.txt", svg: "nearby-latency.svg",
		chart: svgchart.Chart{Title: "Nearest 10 within 2 km, 50 callers: latency", XLabel: "indexed responders (log scale)", YLabel: "latency (ms)", LogX: true},
		ms: []metric{
			{series: prefixed("BenchmarkNearby/index/", "p99"), x: sizeIn(""), unit: "p99-µs", scale: 1e-3},
			{series: prefixed("BenchmarkNearby/index/", "p50"), x: sizeIn(""), unit: "p50-µs", scale: 1e-3},
		},
	},
	{
		file: "tick.txt", svg: "tick.svg",
		chart: svgchart.Chart{Title: "One matcher tick (gather, solve, claim)", XLabel: "open slots (log scale)", YLabel: "tick time (s, log scale)", LogX: true, LogY: true},
		ms: []metric{{series: func(name string) (string, bool) {
			if !strings.HasPrefix(name, "BenchmarkTick/") {
				return "", false
			}
			n, ok := param(name, "responders")
			return svgchart.FmtNum(n) + " responders", ok
		}, x: sizeIn("slots"), unit: "ns/op", scale: 1e-9}},
	},
	{
		file: "locate.txt", svg: "locate.svg",
		chart: svgchart.Chart{Title: "Location reports, 200k responders indexed", XLabel: "concurrent writers (log scale)", YLabel: "reports/s", LogX: true},
		ms: []metric{
			{series: prefixed("BenchmarkLocate/walk/", "walking"), x: sizeIn("writers"), unit: "updates/s", scale: 1},
			{series: prefixed("BenchmarkLocate/teleport/", "teleporting"), x: sizeIn("writers"), unit: "updates/s", scale: 1},
		},
	},
	{
		file: "memory.txt", svg: "memory.svg",
		chart: svgchart.Chart{Title: "Redis memory per indexed responder", XLabel: "responders (log scale)", YLabel: "bytes per responder", LogX: true},
		ms:    []metric{{series: prefixed("BenchmarkMemoryPerResponder/", "used_memory / responders"), x: sizeIn("n"), unit: "bytes/responder", scale: 1}},
	},
}

// runCount is the fewest and the most runs behind a chart's points.
type runCount struct{ Min, Max int }

func (r *runCount) add(n int) {
	if r.Min == 0 || n < r.Min {
		r.Min = n
	}
	r.Max = max(r.Max, n)
}

// note is the line under a chart: what a point is and where it was
// measured.
func note(runs runCount, machine string) string {
	var s string
	switch {
	case runs.Max == 1:
		s = "one run a point"
	case runs.Min == runs.Max:
		s = fmt.Sprintf("median of %d runs, bar min to max", runs.Max)
	default:
		s = fmt.Sprintf("median of %d to %d runs a point, bar min to max", runs.Min, runs.Max)
	}
	if machine != "" {
		s += "; " + machine
	}
	return s
}
