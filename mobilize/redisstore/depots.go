package redisstore

import (
	"context"
	_ "embed"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/redis/go-redis/v9"

	"github.com/liandong/liandong/geo"
	"github.com/liandong/liandong/mobilize"
)

//go:embed lua/depot_put.lua
var depotPutBody string

//go:embed lua/depot_adjust.lua
var depotAdjustBody string

//go:embed lua/depot_reserve.lua
var depotReserveBody string

var (
	depotPutScript     = newScript("depot_put.lua", depotPutBody, suppliesLib)
	depotAdjustScript  = newScript("depot_adjust.lua", depotAdjustBody, suppliesLib)
	depotReserveScript = newScript("depot_reserve.lua", depotReserveBody, suppliesLib)
)

func (k keys) depots() string              { return k.base + "depots" }
func (k keys) suppliesShort() string       { return k.base + "supplies:short" }
func (k keys) depot(id string) string      { return k.base + "depot:" + id }
func (k keys) depotStock(id string) string { return k.base + "depot:" + id + ":stock" }
func (k keys) depotHeld(id string) string  { return k.base + "depot:" + id + ":held" }

// DepotStore keeps the depots, their stock and the items reserved for
// needs. Its keys, under the region's prefix and hash tag (redisstore.go):
//
//	{P}{R}:depots              SET   depot ids
//	{P}{R}:depot:<id>          HASH  name, org (owning organisation id), lat, lng, created, updated
//	{P}{R}:depot:<id>:stock    HASH  item -> count on the shelf, free to reserve (never below 0)
//	{P}{R}:depot:<id>:held     HASH  item -> count reserved for needs not yet completed
//	{P}{R}:supplies:short      SET   needs (open or staffed) whose items no depot had yet: tried again each tick
//
// A need that asks for items (data.items) holds its reservation in its own
// hash: sup_state (reserved, short, released, consumed), sup_depot,
// sup_lat, sup_lng, sup_items ("item:count,..."), sup_short (the reason).
// Reserving (depot_reserve.lua) moves counts from a depot's stock to its
// held hash and writes the need's fields in one script; it belongs here,
// since it guards the stock: never below zero, never promised twice.
// Cancelling or going unstaffed moves the counts back, completing drops
// them from held (consumed); that happens in the need's own scripts
// (close.lua, complete.lua, through supplies_lib), with the change of the
// need that causes it.
type DepotStore struct {
	region
}

// NewDepotStore returns the depots of one region over rdb (opts as for
// NewStore; Resolution is not used). It does not touch Redis.
func NewDepotStore(rdb redis.UniversalClient, opts IndexOptions) *DepotStore {
	return &DepotStore{region: newRegion(rdb, opts)}
}

// validStock checks counts to put on a shelf.
func validStock(stock map[mobilize.Item]int) error {
	var problems []string
	for it, n := range stock {
		if _, err := mobilize.ParseItem(string(it)); err != nil {
			problems = append(problems, err.Error())
		}
		if n < 0 || n > mobilize.MaxStockCount {
			problems = append(problems, fmt.Sprintf("%s: count must be 0..%d", it, mobilize.MaxStockCount))
		}
	}
	if len(problems) > 0 {
		slices.Sort(problems)
		return fmt.Errorf("stock: %s: %w", strings.Join(problems, "; "), mobilize.ErrInvalid)
	}
	return nil
}

// PutDepot creates or updates a depot; stock, when not nil, sets the
// counts on the shelf of the items it lists (reservations already held are
// kept apart and not touched). It reports whether the depot is new.
func (s *DepotStore) PutDepot(ctx context.Context, d mobilize.Depot, stock map[mobilize.Item]int) (bool, error) {
	if err := d.Validate(); err != nil {
		return false, err
	}
	if err := geo.ValidPoint(d.Point); err != nil {
		return false, fmt.Errorf("depot: %w: %w", err, mobilize.ErrInvalid)
	}
	if err := validStock(stock); err != nil {
		return false, err
	}
	args := s.argv(d.ID, d.Name, d.OrgID, ftoa(geo.Lat(d.Point)), ftoa(geo.Lng(d.Point)))
	for _, it := range mobilize.Items {
		if n, ok := stock[it]; ok {
			args = append(args, string(it), n)
		}
	}
	n, err := depotPutScript.Run(ctx, s.rdb, s.scriptKeys, args...).Int()
	if err != nil {
		return false, fmt.Errorf("put depot %s: %w", d.ID, err)
	}
	return n == 1, nil
}

