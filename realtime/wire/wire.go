// Package wire is the vocabulary of the websocket protocol
// (docs/PROTOCOL.md, v1): one struct per message a socket carries, in the
// data of realtime's envelope, and one per console event. The server says
// it with these types and the drill reads it with the same ones, so that
// both agree on every field by construction; wire_test.go pins the JSON
// keys and protocol_test.go holds the document to the types.
//
// The package is a leaf: it imports nothing of the project, and its types
// hold plain strings and numbers, not domain types, so that it can be
// shared by any side of the connection.
package wire

// Message type names, server to client.
const (
	TypeWelcome        = "welcome"
	TypeOffer          = "offer"
	TypeOfferWithdrawn = "offer_withdrawn"
	TypeAssignment     = "assignment"
	TypeAlert          = "alert"
	TypeStandby        = "standby"
	TypeAnswered       = "answered"
	TypeSubscribed     = "subscribed"
	TypeError          = "error"
	TypeResync         = "resync"
	// Both inbox messages (to the team) and console events (to the staff
	// following the need).
	TypeFieldStatus = "field_status"
	TypeMessage     = "message"
)

// Message type names, client to server.
const (
	TypeLocation  = "location"
	TypeStatus    = "status"
	TypeAccept    = "accept"
	TypeDecline   = "decline"
	TypeComplete  = "complete"
	TypeSubscribe = "subscribe"
	TypeAck       = "ack"
	TypeArrived   = "arrived"
	TypeLeft      = "left"
)

// Console event type names: what operators' maps receive on the channels
// they subscribed to.
const (
	TypeNeedCreated    = "need.created"
	TypeNeedUpdated    = "need.updated"
	TypeOfferSent      = "offer.sent"
	TypeOfferAnswered  = "offer.answered"
	TypeNeedStaffed    = "need.staffed"
	TypeNeedCompleted  = "need.completed"
	TypeNeedEscalated  = "need.escalated"
	TypeNeedSupplied   = "need.supplied"
	TypeResponderMoved = "responder.moved"
	// TypeEvents gathers console events into one frame, for a console that
	// asked for it (?frames=events on /ws).
	TypeEvents = "events"
)
