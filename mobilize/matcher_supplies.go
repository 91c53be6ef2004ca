package mobilize

import (
	"context"
	"errors"
	"math"
	"slices"
	"time"

	"github.com/liandong/liandong/geo"
)

// SupplyStore is what the matcher needs to reserve a need's items; a
// matcher built without one leaves items alone.
type SupplyStore interface {
	Depots(ctx context.Context) ([]Depot, error)
	ReserveItems(ctx context.Context, id NeedID, items []ItemCount, depotIDs []string) (Supplies, error)
	// StaffedShort lists staffed needs still short of their items.
	StaffedShort(ctx context.Context) ([]NeedState, error)
}

// maxDepotsTried bounds the depots one reservation looks at, nearest first.
const maxDepotsTried = 32

// reserveSupplies reserves the items of every active (or staffed but
// still short) need that asks for some and holds none yet, from the nearest depot whose shelf (as read
// now) has them all; the store re-checks and takes in one atomic step, so
// a stale read costs at most a retry on the next tick. A need left short
// keeps its people: matching goes on and the reason shows on the need.
func (m *Matcher) reserveSupplies(ctx context.Context, needs []NeedState, now time.Time) error {
	ss := m.supplies
	if ss == nil {
		return nil
	}
	var want []*NeedState
	for i := range needs {
		n := &needs[i]
		if len(n.Items) == 0 || (n.Supplies != nil && n.Supplies.State != SupplyShort) {
			continue
		}
		if !n.Deadline.IsZero() && !now.Before(n.Deadline) {
			continue // about to close
		}
		want = append(want, n)
	}
	// A team staffed while its items were short is on its way without
	// them: keep trying for those too.
	staffed, err := ss.StaffedShort(ctx)
	if err != nil {
		return err
	}
	for i := range staffed {
		want = append(want, &staffed[i])
	}
	if len(want) == 0 {
		return nil
	}
	depots, err := ss.Depots(ctx)
	if err != nil {
		return err
	}
	for _, n := range want {
		ids := depotsWithStock(depots, n)
		if len(ids) == 0 && n.Supplies != nil {
			continue // short already, and still no shelf has them: nothing to write
		}
		sup, err := ss.ReserveItems(ctx, n.ID, n.Items, ids)
		if errors.Is(err, ErrInvalidTransition) {
			continue // closed since it was read
		}
		if err != nil {
			return err
		}
		if sup.State == SupplyReserved {
			takeStock(depots, sup.DepotID, n.Items) // later needs this tick see what is left
			m.sink.Emit(ctx, NeedSupplied{Need: *n, Supplies: sup, At: now})
		}
		n.Supplies = &sup
	}
	return nil
}

// depotsWithStock lists the depots whose shelf has every item of n,
// nearest to the need first.
func depotsWithStock(depots []Depot, n *NeedState) []string {
	type near struct {
		id string
		d  float64
	}
	var cands []near
	for _, d := range depots {
		enough := true
		for _, it := range n.Items {
			if d.Stock[it.Item] < it.Count {
				enough = false
				break
			}
		}
		if enough {
			cands = append(cands, near{d.ID, geo.DistanceMeters(d.Point, n.Point)})
		}
	}
	slices.SortFunc(cands, func(a, b near) int {
		if a.d != b.d {
			if a.d < b.d {
				return -1
			}
			return 1
		}
		if a.id < b.id {
			return -1
		}
		return 1
	})
	ids := make([]string, 0, min(len(cands), maxDepotsTried))
	for _, c := range cands[:min(len(cands), maxDepotsTried)] {
		ids = append(ids, c.id)
	}
	return ids
}

func takeStock(depots []Depot, id string, items []ItemCount) {
	for i := range depots {
		if depots[i].ID == id {
			for _, it := range items {
				depots[i].Stock[it.Item] -= it.Count
			}
		}
	}
}

// routeMillis is the matcher's cost of sending c to need n: the travel
// time straight there, or, when the need's items wait at a depot, via the
// depot (responder -> depot -> need).
func (m *Matcher) routeMillis(n *NeedState, c Candidate) int64 {
	if n.Supplies == nil || n.Supplies.State != SupplyReserved {
		return m.costMillis(c)
	}
	meters := geo.DistanceMeters(c.Point, n.Supplies.DepotPoint) + geo.DistanceMeters(n.Supplies.DepotPoint, n.Point)
	d, err := m.cfg.Speeds.TravelTime(meters, m.cfg.Mode)
	if err != nil {
		return math.MaxInt32
	}
	return d.Milliseconds()
}
