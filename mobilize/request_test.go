package mobilize

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/liandong/liandong/geo"
)

// memRequests is a RequestStore in memory.
type memRequests struct {
	mu     sync.Mutex
	counts map[string]int
	links  map[string]NeedID
	steps  map[NeedID][]RequestStep
}

func newMemRequests() *memRequests {
	return &memRequests{counts: map[string]int{}, links: map[string]NeedID{}, steps: map[NeedID][]RequestStep{}}
}

func (m *memRequests) CountRequest(_ context.Context, key string) (int, time.Duration, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.counts[key]++
	return m.counts[key], 30 * time.Minute, nil
}

func (m *memRequests) SaveRequestLink(_ context.Context, hash string, id NeedID, _ time.Duration) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.links[hash] = id
	return nil
}

func (m *memRequests) RequestLink(_ context.Context, hash string) (NeedID, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	id, ok := m.links[hash]
	if !ok {
		return "", ErrNotFound
	}
	return id, nil
}

func (m *memRequests) AddRequestStep(_ context.Context, id NeedID, s RequestStep, _ time.Duration) ([]RequestStep, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	for _, have := range m.steps[id] {
		if have.Status == s.Status {
			return append([]RequestStep(nil), m.steps[id]...), nil
		}
	}
	m.steps[id] = append(m.steps[id], s)
	return append([]RequestStep(nil), m.steps[id]...), nil
}

// failingIntake refuses every need, as a store that went away would.
type failingIntake struct{}

func (failingIntake) CreateIntake(context.Context, Need, bool) (NeedState, error) {
	return NeedState{}, ErrUnavailable
}
func (failingIntake) Need(context.Context, NeedID) (NeedState, error) {
	return NeedState{}, ErrNotFound
}

func TestResidentStatusWords(t *testing.T) {
	for s, want := range map[NeedStatus]string{
		NeedPendingReview: "submitted", NeedOpen: "accepted", NeedStaffing: "accepted", NeedStaffed: "staffed",
		NeedCompleted: "completed", NeedRejected: "rejected", NeedMerged: "merged", NeedCancelled: "closed", NeedUnstaffed: "closed",
	} {
		if got := ResidentStatus(s); got != want {
			t.Errorf("%s: %s, want %s", s, got, want)
		}
	}
}

func TestResidentRequestValidate(t *testing.T) {
	pt, _ := geo.NewPoint(37.5, 121.4)
	good := ResidentRequest{Category: "shopping", Description: "买菜", Point: pt}
	if err := good.Validate(); err != nil {
		t.Fatal(err)
	}
	for name, r := range map[string]ResidentRequest{
		"staff category": {Category: "cardiac_arrest", Description: "x", Point: pt},
		"blank":          {Category: "shopping", Description: " \n", Point: pt},
		"too long":       {Category: "shopping", Description: strings.Repeat("水", MaxRequestDescription+1), Point: pt},
		"long name":      {Category: "shopping", Description: "x", Point: pt, Name: strings.Repeat("李", MaxRequestName+1)},
	} {
		if err := r.Validate(); !errors.Is(err, ErrInvalid) {
			t.Errorf("%s: %v", name, err)
		}
	}
	// 1,000 Chinese characters are 3,000 bytes, and allowed.
	good.Description = strings.Repeat("水", MaxRequestDescription)
	if err := good.Validate(); err != nil {
		t.Errorf("1000 characters: %v", err)
	}
}

// TestFileStoresTheLinkBeforeTheNeed: when the need cannot be stored the
// request fails, and the link saved first names no need: a status read is
// "not found", never a need nobody can follow.
func TestFileStoresTheLinkBeforeTheNeed(t *testing.T) {
	store := newMemRequests()
	d := NewRequests(store, failingIntake{}, RequestLimits{}, nil)
	pt, _ := geo.NewPoint(37.5, 121.4)
	_, _, err := d.File(context.Background(), ResidentRequest{Phone: "+8613800138000", Category: "shopping", Description: "买菜", Point: pt})
	if !errors.Is(err, ErrUnavailable) || len(store.links) != 1 {
		t.Fatalf("err %v, %d links", err, len(store.links))
	}
	for hash := range store.links {
		if len(hash) != 64 {
			t.Fatalf("link kept as %q, not a hash", hash)
		}
	}
	// The limit counted it: a phone's fourth try within the hour is refused.
	for range 2 {
		d.File(context.Background(), ResidentRequest{Phone: "+8613800138000", Category: "shopping", Description: "买菜", Point: pt})
	}
	_, _, err = d.File(context.Background(), ResidentRequest{Phone: "+8613800138000", Category: "shopping", Description: "买菜", Point: pt})
	var lim *RequestLimitError
	if !errors.As(err, &lim) || lim.Which != "phone" || lim.RetryAfter != 30*time.Minute || !errors.Is(err, ErrTooManyRequests) {
		t.Fatalf("fourth: %v", err)
	}
}
