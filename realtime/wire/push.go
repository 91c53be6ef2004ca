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
