package web

import (
	"context"
	"net/http"
	"time"

	"go.uber.org/zap"
	"golang.org/x/crypto/bcrypt"

	"github.com/liandong/liandong/mobilize"
)

// Cutting a person off: revoking a token by id stops one token, but a
// lost phone, a departed colleague or a leaked password needs every token
// of a person stopped at once, including tokens nobody wrote down. Each
// person has a not_before in the store (RevocationStore); every token
// issued before it is refused on every request and socket check. The
// routes here raise it (disable a user, change a password, revoke every
// token of a responder), record who did it, and ask every process to
// recheck the person's open sockets, so that they close within a moment
// rather than at their next ping cycle.

// SocketRechecker has the open sockets of a user rechecked on every
// server process (*realtime.Hub; userID as the hub names sockets, empty:
// every socket).
type SocketRechecker interface {
	Recheck(ctx context.Context, userID string) error
}

// disabledNotBefore is the not_before of a disabled user: no token is
// issued that late, so every one of theirs is refused, even one a login
// racing the disable got. Enabling brings it back to the moment of
// enabling, so tokens from before the disable stay dead.
var disabledNotBefore = time.Date(9999, 12, 31, 0, 0, 0, 0, time.UTC)

// cutOff refuses every token of the person issued before now and closes
// their sockets.
func (g *accountGroup) cutOff(ctx context.Context, subject string, role Role) error {
	if err := g.auth.revocations.RaiseNotBefore(ctx, personOf(subject, role), g.now()); err != nil {
		return err
	}
	g.hangUp(ctx, socketUser(subject, role))
	return nil
}

// hangUp asks every process to recheck the sockets of the hub user
// userID (empty: every socket). What was revoked is stored already, so a
// failure here only delays the close to the sockets' next ping cycle: it
// is logged, not returned.
func (g *accountGroup) hangUp(ctx context.Context, userID string) {
	if g.sockets == nil {
		return
	}
	if err := g.sockets.Recheck(context.WithoutCancel(ctx), userID); err != nil {
		g.log.Warn("sockets not told of a revocation; they close at their next ping", zap.String("user_id", userID), zap.Error(err))
	}
}

// pathUser loads the user named by the path; a malformed or unknown name
// is "not found".
func (g *accountGroup) pathUser(ctx context.Context, c *call) (user, error) {
	name := c.r.PathValue("username")
	if !userPattern.MatchString(name) {
		return user{}, notFound("user")
	}
	u, found, err := g.loadUser(ctx, name)
	if err != nil {
		return user{}, err
	}
	if !found {
		return user{}, notFound("user")
	}
	return u, nil
}

// handleDisable is POST /api/v1/users/{username}/disable (admin): the
// user cannot log in, and every token of theirs stops working at once, on
// HTTP and on open sockets. An admin cannot disable themselves, so that
// there is always someone to enable others.
func (g *accountGroup) handleDisable(ctx context.Context, c *call) error {
	if err := parseEmpty(c.body); err != nil {
		return err
	}
	u, err := g.pathUser(ctx, c)
	if err != nil {
		return err
	}
	if u.Username == c.id.Subject {
		return &Error{Kind: mobilize.ErrConflict, Code: "self_disable", Message: "you cannot disable yourself; ask another admin"}
	}
	// The cut-off first: if the record is not written, the user is locked
	// out and the admin retries, never the other way round.
	if err := g.auth.revocations.RaiseNotBefore(ctx, personOf(u.Username, u.Role), disabledNotBefore); err != nil {
		return err
	}
	if !u.Disabled {
		u.Disabled = true
		if err := g.storeUser(ctx, u); err != nil {
			return err
		}
	}
	g.hangUp(ctx, socketUser(u.Username, u.Role))
	g.audit.record(ctx, c.id, "user.disable", u.Username, 0)
	c.json(http.StatusOK, toUserJSON(u))
	return nil
}

