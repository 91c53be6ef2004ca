package web

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"regexp"
	"strings"
	"time"

	"github.com/liandong/liandong/mobilize"
)

// The join door: public, no login. The join token in the path is the
// capability; a volunteer confirms their phone with a code texted to it
// and files an application, which waits as `pending` for the staff. It
// serves the JSON routes below and the page /join/{token} (joinpage.go).

// phoneCodes texts and checks the codes that confirm a phone
// (mobilize/phonecode, wired by internal/server as APIOptions.PhoneCodes).
// An error whose errors.As finds a Code() is the client's mistake, worded
// by that code ("code_wrong", "code_expired", "too_many_codes").
type phoneCodes interface {
	// SendCode texts a 6-digit code to phone for purpose ("join"); ticket names the attempt.
	SendCode(ctx context.Context, phone, purpose string) (ticket string, err error)
	// ConfirmCode checks the code; on success it returns the confirmed phone (normalised).
	ConfirmCode(ctx context.Context, ticket, code string) (phone string, err error)
}

// joinPurpose is the purpose of the codes the join door sends.
const joinPurpose = "join"

// JoinLimits bound the join door, per client address and per invitation,
// in requests per minute; zero takes the default, negative turns it off.
type JoinLimits struct {
	// default 60: a sign-up session on one community centre's Wi-Fi is
	// one address; the phone codes bound the texts themselves.
	PerAddressPerMinute    int
	PerInvitationPerMinute int // default 300
}

func (l JoinLimits) sets() (perAddress, perInvitation *limiterSet) {
	set := func(perMinute, def int) *limiterSet {
		if perMinute == 0 {
			perMinute = def
		}
		if perMinute < 0 {
			return newLimiterSet(-1, 0)
		}
		return newLimiterSet(float64(perMinute)/60, perMinute)
	}
	return set(l.PerAddressPerMinute, 60), set(l.PerInvitationPerMinute, 300)
}

// joinTokenPattern is the shape of a join token; anything else names no
// invitation and costs no Redis call.
var joinTokenPattern = regexp.MustCompile(`^[A-Za-z0-9_-]{22}$`)

// invitationRefusal words an invitation that cannot be joined.
func invitationRefusal(state mobilize.InvitationState) error {
	switch state {
	case mobilize.InvitationExpired:
		return &Error{Kind: errGone, Code: "invitation_expired", Message: "this invitation has expired; ask the organisation for a new one"}
	case mobilize.InvitationRevoked:
		return &Error{Kind: errGone, Code: "invitation_revoked", Message: "this invitation was withdrawn; ask the organisation for a new one"}
	case mobilize.InvitationExhausted:
		return &Error{Kind: mobilize.ErrConflict, Code: "invitation_exhausted", Message: "this invitation has taken as many volunteers as it may"}
	}
	return &Error{Kind: mobilize.ErrNotFound, Code: "invitation_unknown", Message: "no invitation has this link"}
}

// joinable checks the door's limits and that the token's invitation may
// still be joined.
func (g *joinGroup) joinable(ctx context.Context, r *http.Request, token string) error {
	if g.codes == nil {
		return notFound("joining by invitation (not set up on this server)")
	}
	if err := g.perAddress.allow(clientAddr(r)); err != nil {
		return err
	}
	if !joinTokenPattern.MatchString(token) {
		return invitationRefusal(mobilize.InvitationUnknown)
	}
	if err := g.perInvitation.allow(token); err != nil {
		return err
	}
	inv, err := g.app.InvitationByToken(ctx, token)
	if errors.Is(err, mobilize.ErrNotFound) {
		return invitationRefusal(mobilize.InvitationUnknown)
	}
	if err != nil {
		return err
	}
	if st := inv.StateAt(g.now()); st != mobilize.InvitationOpen {
		return invitationRefusal(st)
	}
	return nil
}

// phoneCodeError turns an error of the phone codes into the API's: one
// that names its code is the client's, anything else the server's.
func phoneCodeError(err error) error {
	var coded interface{ Code() string }
	if !errors.As(err, &coded) {
		return err
	}
	if coded.Code() == "too_many_codes" {
		return &Error{Kind: errRateLimited, Code: coded.Code(), Message: err.Error(), RetryAfter: time.Minute}
	}
	return &Error{Kind: mobilize.ErrInvalid, Code: coded.Code(), Message: err.Error()}
}

type joinCodeRequest struct {
	Phone string `json:"phone" api:"required" doc:"the volunteer's mobile number; a 6-digit code is texted to it"`
}

type joinCodeJSON struct {
	Ticket string `json:"ticket" doc:"names this attempt; send it back with the code"`
}

// sendCode texts a code to the phone of a volunteer joining by token.
func (g *joinGroup) sendCode(ctx context.Context, r *http.Request, token, phone string) (string, error) {
	if err := g.joinable(ctx, r, token); err != nil {
		return "", err
	}
	var p problems
	p.text("phone", phone, mobilize.MaxPhoneLen, true, false)
	if phone != "" {
		p.pattern("phone", phone, phonePattern, "3..40 of digits, spaces and + ( ) . / -")
	}
	if err := p.err(); err != nil {
		return "", err
	}
	ticket, err := g.codes.SendCode(ctx, phone, joinPurpose)
	if err != nil {
		return "", phoneCodeError(err)
	}
	return ticket, nil
}

