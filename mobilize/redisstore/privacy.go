package redisstore

import (
	"context"
	_ "embed"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/liandong/liandong/geo"
	"github.com/liandong/liandong/mobilize"
)

// People's control of their own data (mobilize/privacy.go): the copy of
// everything the region holds about a responder, erasure, and the
// retention sweep. No key of its own: it reads and changes the
// aggregates' keys, each change in the script of the aggregate whose
// invariant it touches (erase.lua runs as the roster's, because the
// profile, load and index entry change together).

//go:embed lua/erase.lua
var eraseBody string

//go:embed lua/forget_positions.lua
var forgetPositionsBody string

//go:embed lua/forget_need.lua
var forgetNeedBody string

var (
	eraseScript           = newScript("erase.lua", eraseBody, indexLib)
	forgetPositionsScript = newScript("forget_positions.lua", forgetPositionsBody, indexLib)
	// It includes no library: it touches one need and its feedback.
	forgetNeedScript = newScript("forget_need.lua", forgetNeedBody)
)

var _ mobilize.PrivacyStore = (*Store)(nil)

// needsNaming lists the needs that ever offered rid something (their
// asked sets hold everyone ever offered them), by one pass over the
// region's asked sets: erasure and export are rare, so no reverse index
// is kept for them.
func (s *Store) needsNaming(ctx context.Context, rid mobilize.ResponderID) ([]string, error) {
	return s.scanSets(ctx, s.NeedStore.keys.need(""), ":asked", string(rid))
}

// scanSets returns the middle part of the names of the sets named
// prefix + * + suffix that hold member.
func (s *Store) scanSets(ctx context.Context, prefix, suffix, member string) ([]string, error) {
	c, err := s.NeedStore.node(ctx)
	if err != nil {
		return nil, err
	}
	var keys []string
	iter := c.Scan(ctx, 0, globEscape(prefix)+"*"+globEscape(suffix), queryChunk).Iterator()
	for iter.Next(ctx) {
		keys = append(keys, iter.Val())
	}
	if err := iter.Err(); err != nil {
		return nil, fmt.Errorf("scan %s*%s: %w", prefix, suffix, err)
	}
	var out []string
	for start := 0; start < len(keys); start += queryChunk {
		part := keys[start:min(start+queryChunk, len(keys))]
		pipe := s.NeedStore.rdb.Pipeline()
		cmds := make([]*redis.BoolCmd, len(part))
		for i, k := range part {
			cmds[i] = pipe.SIsMember(ctx, k, member)
		}
		if _, err := pipe.Exec(ctx); err != nil {
			return nil, fmt.Errorf("scan %s*%s: %w", prefix, suffix, err)
		}
		for i, c := range cmds {
			if c.Val() {
				out = append(out, strings.TrimSuffix(strings.TrimPrefix(part[i], prefix), suffix))
			}
		}
	}
	return out, nil
}

