package redisstore

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/liandong/liandong/internal/redistest"
	"github.com/liandong/liandong/mobilize"
)

var kit = []mobilize.ItemCount{{Item: mobilize.ItemMedicineKit, Count: 1}}

func putDepot(t testing.TB, st *Store, id string, lat, lng float64, stock map[mobilize.Item]int) {
	t.Helper()
	d := mobilize.Depot{ID: id, Name: "Depot " + id, OrgID: "red-cross-yantai", Point: mustPoint(t, lat, lng)}
	if _, err := st.PutDepot(context.Background(), d, stock); err != nil {
		t.Fatal(err)
	}
}

func itemNeed(t testing.TB, st *Store, clock *testClock, id mobilize.NeedID, lat, lng float64, items []mobilize.ItemCount) {
	t.Helper()
	n := mobilize.Need{ID: id, Urgency: 2, Category: "medicine_delivery", Point: mustPoint(t, lat, lng), Items: items,
		Team: []mobilize.TeamSlot{{Role: mobilize.RoleVolunteer, Count: 1}}, CreatedAt: clock.Now()}
	if created, err := st.CreateNeed(context.Background(), n); err != nil || !created {
		t.Fatalf("create need %s: %v %v", id, created, err)
	}
}

// shelf reads a depot's free and held counts of one item straight from Redis.
func shelf(t testing.TB, st *Store, depot string, it mobilize.Item) (free, held int) {
	t.Helper()
	ctx := context.Background()
	d := st.DepotStore
	f, _ := strconv.Atoi(d.rdb.HGet(ctx, d.keys.depotStock(depot), string(it)).Val())
	h, _ := strconv.Atoi(d.rdb.HGet(ctx, d.keys.depotHeld(depot), string(it)).Val())
	return f, h
}

// TestDepotStockRace: 200 needs reserve a kit each, all at once, from a
// depot that has 50, on a real redis-server. Exactly 50 get one, the
// shelf never reads below zero while they fight, and cancelling every need
// puts all 50 back (cancelling twice puts back nothing more).
func TestDepotStockRace(t *testing.T) {
	srv := redistest.Start(t, redistest.Options{})
	ctx := context.Background()
	clock := newTestClock()
	st := newStore(t, redistest.Backend{Name: "redis-server", Client: srv.Client(t), Real: true}, clock)
	putDepot(t, st, "d1", yantaiLat, yantaiLng, map[mobilize.Item]int{mobilize.ItemMedicineKit: 50})
	const needs = 200
	for i := range needs {
		itemNeed(t, st, clock, mobilize.NeedID(fmt.Sprintf("n%d", i)), yantaiLat, yantaiLng, kit)
	}

	var lowest atomic.Int64
	lowest.Store(50)
	stop := make(chan struct{})
	watched := make(chan struct{})
	go func() { // watches the shelf while the reservations race
		defer close(watched)
		for {
			select {
			case <-stop:
				return
			default:
			}
			free, _ := shelf(t, st, "d1", mobilize.ItemMedicineKit)
			if int64(free) < lowest.Load() {
				lowest.Store(int64(free))
			}
		}
	}()
	var reserved, short atomic.Int64
	var wg sync.WaitGroup
	start := make(chan struct{})
	for i := range needs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			sup, err := st.ReserveItems(ctx, mobilize.NeedID(fmt.Sprintf("n%d", i)), kit, []string{"d1"})
			if err != nil {
				t.Error(err)
				return
			}
			switch sup.State {
			case mobilize.SupplyReserved:
				reserved.Add(1)
			case mobilize.SupplyShort:
				short.Add(1)
			}
		}()
	}
	close(start)
	wg.Wait()
	close(stop)
	<-watched
	if reserved.Load() != 50 || short.Load() != needs-50 {
		t.Fatalf("reserved %d, short %d: want exactly 50 and %d", reserved.Load(), short.Load(), needs-50)
	}
	if free, held := shelf(t, st, "d1", mobilize.ItemMedicineKit); free != 0 || held != 50 {
		t.Fatalf("after the race the shelf has %d free, %d held: want 0 and 50", free, held)
	}
	if lowest.Load() < 0 {
		t.Fatalf("the shelf read %d during the race", lowest.Load())
	}
	// Every need says what it got, and why not.
	counted := 0
	for i := range needs {
		n, err := st.Need(ctx, mobilize.NeedID(fmt.Sprintf("n%d", i)))
		if err != nil || n.Supplies == nil {
			t.Fatalf("need n%d: %+v %v", i, n.Supplies, err)
		}
		switch {
		case n.Supplies.State == mobilize.SupplyReserved && n.Supplies.DepotID == "d1":
			counted++
		case n.Supplies.State == mobilize.SupplyShort && n.Supplies.Reason == mobilize.ReasonNoDepotStock:
		default:
			t.Fatalf("need n%d supplies %+v", i, n.Supplies)
		}
	}
	if counted != 50 {
		t.Fatalf("%d needs record a reservation, want 50", counted)
	}

	// Cancel everything, concurrently, twice over.
	for round := range 2 {
		for i := range needs {
			wg.Add(1)
			go func() {
				defer wg.Done()
				if _, err := st.Close(ctx, mobilize.NeedID(fmt.Sprintf("n%d", i)), mobilize.NeedCancelled); err != nil {
					t.Error(err)
				}
			}()
		}
		wg.Wait()
		if free, held := shelf(t, st, "d1", mobilize.ItemMedicineKit); free != 50 || held != 0 {
			t.Fatalf("after cancelling (round %d) the shelf has %d free, %d held: want 50 and 0", round, free, held)
		}
	}
	d, err := st.Depot(ctx, "d1")
	if err != nil || d.Stock[mobilize.ItemMedicineKit] != 50 || d.Reserved[mobilize.ItemMedicineKit] != 0 {
		t.Fatalf("depot %+v %v", d, err)
	}
}

