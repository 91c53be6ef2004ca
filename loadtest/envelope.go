package loadtest

import (
	"encoding/json"
	"time"
)

// envelope is the one websocket message shape of API.md. The harness has
// its own copy rather than the server's type: a drill must fail when the
// wire changes, not silently follow the server.
type envelope struct {
	V    int             `json:"v"`
	Type string          `json:"type"`
	ID   string          `json:"id,omitempty"`
	TS   string          `json:"ts,omitempty"`
	Data json.RawMessage `json:"data,omitempty"`
}

// Server -> client payloads the phones read.
type (
	offerMsg struct {
		OfferID     string  `json:"offer_id"`
		NeedID      string  `json:"need_id"`
		Role        string  `json:"role"`
		Category    string  `json:"category"`
		Urgency     int     `json:"urgency"`
		Lat         float64 `json:"lat"`
		Lng         float64 `json:"lng"`
		DistanceM   float64 `json:"distance_m"`
		ExpiresAt   string  `json:"expires_at"`
		Description string  `json:"description"`
	}
	withdrawnMsg struct {
		OfferID string `json:"offer_id"`
		NeedID  string `json:"need_id"`
		Reason  string `json:"reason"`
	}
	assignmentMsg struct {
		NeedID string       `json:"need_id"`
		Role   string       `json:"role"`
		LeadID string       `json:"lead_id"`
		Team   []teamMember `json:"team"`
	}
	teamMember struct {
		ResponderID string `json:"responder_id"`
		Role        string `json:"role"`
	}
	errorMsg struct {
		Code    string `json:"code"`
		Message string `json:"message"`
	}
	resyncMsg struct {
		Reason string `json:"reason"`
		LastID string `json:"last_id"`
	}
)

// Client -> server payloads.
type (
	locationMsg struct {
		Lat float64 `json:"lat"`
		Lng float64 `json:"lng"`
	}
	answerMsg struct {
		OfferID string `json:"offer_id"`
	}
	ackMsg struct {
		ID string `json:"id"`
	}
	completeMsg struct {
		NeedID string `json:"need_id"`
		Note   string `json:"note"`
	}
)

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
	return typ == "offer" || typ == "offer_withdrawn" || typ == "assignment"
}
