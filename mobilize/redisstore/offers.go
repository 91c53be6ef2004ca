package redisstore

import (
	"context"
	_ "embed"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/liandong/liandong/mobilize"
)

//go:embed lua/offer.lua
var offerBody string

//go:embed lua/answer.lua
var answerBody string

//go:embed lua/close.lua
var closeBody string

//go:embed lua/complete.lua
var completeBody string

var (
	offerScript    = newScript("offer.lua", offerBody, indexLib, recognitionLib, suppliesLib, fairloadLib, mobilizeLib)
	answerScript   = newScript("answer.lua", answerBody, indexLib, recognitionLib, suppliesLib, fairloadLib, mobilizeLib)
	closeScript    = newScript("close.lua", closeBody, indexLib, recognitionLib, suppliesLib, fairloadLib, mobilizeLib)
	completeScript = newScript("complete.lua", completeBody, indexLib, recognitionLib, suppliesLib, fairloadLib, mobilizeLib)
)

// knownOutcome is an outcome type of package mobilize.
type knownOutcome interface {
	~string
	Known() bool
}

// parseOutcome reads a script's outcome into its type. A value this build
// does not know (a script changed without the Go beside it) is an error:
// passed on, it would fall through its callers' switches as if nothing
// had happened.
func parseOutcome[T knownOutcome](v string) (T, error) {
	o := T(v)
	if !o.Known() {
		var zero T
		return zero, fmt.Errorf("the script answered %q, an outcome this server does not know", v)
	}
	return o, nil
}

// parseOfferOutcome reads one claim's outcome; a failed claim is reported
// as "script_error: " and the error, which is not kept.
func parseOfferOutcome(v string) (mobilize.OfferOutcome, error) {
	if strings.HasPrefix(v, string(mobilize.OfferFailed)+": ") {
		return mobilize.OfferFailed, nil
	}
	return parseOutcome[mobilize.OfferOutcome](v)
}

// Offer claims the responder atomically: it succeeds only while the person
// is available, fresh, of the slot's role and not asked before for this
// need, and the slot still has room. It returns OfferOK or why not.
func (s *NeedStore) Offer(ctx context.Context, o mobilize.OfferRequest) (mobilize.OfferOutcome, error) {
	out, err := s.OfferMany(ctx, []mobilize.OfferRequest{o})
	if err != nil {
		return "", err
	}
	return out[0], nil
}

// maxOfferBatch bounds the claims of one script call, so that a call
// holds Redis for about a millisecond at most.
const maxOfferBatch = 100

// OfferMany claims a batch: up to maxOfferBatch claims per script call, all
// calls in one pipeline (one round trip). Each claim is atomic on its own,
// and they apply in order, so a later claim sees an earlier one's effect.
// Outcomes are in request order.
func (s *NeedStore) OfferMany(ctx context.Context, os []mobilize.OfferRequest) ([]mobilize.OfferOutcome, error) {
	if len(os) == 0 {
		return nil, nil
	}
	if err := offerScript.Load(ctx, s.rdb).Err(); err != nil {
		return nil, fmt.Errorf("offer batch: %w", err)
	}
	pipe := s.rdb.Pipeline()
	var cmds []*redis.Cmd
	now := s.now()
	fence, err := fenceArg(os)
	if err != nil {
		return nil, fmt.Errorf("offer batch: %w", err)
	}
	for lo := 0; lo < len(os); lo += maxOfferBatch {
		args := s.argv()
		for _, o := range os[lo:min(len(os), lo+maxOfferBatch)] {
			args = append(args, string(o.Need), o.TeamIndex, string(o.Responder), string(o.OfferID),
				now.Add(o.TTL).UnixMilli(), strconv.FormatFloat(o.DistanceMeters, 'f', 1, 64), string(o.Reason), max(o.Wave, 1))
		}
		args = append(args, fence) // last: offer.lua takes it off first
		cmds = append(cmds, offerScript.EvalSha(ctx, pipe, s.scriptKeys, args...))
	}
	if _, err := pipe.Exec(ctx); err != nil {
		return partialOffers(os, cmds, err)
	}
	out := make([]mobilize.OfferOutcome, 0, len(os))
	for _, c := range cmds {
		outcomes, err := c.StringSlice()
		if err != nil {
			return nil, fmt.Errorf("offer batch: %w", err)
		}
		for _, v := range outcomes {
			o, err := parseOfferOutcome(v)
			if err != nil {
				return nil, fmt.Errorf("offer batch: %w", err)
			}
			out = append(out, o)
		}
	}
	if len(out) != len(os) {
		return nil, fmt.Errorf("offer batch: %d outcomes for %d claims", len(out), len(os))
	}
	return out, nil
}

