package web

import (
	"context"
	"fmt"
	"net/http"
	"slices"

	"github.com/liandong/liandong/geo"
	"github.com/liandong/liandong/mobilize"
)

// depotGroup serves the depots of charity resources and their stock.
type depotGroup struct {
	app   depotApp
	audit *auditor
}

// depotApp is what the depot group needs of the application.
type depotApp interface {
	Depot(ctx context.Context, id string) (mobilize.Depot, error)
	Depots(ctx context.Context) ([]mobilize.Depot, error)
	PutDepot(ctx context.Context, d mobilize.Depot, stock map[mobilize.Item]int) (created bool, err error)
	AdjustStock(ctx context.Context, id string, deltas map[mobilize.Item]int) (mobilize.Depot, error)
}

// depotRequest is the body of PUT /api/v1/depots/{id}.
type depotRequest struct {
	Name  string         `json:"name" api:"required" doc:"1..200 bytes"`
	OrgID string         `json:"org_id" doc:"the owning organisation; a coordinator's own is always used, others must give one"`
	Lat   *float64       `json:"lat" api:"required" doc:"-90..90"`
	Lng   *float64       `json:"lng" api:"required" doc:"-180..180"`
	Stock map[string]int `json:"stock" doc:"counts on the shelf to set, per item (food_parcel, medicine_kit, oxygen_concentrator, wheelchair, vehicle), 0..1,000,000; items not listed keep theirs, reservations are not touched"`
}

// stockRequest is the body of POST /api/v1/depots/{id}/stock.
type stockRequest struct {
	Add map[string]int `json:"add" api:"required" doc:"per item, how many arrived (positive) or left the shelf (negative); refused as a whole if any shelf would go below zero"`
}

// depotJSON is a depot as the API shows it.
type depotJSON struct {
	ID        string         `json:"id"`
	Name      string         `json:"name"`
	OrgID     string         `json:"org_id"`
	Lat       float64        `json:"lat"`
	Lng       float64        `json:"lng"`
	Stock     map[string]int `json:"stock" doc:"on the shelf, free to reserve, per item"`
	Reserved  map[string]int `json:"reserved" doc:"held for needs not yet completed, per item"`
	CreatedAt string         `json:"created_at"`
	UpdatedAt string         `json:"updated_at"`
}

type depotList struct {
	Depots []depotJSON `json:"depots"`
	Items  []string    `json:"items" doc:"every item a depot may stock"`
}

func toDepotJSON(d mobilize.Depot) depotJSON {
	out := depotJSON{ID: d.ID, Name: d.Name, OrgID: d.OrgID, Lat: geo.Lat(d.Point), Lng: geo.Lng(d.Point),
		Stock: map[string]int{}, Reserved: map[string]int{}, CreatedAt: rfc3339(d.CreatedAt), UpdatedAt: rfc3339(d.UpdatedAt)}
	for _, it := range mobilize.Items {
		out.Stock[string(it)], out.Reserved[string(it)] = d.Stock[it], d.Reserved[it]
	}
	return out
}

func itemNames() []string {
	out := make([]string, len(mobilize.Items))
	for i, it := range mobilize.Items {
		out[i] = string(it)
	}
	return out
}

// stockLines checks a per-item map of a request: known items, counts in
// lo..hi.
func (p *problems) stockLines(field string, m map[string]int, lo, hi int) map[mobilize.Item]int {
	out := make(map[mobilize.Item]int, len(m))
	names := make([]string, 0, len(m))
	for k := range m {
		names = append(names, k)
	}
	slices.Sort(names)
	for _, k := range names {
		it, err := mobilize.ParseItem(k)
		if err != nil {
			p.addf("%s: %q is not one of food_parcel, medicine_kit, oxygen_concentrator, wheelchair, vehicle", field, k)
			continue
		}
		if m[k] < lo || m[k] > hi {
			p.addf("%s.%s must be %d..%d", field, k, lo, hi)
			continue
		}
		out[it] = m[k]
	}
	return out
}

// depotPathID reads the depot id of the path.
func depotPathID(c *call) (string, error) {
	id := c.r.PathValue("id")
	if !idPattern.MatchString(id) {
		return "", notFound("depot")
	}
	return id, nil
}

// handlePutDepot is PUT /api/v1/depots/{id}: create or update a depot. A
// coordinator manages only its own organisation's depots.
func (g *depotGroup) handlePutDepot(ctx context.Context, c *call) error {
	id, err := depotPathID(c)
	if err != nil {
		return err
	}
	var req depotRequest
	if err := decodeStrict(c.body, &req); err != nil {
		return err
	}
	var p problems
	p.text("name", req.Name, mobilize.MaxDepotNameLen, true, false)
	p.coordinates(req.Lat, req.Lng)
	if req.OrgID != "" {
		p.name("org_id", req.OrgID)
	}
	stock := p.stockLines("stock", req.Stock, 0, mobilize.MaxStockCount)
	if err := p.err(); err != nil {
		return err
	}
	if c.id.Role == RoleCoordinator {
		if req.OrgID != "" && req.OrgID != c.id.OrgID {
			return forbidden("a coordinator manages only its own organisation's depots")
		}
		req.OrgID = c.id.OrgID
	}
	if req.OrgID == "" {
		return invalid("org_id is required: the organisation that owns the depot")
	}
	if old, err := g.app.Depot(ctx, id); err == nil && c.id.Role == RoleCoordinator && old.OrgID != c.id.OrgID {
		return notFound("depot")
	}
	pt, err := geo.NewPoint(*req.Lat, *req.Lng)
	if err != nil {
		return invalid(err.Error())
	}
	if req.Stock == nil {
		stock = nil
	}
	created, err := g.app.PutDepot(ctx, mobilize.Depot{ID: id, Name: req.Name, OrgID: req.OrgID, Point: pt}, stock)
	if err != nil {
		return err
	}
	action := "depot.update"
	if created {
		action = "depot.create"
	}
	g.audit.record(ctx, c.id, action, id, len(stock))
	d, err := g.app.Depot(ctx, id)
	if err != nil {
		return err
	}
	c.json(http.StatusOK, toDepotJSON(d))
	return nil
}

