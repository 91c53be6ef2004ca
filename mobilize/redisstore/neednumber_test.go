package redisstore

import (
	"context"
	"fmt"
	"slices"
	"sync"
	"testing"

	"github.com/liandong/liandong/internal/redistest"
	"github.com/liandong/liandong/mobilize"
)

// TestNeedNumbersDistinctAndIncreasing: needs created at once, from many
// callers, each get their own short number, 1..N with none skipped or
// given twice, increasing in the order one caller created them; a refused
// duplicate takes none; a need stored before numbers existed reads as 0.
func TestNeedNumbersDistinctAndIncreasing(t *testing.T) {
	redistest.Each(t, func(t *testing.T, b redistest.Backend) {
		ctx := context.Background()
		clock := newTestClock()
		st := newStore(t, b, clock)
		const callers, each = 8, 25
		need := func(id string) mobilize.Need {
			return mobilize.Need{ID: mobilize.NeedID(id), Urgency: 3, Category: "welfare_visit", Point: mustPoint(t, yantaiLat, yantaiLng),
				Team: []mobilize.TeamSlot{{Role: mobilize.RoleVolunteer, Count: 1}}, CreatedAt: clock.Now()}
		}
		var wg sync.WaitGroup
		errs := make(chan error, callers*each)
		for c := range callers {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for i := range each {
					if created, err := st.CreateNeed(ctx, need(fmt.Sprintf("c%d-%02d", c, i))); err != nil || !created {
						errs <- fmt.Errorf("create c%d-%02d: %v %v", c, i, created, err)
					}
				}
			}()
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			t.Fatal(err)
		}
		var all []int64
		for c := range callers {
			last := int64(0)
			for i := range each {
				n, err := st.Need(ctx, mobilize.NeedID(fmt.Sprintf("c%d-%02d", c, i)))
				if err != nil {
					t.Fatal(err)
				}
				if n.Number <= last {
					t.Fatalf("need c%d-%02d has number %d after %d: not increasing", c, i, n.Number, last)
				}
				last = n.Number
				all = append(all, n.Number)
			}
		}
		slices.Sort(all)
		for i, got := range all {
			if got != int64(i+1) {
				t.Fatalf("numbers %v: want 1..%d, each once", all, callers*each)
			}
		}

		if created, err := st.CreateNeed(ctx, need("c0-00")); err != nil || created {
			t.Fatalf("duplicate create: %v %v", created, err)
		}
		if created, err := st.CreateNeed(ctx, need("after")); err != nil || !created {
			t.Fatalf("create after: %v %v", created, err)
		}
		after, err := st.Need(ctx, "after")
		if err != nil || after.Number != callers*each+1 {
			t.Fatalf("need after a refused duplicate: number %d, %v; want %d", after.Number, err, callers*each+1)
		}

		// A need stored before numbers existed has no number field.
		if err := b.Client.HDel(ctx, st.NeedStore.keys.need("after"), "number").Err(); err != nil {
			t.Fatal(err)
		}
		if old, err := st.Need(ctx, "after"); err != nil || old.Number != 0 {
			t.Fatalf("need without a number: %d, %v", old.Number, err)
		}
		if got, err := b.Client.Get(ctx, st.NeedStore.keys.needNumber()).Int64(); err != nil || got != callers*each+1 {
			t.Fatalf("counter %d, %v", got, err)
		}
	})
}

// TestCreatedNeedIsAnnouncedWithItsNumber: the service tells the consoles
// of a new need with the short number the store gave it, the number the
// need reads back with.
func TestCreatedNeedIsAnnouncedWithItsNumber(t *testing.T) {
	redistest.Each(t, func(t *testing.T, b redistest.Backend) {
		ctx := context.Background()
		clock := newTestClock()
		st := newStore(t, b, clock)
		rec := &recorder{}
		svc := mobilize.NewService(mobilize.ServiceDeps{Store: st, Sink: rec, Now: clock.Now}, matchConfig())
		var states []mobilize.NeedState
		for range 2 {
			n, err := svc.CreateNeed(ctx, mobilize.Need{Urgency: 3, Category: "medicine_delivery", Point: mustPoint(t, yantaiLat, yantaiLng),
				Team: []mobilize.TeamSlot{{Role: mobilize.RoleVolunteer, Count: 1}}})
			if err != nil {
				t.Fatal(err)
			}
			states = append(states, n)
		}
		created := eventsOf[mobilize.NeedCreated](rec)
		if len(created) != 2 {
			t.Fatalf("%d need.created events, want 2", len(created))
		}
		for i, e := range created {
			if e.Need.ID != states[i].ID || e.Need.Number != states[i].Number || e.Need.Number != int64(i+1) {
				t.Fatalf("event %d: need %s number %d; created %s number %d, want number %d", i, e.Need.ID, e.Need.Number, states[i].ID, states[i].Number, i+1)
			}
		}
	})
}
