// Package redisstore keeps Liandong's live state in Redis. Store, the
// value cmd hands to package mobilize, is the sum of five aggregates, each
// a type of its own with its files, Lua scripts and keys:
//
//	Index             the live H3 cell index: positions, status, cells, nearby,
//	                  supply, sweep (index.go, nearby.go, cellshape.go)
//	NeedStore         needs, offers, answers, expiry, the queries over needs, and
//	                  the roster whose load the offers change (needs.go, offers.go,
//	                  roster.go, query.go, fairload.go, escalation.go)
//	DepotStore        depots, their stock and item reservations (depots.go)
//	RecognitionStore  reliability, feedback, the hours ledger and escalation
//	                  counts (recognition.go, ledger.go)
//	LinkageStore      areas, organisations and their members (linkage.go)
//
// Each can be built on its own over the same options. Access (access.go)
// keeps the HTTP API's records beside them. A script that changes the keys
// of more than one aggregate belongs to the one whose invariant it guards;
// the aggregates' documentation says which. The Lua libraries the scripts
// share are in lua.go.
//
// # Key schema
//
// Every key starts with the configured prefix (default "ld:") and carries
// the region as a hash tag, so that each Lua script touches one Redis
// Cluster slot. A region is one city (or one shard of one); a deployment
// that grows past one Redis node runs one region per node. Each aggregate
// lists its keys in its type's documentation, {P}{R} standing for the
// prefix and the tagged region ("ld:{city}").
package redisstore

import (
	"fmt"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/liandong/liandong/geo"
	"github.com/liandong/liandong/mobilize"
)

// keys builds the key names of one region; each aggregate adds the names
// of its own keys beside its code.
type keys struct {
	base string // "ld:{city}:"
}

func newKeys(prefix, region string) keys {
	return keys{base: prefix + "{" + region + "}:"}
}

// IndexOptions configure the aggregates of one region; Resolution is the
// Index's alone.
type IndexOptions struct {
	Prefix     string        // key prefix, default "ld:"
	Region     string        // hash tag of every key, default "city"
	Resolution int           // H3 resolution of the cell hashes, default geo.DefaultResolution (9)
	StaleAfter time.Duration // default 10 min: older positions are never candidates
	Now        func() time.Time
	// WaitReplicasTimeout: on a Redis Cluster, an accept is answered only
	// once one replica has it or this long passed (replicawait.go); 0 off.
	WaitReplicasTimeout time.Duration
}

// DefaultIndexOptions are the store's settings when nothing is said.
func DefaultIndexOptions() IndexOptions {
	return IndexOptions{Prefix: "ld:", Region: "city", Resolution: geo.DefaultResolution, StaleAfter: 10 * time.Minute}
}

// region is what the aggregates of one region share: the client, the key
// names, and the clock and stale limit that head every script's arguments.
type region struct {
	rdb        redis.UniversalClient
	keys       keys
	now        func() time.Time
	staleAfter time.Duration
	// scriptKeys are the keys the region's scripts declare, the index's:
	// they fix the slot that every key built from the base shares.
	scriptKeys []string
	// waitReplicas bounds the WAIT for a replica after an accept
	// (replicawait.go); 0: no WAIT. waitShort counts those that timed out.
	waitReplicas time.Duration
	waitShort    *atomic.Int64
}

// newRegion fills in the defaults of opts (all but Resolution, which is
// the index's own).
func newRegion(rdb redis.UniversalClient, opts IndexOptions) region {
	def := DefaultIndexOptions()
	if opts.Prefix == "" {
		opts.Prefix = def.Prefix
	}
	if opts.Region == "" {
		opts.Region = def.Region
	}
	if opts.StaleAfter <= 0 {
		opts.StaleAfter = def.StaleAfter
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	k := newKeys(opts.Prefix, opts.Region)
	return region{
		rdb:        rdb,
		keys:       k,
		now:        opts.Now,
		staleAfter: opts.StaleAfter,
		scriptKeys: []string{k.pos(), k.supply(7), k.supply(5)},

		waitReplicas: replicaWait(rdb, opts.WaitReplicasTimeout),
		waitShort:    new(atomic.Int64),
	}
}

// argv is the common head of the arguments of every script but the
// index's own (mobilize_lib.lua, supplies_lib.lua): ARGV[1] the cell key
// prefix, [2] the key base, [3] now and [4] the stale cutoff, both Unix ms.
func (r region) argv(extra ...any) []any {
	now := r.now()
	head := []any{r.keys.cellPrefix(), r.keys.base, now.UnixMilli(), now.Add(-r.staleAfter).UnixMilli()}
	return append(head, extra...)
}

// queryChunk is how many keys one pipeline reads.
const queryChunk = 1000

// idForbidden marks the bytes that would break the record format or the
// key names. A table, because every location report checks its id and
// strings.ContainsAny builds its set anew on each call.
var idForbidden = func() (t [256]bool) {
	for _, c := range []byte("|,@: {}\t\r\n") {
		t[c] = true
	}
	return t
}()

// validID keeps ids from breaking the record format or the key names.
func validID(id mobilize.ResponderID) error {
	ok := id != "" && len(id) <= 64
	for i := 0; ok && i < len(id); i++ {
		ok = !idForbidden[id[i]]
	}
	if !ok {
		return fmt.Errorf("responder id %q: 1..64 characters without | , @ : braces or spaces: %w", id, mobilize.ErrInvalid)
	}
	return nil
}

// scriptErr turns the scripts' NOTFOUND reply into the domain error.
func scriptErr(op string, id mobilize.ResponderID, err error) error {
	if err == nil {
		return nil
	}
	if strings.HasPrefix(err.Error(), "NOTFOUND") {
		return fmt.Errorf("%s %s: %w", op, id, mobilize.ErrNotFound)
	}
	return fmt.Errorf("%s %s: %w", op, id, err)
}

// msTime reads a stored Unix-ms time; empty or damaged is the zero time.
func msTime(s string) time.Time {
	ms, err := strconv.ParseInt(s, 10, 64)
	if err != nil || s == "" {
		return time.Time{}
	}
	return time.UnixMilli(ms).UTC()
}