// PersonalData gathers everything the region's keys hold about rid.
func (s *Store) PersonalData(ctx context.Context, rid mobilize.ResponderID, hoursCap time.Duration) (mobilize.PersonalData, error) {
	if err := validID(rid); err != nil {
		return mobilize.PersonalData{}, err
	}
	var out mobilize.PersonalData
	var err error
	if out.Responder, out.Presence, err = s.Responder(ctx, rid); err != nil {
		return mobilize.PersonalData{}, err
	}
	k := s.NeedStore.keys
	pipe := s.NeedStore.rdb.Pipeline()
	load := pipe.HGet(ctx, k.load(), string(rid))
	fatigue := pipe.HGet(ctx, k.fatigue(), string(rid))
	fair := pipe.HGet(ctx, k.fairload(), string(rid))
	rel := pipe.HGet(ctx, k.reliability(), reliabilityField("r", string(rid)))
	if _, err := pipe.Exec(ctx); err != nil && !errors.Is(err, redis.Nil) {
		return mobilize.PersonalData{}, fmt.Errorf("personal data of %s: %w", rid, err)
	}
	if f := strings.Split(load.Val(), "|"); len(f) == 4 {
		out.PendingOffer, out.OnDuty = mobilize.OfferID(f[0]), f[3] == "1"
		out.Accepted, _ = strconv.Atoi(f[1])
	}
	out.Fatigue, out.FairLoad = fatigue.Val(), fair.Val()
	out.Reliability, out.HasReliability = parseReliability(rel.Val())

	needs, err := s.needsNaming(ctx, rid)
	if err != nil {
		return mobilize.PersonalData{}, err
	}
	for _, id := range needs {
		n, err := s.Need(ctx, mobilize.NeedID(id))
		if errors.Is(err, mobilize.ErrNotFound) {
			continue
		}
		if err != nil {
			return mobilize.PersonalData{}, err
		}
		for _, a := range n.Assignments {
			if a.ResponderID == rid {
				out.Offers = append(out.Offers, mobilize.OfferRecord{Need: n.ID, Category: n.Category, Lead: n.LeadID == rid, Assignment: a})
			}
		}
	}
	if out.Ledger, err = s.Ledger(ctx, rid, hoursCap); err != nil {
		return mobilize.PersonalData{}, err
	}
	rated := make([]mobilize.NeedID, len(out.Ledger))
	for i, e := range out.Ledger {
		rated[i] = e.Need
	}
	fbs, err := s.Feedbacks(ctx, rated)
	if err != nil {
		return mobilize.PersonalData{}, err
	}
	for _, e := range out.Ledger {
		if fb, ok := fbs[e.Need]; ok {
			out.Feedback = append(out.Feedback, fb)
			delete(fbs, e.Need) // a need once, however many entries
		}
	}
	if out.Organisations, err = s.scanSets(ctx, k.base+"org:", ":members", string(rid)); err != nil {
		return mobilize.PersonalData{}, err
	}
	return out, nil
}

// Erase runs erase.lua over the needs that name rid. A need that offers
// rid something between the scan and the script holds a pending offer,
// which the script refuses, so no need is missed.
func (s *Store) Erase(ctx context.Context, rid, pseudonym mobilize.ResponderID) (mobilize.EraseOutcome, error) {
	if err := validID(rid); err != nil {
		return "", err
	}
	if err := validID(pseudonym); err != nil {
		return "", err
	}
	r, err := s.profile(ctx, rid)
	if errors.Is(err, mobilize.ErrNotFound) {
		r = mobilize.Responder{} // the script says unknown or already
	} else if err != nil {
		return "", err
	}
	kept, err := json.Marshal(map[string]any{"id": pseudonym, "role": r.Role, "org_id": r.OrgID, "created_at": r.CreatedAt, "erased": true})
	if err != nil {
		return "", err
	}
	needs, err := s.needsNaming(ctx, rid)
	if err != nil {
		return "", err
	}
	args := s.NeedStore.argv(string(rid), string(pseudonym), string(kept), r.Name, r.Phone)
	for _, n := range needs {
		args = append(args, n)
	}
	out, err := eraseScript.Run(ctx, s.NeedStore.rdb, s.NeedStore.scriptKeys, args...).Text()
	if err != nil {
		return "", fmt.Errorf("erase %s: %w", rid, err)
	}
	// The devices' push subscriptions (push.go) go too; after the script,
	// so that a refused erasure keeps them, and on "already", so that an
	// erasure cut short here is finished by calling again.
	if o := mobilize.EraseOutcome(out); o == mobilize.EraseOK || o == mobilize.EraseAlready {
		if err := s.NeedStore.rdb.Del(ctx, s.NeedStore.keys.pushSubs(string(rid))).Err(); err != nil {
			return "", fmt.Errorf("erase %s: push subscriptions: %w", rid, err)
		}
	}
	return mobilize.EraseOutcome(out), nil
}

