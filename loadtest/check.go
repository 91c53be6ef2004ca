package loadtest

import (
	"fmt"
	"sort"
	"time"
)

// Violation is one broken guarantee with the evidence a developer needs to
// find it in the server's logs.
type Violation struct {
	Kind      string `json:"kind"` // double_booking, offer_lost, overstaffed, assignment_missing
	Need      string `json:"need_id,omitempty"`
	Responder string `json:"responder_id,omitempty"`
	Offer     string `json:"offer_id,omitempty"`
	At        string `json:"at,omitempty"`
	Detail    string `json:"detail"`
}

const (
	kindDoubleBooking = "double_booking"
	kindOfferLost     = "offer_lost"
	kindOverstaffed   = "overstaffed"
	// kindAssignmentMissing: a staffed member never told where to go.
	kindAssignmentMissing = "assignment_missing"
)

var forever = time.Unix(1<<62, 0)

// activeUntil is when an offer stopped counting against the person's
// max_concurrent, as far as the phone can know: the first of its decline,
// the server's withdrawal or refusal, and its expiry; an accepted offer
// holds the person until they report the task complete.
func (o *offerRec) activeUntil() time.Time {
	end := forever
	take := func(t time.Time) {
		if !t.IsZero() && t.Before(end) {
			end = t
		}
	}
	take(o.Withdrawn)
	take(o.Rejected)
	if o.Decision == evAccept && o.Rejected.IsZero() {
		take(o.Completed)
	} else {
		if o.Decision == evDecline {
			take(o.AnsweredAt)
		}
		take(o.Expires)
	}
	return end
}

// checkDoubleBookings finds every offer a phone received while it already
// held max_concurrent active ones. Start is the receipt and end is the
// phone's own send time (or the server's expiry, same machine clock), so
// causality rules out false alarms: the server cannot have freed a person
// before the person's decline or completion left the phone.
func checkDoubleBookings(people map[string]*personRec) []Violation {
	var out []Violation
	for _, id := range sortedKeys(people) {
		p := people[id]
		var got []*offerRec
		for _, o := range p.offers {
			if !o.Received.IsZero() {
				got = append(got, o)
			}
		}
		sort.Slice(got, func(i, j int) bool { return got[i].Received.Before(got[j].Received) })
		for i, o := range got {
			holding := 0
			for _, prev := range got[:i] {
				if prev.Need != o.Need && prev.activeUntil().After(o.Received) {
					holding++
				}
			}
			if holding >= p.max {
				out = append(out, Violation{
					Kind: kindDoubleBooking, Need: o.Need, Responder: id, Offer: o.ID, At: stamp(o.Received),
					Detail: fmt.Sprintf("offered while holding %d active assignment(s), max_concurrent %d", holding, p.max),
				})
			}
		}
	}
	return out
}

// checkLostOffers compares the server's list of offers with what phones
// received. An offer made after cutoff (phones were hanging up), or while
// its phone was offline at the end, could not have arrived and is counted
// as late rather than lost; one that only the final sweep's reconnect
// brought is counted as recovered (kept, but not pushed).
func checkLostOffers(needs map[string]*needRec, offers map[string]*offerRec, people map[string]*personRec, cutoff time.Time) (lost []Violation, late, recovered int) {
	for _, nid := range sortedKeys(needs) {
		n := needs[nid]
		if n.Server == nil {
			continue
		}
		for _, a := range n.Server.Assignments {
			p := people[a.ResponderID]
			if p == nil {
				continue // not one of our phones
			}
			o := offers[a.OfferID]
			if a.OfferID == "" {
				o = nil
				for _, po := range p.offers {
					if po.Need == nid && !po.Received.IsZero() {
						o = po
					}
				}
			}
			if o != nil && !o.Received.IsZero() && o.Responder == a.ResponderID {
				continue
			}
			if o != nil && !o.Recovered.IsZero() && o.Responder == a.ResponderID {
				recovered++
				continue
			}
			at := parseTS(a.OfferedAt)
			if !at.IsZero() && (at.After(cutoff) || (!p.connected && !p.downSince.IsZero() && at.After(p.downSince))) {
				late++
				continue
			}
			detail := "the server lists this offer; the phone never received it"
			if o != nil && !o.Received.IsZero() {
				detail = "received by " + o.Responder + ", not by the responder the server names"
			}
			lost = append(lost, Violation{Kind: kindOfferLost, Need: nid, Responder: a.ResponderID, Offer: a.OfferID, At: a.OfferedAt, Detail: detail})
		}
	}
	return lost, late, recovered
}