// handleAdjustStock is POST /api/v1/depots/{id}/stock.
func (g *depotGroup) handleAdjustStock(ctx context.Context, c *call) error {
	id, err := depotPathID(c)
	if err != nil {
		return err
	}
	var req stockRequest
	if err := decodeStrict(c.body, &req); err != nil {
		return err
	}
	var p problems
	if len(req.Add) == 0 {
		p.addf("add must list at least one item")
	}
	deltas := p.stockLines("add", req.Add, -mobilize.MaxStockCount, mobilize.MaxStockCount)
	if err := p.err(); err != nil {
		return err
	}
	old, err := g.app.Depot(ctx, id)
	if err != nil {
		return err
	}
	if c.id.Role == RoleCoordinator && old.OrgID != c.id.OrgID {
		return notFound("depot")
	}
	d, err := g.app.AdjustStock(ctx, id, deltas)
	if err != nil {
		return err
	}
	g.audit.record(ctx, c.id, "depot.stock", id, len(deltas))
	c.json(http.StatusOK, toDepotJSON(d))
	return nil
}

// handleListDepots is GET /api/v1/depots. Every staff role sees every
// depot: sharing resources across organisations is the point.
func (g *depotGroup) handleListDepots(ctx context.Context, c *call) error {
	ds, err := g.app.Depots(ctx)
	if err != nil {
		return fmt.Errorf("list depots: %w", err)
	}
	out := depotList{Depots: make([]depotJSON, len(ds)), Items: itemNames()}
	for i, d := range ds {
		out.Depots[i] = toDepotJSON(d)
	}
	c.json(http.StatusOK, out)
	return nil
}

// handleGetDepot is GET /api/v1/depots/{id}.
func (g *depotGroup) handleGetDepot(ctx context.Context, c *call) error {
	id, err := depotPathID(c)
	if err != nil {
		return err
	}
	d, err := g.app.Depot(ctx, id)
	if err != nil {
		return err
	}
	c.json(http.StatusOK, toDepotJSON(d))
	return nil
}

// itemRequest is one line of a need's items.
type itemRequest struct {
	Item  string `json:"item" api:"required" doc:"food_parcel, medicine_kit, oxygen_concentrator, wheelchair or vehicle"`
	Count *int   `json:"count" api:"required" doc:"1..100"`
}

// parseItems checks the items of POST /api/v1/needs.
func (p *problems) items(req []itemRequest) []mobilize.ItemCount {
	if len(req) > len(mobilize.Items) {
		p.addf("items has more than %d lines", len(mobilize.Items))
		return nil
	}
	var out []mobilize.ItemCount
	seen := map[string]bool{}
	for i, r := range req {
		if _, err := mobilize.ParseItem(r.Item); err != nil {
			p.addf("items[%d].item must be one of food_parcel, medicine_kit, oxygen_concentrator, wheelchair, vehicle", i)
		}
		if seen[r.Item] {
			p.addf("items[%d].item %q is listed twice", i, r.Item)
		}
		seen[r.Item] = true
		if r.Count == nil || *r.Count < 1 || *r.Count > mobilize.MaxItemsPerLine {
			p.addf("items[%d].count must be 1..%d", i, mobilize.MaxItemsPerLine)
			continue
		}
		out = append(out, mobilize.ItemCount{Item: mobilize.Item(r.Item), Count: *r.Count})
	}
	return out
}

type itemJSON struct {
	Item  mobilize.Item `json:"item"`
	Count int           `json:"count"`
}

// suppliesJSON is what became of a need's items.
type suppliesJSON struct {
	State    mobilize.SupplyState `json:"state" doc:"pending (not tried yet), reserved, short (tried again on every matcher tick while the need is open), released (cancelled or unstaffed) or consumed (completed)"`
	DepotID  string               `json:"depot_id,omitempty" doc:"where the team collects the items"`
	DepotLat *float64             `json:"depot_lat,omitempty"`
	DepotLng *float64             `json:"depot_lng,omitempty"`
	Reason   string               `json:"reason,omitempty" doc:"why short: no_depot_stock"`
	Message  string               `json:"message,omitempty"`
}

func toSuppliesJSON(n mobilize.NeedState) ([]itemJSON, *suppliesJSON) {
	if len(n.Items) == 0 {
		return nil, nil
	}
	items := make([]itemJSON, len(n.Items))
	for i, it := range n.Items {
		items[i] = itemJSON{it.Item, it.Count}
	}
	if n.Supplies == nil {
		return items, &suppliesJSON{State: "pending", Message: "the matcher reserves the items on its next tick"}
	}
	s := &suppliesJSON{State: n.Supplies.State, DepotID: n.Supplies.DepotID, Reason: string(n.Supplies.Reason)}
	if n.Supplies.DepotID != "" {
		lat, lng := geo.Lat(n.Supplies.DepotPoint), geo.Lng(n.Supplies.DepotPoint)
		s.DepotLat, s.DepotLng = &lat, &lng
	}
	if n.Supplies.Reason == mobilize.ReasonNoDepotStock {
		s.Message = "no depot has every item in stock; the team is still being staffed and the items are reserved as soon as a depot has them"
	}
	return items, s
}
