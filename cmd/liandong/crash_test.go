package main

import (
	"bufio"
	"encoding/json"
	"io"
	"net/http"
	"os"
	"os/exec"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/liandong/liandong/internal/redistest"
	"github.com/liandong/liandong/internal/testkit"
)

// startBinary runs the server executable with env added to a clean
// environment and returns its address once it logs "listening". The
// process is killed when the test ends.
func startBinary(t *testing.T, bin string, env ...string) (string, *exec.Cmd) {
	t.Helper()
	return startProcess(t, bin, nil, env)
}

// startProcess is startBinary with flags before -listen. The cleanup
// continues a stopped process first, so that a test may SIGSTOP it.
func startProcess(t *testing.T, bin string, flags, env []string) (string, *exec.Cmd) {
	t.Helper()
	cmd := exec.Command(bin, append(flags, "-listen", "127.0.0.1:0")...)
	cmd.Dir = t.TempDir()
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "LIANDONG_") {
			cmd.Env = append(cmd.Env, kv)
		}
	}
	cmd.Env = append(cmd.Env, env...)
	stderr, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		cmd.Process.Signal(syscall.SIGCONT)
		cmd.Process.Kill()
		cmd.Wait()
	})
	sc := bufio.NewScanner(stderr)
	var log strings.Builder
	for sc.Scan() {
		log.WriteString(sc.Text() + "\n")
		var line map[string]any
		if json.Unmarshal(sc.Bytes(), &line) == nil && line["msg"] == "listening" {
			addr, _ := line["addr"].(string)
			go io.Copy(io.Discard, stderr)
			return addr, cmd
		}
	}
	t.Fatalf("server %s exited before listening:\n%s", strings.Join(flags, " "), log.String())
	return "", nil
}

