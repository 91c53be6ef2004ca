package redisstore

import (
	"fmt"
	"os"
	"strconv"
	"strings"
	"testing"
)

// Environment parameters of the benchmarks, for the cost curves
// (cmd/benchcurves, `make curves`). Unset, every benchmark runs as it
// always has; set, it runs one sub-benchmark per size.
const (
	envNearbySizes    = "LIANDONG_BENCH_NEARBY_SIZES"    // indexed responders, e.g. "100000,300000"
	envTickResponders = "LIANDONG_BENCH_TICK_RESPONDERS" // enrolled responders
	envTickSlots      = "LIANDONG_BENCH_TICK_SLOTS"      // open slots per tick (even: needs of two)
	envLocateWriters  = "LIANDONG_BENCH_LOCATE_WRITERS"  // concurrent writers
	envMemorySizes    = "LIANDONG_BENCH_MEMORY_SIZES"    // population
	envBenchRepeat    = "LIANDONG_BENCH_REPEAT"          // runs of each sub-benchmark over one loaded city
)

// benchInts reads a comma-separated list of positive integers from env;
// nil when it is unset. A bad list fails the benchmark rather than
// silently running the defaults.
func benchInts(b *testing.B, env string) []int {
	b.Helper()
	v := strings.TrimSpace(os.Getenv(env))
	if v == "" {
		return nil
	}
	var out []int
	for _, f := range strings.Split(v, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(f))
		if err != nil || n <= 0 {
			b.Fatalf("%s=%q: want positive integers separated by commas", env, v)
		}
		out = append(out, n)
	}
	return out
}

// benchRepeat is how many times each sized sub-benchmark runs on the same
// loaded data (the testing package names the repeats name#01, name#02...),
// so that a curve's point is a median without reloading millions of
// responders for every run.
func benchRepeat(b *testing.B) int {
	b.Helper()
	r := benchInts(b, envBenchRepeat)
	if r == nil {
		return 1
	}
	if len(r) != 1 {
		b.Fatalf("%s: want one count", envBenchRepeat)
	}
	return r[0]
}

// sizeName is how sub-benchmarks name a population: 100k, 3000k.
func sizeName(n int) string {
	if n%1000 == 0 {
		return fmt.Sprintf("%dk", n/1000)
	}
	return strconv.Itoa(n)
}

type locateRun struct {
	name, suffix string
	writers      int
}

// locateRuns lists BenchmarkLocate's sub-benchmarks: walk and teleport
// at each writer count, suffix formatting the count into the name.
func locateRuns(writerCounts []int, suffix string, repeat int) []locateRun {
	var runs []locateRun
	for _, name := range []string{"walk", "teleport"} {
		for _, w := range writerCounts {
			for range repeat {
				s := suffix
				if s != "" {
					s = fmt.Sprintf(suffix, w)
				}
				runs = append(runs, locateRun{name: name, suffix: s, writers: w})
			}
		}
	}
	return runs
}
