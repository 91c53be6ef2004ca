package loadtest

import (
	"encoding/json"
	"time"

	"github.com/liandong/liandong/realtime/wire"
)

// envelope is the one websocket message shape (docs/PROTOCOL.md, "The
// envelope"). The harness has
// its own copy rather than the server's type: a drill must fail when the
// envelope changes, not silently follow the server. The payloads inside
// are the protocol's own types (realtime/wire), whose JSON a test there
// pins to the v1 contract.
type envelope struct {
	V    int             `json:"v"`
	Type string          `json:"type"`
	ID   string          `json:"id,omitempty"`
	TS   string          `json:"ts,omitempty"`
	Data json.RawMessage `json:"data,omitempty"`
}

// encodeEnvelope builds one client message. The id of an answer names the
// offer, so that an error the server echoes back can be tied to it.
func encodeEnvelope(typ, id string, data any, now time.Time) ([]byte, error) {
	raw, err := json.Marshal(data)
	if err != nil {
		return nil, err
	}
	return json.Marshal(envelope{V: 1, Type: typ, ID: id, TS: now.UTC().Format(time.RFC3339Nano), Data: raw})
}

// parseTS reads a server timestamp; zero when absent or malformed, so a
// bad clock field costs one latency sample, not the phone.
func parseTS(s string) time.Time {
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		return time.Time{}
	}
	return t
}

// isInbox reports whether a message type is kept in the durable inbox and
// so carries the stream position to resume from.
func isInbox(typ string) bool {
	switch typ {
	case wire.TypeOffer, wire.TypeOfferWithdrawn, wire.TypeAssignment,
		wire.TypeAlert, wire.TypeStandby, wire.TypeFieldStatus, wire.TypeMessage,
		wire.TypeNudge:
		return true
	}
	return false
}
