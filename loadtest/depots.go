package loadtest

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"regexp"

	"github.com/paulmach/orb/planar"
)

// DepotSpec is a depot of charity resources the drill sets up before the
// first need (PUT /api/v1/depots/{id}).
type DepotSpec struct {
	ID    string         `yaml:"id" json:"-"`
	Name  string         `yaml:"name" json:"name"`
	Org   string         `yaml:"org" json:"org_id"`
	Lat   float64        `yaml:"lat" json:"lat"`
	Lng   float64        `yaml:"lng" json:"lng"`
	Stock map[string]int `yaml:"stock" json:"stock"`
}

// ItemLine is an item a kind of need asks for.
type ItemLine struct {
	Item  string `yaml:"item" json:"item"`
	Count int    `yaml:"count" json:"count"`
}

// knownItems are the items the server stocks (mobilize.Items); the drill
// talks to the server only over HTTP, so it keeps its own copy.
var knownItems = map[string]bool{"food_parcel": true, "medicine_kit": true, "oxygen_concentrator": true, "wheelchair": true, "vehicle": true}

var depotID = regexp.MustCompile(`^[A-Za-z0-9_.-]{1,64}$`)

// validateDepots checks the depots and the items of the need mix.
func (sc *Scenario) validateDepots(bad func(string, ...any)) {
	seen := map[string]bool{}
	for i, d := range sc.Depots {
		if !depotID.MatchString(d.ID) || seen[d.ID] {
			bad("depots[%d]: id must be 1..64 of A-Z a-z 0-9 _ . - and unique", i)
		}
		seen[d.ID] = true
		if d.Name == "" || d.Org == "" {
			bad("depots[%d] %s: name and org are required", i, d.ID)
		}
		if !planar.PolygonContains(sc.RegionPolygon(), LatLng{d.Lat, d.Lng}.Point()) {
			bad("depots[%d] %s: lies outside the region", i, d.ID)
		}
		for item, n := range d.Stock {
			if !knownItems[item] || n < 0 {
				bad("depots[%d] %s: stock %s: %d is not a known item with a count >= 0", i, d.ID, item, n)
			}
		}
	}
	for i, m := range sc.Needs.Mix {
		lines := map[string]bool{}
		for j, it := range m.Items {
			if !knownItems[it.Item] || it.Count < 1 || it.Count > 100 || lines[it.Item] {
				bad("needs.mix[%d].items[%d]: %q x %d must be a known item, listed once, 1..100", i, j, it.Item, it.Count)
			}
			lines[it.Item] = true
		}
		if len(m.Items) > 0 && len(sc.Depots) == 0 {
			bad("needs.mix[%d] %s asks for items but the scenario has no depots", i, m.Category)
		}
	}
}

// PutDepot creates or updates a depot with its stock.
func (c *Client) PutDepot(ctx context.Context, d DepotSpec) error {
	return c.do(ctx, http.MethodPut, "/api/v1/depots/"+url.PathEscape(d.ID), nil, d, nil, http.StatusOK)
}

// putDepots sets up the scenario's depots before the first need.
func (d *drill) putDepots(ctx context.Context) error {
	for _, dep := range d.sc.Depots {
		if err := d.client.PutDepot(ctx, dep); err != nil {
			return fmt.Errorf("set up depot %s: %w", dep.ID, err)
		}
	}
	if len(d.sc.Depots) > 0 {
		d.logf("%d depots stocked", len(d.sc.Depots))
	}
	return nil
}

// serverSupplies is the supplies object of GET /api/v1/needs/{id}.
type serverSupplies struct {
	State   string `json:"state"`
	DepotID string `json:"depot_id"`
	Reason  string `json:"reason"`
}

// SupplyCounts is what became of the items of the drill's needs, by the
// server's final word on each need.
type SupplyCounts struct {
	Depots         int            `json:"depots"`
	NeedsWithItems int            `json:"needs_with_items"`
	ByState        map[string]int `json:"by_state"` // reserved, short, released, consumed, pending
	ByDepot        map[string]int `json:"by_depot"` // needs served from each depot (reserved or consumed)
}

// supplyCounts tallies the final supplies of every need that asked for
// items. The caller holds the ledger's lock.
func supplyCounts(l *Ledger, depots int) SupplyCounts {
	c := SupplyCounts{Depots: depots, ByState: map[string]int{}, ByDepot: map[string]int{}}
	for _, id := range l.order {
		n := l.needs[id]
		if len(n.Spec.Items) == 0 {
			continue
		}
		c.NeedsWithItems++
		if n.Server == nil || n.Server.Supplies == nil {
			c.ByState["unknown"]++
			continue
		}
		c.ByState[n.Server.Supplies.State]++
		if s := n.Server.Supplies.State; s == "reserved" || s == "consumed" {
			c.ByDepot[n.Server.Supplies.DepotID]++
		}
	}
	return c
}
