package web

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/liandong/liandong/internal/redistest"
	"github.com/liandong/liandong/internal/testkit"
)

func countNeeds(t testing.TB, e *env) int {
	t.Helper()
	sums, err := e.store.NeedSummaries(context.Background(), false)
	if err != nil {
		t.Fatal(err)
	}
	return len(sums)
}

var idemNeed = map[string]any{"lat": testLat, "lng": testLng, "category": "flood", "urgency": 2,
	"team": []map[string]any{{"role": "medic", "count": 1}}}

func TestIdempotency(t *testing.T) {
	redistest.Each(t, func(t *testing.T, b redistest.Backend) {
		e := newBackendEnv(t, b)
		op := e.token("op1", RoleOperator, "")
		key := []string{"Idempotency-Key", "need-42"}

		first := e.do("POST", "/api/v1/needs", op, idemNeed, key...).Want(t, 201)
		again := e.do("POST", "/api/v1/needs", op, idemNeed, key...).Want(t, 201)
		if string(first.Body) != string(again.Body) || again.Header.Get("Idempotent-Replayed") != "true" {
			t.Fatalf("retry answered %s, first %s", again.Body, first.Body)
		}
		if n := countNeeds(t, e); n != 1 {
			t.Fatalf("%d needs after a retry, want 1", n)
		}

		// The same key with another body is a client bug, not a retry.
		other := map[string]any{"lat": testLat, "lng": testLng, "category": "fire", "urgency": 1,
			"team": []map[string]any{{"role": "medic", "count": 1}}}
		if code := e.do("POST", "/api/v1/needs", op, other, key...).Want(t, 422).ErrorCode(t); code != "idempotency_key_reused" {
			t.Fatalf("code %s", code)
		}

		// Keys are per caller: another operator's same key is a new need.
		e.do("POST", "/api/v1/needs", e.token("op2", RoleOperator, ""), idemNeed, key...).Want(t, 201)
		if n := countNeeds(t, e); n != 2 {
			t.Fatalf("%d needs, want 2", n)
		}

		// A refusal is not kept: the corrected request under the same key
		// does the work.
		bad := map[string]any{"lat": 99, "lng": testLng, "category": "flood", "urgency": 2, "team": []map[string]any{{"role": "medic", "count": 1}}}
		e.do("POST", "/api/v1/needs", op, bad, "Idempotency-Key", "k2").Want(t, 400)
		e.do("POST", "/api/v1/needs", op, idemNeed, "Idempotency-Key", "k2").Want(t, 201)
		if n := countNeeds(t, e); n != 3 {
			t.Fatalf("%d needs, want 3", n)
		}

		// The first answer is kept for 24 hours, then forgotten.
		rkey := e.key("idem:" + sum(string(RoleOperator), "op1", "POST /api/v1/needs", "need-42"))
		if ttl := e.rdb.TTL(context.Background(), rkey).Val(); ttl < 23*time.Hour || ttl > 24*time.Hour {
			t.Fatalf("idempotency record expires in %v, want 24 h", ttl)
		}
		if b.FastForward != nil {
			b.FastForward(24*time.Hour + time.Second)
			e.do("POST", "/api/v1/needs", op, idemNeed, key...).Want(t, 201)
			if n := countNeeds(t, e); n != 4 {
				t.Fatalf("%d needs after the key expired, want 4", n)
			}
		}
	})
}

// TestIdempotencyConcurrent sends one request ten times at once: one need,
// ten identical answers.
func TestIdempotencyConcurrent(t *testing.T) {
	redistest.Each(t, func(t *testing.T, b redistest.Backend) {
		e := newBackendEnv(t, b)
		op := e.token("op1", RoleOperator, "")
		var wg sync.WaitGroup
		answers := make([]testkit.Response, 10)
		for i := range answers {
			wg.Go(func() {
				answers[i] = e.do("POST", "/api/v1/needs", op, idemNeed, "Idempotency-Key", "storm")
			})
		}
		wg.Wait()
		for i, r := range answers {
			if r.Status != 201 || string(r.Body) != string(answers[0].Body) {
				t.Fatalf("answer %d: %d %s, first %d %s", i, r.Status, r.Body, answers[0].Status, answers[0].Body)
			}
		}
		if n := countNeeds(t, e); n != 1 {
			t.Fatalf("%d needs from one request sent ten times, want 1", n)
		}
	})
}

// TestIdempotentBatch replays a batch registration with the same tokens.
func TestIdempotentBatch(t *testing.T) {
	redistest.Each(t, func(t *testing.T, b redistest.Backend) {
		e := newBackendEnv(t, b)
		op := e.token("op1", RoleOperator, "")
		body := map[string]any{"responders": []map[string]string{{"name": "A", "role": "medic"}, {"name": "B", "role": "volunteer"}}}
		first := e.do("POST", "/api/v1/responders/batch", op, body, "Idempotency-Key", "drill-1").Want(t, 201)
		again := e.do("POST", "/api/v1/responders/batch", op, body, "Idempotency-Key", "drill-1").Want(t, 201)
		if string(first.Body) != string(again.Body) {
			t.Fatal("batch retry answered differently")
		}
		rc, err := e.store.CountResponders(context.Background())
		if err != nil || rc.Total != 2 {
			t.Fatalf("%d responders after a retried batch of 2 (%v)", rc.Total, err)
		}
	})
}

func TestIdempotencyWaitsForTheFirst(t *testing.T) {
	e := newEmbeddedEnv(t)
	e.api.idemWait = 300 * time.Millisecond
	op := e.token("op1", RoleOperator, "")
	// A reservation held by a request still running: a duplicate waits,
	// then is told to retry.
	rkey := e.key("idem:" + sum(string(RoleOperator), "op1", "POST /api/v1/needs", "slow"))
	fp := sum("POST", "/api/v1/needs", testkit.MustJSON(t, idemNeed))
	e.rdb.Set(context.Background(), rkey, fmt.Sprintf(`{"owner":"x","fp":%q}`, fp), time.Minute)
	start := time.Now()
	r := e.do("POST", "/api/v1/needs", op, idemNeed, "Idempotency-Key", "slow").Want(t, 409)
	if code := r.ErrorCode(t); code != "request_in_progress" || r.Header.Get("Retry-After") != "1" {
		t.Fatalf("code %s, Retry-After %q", code, r.Header.Get("Retry-After"))
	}
	if waited := time.Since(start); waited < e.api.idemWait {
		t.Fatalf("gave up after %v, want %v", waited, e.api.idemWait)
	}
	if n := countNeeds(t, e); n != 0 {
		t.Fatalf("%d needs while the first request runs", n)
	}
}
