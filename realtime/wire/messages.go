package wire

// Times on the wire are RFC 3339 strings in UTC; coordinates are WGS84
// degrees.

// Welcome greets a socket once it is open. A responder's carries its
// responder id, a staff member's its user id: exactly one is set.
type Welcome struct {
	ResponderID string `json:"responder_id,omitempty"`
	UserID      string `json:"user_id,omitempty"`
	ServerTime  string `json:"server_time"`
}

// Offer asks a responder to take one place on a need's team (inbox). It
// tells enough to decide, not where the person in need is: the exact
// point and the description come in Answered and Assignment, to the team
// only.
type Offer struct {
	OfferID  string `json:"offer_id"`
	NeedID   string `json:"need_id"`
	Role     string `json:"role"`
	Category string `json:"category"`
	Urgency  int    `json:"urgency"`
	// Title is short and safe to show: category and urgency, never the
	// description.
	Title     string  `json:"title"`
	Approx    Approx  `json:"approx"`
	DistanceM float64 `json:"distance_m"` // rounded to 100 m
	ExpiresAt string  `json:"expires_at"`
	// Pickup is set only when the need's items wait at a depot.
	Pickup *Pickup `json:"pickup,omitempty"`
}

// Approx is roughly where a need is: the H3 cell that holds it.
type Approx struct {
	Cell       string  `json:"cell"`
	Lat        float64 `json:"lat"` // the cell's centre
	Lng        float64 `json:"lng"`
	Resolution int     `json:"resolution"`
}

// Place is exactly where a need is and what it asks, told only to the
// people who accepted it.
type Place struct {
	Lat         float64 `json:"lat"`
	Lng         float64 `json:"lng"`
	Description string  `json:"description"`
}

// Pickup is where a team collects a need's items on the way.
type Pickup struct {
	DepotID string       `json:"depot_id"`
	Lat     float64      `json:"lat"`
	Lng     float64      `json:"lng"`
	Items   []PickupItem `json:"items"`
}

// PickupItem is one line of a pickup.
type PickupItem struct {
	Item  string `json:"item"`
	Count int    `json:"count"`
}

// OfferWithdrawn takes an offer back (inbox).
type OfferWithdrawn struct {
	OfferID string `json:"offer_id"`
	NeedID  string `json:"need_id"`
	Reason  string `json:"reason"`
}

// Why an offer was withdrawn.
const (
	WithdrawnExpired   = "expired"   // it lapsed unanswered
	WithdrawnFilled    = "filled"    // others filled the team first
	WithdrawnCancelled = "cancelled" // the need was cancelled
	WithdrawnUnstaffed = "unstaffed" // the need's deadline passed unstaffed
	// WithdrawnLostInFailover: the phone answered an offer the server no
	// longer holds (a Redis failover lost it); need_id is empty.
	WithdrawnLostInFailover = "lost_in_failover"
)

// Assignment tells each member of a team that is complete where to go and
// with whom (inbox).
type Assignment struct {
	NeedID      string       `json:"need_id"`
	Role        string       `json:"role"`
	LeadID      string       `json:"lead_id"`
	Team        []TeamMember `json:"team"`
	Lat         float64      `json:"lat"`
	Lng         float64      `json:"lng"`
	Category    string       `json:"category"`
	Description string       `json:"description"`
	Pickup      *Pickup      `json:"pickup,omitempty"`
}

// TeamMember is one person of a staffed team.
type TeamMember struct {
	ResponderID string `json:"responder_id"`
	Role        string `json:"role"`
}

// Alert is an operator's message to everyone available in an area (inbox).
type Alert struct {
	AlertID string `json:"alert_id"`
	Message string `json:"message"`
	SentAt  string `json:"sent_at"`
}

// Standby asks a responder inside a severe warning's area to stand by
// (inbox): a CAP warning arrived and the command centre may call on them
// soon. It carries the warning's headline and expiry.
type Standby struct {
	IncidentID string `json:"incident_id"`
	Alert      string `json:"alert"`
	Headline   string `json:"headline"`
	Severity   string `json:"severity"`
	ExpiresAt  string `json:"expires_at,omitempty"`
	SentAt     string `json:"sent_at"`
}

// Answered confirms a responder's accept or decline sent over the socket.
// An accept carries the need and its exact place.
type Answered struct {
	OfferID string `json:"offer_id"`
	Answer  string `json:"answer"` // accept or decline
	NeedID  string `json:"need_id,omitempty"`
	Place   *Place `json:"place,omitempty"`
}

