package redisstore

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/liandong/liandong/mobilize"
)

// The hours ledger of a responder is an append-only stream: complete.lua
// adds a credit entry for every completed assignment, atomically with the
// completion; a coordinator's correction is a further edit entry naming
// the credit it corrects. Reading folds the edits in (the latest wins)
// and joins each need's rating.

// errNoEntry is a hours edit of an entry the ledger does not hold.
var errNoEntry = errors.New("no such ledger entry")

// maxLedgerEntries bounds one read of a ledger: years of daily service.
const maxLedgerEntries = 20_000

// Ledger returns a responder's completed assignments, oldest first, with
// hours by the entry's rule (from arrival when one was reported, else from
// acceptance; mobilize.ServiceEntry.ServedHours) capped at hoursCap unless
// corrected.
func (s *RecognitionStore) Ledger(ctx context.Context, rid mobilize.ResponderID, hoursCap time.Duration) ([]mobilize.ServiceEntry, error) {
	if err := validID(rid); err != nil {
		return nil, err
	}
	msgs, err := s.rdb.XRangeN(ctx, s.keys.ledger(string(rid)), "-", "+", maxLedgerEntries).Result()
	if err != nil {
		return nil, fmt.Errorf("ledger of %s: %w", rid, err)
	}
	var out []mobilize.ServiceEntry
	index := map[string]int{}
	for _, m := range msgs {
		field := func(k string) string { v, _ := m.Values[k].(string); return v }
		switch field("kind") {
		case "credit":
			e := mobilize.ServiceEntry{
				ID: m.ID, Need: mobilize.NeedID(field("need")), Offer: mobilize.OfferID(field("offer")),
				Role: mobilize.Role(field("role")), Category: field("category"), OrgID: field("org"),
				AcceptedAt: msTime(field("accepted")), CompletedAt: msTime(field("completed")),
				Rule: mobilize.HoursFromAcceptance, ArrivedAt: msTime(field("arrived")), LeftAt: msTime(field("left")),
			}
			if field("rule") == string(mobilize.HoursFromArrival) {
				e.Rule = mobilize.HoursFromArrival
			}
			e.Hours = e.ServedHours(hoursCap)
			index[m.ID] = len(out)
			out = append(out, e)
		case "edit":
			i, ok := index[field("ref")]
			if !ok {
				continue
			}
			h, err := strconv.ParseFloat(field("hours"), 64)
			if err != nil {
				continue
			}
			e := &out[i]
			e.Hours, e.Edited, e.EditReason, e.EditedBy, e.EditedAt = h, true, field("reason"), field("by"), msTime(field("at"))
		}
	}
	needs := make([]mobilize.NeedID, len(out))
	for i, e := range out {
		needs[i] = e.Need
	}
	ratings, err := s.Feedbacks(ctx, needs)
	if err != nil {
		return nil, err
	}
	for i := range out {
		out[i].Rating = ratings[out[i].Need].Rating
	}
	return out, nil
}

// EditHours corrects the hours of one credit entry by appending an edit
// entry; the credit itself is never rewritten. It returns the entry as it
// now reads.
func (s *RecognitionStore) EditHours(ctx context.Context, rid mobilize.ResponderID, entryID string, hours float64, reason, by string, hoursCap time.Duration) (mobilize.ServiceEntry, error) {
	if err := mobilize.ValidHoursEdit(hours, reason); err != nil {
		return mobilize.ServiceEntry{}, err
	}
	if err := validID(rid); err != nil {
		return mobilize.ServiceEntry{}, err
	}
	key := s.keys.ledger(string(rid))
	found, err := s.rdb.XRange(ctx, key, entryID, entryID).Result()
	if err != nil {
		return mobilize.ServiceEntry{}, fmt.Errorf("edit hours %s: %w: %w", entryID, err, mobilize.ErrInvalid)
	}
	if len(found) != 1 || found[0].Values["kind"] != "credit" {
		return mobilize.ServiceEntry{}, fmt.Errorf("edit hours %s of %s: %w: %w", entryID, rid, errNoEntry, mobilize.ErrNotFound)
	}
	err = s.rdb.XAdd(ctx, &redis.XAddArgs{Stream: key, Values: []any{
		"kind", "edit", "ref", entryID, "hours", strconv.FormatFloat(hours, 'f', 2, 64),
		"reason", reason, "by", by, "at", strconv.FormatInt(s.now().UnixMilli(), 10),
	}}).Err()
	if err != nil {
		return mobilize.ServiceEntry{}, fmt.Errorf("edit hours %s: %w", entryID, err)
	}
	entries, err := s.Ledger(ctx, rid, hoursCap)
	if err != nil {
		return mobilize.ServiceEntry{}, err
	}
	for _, e := range entries {
		if e.ID == entryID {
			return e, nil
		}
	}
	return mobilize.ServiceEntry{}, fmt.Errorf("edit hours %s: entry vanished: %w", entryID, mobilize.ErrNotFound)
}
