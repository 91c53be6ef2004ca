package web

import (
	"cmp"
	"context"
	"fmt"
	"net/http"
	"slices"
	"time"

	"github.com/paulmach/orb"

	"github.com/liandong/liandong/geo"
	"github.com/liandong/liandong/mobilize"
)

// needGroup serves needs from creation to cancellation, the operators'
// overrides (assign, escalate) and area alerts.
type needGroup struct {
	app   needApp
	audit *auditor
	now   func() time.Time // deadlines must lie ahead of it
	links feedbackLinks    // a completed need shows its feedback link
}

// needApp is what the needs group needs of the application.
type needApp interface {
	TeamThread(ctx context.Context, n mobilize.NeedState, reader mobilize.Sender, limit int) ([]mobilize.TeamMessage, map[mobilize.ResponderID]string, error) // the need's history of messages
	CreateNeed(ctx context.Context, n mobilize.Need) (mobilize.NeedState, error)
	Need(ctx context.Context, id mobilize.NeedID) (mobilize.NeedState, error)
	Needs(ctx context.Context, ids []mobilize.NeedID) ([]mobilize.NeedState, error)
	NeedSummaries(ctx context.Context, activeOnly bool) ([]mobilize.NeedSummary, error)
	// ScopedNeeds pages through a coordinator's needs by their indexes.
	ScopedNeeds(ctx context.Context, scope mobilize.NeedScope, before int64, n int) (ids []mobilize.NeedID, next int64, err error)
	Cancel(ctx context.Context, id mobilize.NeedID) (mobilize.NeedState, error)
	Assign(ctx context.Context, id mobilize.NeedID, rid mobilize.ResponderID, role mobilize.Role, overrideSkills bool) (mobilize.NeedState, error)
	Escalate(ctx context.Context, id mobilize.NeedID) (mobilize.NeedState, mobilize.EscalationState, error)
	EscalationOf(ctx context.Context, n mobilize.NeedState) (st mobilize.EscalationState, goal time.Duration, ok bool, err error)
	AlertArea(ctx context.Context, poly orb.Polygon, roles []mobilize.Role, message string) (id string, recipients int, err error)
	// Linkage tells which needs a coordinator sees (needScope).
	Linkage(ctx context.Context) (*mobilize.Linkage, error)
	// IncidentNeeds lists the needs of an incident (the incident filter).
	IncidentNeeds(ctx context.Context, id mobilize.IncidentID) ([]mobilize.NeedID, error)
	// Feedbacks gives a completed need its rating.
	Feedbacks(ctx context.Context, needs []mobilize.NeedID) (map[mobilize.NeedID]mobilize.Feedback, error)
	// TeamFieldStatus says who of the team is en route, on scene or gone.
	TeamFieldStatus(ctx context.Context, n mobilize.NeedState) ([]mobilize.FieldStatus, error)
	// WaveOf says how each team entry is offered (offer waves); nil: singly.
	WaveOf(ctx context.Context, n mobilize.NeedState) ([]mobilize.Wave, error)
}

// needRequest is the body of POST /api/v1/needs.
type needRequest struct {
	Lat         *float64          `json:"lat" api:"required" doc:"-90..90"`
	Lng         *float64          `json:"lng" api:"required" doc:"-180..180"`
	Category    string            `json:"category" api:"required" doc:"1..64 bytes, e.g. elderly_checkin"`
	Urgency     *int              `json:"urgency" api:"required" doc:"1 (life-threatening) .. 4 (routine)"`
	Team        []teamSlotRequest `json:"team" api:"required" doc:"1..10 entries, 50 people at most"`
	Description string            `json:"description" doc:"up to 2000 bytes"`
	OrgID       string            `json:"org_id" doc:"the organisation the need belongs to; a coordinator's own is always used"`
	Deadline    string            `json:"deadline" doc:"the need becomes unstaffed if not staffed by then; at most 30 days ahead"`
	Items       []itemRequest     `json:"items" doc:"charity resources to collect on the way, reserved from the nearest depot with stock"`
	// The person served kept informed by SMS (in Chinese).
	NotifyRequester bool   `json:"notify_requester" doc:"text the person served when the team is staffed (roles, names, estimated arrival), when the task is done (with the feedback link) and when the need is cancelled; needs requester_phone"`
	RequesterPhone  string `json:"requester_phone" doc:"the person served's phone in E.164 (+ then 8..15 digits); personal data, removed with the description by the retention sweep"`
	IncidentID      string `json:"incident_id" doc:"the active incident the need belongs to (422 when unknown or closed); left out, the need joins the one active incident whose area holds it, if exactly one does"`
}

