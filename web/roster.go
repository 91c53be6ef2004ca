package web

import (
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"go.uber.org/zap"

	"github.com/liandong/liandong/mobilize"
	"github.com/liandong/liandong/mobilize/rostercsv"
)

// rosterGroup serves the roster's routes: staff list and find
// responders, correct their profiles, retire and bring them back, and
// import a roster from a spreadsheet. A coordinator does all of it only
// within its organisation.
type rosterGroup struct {
	app   rosterApp
	auth  *Authenticator
	audit *auditor
	log   *zap.Logger
	now   func() time.Time
	// hangUp closes a deactivated responder's sockets on every process.
	hangUp func(ctx context.Context, userID string)
	zone   *time.Location // where an imported certification's date ends
}

// rosterApp is what the roster group needs of the application.
type rosterApp interface {
	responderReader
	ListResponders(ctx context.Context, f mobilize.RosterFilter, after mobilize.ResponderID, limit int) (mobilize.RosterPage, error)
	UpdateResponder(ctx context.Context, rid mobilize.ResponderID, p mobilize.ResponderPatch) (mobilize.Responder, mobilize.Presence, error)
	Deactivate(ctx context.Context, rid mobilize.ResponderID, reason, by string) (mobilize.DeactivateOutcome, error)
	Reactivate(ctx context.Context, rid mobilize.ResponderID) (bool, error)
	ResponderDeactivation(ctx context.Context, rid mobilize.ResponderID) (*mobilize.Deactivation, error)
	OrgsIn(ctx context.Context, area mobilize.AreaID) ([]string, error)
	RegisterMany(ctx context.Context, rs []mobilize.Responder) error
	shiftApp // shifts.go
}

// maxImportBodyBytes bounds a CSV import: 10,000 rows of a few hundred
// bytes each.
const maxImportBodyBytes = 4 << 20

// rosterEntryJSON is one responder as the roster lists them: no phone (a
// page of 500 phones is not what a search needs; GET /responders/{id},
// audited, shows it) and no position.
type rosterEntryJSON struct {
	ID             string              `json:"id"`
	Name           string              `json:"name"`
	Role           mobilize.Role       `json:"role"`
	Skills         []string            `json:"skills"`
	Certifications []certificationJSON `json:"certifications"`
	OrgID          string              `json:"org_id,omitempty"`
	MaxConcurrent  int                 `json:"max_concurrent"`
	CreatedAt      string              `json:"created_at"`
	Status         string              `json:"status" enum:"available,offered,busy,off_duty,deactivated" doc:"deactivated: retired from the roster; otherwise the live status"`
	Deactivated    *deactivationJSON   `json:"deactivated" doc:"why and when the responder was retired; null when active"`
}

type deactivationJSON struct {
	Reason string `json:"reason"`
	At     string `json:"at"`
	By     string `json:"by"`
}

type rosterList struct {
	Responders []rosterEntryJSON `json:"responders"`
	NextCursor string            `json:"next_cursor" doc:"pass as cursor= for the next page; empty on the last"`
}

func toRosterEntryJSON(e mobilize.RosterEntry) rosterEntryJSON {
	r := toResponderJSON(e.Responder, e.Presence)
	out := rosterEntryJSON{ID: r.ID, Name: r.Name, Role: r.Role, Skills: r.Skills, Certifications: r.Certifications,
		OrgID: r.OrgID, MaxConcurrent: r.MaxConcurrent, CreatedAt: r.CreatedAt, Status: string(e.Status())}
	if d := e.Deactivated; d != nil {
		out.Deactivated = &deactivationJSON{Reason: d.Reason, At: rfc3339(d.At), By: d.By}
	}
	return out
}

// encodeCursor and decodeCursor keep the cursor opaque: clients pass back
// what they were given.
func encodeCursor(id mobilize.ResponderID) string {
	if id == "" {
		return ""
	}
	return base64.RawURLEncoding.EncodeToString([]byte(id))
}

func decodeCursor(s string) (mobilize.ResponderID, error) {
	if s == "" {
		return "", nil
	}
	b, err := base64.RawURLEncoding.DecodeString(s)
	if err != nil || !idPattern.Match(b) {
		return "", invalid("cursor is not one this server gave")
	}
	return mobilize.ResponderID(b), nil
}