// checkOverstaffed finds needs with more accepted people than places: per
// role in the server's own record, and in the assignments phones received.
func checkOverstaffed(needs map[string]*needRec) []Violation {
	var out []Violation
	for _, id := range sortedKeys(needs) {
		n := needs[id]
		size := n.Spec.Size()
		if n.Server != nil {
			want, got := map[string]int{}, map[string]int{}
			size = 0
			for _, t := range n.Server.Team {
				want[t.Role] += t.Count
				size += t.Count
			}
			for _, a := range n.Server.Assignments {
				if a.State == "accepted" || a.State == "completed" {
					got[a.Role]++
				}
			}
			for _, role := range sortedKeys(got) {
				if got[role] > want[role] {
					out = append(out, Violation{Kind: kindOverstaffed, Need: id,
						Detail: fmt.Sprintf("server lists %d accepted %s for %d place(s)", got[role], role, want[role])})
				}
			}
		}
		if size == 0 {
			continue // a need we did not create and could not fetch
		}
		if len(n.Assignees) > size || n.MaxTeamMsg > size {
			out = append(out, Violation{Kind: kindOverstaffed, Need: id,
				Detail: fmt.Sprintf("%d phone(s) received an assignment (team of %d in the message) for %d place(s)", len(n.Assignees), n.MaxTeamMsg, size)})
		}
	}
	return out
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// stamp formats a client time like the server's, for side-by-side reading.
func stamp(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Format("2006-01-02T15:04:05.000Z")
}

// checkMissingAssignments finds team members the server lists as accepted
// on a staffed need whose phone never got the "assignment" message: they
// never learn where to go, never complete, and stay busy. A need staffed
// after cutoff (phones were hanging up) is not judged. An assignment that
// only the final sweep's reconnect found in the inbox was kept, not lost
// (the phone was away when it came, or it was never pushed), and is
// counted as recovered.
func checkMissingAssignments(needs map[string]*needRec, people map[string]*personRec, cutoff time.Time) (missing []Violation, recovered int) {
	for _, nid := range sortedKeys(needs) {
		nr := needs[nid]
		s := nr.Server
		if s == nil || (s.Status != "staffed" && s.Status != "completed") || s.StaffedAt == nil {
			continue
		}
		if at := parseTS(*s.StaffedAt); at.IsZero() || at.After(cutoff) {
			continue
		}
		for _, a := range s.Assignments {
			p := people[a.ResponderID]
			if p == nil || (a.State != "accepted" && a.State != "completed") || nr.Assignees[a.ResponderID] || nr.Placed[a.ResponderID] {
				continue
			}
			if nr.Swept[a.ResponderID] {
				recovered++
				continue
			}
			missing = append(missing, Violation{Kind: kindAssignmentMissing, Need: nid, Responder: a.ResponderID, Offer: a.OfferID,
				At: *s.StaffedAt, Detail: missingDetail(p, nid, *s.StaffedAt, a)})
		}
	}
	return missing, recovered
}

// missingDetail says what the phone knew, to tell a server that never sent
// the assignment from a phone that could not have received it.
func missingDetail(p *personRec, need, staffedAt string, a serverAssignment) string {
	d := fmt.Sprintf("staffed at %s, %s accepted at %s; the phone never got the assignment", staffedAt, a.Role, a.AnsweredAt)
	for _, o := range p.offers {
		if o.Need == need && o.Decision == evAccept {
			d += "; its accept left the phone at " + stamp(o.AnsweredAt)
			if o.RejectCode != "" {
				d += ", answered with error " + o.RejectCode
			}
		}
	}
	switch {
	case !p.connected && !p.downSince.IsZero():
		d += "; the phone was offline at the end, since " + stamp(p.downSince)
	case p.connected:
		d += "; the phone was connected at the end"
	}
	return d
}
