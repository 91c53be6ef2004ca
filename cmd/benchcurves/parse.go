package main

import (
	"bufio"
	"fmt"
	"io"
	"regexp"
	"slices"
	"strconv"
	"strings"
)

// result is one line of `go test -bench` output.
type result struct {
	// Name is the benchmark's name without the GOMAXPROCS suffix (-2) and
	// without the testing package's repeat suffix (#01), so that repeats
	// of one sub-benchmark share it.
	Name    string
	Metrics map[string]float64 // by unit: "ns/op", "queries/s", ...
}

// benchOutput is what a run printed: its results, the benchmarks that
// failed, and the header and comment lines that describe the machine.
type benchOutput struct {
	Results []result
	Failed  []string
	CPU     string   // the "cpu:" header
	Cores   string   // "# cores: N", written by .ci/curves
	Load    []string // "# load ..." lines written by .ci/curves
}

var nameSuffix = regexp.MustCompile(`(#\d+)?(-\d+)?$`)

// parseBench reads go test -bench output. Lines that are neither results
// nor headers (logs, PASS, ok) are skipped; a result line that does not
// parse is an error, so that a format change is not drawn as no data.
func parseBench(r io.Reader) (benchOutput, error) {
	var out benchOutput
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for ln := 1; sc.Scan(); ln++ {
		line := sc.Text()
		switch {
		case strings.HasPrefix(line, "cpu: "):
			out.CPU = strings.TrimPrefix(line, "cpu: ")
		case strings.HasPrefix(line, "# cores: "):
			out.Cores = strings.TrimPrefix(line, "# cores: ")
		case strings.HasPrefix(line, "# load "):
			out.Load = append(out.Load, strings.TrimPrefix(line, "# "))
		case strings.HasPrefix(line, "--- FAIL: "):
			out.Failed = append(out.Failed, strings.Fields(line)[2])
		case strings.HasPrefix(line, "Benchmark"):
			f := strings.Fields(line)
			if len(f) == 1 {
				continue // a parent that only runs sub-benchmarks, or a name printed before its logs
			}
			if len(f) < 4 || len(f)%2 != 0 {
				return out, fmt.Errorf("line %d: not a benchmark result: %q", ln, line)
			}
			if _, err := strconv.ParseInt(f[1], 10, 64); err != nil {
				return out, fmt.Errorf("line %d: iterations %q: %v", ln, f[1], err)
			}
			res := result{Name: nameSuffix.ReplaceAllString(f[0], ""), Metrics: map[string]float64{}}
			for i := 2; i < len(f); i += 2 {
				v, err := strconv.ParseFloat(f[i], 64)
				if err != nil {
					return out, fmt.Errorf("line %d: value %q of %s: %v", ln, f[i], f[i+1], err)
				}
				res.Metrics[f[i+1]] = v
			}
			out.Results = append(out.Results, res)
		}
	}
	return out, sc.Err()
}

// param reads a size from a benchmark name: the segment "key=VALUE", or
// with key "" the last segment; sizes may end in k (thousands).
func param(name, key string) (float64, bool) {
	segs := strings.Split(name, "/")
	for i := len(segs) - 1; i >= 1; i-- {
		v := segs[i]
		if key != "" {
			k, val, ok := strings.Cut(v, "=")
			if !ok || k != key {
				continue
			}
			v = val
		}
		mult := 1.0
		if s, ok := strings.CutSuffix(v, "k"); ok {
			v, mult = s, 1000
		}
		n, err := strconv.ParseFloat(v, 64)
		if err != nil {
			return 0, false
		}
		return n * mult, true
	}
	return 0, false
}

// summary is the median of a point's runs and their range.
func summary(vals []float64) (median, lo, hi float64) {
	v := slices.Clone(vals)
	slices.Sort(v)
	n := len(v)
	median = v[n/2]
	if n%2 == 0 {
		median = (v[n/2-1] + v[n/2]) / 2
	}
	return median, v[0], v[n-1]
}
