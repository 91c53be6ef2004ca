package loadtest

import (
	"context"
	"encoding/json"
	"io"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"
)

// fakeServerEnv makes the test binary, re-executed as a "server", run the
// fake server, so the child-process path (build flags, the "listening"
// line, /proc sampling, SIGINT) is tested without the real one.
const fakeServerEnv = "LOADTEST_FAKE_SERVER"

func TestMain(m *testing.M) {
	if len(os.Args) > 1 && os.Args[1] == WorkerFlag {
		if err := RunWorker(os.Stdin, os.Stdout); err != nil {
			os.Exit(2)
		}
		os.Exit(0)
	}
	if os.Getenv(fakeServerEnv) == "1" {
		runFakeServerProcess()
		return
	}
	os.Exit(m.Run())
}

// smallScenario is a drill that fits a unit test: a few dozen people in
// one square kilometre, a few needs a second for a few seconds.
func smallScenario(t *testing.T, people int, d time.Duration) *Scenario {
	t.Helper()
	sc, err := DecodeScenario(stringsReader(smallScenarioYAML))
	if err != nil {
		t.Fatal(err)
	}
	sc.Scale(people, d)
	return sc
}

func runAgainstFake(t *testing.T, bug string, opts Options) *Report {
	t.Helper()
	fake := newFakeServer(time.Second, bug)
	srv := httptest.NewServer(fake)
	t.Cleanup(func() { srv.Close(); fake.Close() })
	opts.Target, opts.Password = srv.URL, "pw"
	if opts.Out == "" {
		opts.Out = t.TempDir()
	}
	rep, err := Run(context.Background(), opts)
	if err != nil {
		t.Fatalf("drill: %v", err)
	}
	return rep
}

func TestDrillAgainstFakeServerPasses(t *testing.T) {
	out := t.TempDir()
	rep := runAgainstFake(t, "", Options{Scenario: smallScenario(t, 30, 3*time.Second), Out: out})
	t.Log(rep.Summary())
	if dir := os.Getenv("LOADTEST_KEEP_REPORT"); dir != "" {
		_ = rep.Write(dir)
	}
	if rep.Failed() {
		t.Fatalf("a correct server failed the drill: %+v", rep.Violations)
	}
	if rep.RespondersConnected != 30 || rep.NeedsCreated == 0 || rep.NeedsCreated != rep.NeedsPlanned {
		t.Fatalf("connected %d, created %d of %d planned", rep.RespondersConnected, rep.NeedsCreated, rep.NeedsPlanned)
	}
	if rep.NeedsStaffed == 0 || rep.OffersReceived == 0 || rep.TimeToFirstOfferMs.N == 0 || rep.OfferPushMs.N == 0 {
		t.Fatalf("nothing measured: %+v", rep)
	}
	if rep.Reconnects == 0 {
		t.Error("phones were told to lose the network often, yet never reconnected")
	}
	if rep.Server.Source != "metrics" || rep.Server.RSSMBMax <= 0 {
		t.Errorf("server usage from /metrics: %+v", rep.Server)
	}
	for _, f := range []string{"report.json", "report.html"} {
		if st, err := os.Stat(filepath.Join(out, f)); err != nil || st.Size() == 0 {
			t.Errorf("%s not written: %v", f, err)
		}
	}
	var back map[string]any
	raw, _ := os.ReadFile(filepath.Join(out, "report.json"))
	if err := json.Unmarshal(raw, &back); err != nil || back["scenario"] != "test-small" {
		t.Errorf("report.json does not read back: %v", err)
	}
}

func TestDrillCatchesServerBugs(t *testing.T) {
	for _, tc := range []struct {
		bug   string
		got   func(*Report) int
		what  string
		fails bool
	}{
		{"double_book", func(r *Report) int { return r.DoubleBookings }, "double bookings", true},
		{"lose_offer", func(r *Report) int { return r.OffersLost }, "lost offers", true},
		{"overstaff", func(r *Report) int { return r.OverstaffedNeeds }, "over-staffed needs", true},
		// An offer kept in the inbox but never pushed is found by the final
		// sweep's reconnect: a delivery fault, not a loss.
		{"no_push", func(r *Report) int { return r.OffersRecovered }, "recovered offers", false},
		// A staffed member never told where to go fails the drill like the
		// three above; one whose assignment waits in the inbox (a phone
		// away at the end, or a push that never happened) is found by the
		// sweep and does not.
		{"lose_assignment", func(r *Report) int { return r.AssignmentsMissing }, "missing assignments", true},
		{"no_push_assignment", func(r *Report) int { return r.AssignmentsRecovered }, "recovered assignments", false},
	} {
		t.Run(tc.bug, func(t *testing.T) {
			t.Parallel()
			sc := smallScenario(t, 12, 2*time.Second)
			sc.Behaviour.DisconnectsPerHour, sc.Behaviour.Offline = 0, Dist{}
			sc.Needs.RatePerS = 6
			rep := runAgainstFake(t, tc.bug, Options{Scenario: sc})
			if tc.got(rep) == 0 || rep.Failed() != tc.fails {
				t.Fatalf("bug %s: %s = %d, failed %v (want failed %v); violations %+v", tc.bug, tc.what, tc.got(rep), rep.Failed(), tc.fails, rep.Violations)
			}
		})
	}
}

