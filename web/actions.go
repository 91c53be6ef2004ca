package web

import (
	"context"
	"errors"

	"github.com/paulmach/orb"
	"go.uber.org/zap"

	"github.com/liandong/liandong/geo"
	"github.com/liandong/liandong/mobilize"
	"github.com/liandong/liandong/realtime/wire"
)

// A responder's own actions (report a position, go on or off duty,
// answer an offer, report a task done) arrive through two doors: HTTP
// routes and websocket messages. Each door reads its own envelope and
// then calls the one function here for the action, which checks the
// input, calls the application and records the audit entry, so that the
// doors cannot disagree on what an action does, tells or refuses.

// responderApp is what the responder actions need of the application.
type responderApp interface {
	Locate(ctx context.Context, rid mobilize.ResponderID, p orb.Point) error
	SetDuty(ctx context.Context, rid mobilize.ResponderID, onDuty bool) (mobilize.Status, error)
	Respond(ctx context.Context, rid mobilize.ResponderID, offerID mobilize.OfferID, accept bool) (mobilize.Answer, error)
	Complete(ctx context.Context, id mobilize.NeedID, rid mobilize.ResponderID) error
	// Need is read after an accept, for the exact place the offer left out.
	Need(ctx context.Context, id mobilize.NeedID) (mobilize.NeedState, error)
	fieldApp // field.go: arriving at and leaving a need
}

// responderActions carries out the actions for whoever is calling.
type responderActions struct {
	app   responderApp
	log   *zap.Logger
	audit func(ctx context.Context, id Identity, action, target string, count int)
	// locations limits location reports per responder, not per socket or
	// token: one person's many sockets share one budget.
	locations *limiterSet
}

// locate records the position in body ({"lat","lng"}) of responder rid.
func (r responderActions) locate(ctx context.Context, id Identity, rid mobilize.ResponderID, body []byte) error {
	pt, err := parseLocation(body)
	if err != nil {
		return err
	}
	if err := r.locations.allow(string(rid)); err != nil {
		var e *Error
		if errors.As(err, &e) {
			e.Message = "too many location reports for this responder (all their sockets and the API count together): report less often"
		}
		return err
	}
	if err := r.app.Locate(ctx, rid, pt); err != nil {
		return err
	}
	r.audit(ctx, id, "responder.locate", string(rid), 0)
	return nil
}

// setStatus puts rid on or off duty as body ({"status"}) says.
func (r responderActions) setStatus(ctx context.Context, id Identity, rid mobilize.ResponderID, body []byte) error {
	onDuty, err := parseStatus(body)
	if err != nil {
		return err
	}
	if _, err := r.app.SetDuty(ctx, rid, onDuty); err != nil {
		return err
	}
	r.audit(ctx, id, "responder.status", string(rid), 0)
	return nil
}

// answer accepts or declines the caller's offer. Someone else's offer is
// "not found", as the service words it; an offer answered already is a
// conflict that says what became of it. An accept is answered with the
// exact place, which the offer did not carry.
func (r responderActions) answer(ctx context.Context, id Identity, offerID string, accept bool) (mobilize.Answer, *wire.Place, error) {
	if offerID == "" {
		return mobilize.Answer{}, nil, invalid("offer_id is required")
	}
	if !idPattern.MatchString(offerID) {
		return mobilize.Answer{}, nil, notFound("offer")
	}
	a, err := r.app.Respond(ctx, mobilize.ResponderID(id.Subject), mobilize.OfferID(offerID), accept)
	if a.Outcome == mobilize.AnswerNotPending && a.State != "" {
		return a, nil, &Error{Kind: mobilize.ErrConflict, Message: "offer already " + string(a.State), State: string(a.State)}
	}
	if err != nil || !accept {
		return a, nil, err
	}
	n, err := r.app.Need(ctx, a.Need)
	if err != nil {
		// The accept is stored: the place reaches the phone with the
		// assignment once the team is complete.
		r.log.Warn("accepted need not read back", zap.String("need", string(a.Need)), zap.Error(err))
		return a, nil, nil
	}
	return a, placeOf(&n), nil
}

// placeOf is exactly where a need is, for the people on its team.
func placeOf(n *mobilize.NeedState) *wire.Place {
	return &wire.Place{Lat: geo.Lat(n.Point), Lng: geo.Lng(n.Point), Description: n.Description}
}

// complete reports the caller's part of a need done.
func (r responderActions) complete(ctx context.Context, id Identity, needID, note string) error {
	var p problems
	p.text("note", note, mobilize.MaxDescription, false, true)
	if err := p.err(); err != nil {
		return err
	}
	if needID == "" {
		return invalid("need_id is required")
	}
	if !idPattern.MatchString(needID) {
		return notFound("need")
	}
	return r.app.Complete(ctx, mobilize.NeedID(needID), mobilize.ResponderID(id.Subject))
}

// arrive reports the caller's arrival at a need, where req says they are.
func (r responderActions) arrive(ctx context.Context, id Identity, needID string, req arrivalRequest) (mobilize.FieldStatus, error) {
	pt, reason, err := req.check()
	if err != nil {
		return mobilize.FieldStatus{}, err
	}
	if !idPattern.MatchString(needID) {
		return mobilize.FieldStatus{}, notFound("need")
	}
	st, err := r.app.Arrive(ctx, mobilize.NeedID(needID), mobilize.ResponderID(id.Subject), pt, reason)
	if errors.Is(err, mobilize.ErrTooFar) {
		return st, &Error{Kind: mobilize.ErrTooFar, Message: lastPart(err)}
	}
	if err != nil {
		return st, err
	}
	r.audit(ctx, id, "need.arrival", needID, 0)
	return st, nil
}

// depart reports that the caller left a need.
func (r responderActions) depart(ctx context.Context, id Identity, needID string) (mobilize.FieldStatus, error) {
	if !idPattern.MatchString(needID) {
		return mobilize.FieldStatus{}, notFound("need")
	}
	st, err := r.app.Depart(ctx, mobilize.NeedID(needID), mobilize.ResponderID(id.Subject))
	if err != nil {
		return st, err
	}
	r.audit(ctx, id, "need.departure", needID, 0)
	return st, nil
}
