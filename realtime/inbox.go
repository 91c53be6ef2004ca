package realtime

import (
	"context"
	_ "embed"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/redis/go-redis/v9"
)

// A user's inbox is a Redis stream plus a "floor" string, both under the
// hash tag {u:ID} so that the scripts touching them run on Redis Cluster:
//
//	<prefix>{u:<userID>}:inbox   stream; entry fields t (type), ts, d (data)
//	<prefix>{u:<userID>}:floor   highest entry id known to be deleted
//
// Invariant: the stream holds exactly the entries with ids above the floor.
// Entries leave only through deliver.lua (exact MAXLEN trimming) and ack.lua
// (MINID), and both raise the floor; that is what lets a reader tell
// "nothing after my position was lost" from "resync", which stream ids
// alone cannot (Redis does not record what trimming removed).

//go:embed lua/deliver.lua
var deliverLua string

//go:embed lua/ack.lua
var ackLua string

var (
	deliverScript = redis.NewScript(deliverLua)
	ackScript     = redis.NewScript(ackLua)
)

// replayPage is how many inbox entries one read returns. It bounds the
// memory one reconnecting client costs while it catches up.
const replayPage = 100

// streamID is a Redis stream entry id, compared as numbers: comparing the
// text would put "999-0" after "1000-0".
type streamID struct{ ms, seq uint64 }

// parseStreamID accepts exactly "<ms>-<seq>", the form the server sends.
func parseStreamID(s string) (streamID, bool) {
	a, b, ok := strings.Cut(s, "-")
	if !ok || a == "" || b == "" || a[0] == '+' || b[0] == '+' {
		return streamID{}, false
	}
	ms, err1 := strconv.ParseUint(a, 10, 64)
	seq, err2 := strconv.ParseUint(b, 10, 64)
	if err1 != nil || err2 != nil {
		return streamID{}, false
	}
	return streamID{ms, seq}, true
}

func (a streamID) String() string {
	return strconv.FormatUint(a.ms, 10) + "-" + strconv.FormatUint(a.seq, 10)
}

func (a streamID) less(b streamID) bool {
	return a.ms < b.ms || (a.ms == b.ms && a.seq < b.seq)
}

func (a streamID) isZero() bool { return a == streamID{} }

// next is the smallest id after a: an inclusive XRANGE start that excludes a.
func (a streamID) next() streamID {
	if a.seq == ^uint64(0) {
		return streamID{a.ms + 1, 0}
	}
	return streamID{a.ms, a.seq + 1}
}

func (h *Hub) inboxKey(userID string) string { return h.opts.Prefix + "{u:" + userID + "}:inbox" }
func (h *Hub) floorKey(userID string) string { return h.opts.Prefix + "{u:" + userID + "}:floor" }

// Deliver appends a message to the user's durable inbox and tells every
// server process, so that whichever holds the user's socket pushes it now;
// a user with no socket gets it on the next connect. The returned id is the
// stream id, which is also the envelope id on the wire and what the client
// acks and resumes from. data is marshalled with encoding/json
// (json.RawMessage and []byte are taken as raw JSON) and must be an object.
func (h *Hub) Deliver(ctx context.Context, userID, typ string, data any) (string, error) {
	if userID == "" {
		return "", errors.New("realtime: deliver: empty user id")
	}
	if !validType(typ) {
		return "", fmt.Errorf("realtime: deliver: invalid type %q", typ)
	}
	raw, err := encodeData(data)
	if err != nil {
		return "", fmt.Errorf("realtime: deliver %s: %w", typ, err)
	}
	if raw == nil {
		raw = []byte("{}")
	}
	keys := []string{h.inboxKey(userID), h.floorKey(userID)}
	id, err := deliverScript.Run(ctx, h.rdb, keys,
		typ, formatTS(h.opts.Now()), raw, h.opts.InboxMaxLen,
		h.opts.InboxTTL.Milliseconds(), h.inboxChannel, userID).Text()
	if err != nil {
		return "", fmt.Errorf("realtime: deliver %s: %w", typ, err)
	}
	h.stats.delivered.Add(1)
	return id, nil
}

// ack deletes the user's inbox entries up to id.
func (h *Hub) ack(ctx context.Context, userID string, id streamID) error {
	keys := []string{h.inboxKey(userID), h.floorKey(userID)}
	err := ackScript.Run(ctx, h.rdb, keys, id.String(), id.next().String(),
		h.opts.InboxTTL.Milliseconds()).Err()
	if err != nil {
		return fmt.Errorf("realtime: ack %s: %w", id, err)
	}
	return nil
}

// inboxEntry is one stored inbox message, ready to write.
type inboxEntry struct {
	id    streamID
	frame []byte
}

// inboxPage is one consistent snapshot of an inbox: up to replayPage entries
// after a position, the floor, and the head (the position a reader that has
// everything would be at).
type inboxPage struct {
	entries []inboxEntry
	floor   streamID
	head    streamID
	full    bool // more entries may follow
}

// readInbox reads the entries from (inclusive) in one MULTI, so that the
// floor and head describe the same moment as the entries.
func (h *Hub) readInbox(ctx context.Context, userID string, from streamID) (inboxPage, error) {
	inbox := h.inboxKey(userID)
	var floorCmd *redis.StringCmd
	var rangeCmd, lastCmd *redis.XMessageSliceCmd
	_, err := h.rdb.TxPipelined(ctx, func(p redis.Pipeliner) error {
		floorCmd = p.Get(ctx, h.floorKey(userID))
		rangeCmd = p.XRangeN(ctx, inbox, from.String(), "+", replayPage)
		lastCmd = p.XRevRangeN(ctx, inbox, "+", "-", 1)
		return nil
	})
	if err != nil && !errors.Is(err, redis.Nil) {
		return inboxPage{}, fmt.Errorf("realtime: read inbox: %w", err)
	}
	var page inboxPage
	if s, err := floorCmd.Result(); err == nil {
		page.floor, _ = parseStreamID(s)
	}
	page.head = page.floor
	if last := lastCmd.Val(); len(last) == 1 {
		if id, ok := parseStreamID(last[0].ID); ok && page.head.less(id) {
			page.head = id
		}
	}
	msgs := rangeCmd.Val()
	page.full = len(msgs) == replayPage
	page.entries = make([]inboxEntry, 0, len(msgs))
	for _, m := range msgs {
		id, ok := parseStreamID(m.ID)
		if !ok {
			continue
		}
		typ, _ := m.Values["t"].(string)
		ts, _ := m.Values["ts"].(string)
		data, _ := m.Values["d"].(string)
		page.entries = append(page.entries, inboxEntry{id: id, frame: appendFrame(nil, typ, m.ID, ts, []byte(data))})
	}
	return page, nil
}
