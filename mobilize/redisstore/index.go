package redisstore

import (
	"context"
	_ "embed"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/liandong/liandong/geo"
	"github.com/liandong/liandong/internal/batch"
	"github.com/liandong/liandong/mobilize"
)

//go:embed lua/locate.lua
var locateBody string

//go:embed lua/set_status.lua
var setStatusBody string

//go:embed lua/register.lua
var registerBody string

//go:embed lua/sweep.lua
var sweepBody string

//go:embed lua/remove.lua
var removeBody string

var (
	locateScript    = newScript("locate.lua", locateBody, indexLib)
	setStatusScript = newScript("set_status.lua", setStatusBody, indexLib)
	registerScript  = newScript("register.lua", registerBody, indexLib)
	sweepScript     = newScript("sweep.lua", sweepBody, indexLib)
	removeScript    = newScript("remove.lua", removeBody, indexLib)
)

func (k keys) pos() string                   { return k.base + "ix:pos" }
func (k keys) cellPrefix() string            { return k.base + "ix:c:" }
func (k keys) cell(cell, role string) string { return k.base + "ix:c:" + cell + ":" + role }
func (k keys) supply(res int) string {
	if res == 7 {
		return k.base + "ix:supply:7"
	}
	return k.base + "ix:supply:5"
}

// Index is the live H3 cell index of responders in Redis: who is
// available where, and beside it their status, so that moving a person
// between cells is atomic with it. Its keys, under the region's prefix and
// hash tag (redisstore.go):
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
// In the pos record, ts is the last-seen time in Unix milliseconds, cell
// the index cell and p7/p5 its parents (hex), in is "1" while the responder
// sits in its cell hash (and is counted in supply), and skills is a
// comma-separated list of name or name@expiry-ms. Lua scripts read the cell
// keys of the pos record without declaring them; they share the region's
// hash tag, so they are in the declared keys' slot.
type Index struct {
	region
	res     int
	shapes  *cellCache[cellShape]
	disks   *cellCache[[][]geo.Cell]
	locates batch.Batcher[mobilize.Location, locateResult]
}

// NewIndex returns an index over rdb. It does not touch Redis.
func NewIndex(rdb redis.UniversalClient, opts IndexOptions) (*Index, error) {
	if opts.Resolution == 0 {
		opts.Resolution = DefaultIndexOptions().Resolution
	}
	if opts.Resolution < 7 || opts.Resolution > 15 {
		return nil, fmt.Errorf("index resolution %d: must be 7..15 (supply is counted at 7 and 5): %w", opts.Resolution, mobilize.ErrInvalid)
	}
	ix := &Index{
		region: newRegion(rdb, opts),
		res:    opts.Resolution,
		shapes: newShapeCache(),
		disks:  newDiskCache(),
	}
	ix.locates.Flush = ix.locateMany
	ix.locates.MaxBatch = maxLocateBatch
	return ix, nil
}

// Resolution is the H3 resolution of the cell hashes.
func (ix *Index) Resolution() int { return ix.res }

// encodeSkills writes name or name@expiry-ms, comma-separated.
func encodeSkills(skills []mobilize.Skill) (string, error) {
	var b strings.Builder
	for i, s := range skills {
		if s.Name == "" || strings.ContainsAny(s.Name, "|,@") {
			return "", fmt.Errorf("skill %q: must be non-empty without | , @: %w", s.Name, mobilize.ErrInvalid)
		}
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteString(s.Name)
		if !s.ExpiresAt.IsZero() {
			b.WriteByte('@')
			b.WriteString(strconv.FormatInt(s.ExpiresAt.UnixMilli(), 10))
		}
	}
	return b.String(), nil
}

