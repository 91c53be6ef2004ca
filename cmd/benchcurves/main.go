// Command benchcurves draws the curves of how cost grows
// (docs/BENCHMARKS.md, "How cost grows") as SVG charts from the output
// that .ci/curves (`make curves`) keeps: go test -bench output of the
// index and matcher benchmarks at several sizes, and cmd/sockbench's
// result.json files. Each point is the median of its runs with a bar from
// the least to the most.
//
//	go run ./cmd/benchcurves -raw docs/bench/raw -out docs/bench
package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"

	"github.com/liandong/liandong/internal/svgchart"
)

func main() {
	raw := flag.String("raw", "docs/bench/raw", "directory of the benchmarks' output (.ci/curves writes it)")
	out := flag.String("out", "docs/bench", "directory for the SVG charts")
	flag.Parse()
	// Warnings say which charts were not redrawn; no stack traces.
	log, _ := zap.NewDevelopment(zap.AddStacktrace(zapcore.FatalLevel + 1))
	defer log.Sync()
	drawn, err := drawAll(*raw, *out, log)
	if err != nil {
		log.Fatal("benchcurves", zap.Error(err))
	}
	if drawn == 0 {
		log.Fatal("benchcurves: nothing to draw", zap.String("raw", *raw))
	}
}

// drawAll draws every chart whose output is in raw; a missing file skips
// its chart (a partial `make curves` run redraws what it has).
func drawAll(raw, out string, log *zap.Logger) (int, error) {
	if err := os.MkdirAll(out, 0o755); err != nil {
		return 0, err
	}
	drawn := 0
	for _, c := range curves {
		f, err := os.Open(filepath.Join(raw, c.file))
		if os.IsNotExist(err) {
			log.Warn("no benchmark output; chart not redrawn", zap.String("file", c.file), zap.String("chart", c.svg))
			continue
		}
		if err != nil {
			return drawn, err
		}
		bo, err := parseBench(f)
		f.Close()
		if err != nil {
			return drawn, fmt.Errorf("%s: %w", c.file, err)
		}
		if len(bo.Failed) > 0 {
			log.Warn("benchmarks failed; their sizes are missing from the chart", zap.String("file", c.file), zap.Strings("failed", bo.Failed))
		}
		series, runs := points(bo.Results, c.ms...)
		chart := c.chart
		chart.Series = series
		chart.Note = note(runs, machineOf(bo))
		if err := write(filepath.Join(out, c.svg), chart); err != nil {
			return drawn, err
		}
		drawn++
	}
	series, runs, machine, err := socketRuns(filepath.Join(raw, "sockets"))
	switch {
	case os.IsNotExist(err):
		log.Warn("no sockbench results; chart not redrawn", zap.String("chart", "sockets.svg"))
	case err != nil:
		return drawn, err
	default:
		chart := svgchart.Chart{Title: "Server resident memory per open socket (idle phones)", XLabel: "sockets held open (log scale)",
			YLabel: "RSS per socket (KiB)", LogX: true, Series: series, Note: note(runs, machine)}
		if err := write(filepath.Join(out, "sockets.svg"), chart); err != nil {
			return drawn, err
		}
		drawn++
	}
	return drawn, nil
}

// write draws c to path and prints its points, to quote beside the chart.
func write(path string, c svgchart.Chart) error {
	doc, err := c.SVG()
	if err != nil {
		return err
	}
	fmt.Printf("%s: %s (%s)\n", filepath.Base(path), c.Title, c.Note)
	for _, s := range c.Series {
		for _, p := range s.Points {
			fmt.Printf("  %s at %g: %.4g (%.4g to %.4g)\n", s.Name, p.X, p.Y, p.Lo, p.Hi)
		}
	}
	return os.WriteFile(path, []byte(doc), 0o644)
}

var loadAvg = regexp.MustCompile(`load average: ([\d.]+)`)

// machineOf describes where the output was measured: the CPU and the
// range of the one-minute load average (.ci/curves writes uptime's line
// before and after each run).
func machineOf(bo benchOutput) string {
	var parts []string
	if bo.CPU != "" {
		parts = append(parts, bo.CPU)
	}
	if bo.Cores != "" {
		parts = append(parts, bo.Cores+" cores")
	}
	// Output joined from several runs has several pairs: their range.
	var loads []float64
	for _, l := range bo.Load {
		if m := loadAvg.FindStringSubmatch(l); m != nil {
			v, _ := strconv.ParseFloat(m[1], 64)
			loads = append(loads, v)
		}
	}
	switch {
	case len(loads) == 1:
		parts = append(parts, fmt.Sprintf("load %.1f", loads[0]))
	case len(loads) > 1:
		parts = append(parts, fmt.Sprintf("load %.1f to %.1f", slices.Min(loads), slices.Max(loads)))
	}
	return strings.Join(parts, ", ")
}

// cmd/sockbench describes its machine as "2 cores, go ...; load average
// at start: 26.66 26.87 18.43; at the end: 30.88 27.89 19.14".
var (
	sockCores = regexp.MustCompile(`^(\d+ cores)`)
	sockLoads = regexp.MustCompile(`(?:at start|at the end): ([\d.]+)`)
)

// sockRun is what the chart reads of a cmd/sockbench result.json.
type sockRun struct {
	Machine    string `json:"machine"`
	Responders int    `json:"responders"`
	Connected  int    `json:"connected"`
	Memory     struct {
		PerConnKiB float64 `json:"per_conn_kib"`
	} `json:"memory"`
}

// socketRuns reads dir/*/result.json into one series of KiB per socket
// against sockets. A run that did not connect every socket is left out
// (its figure would divide by fewer sockets than asked for).
func socketRuns(dir string) ([]svgchart.Series, runCount, string, error) {
	if _, err := os.Stat(dir); err != nil {
		return nil, runCount{}, "", err
	}
	files, err := filepath.Glob(filepath.Join(dir, "*", "result.json"))
	if err != nil {
		return nil, runCount{}, "", err
	}
	var results []result
	var cores string
	var loads []float64
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			return nil, runCount{}, "", err
		}
		var r sockRun
		if err := json.Unmarshal(b, &r); err != nil {
			return nil, runCount{}, "", fmt.Errorf("%s: %w", f, err)
		}
		if r.Responders <= 0 || r.Connected < r.Responders || r.Memory.PerConnKiB <= 0 {
			continue
		}
		results = append(results, result{
			Name:    fmt.Sprintf("sockets/%d", r.Responders),
			Metrics: map[string]float64{"KiB/socket": r.Memory.PerConnKiB},
		})
		if m := sockCores.FindStringSubmatch(r.Machine); m != nil {
			cores = m[1]
		}
		for _, m := range sockLoads.FindAllStringSubmatch(r.Machine, -1) {
			v, _ := strconv.ParseFloat(m[1], 64)
			loads = append(loads, v)
		}
	}
	machine := cores
	if len(loads) > 0 {
		machine += fmt.Sprintf(", load %.1f to %.1f", slices.Min(loads), slices.Max(loads))
	}
	if len(results) == 0 {
		return nil, runCount{}, "", fmt.Errorf("%s: no complete sockbench run", dir)
	}
	series, runs := points(results, metric{series: prefixed("sockets/", "cmd/sockbench"), x: sizeIn(""), unit: "KiB/socket", scale: 1})
	return series, runs, machine, nil
}