// handleEnable is POST /api/v1/users/{username}/enable (admin): the user
// may log in again; tokens from before the disable stay dead.
func (g *accountGroup) handleEnable(ctx context.Context, c *call) error {
	if err := parseEmpty(c.body); err != nil {
		return err
	}
	u, err := g.pathUser(ctx, c)
	if err != nil {
		return err
	}
	if u.Disabled {
		u.Disabled = false
		if err := g.storeUser(ctx, u); err != nil {
			return err
		}
		if err := g.auth.revocations.SetNotBefore(ctx, personOf(u.Username, u.Role), g.now()); err != nil {
			return err
		}
	}
	g.audit.record(ctx, c.id, "user.enable", u.Username, 0)
	c.json(http.StatusOK, toUserJSON(u))
	return nil
}

// passwordRequest is the body of POST /api/v1/users/{username}/password.
type passwordRequest struct {
	OldPassword string `json:"old_password" doc:"the current password; required to change one's own, ignored when an admin changes another's"`
	NewPassword string `json:"new_password" api:"required" doc:"10..72 bytes"`
}

func parsePassword(body []byte) (passwordRequest, error) {
	var req passwordRequest
	if err := decodeStrict(body, &req); err != nil {
		return req, err
	}
	var p problems
	if n := len(req.NewPassword); n < minPasswordLen || n > maxPasswordLen {
		p.addf("new_password must be %d..%d bytes", minPasswordLen, maxPasswordLen)
	}
	if len(req.OldPassword) > maxPasswordLen {
		p.addf("old_password is longer than %d bytes", maxPasswordLen)
	}
	return req, p.err()
}

// errWrongPassword refuses a change of one's own password without the
// current one: a stolen token alone must not take the account over.
var errWrongPassword = &Error{Kind: ErrForbidden, Code: "wrong_password", Message: "old_password is not the current password"}

// handlePassword is POST /api/v1/users/{username}/password: a user
// changes their own password (giving the old one), an admin anyone's.
// Every token of the user issued before, the caller's own included, stops
// working: they log in again with the new password.
func (g *accountGroup) handlePassword(ctx context.Context, c *call) error {
	self := c.r.PathValue("username") == c.id.Subject
	if !self && c.id.Role != RoleAdmin {
		return forbidden("only an admin may change another user's password")
	}
	req, err := parsePassword(c.body)
	if err != nil {
		return err
	}
	u, err := g.pathUser(ctx, c)
	if err != nil {
		return err
	}
	if self && bcrypt.CompareHashAndPassword([]byte(u.Hash), []byte(req.OldPassword)) != nil {
		return errWrongPassword
	}
	hash, err := bcrypt.GenerateFromPassword([]byte(req.NewPassword), g.bcryptCost)
	if err != nil {
		return err
	}
	u.Hash = string(hash)
	if err := g.storeUser(ctx, u); err != nil {
		return err
	}
	if err := g.cutOff(ctx, u.Username, u.Role); err != nil {
		return err
	}
	g.audit.record(ctx, c.id, "user.password", u.Username, 0)
	c.w.WriteHeader(http.StatusNoContent)
	return nil
}

// handleRevokeResponderTokens is POST /api/v1/responders/{id}/revoke-tokens:
// every token of the responder issued so far (links, page sessions) stops
// working and their sockets close; a new link is issued with
// POST /responders/{id}/token. Staff may do it to the responders they
// see, a responder to itself (a lost phone).
func (g *accountGroup) handleRevokeResponderTokens(ctx context.Context, c *call) error {
	if err := parseEmpty(c.body); err != nil {
		return err
	}
	r, _, err := responderFor(ctx, g.responders, c)
	if err != nil {
		return err
	}
	if err := g.cutOff(ctx, string(r.ID), RoleResponder); err != nil {
		return err
	}
	g.audit.record(ctx, c.id, "responder.revoke_tokens", string(r.ID), 0)
	c.w.WriteHeader(http.StatusNoContent)
	return nil
}