// TestDrillCatchesFieldBugs: a team message that never reaches a member
// and a need that joins no incident each fail the drill; with neither,
// the same drill passes.
func TestDrillCatchesFieldBugs(t *testing.T) {
	for _, tc := range []struct {
		bug  string
		got  func(*Report) int
		what string
	}{
		{"", func(r *Report) int { return r.Messages.Delivered }, "messages delivered"},
		{"lose_message", func(r *Report) int { return r.Messages.Lost }, "messages lost"},
		{"need_outside", func(r *Report) int { return r.Incident.NeedsOutside }, "needs outside the incident"},
	} {
		t.Run("bug="+tc.bug, func(t *testing.T) {
			t.Parallel()
			sc := smallScenario(t, 16, 2*time.Second)
			sc.Behaviour.DisconnectsPerHour, sc.Behaviour.Offline = 0, Dist{}
			sc.Needs.RatePerS = 6
			sc.Needs.Mix = sc.Needs.Mix[1:] // teams of two: someone to write to
			sc.Needs.Mix[0].Share = 1
			sc.Incident = &IncidentSpec{Kind: "flood", Name: "演练"}
			sc.Field = &FieldSpec{MaxTravel: 200 * time.Millisecond, MessageShare: 1, Messages: []string{"到了"}}
			if err := sc.Validate(); err != nil {
				t.Fatal(err)
			}
			rep := runAgainstFake(t, tc.bug, Options{Scenario: sc})
			if rep.Messages == nil || rep.Incident == nil {
				t.Fatalf("no field sections: %s", rep.Summary())
			}
			if tc.got(rep) == 0 || rep.Failed() != (tc.bug != "") {
				t.Fatalf("bug %q: %s = %d, failed %v; violations %+v\n%s", tc.bug, tc.what, tc.got(rep), rep.Failed(), rep.Violations, rep.Summary())
			}
		})
	}
}

// TestActualWarningOnlyToItsOwnServer: an Actual CAP warning is never
// sent to a server given with -target; the drill stops before posting it.
func TestActualWarningOnlyToItsOwnServer(t *testing.T) {
	sc := smallScenario(t, 4, time.Second)
	sc.Incident = &IncidentSpec{CAP: &CAPSpec{Sender: "s", Event: "台风", Headline: "h", Severity: "Severe", Status: "Actual"}}
	fake := newFakeServer(time.Second, "")
	srv := httptest.NewServer(fake)
	t.Cleanup(func() { srv.Close(); fake.Close() })
	_, err := Run(context.Background(), Options{Scenario: sc, Target: srv.URL, Password: "pw", Out: t.TempDir()})
	if err == nil || !strings.Contains(err.Error(), "Actual") {
		t.Fatalf("got %v, want a refusal of the Actual warning", err)
	}
}

func TestDrillInterruptedStillReports(t *testing.T) {
	before := runtime.NumGoroutine()
	fake := newFakeServer(time.Second, "")
	srv := httptest.NewServer(fake)
	defer func() { srv.Close(); fake.Close() }()
	out := t.TempDir()
	ctx, cancel := context.WithCancel(context.Background())
	time.AfterFunc(1500*time.Millisecond, cancel)
	start := time.Now()
	rep, err := Run(ctx, Options{Scenario: smallScenario(t, 10, time.Minute), Target: srv.URL, Password: "pw", Out: out})
	if err != nil {
		t.Fatal(err)
	}
	if !rep.Interrupted || time.Since(start) > 20*time.Second {
		t.Fatalf("interrupted %v after %v", rep.Interrupted, time.Since(start))
	}
	if _, err := os.Stat(filepath.Join(out, "report.json")); err != nil {
		t.Fatal("no report after an interrupt")
	}
	// Every phone, timer and connection of the drill is gone once Run
	// returns and the server is closed.
	srv.CloseClientConnections()
	srv.Close()
	fake.Close()
	deadline := time.Now().Add(5 * time.Second)
	for runtime.NumGoroutine() > before && time.Now().Before(deadline) {
		time.Sleep(50 * time.Millisecond)
	}
	if n := runtime.NumGoroutine(); n > before {
		buf := make([]byte, 1<<16)
		t.Fatalf("%d goroutines left behind (%d before):\n%s", n-before, before, buf[:runtime.Stack(buf, true)])
	}
}

