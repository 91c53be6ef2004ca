package redisstore

import (
	"context"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/liandong/liandong/internal/redistest"
	"github.com/liandong/liandong/mobilize"
)

// scopedNeed stores a need of org routed to community at the clock's time.
func scopedNeed(t testing.TB, st *Store, clock *testClock, id mobilize.NeedID, org string, community mobilize.AreaID) {
	t.Helper()
	n := mobilize.Need{ID: id, Urgency: 3, Category: "welfare_visit", Point: mustPoint(t, yantaiLat, yantaiLng), OrgID: org, Community: community,
		Team: []mobilize.TeamSlot{{Role: mobilize.RoleVolunteer, Count: 1}}, CreatedAt: clock.Now()}
	if created, err := st.CreateNeed(context.Background(), n); err != nil || !created {
		t.Fatalf("create need %s: %v %v", id, created, err)
	}
}

// allScoped pages through a scope n at a time.
func allScoped(t *testing.T, st *Store, scope mobilize.NeedScope, n int) []mobilize.NeedID {
	t.Helper()
	var out []mobilize.NeedID
	for cursor, pages := int64(0), 0; ; pages++ {
		ids, next, err := st.ScopedNeeds(context.Background(), scope, cursor, n)
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, ids...)
		if next == 0 {
			return out
		}
		if next >= cursor && cursor != 0 || pages > 1000 {
			t.Fatalf("cursor %d after %d does not move back", next, cursor)
		}
		cursor = next
	}
}

// TestScopedNeeds: the pages of a scope are its needs (of its
// organisations, or routed to its communities) newest first, each once,
// needs of one millisecond by id, whatever the page size; other needs
// never appear.
func TestScopedNeeds(t *testing.T) {
	redistest.Each(t, func(t *testing.T, b redistest.Backend) {
		clock := newTestClock()
		st := newStore(t, b, clock)
		var want []mobilize.NeedID
		for i := range 30 {
			// Three needs per millisecond for some, spread over the scope's
			// two indexes, one need in both, and other needs between them.
			if i%4 != 0 {
				clock.Advance(time.Millisecond)
			}
			mine := mobilize.NeedID(fmt.Sprintf("n%02d", i))
			switch i % 3 {
			case 0:
				scopedNeed(t, st, clock, mine, "org-a", "")
			case 1:
				scopedNeed(t, st, clock, mine, "org-z", "c1")
			case 2:
				scopedNeed(t, st, clock, mine, "org-a", "c1")
			}
			want = append(want, mine)
			scopedNeed(t, st, clock, mobilize.NeedID(fmt.Sprintf("x%02d", i)), "org-z", "c2")
		}
		// Newest first, then by id.
		full, err := st.Needs(context.Background(), want)
		if err != nil {
			t.Fatal(err)
		}
		created := map[mobilize.NeedID]int64{}
		for _, n := range full {
			created[n.ID] = n.CreatedAt.UnixMilli()
		}
		slices.SortFunc(want, func(a, b mobilize.NeedID) int {
			if created[a] != created[b] {
				return int(created[b] - created[a])
			}
			if a < b {
				return -1
			}
			return 1
		})
		scope := mobilize.NeedScope{Orgs: []string{"org-a"}, Communities: []mobilize.AreaID{"c1"}}
		for _, n := range []int{1, 2, 3, 7, 100} {
			if got := allScoped(t, st, scope, n); !slices.Equal(got, want) {
				t.Errorf("pages of %d: %v\nwant %v", n, got, want)
			}
		}
		if ids, next, err := st.ScopedNeeds(context.Background(), mobilize.NeedScope{}, 0, 10); err != nil || len(ids) != 0 || next != 0 {
			t.Errorf("empty scope: %v %d %v", ids, next, err)
		}
	})
}

// TestBackfillNeedIndexes: needs stored before the indexes join them
// once; running it again reads nothing and changes nothing.
func TestBackfillNeedIndexes(t *testing.T) {
	redistest.Each(t, func(t *testing.T, b redistest.Backend) {
		ctx := context.Background()
		clock := newTestClock()
		st := newStore(t, b, clock)
		scopedNeed(t, st, clock, "n1", "org-a", "c1")
		clock.Advance(time.Second)
		scopedNeed(t, st, clock, "n2", "", "c1")
		clock.Advance(time.Second)
		scopedNeed(t, st, clock, "n3", "org-b", "")
		// As a deployment from before the indexes has it.
		k := st.NeedStore.keys
		if err := b.Client.Del(ctx, k.orgNeeds("org-a"), k.orgNeeds("org-b"), k.communityNeeds("c1")).Err(); err != nil {
			t.Fatal(err)
		}
		if n, err := st.BackfillNeedIndexes(ctx); err != nil || n != 3 {
			t.Fatalf("backfill read %d needs: %v", n, err)
		}
		got := allScoped(t, st, mobilize.NeedScope{Orgs: []string{"org-a", "org-b"}, Communities: []mobilize.AreaID{"c1"}}, 10)
		if !slices.Equal(got, []mobilize.NeedID{"n3", "n2", "n1"}) {
			t.Fatalf("after backfill: %v", got)
		}
		before := redistest.Snapshot(t, b.Client)
		if n, err := st.BackfillNeedIndexes(ctx); err != nil || n != 0 {
			t.Fatalf("second backfill read %d needs: %v", n, err)
		}
		if after := redistest.Snapshot(t, b.Client); after != before {
			t.Fatal("the second backfill changed Redis")
		}
	})
}
