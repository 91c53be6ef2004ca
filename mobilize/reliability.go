package mobilize

import "context"

// ReliabilityStore is what the matcher reads of reliability; a matcher
// built without one leaves the score term out.
type ReliabilityStore interface {
	Reliability(ctx context.Context, ids []ResponderID) (map[ResponderID]ReliabilityRecord, error)
}

// reliabilityOf reads the candidates' records, when reliability weighs.
func (m *Matcher) reliabilityOf(ctx context.Context, ids []ResponderID) (map[ResponderID]ReliabilityRecord, error) {
	if m.reliability == nil || m.cfg.PenaltyUnreliable <= 0 || len(ids) == 0 {
		return nil, nil
	}
	return m.reliability.Reliability(ctx, ids)
}

// unreliablePenaltyMillis is the reliability term of the cost: nothing
// for a newcomer or better, up to PenaltyUnreliable for a score of 0.
func (m *Matcher) unreliablePenaltyMillis(r ReliabilityRecord) int64 {
	if m.cfg.PenaltyUnreliable <= 0 {
		return 0
	}
	return int64(r.UnreliabilityShare() * float64(m.cfg.PenaltyUnreliable.Milliseconds()))
}
