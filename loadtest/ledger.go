package loadtest

import (
	"sync"
	"time"
)

// Ledger is the harness's own record of the drill: every need it created
// and every offer, answer and assignment its phones saw. The checks and
// the report are computed from it after the run, so that they are pure
// functions of records (and testable on crafted ones).
type Ledger struct {
	mu      sync.Mutex
	people  map[string]*personRec
	needs   map[string]*needRec
	offers  map[string]*offerRec
	order   []string // need ids in creation order
	staffed int
	errors  map[string]int
	offersN int

	connected, everConnected, reconnects, dialFailures, resyncs, duplicates int
	swept, sweptOffers                                                      int

	field fieldRecords // arrivals, thread messages, standbys (fieldledger.go)
	nudge *nudgeLedger // surge nudges (nudgecheck.go); nil until one is seen
}

type personRec struct {
	max       int
	channel   string // chSocket, chPush or chSMS
	connected bool
	ever      bool
	downSince time.Time // when the socket last dropped, while it is down
	offers    []*offerRec
	texts     []smsText // SMS without a reply code, for the place check
}

// smsText is an SMS a phone read.
type smsText struct {
	At   time.Time
	Text string
}

type offerRec struct {
	ID, Need, Responder string
	Received            time.Time
	ServerTS            time.Time
	Live                bool
	Expires             time.Time
	Decision            string // accept, decline, ignore, or "" while thinking
	AnsweredAt          time.Time
	Withdrawn           time.Time
	WithdrawReason      string
	Rejected            time.Time // the server refused our answer
	RejectCode          string
	Assigned            time.Time
	Completed           time.Time
	Recovered           time.Time // never pushed, but replayed to the final sweep
	Reply               string    // SMS: the server's answer to our answer
}

type needRec struct {
	ID         string
	Spec       NeedSpec
	Requested  time.Time // POST sent
	Created    time.Time // 201 received
	Staffed    time.Time // first assignment received by any member
	Assignees  map[string]bool
	MaxTeamMsg int
	// Swept are the members whose assignment only the final sweep's
	// reconnect found in their inbox.
	Swept map[string]bool
	// Placed are the members without a socket who learnt the place from
	// the answer to their accept (HTTP answer, SMS reply): their
	// assignment message.
	Placed map[string]bool
	Server *serverNeed // fetched after the run
}

// NewLedger returns an empty ledger.
func NewLedger() *Ledger {
	return &Ledger{
		people: map[string]*personRec{}, needs: map[string]*needRec{},
		offers: map[string]*offerRec{}, errors: map[string]int{},
	}
}

// AddPerson registers a responder the drill owns, reached by channel
// (empty: the socket); events for others are still recorded but only
// owned people are checked.
func (l *Ledger) AddPerson(id string, maxConcurrent int, channel string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if channel == "" {
		channel = chSocket
	}
	l.people[id] = &personRec{max: max(maxConcurrent, 1), channel: channel}
}

// NeedCreated records a need the drill created.
func (l *Ledger) NeedCreated(id string, spec NeedSpec, requested, created time.Time) {
	l.mu.Lock()
	defer l.mu.Unlock()
	n := l.need(id)
	n.Spec, n.Requested, n.Created = spec, requested, created
	l.order = append(l.order, id)
}

// CreateFailed counts a need the server refused or never answered.
func (l *Ledger) CreateFailed(code string) { l.countError("create_need:" + code) }

// countError counts a failure of the drill's HTTP calls for the report.
func (l *Ledger) countError(key string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.errors[key]++
}

func (l *Ledger) need(id string) *needRec {
	n := l.needs[id]
	if n == nil {
		n = &needRec{ID: id, Assignees: map[string]bool{}, Swept: map[string]bool{}, Placed: map[string]bool{}}
		l.needs[id] = n
	}
	return n
}

func (l *Ledger) person(id string) *personRec {
	p := l.people[id]
	if p == nil {
		p = &personRec{max: 1, channel: chSocket}
		l.people[id] = p
	}
	return p
}

// offerOf finds the offer a follow-up message refers to, creating a
// placeholder (never Received) when the offer itself never arrived: that
// is evidence for the lost-offer check, not an error.
func (l *Ledger) offerOf(id, responder, need string) *offerRec {
	o := l.offers[id]
	if o == nil {
		o = &offerRec{ID: id, Responder: responder, Need: need}
		l.offers[id] = o
		l.person(responder).offers = append(l.person(responder).offers, o)
	}
	return o
}

