package loadtest

import "time"

// fieldRecords are what phones did and saw of field work: arrivals sent,
// thread messages posted and received, standbys received.
type fieldRecords struct {
	arrivals   []arrivalRec
	left       int
	posts      []postRec
	postFailed map[string]int // error code -> count
	// got: message id -> responder -> first receipt; swept: those only
	// the final sweep's reconnect replayed.
	got        map[string]map[string]msgReceipt
	swept      map[string]map[string]bool
	duplicates int            // a message received again by the same phone
	toAuthor   int            // a message delivered back to its writer
	standby    map[string]int // responder -> standbys received
}

// arrivalRec is one arrival a phone sent.
type arrivalRec struct {
	Need, Responder string
	At              time.Time
	Far             bool
}

// postRec is one thread message the server took (201).
type postRec struct {
	ID, Need, Author string
	Posted           time.Time // the POST left the phone
	SentAt           time.Time // the server's sent_at
}

// msgReceipt is a thread message's first arrival on one phone.
type msgReceipt struct {
	At, ServerTS time.Time
	Live         bool
}

// applyField records a field event; l.mu held.
func (l *Ledger) applyField(ev Event, at time.Time) {
	f := &l.field
	switch ev.Kind {
	case evArrived:
		f.arrivals = append(f.arrivals, arrivalRec{Need: ev.Need, Responder: ev.Responder, At: at, Far: ev.Info == "far"})
	case evLeft:
		f.left++
	case evMessagePosted:
		f.posts = append(f.posts, postRec{ID: ev.Info, Need: ev.Need, Author: ev.Responder, Posted: at, SentAt: fromNanos(ev.ServerTS)})
	case evMessageFailed:
		if f.postFailed == nil {
			f.postFailed = map[string]int{}
		}
		f.postFailed[ev.Info]++
	case evMessage:
		if f.got == nil {
			f.got = map[string]map[string]msgReceipt{}
		}
		by := f.got[ev.Info]
		if by == nil {
			by = map[string]msgReceipt{}
			f.got[ev.Info] = by
		}
		if _, dup := by[ev.Responder]; dup {
			f.duplicates++
			return
		}
		by[ev.Responder] = msgReceipt{At: at, ServerTS: fromNanos(ev.ServerTS), Live: ev.Live}
	case evSweptMessage:
		if f.swept == nil {
			f.swept = map[string]map[string]bool{}
		}
		if f.swept[ev.Info] == nil {
			f.swept[ev.Info] = map[string]bool{}
		}
		f.swept[ev.Info][ev.Responder] = true
	case evStandby:
		if f.standby == nil {
			f.standby = map[string]int{}
		}
		f.standby[ev.Responder]++
	}
}
