package server_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"sync"
	"testing"
	"time"

	"github.com/gorilla/websocket"

	"github.com/liandong/liandong/internal/redistest"
	"github.com/liandong/liandong/internal/server"
	"github.com/liandong/liandong/internal/server/servertest"
	"github.com/liandong/liandong/internal/testkit"
)

// failoverPhone is a responder's phone that accepts every offer, and
// sends an accept again when the server answered "unavailable".
type failoverPhone struct {
	id   string
	conn *websocket.Conn

	mu       sync.Mutex
	offers   int
	answered int
	closed   error // why the socket ended before the test closed it
}

func (p *failoverPhone) run(t *testing.T, done <-chan struct{}) {
	send := func(typ, id string, data any) {
		b, _ := json.Marshal(map[string]any{"v": 1, "type": typ, "id": id, "data": data})
		_ = p.conn.WriteMessage(websocket.TextMessage, b)
	}
	retry := map[string]string{} // message id -> offer id
	for {
		var e testkit.Envelope
		if err := p.conn.ReadJSON(&e); err != nil {
			select {
			case <-done:
			default:
				p.mu.Lock()
				p.closed = err
				p.mu.Unlock()
			}
			return
		}
		switch e.Type {
		case "offer":
			var o struct {
				OfferID string `json:"offer_id"`
			}
			json.Unmarshal(e.Data, &o)
			p.mu.Lock()
			p.offers++
			p.mu.Unlock()
			retry["a-"+o.OfferID] = o.OfferID
			send("accept", "a-"+o.OfferID, map[string]string{"offer_id": o.OfferID})
			send("ack", "", map[string]string{"id": e.ID})
		case "answered":
			p.mu.Lock()
			p.answered++
			p.mu.Unlock()
		case "error":
			var r struct{ Code string }
			json.Unmarshal(e.Data, &r)
			if offer, ok := retry[e.ID]; ok && r.Code == "unavailable" {
				// Nothing was changed: the same accept again shortly.
				time.Sleep(200 * time.Millisecond)
				send("accept", e.ID, map[string]string{"offer_id": offer})
			}
		}
	}
}

