package main

import (
	"bufio"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"strings"
	"testing"

	"github.com/gorilla/websocket"

	"github.com/liandong/liandong/internal/redistest"
)

// startBinary runs the server executable with env added to a clean
// environment and returns its address once it logs "listening". The
// process is killed when the test ends.
func startBinary(t *testing.T, bin string, env ...string) (string, *exec.Cmd) {
	t.Helper()
	cmd := exec.Command(bin, "-listen", "127.0.0.1:0")
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
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
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
	t.Fatalf("server exited before listening:\n%s", log.String())
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
	base := "http://" + addr

	var login struct{ Token string }
	if code := call(t, "POST", base+"/api/v1/auth/login", "", map[string]string{"username": "admin", "password": "admin-password-crash"}, &login); code != 200 {
		t.Fatalf("login: %d", code)
	}
	var wang, li struct{ ID, Token string }
	if code := call(t, "POST", base+"/api/v1/responders", login.Token, map[string]any{"name": "Wang Fang", "role": "volunteer"}, &wang); code != 201 {
		t.Fatalf("register: %d", code)
	}
	if code := call(t, "POST", base+"/api/v1/responders", login.Token, map[string]any{"name": "Li Na", "role": "medic"}, &li); code != 201 {
		t.Fatalf("register: %d", code)
	}
	if code := call(t, "POST", base+"/api/v1/auth/revoke", li.Token, map[string]any{}, nil); code != 204 {
		t.Fatalf("revoke: %d", code)
	}

	ws, _, err := websocket.DefaultDialer.Dial("ws://"+addr+"/ws?access_token="+url.QueryEscape(wang.Token), nil)
	if err != nil {
		t.Fatal(err)
	}
	next(t, ws, "welcome")
	ws.WriteJSON(map[string]any{"v": 1, "type": "location", "data": map[string]float64{"lat": 37.4601, "lng": 121.4501}})
	waitStatus(t, &apiClient{t: t, base: base, token: login.Token}, wang.ID, "available")

	createNeed := func(role, key string) string {
		t.Helper()
		body := map[string]any{"lat": 37.46, "lng": 121.45, "category": "medicine_delivery", "urgency": 2,
			"team": []map[string]any{{"role": role, "count": 1}}, "description": "Insulin for Mr Zhao"}
		req, _ := http.NewRequest("POST", base+"/api/v1/needs", strings.NewReader(mustJSON(t, body)))
		req.Header.Set("Authorization", "Bearer "+login.Token)
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
	offer := next(t, ws, "offer")
	var od struct {
		OfferID string `json:"offer_id"`
	}
	json.Unmarshal(offer.Data, &od)
	ws.WriteJSON(map[string]any{"v": 1, "type": "accept", "data": map[string]string{"offer_id": od.OfferID}})
	assignment := next(t, ws, "assignment")
	open := createNeed("social_worker", "")
	retried := createNeed("medic", "crash-retry-1")
	ws.Close()

	// The crash: both processes die without a chance to flush anything.
	server.Process.Kill()
	server.Wait()
	srv.Kill()
	srv.Restart()
	addr, _ = startBinary(t, bin, env...)
	base = "http://" + addr
	if code := call(t, "POST", base+"/api/v1/auth/login", "", map[string]string{"username": "admin", "password": "admin-password-crash"}, &login); code != 200 {
		t.Fatalf("login after the crash: %d", code)
	}

	var got struct {
		Status      string `json:"status"`
		LeadID      string `json:"lead_id"`
		Assignments []struct {
			ResponderID string `json:"responder_id"`
			State       string `json:"state"`
		} `json:"assignments"`
	}
	call(t, "GET", base+"/api/v1/needs/"+staffed, login.Token, nil, &got)
	if got.Status != "staffed" || got.LeadID != wang.ID || len(got.Assignments) != 1 || got.Assignments[0].State != "accepted" {
		t.Fatalf("staffed need after the crash: %+v", got)
	}
	got.Assignments = nil
	call(t, "GET", base+"/api/v1/needs/"+open, login.Token, nil, &got)
	if got.Status != "open" {
		t.Fatalf("open need after the crash: %+v", got)
	}
	if again := createNeed("medic", "crash-retry-1"); again != retried {
		t.Fatalf("a retried create after the crash made need %s, want the first answer %s", again, retried)
	}
	if code := call(t, "GET", base+"/api/v1/responders/"+li.ID, li.Token, nil, nil); code != 401 {
		t.Fatalf("a token revoked before the crash answers %d after it, want 401", code)
	}
	waitStatus(t, &apiClient{t: t, base: base, token: login.Token}, wang.ID, "busy")

	// The inbox was never acked: a new socket gets the offer and the
	// assignment again, with the same ids, in order.
	ws, _, err = websocket.DefaultDialer.Dial("ws://"+addr+"/ws?access_token="+url.QueryEscape(wang.Token), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer ws.Close()
	if again := next(t, ws, "offer"); again.ID != offer.ID {
		t.Fatalf("offer after the crash has id %q, want %q", again.ID, offer.ID)
	}
	if again := next(t, ws, "assignment"); again.ID != assignment.ID {
		t.Fatalf("assignment after the crash has id %q, want %q", again.ID, assignment.ID)
	}
}

func mustJSON(t *testing.T, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}
