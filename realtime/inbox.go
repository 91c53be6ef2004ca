package realtime

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
)

// Inbox keeps each user's durable messages in order, under ids of the form
// "<ms>-<seq>" that grow with every append. realtime/redisrt keeps them in
// Redis streams; the hub only needs what follows.
//
// Invariant: an inbox holds exactly the entries with ids above its floor,
// the highest id known to be deleted. Entries leave only by Append's
// trimming and by Ack, and both raise the floor; that is what lets a reader
// tell "nothing after my position was lost" from "resync", which ids alone
// cannot.
type Inbox interface {
	// Append adds a message at the end of the user's inbox and announces it
	// through the Broker as a Notice, in one step: the notice can never
	// precede its entry nor be lost while the entry stays. It may trim the
	// oldest entries. It returns the new entry's id.
	Append(ctx context.Context, userID, typ, ts string, data []byte) (id string, err error)
	// ReadAfter returns up to limit entries after the id after, in order,
	// with the floor and the last id as of the same moment.
	ReadAfter(ctx context.Context, userID, after string, limit int) (InboxPage, error)
	// Ack deletes the entries up to and including upTo and raises the floor
	// to it. A floor already at or past upTo stays, so that a late ack from
	// a second device cannot make a reader believe old entries are back.
	Ack(ctx context.Context, userID, upTo string) error
}

// InboxPage is what Inbox.ReadAfter saw.
type InboxPage struct {
	Entries []InboxEntry
	Floor   string // "" when nothing was ever deleted
	Last    string // the newest entry's id; "" when the inbox is empty
}

// InboxEntry is one stored message. Data is its JSON object.
type InboxEntry struct {
	ID, Type, TS, Data string
}

// replayPage is how many inbox entries one read returns. It bounds the
// memory one reconnecting client costs while it catches up.
const replayPage = 100

// streamID is an inbox entry id, compared as numbers: comparing the text
// would put "999-0" after "1000-0".
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

// Deliver appends a message to the user's durable inbox and tells every
// server process, so that whichever holds the user's socket pushes it now;
// a user with no socket gets it on the next connect. The returned id is the
// inbox id, which is also the envelope id on the wire and what the client
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
	id, err := h.opts.Inbox.Append(ctx, userID, typ, formatTS(h.opts.Now()), raw)
	if err != nil {
		return "", fmt.Errorf("realtime: deliver %s: %w", typ, err)
	}
	h.stats.delivered.Add(1)
	return id, nil
}

// ack deletes the user's inbox entries up to id.
func (h *Hub) ack(ctx context.Context, userID string, id streamID) error {
	if err := h.opts.Inbox.Ack(ctx, userID, id.String()); err != nil {
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

// readInbox reads the entries after a position, with the floor and head of
// the same moment.
func (h *Hub) readInbox(ctx context.Context, userID string, after streamID) (inboxPage, error) {
	got, err := h.opts.Inbox.ReadAfter(ctx, userID, after.String(), replayPage)
	if err != nil {
		return inboxPage{}, fmt.Errorf("realtime: read inbox: %w", err)
	}
	var page inboxPage
	page.floor, _ = parseStreamID(got.Floor)
	page.head = page.floor
	if id, ok := parseStreamID(got.Last); ok && page.head.less(id) {
		page.head = id
	}
	page.full = len(got.Entries) == replayPage
	page.entries = make([]inboxEntry, 0, len(got.Entries))
	for _, e := range got.Entries {
		id, ok := parseStreamID(e.ID)
		if !ok {
			continue
		}
		page.entries = append(page.entries, inboxEntry{id: id, frame: appendFrame(nil, e.Type, e.ID, e.TS, []byte(e.Data))})
	}
	return page, nil
}
