package web

import (
	"context"
	"net/http"
	"strings"
	"testing"

	"github.com/liandong/liandong/geo"
	"github.com/liandong/liandong/internal/redistest"
	"github.com/liandong/liandong/mobilize"
)

// depot stores a depot with ten medicine kits near the test point.
func (e *env) depot(id, org string) {
	e.t.Helper()
	pt, _ := geo.NewPoint(testLat+0.002, testLng)
	if _, err := e.store.PutDepot(context.Background(), mobilize.Depot{ID: id, Name: "Depot " + id, OrgID: org, Point: pt},
		map[mobilize.Item]int{mobilize.ItemMedicineKit: 10}); err != nil {
		e.t.Fatal(err)
	}
}

// TestDepotEndpoints: create, restock, list; a need with items shows its
// reservation; bad input is a 4xx that changes nothing.
func TestDepotEndpoints(t *testing.T) {
	e := newEmbeddedEnv(t)
	f := e.fixture()
	op, coord := f.tokens[cOperator], f.tokens[cCoord]

	r := e.do("PUT", "/api/v1/depots/laishan-1", coord, map[string]any{"name": "Laishan street depot", "lat": testLat, "lng": testLng + 0.003,
		"stock": map[string]int{"medicine_kit": 1, "oxygen_concentrator": 2}})
	var d depotJSON
	r.Decode(t, &d)
	if r.Status != 200 || d.OrgID != "org-a" || d.Stock["medicine_kit"] != 1 || d.Stock["oxygen_concentrator"] != 2 || d.Stock["vehicle"] != 0 {
		t.Fatalf("put depot: %d %s", r.Status, r.Body)
	}
	r = e.do("POST", "/api/v1/depots/laishan-1/stock", op, map[string]any{"add": map[string]int{"medicine_kit": 4, "oxygen_concentrator": -1}})
	r.Decode(t, &d)
	if r.Status != 200 || d.Stock["medicine_kit"] != 5 || d.Stock["oxygen_concentrator"] != 1 {
		t.Fatalf("adjust: %d %s", r.Status, r.Body)
	}
	// A retried adjustment with the same Idempotency-Key is applied once.
	for range 2 {
		r = e.do("POST", "/api/v1/depots/laishan-1/stock", op, map[string]any{"add": map[string]int{"wheelchair": 3}}, "Idempotency-Key", "restock-1")
		if r.Status != 200 {
			t.Fatalf("idempotent adjust: %d %s", r.Status, r.Body)
		}
	}
	if d, _ := e.store.Depot(context.Background(), "laishan-1"); d.Stock[mobilize.ItemWheelchair] != 3 {
		t.Fatalf("a retried adjustment was applied %d/3 times", d.Stock[mobilize.ItemWheelchair])
	}
	var list depotList
	r = e.do("GET", "/api/v1/depots", f.tokens[cCoordOther], nil)
	r.Decode(t, &list)
	if r.Status != 200 || len(list.Depots) != 2 || list.Depots[1].ID != "laishan-1" || len(list.Items) != 5 {
		t.Fatalf("list: %d %s", r.Status, r.Body)
	}

	// A need asking for two oxygen concentrators: none has two; it is
	// offered to people anyway and says why it is short.
	need := map[string]any{"lat": testLat, "lng": testLng, "category": "oxygen", "urgency": 2,
		"team":  []map[string]any{{"role": "volunteer", "count": 1}},
		"items": []map[string]any{{"item": "oxygen_concentrator", "count": 2}, {"item": "medicine_kit", "count": 1}}}
	r = e.do("POST", "/api/v1/needs", op, need)
	var n needJSON
	r.Decode(t, &n)
	if r.Status != 201 || len(n.Items) != 2 || n.Supplies == nil || n.Supplies.State != "pending" {
		t.Fatalf("create need with items: %d %s", r.Status, r.Body)
	}
	e.tick()
	r = e.do("GET", "/api/v1/needs/"+n.ID, op, nil)
	r.Decode(t, &n)
	if n.Supplies.State != mobilize.SupplyShort || n.Supplies.Reason != "no_depot_stock" || !strings.Contains(n.Supplies.Message, "no depot") {
		t.Fatalf("short need: %s", r.Body)
	}
	e.do("POST", "/api/v1/depots/laishan-1/stock", op, map[string]any{"add": map[string]int{"oxygen_concentrator": 1}})
	e.tick()
	r = e.do("GET", "/api/v1/needs/"+n.ID, op, nil)
	n = needJSON{}
	r.Decode(t, &n)
	if n.Supplies.State != mobilize.SupplyReserved || n.Supplies.DepotID != "laishan-1" || n.Supplies.DepotLat == nil || n.Supplies.Reason != "" {
		t.Fatalf("reserved need: %s", r.Body)
	}
	// A volunteer comes on duty nearby; an app without a websocket reads
	// the offer with its pickup.
	e.enroll("r-near", "org-a", mobilize.RoleVolunteer, 1, true)
	e.tick()
	var offers offerList
	e.do("GET", "/api/v1/responders/r-near/offers", op, nil).Want(t, 200).Decode(t, &offers)
	var pickup *pickupJSON
	if len(offers.Offers) == 1 && offers.Offers[0].NeedID == n.ID {
		pickup = offers.Offers[0].Pickup
	}
	if pickup == nil || pickup.DepotID != "laishan-1" || len(pickup.Items) != 2 || pickup.Lng != testLng+0.003 {
		t.Fatalf("pending offer's pickup: %+v", pickup)
	}
	r = e.do("GET", "/api/v1/depots/laishan-1", op, nil)
	r.Decode(t, &d)
	if d.Stock["oxygen_concentrator"] != 0 || d.Reserved["oxygen_concentrator"] != 2 || d.Reserved["medicine_kit"] != 1 {
		t.Fatalf("depot after reservation: %s", r.Body)
	}
	r = e.do("POST", "/api/v1/needs/"+n.ID+"/cancel", op, nil)
	n = needJSON{}
	r.Decode(t, &n)
	if r.Status != 200 || n.Supplies.State != mobilize.SupplyReleased {
		t.Fatalf("cancel: %d %s", r.Status, r.Body)
	}
	r = e.do("GET", "/api/v1/depots/laishan-1", op, nil)
	r.Decode(t, &d)
	if d.Stock["oxygen_concentrator"] != 2 || d.Reserved["oxygen_concentrator"] != 0 || d.Stock["medicine_kit"] != 5 {
		t.Fatalf("depot after cancel: %s", r.Body)
	}

	before := redistest.Snapshot(t, e.rdb)
	bad := []struct {
		name, method, path string
		token              string
		body               any
		status             int
	}{
		{"negative stock", "PUT", "/api/v1/depots/laishan-1", op, map[string]any{"name": "X", "org_id": "org-a", "lat": testLat, "lng": testLng, "stock": map[string]int{"wheelchair": -1}}, 400},
		{"unknown item", "PUT", "/api/v1/depots/laishan-1", op, map[string]any{"name": "X", "org_id": "org-a", "lat": testLat, "lng": testLng, "stock": map[string]int{"bicycle": 1}}, 400},
		{"no organisation", "PUT", "/api/v1/depots/new-one", op, map[string]any{"name": "X", "lat": testLat, "lng": testLng}, 400},
		{"latitude out of range", "PUT", "/api/v1/depots/new-one", op, map[string]any{"name": "X", "org_id": "o", "lat": 91, "lng": testLng}, 400},
		{"unknown field", "PUT", "/api/v1/depots/new-one", op, map[string]any{"name": "X", "org_id": "o", "lat": testLat, "lng": testLng, "colour": "red"}, 400},
		{"bad id", "PUT", "/api/v1/depots/a%7Bb%7D", op, map[string]any{"name": "X", "org_id": "o", "lat": testLat, "lng": testLng}, 404},
		{"another org's depot", "PUT", "/api/v1/depots/laishan-1", f.tokens[cCoordOther], map[string]any{"name": "Mine now", "lat": testLat, "lng": testLng}, 404},
		{"below zero", "POST", "/api/v1/depots/laishan-1/stock", op, map[string]any{"add": map[string]int{"medicine_kit": 1, "oxygen_concentrator": -3}}, 409},
		{"unknown depot", "POST", "/api/v1/depots/ghost/stock", op, map[string]any{"add": map[string]int{"medicine_kit": 1}}, 404},
		{"empty adjustment", "POST", "/api/v1/depots/laishan-1/stock", op, map[string]any{"add": map[string]int{}}, 400},
		{"adjust unknown item", "POST", "/api/v1/depots/laishan-1/stock", op, map[string]any{"add": map[string]int{"bicycle": 1}}, 400},
		{"need with a negative count", "POST", "/api/v1/needs", op, map[string]any{"lat": testLat, "lng": testLng, "category": "x", "urgency": 2,
			"team": []map[string]any{{"role": "volunteer", "count": 1}}, "items": []map[string]any{{"item": "medicine_kit", "count": -1}}}, 400},
		{"need with an unknown item", "POST", "/api/v1/needs", op, map[string]any{"lat": testLat, "lng": testLng, "category": "x", "urgency": 2,
			"team": []map[string]any{{"role": "volunteer", "count": 1}}, "items": []map[string]any{{"item": "bicycle", "count": 1}}}, 400},
		{"need with an item twice", "POST", "/api/v1/needs", op, map[string]any{"lat": testLat, "lng": testLng, "category": "x", "urgency": 2,
			"team": []map[string]any{{"role": "volunteer", "count": 1}}, "items": []map[string]any{{"item": "wheelchair", "count": 1}, {"item": "wheelchair", "count": 1}}}, 400},
		{"unknown depot read", "GET", "/api/v1/depots/ghost", op, nil, 404},
		{"a responder", "GET", "/api/v1/depots", f.tokens[cResponder], nil, 403},
	}
	for _, b := range bad {
		t.Run(b.name, func(t *testing.T) {
			r := e.do(b.method, b.path, b.token, b.body)
			if r.Status != b.status || !strings.Contains(string(r.Body), `"error"`) {
				t.Fatalf("%s %s: %d %s, want %d", b.method, b.path, r.Status, r.Body, b.status)
			}
		})
	}
	if after := redistest.Snapshot(t, e.rdb); after != before {
		t.Fatal("refused requests changed Redis")
	}
	if e.do("GET", "/api/v1/depots/dep-a", op, nil).Status != http.StatusOK {
		t.Fatal("fixture depot missing")
	}
}
