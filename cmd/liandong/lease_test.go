package main

import (
	"bufio"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/liandong/liandong/internal/redistest"
	"github.com/liandong/liandong/internal/testkit"
)

// leaseServer is one server process of TestOneMatcherPerRegion.
type leaseServer struct {
	name string
	base string
	cmd  *exec.Cmd
}

// startLeaseServer runs the binary with config (a file) and env on a
// clean environment, returning once it logs "listening".
func startLeaseServer(t *testing.T, bin, name, config string, env ...string) *leaseServer {
	t.Helper()
	addr, cmd := startProcess(t, bin, []string{"-config", config}, env)
	return &leaseServer{name: name, base: "http://" + addr, cmd: cmd}
}

// leaseMetrics are what /metrics says of the region's lease and matcher.
type leaseMetrics struct {
	held            bool
	epoch           int64
	ticks, fenced   float64
	takeovers, acqs float64
}

// metrics reads the server's /metrics; ok is false if it does not answer
// (a stopped process) within the client's timeout.
func (s *leaseServer) metrics(t *testing.T) (m leaseMetrics, ok bool) {
	t.Helper()
	c := http.Client{Timeout: 300 * time.Millisecond}
	resp, err := c.Get(s.base + "/metrics")
	if err != nil {
		return m, false
	}
	defer resp.Body.Close()
	sc := bufio.NewScanner(resp.Body)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		line := sc.Text()
		if strings.HasPrefix(line, "#") || !strings.Contains(line, `region="city"`) {
			continue
		}
		name, _, _ := strings.Cut(line, "{")
		_, val, _ := strings.Cut(line, "} ")
		v, err := strconv.ParseFloat(strings.TrimSpace(val), 64)
		if err != nil {
			t.Fatalf("metrics line %q: %v", line, err)
		}
		switch name {
		case "liandong_lease_held":
			m.held = v == 1
		case "liandong_lease_epoch":
			m.epoch = int64(v)
		case "liandong_matcher_ticks_total":
			m.ticks = v
		case "liandong_matcher_fenced_claims_total":
			m.fenced = v
		case "liandong_lease_takeovers_total":
			m.takeovers = v
		case "liandong_lease_acquisitions_total":
			m.acqs = v
		}
	}
	return m, true
}

