package redisrt

import (
	"context"
	_ "embed"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/liandong/liandong/realtime"
)

// A user's inbox is a Redis stream plus a "floor" string, both under the
// hash tag {u:ID} so that the scripts touching them run on Redis Cluster:
//
//	<prefix>{u:<userID>}:inbox   stream; entry fields t (type), ts, d (data)
//	<prefix>{u:<userID>}:floor   highest entry id known to be deleted
//
// The stream holds exactly the entries with ids above the floor (the
// invariant realtime.Inbox states). Entries leave only through deliver.lua
// (exact MAXLEN trimming) and ack.lua (MINID), and both raise the floor,
// because Redis does not record what trimming removed.

//go:embed lua/deliver.lua
var deliverLua string

//go:embed lua/ack.lua
var ackLua string

var (
	deliverScript = redis.NewScript(deliverLua)
	ackScript     = redis.NewScript(ackLua)
)

// Inbox is realtime.Inbox on Redis streams.
type Inbox struct {
	rdb     redis.UniversalClient
	prefix  string
	channel string // inbox notices, which deliver.lua publishes
	maxLen  int
	ttl     time.Duration
}

var _ realtime.Inbox = (*Inbox)(nil)

func (in *Inbox) inboxKey(userID string) string { return in.prefix + "{u:" + userID + "}:inbox" }
func (in *Inbox) floorKey(userID string) string { return in.prefix + "{u:" + userID + "}:floor" }

// Append runs deliver.lua: XADD, exact trimming, and the notice on the
// inbox channel, atomically.
func (in *Inbox) Append(ctx context.Context, userID, typ, ts string, data []byte) (string, error) {
	keys := []string{in.inboxKey(userID), in.floorKey(userID)}
	return deliverScript.Run(ctx, in.rdb, keys,
		typ, ts, data, in.maxLen, in.ttl.Milliseconds(), in.channel, userID).Text()
}

// ReadAfter reads in one MULTI, so that the floor and the last id describe
// the same moment as the entries.
func (in *Inbox) ReadAfter(ctx context.Context, userID, after string, limit int) (realtime.InboxPage, error) {
	from, err := following(after)
	if err != nil {
		return realtime.InboxPage{}, err
	}
	inbox := in.inboxKey(userID)
	var floorCmd *redis.StringCmd
	var rangeCmd, lastCmd *redis.XMessageSliceCmd
	_, err = in.rdb.TxPipelined(ctx, func(p redis.Pipeliner) error {
		floorCmd = p.Get(ctx, in.floorKey(userID))
		rangeCmd = p.XRangeN(ctx, inbox, from, "+", int64(limit))
		lastCmd = p.XRevRangeN(ctx, inbox, "+", "-", 1)
		return nil
	})
	if err != nil && !errors.Is(err, redis.Nil) {
		return realtime.InboxPage{}, err
	}
	var page realtime.InboxPage
	if s, err := floorCmd.Result(); err == nil {
		page.Floor = s
	}
	if last := lastCmd.Val(); len(last) == 1 {
		page.Last = last[0].ID
	}
	msgs := rangeCmd.Val()
	page.Entries = make([]realtime.InboxEntry, len(msgs))
	for i, m := range msgs {
		typ, _ := m.Values["t"].(string)
		ts, _ := m.Values["ts"].(string)
		data, _ := m.Values["d"].(string)
		page.Entries[i] = realtime.InboxEntry{ID: m.ID, Type: typ, TS: ts, Data: data}
	}
	return page, nil
}

// Ack runs ack.lua, which trims with XTRIM MINID and raises the floor.
func (in *Inbox) Ack(ctx context.Context, userID, upTo string) error {
	next, err := following(upTo)
	if err != nil {
		return err
	}
	keys := []string{in.inboxKey(userID), in.floorKey(userID)}
	return ackScript.Run(ctx, in.rdb, keys, upTo, next, in.ttl.Milliseconds()).Err()
}

// following returns the smallest stream id after id: XRANGE and XTRIM
// MINID take inclusive bounds, the inbox speaks of "after" and "up to".
func following(id string) (string, error) {
	a, b, ok := strings.Cut(id, "-")
	ms, err1 := strconv.ParseUint(a, 10, 64)
	seq, err2 := strconv.ParseUint(b, 10, 64)
	if !ok || err1 != nil || err2 != nil {
		return "", fmt.Errorf("redisrt: %q is not a stream id", id)
	}
	if seq == ^uint64(0) {
		ms, seq = ms+1, 0
	} else {
		seq++
	}
	return strconv.FormatUint(ms, 10) + "-" + strconv.FormatUint(seq, 10), nil
}
