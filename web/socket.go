package web

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"go.uber.org/zap"

	"github.com/liandong/liandong/mobilize"
	"github.com/liandong/liandong/realtime"
	"github.com/liandong/liandong/realtime/wire"
)

// SocketDeps is what the websocket endpoint needs beyond the API's own
// parts: the hub that holds the sockets.
type SocketDeps struct {
	Hub *realtime.Hub
	Log *zap.Logger
	Now func() time.Time
	// Console bounds consoles' subscriptions (subscribe.go); Registerer,
	// when set, gets their counter.
	Console    ConsoleLimits
	Registerer prometheus.Registerer
}

// socketHandler handles client messages of responder and operator sockets.
type socketHandler struct {
	SocketDeps
	actions   responderActions
	viewports *viewports
}

func clientErr(code, format string, args ...any) *realtime.ClientError {
	return &realtime.ClientError{Code: code, Message: fmt.Sprintf(format, args...)}
}

// decodeData decodes a message's data strictly into v.
func decodeData(raw json.RawMessage, v any) error {
	dec := json.NewDecoder(strings.NewReader(string(raw)))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return clientErr("invalid_message", "data: %v", err)
	}
	if dec.More() {
		return clientErr("invalid_message", "data: trailing content")
	}
	return nil
}

// send sends msg on s as the message type it names.
func send(s *realtime.Session, msg interface{ Type() string }) error {
	return s.Send(msg.Type(), msg)
}

// HandleConnect greets the socket with its responder or user id.
func (h *socketHandler) HandleConnect(ctx context.Context, s *realtime.Session) error {
	id := s.Identity()
	welcome := wire.Welcome{ServerTime: h.Now().UTC().Format(time.RFC3339Nano)}
	if id.Kind == realtime.KindResponder {
		welcome.ResponderID = id.UserID
	} else {
		welcome.UserID = id.UserID
	}
	return send(s, welcome)
}

// handle applies one client message of the socket opened with id's token.
// location and status data go through parseLocation and parseStatus, the
// HTTP routes' decoders; the rest decode into their wire types.
func (h *socketHandler) handle(ctx context.Context, s *realtime.Session, id Identity, env realtime.Envelope) error {
	if s.Identity().Kind == realtime.KindOperator {
		if env.Type != wire.TypeSubscribe {
			return realtime.UnknownType(env.Type)
		}
		return h.viewports.subscribe(ctx, s, id, env.Data)
	}
	rid := mobilize.ResponderID(id.Subject)
	switch env.Type {
	case wire.TypeLocation:
		// A location that decodes but is no place (missing or out of
		// range) is invalid_location; data that does not decode is
		// invalid_message, as for every other message.
		err := h.actions.locate(ctx, id, rid, env.Data)
		var e *Error
		if errors.Is(err, mobilize.ErrInvalid) && !(errors.As(err, &e) && e.Code == "invalid_json") {
			return clientErr("invalid_location", "%s", clientMessage(err))
		}
		return h.domainErr(err)
	case wire.TypeStatus:
		return h.domainErr(h.actions.setStatus(ctx, id, rid, env.Data))
	case wire.TypeAccept:
		var m wire.Accept
		if err := decodeData(env.Data, &m); err != nil {
			return err
		}
		if err := checkSocketID("offer_id", m.OfferID); err != nil {
			return err
		}
		return h.answer(ctx, s, id, m.OfferID, true)
	case wire.TypeDecline:
		var m wire.Decline
		if err := decodeData(env.Data, &m); err != nil {
			return err
		}
		if err := checkSocketID("offer_id", m.OfferID); err != nil {
			return err
		}
		return h.answer(ctx, s, id, m.OfferID, false)
	case wire.TypeComplete:
		var m wire.Complete
		if err := decodeData(env.Data, &m); err != nil {
			return err
		}
		if err := checkSocketID("need_id", m.NeedID); err != nil {
			return err
		}
		return h.domainErr(h.actions.complete(ctx, id, m.NeedID, m.Note))
	case wire.TypeArrived:
		var m socketArrival
		if err := decodeData(env.Data, &m); err != nil {
			return err
		}
		if err := checkSocketID("need_id", m.NeedID); err != nil {
			return err
		}
		st, err := h.actions.arrive(ctx, id, m.NeedID, m.arrivalRequest)
		if err != nil {
			return h.domainErr(err)
		}
		return send(s, toWireFieldStatus(m.NeedID, st))
	case wire.TypeLeft:
		var m wire.Left
		if err := decodeData(env.Data, &m); err != nil {
			return err
		}
		if err := checkSocketID("need_id", m.NeedID); err != nil {
			return err
		}
		st, err := h.actions.depart(ctx, id, m.NeedID)
		if err != nil {
			return h.domainErr(err)
		}
		return send(s, toWireFieldStatus(m.NeedID, st))
	}
	return realtime.UnknownType(env.Type)
}