// ForgetPositions drops the positions last reported before cutoff among
// the (about) limit index records from cursor.
func (s *Store) ForgetPositions(ctx context.Context, cutoff time.Time, cursor uint64, limit int) (int, uint64, error) {
	ix := s.Index
	kv, next, err := ix.rdb.HScan(ctx, ix.keys.pos(), cursor, "", int64(limit)).Result()
	if err != nil {
		return 0, cursor, fmt.Errorf("forget positions: %w", err)
	}
	cut := cutoff.UnixMilli()
	var old []any
	for i := 0; i+1 < len(kv); i += 2 {
		f := strings.SplitN(kv[i+1], "|", 10)
		if len(f) != 10 || f[4] == "" {
			continue
		}
		if ms, err := strconv.ParseInt(f[4], 10, 64); err == nil && ms < cut {
			old = append(old, kv[i])
		}
	}
	forgotten := 0
	for len(old) > 0 {
		batch := old[:min(len(old), sweepBatch)]
		old = old[len(batch):]
		args := append([]any{ix.keys.cellPrefix(), cut}, batch...)
		n, err := forgetPositionsScript.Run(ctx, ix.rdb, ix.scriptKeys, args...).Int()
		if err != nil {
			return forgotten, cursor, fmt.Errorf("forget positions: %w", err)
		}
		forgotten += n
	}
	return forgotten, next, nil
}

// coarseRes is the resolution a forgotten need's place is kept at: a
// res-7 cell (about 5 km²), enough for the statistics by district.
const coarseRes = 7

// ForgetNeedDetails strips the description and exact place of needs
// closed before cutoff, their feedback comment, their team thread and the
// reasons given for far arrivals, among the (about)
// limit keys from cursor; category, team, times and counts stay.
func (s *Store) ForgetNeedDetails(ctx context.Context, cutoff time.Time, cursor uint64, limit int) (int, uint64, error) {
	ns := s.NeedStore
	c, err := ns.node(ctx)
	if err != nil {
		return 0, cursor, err
	}
	prefix := ns.keys.need("")
	keys, next, err := c.Scan(ctx, cursor, globEscape(prefix)+"*", int64(limit)).Result()
	if err != nil {
		return 0, cursor, fmt.Errorf("forget need details: %w", err)
	}
	var ids []string
	for _, k := range keys {
		if id := strings.TrimPrefix(k, prefix); id != "" && !strings.Contains(id, ":") {
			ids = append(ids, id)
		}
	}
	pipe := ns.rdb.Pipeline()
	cmds := make([]*redis.SliceCmd, len(ids))
	for i, id := range ids {
		cmds[i] = pipe.HMGet(ctx, ns.keys.need(id), "status", "closed_at", "forgotten", "data")
	}
	if _, err := pipe.Exec(ctx); err != nil && !errors.Is(err, redis.Nil) {
		return 0, cursor, fmt.Errorf("forget need details: %w", err)
	}
	forgotten := 0
	for i, cmd := range cmds {
		v := cmd.Val()
		status, _ := v[0].(string)
		closed, _ := v[1].(string)
		done, _ := v[2].(string)
		data, _ := v[3].(string)
		at := msTime(closed)
		if done != "" || data == "" || !mobilize.NeedStatus(status).Terminal() || at.IsZero() || !at.Before(cutoff) {
			continue
		}
		stripped, err := stripNeed(data)
		if err != nil {
			return forgotten, cursor, fmt.Errorf("forget need %s: %w", ids[i], err)
		}
		n, err := forgetNeedScript.Run(ctx, ns.rdb, []string{ns.keys.need(ids[i]), ns.keys.feedback(ids[i]),
			ns.keys.needThread(ids[i]), ns.keys.needRead(ids[i]), ns.keys.needField(ids[i])}, data, stripped, ns.now().UnixMilli()).Int()
		if err != nil {
			return forgotten, cursor, fmt.Errorf("forget need %s: %w", ids[i], err)
		}
		forgotten += n
	}
	return forgotten, next, nil
}

