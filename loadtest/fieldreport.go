package loadtest

import (
	"fmt"
	"math"
	"slices"
	"time"
)

// FieldReport is how members got to their needs (issue 20, item 6): from
// the accept leaving the phone to the arrival leaving it, and what the
// server made of the arrivals (confirmed by position within
// field.arrival_radius_m, or not, with a reason).
type FieldReport struct {
	ArrivalsSent      int      `json:"arrivals_sent"`
	ArrivalsSentFar   int      `json:"arrivals_sent_far"` // placed beyond the radius on purpose, with a reason
	LeftSent          int      `json:"left_sent"`
	AcceptToArrivalMs Quantile `json:"accept_to_arrival_ms"`
	// From the server's field_status of every fetched need.
	OnScene          int     `json:"server_arrivals"` // members the server lists on_scene or left
	Confirmed        int     `json:"confirmed"`
	Unconfirmed      int     `json:"unconfirmed"`
	ConfirmedShare   float64 `json:"confirmed_share"`
	ArrivalsNotTaken int     `json:"arrivals_not_taken"` // sent, but the server lists the member en_route (need over, or the accept refused)
}

// Quantile is a latency summary with the p90 the field figures quote.
type Quantile struct {
	N   int     `json:"n"`
	P50 float64 `json:"p50"`
	P90 float64 `json:"p90"`
	P99 float64 `json:"p99"`
	Max float64 `json:"max"`
}

func quantile(v []float64) Quantile {
	if len(v) == 0 {
		return Quantile{}
	}
	slices.Sort(v)
	r := func(x float64) float64 { return round(x, 1) }
	return Quantile{N: len(v), P50: r(percentile(v, 50)), P90: r(percentile(v, 90)), P99: r(percentile(v, 99)), Max: r(v[len(v)-1])}
}

// MessageReport is the team threads: messages members wrote and whether
// each reached every member it was for. A message is for the members of
// the need's team at posting time: those the server lists accepted or
// completed with an answered_at at or before the message's sent_at, but
// not its writer. Members write only once their team is staffed, and the
// drill never removes anyone from a team, so that is the whole team but
// the writer; a member who joined later (a replacement) is not owed it.
// Members reached by SMS or Web Push only are not judged (those channels
// carry no thread messages). A message owed to a phone counts as lost,
// failing the drill, when the phone never received it, live, on a
// reconnect with last_id, or on the final sweep; one sent in the last
// 2 s, or while the phone was offline at the end, is late, not judged.
type MessageReport struct {
	Posted       int            `json:"posted"`
	PostsRefused map[string]int `json:"posts_refused"` // by error code
	Owed         int            `json:"owed"`          // (message, member) pairs judged
	Delivered    int            `json:"delivered"`
	Recovered    int            `json:"recovered"` // only the final sweep found it
	Late         int            `json:"late"`
	Lost         int            `json:"lost"` // the gate: must be 0
	Duplicates   int            `json:"duplicates"`
	ToWriter     int            `json:"to_writer"`     // delivered back to the writer: never expected
	NotOwed      int            `json:"not_owed"`      // received by a phone the message was not for
	NotOnSocket  int            `json:"not_on_socket"` // members without a socket, not judged
	DeliveryMs   Quantile       `json:"delivery_ms"`   // sent_at (server) -> receipt, live only
}

// kindMessageLost: a thread message never reached a member it was for.
const kindMessageLost = "message_lost"

// fieldReport sums the arrivals; l.mu held.
func fieldReport(l *Ledger) *FieldReport {
	f := &l.field
	r := &FieldReport{ArrivalsSent: len(f.arrivals), LeftSent: f.left}
	var lat []float64
	sent := map[[2]string]bool{}
	for _, a := range f.arrivals {
		sent[[2]string{a.Need, a.Responder}] = true
		if a.Far {
			r.ArrivalsSentFar++
		}
		if acc := acceptSent(l.person(a.Responder), a.Need); !acc.IsZero() {
			lat = append(lat, math.Max(0, ms(a.At.Sub(acc))))
		}
	}
	r.AcceptToArrivalMs = quantile(lat)
	for _, id := range sortedKeys(l.needs) {
		n := l.needs[id].Server
		if n == nil {
			continue
		}
		for _, fs := range n.FieldStatus {
			key := [2]string{id, fs.ResponderID}
			switch {
			case fs.State == "on_scene" || fs.State == "left":
				r.OnScene++
				if fs.Confirmed {
					r.Confirmed++
				} else {
					r.Unconfirmed++
				}
			case sent[key]:
				r.ArrivalsNotTaken++
			}
		}
	}
	if r.OnScene > 0 {
		r.ConfirmedShare = round(float64(r.Confirmed)/float64(r.OnScene), 4)
	}
	return r
}