// handleJoinCode is POST /api/v1/join/{token}/code.
func (g *joinGroup) handleJoinCode(ctx context.Context, c *call) error {
	var req joinCodeRequest
	if err := decodeStrict(c.body, &req); err != nil {
		return err
	}
	ticket, err := g.sendCode(ctx, c.r, c.r.PathValue("token"), req.Phone)
	if err != nil {
		return err
	}
	c.json(http.StatusOK, joinCodeJSON{Ticket: ticket})
	return nil
}

// joinRequest is the volunteer's application.
type joinRequest struct {
	Ticket         string              `json:"ticket" api:"required" doc:"from POST /api/v1/join/{token}/code"`
	Code           string              `json:"code" api:"required" doc:"the 6-digit code texted to the phone"`
	Name           string              `json:"name" api:"required"`
	Skills         []string            `json:"skills" doc:"skills without expiry, each 1..64 bytes without | , @"`
	Certifications []joinCertification `json:"certifications" doc:"skills backed by a certificate, with its expiry"`
	Lang           string              `json:"lang" doc:"zh or en: the language of SMS; default ui.default_lang"`
}

type joinCertification struct {
	Name    string `json:"name" api:"required"`
	Expires string `json:"expires" api:"required" doc:"YYYY-MM-DD (valid to the end of that day in ui.time_zone) or RFC 3339; not in the past"`
}

type joinedJSON struct {
	ID     string `json:"id" doc:"the application"`
	Status string `json:"status" enum:"pending"`
}

// certExpiry reads a certificate's expiry: a day is valid to its end in
// the deployment's zone.
func (g *joinGroup) certExpiry(p *problems, field, s string) time.Time {
	if day, err := time.ParseInLocation(time.DateOnly, s, g.lang.zone); err == nil {
		return day.AddDate(0, 0, 1).UTC()
	}
	if t, err := time.Parse(time.RFC3339, s); err == nil {
		return t.UTC()
	}
	p.addf("%s must be a date such as 2027-06-30", field)
	return time.Time{}
}

// toApplication checks a join request and turns it into an application
// (without the phone, which the code confirms).
func (g *joinGroup) toApplication(req joinRequest) (mobilize.Application, error) {
	var p problems
	p.text("ticket", req.Ticket, 200, true, false)
	p.text("code", req.Code, 16, true, false)
	p.text("name", req.Name, mobilize.MaxNameLen, true, false)
	if n := len(req.Skills) + len(req.Certifications); n > mobilize.MaxSkillsPerPerson {
		p.addf("skills and certifications together exceed %d", mobilize.MaxSkillsPerPerson)
	}
	if req.Lang != "" && req.Lang != "zh" && req.Lang != "en" {
		p.addf("lang must be zh or en")
	}
	a := mobilize.Application{Name: strings.TrimSpace(req.Name), Lang: req.Lang}
	if a.Lang == "" {
		a.Lang = ReachLang(string(g.lang.def))
	}
	for i, s := range req.Skills {
		p.name(fmt.Sprintf("skills[%d]", i), s)
		a.Skills = append(a.Skills, mobilize.Skill{Name: strings.TrimSpace(s)})
	}
	for i, c := range req.Certifications {
		field := fmt.Sprintf("certifications[%d]", i)
		p.name(field+".name", c.Name)
		at := g.certExpiry(&p, field+".expires", c.Expires)
		if !at.IsZero() && !at.After(g.now()) {
			p.addf("%s.expires is in the past", field)
		}
		a.Skills = append(a.Skills, mobilize.Skill{Name: strings.TrimSpace(c.Name), ExpiresAt: at})
	}
	return a, p.err()
}

// join files an application: the invitation must be open, the code right,
// and the join script takes a use in the same step as it stores it.
func (g *joinGroup) join(ctx context.Context, r *http.Request, token string, req joinRequest) (mobilize.Application, error) {
	if err := g.joinable(ctx, r, token); err != nil {
		return mobilize.Application{}, err
	}
	a, err := g.toApplication(req)
	if err != nil {
		return a, err
	}
	phone, err := g.codes.ConfirmCode(ctx, req.Ticket, req.Code)
	if err != nil {
		return a, phoneCodeError(err)
	}
	a.Phone = phone
	a, err = g.app.SubmitApplication(ctx, token, a)
	var refused *mobilize.InvitationRefused
	if errors.As(err, &refused) {
		return a, invitationRefusal(refused.State)
	}
	if err != nil {
		return a, err
	}
	g.log.Info("application filed") // no name nor phone: the log is not the register
	return a, nil
}

// handleJoin is POST /api/v1/join/{token}.
func (g *joinGroup) handleJoin(ctx context.Context, c *call) error {
	var req joinRequest
	if err := decodeStrict(c.body, &req); err != nil {
		return err
	}
	a, err := g.join(ctx, c.r, c.r.PathValue("token"), req)
	if err != nil {
		return err
	}
	c.json(http.StatusAccepted, joinedJSON{ID: string(a.ID), Status: string(a.Status)})
	return nil
}
