package web

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"net/http"
	"strings"
	"time"

	qrcode "github.com/skip2/go-qrcode"
	"go.uber.org/zap"

	"github.com/liandong/liandong/internal/i18n"
	"github.com/liandong/liandong/mobilize"
	"github.com/liandong/liandong/mobilize/reach/sms"
)

// Invitations (issue 20): a coordinator, an operator or an admin invites
// volunteers to an organisation with a link and its QR code; the
// volunteers apply through the public join door (join.go) and wait as
// applications until staff approve or reject them here.

// joinApp is what invitations and joining need of the application.
type joinApp interface {
	CreateInvitation(ctx context.Context, inv mobilize.Invitation, tokenHash string) error
	Invitation(ctx context.Context, id mobilize.InvitationID) (mobilize.Invitation, error)
	InvitationByToken(ctx context.Context, token string) (mobilize.Invitation, error)
	InvitationTokenHash(ctx context.Context, id mobilize.InvitationID) (string, error)
	OrgInvitations(ctx context.Context, org string) ([]mobilize.Invitation, error)
	RevokeInvitation(ctx context.Context, id mobilize.InvitationID) (mobilize.Invitation, error)
	SubmitApplication(ctx context.Context, token string, a mobilize.Application) (mobilize.Application, error)
	ApplicationByID(ctx context.Context, id mobilize.ApplicationID) (mobilize.Application, error)
	OrgApplications(ctx context.Context, org string, status mobilize.ApplicationStatus) ([]mobilize.Application, error)
	ApproveApplication(ctx context.Context, id mobilize.ApplicationID, by string) (mobilize.Application, mobilize.Responder, error)
	RejectApplication(ctx context.Context, id mobilize.ApplicationID, by, reason string) (mobilize.Application, error)
}

// joinLinks make the join token of an invitation: 128 bits of an HMAC of
// its random id under a key derived from the token key. The store keeps
// only the token's SHA-256, by which a join finds its invitation; the
// server alone can show the link again (the list, the QR code).
type joinLinks struct {
	key       []byte
	publicURL string // the start of links; empty: paths
}

func newJoinLinks(tokenKey []byte, publicURL string) joinLinks {
	m := hmac.New(sha256.New, tokenKey)
	m.Write([]byte("liandong join link v1"))
	return joinLinks{key: m.Sum(nil), publicURL: strings.TrimRight(publicURL, "/")}
}

// joinTokenLen is the length of a join token: 16 bytes, base64url.
const joinTokenLen = 22

func (l joinLinks) token(id mobilize.InvitationID) string {
	m := hmac.New(sha256.New, l.key)
	m.Write([]byte(id))
	return base64.RawURLEncoding.EncodeToString(m.Sum(nil)[:16])
}

func (l joinLinks) url(id mobilize.InvitationID) string {
	return l.publicURL + "/join/" + l.token(id)
}

// responderLink is the link a registered responder opens their page with.
func (l joinLinks) responderLink(token string) string {
	return l.publicURL + "/respond#token=" + token
}

// joinGroup serves the invitation, application and join routes.
type joinGroup struct {
	app      joinApp
	codes    phoneCodes // nil: joining is off
	auth     *Authenticator
	audit    *auditor
	log      *zap.Logger
	now      func() time.Time
	links    joinLinks
	sender   SMSSender // nil: approvals send no SMS
	tokenTTL time.Duration
	lang     pageLang
	// perAddress and perInvitation bound the join door's requests.
	perAddress, perInvitation *limiterSet
}

// invitationRequest is the body of POST .../invitations.
type invitationRequest struct {
	ExpiresAt string `json:"expires_at" api:"required" doc:"RFC 3339, within 90 days"`
	MaxUses   int    `json:"max_uses" api:"required" doc:"how many volunteers may join through it, 1..1000"`
}

