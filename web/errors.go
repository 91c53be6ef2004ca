package web

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"strconv"
	"time"

	"go.uber.org/zap"

	"github.com/liandong/liandong/mobilize"
)

// Errors of the HTTP edge that the domain does not have. Together with the
// domain's sentinels they are the keys of errorStatus.
var (
	// ErrUnauthenticated is a missing, malformed, expired, revoked or
	// foreign token. Verify wraps it, so that the websocket layer can tell
	// a bad token (close the socket) from a Redis failure (retry).
	ErrUnauthenticated = errors.New("unauthenticated")
	// ErrForbidden is a valid token without the right to the request.
	ErrForbidden = errors.New("forbidden")

	errTooLarge         = errors.New("body too large")
	errRateLimited      = errors.New("rate limited")
	errMethodNotAllowed = errors.New("method not allowed")
	errKeyReused        = errors.New("idempotency key reused")
	errGone             = errors.New("gone") // e.g. an expired feedback link
)

// errorStatus is the one table from errors to HTTP status and default
// code (wtf's ErrorStatusCode). Anything not in it is a 500 whose message
// the client never sees.
var errorStatus = []struct {
	err    error
	status int
	code   string
}{
	{mobilize.ErrInvalid, http.StatusBadRequest, "invalid_request"},
	{mobilize.ErrUnavailable, http.StatusServiceUnavailable, "unavailable"},
	{mobilize.ErrNotFound, http.StatusNotFound, "not_found"},
	{mobilize.ErrConflict, http.StatusConflict, "conflict"},
	{mobilize.ErrInvalidTransition, http.StatusConflict, "invalid_transition"},
	{mobilize.ErrUnprocessable, http.StatusUnprocessableEntity, "unprocessable"},
	{ErrUnauthenticated, http.StatusUnauthorized, "unauthenticated"},
	{ErrForbidden, http.StatusForbidden, "forbidden"},
	{errTooLarge, http.StatusRequestEntityTooLarge, "body_too_large"},
	{errRateLimited, http.StatusTooManyRequests, "rate_limited"},
	{errMethodNotAllowed, http.StatusMethodNotAllowed, "method_not_allowed"},
	{errKeyReused, http.StatusUnprocessableEntity, "idempotency_key_reused"},
	{errGone, http.StatusGone, "gone"},
	{mobilize.ErrTooFar, http.StatusUnprocessableEntity, "too_far"},
	{mobilize.ErrTooManyMessages, http.StatusTooManyRequests, "rate_limited"},
	{mobilize.ErrTooManyRecipients, http.StatusUnprocessableEntity, "too_many_recipients"},
}

// ErrorStatusCode returns the HTTP status and error code for err: its
// kind's row of errorStatus, the code of an *Error if it names one, and
// 500 "internal" for anything else.
func ErrorStatusCode(err error) (int, string) {
	for _, row := range errorStatus {
		if errors.Is(err, row.err) {
			code := row.code
			var e *Error
			if errors.As(err, &e) && e.Code != "" {
				code = e.Code
			}
			return row.status, code
		}
	}
	return http.StatusInternalServerError, "internal"
}

// Error is a refusal worded for the client. Kind, one of the sentinels of
// errorStatus, decides the status, so that no handler picks a number of
// its own; Code refines the table's code where a client needs to tell
// cases apart (invalid_json from invalid_request).
type Error struct {
	Kind       error
	Code       string
	Message    string
	RetryAfter time.Duration // sent as Retry-After when set
	// State is what became of the thing refused, for a conflict whose
	// client must tell "done already" from "gone" (an offer accepted twice).
	State string
}

func (e *Error) Error() string { return e.Message }

// Unwrap lets errors.Is find the kind.
func (e *Error) Unwrap() error { return e.Kind }

// invalid is a 400 invalid_request with a message for the client.
func invalid(msg string) *Error {
	return &Error{Kind: mobilize.ErrInvalid, Message: msg}
}

// badJSON is a 400 invalid_json: the body is not the JSON the route takes.
func badJSON(msg string) *Error {
	return &Error{Kind: mobilize.ErrInvalid, Code: "invalid_json", Message: msg}
}

// notFound is a 404 that says nothing about whether the thing exists for
// someone else (another organisation's need answers the same).
func notFound(what string) *Error {
	return &Error{Kind: mobilize.ErrNotFound, Message: what + " not found"}
}

func forbidden(msg string) *Error { return &Error{Kind: ErrForbidden, Message: msg} }

// errorBody is the uniform refusal, the Error schema of the OpenAPI
// document.
type errorBody struct {
	Error errorDetail `json:"error"`
	State string      `json:"state,omitempty" doc:"with a 409 conflict on an offer answered already: what became of it (accepted, declined, expired, withdrawn)"`
}

type errorDetail struct {
	Code    string `json:"code"`
	Message string `json:"message"`
}

// storeRetryAfter is what a 503 asks the client to wait: about as long as
// a restarted Redis takes to load a city's data.
const storeRetryAfter = 2 * time.Second

// writeError answers with the uniform error body. Server errors are logged
// with what went wrong and answered with a generic sentence: internal
// messages may name keys, addresses or ids a client has no business with.
func (a *API) writeError(w http.ResponseWriter, r *http.Request, err error) {
	status, code := ErrorStatusCode(err)
	msg := err.Error()
	var e *Error
	retryAfter, state := time.Duration(0), ""
	if errors.As(err, &e) {
		retryAfter, state = e.RetryAfter, e.State
	}
	switch {
	case status == http.StatusServiceUnavailable:
		// Redis is down or restarting: nothing was done, and the client
		// should come back shortly. One warning per request would flood
		// the log during an outage that /readyz already reports.
		a.log.Debug("store unavailable", zap.String("route", r.Pattern), zap.Error(err))
		msg = "the data store is not answering; nothing was changed, retry shortly"
		retryAfter = max(retryAfter, storeRetryAfter)
	case status >= 500:
		level := zap.ErrorLevel
		if errors.Is(err, context.Canceled) && r.Context().Err() != nil {
			level = zap.DebugLevel // the client went away; nobody reads the answer
		}
		a.log.Log(level, "request failed", zap.String("route", r.Pattern), zap.String("method", r.Method), zap.Error(err))
		msg = "internal error; the request may be retried"
	}
	if retryAfter > 0 {
		w.Header().Set("Retry-After", strconv.Itoa(int((retryAfter+time.Second-1)/time.Second)))
	}
	if status == http.StatusUnauthorized {
		w.Header().Set("WWW-Authenticate", `Bearer realm="liandong"`)
	}
	if a.metrics != nil {
		a.metrics.refusals.WithLabelValues(code).Inc()
	}
	writeJSON(w, status, errorBody{Error: errorDetail{Code: code, Message: msg}, State: state})
}

// writeJSON writes v as the whole answer. Encoding errors cannot happen for
// the response types of this package (no channels, funcs or NaN), so a
// failure here is a broken connection and there is no one left to tell.
func writeJSON(w http.ResponseWriter, status int, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		status = http.StatusInternalServerError
		b = []byte(`{"error":{"code":"internal","message":"internal error; the request may be retried"}}`)
	}
	w.Header().Set("Content-Type", "application/json")
	// A browser must not guess another type for an answer that echoes
	// what a client sent (names, descriptions).
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.Header().Set("Content-Length", strconv.Itoa(len(b)+1))
	w.WriteHeader(status)
	w.Write(append(b, '\n'))
}
