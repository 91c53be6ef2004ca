package web

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"strings"
	"time"

	"go.uber.org/zap"

	"github.com/liandong/liandong/mobilize"
	"github.com/liandong/liandong/realtime"
)

// People's control of their own data (docs/PRIVACY.md): a responder, or an
// admin for them, downloads everything held about them; an admin erases a
// responder, with a reason, audited.

// PrivacyRecordStore is what the API's own records hold about a person:
// audit entries that name them and answers kept for retries.
type PrivacyRecordStore interface {
	// AuditAbout returns the entries whose target is id or one of its
	// records ("id/..."), oldest first.
	AuditAbout(ctx context.Context, id string) ([]mobilize.AuditEntry, error)
	// PseudonymiseAudit replaces from with to in every entry.
	PseudonymiseAudit(ctx context.Context, from, to string) (int, error)
	// ForgetIdempotency deletes the kept answers that mention needle.
	ForgetIdempotency(ctx context.Context, needle string) (int, error)
}

// PersonalInbox is a responder's durable websocket inbox, for the export
// and for erasure.
type PersonalInbox interface {
	ReadAfter(ctx context.Context, userID, after string, limit int) (realtime.InboxPage, error)
	Erase(ctx context.Context, userID string) error
}

// privacyApp is what the privacy group needs of the application.
type privacyApp interface {
	responderReader
	PersonalData(ctx context.Context, rid mobilize.ResponderID, hoursCap time.Duration) (mobilize.PersonalData, error)
	Erase(ctx context.Context, rid mobilize.ResponderID) (mobilize.ResponderID, mobilize.EraseOutcome, error)
}

type privacyGroup struct {
	app       privacyApp
	records   PrivacyRecordStore
	inbox     PersonalInbox // nil: no inbox to export or erase (tests without a hub)
	auth      *Authenticator
	audit     *auditor
	log       *zap.Logger
	now       func() time.Time
	hoursCap  time.Duration
	revokeTTL time.Duration // the longest a responder's token lives
	// hangUp closes the erased person's sockets on every process.
	hangUp func(ctx context.Context, userID string)
	// devices are the Web Push subscriptions an export lists; nil: push
	// is off (erasure deletes them in the store's Erase).
	devices pushDeviceLister
}

// exportInboxLimit bounds the inbox entries an export reads; the inbox
// keeps at most 1,000.
const exportInboxLimit = 1000

type exportJSON struct {
	ExportedAt    string             `json:"exported_at"`
	Responder     responderJSON      `json:"responder" doc:"profile, skills, organisation, phone, status and last known position"`
	PositionNote  string             `json:"position_history" doc:"no history of positions is kept: only the last one, above"`
	Load          exportLoadJSON     `json:"load"`
	Fatigue       string             `json:"fatigue,omitempty" doc:"recent declines|last decline ms|day|seconds served that day"`
	FairLoad      string             `json:"fair_load,omitempty" doc:"offer times (ms) of the last hour | completed ms:seconds of the last 24 h"`
	Reliability   *reliabilityJSON   `json:"reliability"`
	Offers        []exportOfferJSON  `json:"offers" doc:"every offer made to them and what became of it"`
	Hours         hoursJSON          `json:"hours"`
	Feedback      []exportRatingJSON `json:"feedback" doc:"ratings of the needs they completed"`
	Organisations []string           `json:"organisations" doc:"organisations whose member lists hold them"`
	Inbox         []exportInboxJSON  `json:"inbox" doc:"messages their phone was sent that are still held"`
	Audit         []auditEntry       `json:"audit" doc:"what staff did to or with their data"`
	PushDevices   []pushDeviceJSON   `json:"push_devices" doc:"devices registered for Web Push (push.go)"`
}

type exportLoadJSON struct {
	OnDuty            bool   `json:"on_duty"`
	PendingOffer      string `json:"pending_offer,omitempty"`
	ActiveAssignments int    `json:"active_assignments"`
}

type exportOfferJSON struct {
	NeedID         string                   `json:"need_id"`
	Category       string                   `json:"category"`
	Lead           bool                     `json:"lead"`
	OfferID        string                   `json:"offer_id"`
	Role           mobilize.Role            `json:"role"`
	TeamIndex      int                      `json:"team_index"`
	State          mobilize.AssignmentState `json:"state"`
	OfferedAt      string                   `json:"offered_at"`
	ExpiresAt      string                   `json:"expires_at"`
	AnsweredAt     *string                  `json:"answered_at"`
	DistanceMeters float64                  `json:"distance_m"`
	Reason         mobilize.Reason          `json:"reason,omitempty"`
}

type exportRatingJSON struct {
	NeedID string `json:"need_id"`
	ratingJSON
}

type exportInboxJSON struct {
	ID   string          `json:"id"`
	Type string          `json:"type"`
	TS   string          `json:"ts"`
	Data json.RawMessage `json:"data"`
}

