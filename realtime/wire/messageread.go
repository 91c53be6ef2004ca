package wire

// TypeMessageRead is the console event of a read receipt.
const TypeMessageRead = "message.read"

// MessageRead: a member of a need's team read its thread up to a message
// (console event): the consoles showing the thread update its receipts.
type MessageRead struct {
	NeedID      string  `json:"need_id"`
	ResponderID string  `json:"responder_id"`
	MessageID   string  `json:"message_id"` // read up to and including this one
	Lat         float64 `json:"lat"`
	Lng         float64 `json:"lng"`
	At          string  `json:"at"`
}

// Type names the event.
func (MessageRead) Type() string { return TypeMessageRead }
