package web

import (
	"context"
	"net/http"

	"github.com/liandong/liandong/mobilize"
)

// The hours ledger over HTTP: a responder reads its own, staff read their
// people's and correct an entry with a reason, which is audited.

type hoursJSON struct {
	ResponderID string           `json:"responder_id"`
	TotalHours  float64          `json:"total_hours"`
	Entries     []hoursEntryJSON `json:"entries"`
}

type hoursEntryJSON struct {
	ID          string        `json:"id" doc:"ledger entry id; PUT .../hours/{id} corrects it"`
	NeedID      string        `json:"need_id"`
	Role        mobilize.Role `json:"role"`
	Category    string        `json:"category"`
	OrgID       string        `json:"org_id,omitempty" doc:"the organisation that owned the need"`
	AcceptedAt  string        `json:"accepted_at"`
	CompletedAt string        `json:"completed_at"`
	Hours       float64       `json:"hours" doc:"by the rule: arrival to leaving (or completion), else accepted to completed; capped per assignment, unless corrected"`
	Rule        string        `json:"rule" doc:"which rule counted the hours: arrival (the member reported arriving) or acceptance (no arrival reported)"`
	ArrivedAt   *string       `json:"arrived_at,omitempty" doc:"when the member reported arriving, under the arrival rule"`
	LeftAt      *string       `json:"left_at,omitempty" doc:"when the member reported leaving, if before completion"`
	Edited      bool          `json:"edited"`
	EditReason  string        `json:"edit_reason,omitempty"`
	EditedBy    string        `json:"edited_by,omitempty"`
	EditedAt    *string       `json:"edited_at,omitempty"`
	Rating      *int          `json:"rating" doc:"the need's rating 1..5 by the person served, null until rated"`
}

func toHoursEntryJSON(e mobilize.ServiceEntry) hoursEntryJSON {
	out := hoursEntryJSON{
		ID: e.ID, NeedID: string(e.Need), Role: e.Role, Category: e.Category, OrgID: e.OrgID,
		AcceptedAt: rfc3339(e.AcceptedAt), CompletedAt: rfc3339(e.CompletedAt), Hours: e.Hours,
		Rule: string(e.Rule), ArrivedAt: optionalTime(e.ArrivedAt), LeftAt: optionalTime(e.LeftAt),
		Edited: e.Edited, EditReason: e.EditReason, EditedBy: e.EditedBy, EditedAt: optionalTime(e.EditedAt),
	}
	if e.Rating > 0 {
		r := e.Rating
		out.Rating = &r
	}
	return out
}

func totalHours(es []mobilize.ServiceEntry) float64 {
	var sum float64
	for _, e := range es {
		sum += e.Hours
	}
	return float64(int64(sum*100+0.5)) / 100
}

// ledgerFor loads the ledger of the path's responder for the caller (a
// responder only its own, a coordinator only its organisation's).
func (g *recognitionGroup) ledgerFor(ctx context.Context, c *call) (mobilize.Responder, []mobilize.ServiceEntry, error) {
	r, _, err := responderFor(ctx, g.app, c)
	if err != nil {
		return r, nil, err
	}
	entries, err := g.app.Ledger(ctx, r.ID, g.hoursCap)
	return r, entries, err
}

// handleHours is GET /api/v1/responders/{id}/hours.
func (g *recognitionGroup) handleHours(ctx context.Context, c *call) error {
	r, entries, err := g.ledgerFor(ctx, c)
	if err != nil {
		return err
	}
	out := hoursJSON{ResponderID: string(r.ID), TotalHours: totalHours(entries), Entries: make([]hoursEntryJSON, len(entries))}
	for i, e := range entries {
		out.Entries[i] = toHoursEntryJSON(e)
	}
	c.json(http.StatusOK, out)
	return nil
}

// hoursEditRequest is the body of PUT /api/v1/responders/{id}/hours/{entry}.
type hoursEditRequest struct {
	Hours  *float64 `json:"hours" api:"required" doc:"0..24"`
	Reason string   `json:"reason" api:"required" doc:"why, 1..500 characters; kept in the ledger and the audit log"`
}

// handleEditHours is PUT /api/v1/responders/{id}/hours/{entry}: a
// correction appended to the ledger, and an audit entry.
func (g *recognitionGroup) handleEditHours(ctx context.Context, c *call) error {
	var req hoursEditRequest
	if err := decodeStrict(c.body, &req); err != nil {
		return err
	}
	if req.Hours == nil {
		return invalid("hours is required")
	}
	if err := mobilize.ValidHoursEdit(*req.Hours, req.Reason); err != nil {
		return invalid(err.Error())
	}
	r, _, err := responderFor(ctx, g.app, c)
	if err != nil {
		return err
	}
	entry := c.r.PathValue("entry")
	if !streamIDPattern.MatchString(entry) {
		return notFound("ledger entry")
	}
	e, err := g.app.EditHours(ctx, r.ID, entry, *req.Hours, req.Reason, c.id.Subject, g.hoursCap)
	if err != nil {
		return err
	}
	g.audit.record(ctx, c.id, "hours.edit", string(r.ID)+"/"+entry, 0)
	c.json(http.StatusOK, toHoursEntryJSON(e))
	return nil
}