// Subscribed confirms a console's subscription to a map box.
type Subscribed struct {
	BBox     []float64 `json:"bbox"`
	Channels int       `json:"channels"`
}

// Error reports a message the server refused, or one it could not handle.
type Error struct {
	Code    string `json:"code"`
	Message string `json:"message"`
}

// Resync says that inbox messages after LastID are gone: the client should
// fetch its state over HTTP. LastID is absent when the client had none.
type Resync struct {
	Reason string `json:"reason"`
	LastID string `json:"last_id,omitempty"`
}

// FieldStatus tells that a team member arrived at a need or left it: to
// the other members (inbox) and to the consoles following the need.
type FieldStatus struct {
	NeedID      string  `json:"need_id"`
	ResponderID string  `json:"responder_id"`
	State       string  `json:"state"` // on_scene or left
	ArrivedAt   string  `json:"arrived_at"`
	LeftAt      string  `json:"left_at,omitempty"`
	Confirmed   bool    `json:"confirmed"`
	DistanceM   float64 `json:"distance_m"`
	Reason      string  `json:"reason,omitempty"`
	Lat         float64 `json:"lat"` // the need's place
	Lng         float64 `json:"lng"`
	At          string  `json:"at"`
}

// Message is one message of a need's team thread: to the other members
// (inbox) and to the consoles following the need. Text is plain text.
type Message struct {
	MessageID string `json:"message_id"`
	NeedID    string `json:"need_id,omitempty"` // absent on a message to one responder
	From      string `json:"from"`
	FromKind  string `json:"from_kind"` // responder or staff
	FromRole  string `json:"from_role"`
	Text      string `json:"text"`
	SentAt    string `json:"sent_at"`
	Scope     string `json:"scope"` // team, direct or broadcast
}

// Type names the message.
func (Welcome) Type() string        { return TypeWelcome }
func (FieldStatus) Type() string    { return TypeFieldStatus }
func (Message) Type() string        { return TypeMessage }
func (Offer) Type() string          { return TypeOffer }
func (OfferWithdrawn) Type() string { return TypeOfferWithdrawn }
func (Assignment) Type() string     { return TypeAssignment }
func (Alert) Type() string          { return TypeAlert }
func (Standby) Type() string        { return TypeStandby }
func (Answered) Type() string       { return TypeAnswered }
func (Subscribed) Type() string     { return TypeSubscribed }
func (Error) Type() string          { return TypeError }
func (Resync) Type() string         { return TypeResync }

// Location reports where a responder is.
type Location struct {
	Lat float64 `json:"lat"`
	Lng float64 `json:"lng"`
}

// Status sets a responder on or off duty ("available" or "off_duty").
type Status struct {
	Status string `json:"status"`
}

// Accept takes an offer.
type Accept struct {
	OfferID string `json:"offer_id"`
}

// Decline refuses an offer.
type Decline struct {
	OfferID string `json:"offer_id"`
}

// Complete reports a team's task done.
type Complete struct {
	NeedID string `json:"need_id"`
	Note   string `json:"note"`
}

// Subscribe sets a console's map box: [minLng, minLat, maxLng, maxLat].
type Subscribe struct {
	BBox []float64 `json:"bbox"`
}

// Ack lets the server forget inbox messages up to and including ID.
type Ack struct {
	ID string `json:"id"`
}

// Arrived reports arriving at a need: where the responder is, and a
// reason when that is farther than the arrival radius.
type Arrived struct {
	NeedID string  `json:"need_id"`
	Lat    float64 `json:"lat"`
	Lng    float64 `json:"lng"`
	Reason string  `json:"reason,omitempty"`
}

// Left reports leaving a need.
type Left struct {
	NeedID string `json:"need_id"`
}

// Type names the message.
func (Arrived) Type() string   { return TypeArrived }
func (Left) Type() string      { return TypeLeft }
func (Location) Type() string  { return TypeLocation }
func (Status) Type() string    { return TypeStatus }
func (Accept) Type() string    { return TypeAccept }
func (Decline) Type() string   { return TypeDecline }
func (Complete) Type() string  { return TypeComplete }
func (Subscribe) Type() string { return TypeSubscribe }
func (Ack) Type() string       { return TypeAck }
