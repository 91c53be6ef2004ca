package redisstore

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"

	"github.com/paulmach/orb"
	"github.com/paulmach/orb/geojson"
	"github.com/redis/go-redis/v9"

	"github.com/liandong/liandong/geo"
	"github.com/liandong/liandong/mobilize"
)

// LinkageStore keeps the five-society linkage: the tree of areas, the
// community cover index, the organisations and their member sets. Areas
// and organisations change rarely and are read on every tick, so each
// process keeps a snapshot and reloads it when the region's linkage
// revision moves; every write bumps the revision in the same transaction.
//
// Its keys, under the region's prefix and hash tag (redisstore.go):
//
//	{P}{R}:areas               HASH  area id -> GeoJSON Feature (properties id, name, tier, parent):
//	                               the city / district / street / community tree
//	{P}{R}:areas:cover         HASH  res-7 cell -> comma-separated ids of the communities whose
//	                               polygons may hold a point in that cell (checked exactly after)
//	{P}{R}:orgs                HASH  organisation id -> JSON (name, kind, home area, partners)
//	{P}{R}:linkage:rev         STRING a random revision, new with every change of areas or
//	                               organisations, so that each process reloads its cached snapshot
//	{P}{R}:org:<org>:members   SET   responders whose profile names that org_id: kept by
//	                               enroll.lua (Enroll), the script that writes the profile
type LinkageStore struct {
	region
	cache linkageCache
}

// NewLinkageStore returns the linkage of one region over rdb (opts as for
// NewStore; Resolution is not used). It does not touch Redis.
func NewLinkageStore(rdb redis.UniversalClient, opts IndexOptions) *LinkageStore {
	return &LinkageStore{region: newRegion(rdb, opts)}
}

// coverResolution is the resolution of the cover index: a res-7 cell
// (about 5 km²) holds a few communities, whose polygons are then checked
// exactly.
const coverResolution = 7

func (k keys) areas() string     { return k.base + "areas" }
func (k keys) areaCover() string { return k.base + "areas:cover" }
func (k keys) orgs() string      { return k.base + "orgs" }
func (k keys) linkageRev() string {
	return k.base + "linkage:rev"
}
func (k keys) orgMembers(org string) string { return k.base + "org:" + org + ":members" }

