package loadtest

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"net/url"
	"sync/atomic"
	"testing"
)

// TestClientWaitsWhenToldToSlowDown: a server's 429 is a request to wait,
// not a failure; a 503 is retried only where repeating is safe.
func TestClientWaitsWhenToldToSlowDown(t *testing.T) {
	var calls atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if calls.Add(1) <= 2 {
			w.Header().Set("Retry-After", "0")
			writeJSON(w, http.StatusTooManyRequests, map[string]any{"error": map[string]string{"code": "rate_limited", "message": "slow down"}})
			return
		}
		switch r.URL.Path {
		case "/api/v1/needs":
			writeJSON(w, http.StatusCreated, map[string]string{"id": "n1", "status": "open"})
		default:
			writeJSON(w, http.StatusOK, map[string]any{"id": "n1", "status": "open"})
		}
	}))
	defer srv.Close()
	u, _ := url.Parse(srv.URL)
	c := NewClient(u)
	ctx := context.Background()

	if n, err := c.Need(ctx, "n1"); err != nil || n.ID != "n1" || calls.Load() != 3 {
		t.Fatalf("GET after two 429s: %v, %d calls", err, calls.Load())
	}
	calls.Store(0)
	if id, err := c.CreateNeed(ctx, NeedSpec{Category: "x"}, "key-1"); err != nil || id != "n1" {
		t.Fatalf("POST with an idempotency key after two 429s: %v", err)
	}
	unavailable := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		calls.Add(1)
		writeJSON(w, http.StatusServiceUnavailable, map[string]any{"error": map[string]string{"code": "unavailable", "message": "busy"}})
	}))
	defer unavailable.Close()
	u2, _ := url.Parse(unavailable.URL)
	calls.Store(0)
	_, err := NewClient(u2).RegisterBatch(ctx, []registration{{Name: "a", Role: "volunteer"}})
	var apiErr *APIError
	if !errors.As(err, &apiErr) || apiErr.Status != http.StatusServiceUnavailable || calls.Load() != 1 {
		t.Fatalf("a registration after a 503 must not be repeated blindly: %v after %d calls", err, calls.Load())
	}
}