type teamSlotRequest struct {
	Role   mobilize.Role `json:"role" api:"required"`
	Count  *int          `json:"count" api:"required" doc:"1..50"`
	Skills []string      `json:"skills" doc:"every one required, with a current certification where one is given"`
}

// maxDeadline bounds how far ahead a deadline may lie.
const maxDeadline = 30 * 24 * time.Hour

// parseNeed decodes and checks POST /api/v1/needs at time now.
func parseNeed(body []byte, now time.Time) (mobilize.Need, error) {
	var req needRequest
	if err := decodeStrict(body, &req); err != nil {
		return mobilize.Need{}, err
	}
	var p problems
	p.coordinates(req.Lat, req.Lng)
	p.text("category", req.Category, mobilize.MaxCategoryLen, true, false)
	p.text("description", req.Description, mobilize.MaxDescription, false, true)
	if req.OrgID != "" {
		p.name("org_id", req.OrgID)
	}
	if req.IncidentID != "" {
		p.name("incident_id", req.IncidentID)
	}
	if req.Urgency == nil {
		p.addf("urgency is required")
	} else if *req.Urgency < 1 || *req.Urgency > 4 {
		p.addf("urgency must be 1 (life-threatening) .. 4 (routine)")
	}
	if len(req.Team) == 0 || len(req.Team) > mobilize.MaxTeamEntries {
		p.addf("team must have 1..%d entries", mobilize.MaxTeamEntries)
	}
	n := mobilize.Need{Category: req.Category, Description: req.Description, OrgID: req.OrgID,
		NotifyRequester: req.NotifyRequester, RequesterPhone: req.RequesterPhone, IncidentID: mobilize.IncidentID(req.IncidentID)}
	if req.RequesterPhone != "" && !mobilize.ValidE164(req.RequesterPhone) {
		p.addf("requester_phone must be in E.164 (+ then 8..15 digits)")
	}
	if req.NotifyRequester && req.RequesterPhone == "" {
		p.addf("notify_requester needs requester_phone")
	}
	people := 0
	for i, t := range req.Team {
		if _, err := mobilize.ParseRole(string(t.Role)); err != nil {
			p.addf("team[%d].role must be one of social_worker, volunteer, medic, community_worker", i)
		}
		slot := mobilize.TeamSlot{Role: t.Role, Skills: t.Skills}
		if t.Count == nil || *t.Count < 1 || *t.Count > mobilize.MaxSlotsPerNeed {
			p.addf("team[%d].count must be 1..%d", i, mobilize.MaxSlotsPerNeed)
		} else {
			slot.Count = *t.Count
			people += slot.Count
		}
		if len(t.Skills) > mobilize.MaxSkillsPerSlot {
			p.addf("team[%d].skills has more than %d entries", i, mobilize.MaxSkillsPerSlot)
		}
		for j, s := range t.Skills {
			p.name(fmt.Sprintf("team[%d].skills[%d]", i, j), s)
		}
		if slot.Skills == nil {
			slot.Skills = []string{}
		}
		n.Team = append(n.Team, slot)
	}
	n.Items = p.items(req.Items)
	if people > mobilize.MaxSlotsPerNeed {
		p.addf("team asks for %d people, more than %d", people, mobilize.MaxSlotsPerNeed)
	}
	if req.Deadline != "" {
		if d := p.timestamp("deadline", req.Deadline); !d.IsZero() {
			if !d.After(now) || d.Sub(now) > maxDeadline {
				p.addf("deadline must lie in the next %d days", int(maxDeadline.Hours()/24))
			}
			n.Deadline = d
		}
	}
	if err := p.err(); err != nil {
		return mobilize.Need{}, err
	}
	n.Urgency = *req.Urgency
	pt, err := geo.NewPoint(*req.Lat, *req.Lng)
	if err != nil {
		return mobilize.Need{}, invalid(err.Error())
	}
	n.Point = pt
	if err := n.Validate(); err != nil { // the domain's own rules, in case they are stricter
		return mobilize.Need{}, err
	}
	return n, nil
}