// checkSocketID holds an id a message carries to the check the HTTP
// routes apply to path ids (idPattern). On a path a malformed id is a
// route to nothing (404); in a message it is a malformed message, refused
// before any store is asked.
func checkSocketID(field, id string) error {
	if id == "" {
		return clientErr("invalid_message", "%s is required", field)
	}
	if !idPattern.MatchString(id) {
		return clientErr("invalid_message", "%s must be 1..64 of A-Z a-z 0-9 _ . -", field)
	}
	return nil
}

// answer accepts or declines an offer and confirms it to the socket.
func (h *socketHandler) answer(ctx context.Context, s *realtime.Session, id Identity, offerID string, accept bool) error {
	ans, place, err := h.actions.answer(ctx, id, offerID, accept)
	if err != nil {
		return h.domainErr(err)
	}
	m := wire.Answered{OfferID: offerID, Answer: wire.TypeDecline}
	if accept {
		m.Answer, m.NeedID, m.Place = wire.TypeAccept, string(ans.Need), place
	}
	return send(s, m)
}

// domainErr turns domain refusals into error messages for the client;
// anything else is logged and reported as internal.
func (h *socketHandler) domainErr(err error) error {
	switch {
	case err == nil:
		return nil
	case errors.Is(err, mobilize.ErrNotFound):
		return clientErr("not_found", "unknown or stale offer, need or responder")
	case errors.Is(err, mobilize.ErrTooFar):
		return clientErr("too_far", "%s", clientMessage(err))
	case errors.Is(err, ErrForbidden):
		return clientErr("forbidden", "%s", clientMessage(err))
	case errors.Is(err, mobilize.ErrInvalidTransition):
		return clientErr("invalid_transition", "%s", lastPart(err))
	case errors.Is(err, mobilize.ErrInvalid):
		return clientErr("invalid_message", "%s", clientMessage(err))
	case errors.Is(err, mobilize.ErrConflict):
		return clientErr("conflict", "%s", lastPart(err))
	case errors.Is(err, errRateLimited):
		return clientErr(realtime.CodeRateLimited, "%s", clientMessage(err))
	case errors.Is(err, mobilize.ErrUnavailable):
		return clientErr("unavailable", "the data store is not answering; nothing was changed, send it again shortly")
	}
	h.Log.Error("socket message failed", zap.Error(err))
	return clientErr("internal", "internal error")
}

// clientMessage is the message of a refusal worded for the client, or the
// reason of a wrapped domain error.
func clientMessage(err error) string {
	var e *Error
	if errors.As(err, &e) {
		return e.Message
	}
	return lastPart(err)
}

// lastPart keeps the reason of a wrapped error without ids or internals.
func lastPart(err error) string {
	parts := strings.Split(err.Error(), ": ")
	if len(parts) >= 2 {
		return strings.Join(parts[len(parts)-2:], ": ")
	}
	return err.Error()
}

// connHandler is the handler of one socket: it remembers who the token
// the socket was opened with names (its signature was checked at the
// upgrade), so that every message, every ping cycle and every recheck
// request can check it has not expired, been revoked or been cut off
// since, and closes the socket at the token's expiry.
type connHandler struct {
	*socketHandler
	id   Identity
	auth *Authenticator
}

// A socket whose token lapsed (expired, revoked, cut off) closes with
// 1008 and one reason, whatever happened to the token: clients match the
// documented text (docs/PROTOCOL.md; the pages log out on 1008 with
// "token" in it).
const (
	closeLapsed       = 1008
	closeLapsedReason = "token no longer valid"
)