// handleExport is GET /api/v1/responders/{id}/export.
func (g *privacyGroup) handleExport(ctx context.Context, c *call) error {
	r, _, err := responderFor(ctx, g.app, c)
	if err != nil {
		return err
	}
	d, err := g.app.PersonalData(ctx, r.ID, g.hoursCap)
	if err != nil {
		return err
	}
	out := exportJSON{
		ExportedAt: rfc3339(g.now()), Responder: toResponderJSON(d.Responder, d.Presence),
		PositionNote: "not kept",
		Load:         exportLoadJSON{OnDuty: d.OnDuty, PendingOffer: string(d.PendingOffer), ActiveAssignments: d.Accepted},
		Fatigue:      d.Fatigue, FairLoad: d.FairLoad,
		Offers: []exportOfferJSON{}, Feedback: []exportRatingJSON{}, Organisations: []string{}, Inbox: []exportInboxJSON{}, Audit: []auditEntry{},
		Hours: hoursJSON{ResponderID: string(r.ID), TotalHours: totalHours(d.Ledger), Entries: make([]hoursEntryJSON, len(d.Ledger))},
	}
	if d.HasReliability {
		rel := d.Reliability
		out.Reliability = &reliabilityJSON{Score: rel.Score(), Completed: rel.Completed, Lapsed: rel.Lapsed, Ratings: rel.Ratings}
	}
	for _, o := range d.Offers {
		out.Offers = append(out.Offers, exportOfferJSON{
			NeedID: string(o.Need), Category: o.Category, Lead: o.Lead, OfferID: string(o.OfferID), Role: o.Role, TeamIndex: o.TeamIndex,
			State: o.State, OfferedAt: rfc3339(o.OfferedAt), ExpiresAt: rfc3339(o.ExpiresAt), AnsweredAt: optionalTime(o.AnsweredAt),
			DistanceMeters: o.DistanceMeters, Reason: o.Reason,
		})
	}
	for i, e := range d.Ledger {
		out.Hours.Entries[i] = toHoursEntryJSON(e)
	}
	for _, f := range d.Feedback {
		out.Feedback = append(out.Feedback, exportRatingJSON{NeedID: string(f.Need), ratingJSON: ratingJSON{Rating: f.Rating, Comment: f.Comment, At: rfc3339(f.At)}})
	}
	out.Organisations = append(out.Organisations, d.Organisations...)
	if g.inbox != nil {
		page, err := g.inbox.ReadAfter(ctx, string(r.ID), "0-0", exportInboxLimit)
		if err != nil {
			return err
		}
		for _, e := range page.Entries {
			data := json.RawMessage(e.Data)
			if !json.Valid(data) {
				data, _ = json.Marshal(e.Data)
			}
			out.Inbox = append(out.Inbox, exportInboxJSON{ID: e.ID, Type: e.Type, TS: e.TS, Data: data})
		}
	}
	if out.PushDevices, err = exportPushDevices(ctx, g.devices, r.ID); err != nil {
		return err
	}
	entries, err := g.records.AuditAbout(ctx, string(r.ID))
	if err != nil {
		return err
	}
	for _, e := range entries {
		out.Audit = append(out.Audit, toAuditEntry(e))
	}
	g.audit.record(ctx, c.id, "responder.export", string(r.ID), 0)
	c.json(http.StatusOK, out)
	return nil
}

// eraseRequest is the body of POST /api/v1/responders/{id}/erase.
type eraseRequest struct {
	Reason string `json:"reason" api:"required" doc:"why, up to 2,000 bytes, e.g. the person's request and its date; kept in the audit log (the person's name and phone are replaced by the pseudonym)"`
}

type erasedJSON struct {
	ResponderID string `json:"responder_id" doc:"the id that was erased"`
	Pseudonym   string `json:"pseudonym" doc:"the name their hours, service records and audit entries are kept under"`
	Already     bool   `json:"already" doc:"true when it had been erased before (the call finished what was left)"`
}

// handleErase is POST /api/v1/responders/{id}/erase (admin). The roster's
// records go in one atomic step (refused with 409 while the person holds
// an offer or an assignment); then the tokens, inbox, kept answers and
// audit entries, each step safe to repeat, so that an erasure cut short
// is finished by calling again.
func (g *privacyGroup) handleErase(ctx context.Context, c *call) error {
	var req eraseRequest
	if err := decodeStrict(c.body, &req); err != nil {
		return err
	}
	var p problems
	p.text("reason", req.Reason, 2000, true, true)
	if err := p.err(); err != nil {
		return err
	}
	rid := c.r.PathValue("id")
	if !idPattern.MatchString(rid) {
		return notFound("responder")
	}
	// Read first: the name and phone are scrubbed from the reason.
	r, _, err := g.app.Responder(ctx, mobilize.ResponderID(rid))
	if err != nil && !errors.Is(err, mobilize.ErrNotFound) {
		return err
	}
	ps, outcome, err := g.app.Erase(ctx, mobilize.ResponderID(rid))
	if err != nil {
		return err
	}
	if err := g.auth.RevokeSubject(ctx, rid, g.revokeTTL); err != nil {
		return err
	}
	g.hangUp(ctx, socketUser(rid, RoleResponder))
	if g.inbox != nil {
		if err := g.inbox.Erase(ctx, rid); err != nil {
			return err
		}
	}
	if _, err := g.records.ForgetIdempotency(ctx, rid); err != nil {
		return err
	}
	if _, err := g.records.PseudonymiseAudit(ctx, rid, string(ps)); err != nil {
		return err
	}
	reason := req.Reason
	for _, personal := range []string{r.Name, r.Phone, rid} {
		if personal != "" {
			reason = strings.ReplaceAll(reason, personal, string(ps))
		}
	}
	g.audit.recordWhy(ctx, c.id, "responder.erase", string(ps), 0, reason)
	g.log.Info("responder erased", zap.String("pseudonym", string(ps)), zap.String("by", c.id.Subject), zap.Bool("already", outcome == mobilize.EraseAlready))
	c.json(http.StatusOK, erasedJSON{ResponderID: rid, Pseudonym: string(ps), Already: outcome == mobilize.EraseAlready})
	return nil
}
