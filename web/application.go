package web

import (
	"context"
	"time"

	"github.com/paulmach/orb"

	"github.com/liandong/liandong/mobilize"
)

// Application is what the HTTP API and the websocket endpoint need of the
// application layer. *mobilize.Service is the one implementation; web
// knows nothing of where state is kept.
type Application interface {
	mobilize.Reads
	responderApp

	Register(ctx context.Context, r mobilize.Responder) (mobilize.Responder, mobilize.Presence, error)
	RegisterMany(ctx context.Context, rs []mobilize.Responder) error

	CreateNeed(ctx context.Context, n mobilize.Need) (mobilize.NeedState, error)
	Cancel(ctx context.Context, id mobilize.NeedID) (mobilize.NeedState, error)
	Assign(ctx context.Context, id mobilize.NeedID, rid mobilize.ResponderID, role mobilize.Role) (mobilize.NeedState, error)
	Escalate(ctx context.Context, id mobilize.NeedID) (mobilize.NeedState, mobilize.EscalationState, error)
	EscalationOf(ctx context.Context, n mobilize.NeedState) (st mobilize.EscalationState, goal time.Duration, ok bool, err error)
	AlertArea(ctx context.Context, poly orb.Polygon, roles []mobilize.Role, message string) (id string, recipients int, err error)

	mobilize.AdminStore
}
