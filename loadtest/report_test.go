package loadtest

import (
	"bytes"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/liandong/liandong/internal/i18n"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata")

// craftedRun is a small drill written by hand: three needs, one staffed
// cleanly, one with a declined first offer, one never offered; one phone
// double-booked and one offer lost, so every section of the report has
// content.
func craftedRun(t *testing.T) (*Ledger, runInfo) {
	t.Helper()
	sc := smallScenario(t, 0, 0)
	l := NewLedger()
	for _, r := range []string{"r1", "r2", "r3"} {
		l.AddPerson(r, 1, "")
		l.Apply(Event{Kind: evConnected, Responder: r, At: at(-5)})
	}
	one := NeedSpec{Lat: 37.51, Lng: 121.41, Category: "delivery", Urgency: 3, Team: []TeamSlot{{Role: "volunteer", Count: 1}}}
	l.NeedCreated("n1", one, t0.Add(time.Second), t0.Add(1010*time.Millisecond))
	l.NeedCreated("n2", one, t0.Add(2*time.Second), t0.Add(2010*time.Millisecond))
	l.NeedCreated("n3", one, t0.Add(3*time.Second), t0.Add(3010*time.Millisecond))
	for _, ev := range []Event{
		offerEv("r1", "o1", "n1", 1.1, 61),
		{Kind: evAccept, Responder: "r1", Offer: "o1", Need: "n1", At: at(1.5)},
		{Kind: evAssignment, Responder: "r1", Need: "n1", At: at(1.6), Team: 1},
		offerEv("r2", "o2", "n2", 2.2, 62),
		{Kind: evDecline, Responder: "r2", Offer: "o2", Need: "n2", At: at(2.4)},
		offerEv("r1", "o3", "n2", 2.5, 62.5), // r1 is still on n1: double booking
		{Kind: evIgnore, Responder: "r1", Offer: "o3", Need: "n2", At: at(2.5)},
		{Kind: evComplete, Responder: "r1", Need: "n1", At: at(4)},
		{Kind: evDisconnected, Responder: "r3", At: at(3)},
		{Kind: evConnected, Responder: "r3", At: at(3.5)},
		{Kind: evError, Responder: "r2", At: at(3), Info: "invalid_message"},
	} {
		l.Apply(ev)
	}
	l.SetServerNeed("n1", &serverNeed{ID: "n1", Status: "completed", Team: []serverTeam{{Role: "volunteer", Count: 1, Filled: 1}},
		Assignments: []serverAssignment{asg("o1", "r1", "volunteer", "completed", 1.1)},
		Urgency:     3, Community: "c1", Escalation: &serverEscalation{Step: 0, StepName: "community", GoalS: 60}})
	l.SetServerNeed("n2", &serverNeed{ID: "n2", Status: "open", Team: []serverTeam{{Role: "volunteer", Count: 1, Pending: 1}},
		Assignments: []serverAssignment{asg("o2", "r2", "volunteer", "declined", 2.2), asg("o3", "r1", "volunteer", "offered", 2.5),
			asg("o9", "r3", "volunteer", "expired", 2.0)},
		Urgency: 3, Community: "c1", Escalation: &serverEscalation{Step: 2, StepName: "partners", GoalS: 60}})
	l.SetServerNeed("n3", &serverNeed{ID: "n3", Status: "open", Team: []serverTeam{{Role: "volunteer", Count: 1, Shortfall: "nobody_in_radius"}}})
	info := runInfo{
		scenario: sc, target: "http://127.0.0.1:8080", child: true, seed: 7,
		started: t0.Add(-10 * time.Second), arrivalsStart: t0, phonesClosed: t0.Add(10 * time.Second),
		registered: 3, planned: 3, peakConnected: 3, processes: 1,
		series:   []Sample{{T: 1, Connected: 3, Created: 1, Open: 1}, {T: 2, Connected: 3, Created: 2, Staffed: 1, Open: 1, OffersPerS: 2}},
		server:   ServerUsage{Source: "proc", RSSMBMax: 40, RSSMBEnd: 39, CPUSeconds: 1.5, CPUPercent: 15},
		drillCPU: 0.5, drillCPUPct: 5, stats: json.RawMessage(`{"needs":{"open":2}}`),
	}
	return l, info
}