// TestAcceptedSurvivesCrash kills the server and its Redis (append-only
// file, fsync always) with SIGKILL in the middle of a response and starts
// both again: every answer the API gave before the crash still holds. A
// staffed need stays staffed with its lead, an open need is still open,
// the responder's inbox still has its offer and assignment, a retried
// create with the same Idempotency-Key gets the first need, and a revoked
// token stays revoked.
func TestAcceptedSurvivesCrash(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary and kills processes; skipped with -short")
	}
	srv := redistest.Start(t, redistest.Options{AOF: true})
	bin := buildBinary(t)
	env := []string{
		"LIANDONG_REDIS_URL=redis://" + srv.Addr + "/0",
		"LIANDONG_TOKEN_KEY=crash-key-0123456789abcdef",
		"LIANDONG_ADMIN_PASSWORD=admin-password-crash",
	}
	addr, server := startBinary(t, bin, env...)
	admin := login(t, "http://"+addr)
	register := func(name, role string) (r struct{ ID, Token string }) {
		t.Helper()
		res := admin.Do("POST", "/api/v1/responders", map[string]any{"name": name, "role": role})
		if res.Status != 201 {
			t.Fatalf("register: %d", res.Status)
		}
		res.Decode(t, &r)
		return r
	}
	wang, li := register("Wang Fang", "volunteer"), register("Li Na", "medic")
	asLi := testkit.Client{T: t, Base: admin.Base, Token: li.Token}
	if code := asLi.Do("POST", "/api/v1/auth/revoke", map[string]any{}).Status; code != 204 {
		t.Fatalf("revoke: %d", code)
	}

	ws := testkit.Dial(t, admin.Base, wang.Token, "")
	ws.Next("welcome")
	ws.Send("location", "", map[string]float64{"lat": 37.4601, "lng": 121.4501})
	waitForStatus(t, admin, wang.ID, "available")

	createNeed := func(role, key string) string {
		t.Helper()
		body := map[string]any{"lat": 37.46, "lng": 121.45, "category": "medicine_delivery", "urgency": 2,
			"team": []map[string]any{{"role": role, "count": 1}}, "description": "Insulin for Mr Zhao"}
		req, _ := http.NewRequest("POST", admin.Base+"/api/v1/needs", strings.NewReader(testkit.MustJSON(t, body)))
		req.Header.Set("Authorization", "Bearer "+admin.Token)
		req.Header.Set("Content-Type", "application/json")
		if key != "" {
			req.Header.Set("Idempotency-Key", key)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var n struct{ ID string }
		json.NewDecoder(resp.Body).Decode(&n)
		if resp.StatusCode != 201 || n.ID == "" {
			t.Fatalf("create need: %d", resp.StatusCode)
		}
		return n.ID
	}
	staffed := createNeed("volunteer", "")
	offer := ws.Next("offer")
	var od struct {
		OfferID string `json:"offer_id"`
	}
	offer.Decode(t, &od)
	ws.Send("accept", "", map[string]string{"offer_id": od.OfferID})
	assignment := ws.Next("assignment")
	open := createNeed("social_worker", "")
	retried := createNeed("medic", "crash-retry-1")
	ws.Conn.Close()

	// The crash: both processes die without a chance to flush anything.
	server.Process.Kill()
	server.Wait()
	srv.Kill()
	srv.Restart()
	addr, _ = startBinary(t, bin, env...)
	admin = login(t, "http://"+addr)

	var got struct {
		Status      string `json:"status"`
		LeadID      string `json:"lead_id"`
		Assignments []struct {
			ResponderID string `json:"responder_id"`
			State       string `json:"state"`
		} `json:"assignments"`
	}
	admin.Call("GET", "/api/v1/needs/"+staffed, nil, &got)
	if got.Status != "staffed" || got.LeadID != wang.ID || len(got.Assignments) != 1 || got.Assignments[0].State != "accepted" {
		t.Fatalf("staffed need after the crash: %+v", got)
	}
	got.Assignments = nil
	admin.Call("GET", "/api/v1/needs/"+open, nil, &got)
	if got.Status != "open" {
		t.Fatalf("open need after the crash: %+v", got)
	}
	if again := createNeed("medic", "crash-retry-1"); again != retried {
		t.Fatalf("a retried create after the crash made need %s, want the first answer %s", again, retried)
	}
	asLi.Base = admin.Base
	if code := asLi.Do("GET", "/api/v1/responders/"+li.ID, nil).Status; code != 401 {
		t.Fatalf("a token revoked before the crash answers %d after it, want 401", code)
	}
	waitForStatus(t, admin, wang.ID, "busy")

	// The inbox was never acked: a new socket gets the offer and the
	// assignment again, with the same ids, in order.
	ws = testkit.Dial(t, admin.Base, wang.Token, "")
	if again := ws.Next("offer"); again.ID != offer.ID {
		t.Fatalf("offer after the crash has id %q, want %q", again.ID, offer.ID)
	}
	if again := ws.Next("assignment"); again.ID != assignment.ID {
		t.Fatalf("assignment after the crash has id %q, want %q", again.ID, assignment.ID)
	}
}

// login logs in as the admin of base, failing the test unless it works.
func login(t *testing.T, base string) testkit.Client {
	t.Helper()
	var session struct{ Token string }
	r := (testkit.Client{T: t, Base: base}).Do("POST", "/api/v1/auth/login", map[string]string{"username": "admin", "password": "admin-password-crash"})
	if r.Status != 200 {
		t.Fatalf("login: %d %s", r.Status, r.Body)
	}
	r.Decode(t, &session)
	return testkit.Client{T: t, Base: base, Token: session.Token}
}

// waitForStatus waits until the server reports the responder's status.
func waitForStatus(t *testing.T, admin testkit.Client, id, want string) {
	t.Helper()
	var r struct{ Status string }
	testkit.WaitFor(t, "responder "+id+" "+want, 10*time.Second, func() bool {
		admin.Call("GET", "/api/v1/responders/"+id, nil, &r)
		return r.Status == want
	})
}
