package wire

// PushTypeOffer is the type of a push payload that announces an offer.
// Later payload kinds will add other types.
const PushTypeOffer = "offer"

// PushOffer is the plaintext of a Web Push message that tells a
// responder's closed page about an offer (encrypted as RFC 8291 says). It
// is not an envelope: it stands alone, with its type inside. Like Offer,
// it never carries the exact position, the description or the contact;
// unlike Offer, not even the approximate cell, since a push message
// passes through a push service the project does not run.
type PushOffer struct {
	Type        string  `json:"type"` // PushTypeOffer
	ResponderID string  `json:"responder_id"`
	OfferID     string  `json:"offer_id"`
	NeedID      string  `json:"need_id"`
	Category    string  `json:"category"`
	Role        string  `json:"role"`
	Urgency     int     `json:"urgency"`
	DistanceM   float64 `json:"distance_m"` // rounded to 100 m
	ExpiresAt   string  `json:"expires_at"` // RFC 3339 UTC
}

// PushTypeMessage is the type of a push payload that announces a message.
const PushTypeMessage = "message"

// PushMessage is the plaintext of a Web Push message that tells a
// responder's closed page a message came: who wrote (their role) and the
// first 40 characters. The whole message waits in the inbox, which the
// page reads once open.
type PushMessage struct {
	Type        string `json:"type"` // PushTypeMessage
	ResponderID string `json:"responder_id"`
	MessageID   string `json:"message_id"`
	NeedID      string `json:"need_id,omitempty"` // absent unless a need's thread
	Scope       string `json:"scope"`             // team, direct, broadcast or standby
	FromRole    string `json:"from_role"`
	Preview     string `json:"preview"` // at most 40 characters of the text, plain text
	SentAt      string `json:"sent_at"` // RFC 3339 UTC
}
