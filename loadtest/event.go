package loadtest

import "time"

// Event is one thing a phone saw or did, with the phone's own clock. The
// ledger is built from nothing else, so the checks speak only of what
// phones could observe; events cross from worker processes as JSON lines,
// hence the short keys.
type Event struct {
	Kind      string `json:"k"`
	Responder string `json:"r,omitempty"`
	At        int64  `json:"t"`           // unix nanoseconds, client clock
	ServerTS  int64  `json:"s,omitempty"` // envelope ts, unix nanoseconds
	Offer     string `json:"o,omitempty"`
	Need      string `json:"n,omitempty"`
	Expires   int64  `json:"x,omitempty"` // offer expires_at, unix nanoseconds
	Live      bool   `json:"l,omitempty"` // received on a socket open before the server sent it
	Team      int    `json:"m,omitempty"` // team size in an assignment
	Info      string `json:"i,omitempty"` // withdrawal reason, error code, resync reason
	Nudge     string `json:"u,omitempty"` // a surge nudge's id
}

// Event kinds.
const (
	evConnected    = "connected"    // welcome received
	evDisconnected = "disconnected" // socket lost (Info: why)
	evDialFailed   = "dial_failed"
	evOffer        = "offer"
	evWithdrawn    = "withdrawn"
	evAssignment   = "assignment"
	evAccept       = "accept" // sent
	evDecline      = "decline"
	evIgnore       = "ignore" // decided never to answer
	evAnswered     = "answered"
	evComplete     = "complete"
	evError        = "error" // Offer set when it answers one of our answers
	evResync       = "resync"
	evRecovered    = "recovered" // replayed to the final sweep's fresh connection
	evSwept        = "swept"     // the final sweep's connection was welcomed
	// evSweptAssignment is an assignment replayed to the final sweep.
	evSweptAssignment = "swept_assignment"
	// evReply is the server's answer to an SMS answer (Info: its text),
	// which tells an accepted person where to go.
	evReply = "reply"
	// evPlaced: the answer to an accept over HTTP carried the place, which
	// is how a phone without a socket learns where to go.
	evPlaced = "placed"
	// evReceipt: a push-only phone told the server the push arrived.
	evReceipt = "receipt"
	// evSMSText is an SMS that asks for no answer (Info: its text): the
	// place sent after an accept, a withdrawal, a team staffed.
	evSMSText = "sms_text"
	// Field work (fieldphone.go): an arrival sent (Info: near or far),
	// leaving sent, a thread message posted (Info: its id, ServerTS: the
	// server's sent_at) or refused (Info: the error code), a thread
	// message received (Info: its id) or replayed only to the final
	// sweep, and a standby received (Info: the incident).
	evArrived       = "arrived"
	evLeft          = "left"
	evMessagePosted = "message_posted"
	evMessageFailed = "message_failed"
	evMessage       = "message"
	evSweptMessage  = "swept_message"
	evStandby       = "standby"
	// Surge nudges (nudgecheck.go): a nudge received (Nudge: its id, Info:
	// its cell, ServerTS: its sent_at), and going on duty in answer, sent.
	evNudge  = "nudge"
	evOnDuty = "on_duty"
)

func nanos(t time.Time) int64 {
	if t.IsZero() {
		return 0
	}
	return t.UnixNano()
}

func fromNanos(n int64) time.Time {
	if n == 0 {
		return time.Time{}
	}
	return time.Unix(0, n)
}