// rosterFilter reads the listing's query within the caller's scope.
func (g *rosterGroup) rosterFilter(ctx context.Context, c *call) (mobilize.RosterFilter, error) {
	q := c.r.URL.Query()
	var f mobilize.RosterFilter
	var p problems
	if c.id.Role == RoleCoordinator {
		f.ByOrg, f.Orgs = true, []string{c.id.OrgID}
	}
	if org := q.Get("org"); org != "" {
		if !mobilize.ValidID(org) {
			return f, invalid("org must be 1..64 of A-Z a-z 0-9 _ . -")
		}
		if f.ByOrg && org != c.id.OrgID {
			return f, forbidden("a coordinator lists only its own organisation's people")
		}
		f.ByOrg, f.Orgs = true, []string{org}
	}
	if area := q.Get("community"); area != "" {
		if !mobilize.ValidID(area) {
			return f, invalid("community must be an area id")
		}
		orgs, err := g.app.OrgsIn(ctx, mobilize.AreaID(area))
		if errors.Is(err, mobilize.ErrNotFound) {
			return f, invalid("community " + area + " is not a known area")
		}
		if err != nil {
			return f, err
		}
		if f.ByOrg {
			orgs = slices.DeleteFunc(orgs, func(o string) bool { return !slices.Contains(f.Orgs, o) })
		}
		f.ByOrg, f.Orgs = true, orgs
	}
	if role := q.Get("role"); role != "" {
		r, err := mobilize.ParseRole(role)
		if err != nil {
			p.addf("role must be one of social_worker, volunteer, medic, community_worker")
		}
		f.Role = r
	}
	if st := q.Get("status"); st != "" {
		s, err := mobilize.ParseRosterStatus(st)
		if err != nil {
			p.addf("status must be one of available, offered, busy, off_duty, deactivated")
		}
		f.Status = s
	}
	if skill := q.Get("skill"); skill != "" {
		p.name("skill", skill)
		f.Skill = skill
	}
	if text := q.Get("q"); text != "" {
		p.text("q", text, mobilize.MaxNameLen, false, false)
		f.Query = strings.TrimSpace(text)
	}
	return f, p.err()
}

// handleList is GET /api/v1/responders.
func (g *rosterGroup) handleList(ctx context.Context, c *call) error {
	f, err := g.rosterFilter(ctx, c)
	if err != nil {
		return err
	}
	limit := mobilize.DefaultRosterLimit
	if s := c.r.URL.Query().Get("limit"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n < 1 || n > mobilize.MaxRosterLimit {
			return invalid(fmt.Sprintf("limit must be 1..%d", mobilize.MaxRosterLimit))
		}
		limit = n
	}
	after, err := decodeCursor(c.r.URL.Query().Get("cursor"))
	if err != nil {
		return err
	}
	page, err := g.app.ListResponders(ctx, f, after, limit)
	if err != nil {
		return err
	}
	out := rosterList{Responders: make([]rosterEntryJSON, len(page.Entries)), NextCursor: encodeCursor(page.Next)}
	for i, e := range page.Entries {
		out.Responders[i] = toRosterEntryJSON(e)
	}
	g.audit.record(ctx, c.id, "responder.list", "", len(out.Responders)) // staff reading profiles (PIPL)
	c.json(http.StatusOK, out)
	return nil
}

// responderPatchRequest is the body of PATCH /api/v1/responders/{id}:
// only the fields present change.
type responderPatchRequest struct {
	Name           *string              `json:"name"`
	Phone          *string              `json:"phone" doc:"empty removes it"`
	OrgID          *string              `json:"org_id" doc:"empty removes it; a coordinator cannot move anyone out of its organisation"`
	MaxConcurrent  *int                 `json:"max_concurrent" doc:"1..10"`
	Skills         *[]string            `json:"skills" doc:"replaces the skills without expiry"`
	Certifications *[]certificationJSON `json:"certifications" doc:"replaces the skills backed by a certification"`
}