// TestDepotRaceAcrossMatchers: four matchers (as in four processes) tick
// at once over 200 needs and two depots of 25 kits; exactly 50 needs get a
// kit and both shelves end at zero.
func TestDepotRaceAcrossMatchers(t *testing.T) {
	srv := redistest.Start(t, redistest.Options{})
	ctx := context.Background()
	clock := newTestClock()
	b := redistest.Backend{Name: "redis-server", Client: srv.Client(t), Real: true}
	st := newStore(t, b, clock)
	putDepot(t, st, "north", yantaiLat+0.01, yantaiLng, map[mobilize.Item]int{mobilize.ItemMedicineKit: 25})
	putDepot(t, st, "south", yantaiLat-0.01, yantaiLng, map[mobilize.Item]int{mobilize.ItemMedicineKit: 25})
	for i := range 200 {
		itemNeed(t, st, clock, mobilize.NeedID(fmt.Sprintf("n%d", i)), yantaiLat+float64(i%7-3)*0.002, yantaiLng, kit)
	}
	var wg sync.WaitGroup
	for range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			st := newStore(t, b, clock)
			m := mobilize.NewMatcher(mobilize.MatcherDeps{Store: st, Supplies: st, Now: clock.Now}, matchConfig())
			if _, err := m.Tick(ctx); err != nil {
				t.Error(err)
			}
		}()
	}
	wg.Wait()
	reserved := map[string]int{}
	for i := range 200 {
		n, _ := st.Need(ctx, mobilize.NeedID(fmt.Sprintf("n%d", i)))
		if n.Supplies == nil {
			t.Fatalf("need n%d was not tried", i)
		}
		if n.Supplies.State == mobilize.SupplyReserved {
			reserved[n.Supplies.DepotID]++
		}
	}
	if reserved["north"] != 25 || reserved["south"] != 25 {
		t.Fatalf("reservations by depot %v: want 25 each", reserved)
	}
	for _, d := range []string{"north", "south"} {
		if free, held := shelf(t, st, d, mobilize.ItemMedicineKit); free != 0 || held != 25 {
			t.Fatalf("%s: %d free, %d held", d, free, held)
		}
	}
}