// TestOneMatcherPerRegion runs two server processes on one redis-server:
// one holds the region's lease and ticks, the other stands by with no
// ticks. SIGSTOP of the holder past its lease: the other takes over within
// lease_ttl, seen in its /metrics. SIGCONT: the resumed process does not
// tick as holder again and its lease is gone; the new holder matches a
// need created afterwards.
func TestOneMatcherPerRegion(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary and runs two servers; skipped with -short")
	}
	const ttl = time.Second
	srv := redistest.Start(t, redistest.Options{})
	bin := buildBinary(t)
	config := filepath.Join(t.TempDir(), "lease.yaml")
	if err := os.WriteFile(config, []byte("matching:\n  lease_ttl: "+ttl.String()+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	env := []string{
		"LIANDONG_REDIS_URL=redis://" + srv.Addr + "/0",
		"LIANDONG_TOKEN_KEY=lease-key-0123456789abcdef",
		"LIANDONG_ADMIN_PASSWORD=admin-password-crash",
	}
	servers := []*leaseServer{startLeaseServer(t, bin, "a", config, env...), startLeaseServer(t, bin, "b", config, env...)}

	// Exactly one holds the region; only it ticks.
	var holder, standby *leaseServer
	testkit.WaitFor(t, "a holder", 5*time.Second, func() bool {
		a, _ := servers[0].metrics(t)
		b, _ := servers[1].metrics(t)
		switch {
		case a.held && !b.held:
			holder, standby = servers[0], servers[1]
		case b.held && !a.held:
			holder, standby = servers[1], servers[0]
		}
		return holder != nil
	})
	h0, _ := holder.metrics(t)
	time.Sleep(2 * ttl)
	h1, _ := holder.metrics(t)
	s1, _ := standby.metrics(t)
	t.Logf("over %s: holder %s ticked %v times, standby %s %v", 2*ttl, holder.name, h1.ticks-h0.ticks, standby.name, s1.ticks)
	if h1.ticks-h0.ticks < 4 || s1.ticks != 0 || s1.held || !h1.held {
		t.Fatalf("holder %+v then %+v, standby %+v: want the holder alone ticking", h0, h1, s1)
	}

	// The holder is paused past its lease.
	if err := holder.cmd.Process.Signal(syscall.SIGSTOP); err != nil {
		t.Fatal(err)
	}
	stopped := time.Now()
	var took time.Duration
	var s2 leaseMetrics
	testkit.WaitFor(t, "the standby takes over", 4*ttl, func() bool {
		s2, _ = standby.metrics(t)
		took = time.Since(stopped)
		return s2.held
	})
	t.Logf("standby %s holds the region %s after SIGSTOP of %s (lease_ttl %s), epoch %d -> %d", standby.name, took, holder.name, ttl, h1.epoch, s2.epoch)
	// Within lease_ttl of the pause, with the /metrics polling's and a busy
	// machine's slack.
	if took > ttl+250*time.Millisecond {
		t.Fatalf("takeover %s after the pause, want within lease_ttl %s", took, ttl)
	}
	if s2.epoch != h1.epoch+1 || s2.takeovers != 1 {
		t.Fatalf("after the takeover: %+v, want epoch %d and one takeover", s2, h1.epoch+1)
	}
	time.Sleep(ttl) // paused well past its lease
	if err := holder.cmd.Process.Signal(syscall.SIGCONT); err != nil {
		t.Fatal(err)
	}

	// Resumed: it knows its lease is gone, and ticks no more.
	var r1 leaseMetrics
	testkit.WaitFor(t, "the resumed process answers", 5*time.Second, func() bool {
		var ok bool
		r1, ok = holder.metrics(t)
		return ok
	})
	time.Sleep(2 * ttl)
	r2, _ := holder.metrics(t)
	s3, _ := standby.metrics(t)
	t.Logf("resumed %s: held %v, ticks %v -> %v, fenced claims %v; new holder %s ticks %v -> %v",
		holder.name, r2.held, h1.ticks, r2.ticks, r2.fenced, standby.name, s2.ticks, s3.ticks)
	if r1.held || r2.held || r2.ticks != r1.ticks || r2.ticks > h1.ticks+float64(2*ttl/(250*time.Millisecond))+1 {
		t.Fatalf("resumed process %+v then %+v: it must not tick as holder", r1, r2)
	}
	if !s3.held || s3.ticks-s2.ticks < 4 {
		t.Fatalf("new holder %+v then %+v: want it ticking", s2, s3)
	}

	// The region is matched by the new holder: a need created on the
	// resumed process is offered to a responder connected there.
	admin := login(t, holder.base)
	var wang struct{ ID, Token string }
	res := admin.Do("POST", "/api/v1/responders", map[string]any{"name": "Wang Fang", "role": "volunteer"})
	if res.Status != 201 {
		t.Fatalf("register: %d", res.Status)
	}
	res.Decode(t, &wang)
	ws := testkit.Dial(t, holder.base, wang.Token, "")
	ws.Next("welcome")
	ws.Send("location", "", map[string]float64{"lat": 37.4601, "lng": 121.4501})
	waitForStatus(t, admin, wang.ID, "available")
	res = admin.Do("POST", "/api/v1/needs", map[string]any{"lat": 37.46, "lng": 121.45, "category": "medicine_delivery", "urgency": 2,
		"team": []map[string]any{{"role": "volunteer", "count": 1}}, "description": "Insulin for Mr Zhao"})
	if res.Status != 201 {
		t.Fatalf("create need: %d %s", res.Status, res.Body)
	}
	ws.Next("offer")
	r3, _ := holder.metrics(t)
	if r3.ticks != r1.ticks {
		t.Fatalf("the resumed process ticked: %v -> %v", r1.ticks, r3.ticks)
	}
}
