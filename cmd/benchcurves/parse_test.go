package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"go.uber.org/zap"

	"github.com/liandong/liandong/internal/svgchart"
)

// tickOutput is BenchmarkTick's output as .ci/curves keeps it: repeats
// (#01, #02), GOMAXPROCS suffixes, logs between results, a sub-benchmark
// parent printed alone.
const tickOutput = `# load before:  00:03:10 up 9 min,  0 user,  load average: 19.71, 10.01, 4.11
# cores: 2
goos: linux
goarch: amd64
pkg: github.com/liandong/liandong/mobilize/redisstore
cpu: AMD EPYC
BenchmarkTick/responders=200k/slots=1000-2    	       2	 100000000 ns/op	         0 greedy-filled-diff	       1000 offers/tick
--- BENCH: BenchmarkTick/responders=200k/slots=1000-2
    tick_bench_test.go:90: tick: load 928.792µs, gather 120.771736ms, solve 2.699182ms, claim 36.008919ms
BenchmarkTick/responders=200k/slots=1000#01-2 	       2	 300000000 ns/op	         0 greedy-filled-diff	       1000 offers/tick
BenchmarkTick/responders=200k/slots=1000#02-2 	       2	 200000000 ns/op	         0 greedy-filled-diff	       1000 offers/tick
BenchmarkTick/responders=200k/slots=3000-2    	       2	 900000000 ns/op	         0 greedy-filled-diff	       3000 offers/tick
BenchmarkTick/responders=1000k/slots=1000-2   	       2	 400000000 ns/op	         0 greedy-filled-diff	       1000 offers/tick
BenchmarkTick/responders=1000k/slots=1000#01-2	       2	 600000000 ns/op	         0 greedy-filled-diff	       1000 offers/tick
BenchmarkTick/responders=1000k/slots=3000
--- FAIL: BenchmarkTick/responders=1000k/slots=3000
    tick_bench_test.go:70: tick saw 2998 open slots, want 3000
PASS
ok  	github.com/liandong/liandong/mobilize/redisstore	13.762s
# load after:  00:23:10 up 29 min,  0 user,  load average: 12.50, 10.01, 4.11
`

func TestParseTickOutputGivesTheExpectedPoints(t *testing.T) {
	bo, err := parseBench(strings.NewReader(tickOutput))
	if err != nil {
		t.Fatal(err)
	}
	if len(bo.Results) != 6 {
		t.Fatalf("%d results, want 6: %+v", len(bo.Results), bo.Results)
	}
	if got, want := bo.Results[1].Name, "BenchmarkTick/responders=200k/slots=1000"; got != want {
		t.Errorf("repeat's name %q, want %q (suffixes stripped)", got, want)
	}
	if len(bo.Failed) != 1 || bo.Failed[0] != "BenchmarkTick/responders=1000k/slots=3000" {
		t.Errorf("failed %v", bo.Failed)
	}
	if got, want := machineOf(bo), "AMD EPYC, 2 cores, load 12.5 to 19.7"; got != want {
		t.Errorf("machine %q, want %q", got, want)
	}
	var tick curve
	for _, c := range curves {
		if c.svg == "tick.svg" {
			tick = c
		}
	}
	series, runs := points(bo.Results, tick.ms...)
	if runs != (runCount{1, 3}) {
		t.Errorf("runs %+v, want 1 to 3", runs)
	}
	if got, want := note(runs, "m"), "median of 1 to 3 runs a point, bar min to max; m"; got != want {
		t.Errorf("note %q, want %q", got, want)
	}
	want := []svgchart.Series{
		{Name: "200k responders", Points: []svgchart.Point{{X: 1000, Y: 0.2, Lo: 0.1, Hi: 0.3}, {X: 3000, Y: 0.9, Lo: 0.9, Hi: 0.9}}},
		// Two runs: the median is their mean.
		{Name: "1M responders", Points: []svgchart.Point{{X: 1000, Y: 0.5, Lo: 0.4, Hi: 0.6}}},
	}
	if len(series) != len(want) {
		t.Fatalf("series %+v, want %+v", series, want)
	}
	for i := range want {
		if series[i].Name != want[i].Name || len(series[i].Points) != len(want[i].Points) {
			t.Fatalf("series %d: %+v, want %+v", i, series[i], want[i])
		}
		for j, p := range want[i].Points {
			g := series[i].Points[j]
			if !near(g.X, p.X) || !near(g.Y, p.Y) || !near(g.Lo, p.Lo) || !near(g.Hi, p.Hi) {
				t.Errorf("%s point %d: %+v, want %+v", want[i].Name, j, g, p)
			}
		}
	}
}