// AdjustStock adds the deltas (negative: taken out) to a depot's shelf,
// all or nothing: a line that would go below zero changes nothing.
func (s *DepotStore) AdjustStock(ctx context.Context, id string, deltas map[mobilize.Item]int) (mobilize.Depot, error) {
	if err := mobilize.ValidDepotID(id); err != nil {
		return mobilize.Depot{}, err
	}
	if len(deltas) == 0 {
		return mobilize.Depot{}, fmt.Errorf("adjust stock: no items given: %w", mobilize.ErrInvalid)
	}
	args := s.argv(id, mobilize.MaxStockCount)
	for it, n := range deltas {
		if _, err := mobilize.ParseItem(string(it)); err != nil {
			return mobilize.Depot{}, err
		}
		if n < -mobilize.MaxStockCount || n > mobilize.MaxStockCount {
			return mobilize.Depot{}, fmt.Errorf("adjust stock: %s: change must be within ±%d: %w", it, mobilize.MaxStockCount, mobilize.ErrInvalid)
		}
		args = append(args, string(it), n)
	}
	out, err := depotAdjustScript.Run(ctx, s.rdb, s.scriptKeys, args...).StringSlice()
	if err != nil {
		return mobilize.Depot{}, fmt.Errorf("adjust stock of %s: %w", id, err)
	}
	switch out[0] {
	case "ok":
		return s.Depot(ctx, id)
	case "unknown_depot":
		return mobilize.Depot{}, fmt.Errorf("depot %s: %w", id, mobilize.ErrNotFound)
	case "negative":
		return mobilize.Depot{}, fmt.Errorf("depot %s has %s %s on the shelf; stock cannot go below zero: %w", id, out[2], out[1], mobilize.ErrConflict)
	default:
		return mobilize.Depot{}, fmt.Errorf("depot %s has %s %s; at most %d: %w", id, out[2], out[1], mobilize.MaxStockCount, mobilize.ErrInvalid)
	}
}

// Depot returns one depot with its stock.
func (s *DepotStore) Depot(ctx context.Context, id string) (mobilize.Depot, error) {
	if err := mobilize.ValidDepotID(id); err != nil {
		return mobilize.Depot{}, fmt.Errorf("depot %s: %w", id, mobilize.ErrNotFound)
	}
	ds, err := s.depotsByID(ctx, []string{id})
	if err != nil {
		return mobilize.Depot{}, err
	}
	if len(ds) == 0 {
		return mobilize.Depot{}, fmt.Errorf("depot %s: %w", id, mobilize.ErrNotFound)
	}
	return ds[0], nil
}

// Depots returns every depot with its stock, by id.
func (s *DepotStore) Depots(ctx context.Context) ([]mobilize.Depot, error) {
	ids, err := s.rdb.SMembers(ctx, s.keys.depots()).Result()
	if err != nil {
		return nil, fmt.Errorf("depots: %w", err)
	}
	slices.Sort(ids)
	return s.depotsByID(ctx, ids)
}

func (s *DepotStore) depotsByID(ctx context.Context, ids []string) ([]mobilize.Depot, error) {
	if len(ids) == 0 {
		return []mobilize.Depot{}, nil
	}
	pipe := s.rdb.Pipeline()
	type cmds struct{ h, stock, held *redis.MapStringStringCmd }
	cs := make([]cmds, len(ids))
	for i, id := range ids {
		cs[i] = cmds{pipe.HGetAll(ctx, s.keys.depot(id)), pipe.HGetAll(ctx, s.keys.depotStock(id)), pipe.HGetAll(ctx, s.keys.depotHeld(id))}
	}
	if _, err := pipe.Exec(ctx); err != nil && !errors.Is(err, redis.Nil) {
		return nil, fmt.Errorf("depots: %w", err)
	}
	out := make([]mobilize.Depot, 0, len(ids))
	for i, id := range ids {
		h := cs[i].h.Val()
		if len(h) == 0 {
			continue
		}
		lat, _ := strconv.ParseFloat(h["lat"], 64)
		lng, _ := strconv.ParseFloat(h["lng"], 64)
		p, err := geo.NewPoint(lat, lng)
		if err != nil {
			return nil, fmt.Errorf("depot %s: corrupt position: %w", id, err)
		}
		out = append(out, mobilize.Depot{
			ID: id, Name: h["name"], OrgID: h["org"], Point: p,
			Stock: itemCounts(cs[i].stock.Val()), Reserved: itemCounts(cs[i].held.Val()),
			CreatedAt: msTime(h["created"]), UpdatedAt: msTime(h["updated"]),
		})
	}
	return out, nil
}

