package web

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"net/http"
	"strconv"
	"time"

	"github.com/liandong/liandong/geo"
	"github.com/liandong/liandong/mobilize"
)

// responderGroup serves the responders' routes: staff register them, read
// them and issue them tokens; a responder (or an operator for it) reports
// presence and answers offers through actions, the door it shares with
// the websocket.
type responderGroup struct {
	app      registryApp
	actions  responderActions
	auth     *Authenticator
	audit    *auditor
	tokenTTL time.Duration // of the tokens registration and reissue hand out
	// approxRes is the H3 resolution of the area a pending offer shows.
	approxRes int
	// lang is the language ("zh", "en") of a responder who names none.
	lang string
}

// registryApp is what the responder group needs of the application beyond
// the actions.
type registryApp interface {
	responderReader
	Register(ctx context.Context, r mobilize.Responder) (mobilize.Responder, mobilize.Presence, error)
	RegisterMany(ctx context.Context, rs []mobilize.Responder) error
	PendingOffer(ctx context.Context, rid mobilize.ResponderID) (po mobilize.PendingOffer, found bool, err error)
	Jobs(ctx context.Context, rid mobilize.ResponderID) ([]mobilize.Job, error)
	ResponderDeactivation(ctx context.Context, rid mobilize.ResponderID) (*mobilize.Deactivation, error) // roster.go
}

// maxBatch is the most responders one batch registers (the route's
// summary in the OpenAPI document says so too).
const maxBatch = 10_000

// responderRequest is one responder as registered.
type responderRequest struct {
	Name           string              `json:"name" api:"required"`
	Role           mobilize.Role       `json:"role" api:"required"`
	Skills         []string            `json:"skills" doc:"skills without expiry, each 1..64 bytes without | , @"`
	Certifications []certificationJSON `json:"certifications" doc:"skills backed by a certification; past expires_at they do not count"`
	OrgID          string              `json:"org_id" doc:"a coordinator's own organisation is used when empty"`
	Phone          string              `json:"phone"`
	MaxConcurrent  *int                `json:"max_concurrent" doc:"active assignments at a time, 1..10; absent or 0: 1"`
	Channel        mobilize.Channel    `json:"channel" doc:"app (default) or sms: SMS only, for a person without a smartphone; sms needs phone in E.164 (+ then 8..15 digits)"`
	Lang           string              `json:"lang" doc:"zh or en: the language of push and SMS; default the configured ui.default_lang"`
}

type certificationJSON struct {
	Skill     string `json:"skill" api:"required"`
	ExpiresAt string `json:"expires_at" api:"required"`
}

type batchRequest struct {
	Responders []responderRequest `json:"responders" api:"required" doc:"1..10,000 responders"`
}

// responderJSON is a responder as the API shows it, with its status and
// last known position (null until the first report).
type responderJSON struct {
	ID             string              `json:"id"`
	Name           string              `json:"name"`
	Role           mobilize.Role       `json:"role"`
	Skills         []string            `json:"skills"`
	Certifications []certificationJSON `json:"certifications"`
	OrgID          string              `json:"org_id,omitempty"`
	Phone          string              `json:"phone,omitempty"`
	MaxConcurrent  int                 `json:"max_concurrent"`
	CreatedAt      string              `json:"created_at"`
	Status         mobilize.Status     `json:"status"`
	Lat            *float64            `json:"lat"`
	Lng            *float64            `json:"lng"`
	LastSeen       *string             `json:"last_seen"`
	Channel        mobilize.Channel    `json:"channel" doc:"app or sms (SMS only)"`
	Lang           string              `json:"lang" doc:"zh or en"`
}

// registeredJSON is the answer to a registration: the responder and the
// token their app uses from now on.
type registeredJSON struct {
	responderJSON
	Token          string `json:"token"`
	TokenExpiresAt string `json:"token_expires_at"`
}

type batchEntry struct {
	ID    string `json:"id"`
	Token string `json:"token"`
}

type batchResponse struct {
	Responders     []batchEntry `json:"responders"`
	TokenExpiresAt string       `json:"token_expires_at"`
}

type tokenJSON struct {
	Token     string `json:"token"`
	ExpiresAt string `json:"expires_at"`
}

