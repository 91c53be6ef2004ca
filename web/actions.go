package web

import (
	"context"
	"errors"

	"github.com/paulmach/orb"

	"github.com/liandong/liandong/mobilize"
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
}

// responderActions carries out the actions for whoever is calling.
type responderActions struct {
	app   responderApp
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
// "not found", as the service words it.
func (r responderActions) answer(ctx context.Context, id Identity, offerID string, accept bool) (mobilize.Answer, error) {
	if offerID == "" {
		return mobilize.Answer{}, invalid("offer_id is required")
	}
	if !idPattern.MatchString(offerID) {
		return mobilize.Answer{}, notFound("offer")
	}
	return r.app.Respond(ctx, mobilize.ResponderID(id.Subject), mobilize.OfferID(offerID), accept)
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
