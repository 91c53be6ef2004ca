package realtime

import (
	"context"
	"errors"
)

// Identity is who is on the other end of a socket, as the caller's auth
// established it. The hub never checks it; it only routes by UserID.
type Identity struct {
	UserID string
	Kind   string // KindResponder or KindOperator; used in logs and stats
}

// Kinds of identity the server hands in today. The hub treats every kind the
// same; the names exist so that logs agree.
const (
	KindResponder = "responder"
	KindOperator  = "operator"
)

// Handler receives the client messages the hub does not handle itself (all
// but "ack"), one at a time and in order, on a goroutine the socket's reader
// starts and waits for: a slow handler slows that client's reads and nobody
// else's. ctx ends when the socket
// closes or the hub shuts down.
//
// Return a *ClientError to send the client an "error" message and keep the
// socket open (bad fields, unknown type, stale offer). Any other error is
// logged and reported to the client as "internal", also keeping the socket.
type Handler interface {
	HandleMessage(ctx context.Context, s *Session, env Envelope) error
}

// HandlerFunc adapts a function to Handler.
type HandlerFunc func(ctx context.Context, s *Session, env Envelope) error

// HandleMessage calls f.
func (f HandlerFunc) HandleMessage(ctx context.Context, s *Session, env Envelope) error {
	return f(ctx, s, env)
}

// ConnectHandler is implemented by a Handler that wants to greet a socket
// ("welcome") or subscribe it before anything else happens. It runs after the
// session is registered and before the inbox replay, so what it sends arrives
// first and no inbox message slips past. An error closes the socket (a
// *ClientError is sent to the client first).
type ConnectHandler interface {
	HandleConnect(ctx context.Context, s *Session) error
}

// DisconnectHandler is implemented by a Handler that tracks presence. It runs
// once, after both socket goroutines have ended.
type DisconnectHandler interface {
	HandleDisconnect(s *Session)
}

// ClientError is a problem with what the client sent. The hub turns it into
// an "error" message {"code","message"} and keeps the socket open, because a
// phone that sent one bad message should not lose its offers.
type ClientError struct {
	Code    string // snake_case, stable: clients switch on it
	Message string // a human sentence
}

func (e *ClientError) Error() string { return e.Code + ": " + e.Message }

// Error codes the hub itself sends. Handlers may use them too
// (CodeUnknownType for a type they do not know) and add their own.
const (
	CodeInvalidJSON        = "invalid_json"
	CodeInvalidMessage     = "invalid_message"
	CodeUnsupportedVersion = "unsupported_version"
	CodeUnknownType        = "unknown_type"
	CodeRateLimited        = "rate_limited"
	CodeInvalidAck         = "invalid_ack"
	CodeInternal           = "internal"
)

// UnknownType is the error a Handler returns for a message type it does not
// know; the hub cannot say this itself because it does not know the types.
func UnknownType(typ string) *ClientError {
	return &ClientError{Code: CodeUnknownType, Message: "unknown message type " + typ}
}

// decodeErrorCode maps a DecodeEnvelope error to the client error code.
func decodeErrorCode(err error) string {
	switch {
	case errors.Is(err, ErrNotJSON):
		return CodeInvalidJSON
	case errors.Is(err, ErrVersion):
		return CodeUnsupportedVersion
	default:
		return CodeInvalidMessage
	}
}

// Close codes the hub sends beyond the standard ones. 4000-4999 is the range
// RFC 6455 leaves to applications.
const (
	// CloseSlowClient: the client could not keep up with its send queue. It
	// should reconnect with last_id; its inbox still has everything durable.
	CloseSlowClient = 4000
	// CloseTooManySockets: the user opened more sockets than allowed
	// (HubOptions.MaxSockets) and this, their oldest, made room. The
	// client should not reconnect on its own: another tab or device of the
	// same person holds the newer socket.
	CloseTooManySockets = 4001
)