type invitationJSON struct {
	ID        string `json:"id"`
	OrgID     string `json:"org_id"`
	URL       string `json:"url" doc:"the join link; absolute when recognition.public_url is set"`
	QRURL     string `json:"qr_url" doc:"a PNG QR code of the link (staff token required)"`
	CreatedBy string `json:"created_by"`
	CreatedAt string `json:"created_at"`
	ExpiresAt string `json:"expires_at"`
	MaxUses   int    `json:"max_uses"`
	Uses      int    `json:"uses"`
	State     string `json:"state" enum:"open,expired,exhausted,revoked"`
}

type invitationList struct {
	Invitations []invitationJSON `json:"invitations"`
}

func (g *joinGroup) toInvitationJSON(inv mobilize.Invitation) invitationJSON {
	return invitationJSON{
		ID: string(inv.ID), OrgID: inv.OrgID, URL: g.links.url(inv.ID), QRURL: "/api/v1/invitations/" + string(inv.ID) + "/qr.png",
		CreatedBy: inv.CreatedBy, CreatedAt: rfc3339(inv.CreatedAt), ExpiresAt: rfc3339(inv.ExpiresAt),
		MaxUses: inv.MaxUses, Uses: inv.Uses, State: string(inv.StateAt(g.now())),
	}
}

// orgInScope refuses a coordinator an organisation not its own (403: the
// id is in the path, so refusing says nothing new) and checks its shape.
func orgInScope(id Identity, org string) error {
	if !idPattern.MatchString(org) {
		return notFound("organisation")
	}
	if id.Role == RoleCoordinator && id.OrgID != org {
		return forbidden("a coordinator manages only its own organisation's volunteers")
	}
	return nil
}

// invitationFor loads the invitation of the path; another organisation's
// is "not found" to a coordinator, as responders are.
func (g *joinGroup) invitationFor(ctx context.Context, c *call) (mobilize.Invitation, error) {
	id := c.r.PathValue("id")
	if !idPattern.MatchString(id) {
		return mobilize.Invitation{}, notFound("invitation")
	}
	inv, err := g.app.Invitation(ctx, mobilize.InvitationID(id))
	if err != nil {
		return inv, err
	}
	if c.id.Role == RoleCoordinator && inv.OrgID != c.id.OrgID {
		return mobilize.Invitation{}, notFound("invitation")
	}
	return inv, nil
}

// handleCreateInvitation is POST /api/v1/organisations/{id}/invitations.
func (g *joinGroup) handleCreateInvitation(ctx context.Context, c *call) error {
	org := c.r.PathValue("id")
	if err := orgInScope(c.id, org); err != nil {
		return err
	}
	var req invitationRequest
	if err := decodeStrict(c.body, &req); err != nil {
		return err
	}
	var p problems
	expires := p.timestamp("expires_at", req.ExpiresAt)
	if err := p.err(); err != nil {
		return err
	}
	now := g.now()
	inv, err := mobilize.NewInvitation(org, c.id.Subject, expires.Sub(now), req.MaxUses, now)
	if err != nil {
		return err
	}
	inv.ExpiresAt = expires.Truncate(time.Millisecond)
	if err := g.app.CreateInvitation(ctx, inv, mobilize.JoinTokenHash(g.links.token(inv.ID))); err != nil {
		return err
	}
	g.audit.record(ctx, c.id, "invitation.create", string(inv.ID), inv.MaxUses)
	c.json(http.StatusCreated, g.toInvitationJSON(inv))
	return nil
}

// handleListInvitations is GET /api/v1/organisations/{id}/invitations.
func (g *joinGroup) handleListInvitations(ctx context.Context, c *call) error {
	org := c.r.PathValue("id")
	if err := orgInScope(c.id, org); err != nil {
		return err
	}
	invs, err := g.app.OrgInvitations(ctx, org)
	if err != nil {
		return err
	}
	out := invitationList{Invitations: []invitationJSON{}}
	for _, inv := range invs {
		out.Invitations = append(out.Invitations, g.toInvitationJSON(inv))
	}
	c.json(http.StatusOK, out)
	return nil
}

