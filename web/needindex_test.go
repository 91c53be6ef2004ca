package web

import (
	"context"
	"slices"
	"sync/atomic"
	"testing"
	"time"

	"github.com/liandong/liandong/geo"
	"github.com/liandong/liandong/mobilize"
)

// countingApp counts the needs the API reads.
type countingApp struct {
	Application
	needsRead, summaries atomic.Int64
}

func (c *countingApp) Needs(ctx context.Context, ids []mobilize.NeedID) ([]mobilize.NeedState, error) {
	c.needsRead.Add(int64(len(ids)))
	return c.Application.Needs(ctx, ids)
}

func (c *countingApp) NeedSummaries(ctx context.Context, activeOnly bool) ([]mobilize.NeedSummary, error) {
	c.summaries.Add(1)
	return c.Application.NeedSummaries(ctx, activeOnly)
}

// TestCoordinatorListIsBounded: a coordinator's GET /needs reads its
// organisation's needs and those of the communities in its home area,
// never the city's other needs, however many and however new.
func TestCoordinatorListIsBounded(t *testing.T) {
	app := &countingApp{}
	e := newEmbeddedEnv(t, func(o *APIOptions) {
		app.Application = o.Service
		o.Service = app
	})
	op := e.token("op1", RoleOperator, "")
	e.do("POST", "/api/v1/areas", e.token("admin", RoleAdmin, ""), webTestTree()).Want(t, 200)
	e.do("POST", "/api/v1/organisations", op, map[string]any{"id": "org-a", "name": "Committee A", "kind": "community_committee", "home_area": "c1"}).Want(t, 201)
	ctx := context.Background()
	create := func(org string, lng float64) string {
		t.Helper()
		pt, _ := geo.NewPoint(testLat, lng)
		n, err := e.svc.CreateNeed(ctx, mobilize.Need{Urgency: 4, Category: "errand", Point: pt, OrgID: org,
			Team: []mobilize.TeamSlot{{Role: mobilize.RoleVolunteer, Count: 1}}})
		if err != nil {
			t.Fatal(err)
		}
		e.clock.Advance(time.Millisecond)
		return string(n.ID)
	}
	inC1, inC2 := testLng, 121.41
	var want []string
	want = append(want, create("org-a", inC2), create("org-a", inC1), create("org-z", inC1))
	const others = 2000
	for range others {
		create("org-z", inC2) // newer than every need the coordinator sees
	}
	slices.Reverse(want)

	coord := e.token("coord-a", RoleCoordinator, "org-a")
	var l needList
	e.do("GET", "/api/v1/needs", coord, nil).Want(t, 200).Decode(t, &l)
	var got []string
	for _, n := range l.Needs {
		got = append(got, n.ID)
	}
	if !slices.Equal(got, want) {
		t.Fatalf("coordinator sees %v, want %v", got, want)
	}
	if read, sums := app.needsRead.Load(), app.summaries.Load(); read > int64(2*len(want)) || sums != 0 {
		t.Fatalf("listing %d needs read %d needs and every summary %d times; want at most %d reads, no summaries", len(want), read, sums, 2*len(want))
	}

	// An operator still sees the city: the newest first.
	app.needsRead.Store(0)
	e.do("GET", "/api/v1/needs?limit=5", op, nil).Want(t, 200).Decode(t, &l)
	if len(l.Needs) != 5 || app.needsRead.Load() != 5 {
		t.Fatalf("operator: %d needs, %d read", len(l.Needs), app.needsRead.Load())
	}
}
