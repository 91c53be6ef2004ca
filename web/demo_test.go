package web

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"

	"github.com/liandong/liandong/mobilize"
)

// fakeDemo is a demo that only counts: the routes' rules are the test.
type fakeDemo struct {
	mu      sync.Mutex
	running bool
	records int
}

func (f *fakeDemo) Start(context.Context) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.running {
		return fmt.Errorf("running: %w", mobilize.ErrConflict)
	}
	f.running, f.records = true, 42
	return nil
}

func (f *fakeDemo) Remove(context.Context) (int, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	n := f.records
	f.running, f.records = false, 0
	return n, nil
}

func (f *fakeDemo) State(context.Context) (DemoState, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return DemoState{Running: f.running, Responders: f.records}, nil
}

func TestDemoRoutes(t *testing.T) {
	e := newEmbeddedEnv(t, func(o *APIOptions) { o.Demo = &fakeDemo{} })
	admin := e.token("admin", RoleAdmin, "")
	operator := e.token("op", RoleOperator, "")

	e.do("POST", "/api/v1/demo", operator, nil).Want(t, 403)
	e.do("DELETE", "/api/v1/demo", operator, nil).Want(t, 403)

	var st DemoState
	e.do("POST", "/api/v1/demo", admin, nil).Want(t, 202).Decode(t, &st)
	if !st.Running || st.Responders != 42 {
		t.Fatalf("start answered %+v", st)
	}
	if code := e.do("POST", "/api/v1/demo", admin, nil).Want(t, 409).ErrorCode(t); code != "demo_running" {
		t.Fatalf("second start: code %q, want demo_running", code)
	}
	e.do("POST", "/api/v1/demo", admin, map[string]any{"size": 9}).Want(t, 400)

	var removed demoRemovedJSON
	e.do("DELETE", "/api/v1/demo", admin, nil).Want(t, 200).Decode(t, &removed)
	if removed.Removed != 42 {
		t.Fatalf("removed %d, want 42", removed.Removed)
	}
	e.do("DELETE", "/api/v1/demo", admin, nil).Want(t, 200).Decode(t, &removed)
	if removed.Removed != 0 {
		t.Fatalf("second DELETE removed %d, want 0", removed.Removed)
	}
	e.do("GET", "/api/v1/demo", admin, nil).Want(t, 200).Decode(t, &st)
	if st.Running {
		t.Fatal("still running after DELETE")
	}

	// Starting and removing are audited.
	var log auditList
	e.do("GET", "/api/v1/audit", admin, nil).Want(t, 200).Decode(t, &log)
	var actions []string
	for _, en := range log.Entries {
		actions = append(actions, en.Action)
	}
	if got := strings.Join(actions, ","); !strings.Contains(got, "demo.start") || !strings.Contains(got, "demo.remove") {
		t.Fatalf("audit actions %s, want demo.start and demo.remove", got)
	}
}