// partialOffers reads what a failed pipeline did: the script calls that
// answered made their claims, and those responders must hear of them
// (else each sits out an offer it never saw until it expires); the claims
// of a call without an answer are OfferFailed. err is returned with them.
func partialOffers(os []mobilize.OfferRequest, cmds []*redis.Cmd, err error) ([]mobilize.OfferOutcome, error) {
	err = fmt.Errorf("offer batch: %w", err)
	out := make([]mobilize.OfferOutcome, 0, len(os))
	known := 0
	for i, c := range cmds {
		chunk := min(len(os), (i+1)*maxOfferBatch) - i*maxOfferBatch
		vals, cerr := c.StringSlice()
		if cerr != nil || len(vals) != chunk {
			for range chunk {
				out = append(out, mobilize.OfferFailed)
			}
			continue
		}
		for _, v := range vals {
			o, perr := parseOfferOutcome(v)
			if perr != nil {
				o = mobilize.OfferFailed
			}
			out = append(out, o)
		}
		known++
	}
	if known == 0 {
		return nil, err
	}
	return out, err
}

// fenceArg is the fencing epoch that ends each offer.lua call's
// arguments: one per batch, since one matcher tick claims under one lease
// epoch; "-" for claims no lease concerns (mobilize.NoFence).
func fenceArg(os []mobilize.OfferRequest) (string, error) {
	f := os[0].Fence
	for _, o := range os[1:] {
		if o.Fence != f {
			return "", fmt.Errorf("claims of lease epochs %d and %d in one batch: %w", f, o.Fence, mobilize.ErrInvalid)
		}
	}
	switch {
	case f == mobilize.NoFence:
		return "-", nil
	case f < 0:
		return "", fmt.Errorf("lease epoch %d: %w", f, mobilize.ErrInvalid)
	}
	return strconv.FormatInt(f, 10), nil
}

// Answer applies a responder's verb (accept, decline or expire). An empty
// responder id skips the ownership check (operators, expiry).
func (s *NeedStore) Answer(ctx context.Context, offerID mobilize.OfferID, rid mobilize.ResponderID, verb string) (mobilize.Answer, error) {
	args := s.argv(string(offerID), string(rid), verb, s.localHour())
	var vals []string
	var err error
	if cc, ok := s.rdb.(*redis.ClusterClient); ok && verb == "accept" && s.waitReplicas > 0 {
		var acked int64
		vals, acked, err = s.answerWaited(ctx, cc, args)
		if err == nil && acked < 1 {
			s.waitShort.Add(1)
		}
	} else {
		vals, err = answerScript.Run(ctx, s.rdb, s.scriptKeys, args...).StringSlice()
	}
	if err != nil {
		return mobilize.Answer{}, fmt.Errorf("%s offer %s: %w", verb, offerID, err)
	}
	a, err := parseAnswer(offerID, vals)
	if err != nil {
		return mobilize.Answer{}, fmt.Errorf("%s offer %s: %w", verb, offerID, err)
	}
	return a, nil
}