// hasSkillsEncoded checks required skills against an encoded list at
// nowMs without allocating a slice of skills.
func hasSkillsEncoded(enc string, required []string, nowMs int64) bool {
next:
	for _, want := range required {
		rest := enc
		for rest != "" {
			var item string
			item, rest, _ = strings.Cut(rest, ",")
			name, exp, hasExp := strings.Cut(item, "@")
			if name != want {
				continue
			}
			if !hasExp {
				continue next
			}
			if ms, err := strconv.ParseInt(exp, 10, 64); err == nil && nowMs < ms {
				continue next
			}
		}
		return false
	}
	return true
}

func decodeSkills(enc string) []mobilize.Skill {
	if enc == "" {
		return nil
	}
	var out []mobilize.Skill
	for item := range strings.SplitSeq(enc, ",") {
		name, exp, hasExp := strings.Cut(item, "@")
		s := mobilize.Skill{Name: name}
		if hasExp {
			if ms, err := strconv.ParseInt(exp, 10, 64); err == nil {
				s.ExpiresAt = time.UnixMilli(ms).UTC()
			}
		}
		out = append(out, s)
	}
	return out
}

func (ix *Index) cutoffMs() int64 { return ix.now().Add(-ix.staleAfter).UnixMilli() }

// Register creates a responder in the index, or changes the role and
// skills of one already there (keeping its status and position). status
// is used only when the responder is new.
func (ix *Index) Register(ctx context.Context, id mobilize.ResponderID, role mobilize.Role, skills []mobilize.Skill, status mobilize.Status) error {
	args, err := Registration{ID: id, Role: role, Skills: skills, Status: status}.args(ix, ix.cutoffMs())
	if err != nil {
		return err
	}
	return scriptErr("register", id, registerScript.Run(ctx, ix.rdb, ix.scriptKeys, args...).Err())
}

// Registration is one responder to Register in a batch.
type Registration struct {
	ID     mobilize.ResponderID
	Role   mobilize.Role
	Skills []mobilize.Skill
	Status mobilize.Status
}

func (r Registration) args(ix *Index, cutoffMs int64) ([]any, error) {
	if err := validID(r.ID); err != nil {
		return nil, err
	}
	if _, err := mobilize.ParseRole(string(r.Role)); err != nil {
		return nil, err
	}
	if _, err := mobilize.ParseStatus(string(r.Status)); err != nil {
		return nil, err
	}
	enc, err := encodeSkills(r.Skills)
	if err != nil {
		return nil, err
	}
	return []any{ix.keys.cellPrefix(), string(r.ID), string(r.Role), enc, string(r.Status), cutoffMs}, nil
}

// RegisterMany registers a batch in one pipeline. Every registration is
// validated before anything is sent: one invalid entry refuses the whole
// batch and changes nothing.
func (ix *Index) RegisterMany(ctx context.Context, rs []Registration) error {
	cutoff := ix.cutoffMs()
	all := make([][]any, len(rs))
	for i, r := range rs {
		args, err := r.args(ix, cutoff)
		if err != nil {
			return fmt.Errorf("register batch entry %d: %w", i, err)
		}
		all[i] = args
	}
	if err := registerScript.Load(ctx, ix.rdb).Err(); err != nil {
		return fmt.Errorf("register batch: %w", err)
	}
	const chunk = 1000
	for len(all) > 0 {
		part := all[:min(chunk, len(all))]
		all = all[len(part):]
		pipe := ix.rdb.Pipeline()
		for _, args := range part {
			registerScript.EvalSha(ctx, pipe, ix.scriptKeys, args...)
		}
		if _, err := pipe.Exec(ctx); err != nil {
			return fmt.Errorf("register batch: %w", err)
		}
	}
	return nil
}