// needJSON is a need as the API shows it (its OpenAPI document,
// /api/v1/openapi.json), with lat and lng at the
// top level.
type needJSON struct {
	ID          string              `json:"id"`
	Number      int64               `json:"number,omitempty" doc:"the need's short number people name it by (\"#482\"), distinct and increasing in the region; absent on needs created before numbers existed"`
	Status      mobilize.NeedStatus `json:"status"`
	Urgency     int                 `json:"urgency"`
	Category    string              `json:"category"`
	Description string              `json:"description"`
	Lat         float64             `json:"lat"`
	Lng         float64             `json:"lng"`
	Team        []teamJSON          `json:"team"`
	Assignments []assignmentJSON    `json:"assignments"`
	LeadID      *string             `json:"lead_id"`
	OrgID       string              `json:"org_id,omitempty"`
	CreatedAt   string              `json:"created_at"`
	StaffedAt   *string             `json:"staffed_at"`
	Deadline    *string             `json:"deadline,omitempty"`
	Community   string              `json:"community,omitempty" doc:"the community whose area holds the need (its owner); absent outside every loaded community"`
	IncidentID  string              `json:"incident_id,omitempty" doc:"the incident the need belongs to; absent when none"`
	Escalation  *escalationJSON     `json:"escalation,omitempty" doc:"where the need is in its escalation; shown for one need, not in lists"`
	FeedbackURL string              `json:"feedback_url,omitempty" doc:"once completed (GET need only): the one-time link where the person served rates the help; a path on this server unless recognition.public_url is set"`
	Feedback    *ratingJSON         `json:"feedback,omitempty" doc:"once the person served has rated the help (GET need only): the rating and comment, for the staff who follow the need"`
	Items       []itemJSON          `json:"items,omitempty"`
	Supplies    *suppliesJSON       `json:"supplies,omitempty" doc:"the reservation of the items, when the need asks for some"`
	// The person served kept informed (notify_requester).
	NotifyRequester bool              `json:"notify_requester"`
	RequesterPhone  string            `json:"requester_phone,omitempty" doc:"as given; absent once the retention sweep removed it"`
	FieldStatus     []fieldStatusJSON `json:"field_status,omitempty" doc:"GET need only: every member who accepted, en_route until they report arriving (on_scene) and leaving (left)"`
	// The team thread as the need's history (teammessages.go).
	Messages []messageJSON `json:"messages,omitempty" doc:"GET need only: the team thread, the need's history of messages, oldest first (text, writer, time); the receipts are in GET /needs/{id}/messages"`
	// Intake and review (review.go).
	Source              string        `json:"source,omitempty" doc:"where the need came from: staff, request, open311 or cap"`
	PossibleDuplicateOf []string      `json:"possible_duplicate_of,omitempty" doc:"open needs this one may repeat; an operator merges it or keeps it (urgency 2..4 waits for that, urgency 1 is matched meanwhile)"`
	DuplicateReason     string        `json:"duplicate_reason,omitempty" doc:"same_category_nearby, same_phone, or both comma-separated"`
	MergedInto          string        `json:"merged_into,omitempty" doc:"once merged: the need this one joined"`
	ReviewReason        string        `json:"review_reason,omitempty" doc:"once rejected: the reviewer's reason"`
	Address             string        `json:"address,omitempty" doc:"the address the reporter gave"`
	Unplaced            bool          `json:"unplaced,omitempty" doc:"the need came with an address only: a reviewer places it (PUT /needs/{id}/place) before approving; lat and lng are 0 until then"`
	Contacts            []contactJSON `json:"contacts,omitempty" doc:"the people who reported it (GET need only; personal data)"`
	Notes               []string      `json:"notes,omitempty" doc:"what the needs merged into this one said"`
}

// contactJSON is one reporter of a need.
type contactJSON struct {
	Name  string `json:"name,omitempty"`
	Phone string `json:"phone,omitempty"`
	Email string `json:"email,omitempty"`
}