// parseAnswer reads the answer script's reply: outcome, need, lead, ...,
// responder, then withdrawn offer and responder pairs.
func parseAnswer(offerID mobilize.OfferID, vals []string) (mobilize.Answer, error) {
	if len(vals) == 0 {
		return mobilize.Answer{}, errors.New("empty reply from the script")
	}
	outcome, err := parseOutcome[mobilize.AnswerOutcome](vals[0])
	if err != nil {
		return mobilize.Answer{}, err
	}
	a := mobilize.Answer{Outcome: outcome, OfferID: offerID}
	if len(vals) > 1 {
		a.Need = mobilize.NeedID(vals[1])
	}
	if outcome == mobilize.AnswerNotPending && len(vals) > 2 {
		a.State = mobilize.AssignmentState(vals[2])
		return a, nil
	}
	if len(vals) > 4 {
		a.Lead, a.Responder = mobilize.ResponderID(vals[2]), mobilize.ResponderID(vals[4])
		for i := 5; i+1 < len(vals); i += 2 {
			a.Withdrawn = append(a.Withdrawn, mobilize.Withdrawal{OfferID: mobilize.OfferID(vals[i]), Responder: mobilize.ResponderID(vals[i+1]), WasState: mobilize.AssignOffered})
		}
	}
	return a, nil
}

// ExpireDue expires up to limit offers whose time has passed.
func (s *NeedStore) ExpireDue(ctx context.Context, limit int) ([]mobilize.Answer, error) {
	due, err := s.rdb.ZRangeByScore(ctx, s.keys.offersExp(), &redis.ZRangeBy{Min: "-inf", Max: strconv.FormatInt(s.now().UnixMilli(), 10), Count: int64(limit)}).Result()
	if err != nil {
		return nil, fmt.Errorf("expire offers: %w", err)
	}
	if len(due) == 0 {
		return nil, nil
	}
	// Each expiry is its own atomic script; they travel in one pipeline.
	if err := answerScript.Load(ctx, s.rdb).Err(); err != nil {
		return nil, fmt.Errorf("expire offers: %w", err)
	}
	pipe := s.rdb.Pipeline()
	cmds := make([]*redis.Cmd, len(due))
	for i, oid := range due {
		cmds[i] = answerScript.EvalSha(ctx, pipe, s.scriptKeys, s.argv(oid, "", "expire", s.localHour())...)
	}
	_, _ = pipe.Exec(ctx)
	var out []mobilize.Answer
	for i, c := range cmds {
		vals, err := c.StringSlice()
		if err != nil {
			return out, fmt.Errorf("expire offer %s: %w", due[i], err)
		}
		a, err := parseAnswer(mobilize.OfferID(due[i]), vals)
		if err != nil {
			return out, fmt.Errorf("expire offer %s: %w", due[i], err)
		}
		if a.Outcome == mobilize.AnswerExpired {
			out = append(out, a)
		}
	}
	return out, nil
}

// Close cancels a need (status cancelled) or marks it unstaffed after its
// deadline (status unstaffed); every offer is withdrawn, everyone released.
func (s *NeedStore) Close(ctx context.Context, id mobilize.NeedID, status mobilize.NeedStatus) (mobilize.Closed, error) {
	vals, err := closeScript.Run(ctx, s.rdb, s.scriptKeys, s.argv(string(id), string(status))...).StringSlice()
	if err != nil {
		return mobilize.Closed{}, fmt.Errorf("close need %s: %w", id, err)
	}
	if len(vals) == 0 {
		return mobilize.Closed{}, fmt.Errorf("close need %s: empty reply from the script", id)
	}
	outcome, err := parseOutcome[mobilize.CloseOutcome](vals[0])
	if err != nil {
		return mobilize.Closed{}, fmt.Errorf("close need %s: %w", id, err)
	}
	c := mobilize.Closed{Outcome: outcome}
	for i := 1; i+2 < len(vals); i += 3 {
		c.Withdrawn = append(c.Withdrawn, mobilize.Withdrawal{OfferID: mobilize.OfferID(vals[i]), Responder: mobilize.ResponderID(vals[i+1]), WasState: mobilize.AssignmentState(vals[i+2])})
	}
	return c, nil
}