// TestNearestDepotWithStockAndTheDetour: the nearest depot is empty, so the
// items come from the next; the responder picked is the one whose route
// via that depot is shortest, not the one nearest the need; completing
// the need consumes the items.
func TestNearestDepotWithStockAndTheDetour(t *testing.T) {
	redistest.Each(t, func(t *testing.T, b redistest.Backend) {
		ctx, clock, st, rec, svc := serviceCity(t, b)
		emptyLat, _ := offset(yantaiLat, yantaiLng, 0, -100)
		northLat, _ := offset(yantaiLat, yantaiLng, 0, 800)
		farLat, _ := offset(yantaiLat, yantaiLng, 0, 3000)
		putDepot(t, st, "empty", emptyLat, yantaiLng, map[mobilize.Item]int{mobilize.ItemMedicineKit: 0, mobilize.ItemFoodParcel: 9})
		putDepot(t, st, "north", northLat, yantaiLng, map[mobilize.Item]int{mobilize.ItemMedicineKit: 2, mobilize.ItemFoodParcel: 1})
		putDepot(t, st, "far", farLat, yantaiLng, map[mobilize.Item]int{mobilize.ItemMedicineKit: 9, mobilize.ItemFoodParcel: 9})
		// south: 300 m from the need, 1,100 m from the depot; uphill: 600 m
		// from the need on the depot's side, 200 m from the depot.
		southLat, _ := offset(yantaiLat, yantaiLng, 0, -300)
		upLat, _ := offset(yantaiLat, yantaiLng, 0, 600)
		enrollAt(t, st, clock, "south", mobilize.RoleVolunteer, 1, southLat, yantaiLng)
		enrollAt(t, st, clock, "uphill", mobilize.RoleVolunteer, 1, upLat, yantaiLng)
		n := mustCreateNeed(t, svc, mobilize.Need{Urgency: 2, Category: "medicine_delivery", Point: mustPoint(t, yantaiLat, yantaiLng),
			Items: []mobilize.ItemCount{{Item: mobilize.ItemMedicineKit, Count: 2}, {Item: mobilize.ItemFoodParcel, Count: 1}},
			Team:  []mobilize.TeamSlot{{Role: mobilize.RoleVolunteer, Count: 1}}})
		mustTick(t, svc)
		got, _ := st.Need(ctx, n.ID)
		if got.Supplies == nil || got.Supplies.State != mobilize.SupplyReserved || got.Supplies.DepotID != "north" {
			t.Fatalf("supplies %+v: want reserved at north (the nearest with every item)", got.Supplies)
		}
		if len(got.Assignments) != 1 || got.Assignments[0].ResponderID != "uphill" {
			t.Fatalf("assignments %+v: want uphill, whose route via the depot is shorter", got.Assignments)
		}
		offers := rec.offers("uphill")
		if len(offers) != 1 {
			t.Fatalf("uphill has %d offers", len(offers))
		}
		if pickup, ok := offers[0].Need.Pickup(); !ok || pickup.DepotID != "north" {
			t.Fatalf("offer of %+v: want a pickup at north", offers[0].Need)
		}
		if free, held := shelf(t, st, "north", mobilize.ItemMedicineKit); free != 0 || held != 2 {
			t.Fatalf("north kits %d free %d held", free, held)
		}
		// A second tick does not reserve twice.
		svc.Matcher().Tick(ctx)
		if free, held := shelf(t, st, "north", mobilize.ItemFoodParcel); free != 0 || held != 1 {
			t.Fatalf("north parcels %d free %d held after a second tick", free, held)
		}
		if _, err := svc.Respond(ctx, "uphill", got.Assignments[0].OfferID, true); err != nil {
			t.Fatal(err)
		}
		if asg := rec.assignments("uphill"); len(asg) != 1 || !hasPickup(asg[0].Need) {
			t.Fatalf("assignment %+v: want the pickup on it", asg)
		}
		if err := svc.Complete(ctx, n.ID, "uphill"); err != nil {
			t.Fatal(err)
		}
		got, _ = st.Need(ctx, n.ID)
		if got.Supplies.State != mobilize.SupplyConsumed {
			t.Fatalf("after completion supplies %+v, want consumed", got.Supplies)
		}
		if free, held := shelf(t, st, "north", mobilize.ItemMedicineKit); free != 0 || held != 0 {
			t.Fatalf("consumed kits came back: %d free %d held", free, held)
		}
	})
}

