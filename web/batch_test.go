package web

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/liandong/liandong/internal/redistest"
)

func batchBody(n int, bad int) string {
	var b strings.Builder
	b.WriteString(`{"responders":[`)
	for i := range n {
		if i > 0 {
			b.WriteByte(',')
		}
		role := "volunteer"
		if i == bad {
			role = "astronaut"
		}
		fmt.Fprintf(&b, `{"name":"Drill volunteer %05d","role":%q,"skills":["first_aid"],"phone":"+86 138 0000 %04d"}`, i, role, i%10000)
	}
	b.WriteString(`]}`)
	return b.String()
}

// TestBatchAllOrNothing: a good batch registers everyone, each with a
// token that works; one bad entry refuses the batch and stores nothing.
func TestBatchAllOrNothing(t *testing.T) {
	redistest.Each(t, func(t *testing.T, b redistest.Backend) {
		e := newBackendEnv(t, b)
		coord := e.token("coord-a", RoleCoordinator, "org-a")

		before := redistest.Snapshot(t, e.rdb)
		r := e.do("POST", "/api/v1/responders/batch", coord, batchBody(200, 137)).Want(t, 400)
		if !strings.Contains(string(r.Body), "responders[137].role") {
			t.Fatalf("refusal does not name entry 137: %s", r.Body)
		}
		if after := redistest.Snapshot(t, e.rdb); after != before {
			t.Fatal("a refused batch changed Redis")
		}

		var br batchResponse
		e.do("POST", "/api/v1/responders/batch", coord, batchBody(200, -1)).Want(t, 201).Decode(t, &br)
		if len(br.Responders) != 200 {
			t.Fatalf("%d registered, want 200", len(br.Responders))
		}
		rc, err := e.store.CountResponders(context.Background())
		if err != nil || rc.Total != 200 || rc.ByStatus["available"] != 200 {
			t.Fatalf("counts %+v %v", rc, err)
		}
		seen := map[string]bool{}
		for i, entry := range br.Responders {
			if seen[entry.ID] {
				t.Fatalf("id %s twice", entry.ID)
			}
			seen[entry.ID] = true
			if i%50 != 0 {
				continue
			}
			var got responderJSON
			e.do("GET", "/api/v1/responders/"+entry.ID, entry.Token, nil).Want(t, 200).Decode(t, &got)
			if got.OrgID != "org-a" || got.Name != fmt.Sprintf("Drill volunteer %05d", i) {
				t.Fatalf("entry %d stored as %+v", i, got)
			}
		}
	})
}

// BenchmarkBatchRegister20k registers 20,000 responders in two batches on
// a real redis-server, as a drill does (the embedded Redis runs every Lua
// script in a fresh interpreter and is far slower). Speed is claimed here,
// not in a timed unit test.
func BenchmarkBatchRegister20k(b *testing.B) {
	s := redistest.Start(b, redistest.Options{})
	e := newEnv(b, s.Client(b))
	op := e.token("op1", RoleOperator, "")
	for range b.N {
		b.StopTimer()
		bodies := []string{batchBody(maxBatch, -1), batchBody(maxBatch, -1)}
		b.StartTimer()
		for _, body := range bodies {
			if r := e.do("POST", "/api/v1/responders/batch", op, body); r.Status != 201 {
				b.Fatalf("batch: %d %s", r.Status, r.Body)
			}
		}
	}
	b.StopTimer()
	rc, err := e.store.CountResponders(context.Background())
	if err != nil || rc.Total != 2*maxBatch*b.N {
		b.Fatalf("%d responders stored, want %d (%v)", rc.Total, 2*maxBatch*b.N, err)
	}
	b.ReportMetric(float64(2*maxBatch*b.N)/b.Elapsed().Seconds(), "responders/s")
}