// stripNeed is a need's data without its personal details: no
// description, requester's phone, reporters, notes or address, the place
// moved to the centre of its res-7 cell.
func stripNeed(data string) (string, error) {
	var sn storedNeed
	if err := json.Unmarshal([]byte(data), &sn); err != nil {
		return "", fmt.Errorf("corrupt data: %w", err)
	}
	sn.Description, sn.RequesterPhone = "", ""
	sn.Contacts, sn.Notes, sn.Address = nil, nil, "" // review.go: what reporters said of themselves
	p, err := geo.NewPoint(sn.Lat, sn.Lng)
	if err != nil {
		return "", fmt.Errorf("corrupt position: %w", err)
	}
	cell, err := geo.CellAt(p, coarseRes)
	if err != nil {
		return "", err
	}
	centre := cell.Centre()
	sn.Lat, sn.Lng = geo.Lat(centre), geo.Lng(centre)
	out, err := json.Marshal(sn)
	return string(out), err
}

// The API's records about a person (Access): the audit entries that name
// them, and the answers kept for idempotent retries.

// AuditAbout returns the audit entries whose target is id or one of its
// records ("id/..."), oldest first, reading the whole log.
func (a *Access) AuditAbout(ctx context.Context, id string) ([]mobilize.AuditEntry, error) {
	var out []mobilize.AuditEntry
	err := a.eachAudit(ctx, func(m redis.XMessage) error {
		if t, _ := m.Values["target"].(string); t == id || strings.HasPrefix(t, id+"/") {
			out = append(out, auditEntryOf(m))
		}
		return nil
	})
	return out, err
}

func auditEntryOf(m redis.XMessage) mobilize.AuditEntry {
	fields := make(map[string]string, len(m.Values))
	for k, v := range m.Values {
		fields[k], _ = v.(string)
	}
	return mobilize.AuditEntry{ID: m.ID, Fields: fields}
}

// eachAudit reads the audit log oldest first, a page at a time.
func (a *Access) eachAudit(ctx context.Context, f func(m redis.XMessage) error) error {
	from := "-"
	for {
		msgs, err := a.rdb.XRangeN(ctx, a.keys.audit(), from, "+", queryChunk).Result()
		if err != nil {
			return fmt.Errorf("read audit: %w", err)
		}
		for _, m := range msgs {
			if err := f(m); err != nil {
				return err
			}
		}
		if len(msgs) < queryChunk {
			return nil
		}
		from = "(" + msgs[len(msgs)-1].ID
	}
}

// PseudonymiseAudit replaces from with to in every value of every audit
// entry. A stream entry cannot be edited, and one deleted cannot be
// written again under its id (XADD takes an explicit id only above the
// last), so the log is copied, ids kept, into a new key that
// then replaces it; entries appended meanwhile are carried over in the
// transaction that renames, watched on the log. It returns how many
// values changed.
func (a *Access) PseudonymiseAudit(ctx context.Context, from, to string) (int, error) {
	if from == "" || strings.Contains(to, from) {
		return 0, fmt.Errorf("pseudonymise audit %q -> %q: %w", from, to, mobilize.ErrInvalid)
	}
	changed := 0
	var entries []redis.XMessage
	err := a.eachAudit(ctx, func(m redis.XMessage) error {
		for _, v := range m.Values {
			if s, _ := v.(string); replaceID(s, from, to) != s {
				changed++
			}
		}
		entries = append(entries, m)
		return nil
	})
	if err != nil || changed == 0 {
		return 0, err
	}
	// Each erasure copies into a key of its own, so that two at once
	// cannot rename each other's copy.
	tmp := a.keys.audit() + ":rewrite:" + to
	last := entries[len(entries)-1].ID
	pipe := a.rdb.TxPipeline()
	pipe.Del(ctx, tmp)
	for _, m := range entries {
		pipe.XAdd(ctx, &redis.XAddArgs{Stream: tmp, ID: m.ID, Values: auditValues(m.Values, from, to)})
	}
	if _, err := pipe.Exec(ctx); err != nil {
		a.rdb.Del(context.WithoutCancel(ctx), tmp)
		return 0, fmt.Errorf("pseudonymise audit: %w", err)
	}
	// Entries appended since the read are copied too, and the copy
	// replaces the log, in one transaction watched on the log; staff keep
	// appending, so a transaction that lost the race is tried again.
	for attempt := 0; ; attempt++ {
		err = a.rdb.Watch(ctx, func(tx *redis.Tx) error {
			late, err := tx.XRange(ctx, a.keys.audit(), "("+last, "+").Result()
			if err != nil {
				return err
			}
			_, err = tx.TxPipelined(ctx, func(p redis.Pipeliner) error {
				for _, m := range late {
					p.XAdd(ctx, &redis.XAddArgs{Stream: tmp, ID: m.ID, Values: auditValues(m.Values, from, to)})
				}
				p.Rename(ctx, tmp, a.keys.audit())
				return nil
			})
			return err
		}, a.keys.audit())
		if !errors.Is(err, redis.TxFailedErr) || attempt == 9 {
			break
		}
	}
	if err != nil {
		a.rdb.Del(context.WithoutCancel(ctx), tmp)
		return 0, fmt.Errorf("pseudonymise audit: %w", err)
	}
	return changed, nil
}