// ratingJSON is what the person served said of the help.
type ratingJSON struct {
	Rating  int    `json:"rating" doc:"1 (poor) .. 5 (excellent)"`
	Comment string `json:"comment"`
	At      string `json:"at"`
}

type teamJSON struct {
	Role      mobilize.Role  `json:"role"`
	Count     int            `json:"count"`
	Skills    []string       `json:"skills"`
	Filled    int            `json:"filled" doc:"accepted so far"`
	Pending   int            `json:"pending" doc:"offers awaiting an answer"`
	Shortfall string         `json:"shortfall,omitempty" doc:"why nobody is being offered this entry: nobody_in_radius, all_busy, all_declined, taken_by_more_urgent"`
	Wave      *mobilize.Wave `json:"wave,omitempty" doc:"GET need only, while the entry has open places and its urgency is offered in waves (matching.waves): p_accept, the estimated chance one offer is accepted; size, the offers each open place may have out at once; outstanding, the offers out now"`
}

type assignmentJSON struct {
	OfferID     string                   `json:"offer_id"`
	ResponderID string                   `json:"responder_id"`
	Role        mobilize.Role            `json:"role"`
	TeamIndex   int                      `json:"team_index"`
	State       mobilize.AssignmentState `json:"state"`
	OfferedAt   string                   `json:"offered_at"`
	ExpiresAt   string                   `json:"expires_at"`
	AnsweredAt  *string                  `json:"answered_at"`
	DistanceM   float64                  `json:"distance_m"`
	Reason      string                   `json:"reason,omitempty"`
}

type needList struct {
	Needs []needJSON `json:"needs"`
}

func toNeedJSON(n mobilize.NeedState) needJSON {
	out := needJSON{
		ID: string(n.ID), Number: n.Number, Status: n.Status, Urgency: n.Urgency, Category: n.Category, Description: n.Description,
		Lat: geo.Lat(n.Point), Lng: geo.Lng(n.Point), Team: make([]teamJSON, len(n.Team)),
		Assignments: make([]assignmentJSON, len(n.Assignments)), OrgID: n.OrgID,
		CreatedAt: rfc3339(n.CreatedAt), StaffedAt: optionalTime(n.StaffedAt), Deadline: optionalTime(n.Deadline),
		Community: string(n.Community), NotifyRequester: n.NotifyRequester, RequesterPhone: n.RequesterPhone,
		IncidentID: string(n.IncidentID),
	}
	out.Items, out.Supplies = toSuppliesJSON(n)
	out.Source, out.DuplicateReason, out.MergedInto = string(n.Source), n.DuplicateReason, string(n.MergedInto)
	out.ReviewReason, out.Address, out.Unplaced, out.Notes = n.ReviewReason, n.Address, n.Unplaced, n.Notes
	for _, d := range n.PossibleDuplicateOf {
		out.PossibleDuplicateOf = append(out.PossibleDuplicateOf, string(d))
	}
	if n.LeadID != "" {
		lead := string(n.LeadID)
		out.LeadID = &lead
	}
	for i, t := range n.Team {
		tj := teamJSON{Role: t.Role, Count: t.Count, Skills: t.Skills, Shortfall: string(n.Shortfalls[i])}
		if tj.Skills == nil {
			tj.Skills = []string{}
		}
		if i < len(n.Filled) && i < len(n.Pending) {
			tj.Filled, tj.Pending = n.Filled[i], n.Pending[i]
		}
		out.Team[i] = tj
	}
	for i, as := range n.Assignments {
		out.Assignments[i] = assignmentJSON{
			OfferID: string(as.OfferID), ResponderID: string(as.ResponderID), Role: as.Role, TeamIndex: as.TeamIndex,
			State: as.State, OfferedAt: rfc3339(as.OfferedAt), ExpiresAt: rfc3339(as.ExpiresAt),
			AnsweredAt: optionalTime(as.AnsweredAt), DistanceM: as.DistanceMeters, Reason: string(as.Reason),
		}
	}
	return out
}