// handleRevokeInvitation is POST /api/v1/invitations/{id}/revoke.
func (g *joinGroup) handleRevokeInvitation(ctx context.Context, c *call) error {
	inv, err := g.invitationFor(ctx, c)
	if err != nil {
		return err
	}
	if inv, err = g.app.RevokeInvitation(ctx, inv.ID); err != nil {
		return err
	}
	g.audit.record(ctx, c.id, "invitation.revoke", string(inv.ID), 0)
	c.json(http.StatusOK, g.toInvitationJSON(inv))
	return nil
}

// handleInvitationQR is GET /api/v1/invitations/{id}/qr.png. A link made
// under another token key would not open the invitation: it is refused
// rather than printed.
func (g *joinGroup) handleInvitationQR(ctx context.Context, c *call) error {
	inv, err := g.invitationFor(ctx, c)
	if err != nil {
		return err
	}
	stored, err := g.app.InvitationTokenHash(ctx, inv.ID)
	if err != nil {
		return err
	}
	if stored != mobilize.JoinTokenHash(g.links.token(inv.ID)) {
		return &Error{Kind: errGone, Code: "link_unavailable", Message: "this invitation's link was made under another token key; create a new invitation"}
	}
	png, err := qrcode.Encode(g.links.url(inv.ID), qrcode.Medium, 320)
	if err != nil {
		return err
	}
	c.w.Header().Set("Content-Type", "image/png")
	c.w.WriteHeader(http.StatusOK)
	c.w.Write(png)
	return nil
}

// applicationJSON is an application as staff see it.
type applicationJSON struct {
	ID             string              `json:"id"`
	InvitationID   string              `json:"invitation_id"`
	OrgID          string              `json:"org_id"`
	Name           string              `json:"name"`
	Phone          string              `json:"phone" doc:"confirmed by an SMS code"`
	Skills         []string            `json:"skills"`
	Certifications []certificationJSON `json:"certifications"`
	Lang           string              `json:"lang"`
	Status         string              `json:"status" enum:"pending,approved,rejected"`
	CreatedAt      string              `json:"created_at"`
	ExpiresAt      string              `json:"expires_at" doc:"when the record is deleted, whatever its status"`
	DecidedBy      string              `json:"decided_by,omitempty"`
	DecidedAt      *string             `json:"decided_at"`
	Reason         string              `json:"reason,omitempty"`
	ResponderID    string              `json:"responder_id,omitempty"`
}

type applicationList struct {
	Applications []applicationJSON `json:"applications"`
}

func toApplicationJSON(a mobilize.Application) applicationJSON {
	out := applicationJSON{
		ID: string(a.ID), InvitationID: string(a.InvitationID), OrgID: a.OrgID, Name: a.Name, Phone: a.Phone,
		Skills: []string{}, Certifications: []certificationJSON{}, Lang: a.Lang, Status: string(a.Status),
		CreatedAt: rfc3339(a.CreatedAt), ExpiresAt: rfc3339(a.ExpiresAt), DecidedBy: a.Decision.By,
		DecidedAt: optionalTime(a.Decision.At), Reason: a.Decision.Reason, ResponderID: string(a.Decision.ResponderID),
	}
	for _, s := range a.Skills {
		if s.ExpiresAt.IsZero() {
			out.Skills = append(out.Skills, s.Name)
		} else {
			out.Certifications = append(out.Certifications, certificationJSON{Skill: s.Name, ExpiresAt: rfc3339(s.ExpiresAt)})
		}
	}
	return out
}

// applicationFor loads the application of the path within the caller's
// scope.
func (g *joinGroup) applicationFor(ctx context.Context, c *call) (mobilize.Application, error) {
	id := c.r.PathValue("id")
	if !idPattern.MatchString(id) {
		return mobilize.Application{}, notFound("application")
	}
	a, err := g.app.ApplicationByID(ctx, mobilize.ApplicationID(id))
	if err != nil {
		return a, err
	}
	if c.id.Role == RoleCoordinator && a.OrgID != c.id.OrgID {
		return mobilize.Application{}, notFound("application")
	}
	return a, nil
}