// TestShortNeedStillGetsPeopleAndUnstaffedReleases: with no stock anywhere
// the need is offered to people all the same and says why it is short;
// once stock arrives the next tick reserves it; when the need goes
// unstaffed the items go back.
func TestShortNeedStillGetsPeopleAndUnstaffedReleases(t *testing.T) {
	redistest.Each(t, func(t *testing.T, b redistest.Backend) {
		ctx := context.Background()
		clock := newTestClock()
		st := newStore(t, b, clock)
		svc := mobilize.NewService(mobilize.ServiceDeps{Store: st, Now: clock.Now}, matchConfig())
		putDepot(t, st, "d", yantaiLat+0.001, yantaiLng, nil)
		enrollAt(t, st, clock, "v", mobilize.RoleVolunteer, 1, yantaiLat, yantaiLng+0.001)
		n := mustCreateNeed(t, svc, mobilize.Need{Urgency: 3, Category: "oxygen", Point: mustPoint(t, yantaiLat, yantaiLng),
			Items: []mobilize.ItemCount{{Item: mobilize.ItemOxygenConcentrator, Count: 1}}, Deadline: clock.Now().Add(time.Hour),
			Team: []mobilize.TeamSlot{{Role: mobilize.RoleVolunteer, Count: 2}}})
		svc.Matcher().Tick(ctx)
		got, _ := st.Need(ctx, n.ID)
		if got.Supplies == nil || got.Supplies.State != mobilize.SupplyShort || got.Supplies.Reason != mobilize.ReasonNoDepotStock {
			t.Fatalf("supplies %+v: want short, no_depot_stock", got.Supplies)
		}
		if len(got.Assignments) != 1 {
			t.Fatalf("assignments %+v: a need short of items still gets people", got.Assignments)
		}
		if _, err := st.AdjustStock(ctx, "d", map[mobilize.Item]int{mobilize.ItemOxygenConcentrator: 1}); err != nil {
			t.Fatal(err)
		}
		svc.Matcher().Tick(ctx)
		got, _ = st.Need(ctx, n.ID)
		if got.Supplies.State != mobilize.SupplyReserved || got.Supplies.Reason != "" {
			t.Fatalf("after restocking: %+v, want reserved", got.Supplies)
		}
		clock.Advance(61 * time.Minute)
		rep, err := svc.Matcher().Tick(ctx)
		if err != nil || rep.Unstaffed != 1 {
			t.Fatalf("tick %+v %v: want the need unstaffed", rep, err)
		}
		got, _ = st.Need(ctx, n.ID)
		if got.Supplies.State != mobilize.SupplyReleased {
			t.Fatalf("unstaffed need supplies %+v, want released", got.Supplies)
		}
		if free, held := shelf(t, st, "d", mobilize.ItemOxygenConcentrator); free != 1 || held != 0 {
			t.Fatalf("after unstaffed: %d free %d held", free, held)
		}
	})
}

