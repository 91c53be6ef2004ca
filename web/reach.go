package web

import (
	"context"
	"net/http"

	"github.com/liandong/liandong/mobilize"
)

// handleReceived is POST /api/v1/responders/{id}/offers/{offer_id}/received:
// the responder's service worker says a pushed offer reached the device.
// It counts as the offer's acknowledgement, so the SMS fallback does not
// text it too. Only the responder's own pending offer is acknowledged.
func (g *smsGroup) handleReceived(ctx context.Context, c *call) error {
	if g.opts.Records == nil {
		return notFound("offer receipts")
	}
	if err := parseEmpty(c.body); err != nil {
		return err
	}
	rid, oid := c.r.PathValue("id"), c.r.PathValue("offer_id")
	if err := checkSelf(c.id, rid); err != nil {
		return err
	}
	if !idPattern.MatchString(rid) || !idPattern.MatchString(oid) {
		return notFound("offer")
	}
	po, found, err := g.pending.PendingOffer(ctx, mobilize.ResponderID(rid))
	if err != nil {
		return err
	}
	if !found || po.Assignment.OfferID != mobilize.OfferID(oid) {
		return notFound("pending offer")
	}
	ttl := po.Assignment.ExpiresAt.Sub(g.now())
	if ttl <= 0 {
		return notFound("pending offer")
	}
	if err := g.opts.Records.Acknowledge(ctx, mobilize.OfferID(oid), "receipt", ttl); err != nil {
		return err
	}
	c.w.WriteHeader(http.StatusNoContent)
	return nil
}
