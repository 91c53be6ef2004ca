package notify

import (
	"math"
	"time"

	"github.com/paulmach/orb"

	"github.com/liandong/liandong/mobilize"
	"github.com/liandong/liandong/realtime/wire"
)

// message is anything said on the wire.
type message interface{ Type() string }

// note is one thing to tell, as the metrics count them: a console event
// (published on the channels of point, in the order of key), an inbox
// message for one responder, or both (an offer is an offer.sent on the
// map and an offer on the phone).
type note struct {
	event message
	point orb.Point
	key   string
	about about
	// variant: another wording of an event already counted, for another
	// audience.
	variant bool

	to    mobilize.ResponderID
	inbox message
}

// about is what a console event concerns: a need, a person, or both. Who
// may see the event follows from it (Notifier.audience): a need is seen by
// coordinators of its organisation and of the areas holding its
// community; a person by their organisation's coordinator; an event about
// both (an offer) only by a coordinator who sees both.
type about struct {
	need      bool
	needOrg   string
	community mobilize.AreaID
	// needID names a need the event does not carry (an answer): its
	// place, organisation and community are read before publishing.
	needID mobilize.NeedID
	// person is the responder the event is about; their organisation is
	// read before publishing.
	person mobilize.ResponderID
	// operatorsOnly and coordinatorsOnly narrow the audience to one side,
	// for an event worded once for each.
	operatorsOnly, coordinatorsOnly bool
}

func aboutNeed(n mobilize.Need) about {
	return about{need: true, needOrg: n.OrgID, community: n.Community}
}

// Keys order console events: those of one need, or of one responder, are
// published in the order they happened.
func needKey(id mobilize.NeedID) string           { return "n:" + string(id) }
func responderKey(id mobilize.ResponderID) string { return "r:" + string(id) }

// rfc3339 formats times on the wire: UTC, RFC 3339.
func rfc3339(t time.Time) string { return t.UTC().Format(time.RFC3339Nano) }