// HandleConnect sets the socket to close when its token expires, even if
// it never sends anything, then greets it.
func (c *connHandler) HandleConnect(ctx context.Context, s *realtime.Session) error {
	s.CloseAt(c.id.ExpiresAt, closeLapsed, closeLapsedReason)
	return c.socketHandler.HandleConnect(ctx, s)
}

// HandleMessage refuses to act on a token expired, revoked or cut off
// since the upgrade, and closes the socket. When the check itself cannot
// be made (Redis not answering) the message is refused with an error and
// the socket stays open: closing every phone with "token no longer valid"
// during a Redis restart would send them all to log in again.
func (c *connHandler) HandleMessage(ctx context.Context, s *realtime.Session, env realtime.Envelope) error {
	if err := c.auth.StillValid(ctx, c.id); err != nil {
		if errors.Is(err, ErrUnauthenticated) {
			s.Close(closeLapsed, closeLapsedReason)
			return nil
		}
		return c.domainErr(err)
	}
	return c.socketHandler.handle(ctx, s, c.id, env)
}

// Recheck is the socket's check on its ping cycle and when a revocation
// names its user: a lapsed token closes it; a check that cannot be made
// (Redis not answering) leaves it open, as for messages.
func (c *connHandler) Recheck(ctx context.Context, s *realtime.Session) {
	err := c.auth.StillValid(ctx, c.id)
	if errors.Is(err, ErrUnauthenticated) {
		s.Close(closeLapsed, closeLapsedReason)
	} else if err != nil {
		c.Log.Debug("socket token not rechecked", zap.String("user_id", s.Identity().UserID), zap.Error(err))
	}
}

// socketUser is the hub's user id of the sockets a token opens, as
// WebsocketHandler names them (the cut-off tests fail if the two differ).
func socketUser(subject string, role Role) string {
	if role == RoleResponder {
		return subject
	}
	return "staff:" + subject
}

// bearerToken reads the token from the Authorization header or, since
// browsers cannot set headers on a websocket, the access_token parameter.
func bearerToken(r *http.Request) string {
	if h := r.Header.Get("Authorization"); h != "" {
		if tok, ok := strings.CutPrefix(h, "Bearer "); ok {
			return strings.TrimSpace(tok)
		}
		return ""
	}
	return r.URL.Query().Get("access_token")
}

func writeSocketRefusal(w http.ResponseWriter, status int, code, msg string) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(map[string]any{"error": map[string]string{"code": code, "message": msg}})
}

// WebsocketHandler serves GET /ws: the token is checked before the upgrade
// (401 without a valid one), responders get a responder socket, staff who
// run the response an operator socket; evaluators, who may not see
// positions, are refused.
func (a *API) WebsocketHandler(d SocketDeps) http.Handler {
	if d.Now == nil {
		d.Now = time.Now
	}
	base := &socketHandler{SocketDeps: d, actions: a.actions, viewports: newViewports(a.needs.app, d)}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !a.admitHandshake(w, r) {
			return
		}
		tok := bearerToken(r)
		if tok == "" {
			writeSocketRefusal(w, http.StatusUnauthorized, "unauthenticated", "a bearer token or access_token parameter is required")
			return
		}
		id, err := a.auth.Verify(r.Context(), tok)
		if errors.Is(err, ErrUnauthenticated) {
			writeSocketRefusal(w, http.StatusUnauthorized, "unauthenticated", "the token is invalid, expired or revoked")
			return
		}
		if err != nil {
			// The token could not be checked (Redis not answering): 503
			// and Retry-After, so that the phone retries with the same
			// token rather than thinking it bad.
			a.writeError(w, r, err)
			return
		}
		var ident realtime.Identity
		switch id.Role {
		case RoleResponder:
			ident = realtime.Identity{UserID: id.Subject, Kind: realtime.KindResponder}
		case RoleAdmin, RoleOperator, RoleCoordinator:
			ident = realtime.Identity{UserID: "staff:" + id.Subject, Kind: realtime.KindOperator}
		default:
			writeSocketRefusal(w, http.StatusForbidden, "forbidden", "this role has no live socket")
			return
		}
		if err := d.Hub.Serve(w, r, ident, &connHandler{socketHandler: base, id: id, auth: a.auth}); err != nil {
			d.Log.Debug("websocket not served", zap.Error(err))
		}
	})
}
