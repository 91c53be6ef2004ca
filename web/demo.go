package web

import (
	"context"
	"errors"
	"net/http"

	"github.com/liandong/liandong/mobilize"
)

// DemoControl starts and removes the demonstration (internal/demo): an
// illustrative city with simulated responders and needs, every record
// marked "demo-". The server wires it; nil: the routes answer 404.
type DemoControl interface {
	// Start answers an error wrapping mobilize.ErrConflict while it runs.
	Start(ctx context.Context) error
	// Remove stops it and deletes every demo record; it answers how
	// many it removed (0 the second time).
	Remove(ctx context.Context) (int, error)
	State(ctx context.Context) (DemoState, error)
}

// DemoState is GET /api/v1/demo's answer.
type DemoState struct {
	Running       bool   `json:"running" doc:"the simulation runs in the process that answered"`
	Since         string `json:"since,omitempty" doc:"when it started (RFC 3339), while running"`
	Needs         int    `json:"needs" doc:"demo needs filed and not yet removed"`
	Responders    int    `json:"responders" doc:"simulated responders"`
	Organisations int    `json:"organisations" doc:"demo organisations"`
	Depots        int    `json:"depots" doc:"demo depots"`
}

// demoRemovedJSON is DELETE /api/v1/demo's answer.
type demoRemovedJSON struct {
	Removed int `json:"removed" doc:"keys, fields and members deleted; 0 when there was nothing left"`
}

// demoGroup serves the demo's three routes, admins only.
type demoGroup struct {
	demo  DemoControl
	audit *auditor
}

func (g *demoGroup) control() (DemoControl, error) {
	if g.demo == nil {
		return nil, notFound("demo")
	}
	return g.demo, nil
}

// handleStart is POST /api/v1/demo: 202 with the state once the city is
// built and the simulated people are on the map; 409 while it runs.
func (g *demoGroup) handleStart(ctx context.Context, c *call) error {
	d, err := g.control()
	if err != nil {
		return err
	}
	if len(c.body) > 0 {
		if err := decodeStrict(c.body, &emptyRequest{}); err != nil {
			return err
		}
	}
	if err := d.Start(ctx); err != nil {
		if errors.Is(err, mobilize.ErrConflict) {
			return &Error{Kind: mobilize.ErrConflict, Code: "demo_running", Message: "the demo is already running"}
		}
		return err
	}
	g.audit.record(ctx, c.id, "demo.start", "demo", 0)
	st, err := d.State(ctx)
	if err != nil {
		return err
	}
	c.json(http.StatusAccepted, st)
	return nil
}

// handleRemove is DELETE /api/v1/demo: stop and remove every demo
// record; idempotent.
func (g *demoGroup) handleRemove(ctx context.Context, c *call) error {
	d, err := g.control()
	if err != nil {
		return err
	}
	n, err := d.Remove(ctx)
	if err != nil {
		return err
	}
	g.audit.record(ctx, c.id, "demo.remove", "demo", n)
	c.json(http.StatusOK, demoRemovedJSON{Removed: n})
	return nil
}

// handleState is GET /api/v1/demo.
func (g *demoGroup) handleState(ctx context.Context, c *call) error {
	d, err := g.control()
	if err != nil {
		return err
	}
	st, err := d.State(ctx)
	if err != nil {
		return err
	}
	c.json(http.StatusOK, st)
	return nil
}
