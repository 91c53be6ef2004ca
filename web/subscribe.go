package web

import (
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"golang.org/x/time/rate"

	"github.com/liandong/liandong/geo"
	"github.com/liandong/liandong/mobilize"
	"github.com/liandong/liandong/mobilize/notify"
	"github.com/liandong/liandong/realtime"
	"github.com/liandong/liandong/realtime/wire"
)

// A staff socket's subscribe: the console names its map box and receives
// the console events that happen in it and that its role may see
// (notify.ViewportChannels). The box's area and how often a socket may
// subscribe are bounded, because turning a box into channels costs CPU in
// proportion to the cells it covers.

// ConsoleLimits bound what one console socket may subscribe to. A zero
// field takes its default.
type ConsoleLimits struct {
	// MaxBoxKm2 is the largest box a console may subscribe to, in km²;
	// default 150,000: the Yantai municipality (about 43,000 km² as a
	// box) with the quarter the console pads each side with.
	MaxBoxKm2 float64
	// SubscribesPerMinute is how many subscribe messages one socket may
	// send a minute, the minute's budget available at once; default 60.
	SubscribesPerMinute int
}

// Defaults of ConsoleLimits.
const (
	DefaultMaxBoxKm2           = 150_000
	DefaultSubscribesPerMinute = 60
)

func (l *ConsoleLimits) defaults() {
	if l.MaxBoxKm2 <= 0 {
		l.MaxBoxKm2 = DefaultMaxBoxKm2
	}
	if l.SubscribesPerMinute <= 0 {
		l.SubscribesPerMinute = DefaultSubscribesPerMinute
	}
}

// Subscribe error codes, besides invalid_message.
const (
	codeBBoxTooLarge = "bbox_too_large"
)

// linkageReader gives a coordinator's home area.
type linkageReader interface {
	Linkage(ctx context.Context) (*mobilize.Linkage, error)
}

// viewports serves subscribe messages for every staff socket.
type viewports struct {
	link   linkageReader
	limits ConsoleLimits
	now    func() time.Time
	count  *prometheus.CounterVec

	mu      sync.Mutex
	budgets map[*realtime.Session]*rate.Limiter // until the socket closes
}

func newViewports(link linkageReader, d SocketDeps) *viewports {
	limits := d.Console
	limits.defaults()
	v := &viewports{link: link, limits: limits, now: d.Now, budgets: make(map[*realtime.Session]*rate.Limiter),
		count: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: "liandong", Name: "console_subscribes_total",
			Help: "Subscribe messages of console sockets by outcome: subscribed, bbox_too_large, rate_limited, invalid.",
		}, []string{"outcome"})}
	if d.Registerer != nil {
		d.Registerer.MustRegister(v.count)
	}
	return v
}

// allow takes one subscribe from s's budget.
func (v *viewports) allow(s *realtime.Session) bool {
	v.mu.Lock()
	lim, ok := v.budgets[s]
	if !ok {
		n := v.limits.SubscribesPerMinute
		lim = rate.NewLimiter(rate.Limit(float64(n)/60), n)
		v.budgets[s] = lim
		context.AfterFunc(s.Context(), func() {
			v.mu.Lock()
			delete(v.budgets, s)
			v.mu.Unlock()
		})
	}
	v.mu.Unlock()
	return lim.AllowN(v.now(), 1)
}

// subscribe replaces the socket's channels with those of the box in data
// for the viewer id is. A refused subscribe changes nothing: the socket
// keeps what it had.
func (v *viewports) subscribe(ctx context.Context, s *realtime.Session, id Identity, data []byte) error {
	if !v.allow(s) {
		v.count.WithLabelValues("rate_limited").Inc()
		return clientErr(realtime.CodeRateLimited, "too many subscribe messages: at most %d a minute", v.limits.SubscribesPerMinute)
	}
	var m wire.Subscribe
	if err := decodeData(data, &m); err != nil {
		v.count.WithLabelValues("invalid").Inc()
		return err
	}
	if len(m.BBox) != 4 {
		v.count.WithLabelValues("invalid").Inc()
		return clientErr("invalid_message", "bbox must be [minLng,minLat,maxLng,maxLat]")
	}
	box, err := geo.NewBBox(m.BBox[0], m.BBox[1], m.BBox[2], m.BBox[3])
	if err != nil {
		v.count.WithLabelValues("invalid").Inc()
		return clientErr("invalid_message", "bbox: %v", err)
	}
	if area := notify.BoxAreaKm2(box); area > v.limits.MaxBoxKm2 {
		v.count.WithLabelValues(codeBBoxTooLarge).Inc()
		return clientErr(codeBBoxTooLarge, "bbox covers %s km², more than the %s km² a console may subscribe to; zoom in",
			formatKm2(area), formatKm2(v.limits.MaxBoxKm2))
	}
	viewer, err := v.viewer(ctx, id)
	if err != nil {
		return err
	}
	chs := notify.ViewportChannels(box, viewer)
	s.SetChannels(chs)
	v.count.WithLabelValues("subscribed").Inc()
	return send(s, wire.Subscribed{BBox: m.BBox, Channels: len(chs)})
}

// viewer is whose console id opens: operators and admins see everything,
// a coordinator what its HTTP reads show (needScope), anyone else nothing.
func (v *viewports) viewer(ctx context.Context, id Identity) (notify.Viewer, error) {
	switch id.Role {
	case RoleAdmin, RoleOperator:
		return notify.Viewer{All: true}, nil
	case RoleCoordinator:
		link, err := v.link.Linkage(ctx)
		if err != nil {
			return notify.Viewer{}, err
		}
		return notify.Viewer{Org: id.OrgID, Home: link.Orgs[id.OrgID].HomeArea}, nil
	}
	return notify.Viewer{}, nil
}

func formatKm2(a float64) string { return fmt.Sprintf("%.0f", a) }
