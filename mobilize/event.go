package mobilize

import (
	"context"
	"math"
	"time"

	"github.com/paulmach/orb"
)

// Event is one thing that happened, told to the world through an
// EventSink. Console events have a Type and a Point; a message for one
// responder's durable inbox has To and Message. One event may be both
// (an offer is an "offer.sent" on the map and an "offer" in the inbox).
type Event struct {
	Type  string // need.created, need.updated, offer.sent, offer.answered, need.staffed, need.completed, responder.moved
	Point orb.Point
	At    time.Time
	Data  map[string]any // ids and coordinates the console needs

	To      ResponderID // recipient of a durable inbox message, if any
	Message string      // offer, offer_withdrawn, assignment
	Payload map[string]any
}

// EventSink receives events; cmd wires the websocket hub in as one. Emit
// must not block for long: it is called on the matcher's path.
type EventSink interface {
	Emit(ctx context.Context, e Event)
}

// EventSinkFunc adapts a function to EventSink.
type EventSinkFunc func(ctx context.Context, e Event)

// Emit calls f.
func (f EventSinkFunc) Emit(ctx context.Context, e Event) { f(ctx, e) }

// discard is the sink used when none is given.
var discard = EventSinkFunc(func(context.Context, Event) {})

// rfc3339 formats times on the wire: UTC, RFC 3339.
func rfc3339(t time.Time) string { return t.UTC().Format(time.RFC3339Nano) }

func needPointData(n *Need) map[string]any {
	return map[string]any{"need_id": n.ID, "lat": n.Point.Lat(), "lng": n.Point.Lon()}
}

func (m *Matcher) emitOffer(ctx context.Context, n *NeedState, team int, o OfferRequest, c Candidate) {
	emitOffer(ctx, m.sink, n, team, o, c, m.now())
}

func emitOffer(ctx context.Context, sink EventSink, n *NeedState, team int, o OfferRequest, c Candidate, now time.Time) {
	data := needPointData(&n.Need)
	data["offer_id"], data["responder_id"], data["role"] = o.OfferID, o.Responder, n.Team[team].Role
	data["responder_lat"], data["responder_lng"] = c.Point.Lat(), c.Point.Lon()
	data["reason"], data["urgency"] = o.Reason, n.Urgency
	sink.Emit(ctx, Event{
		Type: "offer.sent", Point: n.Point, At: now, Data: data,
		To: o.Responder, Message: "offer",
		Payload: withPickup(map[string]any{
			"offer_id": o.OfferID, "need_id": n.ID, "role": n.Team[team].Role, "category": n.Category,
			"urgency": n.Urgency, "lat": n.Point.Lat(), "lng": n.Point.Lon(),
			"distance_m": math.Round(c.DistanceMeters), "expires_at": rfc3339(now.Add(o.TTL)),
			"description": n.Description,
		}, n),
	})
}

// emitAnswer tells the console what became of an offer and, for an
// expired one, tells the responder it is gone.
func (m *Matcher) emitAnswer(ctx context.Context, a Answer, state string) {
	emitAnswer(ctx, m.sink, a, state, m.now())
}

func emitAnswer(ctx context.Context, sink EventSink, a Answer, state string, now time.Time) {
	sink.Emit(ctx, Event{Type: "offer.answered", At: now, Data: map[string]any{
		"need_id": a.Need, "offer_id": a.OfferID, "responder_id": a.Responder, "state": state,
	}})
	if state == "expired" {
		sink.Emit(ctx, Event{At: now, To: a.Responder, Message: "offer_withdrawn",
			Payload: map[string]any{"offer_id": a.OfferID, "need_id": a.Need, "reason": "expired"}})
	}
}

// emitClosed withdraws every offer of a closed need.
func (m *Matcher) emitClosed(ctx context.Context, n *NeedState, status NeedStatus, c Closed) {
	emitClosed(ctx, m.sink, &n.Need, status, c, m.now())
}

func emitClosed(ctx context.Context, sink EventSink, n *Need, status NeedStatus, c Closed, now time.Time) {
	reason := "cancelled"
	if status == NeedUnstaffed {
		reason = "unstaffed"
	}
	for _, w := range c.Withdrawn {
		sink.Emit(ctx, Event{At: now, To: w.Responder, Message: "offer_withdrawn",
			Payload: map[string]any{"offer_id": w.OfferID, "need_id": n.ID, "reason": reason}})
	}
	data := needPointData(n)
	data["status"] = status
	sink.Emit(ctx, Event{Type: "need.updated", Point: n.Point, At: now, Data: data})
}