// handleCreateNeed is POST /api/v1/needs. A coordinator's need belongs to
// its organisation.
func (g *needGroup) handleCreateNeed(ctx context.Context, c *call) error {
	n, err := parseNeed(c.body, g.now())
	if err != nil {
		return err
	}
	if c.id.Role == RoleCoordinator {
		if n.OrgID != "" && n.OrgID != c.id.OrgID {
			return forbidden("a coordinator files needs only for its own organisation")
		}
		n.OrgID = c.id.OrgID
	}
	created, err := g.app.CreateNeed(ctx, n)
	if err != nil {
		return err
	}
	g.audit.record(ctx, c.id, "need.create", string(created.ID), 0)
	c.json(http.StatusCreated, toNeedJSON(created))
	return nil
}

// needFor loads the need of the path for the caller; a coordinator sees
// only its organisation's and its area's (needScope), and another's is
// "not found".
func (g *needGroup) needFor(ctx context.Context, c *call) (mobilize.NeedState, error) {
	nid := c.r.PathValue("id")
	if !idPattern.MatchString(nid) {
		return mobilize.NeedState{}, notFound("need")
	}
	n, err := g.app.Need(ctx, mobilize.NeedID(nid))
	if err != nil {
		return n, err
	}
	sees, err := g.needScope(ctx, c.id)
	if err != nil {
		return mobilize.NeedState{}, err
	}
	if !sees(n) {
		return mobilize.NeedState{}, notFound("need")
	}
	return n, nil
}

func (g *needGroup) handleGetNeed(ctx context.Context, c *call) error {
	n, err := g.needFor(ctx, c)
	if err != nil {
		return err
	}
	g.audit.record(ctx, c.id, "need.read", string(n.ID), 0) // staff reading a need's description and place (PIPL)
	out := toNeedJSON(n)
	for _, ct := range n.Contacts {
		out.Contacts = append(out.Contacts, contactJSON(ct))
	}
	if out.Escalation, err = g.escalationOf(ctx, n); err != nil {
		return err
	}
	field, err := g.app.TeamFieldStatus(ctx, n)
	if err != nil {
		return err
	}
	if err := g.addWaves(ctx, n, &out); err != nil {
		return err
	}
	for _, st := range field {
		out.FieldStatus = append(out.FieldStatus, toFieldStatusJSON(st))
	}
	thread, _, err := g.app.TeamThread(ctx, n, sender(c.id), mobilize.MaxThreadMessages)
	if err != nil {
		return err
	}
	for _, m := range thread {
		out.Messages = append(out.Messages, toMessageJSON(m))
	}
	if n.Status == mobilize.NeedCompleted {
		out.FeedbackURL = g.links.url(n.ID)
		fbs, err := g.app.Feedbacks(ctx, []mobilize.NeedID{n.ID})
		if err != nil {
			return err
		}
		if fb, ok := fbs[n.ID]; ok {
			out.Feedback = &ratingJSON{Rating: fb.Rating, Comment: fb.Comment, At: rfc3339(fb.At)}
		}
	}
	c.json(http.StatusOK, out)
	return nil
}

// handleCancel is POST /api/v1/needs/{id}/cancel (operators).
func (g *needGroup) handleCancel(ctx context.Context, c *call) error {
	if err := parseEmpty(c.body); err != nil {
		return err
	}
	if _, err := g.needFor(ctx, c); err != nil {
		return err
	}
	n, err := g.app.Cancel(ctx, mobilize.NeedID(c.r.PathValue("id")))
	if err != nil {
		return err
	}
	g.audit.record(ctx, c.id, "need.cancel", string(n.ID), 0)
	c.json(http.StatusOK, toNeedJSON(n))
	return nil
}

var needStatuses = []mobilize.NeedStatus{
	mobilize.NeedOpen, mobilize.NeedStaffing, mobilize.NeedStaffed,
	mobilize.NeedCompleted, mobilize.NeedCancelled, mobilize.NeedUnstaffed,
	mobilize.NeedPendingReview, mobilize.NeedRejected, mobilize.NeedMerged,
}