// parsePatch checks a correction as registration checks a new responder.
func parsePatch(body []byte) (mobilize.ResponderPatch, error) {
	var req responderPatchRequest
	if err := decodeStrict(body, &req); err != nil {
		return mobilize.ResponderPatch{}, err
	}
	var p problems
	out := mobilize.ResponderPatch{Name: req.Name, Phone: req.Phone, OrgID: req.OrgID, MaxConcurrent: req.MaxConcurrent}
	if req.Name != nil {
		p.text("name", *req.Name, mobilize.MaxNameLen, true, false)
	}
	if req.Phone != nil {
		p.pattern("phone", *req.Phone, phonePattern, "3..40 of digits, spaces and + ( ) . / -")
	}
	if req.OrgID != nil && *req.OrgID != "" && !mobilize.ValidID(*req.OrgID) {
		p.addf("org_id must be 1..64 of A-Z a-z 0-9 _ . -")
	}
	if m := req.MaxConcurrent; m != nil && (*m < 1 || *m > mobilize.MaxConcurrentLimit) {
		p.addf("max_concurrent must be 1..%d", mobilize.MaxConcurrentLimit)
	}
	if req.Skills != nil {
		skills := []mobilize.Skill{}
		for i, s := range *req.Skills {
			p.name(fmt.Sprintf("skills[%d]", i), s)
			skills = append(skills, mobilize.Skill{Name: s})
		}
		out.Skills = &skills
	}
	if req.Certifications != nil {
		certs := []mobilize.Skill{}
		for i, c := range *req.Certifications {
			p.name(fmt.Sprintf("certifications[%d].skill", i), c.Skill)
			at := p.timestamp(fmt.Sprintf("certifications[%d].expires_at", i), c.ExpiresAt)
			certs = append(certs, mobilize.Skill{Name: c.Skill, ExpiresAt: at})
		}
		out.Certifications = &certs
	}
	if len(out.Fields()) == 0 {
		p.addf("nothing to change: give at least one of name, phone, org_id, max_concurrent, skills, certifications")
	}
	return out, p.err()
}

// handlePatch is PATCH /api/v1/responders/{id}. The audit entry names the
// fields changed, never their values.
func (g *rosterGroup) handlePatch(ctx context.Context, c *call) error {
	patch, err := parsePatch(c.body)
	if err != nil {
		return err
	}
	r, _, err := responderFor(ctx, g.app, c)
	if err != nil {
		return err
	}
	if c.id.Role == RoleCoordinator && patch.OrgID != nil && *patch.OrgID != c.id.OrgID {
		return forbidden("a coordinator cannot move anyone out of its organisation")
	}
	updated, presence, err := g.app.UpdateResponder(ctx, r.ID, patch)
	if err != nil {
		return err
	}
	g.audit.recordWhy(ctx, c.id, "responder.update", string(r.ID), 0, "fields: "+strings.Join(patch.Fields(), ","))
	c.json(http.StatusOK, toResponderJSON(updated, presence))
	return nil
}

// deactivateRequest is the body of POST /api/v1/responders/{id}/deactivate.
type deactivateRequest struct {
	Reason string `json:"reason" api:"required" doc:"why, 1..500 bytes (e.g. moved away, asked to leave); kept with the responder and in the audit log"`
}

// rosterEntryFor reads one responder as the roster lists them.
func (g *rosterGroup) rosterEntryFor(ctx context.Context, rid mobilize.ResponderID) (rosterEntryJSON, error) {
	r, p, err := g.app.Responder(ctx, rid)
	if err != nil {
		return rosterEntryJSON{}, err
	}
	d, err := g.app.ResponderDeactivation(ctx, rid)
	if err != nil {
		return rosterEntryJSON{}, err
	}
	return toRosterEntryJSON(mobilize.RosterEntry{Responder: r, Presence: p, Deactivated: d}), nil
}

// handleDeactivate is POST /api/v1/responders/{id}/deactivate: the
// responder leaves every index (refused with 409 while on an offer or an
// assignment), every token of theirs is refused from now on and their
// sockets close. Asking again finishes what a failed first call left.
func (g *rosterGroup) handleDeactivate(ctx context.Context, c *call) error {
	var req deactivateRequest
	if err := decodeStrict(c.body, &req); err != nil {
		return err
	}
	var p problems
	p.text("reason", req.Reason, mobilize.MaxDeactivateWhy, true, true)
	if err := p.err(); err != nil {
		return err
	}
	r, _, err := responderFor(ctx, g.app, c)
	if err != nil {
		return err
	}
	if _, err := g.app.Deactivate(ctx, r.ID, req.Reason, c.id.Subject); err != nil {
		return err
	}
	// After the store's refusal could no longer come: a responder still on
	// a task must keep their tokens.
	if err := g.auth.revocations.RaiseNotBefore(ctx, personOf(string(r.ID), RoleResponder), disabledNotBefore); err != nil {
		return err
	}
	g.hangUp(ctx, socketUser(string(r.ID), RoleResponder))
	g.audit.recordWhy(ctx, c.id, "responder.deactivate", string(r.ID), 0, req.Reason)
	g.log.Info("responder deactivated", zap.String("responder_id", string(r.ID)), zap.String("by", c.id.Subject))
	out, err := g.rosterEntryFor(ctx, r.ID)
	if err != nil {
		return err
	}
	c.json(http.StatusOK, out)
	return nil
}