// Complete records that one member finished; it returns the outcome and
// when that member had accepted, for the hours ledger.
func (s *NeedStore) Complete(ctx context.Context, id mobilize.NeedID, rid mobilize.ResponderID) (mobilize.CompleteOutcome, time.Time, error) {
	vals, err := completeScript.Run(ctx, s.rdb, s.scriptKeys, s.argv(string(id), string(rid))...).StringSlice()
	if err != nil {
		return "", time.Time{}, fmt.Errorf("complete need %s: %w", id, err)
	}
	if len(vals) == 0 {
		return "", time.Time{}, fmt.Errorf("complete need %s: empty reply from the script", id)
	}
	outcome, err := parseOutcome[mobilize.CompleteOutcome](vals[0])
	if err != nil {
		return "", time.Time{}, fmt.Errorf("complete need %s: %w", id, err)
	}
	var at time.Time
	if len(vals) > 1 {
		at = msTime(vals[1])
	}
	return outcome, at, nil
}

//go:embed lua/shortfall.lua
var shortfallBody string

var shortfallScript = newScript("shortfall.lua", shortfallBody)

// SetShortfall records why a team entry is short, for the API and console,
// on a need that still exists (shortfall.lua).
func (s *NeedStore) SetShortfall(ctx context.Context, id mobilize.NeedID, teamIndex int, r mobilize.Reason) error {
	field := "short" + strconv.Itoa(teamIndex)
	return shortfallScript.Run(ctx, s.rdb, []string{s.keys.need(string(id))}, field, string(r)).Err()
}

// PendingOffer returns the offer the responder has not answered yet, if
// any; found is false when there is none (or it ended meanwhile).
func (s *NeedStore) PendingOffer(ctx context.Context, rid mobilize.ResponderID) (po mobilize.PendingOffer, found bool, err error) {
	raw, err := s.rdb.HGet(ctx, s.keys.load(), string(rid)).Result()
	if errors.Is(err, redis.Nil) {
		return po, false, fmt.Errorf("pending offer of %s: %w", rid, mobilize.ErrNotFound)
	}
	if err != nil {
		return po, false, fmt.Errorf("pending offer of %s: %w", rid, err)
	}
	oid, _, _ := strings.Cut(raw, "|")
	if oid == "" {
		return po, false, nil
	}
	need, err := s.rdb.HGet(ctx, s.keys.offers(), oid).Result()
	if errors.Is(err, redis.Nil) {
		return po, false, nil
	}
	if err != nil {
		return po, false, fmt.Errorf("pending offer of %s: %w", rid, err)
	}
	n, err := s.Need(ctx, mobilize.NeedID(need))
	if errors.Is(err, mobilize.ErrNotFound) {
		return po, false, nil
	}
	if err != nil {
		return po, false, err
	}
	for _, a := range n.Assignments {
		if a.OfferID == mobilize.OfferID(oid) && a.ResponderID == rid && a.State == mobilize.AssignOffered {
			return mobilize.PendingOffer{Need: n, Assignment: a}, true, nil
		}
	}
	return po, false, nil
}

// Jobs returns the needs the responder accepted and has not finished, each
// with the responder's assignment, oldest need first.
func (s *NeedStore) Jobs(ctx context.Context, rid mobilize.ResponderID) ([]mobilize.Job, error) {
	if err := s.rdb.HGet(ctx, s.keys.load(), string(rid)).Err(); errors.Is(err, redis.Nil) {
		return nil, fmt.Errorf("jobs of %s: %w", rid, mobilize.ErrNotFound)
	} else if err != nil {
		return nil, fmt.Errorf("jobs of %s: %w", rid, err)
	}
	ids, err := s.rdb.SMembers(ctx, s.keys.jobs(string(rid))).Result()
	if err != nil {
		return nil, fmt.Errorf("jobs of %s: %w", rid, err)
	}
	needIDs := make([]mobilize.NeedID, len(ids))
	for i, id := range ids {
		needIDs[i] = mobilize.NeedID(id)
	}
	needs, err := s.Needs(ctx, needIDs)
	if err != nil {
		return nil, err
	}
	out := []mobilize.Job{}
	for _, n := range needs {
		for _, a := range n.Assignments {
			if a.ResponderID == rid && a.State == mobilize.AssignAccepted {
				out = append(out, mobilize.Job{Need: n, Assignment: a})
				break
			}
		}
	}
	slices.SortFunc(out, func(a, b mobilize.Job) int { return a.Need.CreatedAt.Compare(b.Need.CreatedAt) })
	return out, nil
}
