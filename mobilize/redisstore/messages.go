package redisstore

import (
	"context"
	_ "embed"
	"fmt"
	"slices"
	"strings"

	"github.com/liandong/liandong/mobilize"
)

// Team threads (mobilize/message.go), beside the need:
//
//	{P}{R}:need:<id>:thread         STREAM kind, from, role, text, at: the messages, oldest first,
//	                                      trimmed to about mobilize.MaxThreadMessages
//	{P}{R}:need:<id>:read           HASH   responder -> the last message id they read
//	{P}{R}:msgrate:<sender>:<min>   STRING messages the sender posted in that clock minute
//
// The thread is the need's history of messages; delivery to the members
// is the notifier's, through their durable inboxes.

//go:embed lua/message_post.lua
var messagePostBody string

//go:embed lua/message_read.lua
var messageReadBody string

//go:embed lua/message_rate.lua
var messageRateBody string

var (
	messagePostScript = newScript("message_post.lua", messagePostBody)
	messageReadScript = newScript("message_read.lua", messageReadBody)
	messageRateScript = newScript("message_rate.lua", messageRateBody)
)

func (k keys) needThread(id string) string { return k.base + "need:" + id + ":thread" }
func (k keys) needRead(id string) string   { return k.base + "need:" + id + ":read" }

// PostMessage appends a message to its need's thread (mobilize.MessageStore).
func (s *NeedStore) PostMessage(ctx context.Context, m mobilize.TeamMessage, perMinute int) (mobilize.MessageOutcome, mobilize.TeamMessage, error) {
	if strings.ContainsAny(m.From.ID, "|{}: ") || m.From.ID == "" {
		return "", mobilize.TeamMessage{}, fmt.Errorf("message from %q: malformed sender: %w", m.From.ID, mobilize.ErrInvalid)
	}
	sender := string(m.From.Kind) + ":" + m.From.ID
	vals, err := messagePostScript.Run(ctx, s.rdb, s.scriptKeys, s.argv(string(m.Need), sender, string(m.From.Kind), m.From.ID,
		m.From.Role, m.Text, mobilize.MaxThreadMessages, perMinute)...).StringSlice()
	if err != nil {
		return "", mobilize.TeamMessage{}, fmt.Errorf("message to %s: %w", m.Need, err)
	}
	if len(vals) == 0 {
		return "", mobilize.TeamMessage{}, fmt.Errorf("message to %s: empty reply from the script", m.Need)
	}
	out, err := parseOutcome[mobilize.MessageOutcome](vals[0])
	if err != nil {
		return "", mobilize.TeamMessage{}, fmt.Errorf("message to %s: %w", m.Need, err)
	}
	if out == mobilize.MessageOK && len(vals) > 2 {
		m.ID, m.At = vals[1], msTime(vals[2])
	}
	return out, m, nil
}

// Thread returns the newest limit messages of a need, oldest first.
func (s *NeedStore) Thread(ctx context.Context, need mobilize.NeedID, limit int) ([]mobilize.TeamMessage, error) {
	msgs, err := s.rdb.XRevRangeN(ctx, s.keys.needThread(string(need)), "+", "-", int64(limit)).Result()
	if err != nil {
		return nil, fmt.Errorf("thread of %s: %w", need, err)
	}
	out := make([]mobilize.TeamMessage, 0, len(msgs))
	for _, m := range msgs {
		field := func(k string) string { v, _ := m.Values[k].(string); return v }
		out = append(out, mobilize.TeamMessage{
			ID: m.ID, Need: need, Text: field("text"), At: msTime(field("at")),
			From: mobilize.Sender{Kind: mobilize.SenderKind(field("kind")), ID: field("from"), Role: field("role")},
		})
	}
	slices.Reverse(out)
	return out, nil
}

// MarkRead raises rid's read mark to upTo, a message of the thread.
func (s *NeedStore) MarkRead(ctx context.Context, need mobilize.NeedID, rid mobilize.ResponderID, upTo string) error {
	if err := validID(rid); err != nil {
		return err
	}
	found, err := s.rdb.XRangeN(ctx, s.keys.needThread(string(need)), upTo, upTo, 1).Result()
	if err != nil || len(found) != 1 {
		return fmt.Errorf("read mark %q on %s: no such message: %w", upTo, need, mobilize.ErrNotFound)
	}
	if err := messageReadScript.Run(ctx, s.rdb, s.scriptKeys, s.argv(string(need), string(rid), upTo)...).Err(); err != nil {
		return fmt.Errorf("read mark on %s: %w", need, err)
	}
	return nil
}

// ReadMarks returns how far each member read a need's thread.
func (s *NeedStore) ReadMarks(ctx context.Context, need mobilize.NeedID) (map[mobilize.ResponderID]string, error) {
	all, err := s.rdb.HGetAll(ctx, s.keys.needRead(string(need))).Result()
	if err != nil {
		return nil, fmt.Errorf("read marks of %s: %w", need, err)
	}
	out := make(map[mobilize.ResponderID]string, len(all))
	for rid, id := range all {
		out[mobilize.ResponderID(rid)] = id
	}
	return out, nil
}

// CountMessage counts a message to one responder against the sender's
// budget, the same budget as thread messages.
func (s *NeedStore) CountMessage(ctx context.Context, sender string, perMinute int) (bool, error) {
	n, err := messageRateScript.Run(ctx, s.rdb, s.scriptKeys, s.argv(sender, perMinute)...).Int()
	if err != nil {
		return false, fmt.Errorf("count message of %s: %w", sender, err)
	}
	return n == 1, nil
}