func near(a, b float64) bool { return a-b < 1e-9 && b-a < 1e-9 }

func TestParseRefusesAMangledResult(t *testing.T) {
	for _, bad := range []string{
		"BenchmarkNearby/index/100k-2 \t 6037 \t 359345 ns/op \t 8674\n",   // a value without its unit
		"BenchmarkNearby/index/100k-2 \t many \t 359345 ns/op\n",           // iterations not a number
		"BenchmarkNearby/index/100k-2 \t 6037 \t fast ns/op \t 1 p50-µs\n", // a value not a number
	} {
		if bo, err := parseBench(strings.NewReader(bad)); err == nil {
			t.Errorf("%q parsed as %+v", bad, bo.Results)
		}
	}
}

func TestParamReadsSizes(t *testing.T) {
	for name, want := range map[string]float64{
		"BenchmarkNearby/index/3000k":            3e6,
		"BenchmarkLocate/walk/writers=16":        16,
		"BenchmarkMemoryPerResponder/n=300k":     3e5,
		"BenchmarkTick/responders=200k/slots=30": 30,
	} {
		key := ""
		switch {
		case strings.Contains(name, "writers="):
			key = "writers"
		case strings.Contains(name, "/n="):
			key = "n"
		case strings.Contains(name, "slots="):
			key = "slots"
		}
		if got, ok := param(name, key); !ok || got != want {
			t.Errorf("param(%q, %q) = %v, %v; want %v", name, key, got, ok, want)
		}
	}
	if _, ok := param("BenchmarkLocate/walk", "writers"); ok {
		t.Error("a name without the key gave a size")
	}
}

// TestDrawAllWritesEveryChartItHasOutputFor runs the command's whole path
// over a raw directory holding nearby and sockbench output only.
func TestDrawAllWritesEveryChartItHasOutputFor(t *testing.T) {
	raw, out := t.TempDir(), t.TempDir()
	nearby := "cpu: AMD EPYC\n" +
		"BenchmarkNearby/index/100k-2 \t 6037 \t 359345 ns/op \t 8674 p50-µs \t 91215 p99-µs \t 2783 queries/s\n" +
		"BenchmarkNearby/index/100k#01-2 \t 6037 \t 359345 ns/op \t 8000 p50-µs \t 90000 p99-µs \t 3000 queries/s\n" +
		"BenchmarkNearby/index/1000k-2 \t 6037 \t 359345 ns/op \t 9000 p50-µs \t 95000 p99-µs \t 2500 queries/s\n"
	if err := os.WriteFile(filepath.Join(raw, "nearby.txt"), []byte(nearby), 0o644); err != nil {
		t.Fatal(err)
	}
	for i, r := range []sockRun{{Machine: "2 cores, go go1.26.8; load average at start: 26.66 26.87 18.43; at the end: 30.88 27.89 19.14", Responders: 1000, Connected: 1000}, {Responders: 3000, Connected: 2999}} {
		r.Memory.PerConnKiB = 12
		dir := filepath.Join(raw, "sockets", string(rune('a'+i)))
		b, _ := json.Marshal(r)
		if err := os.MkdirAll(dir, 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, "result.json"), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	n, err := drawAll(raw, out, zap.NewNop())
	if err != nil {
		t.Fatal(err)
	}
	if n != 3 {
		t.Errorf("drew %d charts, want 3 (nearby-rate, nearby-latency, sockets)", n)
	}
	for file, markers := range map[string]int{"nearby-rate.svg": 2, "nearby-latency.svg": 4, "sockets.svg": 1} {
		b, err := os.ReadFile(filepath.Join(out, file))
		if err != nil {
			t.Fatal(err)
		}
		// The run that connected 2,999 of 3,000 sockets is left out.
		if got := strings.Count(string(b), `class="pt"`); got != markers {
			t.Errorf("%s: %d markers, want %d", file, got, markers)
		}
	}
	if b, _ := os.ReadFile(filepath.Join(out, "sockets.svg")); !strings.Contains(string(b), "one run a point; 2 cores, load 26.7 to 30.9") {
		t.Errorf("sockets chart's note does not give the machine and its load:\n%s", b)
	}
	if _, err := os.Stat(filepath.Join(out, "tick.svg")); !os.IsNotExist(err) {
		t.Errorf("tick.svg drawn without tick output: %v", err)
	}
}