// toResponder checks one registration and turns it into the domain type;
// problems are reported under field (e.g. "responders[3].").
func toResponder(req responderRequest, field string, p *problems) mobilize.Responder {
	p.text(field+"name", req.Name, mobilize.MaxNameLen, true, false)
	if _, err := mobilize.ParseRole(string(req.Role)); err != nil {
		p.addf("%srole must be one of social_worker, volunteer, medic, community_worker", field)
	}
	if n := len(req.Skills) + len(req.Certifications); n > mobilize.MaxSkillsPerPerson {
		p.addf("%sskills and certifications together exceed %d", field, mobilize.MaxSkillsPerPerson)
	}
	r := mobilize.Responder{Name: req.Name, Role: req.Role, OrgID: req.OrgID, Phone: req.Phone, MaxConcurrent: 1, Channel: req.Channel, Lang: req.Lang}
	switch req.Channel {
	case "", mobilize.ChannelApp:
	case mobilize.ChannelSMS:
		if !mobilize.ValidE164(req.Phone) {
			p.addf("%sphone must be in E.164 (+ then 8..15 digits) when channel is sms", field)
		}
	default:
		p.addf("%schannel must be app or sms", field)
	}
	if req.Lang != "" && req.Lang != "zh" && req.Lang != "en" {
		p.addf("%slang must be zh or en", field)
	}
	for i, s := range req.Skills {
		p.name(fmt.Sprintf("%sskills[%d]", field, i), s)
		r.Skills = append(r.Skills, mobilize.Skill{Name: s})
	}
	for i, c := range req.Certifications {
		p.name(fmt.Sprintf("%scertifications[%d].skill", field, i), c.Skill)
		at := p.timestamp(fmt.Sprintf("%scertifications[%d].expires_at", field, i), c.ExpiresAt)
		r.Skills = append(r.Skills, mobilize.Skill{Name: c.Skill, ExpiresAt: at})
	}
	if req.OrgID != "" {
		p.name(field+"org_id", req.OrgID)
	}
	p.pattern(field+"phone", req.Phone, phonePattern, "3..40 of digits, spaces and + ( ) . / -")
	if m := req.MaxConcurrent; m != nil && *m != 0 { // 0 means the default, as in the domain
		if *m < 1 || *m > mobilize.MaxConcurrentLimit {
			p.addf("%smax_concurrent must be 1..%d", field, mobilize.MaxConcurrentLimit)
		}
		r.MaxConcurrent = *m
	}
	return r
}

// parseResponder decodes and checks POST /api/v1/responders.
func parseResponder(body []byte) (mobilize.Responder, error) {
	var req responderRequest
	if err := decodeStrict(body, &req); err != nil {
		return mobilize.Responder{}, err
	}
	var p problems
	r := toResponder(req, "", &p)
	return r, p.err()
}

// parseBatch decodes and checks POST /api/v1/responders/batch: one bad
// entry refuses the whole batch.
func parseBatch(body []byte) ([]mobilize.Responder, error) {
	var req batchRequest
	if err := decodeStrict(body, &req); err != nil {
		return nil, err
	}
	if n := len(req.Responders); n == 0 || n > maxBatch {
		return nil, invalid(fmt.Sprintf("responders must have 1..%d entries, not %d", maxBatch, n))
	}
	var p problems
	out := make([]mobilize.Responder, len(req.Responders))
	for i, rr := range req.Responders {
		out[i] = toResponder(rr, "responders["+strconv.Itoa(i)+"].", &p)
	}
	return out, p.err()
}

// claimOrg gives a coordinator's registration its organisation: a
// coordinator registers only its own organisation's people.
func claimOrg(id Identity, orgID *string) error {
	if id.Role != RoleCoordinator {
		return nil
	}
	if *orgID != "" && *orgID != id.OrgID {
		return forbidden("a coordinator registers only its own organisation's people")
	}
	*orgID = id.OrgID
	return nil
}

func randomHex(n int) string {
	b := make([]byte, n)
	rand.Read(b)
	return hex.EncodeToString(b)
}

// handleRegister is POST /api/v1/responders. A new responder is on duty
// and becomes a candidate with their first position report.
func (g *responderGroup) handleRegister(ctx context.Context, c *call) error {
	r, err := parseResponder(c.body)
	if err != nil {
		return err
	}
	g.fillReach(&r)
	if err := claimOrg(c.id, &r.OrgID); err != nil {
		return err
	}
	profile, entry, err := g.app.Register(ctx, r)
	if err != nil {
		return err
	}
	token, id, err := g.auth.Issue(string(profile.ID), RoleResponder, profile.OrgID, g.tokenTTL)
	if err != nil {
		return err
	}
	g.audit.record(ctx, c.id, "responder.register", string(profile.ID), 0)
	c.json(http.StatusCreated, registeredJSON{responderJSON: toResponderJSON(profile, entry), Token: token, TokenExpiresAt: rfc3339(id.ExpiresAt)})
	return nil
}

// handleRegisterBatch is POST /api/v1/responders/batch. The ids of one
// batch share a random prefix and end in the entry number, so the audit
// log names the whole batch in one entry. Tokens are signed JWTs, not
// bcrypt hashes, which is what keeps 10,000 registrations fast.
func (g *responderGroup) handleRegisterBatch(ctx context.Context, c *call) error {
	rs, err := parseBatch(c.body)
	if err != nil {
		return err
	}
	for i := range rs {
		if err := claimOrg(c.id, &rs[i].OrgID); err != nil {
			return err
		}
		g.fillReach(&rs[i])
	}
	prefix := mobilize.NewBatchIDs(rs)
	out := batchResponse{Responders: make([]batchEntry, len(rs))}
	for i, r := range rs {
		token, id, err := g.auth.Issue(string(r.ID), RoleResponder, r.OrgID, g.tokenTTL)
		if err != nil {
			return err
		}
		out.Responders[i] = batchEntry{ID: string(r.ID), Token: token}
		out.TokenExpiresAt = rfc3339(id.ExpiresAt)
	}
	if err := g.app.RegisterMany(ctx, rs); err != nil {
		return err
	}
	g.audit.record(ctx, c.id, "responder.register_batch", prefix+"*", len(rs))
	c.json(http.StatusCreated, out)
	return nil
}