// locateArgs validates a report and appends its script arguments, with
// its cells computed here so that Redis does no H3 work.
func (ix *Index) locateArgs(args []any, l mobilize.Location) ([]any, error) {
	if err := validID(l.ID); err != nil {
		return args, err
	}
	if err := geo.ValidPoint(l.Point); err != nil {
		return args, fmt.Errorf("locate %s: %w: %w", l.ID, err, mobilize.ErrInvalid)
	}
	cell, p7, p5, err := geo.CellAndParents(l.Point, ix.res, 7, 5)
	if err != nil {
		return args, fmt.Errorf("locate %s: %w: %w", l.ID, err, mobilize.ErrInvalid)
	}
	ts := strconv.FormatInt(l.At.UnixMilli(), 10)
	pos := make([]byte, 0, 64)
	pos = strconv.AppendFloat(pos, geo.Lat(l.Point), 'f', -1, 64)
	pos = append(pos, '|')
	pos = strconv.AppendFloat(pos, geo.Lng(l.Point), 'f', -1, 64)
	pos = append(pos, '|')
	pos = append(pos, ts...)
	// The parents go as one argument "p7|p5", the form the record holds.
	par := make([]byte, 0, 32)
	par = strconv.AppendUint(par, uint64(p7), 16)
	par = append(par, '|')
	par = strconv.AppendUint(par, uint64(p5), 16)
	return append(args, string(l.ID), ts, string(pos), cell.String(), string(par)), nil
}

// Locate records a position: it refreshes the position and last-seen
// time and, when the cell changed, moves the responder between cell
// hashes atomically. A report older than the one held is ignored (reports
// can arrive out of order over several processes). Concurrent calls are
// grouped into one script call (internal/batch), so that a busy server
// pays Redis' per-script cost once per batch, not once per report.
func (ix *Index) Locate(ctx context.Context, l mobilize.Location) error {
	_, err := ix.Track(ctx, l)
	return err
}

type locateResult struct {
	mobilize.Located
	err error
}

// Track is Locate that also says the responder's role and status, so that
// the map can be told without reading the record back.
func (ix *Index) Track(ctx context.Context, l mobilize.Location) (mobilize.Located, error) {
	r := ix.locates.Do(ctx, l)
	return r.Located, r.err
}

// maxLocateBatch bounds the reports of one script call, so that one call
// holds Redis for well under a millisecond.
const maxLocateBatch = 128

// LocateMany records many positions: one script call per batch of up to
// maxLocateBatch, all batches in one pipeline. The result has one error
// (or nil) per report; invalid reports never reach Redis.
func (ix *Index) LocateMany(ctx context.Context, ls []mobilize.Location) []error {
	errs := make([]error, len(ls))
	for i, r := range ix.locateMany(ctx, ls) {
		errs[i] = r.err
	}
	return errs
}

func (ix *Index) locateMany(ctx context.Context, ls []mobilize.Location) []locateResult {
	out := make([]locateResult, len(ls))
	type batch struct {
		cmd *redis.Cmd
		at  []int // positions in ls of the batch's reports
	}
	var batches []batch
	pipe := ix.rdb.Pipeline()
	for lo := 0; lo < len(ls); {
		args := []any{ix.keys.cellPrefix()}
		var at []int
		for ; lo < len(ls) && len(at) < maxLocateBatch; lo++ {
			var err error
			if args, err = ix.locateArgs(args, ls[lo]); err != nil {
				out[lo].err = err
				continue
			}
			at = append(at, lo)
		}
		if len(at) > 0 {
			batches = append(batches, batch{locateScript.EvalSha(ctx, pipe, ix.scriptKeys, args...), at})
		}
	}
	if len(batches) == 0 {
		return out
	}
	_, _ = pipe.Exec(ctx)
	for _, b := range batches {
		err := b.cmd.Err()
		if err != nil && redis.HasErrorPrefix(err, "NOSCRIPT") {
			// The script cache was empty (first call, or Redis restarted):
			// Run loads it and retries.
			args := b.cmd.Args()[3+len(ix.scriptKeys):]
			b.cmd = locateScript.Run(ctx, ix.rdb, ix.scriptKeys, args...)
			err = b.cmd.Err()
		}
		var replies []any
		if err == nil {
			replies, err = b.cmd.Slice()
		}
		if err == nil && len(replies) != len(b.at) {
			err = fmt.Errorf("%d replies for %d reports", len(replies), len(b.at))
		}
		for j, i := range b.at {
			if err != nil {
				out[i].err = fmt.Errorf("locate %s: %w", ls[i].ID, err)
				continue
			}
			out[i] = parseLocated(ls[i].ID, replies[j])
		}
	}
	return out
}