// say words a domain event for phones and consoles. It reads the event
// only here, on the emitter's goroutine, so that nothing the emitter
// changes afterwards reaches the wire. approxRes is the resolution of the
// area an offer shows.
func say(e mobilize.Event, approxRes int) []note {
	switch e := e.(type) {
	case mobilize.NeedCreated:
		n := e.Need
		return []note{console(needKey(n.ID), n.Point, aboutNeed(n), wire.NeedCreated{
			NeedID: string(n.ID), Number: n.Number, Lat: n.Point.Lat(), Lng: n.Point.Lon(), Urgency: n.Urgency, Category: n.Category,
			Status: string(n.Status), Slots: n.Slots(), Community: string(n.Community), At: rfc3339(n.CreatedAt),
		})}
	case mobilize.OfferSent:
		n := e.Need
		at := aboutNeed(n.Need)
		at.person = e.Responder
		nt := console(needKey(n.ID), n.Point, at, wire.OfferSent{
			NeedID: string(n.ID), Lat: n.Point.Lat(), Lng: n.Point.Lon(), OfferID: string(e.Offer),
			ResponderID: string(e.Responder), Role: string(e.Role), ResponderLat: e.From.Lat(), ResponderLng: e.From.Lon(),
			Reason: string(e.Reason), Urgency: n.Urgency, At: rfc3339(e.At), Wave: waveOf(e.Wave),
		})
		nt.to, nt.inbox = e.Responder, offer(e, approxRes)
		return []note{nt}
	case mobilize.OfferAnswered:
		// The event carries no point: the notifier reads the need's place
		// and scope before publishing it.
		out := []note{console(needKey(e.Need), orb.Point{}, about{need: true, needID: e.Need, person: e.Responder}, wire.OfferAnswered{
			NeedID: string(e.Need), OfferID: string(e.Offer), ResponderID: string(e.Responder), State: string(e.State), At: rfc3339(e.At),
		})}
		if e.State == mobilize.AssignExpired {
			out = append(out, withdrawal(e.Responder, e.Offer, e.Need, wire.WithdrawnExpired))
		}
		if e.State == mobilize.AssignWithdrawn { // its wave's place was taken
			out = append(out, withdrawal(e.Responder, e.Offer, e.Need, wire.WithdrawnFilled))
		}
		return out
	case mobilize.OfferLost:
		if e.Responder == "" {
			return nil
		}
		return []note{withdrawal(e.Responder, e.Offer, "", wire.WithdrawnLostInFailover)}
	case mobilize.NeedClosed:
		reason := wire.WithdrawnCancelled
		if e.Status == mobilize.NeedUnstaffed {
			reason = wire.WithdrawnUnstaffed
		}
		var out []note
		for _, w := range e.Withdrawn {
			out = append(out, withdrawal(w.Responder, w.OfferID, e.Need.ID, reason))
		}
		n := e.Need
		return append(out, console(needKey(n.ID), n.Point, aboutNeed(n), wire.NeedUpdated{
			NeedID: string(n.ID), Lat: n.Point.Lat(), Lng: n.Point.Lon(), Status: string(e.Status), At: rfc3339(e.At),
		}))
	case mobilize.TeamStaffed:
		return staffed(e)
	case mobilize.TaskCompleted:
		n := e.Need
		return []note{console(needKey(n.ID), n.Point, aboutNeed(n), wire.NeedCompleted{
			NeedID: string(n.ID), Lat: n.Point.Lat(), Lng: n.Point.Lon(), Status: string(mobilize.NeedCompleted), At: rfc3339(e.At),
		})}
	case mobilize.NeedEscalated:
		n, step := e.Need, mobilize.EscalationSteps[e.Step]
		return []note{console(needKey(n.ID), n.Point, aboutNeed(n.Need), wire.NeedEscalated{
			NeedID: string(n.ID), Lat: n.Point.Lat(), Lng: n.Point.Lon(),
			Step: e.Step, StepName: step.Name, Tier: string(step.Tier),
			Manual: e.Reason == mobilize.EscalatedManually, Reason: string(e.Reason),
			Community: string(n.Community), Number: n.Number, Urgency: n.Urgency, GoalS: e.Goal.Seconds(),
			WaitedS: math.Round(e.Waited.Seconds()), OpenS: math.Round(e.At.Sub(n.CreatedAt).Seconds()), At: rfc3339(e.At),
		})}
	case mobilize.NeedSupplied:
		n, s := e.Need, e.Supplies
		return []note{console(needKey(n.ID), n.Point, aboutNeed(n.Need), wire.NeedSupplied{
			NeedID: string(n.ID), Lat: n.Point.Lat(), Lng: n.Point.Lon(),
			DepotID: s.DepotID, DepotLat: s.DepotPoint.Lat(), DepotLng: s.DepotPoint.Lon(), At: rfc3339(e.At),
		})}
	case mobilize.ResponderMoved:
		return []note{console(responderKey(e.Responder), e.Point, about{person: e.Responder}, wire.ResponderMoved{
			ResponderID: string(e.Responder), Role: string(e.Role), Status: string(e.Status),
			Lat: e.Point.Lat(), Lng: e.Point.Lon(), At: rfc3339(e.At),
		})}
	case mobilize.PreAlerted:
		// The push and SMS ladder (mobilize/reach) may carry this event
		// beyond the inbox; here it is the inbox's standby.
		out := make([]note, 0, len(e.To))
		msg := wire.Standby{IncidentID: string(e.Incident), Alert: e.Alert, Headline: e.Headline, Severity: e.Severity, SentAt: rfc3339(e.At)}
		if !e.Expires.IsZero() {
			msg.ExpiresAt = rfc3339(e.Expires)
		}
		for _, rid := range e.To {
			out = append(out, note{to: rid, inbox: msg})
		}
		return out
	case mobilize.Nudged:
		// Surge nudges (mobilize/nudge.go): the inbox's ask to go on duty;
		// the reach ladder adds push and SMS.
		msg := wire.Nudge{NudgeID: e.Nudge, Cell: e.Cell.String(), Lat: e.Point.Lat(), Lng: e.Point.Lon(),
			Needs: e.Needs, Urgency: e.Urgency, SentAt: rfc3339(e.At)}
		out := make([]note, 0, len(e.To))
		for _, rid := range e.To {
			out = append(out, note{to: rid, inbox: msg})
		}
		return out
	case mobilize.MemberArrived:
		return fieldStatus(e.Need, e.Status, e.To, e.At)
	case mobilize.MemberLeft:
		return fieldStatus(e.Need, e.Status, e.To, e.At)
	case mobilize.MessagePosted:
		return teamMessage(e)
	case mobilize.ThreadRead:
		read := wire.MessageRead{NeedID: string(e.Need.ID), ResponderID: string(e.Responder), MessageID: e.UpTo,
			Lat: e.Need.Point.Lat(), Lng: e.Need.Point.Lon(), At: rfc3339(e.At)}
		return []note{console(needKey(e.Need.ID), e.Need.Point, aboutNeed(e.Need), read)}
	case mobilize.Alerted:
		out := make([]note, 0, len(e.To))
		for _, rid := range e.To {
			out = append(out, note{to: rid, inbox: wire.Alert{AlertID: e.Alert, Message: e.Message, SentAt: rfc3339(e.At)}})
		}
		return out
	}
	return nil
}

func console(key string, p orb.Point, a about, ev message) note {
	return note{event: ev, point: p, key: key, about: a}
}

func withdrawal(to mobilize.ResponderID, offer mobilize.OfferID, need mobilize.NeedID, reason string) note {
	return note{to: to, inbox: wire.OfferWithdrawn{OfferID: string(offer), NeedID: string(need), Reason: reason}}
}