// checkSelf refuses a responder acting on anyone but itself. It runs
// before any lookup, so the answer says nothing about other ids.
func checkSelf(id Identity, rid string) error {
	if id.Role == RoleResponder && id.Subject != rid {
		return forbidden("a responder may act only on itself")
	}
	return nil
}

// responderReader reads one responder, for responderFor.
type responderReader interface {
	Responder(ctx context.Context, id mobilize.ResponderID) (mobilize.Responder, mobilize.Presence, error)
}

// responderFor loads the responder of the path for the caller: a
// responder only itself, a coordinator only its organisation's (others
// are "not found", as if they did not exist).
func responderFor(ctx context.Context, app responderReader, c *call) (mobilize.Responder, mobilize.Presence, error) {
	rid := c.r.PathValue("id")
	if err := checkSelf(c.id, rid); err != nil {
		return mobilize.Responder{}, mobilize.Presence{}, err
	}
	if !idPattern.MatchString(rid) {
		return mobilize.Responder{}, mobilize.Presence{}, notFound("responder")
	}
	r, e, err := app.Responder(ctx, mobilize.ResponderID(rid))
	if err != nil {
		return r, e, err
	}
	if c.id.Role == RoleCoordinator && r.OrgID != c.id.OrgID {
		return mobilize.Responder{}, mobilize.Presence{}, notFound("responder")
	}
	return r, e, nil
}

func (g *responderGroup) handleGetResponder(ctx context.Context, c *call) error {
	r, e, err := responderFor(ctx, g.app, c)
	if err != nil {
		return err
	}
	g.audit.record(ctx, c.id, "responder.read", string(r.ID), 0) // staff reading a profile (PIPL); not the person itself
	c.json(http.StatusOK, g.withReachDefaults(toResponderJSON(r, e)))
	return nil
}

// fillReach gives a registration the defaults of its delivery fields: the
// app, in the deployment's language.
func (g *responderGroup) fillReach(r *mobilize.Responder) {
	if r.Channel == "" {
		r.Channel = mobilize.ChannelApp
	}
	if r.Lang == "" {
		r.Lang = g.lang
	}
}

// withReachDefaults shows a responder registered before the delivery
// fields existed with the defaults they stand for.
func (g *responderGroup) withReachDefaults(out responderJSON) responderJSON {
	if out.Channel == "" {
		out.Channel = mobilize.ChannelApp
	}
	if out.Lang == "" {
		out.Lang = g.lang
	}
	return out
}

// ReachLang is the short language code ("zh", "en") of a configured page
// language (zh-CN, en), which responders' and SMS languages use.
func ReachLang(pageLang string) string {
	if pageLang == "en" {
		return "en"
	}
	return "zh"
}

// handleReissue is POST /api/v1/responders/{id}/token: a new token for a
// responder whose phone was replaced (revoke the old one by its jti).
func (g *responderGroup) handleReissue(ctx context.Context, c *call) error {
	r, _, err := responderFor(ctx, g.app, c)
	if err != nil {
		return err
	}
	// A deactivated responder's tokens are all refused: one issued now
	// would only look as if it worked.
	if d, err := g.app.ResponderDeactivation(ctx, r.ID); err != nil {
		return err
	} else if d != nil {
		return &Error{Kind: mobilize.ErrConflict, Code: "deactivated", Message: "the responder is deactivated; reactivate them first"}
	}
	token, id, err := g.auth.Issue(string(r.ID), RoleResponder, r.OrgID, g.tokenTTL)
	if err != nil {
		return err
	}
	g.audit.record(ctx, c.id, "responder.token", string(r.ID), 0)
	c.json(http.StatusCreated, tokenJSON{Token: token, ExpiresAt: rfc3339(id.ExpiresAt)})
	return nil
}

func toResponderJSON(r mobilize.Responder, e mobilize.Presence) responderJSON {
	out := responderJSON{
		ID: string(r.ID), Name: r.Name, Role: r.Role, Skills: []string{}, Certifications: []certificationJSON{},
		OrgID: r.OrgID, Phone: r.Phone, MaxConcurrent: r.MaxConcurrent, CreatedAt: rfc3339(r.CreatedAt), Status: e.Status,
		Channel: r.Channel, Lang: r.Lang,
	}
	for _, s := range r.Skills {
		if s.ExpiresAt.IsZero() {
			out.Skills = append(out.Skills, s.Name)
		} else {
			out.Certifications = append(out.Certifications, certificationJSON{Skill: s.Name, ExpiresAt: rfc3339(s.ExpiresAt)})
		}
	}
	if e.Located {
		lat, lng := geo.Lat(e.Point), geo.Lng(e.Point)
		out.Lat, out.Lng, out.LastSeen = &lat, &lng, optionalTime(e.LastSeen)
	}
	return out
}