// handleListNeeds is GET /api/v1/needs?status=&limit=, newest first.
func (g *needGroup) handleListNeeds(ctx context.Context, c *call) error {
	limit, err := queryLimit(c.r)
	if err != nil {
		return err
	}
	status := mobilize.NeedStatus(c.r.URL.Query().Get("status"))
	if status != "" && !slices.Contains(needStatuses, status) {
		return invalid("status must be one of open, staffing, staffed, completed, cancelled, unstaffed, pending_review, rejected, merged")
	}
	incident := mobilize.IncidentID(c.r.URL.Query().Get("incident"))
	if incident != "" && !idPattern.MatchString(string(incident)) {
		return invalid("incident must be an incident id")
	}
	if c.id.Role == RoleCoordinator {
		return g.listScoped(ctx, c, status, incident, limit)
	}
	if incident != "" {
		return g.listIncident(ctx, c, status, incident, limit)
	}
	sums, err := g.app.NeedSummaries(ctx, status.Active())
	if err != nil {
		return err
	}
	ids := make([]mobilize.NeedID, 0, len(sums))
	slices.SortFunc(sums, func(x, y mobilize.NeedSummary) int {
		return cmp.Or(y.CreatedAt.Compare(x.CreatedAt), cmp.Compare(x.ID, y.ID))
	})
	for _, s := range sums {
		if status == "" || s.Status == status {
			ids = append(ids, s.ID)
		}
	}
	out := needList{Needs: []needJSON{}}
	if len(ids) > limit {
		ids = ids[:limit]
	}
	needs, err := g.app.Needs(ctx, ids)
	if err != nil {
		return fmt.Errorf("list needs: %w", err)
	}
	for _, n := range needs {
		if status == "" || n.Status == status {
			out.Needs = append(out.Needs, toNeedJSON(n))
		}
	}
	c.json(http.StatusOK, out)
	return nil
}

// listScoped is a coordinator's GET /api/v1/needs: it reads only the
// indexes of its organisation and of the communities within its home
// area, a page at a time, newest first, until the list is full; the work
// grows with the coordinator's needs, not with the city's.
func (g *needGroup) listScoped(ctx context.Context, c *call, status mobilize.NeedStatus, incident mobilize.IncidentID, limit int) error {
	link, err := g.app.Linkage(ctx)
	if err != nil {
		return err
	}
	scope := mobilize.NeedScope{Orgs: []string{c.id.OrgID}}
	if home := link.Orgs[c.id.OrgID].HomeArea; home != "" {
		scope.Communities = link.Areas.Below(home, mobilize.TierCommunity)
	}
	sees := coordinatorSees(link, c.id)
	out := needList{Needs: []needJSON{}}
	for cursor := int64(0); len(out.Needs) < limit; {
		ids, next, err := g.app.ScopedNeeds(ctx, scope, cursor, limit)
		if err != nil {
			return fmt.Errorf("list needs: %w", err)
		}
		needs, err := g.app.Needs(ctx, ids)
		if err != nil {
			return fmt.Errorf("list needs: %w", err)
		}
		for _, n := range needs {
			if len(out.Needs) < limit && sees(n) && (status == "" || n.Status == status) && (incident == "" || n.IncidentID == incident) {
				out.Needs = append(out.Needs, toNeedJSON(n))
			}
		}
		if next == 0 {
			break
		}
		cursor = next
	}
	c.json(http.StatusOK, out)
	return nil
}

// listIncident is GET /api/v1/needs?incident= for operators: the needs
// the incident holds, newest first.
func (g *needGroup) listIncident(ctx context.Context, c *call, status mobilize.NeedStatus, incident mobilize.IncidentID, limit int) error {
	ids, err := g.app.IncidentNeeds(ctx, incident)
	if err != nil {
		return err
	}
	needs, err := g.app.Needs(ctx, ids)
	if err != nil {
		return fmt.Errorf("list needs: %w", err)
	}
	slices.SortFunc(needs, func(x, y mobilize.NeedState) int {
		return cmp.Or(y.CreatedAt.Compare(x.CreatedAt), cmp.Compare(x.ID, y.ID))
	})
	out := needList{Needs: []needJSON{}}
	for _, n := range needs {
		if len(out.Needs) < limit && (status == "" || n.Status == status) {
			out.Needs = append(out.Needs, toNeedJSON(n))
		}
	}
	c.json(http.StatusOK, out)
	return nil
}
