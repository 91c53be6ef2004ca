package wire

import "encoding/json"

// Console events. Each carries At, when it happened, besides the
// envelope's ts (when it was published).

// NeedCreated: a need was filed. Community is set when the need lies in
// one; Number is the need's short number people name it by (absent on
// needs older than numbers).
type NeedCreated struct {
	NeedID    string  `json:"need_id"`
	Number    int64   `json:"number,omitempty"`
	Lat       float64 `json:"lat"`
	Lng       float64 `json:"lng"`
	Urgency   int     `json:"urgency"`
	Category  string  `json:"category"`
	Status    string  `json:"status"`
	Slots     int     `json:"slots"`
	Community string  `json:"community,omitempty"`
	At        string  `json:"at"`
}

// NeedUpdated: a need closed without being staffed (cancelled or
// unstaffed).
type NeedUpdated struct {
	NeedID string  `json:"need_id"`
	Lat    float64 `json:"lat"`
	Lng    float64 `json:"lng"`
	Status string  `json:"status"`
	At     string  `json:"at"`
}

// OfferSent: a responder was offered a place on a need.
type OfferSent struct {
	NeedID       string  `json:"need_id"`
	Lat          float64 `json:"lat"`
	Lng          float64 `json:"lng"`
	OfferID      string  `json:"offer_id"`
	ResponderID  string  `json:"responder_id"`
	Role         string  `json:"role"`
	ResponderLat float64 `json:"responder_lat"`
	ResponderLng float64 `json:"responder_lng"`
	Reason       string  `json:"reason"`
	Urgency      int     `json:"urgency"`
	At           string  `json:"at"`
	// Wave is set when the place is offered to several people at once.
	Wave *Wave `json:"wave,omitempty"`
}

// Wave is how a place is offered in an offer wave (matching.waves).
type Wave struct {
	PAccept     float64 `json:"p_accept"`    // estimated chance one offer is accepted
	Size        int     `json:"size"`        // offers each open place may have out at once
	Outstanding int     `json:"outstanding"` // offers of the team entry out, this one included
}

// OfferAnswered: an offer was accepted, declined or lapsed.
type OfferAnswered struct {
	NeedID      string `json:"need_id"`
	OfferID     string `json:"offer_id"`
	ResponderID string `json:"responder_id"`
	State       string `json:"state"` // accepted, declined or expired
	At          string `json:"at"`
}

// NeedStaffed: every place of a need's team is filled.
type NeedStaffed struct {
	NeedID string       `json:"need_id"`
	Lat    float64      `json:"lat"`
	Lng    float64      `json:"lng"`
	LeadID string       `json:"lead_id"`
	Team   []TeamMember `json:"team"`
	Status string       `json:"status"`
	At     string       `json:"at"`
}

// NeedCompleted: the team reported the task done.
type NeedCompleted struct {
	NeedID string  `json:"need_id"`
	Lat    float64 `json:"lat"`
	Lng    float64 `json:"lng"`
	Status string  `json:"status"`
	At     string  `json:"at"`
}

// NeedEscalated: a need's scope widened by one step.
type NeedEscalated struct {
	NeedID    string  `json:"need_id"`
	Lat       float64 `json:"lat"`
	Lng       float64 `json:"lng"`
	Step      int     `json:"step"`
	StepName  string  `json:"step_name"`
	Tier      string  `json:"tier"`
	Manual    bool    `json:"manual"`
	Reason    string  `json:"reason"`
	Community string  `json:"community"`
	Number    int64   `json:"number,omitempty"`
	Urgency   int     `json:"urgency"`
	GoalS     float64 `json:"goal_s"`
	WaitedS   float64 `json:"waited_s"`
	OpenS     float64 `json:"open_s"`
	At        string  `json:"at"`
}

// NeedSupplied: a need's items were reserved at a depot.
type NeedSupplied struct {
	NeedID   string  `json:"need_id"`
	Lat      float64 `json:"lat"`
	Lng      float64 `json:"lng"`
	DepotID  string  `json:"depot_id"`
	DepotLat float64 `json:"depot_lat"`
	DepotLng float64 `json:"depot_lng"`
	At       string  `json:"at"`
}

// ResponderMoved: a responder's position or state changed.
type ResponderMoved struct {
	ResponderID string  `json:"responder_id"`
	Role        string  `json:"role"`
	Status      string  `json:"status"`
	Lat         float64 `json:"lat"`
	Lng         float64 `json:"lng"`
	At          string  `json:"at"`
}

// Events: console events gathered into one frame, each a whole envelope
// as it would have been sent alone, oldest first. Only sockets that asked
// for them (?frames=events) get these.
type Events struct {
	Events []json.RawMessage `json:"events"`
}

// Type names the event.
func (Events) Type() string         { return TypeEvents }
func (NeedCreated) Type() string    { return TypeNeedCreated }
func (NeedUpdated) Type() string    { return TypeNeedUpdated }
func (OfferSent) Type() string      { return TypeOfferSent }
func (OfferAnswered) Type() string  { return TypeOfferAnswered }
func (NeedStaffed) Type() string    { return TypeNeedStaffed }
func (NeedCompleted) Type() string  { return TypeNeedCompleted }
func (NeedEscalated) Type() string  { return TypeNeedEscalated }
func (NeedSupplied) Type() string   { return TypeNeedSupplied }
func (ResponderMoved) Type() string { return TypeResponderMoved }