// acceptSent is when the person's accept of an offer of need left the
// phone; zero when none is known.
func acceptSent(p *personRec, need string) time.Time {
	var at time.Time
	for _, o := range p.offers {
		if o.Need == need && o.Decision == evAccept && !o.AnsweredAt.IsZero() && (at.IsZero() || o.AnsweredAt.Before(at)) {
			at = o.AnsweredAt
		}
	}
	return at
}

// messageOwed pairs a posted message with a member it was for.
type messageOwed struct {
	post      postRec
	responder string
}

// owedMessages lists who each posted message was for (MessageReport's
// definition) and counts the members not judged; l.mu held.
func owedMessages(l *Ledger) (owed []messageOwed, notOnSocket int) {
	for _, p := range l.field.posts {
		n := l.needs[p.Need]
		if n == nil || n.Server == nil {
			continue
		}
		seen := map[string]bool{}
		for _, a := range n.Server.Assignments {
			if (a.State != "accepted" && a.State != "completed") || a.ResponderID == p.Author || seen[a.ResponderID] {
				continue
			}
			seen[a.ResponderID] = true
			if at := parseTS(a.AnsweredAt); !at.IsZero() && !p.SentAt.IsZero() && at.After(p.SentAt) {
				continue // joined after the message
			}
			pr := l.people[a.ResponderID]
			if pr == nil {
				continue // not one of our phones
			}
			if pr.channel != chSocket {
				notOnSocket++
				continue
			}
			owed = append(owed, messageOwed{post: p, responder: a.ResponderID})
		}
	}
	return owed, notOnSocket
}

// checkMessages runs the no-message-lost gate; l.mu held.
func checkMessages(l *Ledger, cutoff time.Time) (*MessageReport, []Violation) {
	f := &l.field
	r := &MessageReport{Posted: len(f.posts), PostsRefused: map[string]int{}, Duplicates: f.duplicates}
	for k, v := range f.postFailed {
		r.PostsRefused[k] = v
	}
	owed, notOnSocket := owedMessages(l)
	r.NotOnSocket = notOnSocket
	var lost []Violation
	isOwed := map[[2]string]bool{}
	for _, o := range owed {
		isOwed[[2]string{o.post.ID, o.responder}] = true
		p := l.people[o.responder]
		if _, ok := f.got[o.post.ID][o.responder]; ok {
			r.Owed++
			r.Delivered++
			continue
		}
		if f.swept[o.post.ID][o.responder] {
			r.Owed++
			r.Recovered++
			continue
		}
		at := o.post.SentAt
		if at.IsZero() {
			at = o.post.Posted
		}
		if at.After(cutoff) || (!p.connected && !p.downSince.IsZero() && at.After(p.downSince)) {
			r.Late++
			continue
		}
		r.Owed++
		lost = append(lost, Violation{Kind: kindMessageLost, Need: o.post.Need, Responder: o.responder, Offer: o.post.ID, At: stamp(at),
			Detail: fmt.Sprintf("message %s by %s: the server took it; this member's phone never received it", o.post.ID, o.post.Author)})
	}
	r.Lost = len(lost)
	authors := map[string]string{}
	for _, p := range f.posts {
		authors[p.ID] = p.Author
	}
	var delivery []float64
	for _, mid := range sortedKeys(f.got) {
		for rid, rc := range f.got[mid] {
			switch {
			case authors[mid] == rid:
				r.ToWriter++
			case authors[mid] != "" && !isOwed[[2]string{mid, rid}]:
				r.NotOwed++
			}
			if rc.Live && !rc.ServerTS.IsZero() {
				delivery = append(delivery, math.Max(0, ms(rc.At.Sub(rc.ServerTS))))
			}
		}
	}
	r.DeliveryMs = quantile(delivery)
	return r, lost
}