// TestDepotBadInputChangesNothing: every refused call leaves Redis as it
// was, byte for byte.
func TestDepotBadInputChangesNothing(t *testing.T) {
	redistest.Each(t, func(t *testing.T, b redistest.Backend) {
		ctx := context.Background()
		clock := newTestClock()
		st := newStore(t, b, clock)
		putDepot(t, st, "d", yantaiLat, yantaiLng, map[mobilize.Item]int{mobilize.ItemWheelchair: 3, mobilize.ItemVehicle: 1})
		itemNeed(t, st, clock, "n1", yantaiLat, yantaiLng, kit)
		ok := mobilize.Depot{ID: "d", Name: "D", OrgID: "org", Point: mustPoint(t, yantaiLat, yantaiLng)}
		before := snapshot(t, b.Client)
		tests := []struct {
			name string
			call func() error
			want error
		}{
			{"negative stock", func() error {
				_, err := st.PutDepot(ctx, ok, map[mobilize.Item]int{mobilize.ItemWheelchair: -1})
				return err
			}, mobilize.ErrInvalid},
			{"unknown item in stock", func() error {
				_, err := st.PutDepot(ctx, ok, map[mobilize.Item]int{"bicycle": 4})
				return err
			}, mobilize.ErrInvalid},
			{"stock too large", func() error {
				_, err := st.PutDepot(ctx, ok, map[mobilize.Item]int{mobilize.ItemVehicle: mobilize.MaxStockCount + 1})
				return err
			}, mobilize.ErrInvalid},
			{"bad depot id", func() error {
				d := ok
				d.ID = "a{b}"
				_, err := st.PutDepot(ctx, d, nil)
				return err
			}, mobilize.ErrInvalid},
			{"no organisation", func() error {
				d := ok
				d.OrgID = ""
				_, err := st.PutDepot(ctx, d, nil)
				return err
			}, mobilize.ErrInvalid},
			{"adjust below zero", func() error {
				_, err := st.AdjustStock(ctx, "d", map[mobilize.Item]int{mobilize.ItemWheelchair: 5, mobilize.ItemVehicle: -2})
				return err
			}, mobilize.ErrConflict},
			{"adjust unknown depot", func() error {
				_, err := st.AdjustStock(ctx, "ghost", map[mobilize.Item]int{mobilize.ItemWheelchair: 1})
				return err
			}, mobilize.ErrNotFound},
			{"adjust unknown item", func() error {
				_, err := st.AdjustStock(ctx, "d", map[mobilize.Item]int{"bicycle": 1})
				return err
			}, mobilize.ErrInvalid},
			{"adjust past the limit", func() error {
				_, err := st.AdjustStock(ctx, "d", map[mobilize.Item]int{mobilize.ItemWheelchair: mobilize.MaxStockCount})
				return err
			}, mobilize.ErrInvalid},
			{"reserve a negative count", func() error {
				_, err := st.ReserveItems(ctx, "n1", []mobilize.ItemCount{{Item: mobilize.ItemWheelchair, Count: -1}}, []string{"d"})
				return err
			}, mobilize.ErrInvalid},
			{"reserve an unknown item", func() error {
				_, err := st.ReserveItems(ctx, "n1", []mobilize.ItemCount{{Item: "bicycle", Count: 1}}, []string{"d"})
				return err
			}, mobilize.ErrInvalid},
			{"need with a negative count", func() error {
				_, err := st.CreateNeed(ctx, mobilize.Need{ID: "n2", Urgency: 2, Category: "x", Point: mustPoint(t, yantaiLat, yantaiLng),
					Items: []mobilize.ItemCount{{Item: mobilize.ItemMedicineKit, Count: -3}}, Team: []mobilize.TeamSlot{{Role: mobilize.RoleVolunteer, Count: 1}}})
				return err
			}, mobilize.ErrInvalid},
			{"need with an item twice", func() error {
				_, err := st.CreateNeed(ctx, mobilize.Need{ID: "n2", Urgency: 2, Category: "x", Point: mustPoint(t, yantaiLat, yantaiLng),
					Items: append(kit, kit...), Team: []mobilize.TeamSlot{{Role: mobilize.RoleVolunteer, Count: 1}}})
				return err
			}, mobilize.ErrInvalid},
			{"unknown depot", func() error {
				_, err := st.Depot(ctx, "ghost")
				return err
			}, mobilize.ErrNotFound},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				if err := tt.call(); !errors.Is(err, tt.want) {
					t.Fatalf("error %v, want %v", err, tt.want)
				}
			})
		}
		after := snapshot(t, b.Client)
		if fmt.Sprint(before) != fmt.Sprint(after) {
			t.Fatalf("refused calls changed Redis:\nbefore %v\nafter  %v", before, after)
		}
		// Reserving from a depot that does not exist marks the need short
		// and takes nothing.
		sup, err := st.ReserveItems(ctx, "n1", kit, []string{"ghost"})
		if err != nil || sup.State != mobilize.SupplyShort {
			t.Fatalf("reserve from an unknown depot: %+v %v", sup, err)
		}
	})
}