// parseLocated reads one report's reply: -1, "role|status|", or
// "old|role|status|" for a report older than the position held.
func parseLocated(id mobilize.ResponderID, reply any) locateResult {
	s, ok := reply.(string)
	if !ok {
		return locateResult{err: fmt.Errorf("locate %s: %w", id, mobilize.ErrNotFound)}
	}
	rest, old := strings.CutPrefix(s, "old|")
	role, rest, _ := strings.Cut(rest, "|")
	status, _, _ := strings.Cut(rest, "|")
	return locateResult{Located: mobilize.Located{Applied: !old, Role: mobilize.Role(role), Status: mobilize.Status(status)}}
}

// SetStatus changes a responder's status; only available responders with
// a fresh position are candidates.
func (ix *Index) SetStatus(ctx context.Context, id mobilize.ResponderID, status mobilize.Status) error {
	_, err := ix.setStatus(ctx, id, status, "")
	return err
}

// CompareAndSetStatus changes the status only if it is currently from. It
// reports whether it did.
func (ix *Index) CompareAndSetStatus(ctx context.Context, id mobilize.ResponderID, from, to mobilize.Status) (bool, error) {
	return ix.setStatus(ctx, id, to, from)
}

func (ix *Index) setStatus(ctx context.Context, id mobilize.ResponderID, to, from mobilize.Status) (bool, error) {
	if err := validID(id); err != nil {
		return false, err
	}
	if _, err := mobilize.ParseStatus(string(to)); err != nil {
		return false, err
	}
	n, err := setStatusScript.Run(ctx, ix.rdb, ix.scriptKeys, ix.keys.cellPrefix(), string(id), string(to), ix.cutoffMs(), string(from)).Int()
	if err != nil {
		return false, scriptErr("set status", id, err)
	}
	return n == 1, nil
}

// Remove forgets a responder. Removing an unknown id is ErrNotFound.
func (ix *Index) Remove(ctx context.Context, id mobilize.ResponderID) error {
	if err := validID(id); err != nil {
		return err
	}
	n, err := removeScript.Run(ctx, ix.rdb, ix.scriptKeys, ix.keys.cellPrefix(), string(id)).Int()
	if err != nil {
		return fmt.Errorf("remove %s: %w", id, err)
	}
	if n == 0 {
		return fmt.Errorf("remove %s: %w", id, mobilize.ErrNotFound)
	}
	return nil
}

// Get returns the index entry of one responder.
func (ix *Index) Get(ctx context.Context, id mobilize.ResponderID) (mobilize.Presence, error) {
	raw, err := ix.rdb.HGet(ctx, ix.keys.pos(), string(id)).Result()
	if errors.Is(err, redis.Nil) {
		return mobilize.Presence{}, fmt.Errorf("get %s: %w", id, mobilize.ErrNotFound)
	}
	if err != nil {
		return mobilize.Presence{}, fmt.Errorf("get %s: %w", id, err)
	}
	return parseEntry(id, raw)
}

