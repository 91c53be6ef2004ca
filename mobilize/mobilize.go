// Package mobilize is the domain of Liandong: responders, needs, teams and
// offers, the matching of one to the other, and the errors they share.
package mobilize

import "errors"

// Domain errors. Adapters wrap them with the operation
// (fmt.Errorf("locate %s: %w", id, err)); web maps them to HTTP status in
// one place.
var (
	ErrNotFound          = errors.New("not found")
	ErrInvalid           = errors.New("invalid")
	ErrConflict          = errors.New("conflict")
	ErrInvalidTransition = errors.New("invalid transition")
	// ErrUnavailable is the store not answering (down, restarting, still
	// loading its data): nothing was decided, and the same request may
	// succeed in a few seconds.
	ErrUnavailable = errors.New("store unavailable")
)