// itemCounts reads an item hash; every listed item is present (0 if none).
func itemCounts(h map[string]string) map[mobilize.Item]int {
	out := make(map[mobilize.Item]int, len(mobilize.Items))
	for _, it := range mobilize.Items {
		out[it], _ = strconv.Atoi(h[string(it)])
	}
	return out
}

// encodeItems is the "item:count,..." form the scripts read.
func encodeItems(items []mobilize.ItemCount) string {
	parts := make([]string, len(items))
	for i, it := range items {
		parts[i] = string(it.Item) + ":" + strconv.Itoa(it.Count)
	}
	return strings.Join(parts, ",")
}

// ReserveItems reserves a need's items from the first of depotIDs (nearest
// first) that has all of them, atomically. When none has, the need is
// marked short (no_depot_stock) and may be tried again. A need that holds
// a reservation already keeps it.
func (s *DepotStore) ReserveItems(ctx context.Context, id mobilize.NeedID, items []mobilize.ItemCount, depotIDs []string) (mobilize.Supplies, error) {
	if problems := mobilize.ValidateItems(items); len(problems) > 0 || len(items) == 0 {
		return mobilize.Supplies{}, fmt.Errorf("reserve items for %s: %s: %w", id, strings.Join(problems, "; "), mobilize.ErrInvalid)
	}
	args := s.argv(string(id), encodeItems(items))
	for _, d := range depotIDs {
		args = append(args, d)
	}
	out, err := depotReserveScript.Run(ctx, s.rdb, s.scriptKeys, args...).StringSlice()
	if err != nil {
		return mobilize.Supplies{}, fmt.Errorf("reserve items for %s: %w", id, err)
	}
	switch out[0] {
	case "need_closed":
		return mobilize.Supplies{}, fmt.Errorf("reserve items for %s: the need is closed: %w", id, mobilize.ErrInvalidTransition)
	case "short":
		return mobilize.Supplies{State: mobilize.SupplyShort, Reason: mobilize.ReasonNoDepotStock}, nil
	}
	return supplies(out[0], out[1], out[2], out[3], ""), nil
}

// StaffedShort returns the staffed needs still waiting for their items:
// their teams are on the way, and the matcher keeps trying to reserve the
// items (open needs come with the active ones already).
func (s *DepotStore) StaffedShort(ctx context.Context) ([]mobilize.NeedState, error) {
	ids, err := s.rdb.SMembers(ctx, s.keys.suppliesShort()).Result()
	if err != nil || len(ids) == 0 {
		return nil, err
	}
	slices.Sort(ids)
	pipe := s.rdb.Pipeline()
	cmds := make([]*redis.MapStringStringCmd, len(ids))
	for i, id := range ids {
		cmds[i] = pipe.HGetAll(ctx, s.keys.need(id))
	}
	if _, err := pipe.Exec(ctx); err != nil && !errors.Is(err, redis.Nil) {
		return nil, fmt.Errorf("staffed short needs: %w", err)
	}
	var out []mobilize.NeedState
	for _, c := range cmds {
		h := c.Val()
		if h["status"] != string(mobilize.NeedStaffed) {
			continue
		}
		n, err := decodeNeed(h, nil)
		if err != nil {
			return nil, err
		}
		out = append(out, n)
	}
	return out, nil
}

// supplies builds a reservation from its stored fields.
func supplies(state, depot, lat, lng, short string) mobilize.Supplies {
	sup := mobilize.Supplies{State: mobilize.SupplyState(state), DepotID: depot, Reason: mobilize.Reason(short)}
	la, err1 := strconv.ParseFloat(lat, 64)
	ln, err2 := strconv.ParseFloat(lng, 64)
	if err1 == nil && err2 == nil {
		if p, err := geo.NewPoint(la, ln); err == nil {
			sup.DepotPoint = p
		}
	}
	return sup
}

// decodeSupplies reads a need's reservation fields, if any.
func decodeSupplies(h map[string]string) *mobilize.Supplies {
	if h["sup_state"] == "" {
		return nil
	}
	sup := supplies(h["sup_state"], h["sup_depot"], h["sup_lat"], h["sup_lng"], h["sup_short"])
	return &sup
}

func ftoa(f float64) string { return strconv.FormatFloat(f, 'f', -1, 64) }