func parseEntry(id mobilize.ResponderID, raw string) (mobilize.Presence, error) {
	f := strings.Split(raw, "|")
	if len(f) != 10 {
		return mobilize.Presence{}, fmt.Errorf("index record of %s is corrupt: %d fields", id, len(f))
	}
	e := mobilize.Presence{ID: id, Role: mobilize.Role(f[0]), Status: mobilize.Status(f[1]), Skills: decodeSkills(f[9]), Indexed: f[8] == "1"}
	if f[4] != "" {
		lat, err1 := strconv.ParseFloat(f[2], 64)
		lng, err2 := strconv.ParseFloat(f[3], 64)
		ms, err3 := strconv.ParseInt(f[4], 10, 64)
		cell, err4 := geo.ParseCell(f[5])
		if err := errors.Join(err1, err2, err3, err4); err != nil {
			return mobilize.Presence{}, fmt.Errorf("index record of %s is corrupt: %w", id, err)
		}
		p, err := geo.NewPoint(lat, lng)
		if err != nil {
			return mobilize.Presence{}, fmt.Errorf("index record of %s is corrupt: %w", id, err)
		}
		e.Located, e.Point, e.LastSeen, e.Cell = true, p, time.UnixMilli(ms).UTC(), cell
	}
	return e, nil
}

// sweepBatch is how many ids one sweep script checks, so that no single
// script blocks Redis for long.
const sweepBatch = 500

// Sweep takes every responder whose last position is older than the stale
// limit out of the cell hashes and supply counts. Stale responders are
// never candidates even before a sweep; sweeping keeps Redis small and the
// heatmap true. It returns how many were removed.
func (ix *Index) Sweep(ctx context.Context) (int, error) {
	cutoff := ix.cutoffMs()
	removed := 0
	var cursor uint64
	for {
		kv, next, err := ix.rdb.HScan(ctx, ix.keys.pos(), cursor, "", 1000).Result()
		if err != nil {
			return removed, fmt.Errorf("sweep: %w", err)
		}
		var stale []any
		for i := 0; i+1 < len(kv); i += 2 {
			if recordStale(kv[i+1], cutoff) {
				stale = append(stale, kv[i])
			}
		}
		for len(stale) > 0 {
			batch := stale[:min(len(stale), sweepBatch)]
			stale = stale[len(batch):]
			args := append([]any{ix.keys.cellPrefix(), cutoff}, batch...)
			n, err := sweepScript.Run(ctx, ix.rdb, ix.scriptKeys, args...).Int()
			if err != nil {
				return removed, fmt.Errorf("sweep: %w", err)
			}
			removed += n
		}
		cursor = next
		if cursor == 0 {
			return removed, nil
		}
	}
}

// recordStale is a cheap pre-check of a pos record; the sweep script
// checks again atomically.
func recordStale(raw string, cutoffMs int64) bool {
	f := strings.SplitN(raw, "|", 10)
	if len(f) != 10 || f[8] != "1" {
		return false
	}
	ms, err := strconv.ParseInt(f[4], 10, 64)
	return err == nil && ms < cutoffMs
}

// CountResponders walks the position records once (HSCAN, so that Redis
// is never blocked on a large city).
func (ix *Index) CountResponders(ctx context.Context) (mobilize.ResponderCounts, error) {
	rc := mobilize.ResponderCounts{ByStatus: map[mobilize.Status]int{}, AvailableByRole: map[mobilize.Role]int{}, IndexedByRole: map[mobilize.Role]int{}}
	iter := ix.rdb.HScan(ctx, ix.keys.pos(), 0, "", queryChunk).Iterator()
	for key := true; iter.Next(ctx); key = !key {
		if key {
			continue // the field, a responder id; the value follows
		}
		f := strings.SplitN(iter.Val(), "|", 10)
		if len(f) != 10 {
			continue
		}
		role, status := mobilize.Role(f[0]), mobilize.Status(f[1])
		rc.Total++
		rc.ByStatus[status]++
		if status == mobilize.StatusAvailable {
			rc.AvailableByRole[role]++
			if f[8] == "1" {
				rc.IndexedByRole[role]++
			}
		}
	}
	if err := iter.Err(); err != nil {
		return mobilize.ResponderCounts{}, fmt.Errorf("count responders: %w", err)
	}
	return rc, nil
}