// handleListApplications is GET /api/v1/organisations/{id}/applications.
func (g *joinGroup) handleListApplications(ctx context.Context, c *call) error {
	org := c.r.PathValue("id")
	if err := orgInScope(c.id, org); err != nil {
		return err
	}
	status := mobilize.ApplicationStatus(c.r.URL.Query().Get("status"))
	switch status {
	case "", mobilize.ApplicationPending, mobilize.ApplicationApproved, mobilize.ApplicationRejected:
	default:
		return invalid("status must be pending, approved or rejected")
	}
	apps, err := g.app.OrgApplications(ctx, org, status)
	if err != nil {
		return err
	}
	out := applicationList{Applications: []applicationJSON{}}
	for _, a := range apps {
		out.Applications = append(out.Applications, toApplicationJSON(a))
	}
	g.audit.record(ctx, c.id, "application.list", org, len(apps)) // staff reading applicants' data (PIPL)
	c.json(http.StatusOK, out)
	return nil
}

// approvedJSON is the answer to an approval: the new responder's link,
// for the coordinator to hand over; it was also sent by SMS when it could.
type approvedJSON struct {
	Application    applicationJSON `json:"application"`
	ResponderID    string          `json:"responder_id"`
	Link           string          `json:"link" doc:"the responder page with the new responder's token"`
	TokenExpiresAt string          `json:"token_expires_at"`
	SMSSent        bool            `json:"sms_sent" doc:"whether the link went to the confirmed phone by SMS"`
}

// handleApprove is POST /api/v1/applications/{id}/approve.
func (g *joinGroup) handleApprove(ctx context.Context, c *call) error {
	a, err := g.applicationFor(ctx, c)
	if err != nil {
		return err
	}
	a, r, err := g.app.ApproveApplication(ctx, a.ID, c.id.Subject)
	if err != nil {
		return decidedError(err)
	}
	token, tid, err := g.auth.Issue(string(r.ID), RoleResponder, r.OrgID, g.tokenTTL)
	if err != nil {
		return err
	}
	link := g.links.responderLink(token)
	g.audit.record(ctx, c.id, "application.approve", string(a.ID), 0)
	g.audit.record(ctx, c.id, "responder.register", string(r.ID), 0)
	sent := false
	if g.sender != nil {
		lang := i18n.ZhCN
		if a.Lang == "en" {
			lang = i18n.En
		}
		text := joinText.T(lang, "sms.approved", "link", link)
		sent = g.sender.Send(ctx, "join_link", string(r.ID), sms.Message{To: a.Phone, Text: text, Ref: "join-" + string(a.ID)})
	}
	c.json(http.StatusOK, approvedJSON{Application: toApplicationJSON(a), ResponderID: string(r.ID), Link: link,
		TokenExpiresAt: rfc3339(tid.ExpiresAt), SMSSent: sent})
	return nil
}

// decidedError names a conflict of a decision: the application was
// decided before.
func decidedError(err error) error {
	if errors.Is(err, mobilize.ErrConflict) {
		return &Error{Kind: mobilize.ErrConflict, Code: "already_decided", Message: "this application was decided already"}
	}
	return err
}

type applicationRejectRequest struct {
	Reason string `json:"reason" api:"required" doc:"1..500 bytes, kept with the application (audited)"`
}

// handleReject is POST /api/v1/applications/{id}/reject.
func (g *joinGroup) handleReject(ctx context.Context, c *call) error {
	var req applicationRejectRequest
	if err := decodeStrict(c.body, &req); err != nil {
		return err
	}
	var p problems
	p.text("reason", req.Reason, mobilize.MaxRejectReasonLen, true, true)
	if err := p.err(); err != nil {
		return err
	}
	a, err := g.applicationFor(ctx, c)
	if err != nil {
		return err
	}
	if a, err = g.app.RejectApplication(ctx, a.ID, c.id.Subject, req.Reason); err != nil {
		return decidedError(err)
	}
	g.audit.recordReason(ctx, c.id, "application.reject", string(a.ID), req.Reason)
	c.json(http.StatusOK, toApplicationJSON(a))
	return nil
}