// TestRidesThroughARedisMasterFailover runs the server on three Redis
// masters with a replica each, with phones on sockets accepting what they
// are offered, and kills the master of the region's slot. While the slots
// move, requests get 503 unavailable with Retry-After (never a 500), the
// sockets stay open; after the failover the requests work again within
// moments, new needs are matched on the same sockets, and nobody is
// booked twice nor any need over-staffed.
func TestRidesThroughARedisMasterFailover(t *testing.T) {
	cluster := redistest.StartClusterWith(t, redistest.ClusterOptions{Replicas: 1, NodeTimeout: time.Second})
	cfg := server.Default()
	cfg.Redis.URL = cluster.URL()
	cfg.Auth.TokenKey = "e2e-key-0123456789abcdef"
	cfg.Auth.AdminPassword = "admin-password-failover"
	m := servertest.Run(t, cfg, server.Hooks{})
	base := servertest.Base(m)
	admin := servertest.LoginAdmin(t, base, "admin-password-failover")

	const phones = 10
	done := make(chan struct{})
	var all []*failoverPhone
	var wg sync.WaitGroup
	for i := range phones {
		r := servertest.Register(t, admin, fmt.Sprintf("Phone %d", i), "volunteer")
		ws := testkit.Dial(t, base, r.Token, "")
		ws.Next("welcome")
		ws.Send("location", "", map[string]float64{"lat": 37.46 + float64(i)*0.0001, "lng": 121.45})
		servertest.WaitStatus(t, admin, r.ID, "available")
		p := &failoverPhone{id: r.ID, conn: ws.Conn}
		all = append(all, p)
		wg.Add(1)
		go func() { defer wg.Done(); p.run(t, done) }()
	}
	t.Cleanup(func() {
		close(done)
		for _, p := range all {
			p.conn.Close()
		}
		wg.Wait()
	})

	var needs []string
	createNeed := func() {
		t.Helper()
		var n struct{ ID string }
		admin.Do("POST", "/api/v1/needs", map[string]any{
			"lat": 37.46, "lng": 121.45, "category": "evacuation", "urgency": 1,
			"team": []map[string]any{{"role": "volunteer", "count": 2}},
		}).Want(t, http.StatusCreated).Decode(t, &n)
		needs = append(needs, n.ID)
	}
	staffed := func(id string) bool {
		var n struct{ Status string }
		r := admin.Do("GET", "/api/v1/needs/"+id, nil)
		if r.Status != http.StatusOK {
			return false
		}
		r.Decode(t, &n)
		return n.Status == "staffed"
	}
	for range 2 {
		createNeed()
	}
	for _, id := range needs {
		testkit.WaitFor(t, "need "+id+" staffed before the failover", 20*time.Second, func() bool { return staffed(id) })
	}

	// Probe the region while its master dies: every answer is a 200 or a
	// 503 unavailable with Retry-After.
	probeStop := make(chan struct{})
	probed := make(chan map[string]int)
	var slowest503 time.Duration
	go func() {
		seen := map[string]int{}
		for {
			select {
			case <-probeStop:
				probed <- seen
				return
			default:
			}
			start := time.Now()
			got := probe(admin, "/api/v1/needs/"+needs[0])
			if got != "200" {
				slowest503 = max(slowest503, time.Since(start))
			}
			seen[got]++
			time.Sleep(20 * time.Millisecond)
		}
	}()
	master := cluster.MasterOf(t, "{"+cfg.Index.Region+"}")
	took := cluster.KillMaster(t, master)
	t.Logf("the region's master %s failed over in %v", master, took)

	// Within moments of the promotion the same request works again: the
	// client must not keep sending the dead master's slots to its address.
	recovered := time.Now()
	testkit.WaitFor(t, "a request to the region after the failover", 5*time.Second, func() bool {
		return admin.Do("GET", "/api/v1/needs/"+needs[0], nil).Status == http.StatusOK
	})
	t.Logf("requests answered again %v after the failover", time.Since(recovered))
	close(probeStop)
	seen := <-probed
	t.Logf("answers while the master died: %v; the slowest refusal took %v", seen, slowest503)
	for k := range seen {
		if k != "200" && k != "503 unavailable" {
			t.Errorf("answer %q while the master failed over; want only 200 or 503 unavailable with Retry-After", k)
		}
	}
	if seen["503 unavailable"] == 0 {
		t.Errorf("no request was refused while the region's master was dead (answers %v): the probe missed the outage", seen)
	}

	// Matching resumes on the same sockets.
	before := len(needs)
	for range 2 {
		testkit.WaitFor(t, "a need created after the failover", 10*time.Second, func() bool {
			var n struct{ ID string }
			r := admin.Do("POST", "/api/v1/needs", map[string]any{
				"lat": 37.46, "lng": 121.45, "category": "evacuation", "urgency": 1,
				"team": []map[string]any{{"role": "volunteer", "count": 2}},
			})
			if r.Status != http.StatusCreated {
				return false
			}
			r.Decode(t, &n)
			needs = append(needs, n.ID)
			return true
		})
	}
	for _, id := range needs[before:] {
		testkit.WaitFor(t, "need "+id+" staffed after the failover", 20*time.Second, func() bool { return staffed(id) })
	}
	for _, p := range all {
		p.mu.Lock()
		if p.closed != nil {
			t.Errorf("phone %s: socket ended during the failover: %v", p.id, p.closed)
		}
		p.mu.Unlock()
	}

	// Nobody booked twice, no need over-staffed.
	booked := map[string][]string{}
	for _, id := range needs {
		var n struct {
			Status      string
			Team        []struct{ Count, Filled int }
			Assignments []struct {
				ResponderID string `json:"responder_id"`
				TeamIndex   int    `json:"team_index"`
				State       string
			}
		}
		admin.Call("GET", "/api/v1/needs/"+id, nil, &n)
		accepted := make([]int, len(n.Team))
		for _, a := range n.Assignments {
			if a.State == "accepted" {
				accepted[a.TeamIndex]++
				booked[a.ResponderID] = append(booked[a.ResponderID], id)
			}
		}
		for i, slot := range n.Team {
			if accepted[i] > slot.Count || slot.Filled > slot.Count {
				t.Errorf("need %s entry %d: %d accepted (filled %d) of %d places", id, i, accepted[i], slot.Filled, slot.Count)
			}
		}
	}
	for who, on := range booked {
		if len(on) > 1 {
			t.Errorf("responder %s is booked on %d needs at once: %v", who, len(on), on)
		}
	}
	if len(booked) < 2*len(needs) {
		t.Errorf("%d responders booked on %d needs of 2 places each", len(booked), len(needs))
	}
}

// probe GETs path and sums the answer up as "200", or the status and the
// error code ("503 unavailable"), noting a refusal without Retry-After. It
// runs beside the test, so it reports rather than fails.
func probe(c testkit.Client, path string) string {
	req, _ := http.NewRequest("GET", c.Base+path, nil)
	req.Header.Set("Authorization", "Bearer "+c.Token)
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		return "transport error: " + err.Error()
	}
	defer res.Body.Close()
	if res.StatusCode == http.StatusOK {
		return "200"
	}
	var eb struct {
		Error struct{ Code string } `json:"error"`
	}
	json.NewDecoder(res.Body).Decode(&eb)
	key := fmt.Sprint(res.StatusCode, " ", eb.Error.Code)
	if res.Header.Get("Retry-After") == "" {
		key += " without Retry-After"
	}
	return key
}
