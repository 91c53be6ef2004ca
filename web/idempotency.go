package web

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/http"
	"time"

	"go.uber.org/zap"

	"github.com/liandong/liandong/mobilize"
)

// Idempotency-Key handling (creating needs and registering responders): a
// retry with the same key from the same caller gets the first answer,
// status and body, for IdempotencyTTL, instead of a second need. The key
// is reserved in the store (written only if absent) before the work
// starts, so two copies of one request racing through two processes still
// do the work once: the second waits for the first answer. Only successful
// answers are kept; a refusal changes nothing, and the key can be used
// again.

const (
	maxIdempotencyKeyLen = 255
	// idemPendingTTL bounds how long a reservation survives a process that
	// died mid-request.
	idemPendingTTL = 5 * time.Minute
	// defaultIdemWait is how long a duplicate waits for the first copy's
	// answer before it is told to retry (409 request_in_progress).
	defaultIdemWait = 10 * time.Second
	// idemWorkTimeout bounds the work of a reserved request, which runs on
	// even if its client hangs up: half-done work under a reserved key
	// would otherwise wait for the pending TTL.
	idemWorkTimeout = 2 * time.Minute
)

// idemRecord is what the store holds under a key: a reservation (Status 0)
// or the first answer.
type idemRecord struct {
	Owner       string          `json:"owner,omitempty"` // the reserving attempt
	Fingerprint string          `json:"fp"`              // of method, route and body
	Status      int             `json:"status,omitempty"`
	Body        json.RawMessage `json:"body,omitempty"`
}

// IdempotencyStore keeps records by the hash of (caller, route, key).
type IdempotencyStore interface {
	// ReserveIdempotency writes pending unless a record is there, and
	// says whether it did.
	ReserveIdempotency(ctx context.Context, h string, pending []byte, ttl time.Duration) (bool, error)
	Idempotency(ctx context.Context, h string) (rec []byte, found bool, err error)
	StoreIdempotency(ctx context.Context, h string, rec []byte, ttl time.Duration) error
	// ReleaseIdempotency deletes the record only while it still holds
	// pending, so that a slow attempt whose reservation expired cannot
	// delete another's.
	ReleaseIdempotency(ctx context.Context, h string, pending []byte) (bool, error)
}

// validIdempotencyKey accepts 1..255 printable ASCII characters.
func validIdempotencyKey(k string) bool {
	if len(k) == 0 || len(k) > maxIdempotencyKeyLen {
		return false
	}
	for i := 0; i < len(k); i++ {
		if k[i] < 0x21 || k[i] > 0x7e {
			return false
		}
	}
	return true
}

func sum(parts ...string) string {
	h := sha256.New()
	for _, p := range parts {
		h.Write([]byte(p))
		h.Write([]byte{0})
	}
	return hex.EncodeToString(h.Sum(nil))
}

// idempotent runs rt's handler at most once per (caller, route, key).
func (a *API) idempotent(ctx context.Context, c *call, rt route, key string) error {
	if !validIdempotencyKey(key) {
		return &Error{Kind: mobilize.ErrInvalid, Code: "invalid_idempotency_key", Message: "Idempotency-Key must be 1..255 printable ASCII characters"}
	}
	h := sum(string(c.id.Role), c.id.Subject, rt.method+" "+rt.path, key)
	fp := sum(rt.method, c.r.URL.Path, string(c.body))
	owner := newTokenID()
	pending, _ := json.Marshal(idemRecord{Owner: owner, Fingerprint: fp})

	deadline := time.Now().Add(a.idemWait)
	for delay := 10 * time.Millisecond; ; delay = min(2*delay, 200*time.Millisecond) {
		reserved, err := a.idem.ReserveIdempotency(ctx, h, pending, idemPendingTTL)
		if err != nil {
			return err
		}
		if reserved {
			return a.runReserved(ctx, c, rt, h, pending, fp)
		}
		raw, found, err := a.idem.Idempotency(ctx, h)
		if err != nil {
			return err
		}
		if !found {
			continue // released between our reservation and read: try again at once
		}
		var rec idemRecord
		if err := json.Unmarshal(raw, &rec); err != nil {
			return fmt.Errorf("idempotency read: corrupt record: %w", err)
		}
		if rec.Fingerprint != fp {
			return &Error{Kind: errKeyReused, Message: "this Idempotency-Key was used for a different request"}
		}
		if rec.Status != 0 {
			if a.metrics != nil {
				a.metrics.replays.Inc()
			}
			c.w.Header().Set("Idempotent-Replayed", "true")
			// Stored compact; every answer of the API ends in a newline.
			writeRaw(c.w, rec.Status, append(rec.Body, '\n'))
			return nil
		}
		if time.Now().After(deadline) {
			return &Error{Kind: mobilize.ErrConflict, Code: "request_in_progress", RetryAfter: time.Second,
				Message: "a request with this Idempotency-Key is still in progress; retry later"}
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(delay):
		}
	}
}

// runReserved does the work under a reservation and keeps a successful
// answer; any other answer releases the key.
func (a *API) runReserved(ctx context.Context, c *call, rt route, h string, pending []byte, fp string) error {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), idemWorkTimeout)
	defer cancel()
	rec := &recorder{header: c.w.Header()}
	inner := *c
	inner.w = rec
	err := rt.handle(ctx, &inner)
	if err != nil || rec.status < 200 || rec.status > 299 {
		if _, rerr := a.idem.ReleaseIdempotency(ctx, h, pending); rerr != nil {
			a.log.Warn("idempotency key not released", zap.Error(rerr))
		}
		if err != nil {
			return err
		}
	} else {
		done, _ := json.Marshal(idemRecord{Fingerprint: fp, Status: rec.status, Body: bytes.TrimSpace(rec.body.Bytes())})
		if serr := a.idem.StoreIdempotency(ctx, h, done, a.idemTTL); serr != nil {
			// The work is done and the client gets its answer; a retry
			// would find the reservation and, after it expires, redo it.
			a.log.Error("idempotency answer not stored", zap.Error(serr))
		}
	}
	writeRaw(c.w, rec.status, rec.body.Bytes())
	return nil
}

// recorder keeps a handler's answer so that it can be stored before it is
// sent. Headers go straight to the real writer's map.
type recorder struct {
	header http.Header
	status int
	body   bytes.Buffer
}

func (r *recorder) Header() http.Header { return r.header }
func (r *recorder) WriteHeader(status int) {
	if r.status == 0 {
		r.status = status
	}
}
func (r *recorder) Write(b []byte) (int, error) {
	if r.status == 0 {
		r.status = http.StatusOK
	}
	return r.body.Write(b)
}

func writeRaw(w http.ResponseWriter, status int, body []byte) {
	if len(body) > 0 {
		w.Header().Set("Content-Type", "application/json")
	}
	w.WriteHeader(status)
	w.Write(body)
}