// A team staffed while its items were short keeps waiting for them: once a
// depot is restocked the next tick reserves them for the staffed need, and
// completing it takes them off the shelf.
func TestStaffedNeedShortOfItemsGetsThemLater(t *testing.T) {
	redistest.Each(t, func(t *testing.T, b redistest.Backend) {
		ctx, clock, st, rec, svc := serviceCity(t, b)
		putDepot(t, st, "d", yantaiLat+0.001, yantaiLng, nil)
		enrollAt(t, st, clock, "v", mobilize.RoleVolunteer, 1, yantaiLat, yantaiLng+0.001)
		n := mustCreateNeed(t, svc, mobilize.Need{Urgency: 2, Category: "medicine_delivery", Point: mustPoint(t, yantaiLat, yantaiLng),
			Items: []mobilize.ItemCount{{Item: mobilize.ItemMedicineKit, Count: 1}},
			Team:  []mobilize.TeamSlot{{Role: mobilize.RoleVolunteer, Count: 1}}})
		mustTick(t, svc)
		offers := rec.offers("v")
		if len(offers) != 1 {
			t.Fatalf("%d offers, want 1", len(offers))
		}
		if _, err := svc.Respond(ctx, "v", offers[0].Offer, true); err != nil {
			t.Fatal(err)
		}
		got, _ := st.Need(ctx, n.ID)
		if got.Status != mobilize.NeedStaffed || got.Supplies == nil || got.Supplies.State != mobilize.SupplyShort {
			t.Fatalf("need %s supplies %+v: want staffed and short", got.Status, got.Supplies)
		}
		if _, err := st.AdjustStock(ctx, "d", map[mobilize.Item]int{mobilize.ItemMedicineKit: 2}); err != nil {
			t.Fatal(err)
		}
		mustTick(t, svc)
		got, _ = st.Need(ctx, n.ID)
		if got.Supplies.State != mobilize.SupplyReserved || got.Supplies.DepotID != "d" {
			t.Fatalf("staffed need after restocking: %+v, want reserved at d", got.Supplies)
		}
		if got := eventsOf[mobilize.NeedSupplied](rec); len(got) != 1 {
			t.Fatalf("%d need.supplied events, want 1", len(got))
		}
		if free, held := shelf(t, st, "d", mobilize.ItemMedicineKit); free != 1 || held != 1 {
			t.Fatalf("after reserving: %d free %d held, want 1 and 1", free, held)
		}
		// Reserved now: later ticks leave it alone.
		mustTick(t, svc)
		if short, err := st.StaffedShort(ctx); err != nil || len(short) != 0 {
			t.Fatalf("staffed short needs after the reservation: %v %v", short, err)
		}
		if err := svc.Complete(ctx, n.ID, "v"); err != nil {
			t.Fatal(err)
		}
		if free, held := shelf(t, st, "d", mobilize.ItemMedicineKit); free != 1 || held != 0 {
			t.Fatalf("after completion: %d free %d held, want the kit used", free, held)
		}
	})
}

// hasPickup reports whether messages about n say where to collect its
// items.
func hasPickup(n mobilize.NeedState) bool {
	_, ok := n.Pickup()
	return ok
}