// staffed tells each member of the team where to go and with whom, takes
// back the offers still pending, and tells the consoles.
func staffed(e mobilize.TeamStaffed) []note {
	n := e.Need
	var team []wire.TeamMember
	for _, a := range e.Team {
		team = append(team, wire.TeamMember{ResponderID: string(a.ResponderID), Role: string(a.Role)})
	}
	out := make([]note, 0, len(e.Team)+len(e.Withdrawn)+1)
	for _, a := range e.Team {
		out = append(out, note{to: a.ResponderID, inbox: wire.Assignment{
			NeedID: string(n.ID), Role: string(a.Role), LeadID: string(n.LeadID), Team: team,
			Lat: n.Point.Lat(), Lng: n.Point.Lon(), Category: n.Category, Description: n.Description, Pickup: pickup(n),
		}})
	}
	for _, w := range e.Withdrawn {
		out = append(out, withdrawal(w.Responder, w.OfferID, n.ID, wire.WithdrawnFilled))
	}
	// Operators see the team; the coordinators of the need see that it is
	// staffed, not by whom: the team may be other organisations' people.
	full := console(needKey(n.ID), n.Point, about{operatorsOnly: true}, wire.NeedStaffed{
		NeedID: string(n.ID), Lat: n.Point.Lat(), Lng: n.Point.Lon(), LeadID: string(n.LeadID), Team: team,
		Status: string(n.Status), At: rfc3339(e.At),
	})
	scoped := aboutNeed(n.Need)
	scoped.coordinatorsOnly = true
	teamless := console(needKey(n.ID), n.Point, scoped, wire.NeedStaffed{
		NeedID: string(n.ID), Lat: n.Point.Lat(), Lng: n.Point.Lon(), Team: []wire.TeamMember{},
		Status: string(n.Status), At: rfc3339(e.At),
	})
	teamless.variant = true
	return append(out, full, teamless)
}

// offer words an offer for the responder's phone: what and roughly where
// (the need's cell at resolution res), never the exact point nor the
// description, which only the team is told (Answered, Assignment).
func offer(e mobilize.OfferSent, res int) wire.Offer {
	n := e.Need
	p := mobilize.PreviewOffer(n.Need, e.DistanceMeters, res)
	return wire.Offer{
		OfferID: string(e.Offer), NeedID: string(n.ID), Role: string(e.Role), Category: n.Category,
		Urgency: n.Urgency, Title: p.Title, Approx: approx(p), DistanceM: p.DistanceMeters,
		ExpiresAt: rfc3339(e.Expires), Pickup: pickup(n),
	}
}

func approx(p mobilize.OfferPreview) wire.Approx {
	return wire.Approx{Cell: p.Cell.String(), Lat: p.Centre.Lat(), Lng: p.Centre.Lon(), Resolution: p.Resolution}
}

// pickup says where to collect the need's items, when they wait at a depot.
func pickup(n mobilize.NeedState) *wire.Pickup {
	p, ok := n.Pickup()
	if !ok {
		return nil
	}
	items := make([]wire.PickupItem, len(p.Items))
	for i, it := range p.Items {
		items[i] = wire.PickupItem{Item: string(it.Item), Count: it.Count}
	}
	return &wire.Pickup{DepotID: p.DepotID, Lat: p.Point.Lat(), Lng: p.Point.Lon(), Items: items}
}

// fieldStatus tells the other members of the team (to) and the consoles
// following the need that a member arrived or left.
func fieldStatus(n mobilize.Need, st mobilize.FieldStatus, to []mobilize.ResponderID, at time.Time) []note {
	m := wire.FieldStatus{
		NeedID: string(n.ID), ResponderID: string(st.Responder), State: string(st.State),
		ArrivedAt: rfc3339(st.ArrivedAt), Confirmed: st.Confirmed, DistanceM: math.Round(st.DistanceMeters),
		Reason: st.Reason, Lat: n.Point.Lat(), Lng: n.Point.Lon(), At: rfc3339(at),
	}
	if !st.LeftAt.IsZero() {
		m.LeftAt = rfc3339(st.LeftAt)
	}
	out := make([]note, 0, len(to)+1)
	for _, rid := range to {
		out = append(out, note{to: rid, inbox: m})
	}
	a := aboutNeed(n)
	a.person = st.Responder
	return append(out, console(needKey(n.ID), n.Point, a, m))
}

// teamMessage delivers a thread message to every other member's inbox and
// shows it on the consoles following the need.
func teamMessage(e mobilize.MessagePosted) []note {
	m := e.Message
	w := wire.Message{
		MessageID: m.ID, NeedID: string(m.Need), From: m.From.ID, FromKind: string(m.From.Kind),
		FromRole: m.From.Role, Text: m.Text, SentAt: rfc3339(m.At), Scope: e.Scope,
	}
	if w.Scope == "" {
		w.Scope = mobilize.ScopeDirect
		if e.Need.ID != "" {
			w.Scope = mobilize.ScopeTeam
		}
	}
	out := make([]note, 0, len(e.To)+1)
	if !e.Stored { // else the inbox entries are written already (WriteMessage)
		for _, rid := range e.To {
			out = append(out, note{to: rid, inbox: w})
		}
	}
	n := e.Need
	if n.ID == "" { // to one responder: no console follows it
		return out
	}
	return append(out, console(needKey(n.ID), n.Point, aboutNeed(n), w))
}

// waveOf words an offer's wave; nil for a single offer.
func waveOf(w *mobilize.Wave) *wire.Wave {
	if w == nil {
		return nil
	}
	return &wire.Wave{PAccept: w.PAccept, Size: w.Size, Outstanding: w.Outstanding}
}