func TestReportGolden(t *testing.T) {
	l, info := craftedRun(t)
	rep := analyze(l, info)
	got, err := json.MarshalIndent(rep, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	got = append(got, '\n')
	golden := filepath.Join("testdata", "report.golden.json")
	if *update {
		if err := os.WriteFile(golden, got, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatalf("%v (run go test ./loadtest -run TestReportGolden -update)", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("report.json differs from %s (rerun with -update if the change is meant):\n%s", golden, got)
	}
	// The fields the issue names, whatever else changes.
	var m map[string]any
	_ = json.Unmarshal(got, &m)
	for _, k := range []string{"scenario", "duration_s", "responders_connected", "needs_created", "needs_staffed",
		"double_bookings", "offers_lost", "overstaffed_needs", "acceptance_rate", "drill_cpu_seconds"} {
		if _, ok := m[k]; !ok {
			t.Errorf("report.json lacks %s", k)
		}
	}
	for _, k := range []string{"time_to_first_offer_ms", "time_to_staffed_ms", "offer_push_ms"} {
		q, _ := m[k].(map[string]any)
		for _, f := range []string{"p50", "p95", "p99", "max"} {
			if _, ok := q[f]; !ok {
				t.Errorf("report.json %s lacks %s", k, f)
			}
		}
	}
	if rep.DoubleBookings != 1 || rep.OffersLost != 1 || !rep.Failed() || rep.UnstaffedReasons["nobody_in_radius"] != 1 {
		t.Errorf("crafted run: %d double bookings, %d lost, reasons %v", rep.DoubleBookings, rep.OffersLost, rep.UnstaffedReasons)
	}
}

// TestReportHTMLIsSelfContained: the page must open with no network and
// must not let a scenario's text inject markup.
func TestReportHTMLIsSelfContained(t *testing.T) {
	l, info := craftedRun(t)
	info.scenario.Description = `<script>alert("x")</script>`
	rep := analyze(l, info)
	rep.Lang = i18n.En
	dir := t.TempDir()
	if err := rep.Write(dir); err != nil {
		t.Fatal(err)
	}
	raw, err := os.ReadFile(filepath.Join(dir, "report.html"))
	if err != nil {
		t.Fatal(err)
	}
	page := string(raw)
	for _, bad := range []string{"<script", "src=", "href=", "url(", "@import", "https://", "<link"} {
		if strings.Contains(page, bad) {
			t.Errorf("report.html contains %q", bad)
		}
	}
	if n := strings.Count(page, "<svg"); n < 9 {
		t.Errorf("%d inline SVG charts, want 4 histograms, 4 time series and a map", n)
	}
	for _, want := range []string{"FAIL", "nobody_in_radius", "double_booking", "offer_lost", "polygon"} {
		if !strings.Contains(page, want) {
			t.Errorf("report.html does not show %q", want)
		}
	}
}

func TestParseProcStat(t *testing.T) {
	// A command name with spaces and a parenthesis, as /proc allows.
	line := "4242 (my (odd) srv) S 1 4242 4242 0 -1 4194560 1000 0 0 0 250 50 0 0 20 0 12 0 100 123456789 2560 18446744073709551615 1 1 0 0 0 0 0 0 0 0 0 0 17 1 0 0 0 0 0"
	rss, cpu, err := parseProcStat(line, 4096)
	if err != nil {
		t.Fatal(err)
	}
	if rss != 2560*4096 || cpu != 3 {
		t.Fatalf("rss %v cpu %v, want %v and 3", rss, cpu, 2560*4096)
	}
	if _, _, err := parseProcStat("garbage", 4096); err == nil {
		t.Fatal("garbage parsed")
	}
}

func TestParseProcessMetrics(t *testing.T) {
	text := "# HELP process_cpu_seconds_total x\n# TYPE process_cpu_seconds_total counter\nprocess_cpu_seconds_total 12.5\n" +
		"go_goroutines 10\nprocess_resident_memory_bytes 4.2e+07\n"
	rss, cpu, err := parseProcessMetrics(strings.NewReader(text))
	if err != nil || rss != 4.2e7 || cpu != 12.5 {
		t.Fatalf("rss %v cpu %v err %v", rss, cpu, err)
	}
	if _, _, err := parseProcessMetrics(strings.NewReader("go_goroutines 1\n")); err == nil {
		t.Fatal("missing gauges not reported")
	}
}

func TestCheckTarget(t *testing.T) {
	for _, tc := range []struct {
		target   string
		explicit bool
		ok       bool
	}{
		{"http://127.0.0.1:8080", false, true},
		{"http://localhost:8080/", false, true},
		{"http://[::1]:8080", false, true},
		{"http://10.0.0.5:8080", false, false},
		{"http://10.0.0.5:8080", true, true},
		{"https://drill.example.org", true, true},
		{"ftp://127.0.0.1", true, false},
		{"http://127.0.0.1:8080/api", true, false},
		{"http://user:pw@127.0.0.1:8080", true, false},
		{"127.0.0.1:8080", true, false},
	} {
		_, err := CheckTarget(tc.target, tc.explicit)
		if (err == nil) != tc.ok {
			t.Errorf("CheckTarget(%q, explicit %v): %v, want ok=%v", tc.target, tc.explicit, err, tc.ok)
		}
	}
}
