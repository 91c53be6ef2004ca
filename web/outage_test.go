package web

import (
	"strings"
	"testing"
	"time"

	"github.com/alicebob/miniredis/v2"
	"github.com/redis/go-redis/v9"

	"github.com/liandong/liandong/internal/testkit"
	"github.com/liandong/liandong/mobilize/redisstore"
)

// TestStoreOutageIs503: while Redis does not answer, a request is told to
// come back (503, Retry-After, code unavailable) rather than that the
// server failed; once Redis is back, the same request succeeds.
func TestStoreOutageIs503(t *testing.T) {
	m := miniredis.RunT(t)
	// No retries, so that each refused request answers at once.
	c := redis.NewClient(&redis.Options{Addr: m.Addr(), MaxRetries: -1})
	t.Cleanup(func() { c.Close() })
	redisstore.WatchAvailability(c)
	e := newEnv(t, c)
	coord := e.token("coord-a", RoleCoordinator, "org-a")
	var reg registeredJSON
	e.do("POST", "/api/v1/responders", coord, map[string]any{"name": "Zhao Min", "role": "medic"}).Want(t, 201).Decode(t, &reg)
	move := func() testkit.Response {
		return e.do("PUT", "/api/v1/responders/"+reg.ID+"/location", reg.Token, map[string]float64{"lat": testLat, "lng": testLng})
	}
	move().Want(t, 204)

	addr := m.Addr()
	m.Close()
	for _, r := range []testkit.Response{
		move(),
		e.do("POST", "/api/v1/needs", coord, idemNeed),
		e.do("GET", "/api/v1/responders/"+reg.ID, coord, nil),
	} {
		r.Want(t, 503)
		var body errorBody
		r.Decode(t, &body)
		if body.Error.Code != "unavailable" || !strings.Contains(body.Error.Message, "retry") {
			t.Errorf("outage answer %+v, want code unavailable and a word on retrying", body.Error)
		}
		if got := r.Header.Get("Retry-After"); got != "2" {
			t.Errorf("Retry-After %q, want 2", got)
		}
		if strings.Contains(string(r.Body), addr) {
			t.Errorf("the answer names the Redis address: %s", r.Body)
		}
	}

	if err := m.StartAddr(addr); err != nil {
		t.Fatal(err)
	}
	// A connection pooled before the outage may fail once more; within
	// moments the same request succeeds.
	deadline := time.Now().Add(5 * time.Second)
	for r := move(); r.Status != 204; r = move() {
		if time.Now().After(deadline) {
			t.Fatalf("after Redis came back: %d %s", r.Status, r.Body)
		}
		time.Sleep(50 * time.Millisecond)
	}
}
