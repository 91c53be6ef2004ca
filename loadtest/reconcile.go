package loadtest

import (
	"sort"
	"strings"
	"time"
)

// smsPairSlack is how much earlier than the server's offered_at an SMS
// may be stamped on arrival and still be that offer's: both clocks are
// this machine's, the server's truncated to the millisecond.
const smsPairSlack = 500 * time.Millisecond

// placeEvidenceRunes is how much of a need's description an SMS must
// quote to count as the place having reached the phone.
const placeEvidenceRunes = 8

// serverOffer is one offer the server lists for a responder.
type serverOffer struct {
	need      *needRec
	a         serverAssignment
	offeredAt time.Time
}

// reconcileQuiet completes the records of the phones without a socket
// from the server's, once the needs are fetched. An SMS names no offer,
// so each SMS offer is paired with the latest offer the server made to
// that person before it arrived; and neither channel hears of a
// withdrawal, so an offer the server withdrew or let expire ends when
// the server says it did, and an accept the server did not take is
// marked refused. It returns how many SMS offers matched no record of
// the server's.
func (l *Ledger) reconcileQuiet() (unmatched int) {
	l.mu.Lock()
	defer l.mu.Unlock()
	byPerson := map[string][]serverOffer{}
	for _, nid := range sortedKeys(l.needs) {
		n := l.needs[nid]
		if n.Server == nil {
			continue
		}
		for _, a := range n.Server.Assignments {
			if p := l.people[a.ResponderID]; p != nil && p.channel != chSocket {
				byPerson[a.ResponderID] = append(byPerson[a.ResponderID], serverOffer{need: n, a: a, offeredAt: parseTS(a.OfferedAt)})
			}
		}
	}
	for _, id := range sortedKeys(l.people) {
		p := l.people[id]
		if p.channel == chSocket {
			continue
		}
		offers := byPerson[id]
		sort.Slice(offers, func(i, j int) bool { return offers[i].offeredAt.Before(offers[j].offeredAt) })
		if p.channel == chSMS {
			unmatched += l.pairSMS(id, p, offers)
		}
		for _, so := range offers {
			if o := l.offers[so.a.OfferID]; o != nil && o.Responder == id {
				applyServerEnd(o, so.a)
			}
		}
	}
	return unmatched
}

// pairSMS gives each SMS offer of one person its server record: the
// latest offer not yet paired that the server made before the SMS
// arrived. An SMS that went missing thus leaves its own offer unpaired
// (lost) rather than shifting the pairs after it.
func (l *Ledger) pairSMS(id string, p *personRec, offers []serverOffer) (unmatched int) {
	var texts []*offerRec
	for _, o := range p.offers {
		if strings.HasPrefix(o.ID, smsOfferPrefix) && !o.Received.IsZero() {
			texts = append(texts, o)
		}
	}
	sort.Slice(texts, func(i, j int) bool { return texts[i].Received.Before(texts[j].Received) })
	paired := make([]bool, len(offers))
	for _, o := range texts {
		pick := -1
		for i, so := range offers {
			if !paired[i] && !so.offeredAt.IsZero() && !so.offeredAt.After(o.Received.Add(smsPairSlack)) {
				pick = i
			}
		}
		if pick < 0 || l.offers[offers[pick].a.OfferID] != nil {
			unmatched++
			continue
		}
		paired[pick] = true
		so := offers[pick]
		delete(l.offers, o.ID)
		o.ID, o.Need = so.a.OfferID, so.need.ID
		l.offers[o.ID] = o
		if o.Decision == evAccept && placeReached(o, p.texts, so.need.Spec.Description) {
			so.need.Placed[id] = true
		}
	}
	return unmatched
}

// placeReached reports whether the place of an accepted SMS offer reached
// the phone: in the answer to the accept, or in an SMS after it (the
// server may answer "the place follows" and send it once it has it).
func placeReached(o *offerRec, texts []smsText, description string) bool {
	if quotesDescription(o.Reply, description) {
		return true
	}
	for _, t := range texts {
		if !t.At.Before(o.AnsweredAt) && quotesDescription(t.Text, description) {
			return true
		}
	}
	return false
}

// quotesDescription reports whether an SMS reply carries the need's
// description (its first runes), which only an accepted offer's answer
// may.
func quotesDescription(reply, description string) bool {
	d := []rune(strings.TrimSpace(description))
	if len(d) == 0 {
		return reply != ""
	}
	return strings.Contains(reply, string(d[:min(len(d), placeEvidenceRunes)]))
}

// applyServerEnd ends an offer of a phone without a socket when the
// server ended it: such a phone is never told of a withdrawal, and an
// SMS accept the server did not take is only visible in its record.
func applyServerEnd(o *offerRec, a serverAssignment) {
	if o.Expires.IsZero() {
		o.Expires = parseTS(a.ExpiresAt)
	}
	ended := parseTS(a.AnsweredAt)
	switch a.State {
	case "withdrawn", "expired":
		if o.Withdrawn.IsZero() && !ended.IsZero() {
			o.Withdrawn, o.WithdrawReason = ended, a.State
		}
	}
	if o.Decision == evAccept && o.Rejected.IsZero() && a.State != "accepted" && a.State != "completed" && a.State != "withdrawn" {
		o.Rejected, o.RejectCode = o.AnsweredAt, "server_"+a.State
	}
}