// TestDrillChildServerAndWorkers runs the whole machine as in production:
// a child server (this test binary playing the fake), phones spread over
// worker processes dialling from 127.0.0.x.
func TestDrillChildServerAndWorkers(t *testing.T) {
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	out := t.TempDir()
	sc := smallScenario(t, 24, 2*time.Second)
	rep, err := Run(context.Background(), Options{
		Scenario: sc, Out: out, ServerBin: exe, ServerEnv: []string{fakeServerEnv + "=1"},
		WorkerExe: exe, PerProcess: 10, Progress: io.Discard,
	})
	if err != nil {
		t.Fatal(err)
	}
	if rep.Failed() || rep.RespondersConnected != 24 || rep.NeedsStaffed == 0 {
		t.Fatalf("connected %d, staffed %d, violations %+v", rep.RespondersConnected, rep.NeedsStaffed, rep.Violations)
	}
	if rep.DrillProcesses != 4 || !rep.ServerChild || rep.Server.Source != "proc" || rep.Server.RSSMBMax <= 0 {
		t.Fatalf("processes %d, child %v, server %+v", rep.DrillProcesses, rep.ServerChild, rep.Server)
	}
	if rep.DrillCPUSeconds <= 0 {
		t.Error("drill CPU not measured")
	}
	if st, err := os.Stat(filepath.Join(out, "server.log")); err != nil || st.Size() == 0 {
		t.Error("the child server's log was not kept")
	}
}

// TestTalksOnlyOverTheNetwork: a drill that reached into the server's
// packages would prove nothing about the real path (docs/ARCHITECTURE.md,
// "Dependency direction"). It
// may share the protocol's vocabulary, realtime/wire: plain message types
// with no server code, and a leaf (whatever it imported would be listed
// here too); and internal/i18n, the report's catalogues, another leaf.
func TestTalksOnlyOverTheNetwork(t *testing.T) {
	out, err := exec.Command("go", "list", "-deps", ".", "../cmd/drill").Output()
	if err != nil {
		t.Fatalf("go list (needed to prove the drill imports no server package): %v", err)
	}
	for _, pkg := range strings.Fields(string(out)) {
		if strings.HasPrefix(pkg, "github.com/liandong/liandong/") &&
			pkg != "github.com/liandong/liandong/loadtest" && pkg != "github.com/liandong/liandong/cmd/drill" &&
			pkg != "github.com/liandong/liandong/realtime/wire" && pkg != "github.com/liandong/liandong/internal/i18n" &&
			// pushtest plays the browser and the push service (subscription
			// keys, RFC 8291 decryption), as a phone would; no server code.
			pkg != "github.com/liandong/liandong/internal/pushtest" &&
			// The recording's format (-record): the drill's own, a leaf.
			pkg != "github.com/liandong/liandong/loadtest/recording" &&
			// svgchart draws the report's charts; no server code.
			pkg != "github.com/liandong/liandong/internal/svgchart" {
			t.Errorf("the drill imports %s", pkg)
		}
	}
}

// smallScenarioYAML is the scenario of smallScenario.
const smallScenarioYAML = `
name: test-small
seed: 7
duration: 3s
drain: 3s
region:
  polygon:
    - {lat: 37.50, lng: 121.40}
    - {lat: 37.50, lng: 121.42}
    - {lat: 37.52, lng: 121.42}
    - {lat: 37.52, lng: 121.40}
centres:
  - {name: c, lat: 37.51, lng: 121.41, radius_m: 400, weight: 1}
responders:
  count: 30
  roles:
    - role: volunteer
      share: 0.7
      skills: [{skill: driving, share: 0.5}]
    - role: medic
      share: 0.3
      max_concurrent: 2
movement:
  report_every: 1s
  modes:
    - {mode: still, share: 0.5}
    - {mode: walking, share: 0.5, speed_kmh: 5, range_m: 200}
behaviour:
  accept: 0.8
  decline: 0.1
  ignore: 0.1
  think: {dist: uniform, min: 10ms, max: 60ms}
  task: {dist: constant, value: 300ms}
  disconnects_per_hour: 900
  offline: {dist: constant, value: 100ms}
needs:
  rate_per_s: 4
  surge: [{at: 0, factor: 1}, {at: 1, factor: 2}]
  event_area:
    circle: {lat: 37.51, lng: 121.41, radius_m: 800}
  mix:
    - category: delivery
      share: 0.7
      urgency: 3
      team: [{role: volunteer, count: 1}]
    - category: escort
      share: 0.3
      urgency: 1
      team: [{role: medic, count: 1}, {role: volunteer, count: 1, skills: [driving]}]
`