// newRevision is a random revision: unlike a counter, it cannot come back
// to a value a process cached if the keys are wiped and written again.
func newRevision() string {
	var b [8]byte
	rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

// linkageCache is the process's snapshot of areas and organisations.
type linkageCache struct {
	mu   sync.Mutex
	rev  string
	snap *mobilize.Linkage
}

// storedArea is an area as kept in the areas hash: a GeoJSON feature.
func encodeArea(a mobilize.Area) ([]byte, error) {
	f := geojson.NewFeature(a.Geometry)
	f.Properties["id"], f.Properties["name"], f.Properties["tier"] = string(a.ID), a.Name, string(a.Tier)
	if a.Parent != "" {
		f.Properties["parent"] = string(a.Parent)
	}
	return json.Marshal(f)
}

func decodeArea(raw string) (mobilize.Area, error) {
	f, err := geojson.UnmarshalFeature([]byte(raw))
	if err != nil {
		return mobilize.Area{}, fmt.Errorf("corrupt area: %w", err)
	}
	return mobilize.Area{
		ID: mobilize.AreaID(f.Properties.MustString("id", "")), Name: f.Properties.MustString("name", ""),
		Tier: mobilize.Tier(f.Properties.MustString("tier", "")), Parent: mobilize.AreaID(f.Properties.MustString("parent", "")),
		Geometry: f.Geometry,
	}, nil
}

// Linkage returns the snapshot of areas and organisations, reloading it
// when another process (or this one) changed them.
func (s *LinkageStore) Linkage(ctx context.Context) (*mobilize.Linkage, error) {
	rev, err := s.rdb.Get(ctx, s.keys.linkageRev()).Result()
	if err != nil && !errors.Is(err, redis.Nil) {
		return nil, fmt.Errorf("linkage: %w", err)
	}
	c := &s.cache
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.snap != nil && c.rev == rev {
		return c.snap, nil
	}
	snap, err := s.loadLinkage(ctx)
	if err != nil {
		return nil, err
	}
	c.rev, c.snap = rev, snap
	return snap, nil
}

func (s *LinkageStore) loadLinkage(ctx context.Context) (*mobilize.Linkage, error) {
	areas, err := s.Areas(ctx)
	if err != nil {
		return nil, err
	}
	orgs, err := s.Organisations(ctx)
	if err != nil {
		return nil, err
	}
	link := &mobilize.Linkage{Areas: mobilize.NewAreaTree(areas), Orgs: make(map[string]mobilize.Organisation, len(orgs))}
	for _, o := range orgs {
		link.Orgs[o.ID] = o
	}
	return link, nil
}

// Areas returns every stored area, sorted by id.
func (s *LinkageStore) Areas(ctx context.Context) ([]mobilize.Area, error) {
	all, err := s.rdb.HGetAll(ctx, s.keys.areas()).Result()
	if err != nil {
		return nil, fmt.Errorf("areas: %w", err)
	}
	out := make([]mobilize.Area, 0, len(all))
	for id, raw := range all {
		a, err := decodeArea(raw)
		if err != nil {
			return nil, fmt.Errorf("area %s: %w", id, err)
		}
		out = append(out, a)
	}
	slices.SortFunc(out, func(x, y mobilize.Area) int { return strings.Compare(string(x.ID), string(y.ID)) })
	return out, nil
}

// PutAreas adds or replaces areas, all or nothing: the upload is checked
// against the stored tree (mobilize.CheckAreas), the community cover
// index is rebuilt from the resulting tree, and everything is written in
// one transaction that fails if the areas changed meanwhile.
func (s *LinkageStore) PutAreas(ctx context.Context, upload []mobilize.Area) error {
	txf := func(tx *redis.Tx) error {
		stored, err := s.Areas(ctx)
		if err != nil {
			return err
		}
		if err := mobilize.CheckAreas(stored, upload); err != nil {
			return err
		}
		tree := map[mobilize.AreaID]mobilize.Area{}
		for _, a := range stored {
			tree[a.ID] = a
		}
		fields := make([]any, 0, 2*len(upload))
		for _, a := range upload {
			tree[a.ID] = a
			raw, err := encodeArea(a)
			if err != nil {
				return fmt.Errorf("area %s: %w", a.ID, err)
			}
			fields = append(fields, string(a.ID), raw)
		}
		cover, err := communityCover(tree)
		if err != nil {
			return err
		}
		_, err = tx.TxPipelined(ctx, func(p redis.Pipeliner) error {
			p.HSet(ctx, s.keys.areas(), fields...)
			p.Del(ctx, s.keys.areaCover())
			if len(cover) > 0 {
				p.HSet(ctx, s.keys.areaCover(), cover...)
			}
			p.Set(ctx, s.keys.linkageRev(), newRevision(), 0)
			return nil
		})
		return err
	}
	return s.watched(ctx, "put areas", txf, s.keys.areas())
}

// watched runs an optimistic transaction, retrying a few times when a
// watched key changed underneath it.
func (s *LinkageStore) watched(ctx context.Context, op string, txf func(*redis.Tx) error, keys ...string) error {
	for range 5 {
		err := s.rdb.Watch(ctx, txf, keys...)
		if !errors.Is(err, redis.TxFailedErr) {
			if err != nil && !errors.Is(err, mobilize.ErrInvalid) && !errors.Is(err, mobilize.ErrNotFound) {
				return fmt.Errorf("%s: %w", op, err)
			}
			return err
		}
	}
	return fmt.Errorf("%s: changed concurrently, try again: %w", op, mobilize.ErrConflict)
}

// communityCover maps each res-7 cell to the communities whose polygons
// may hold a point in it, as HSET arguments.
func communityCover(tree map[mobilize.AreaID]mobilize.Area) ([]any, error) {
	byCell := map[geo.Cell][]string{}
	for _, a := range tree {
		if a.Tier != mobilize.TierCommunity {
			continue
		}
		cells, err := geo.CoverCells(a.Geometry, coverResolution)
		if err != nil {
			return nil, fmt.Errorf("area %s: %w: %w", a.ID, err, mobilize.ErrInvalid)
		}
		for _, c := range cells {
			byCell[c] = append(byCell[c], string(a.ID))
		}
	}
	out := make([]any, 0, 2*len(byCell))
	for c, ids := range byCell {
		slices.Sort(ids)
		out = append(out, c.String(), strings.Join(ids, ","))
	}
	return out, nil
}

// Community returns the community whose polygon holds p (its border
// included), or "" when none does. A point on the border two communities
// share goes to the one with the smaller id, so routing is repeatable.
func (s *LinkageStore) Community(ctx context.Context, p orb.Point) (mobilize.AreaID, error) {
	link, err := s.Linkage(ctx)
	if err != nil {
		return "", err
	}
	if link.Areas.Len() == 0 {
		return "", nil
	}
	cell, err := geo.CellAt(p, coverResolution)
	if err != nil {
		return "", fmt.Errorf("community of %v: %w: %w", p, err, mobilize.ErrInvalid)
	}
	ids, err := s.rdb.HGet(ctx, s.keys.areaCover(), cell.String()).Result()
	if errors.Is(err, redis.Nil) {
		return "", nil
	}
	if err != nil {
		return "", fmt.Errorf("community: %w", err)
	}
	for id := range strings.SplitSeq(ids, ",") {
		if a, ok := link.Areas.Area(mobilize.AreaID(id)); ok && a.Contains(p) {
			return a.ID, nil
		}
	}
	return "", nil
}

// Organisations returns every organisation, sorted by id.
func (s *LinkageStore) Organisations(ctx context.Context) ([]mobilize.Organisation, error) {
	all, err := s.rdb.HGetAll(ctx, s.keys.orgs()).Result()
	if err != nil {
		return nil, fmt.Errorf("organisations: %w", err)
	}
	out := make([]mobilize.Organisation, 0, len(all))
	for id, raw := range all {
		var o mobilize.Organisation
		if err := json.Unmarshal([]byte(raw), &o); err != nil {
			return nil, fmt.Errorf("organisation %s: corrupt record: %w", id, err)
		}
		out = append(out, o)
	}
	slices.SortFunc(out, func(x, y mobilize.Organisation) int { return strings.Compare(x.ID, y.ID) })
	return out, nil
}

// PutOrganisation adds or replaces an organisation after checking its
// home area and partners against what is stored.
func (s *LinkageStore) PutOrganisation(ctx context.Context, o mobilize.Organisation) (created bool, err error) {
	if o.Partners == nil {
		o.Partners = []string{}
	}
	txf := func(tx *redis.Tx) error {
		link, err := s.loadLinkage(ctx)
		if err != nil {
			return err
		}
		exists := func(id string) bool { _, ok := link.Orgs[id]; return ok }
		if err := mobilize.CheckOrganisation(o, link.Areas, exists); err != nil {
			return err
		}
		created = !exists(o.ID)
		raw, _ := json.Marshal(o)
		_, err = tx.TxPipelined(ctx, func(p redis.Pipeliner) error {
			p.HSet(ctx, s.keys.orgs(), o.ID, raw)
			p.Set(ctx, s.keys.linkageRev(), newRevision(), 0)
			return nil
		})
		return err
	}
	return created, s.watched(ctx, "put organisation", txf, s.keys.areas(), s.keys.orgs())
}

// Members returns the union of the organisations' members: the
// responders registered with those org_ids (enroll.lua keeps the sets).
func (s *LinkageStore) Members(ctx context.Context, orgs []string) (map[mobilize.ResponderID]bool, error) {
	out := map[mobilize.ResponderID]bool{}
	if len(orgs) == 0 {
		return out, nil
	}
	pipe := s.rdb.Pipeline()
	cmds := make([]*redis.StringSliceCmd, len(orgs))
	for i, o := range orgs {
		cmds[i] = pipe.SMembers(ctx, s.keys.orgMembers(o))
	}
	if _, err := pipe.Exec(ctx); err != nil {
		return nil, fmt.Errorf("members: %w", err)
	}
	for _, c := range cmds {
		for _, id := range c.Val() {
			out[mobilize.ResponderID(id)] = true
		}
	}
	return out, nil
}

// MemberCount is how many responders name org as their organisation.
func (s *LinkageStore) MemberCount(ctx context.Context, org string) (int64, error) {
	n, err := s.rdb.SCard(ctx, s.keys.orgMembers(org)).Result()
	if err != nil {
		return 0, fmt.Errorf("member count: %w", err)
	}
	return n, nil
}