// Apply records one phone event. Events may arrive out of order (worker
// pipes, an offer before its need's POST returned); nothing here depends
// on order.
func (l *Ledger) Apply(ev Event) {
	l.mu.Lock()
	defer l.mu.Unlock()
	at := fromNanos(ev.At)
	switch ev.Kind {
	case evConnected:
		p := l.person(ev.Responder)
		if p.ever {
			l.reconnects++
		} else {
			l.everConnected++
		}
		if !p.connected {
			l.connected++
		}
		p.connected, p.ever, p.downSince = true, true, time.Time{}
	case evDisconnected:
		if p := l.person(ev.Responder); p.connected {
			p.connected, p.downSince = false, at
			l.connected--
		}
	case evDialFailed:
		l.dialFailures++
	case evOffer:
		o := l.offerOf(ev.Offer, ev.Responder, ev.Need)
		if !o.Received.IsZero() {
			l.duplicates++
			return
		}
		l.offersN++
		o.Need, o.Received, o.ServerTS = ev.Need, at, fromNanos(ev.ServerTS)
		o.Live, o.Expires = ev.Live, fromNanos(ev.Expires)
		if ev.Need != "" { // an SMS names its need only once paired (reconcileQuiet)
			l.need(ev.Need)
		}
	case evAccept, evDecline, evIgnore:
		o := l.offerOf(ev.Offer, ev.Responder, ev.Need)
		o.Decision = ev.Kind
		if ev.Kind != evIgnore {
			o.AnsweredAt = at
		}
	case evWithdrawn:
		o := l.offerOf(ev.Offer, ev.Responder, ev.Need)
		if o.Withdrawn.IsZero() {
			o.Withdrawn, o.WithdrawReason = at, ev.Info
		}
	case evError:
		l.errors["socket:"+ev.Info]++
		if ev.Info == "sweep_dial" {
			return
		}
		if ev.Offer != "" {
			o := l.offerOf(ev.Offer, ev.Responder, ev.Need)
			o.Rejected, o.RejectCode = at, ev.Info
		}
	case evAssignment:
		n := l.need(ev.Need)
		if len(n.Assignees) == 0 {
			l.staffed++
		}
		if n.Staffed.IsZero() || at.Before(n.Staffed) {
			n.Staffed = at
		}
		n.Assignees[ev.Responder] = true
		n.MaxTeamMsg = max(n.MaxTeamMsg, ev.Team)
		for _, o := range l.person(ev.Responder).offers {
			if o.Need == ev.Need && o.Decision == evAccept && o.Assigned.IsZero() {
				o.Assigned = at
			}
		}
	case evComplete:
		for _, o := range l.person(ev.Responder).offers {
			if o.Need == ev.Need && o.Decision == evAccept && o.Completed.IsZero() {
				o.Completed = at
			}
		}
	case evResync:
		l.resyncs++
	case evSwept:
		l.swept++
	case evRecovered:
		l.sweptOffers++
		o := l.offerOf(ev.Offer, ev.Responder, ev.Need)
		if o.Recovered.IsZero() {
			o.Recovered = at
		}
	case evSweptAssignment:
		l.need(ev.Need).Swept[ev.Responder] = true
	case evReply:
		l.offerOf(ev.Offer, ev.Responder, ev.Need).Reply = ev.Info
	case evPlaced:
		l.need(ev.Need).Placed[ev.Responder] = true
	case evSMSText:
		p := l.person(ev.Responder)
		p.texts = append(p.texts, smsText{At: at, Text: ev.Info})
	case evNudge, evOnDuty:
		l.applyNudge(ev, at)
	default:
		l.applyField(ev, at)
	}
}

// Progress is the live view behind the progress line and the time series.
type Progress struct {
	Connected, Ever, Created, Staffed, Offers int
}

// Progress returns the counts so far.
func (l *Ledger) Progress() Progress {
	l.mu.Lock()
	defer l.mu.Unlock()
	return Progress{Connected: l.connected, Ever: l.everConnected, Created: len(l.order), Staffed: l.staffed, Offers: l.offersN}
}

// CreatedNeeds lists the ids of the needs the drill created, in order.
func (l *Ledger) CreatedNeeds() []string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return append([]string(nil), l.order...)
}

// SetServerNeed attaches the server's final view of a need.
func (l *Ledger) SetServerNeed(id string, sn *serverNeed) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.need(id).Server = sn
}

// lostOffers runs the lost-offer check on the records so far.
func (l *Ledger) lostOffers(cutoff time.Time) []Violation {
	l.mu.Lock()
	defer l.mu.Unlock()
	lost, _, _ := checkLostOffers(l.needs, l.offers, l.people, cutoff)
	return lost
}

// missingAssignments runs the missing-assignment check on the records so
// far.
func (l *Ledger) missingAssignments(cutoff time.Time) []Violation {
	l.mu.Lock()
	defer l.mu.Unlock()
	missing, _ := checkMissingAssignments(l.needs, l.people, cutoff)
	return missing
}

// lostMessages runs the no-message-lost check on the records so far.
func (l *Ledger) lostMessages(cutoff time.Time) []Violation {
	l.mu.Lock()
	defer l.mu.Unlock()
	_, lost := checkMessages(l, cutoff)
	return lost
}