// handleReactivate is POST /api/v1/responders/{id}/reactivate: the
// responder may be issued a token and go on duty again; tokens from
// before stay refused (POST .../token issues a new one).
func (g *rosterGroup) handleReactivate(ctx context.Context, c *call) error {
	if err := parseEmpty(c.body); err != nil {
		return err
	}
	r, _, err := responderFor(ctx, g.app, c)
	if err != nil {
		return err
	}
	was, err := g.app.Reactivate(ctx, r.ID)
	if err != nil {
		return err
	}
	if was {
		if err := g.auth.revocations.SetNotBefore(ctx, personOf(string(r.ID), RoleResponder), g.now()); err != nil {
			return err
		}
	}
	g.audit.record(ctx, c.id, "responder.reactivate", string(r.ID), 0)
	out, err := g.rosterEntryFor(ctx, r.ID)
	if err != nil {
		return err
	}
	c.json(http.StatusOK, out)
	return nil
}

// importJSON answers an import: on a dry run the problems by line (empty
// when the file would import whole); otherwise the ids created, in the
// file's order.
type importJSON struct {
	Rows    int                 `json:"rows" doc:"rows read, the header not counted"`
	DryRun  bool                `json:"dry_run"`
	Errors  []rostercsv.Problem `json:"errors" doc:"each problem by line (1 is the header) and column"`
	Created []string            `json:"created" doc:"the new responders' ids, in the file's order (empty on a dry run)"`
}

// handleImport is POST /api/v1/responders/import with a CSV body
// (mobilize/rostercsv documents the columns). ?dry_run=true checks every
// row and changes nothing; otherwise the file is imported all or nothing,
// refused whole when any row has a problem. A coordinator imports its
// own organisation's people: an empty org_id becomes its own.
func (g *rosterGroup) handleImport(ctx context.Context, c *call) error {
	dry := false
	if s := c.r.URL.Query().Get("dry_run"); s != "" {
		b, err := strconv.ParseBool(s)
		if err != nil {
			return invalid("dry_run must be true or false")
		}
		dry = b
	}
	rows, errs, err := rostercsv.Parse(c.body, g.zone)
	if err != nil {
		return invalid(err.Error())
	}
	total := len(rows) + len(errs)
	if total == 0 || total > maxBatch {
		return invalid(fmt.Sprintf("the file must have 1..%d rows below its header, not %d", maxBatch, total))
	}
	rs := make([]mobilize.Responder, 0, len(rows))
	for _, row := range rows {
		r := row.Responder
		if err := claimOrg(c.id, &r.OrgID); err != nil {
			errs = append(errs, rostercsv.Problem{Line: row.Line, Field: "org_id", Message: "a coordinator imports only its own organisation's people"})
			continue
		}
		rs = append(rs, r)
	}
	slices.SortStableFunc(errs, func(a, b rostercsv.Problem) int { return a.Line - b.Line })
	out := importJSON{Rows: total, DryRun: dry, Errors: errs, Created: []string{}}
	if out.Errors == nil {
		out.Errors = []rostercsv.Problem{}
	}
	if dry {
		c.json(http.StatusOK, out)
		return nil
	}
	if len(errs) > 0 {
		shown := make([]string, 0, 10)
		for _, e := range errs[:min(10, len(errs))] {
			shown = append(shown, fmt.Sprintf("line %d %s: %s", e.Line, e.Field, e.Message))
		}
		return &Error{Kind: mobilize.ErrInvalid, Code: "invalid_rows", Message: fmt.Sprintf("%d problems, nothing imported (a dry run lists them all): %s", len(errs), strings.Join(shown, "; "))}
	}
	prefix := mobilize.NewBatchIDs(rs)
	if err := g.app.RegisterMany(ctx, rs); err != nil {
		return err
	}
	for _, r := range rs {
		out.Created = append(out.Created, string(r.ID))
	}
	g.audit.record(ctx, c.id, "responder.import", prefix+"*", len(rs))
	c.json(http.StatusCreated, out)
	return nil
}
