package mobilize

import "context"

// ReliabilityStore is what the matcher reads of reliability, when the
// store keeps it; a store without it leaves the score term out.
type ReliabilityStore interface {
	Reliability(ctx context.Context, ids []ResponderID) (map[ResponderID]ReliabilityRecord, error)
}

// reliability reads the candidates' records, if the store keeps them.
func (m *Matcher) reliability(ctx context.Context, ids []ResponderID) (map[ResponderID]ReliabilityRecord, error) {
	rs, ok := m.store.(ReliabilityStore)
	if !ok || m.cfg.PenaltyUnreliable < 0 || len(ids) == 0 {
		return nil, nil
	}
	return rs.Reliability(ctx, ids)
}

// unreliablePenaltyMillis is the reliability term of the cost: nothing
// for a newcomer or better, up to PenaltyUnreliable for a score of 0.
func (m *Matcher) unreliablePenaltyMillis(r ReliabilityRecord) int64 {
	if m.cfg.PenaltyUnreliable <= 0 {
		return 0
	}
	return int64(r.UnreliabilityShare() * float64(m.cfg.PenaltyUnreliable.Milliseconds()))
}