// auditValues are an entry's fields in a stable order with from replaced
// by to.
func auditValues(fields map[string]any, from, to string) []any {
	values := make([]any, 0, 2*len(fields))
	for _, k := range sortedKeys(fields) {
		v, _ := fields[k].(string)
		values = append(values, k, replaceID(v, from, to))
	}
	return values
}

// replaceID replaces id in s where it stands as a whole id, not as the
// start or end of a longer one (batch ids r…-1 and r…-10).
func replaceID(s, id, to string) string {
	var b strings.Builder
	for {
		i := strings.Index(s, id)
		if i < 0 {
			b.WriteString(s)
			return b.String()
		}
		end := i + len(id)
		whole := (i == 0 || !idByte(s[i-1])) && (end == len(s) || !idByte(s[end]))
		b.WriteString(s[:i])
		if whole {
			b.WriteString(to)
		} else {
			b.WriteString(id)
		}
		s = s[end:]
	}
}

func idByte(c byte) bool {
	return c == '-' || c == '_' || c >= '0' && c <= '9' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z'
}

func sortedKeys(m map[string]any) []string {
	// Entries are written as at, actor, role, action, ...; any stable
	// order keeps them readable, since readers look fields up by name.
	keys := make([]string, 0, len(m))
	for _, k := range []string{"at", "actor", "role", "action", "org_id", "target", "count", "reason"} {
		if _, ok := m[k]; ok {
			keys = append(keys, k)
		}
	}
	for k := range m {
		switch k {
		case "at", "actor", "role", "action", "org_id", "target", "count", "reason":
		default:
			keys = append(keys, k)
		}
	}
	return keys
}

// ForgetIdempotency deletes the kept answers that mention needle (a
// registration's answer holds the person's name, phone and token), by one
// pass over the region's idempotency records. It returns how many.
func (a *Access) ForgetIdempotency(ctx context.Context, needle string) (int, error) {
	if needle == "" {
		return 0, fmt.Errorf("forget idempotency: empty needle: %w", mobilize.ErrInvalid)
	}
	var c redis.Cmdable = a.rdb
	if cc, ok := a.rdb.(*redis.ClusterClient); ok {
		n, err := cc.MasterForKey(ctx, a.keys.audit())
		if err != nil {
			return 0, fmt.Errorf("find region node: %w", err)
		}
		c = n
	}
	n := 0
	iter := c.Scan(ctx, 0, globEscape(a.keys.idempotency(""))+"*", queryChunk).Iterator()
	for iter.Next(ctx) {
		v, err := a.rdb.Get(ctx, iter.Val()).Result()
		if errors.Is(err, redis.Nil) {
			continue
		}
		if err != nil {
			return n, fmt.Errorf("forget idempotency: %w", err)
		}
		if strings.Contains(v, needle) {
			if err := a.rdb.Del(ctx, iter.Val()).Err(); err != nil {
				return n, fmt.Errorf("forget idempotency: %w", err)
			}
			n++
		}
	}
	if err := iter.Err(); err != nil {
		return n, fmt.Errorf("forget idempotency: %w", err)
	}
	return n, nil
}
