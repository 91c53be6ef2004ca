package wire

// TypeNudge names the surge nudge, server to client (inbox).
const TypeNudge = "nudge"

// Nudge asks an off-duty responder who opted in to go on duty: places
// near them have nobody to be offered to (surge nudges). Needs is how
// many places are short in the res-7 cell; Urgency the most urgent.
type Nudge struct {
	NudgeID string  `json:"nudge_id"`
	Cell    string  `json:"cell"`
	Lat     float64 `json:"lat"`
	Lng     float64 `json:"lng"`
	Needs   int     `json:"needs"`
	Urgency int     `json:"urgency"`
	SentAt  string  `json:"sent_at"`
}

// Type names the message.
func (Nudge) Type() string { return TypeNudge }
