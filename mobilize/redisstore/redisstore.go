// Package redisstore keeps Liandong's live state in Redis: the H3 cell
// index of responders (who is available where) and, beside it, their
// status, so that moving a person between cells is atomic with it.
//
// # Key schema
//
// Every key starts with the configured prefix (default "ld:") and carries
// the region as a hash tag, so that each Lua script touches one Redis
// Cluster slot. A region is one city (or one shard of one); a deployment
// that grows past one Redis node runs one region per node.
//
//	{P}{R}:ix:pos            HASH  responder id -> "role|status|lat|lng|ts|cell|p7|p5|in|skills"
//	                               the last known position and status of every registered
//	                               responder: the source of truth for the index
//	{P}{R}:ix:c:<cell>:<role> HASH responder id -> "id|lat|lng|ts|skills"
//	                               the available responders of one role in one H3 cell at
//	                               the index resolution (default 9, ~174 m edge), with their
//	                               positions, so that a query reads ids and positions in one go
//	                               (the id is repeated in the value so that HVALS is enough)
//	{P}{R}:ix:supply:7       HASH  res-7 cell -> number of indexed available responders
//	{P}{R}:ix:supply:5       HASH  res-5 cell -> the same, coarser (supply heatmap)
//
//	{P}{R}:responders          HASH  responder id -> profile JSON (name, phone, org, skills, max)
//	{P}{R}:load                HASH  responder id -> "pending offer id|accepted|max concurrent|on duty"
//	                               from which the status is derived (only someone on duty with
//	                               no pending offer and room for another assignment is available)
//	{P}{R}:need:<id>           HASH  data (JSON), status, slots, filled, deadline, created,
//	                               staffed_at, lead, and per team entry i: c<i> count, r<i> role,
//	                               f<i> accepted, p<i> pending offers, short<i> shortfall reason
//	{P}{R}:need:<id>:asg       HASH  offer id -> "responder|team index|role|state|offered ms|
//	                               expires ms|answered ms|distance m|reason"
//	{P}{R}:need:<id>:asked     SET   everyone ever offered this need (never asked twice)
//	{P}{R}:needs:open          ZSET  active needs, scored by urgency then age
//	{P}{R}:offers              HASH  pending offer id -> need id
//	{P}{R}:offers:exp          ZSET  pending offer id -> expiry ms
//	{P}{R}:fatigue             HASH  responder id -> "recent declines|last decline ms|day|seconds that day"
//	{P}{R}:fairload            HASH  responder id -> "sent|served": offer times (ms) of the last hour
//	                               (alert budget) and "completed ms:seconds" of the last 24 h
//	                               (fatigue), comma-separated, at most 64 of each
//
// The keys of depots and their stock are listed at DepotStore (depots.go),
// those of areas and organisations at LinkageStore (linkage.go), those of
// reliability, feedback, the hours ledger and the escalation counts at
// RecognitionStore (recognition.go).
//
// A need's hash also carries esc = "step|since ms" once it has escalated
// (mobilize/escalation.go lists the steps), and its data JSON the
// community it was routed to.
//
// The HTTP API's users, token revocations, idempotency records, audit log
// and signing seed live beside these keys too; access.go lists them.
//
// In the pos record, ts is the last-seen time in Unix milliseconds, cell
// the index cell and p7/p5 its parents (hex), in is "1" while the responder
// sits in its cell hash (and is counted in supply), and skills is a
// comma-separated list of name or name@expiry-ms. Lua scripts read the cell
// keys of the pos record without declaring them; they share the region's
// hash tag, so they are in the declared keys' slot.
package redisstore

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"

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

func (k keys) responders() string         { return k.base + "responders" }
func (k keys) load() string               { return k.base + "load" }
func (k keys) offers() string             { return k.base + "offers" }
func (k keys) offersExp() string          { return k.base + "offers:exp" }
func (k keys) openNeeds() string          { return k.base + "needs:open" }
func (k keys) need(id string) string      { return k.base + "need:" + id }
func (k keys) needAsg(id string) string   { return k.base + "need:" + id + ":asg" }
func (k keys) needAsked(id string) string { return k.base + "need:" + id + ":asked" }

// IndexOptions configure the aggregates of one region; Resolution is the
// Index's alone.
type IndexOptions struct {
	Prefix     string        // key prefix, default "ld:"
	Region     string        // hash tag of every key, default "city"
	Resolution int           // H3 resolution of the cell hashes, default geo.DefaultResolution (9)
	StaleAfter time.Duration // default 10 min: older positions are never candidates
	Now        func() time.Time
}

// region is what the aggregates of one region share: the client, the key
// names, and the clock and stale limit that head every script's arguments.
type region struct {
	rdb        redis.UniversalClient
	keys       keys
	now        func() time.Time
	staleAfter time.Duration
	// scriptKeys are the keys every script of the index and of the
	// mobilisation declares: the index's, which fix the region's slot.
	scriptKeys []string
}

// newRegion fills in the defaults of opts (all but Resolution, which is
// the index's own).
func newRegion(rdb redis.UniversalClient, opts IndexOptions) region {
	if opts.Prefix == "" {
		opts.Prefix = "ld:"
	}
	if opts.Region == "" {
		opts.Region = "city"
	}
	if opts.StaleAfter <= 0 {
		opts.StaleAfter = 10 * time.Minute
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
	}
}

// argv is the common head of every mobilisation script's arguments:
// ARGV[1] the cell key prefix, [2] the key base, [3] now and [4] the stale
// cutoff, both Unix ms.
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
