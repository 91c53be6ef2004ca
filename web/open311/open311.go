// Package open311 is the door through which partners' systems (a 12345
// hotline's work orders, a community committee's tool) file needs: the
// GeoReport v2 API of Open311 (https://wiki.open311.org/GeoReport_v2)
// under /open311/v2/, in XML and JSON as that specification defines them.
//
// Each service of the specification is one kind of need: its code maps
// to a category, a team and a name in Chinese and English (Config). A
// request becomes a need in pending_review, or straight into matching for
// a trusted partner; a request with an address and no coordinates is kept
// for a reviewer to place on the map. Every partner has an API key
// (web/partners.go); requests without a good one are refused with 403 in
// the specification's error format. docs/OPEN311.md says more.
package open311

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"time"

	"go.uber.org/zap"

	"github.com/liandong/liandong/mobilize"
)

// Service is one service of the GeoReport services list: a kind of need.
type Service struct {
	Code        string              // service_code, e.g. "flood-rescue"
	Category    string              // the need's category
	NameZh      string              // service_name, Chinese
	NameEn      string              // service_name, English
	Description string              // what it is for, shown to the partner
	Group       string              // the specification's group, e.g. "typhoon"
	Keywords    []string            // the specification's keywords
	Urgency     int                 // the need's urgency; default 3
	Team        []mobilize.TeamSlot // who is sent
	Attributes  []Attribute         // asked for when filing; none: metadata false
}

// Attribute is one question of a service definition.
type Attribute struct {
	Code        string
	Datatype    string // string, number, datetime, text, singlevaluelist, multivaluelist
	Required    bool
	Description string
	Order       int
	Values      []AttributeValue // for the list datatypes
}

// AttributeValue is one choice of a list attribute.
type AttributeValue struct{ Key, Name string }

// Partner is who holds an API key.
type Partner struct {
	ID      string
	Name    string
	Trusted bool // its requests skip review
}

// Keys checks API keys (web.Partners).
type Keys interface {
	Verify(ctx context.Context, key string) (Partner, bool, error)
}

// App is what the door needs of the application (*mobilize.Service).
type App interface {
	CreateIntake(ctx context.Context, n mobilize.Need, trusted bool) (mobilize.NeedState, error)
	Need(ctx context.Context, id mobilize.NeedID) (mobilize.NeedState, error)
	Needs(ctx context.Context, ids []mobilize.NeedID) ([]mobilize.NeedState, error)
	NeedSummaries(ctx context.Context, activeOnly bool) ([]mobilize.NeedSummary, error)
}

// Options build the door.
type Options struct {
	Services []Service
	Keys     Keys
	App      App
	Logger   *zap.Logger
	Now      func() time.Time
	// BaseURL is this server's address as partners reach it, for the
	// discovery document; empty: the request's own host.
	BaseURL string
	// Contact and KeyService are the discovery document's: who to ask,
	// and how a partner obtains a key.
	Contact, KeyService string
	// RequestsPerMinute bounds the calls of one key (and of one address
	// without a key); default 60.
	RequestsPerMinute int
	// Notice is the service_notice of every request; default a bilingual
	// sentence saying it will be reviewed.
	Notice string
}

// Handler serves /open311/v2/.
type Handler struct {
	opts     Options
	services map[string]Service
	mux      *http.ServeMux
	limiter  *windowLimiter
}

// Prefix is where the door is mounted.
const Prefix = "/open311/v2/"

// New checks the services and builds the handler.
func New(o Options) (*Handler, error) {
	if o.Keys == nil || o.App == nil {
		return nil, fmt.Errorf("open311: Keys and App are required")
	}
	if o.Logger == nil {
		o.Logger = zap.NewNop()
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.RequestsPerMinute <= 0 {
		o.RequestsPerMinute = 60
	}
	if o.Notice == "" {
		o.Notice = "需求已收到，工作人员审核后安排人员。 / Received: staff review it before sending people."
	}
	h := &Handler{opts: o, services: map[string]Service{}, mux: http.NewServeMux(),
		limiter: newWindowLimiter(o.RequestsPerMinute, time.Minute, o.Now)}
	for i, s := range o.Services {
		if err := validService(s); err != nil {
			return nil, fmt.Errorf("open311: services[%d]: %w", i, err)
		}
		if _, dup := h.services[s.Code]; dup {
			return nil, fmt.Errorf("open311: service code %q listed twice", s.Code)
		}
		if s.Urgency == 0 {
			s.Urgency = 3
			o.Services[i] = s
		}
		h.services[s.Code] = s
	}
	h.opts.Services = o.Services
	h.mux.HandleFunc("GET "+Prefix+"{file}", h.handleTop)
	h.mux.HandleFunc("POST "+Prefix+"{file}", h.handlePost)
	h.mux.HandleFunc("GET "+Prefix+"services/{file}", h.handleServiceDefinition)
	h.mux.HandleFunc("GET "+Prefix+"requests/{file}", h.handleOneRequest)
	return h, nil
}

func validService(s Service) error {
	probe := mobilize.Need{Urgency: max(s.Urgency, 1), Category: s.Category, Team: s.Team}
	switch {
	case s.Code == "" || len(s.Code) > 64 || strings.ContainsAny(s.Code, "/.?&= "):
		return fmt.Errorf("code %q must be 1..64 characters without / . ? & = or spaces", s.Code)
	case s.NameZh == "" || s.NameEn == "":
		return fmt.Errorf("service %s needs a name in Chinese and in English", s.Code)
	case s.Urgency < 0 || s.Urgency > 4:
		return fmt.Errorf("service %s: urgency %d outside 1..4", s.Code, s.Urgency)
	}
	if err := probe.Validate(); err != nil {
		return fmt.Errorf("service %s: %w", s.Code, err)
	}
	return nil
}

// ServeHTTP answers every path under Prefix; an unknown one in the
// specification's error format.
func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Cache-Control", "no-store")
	if _, pattern := h.mux.Handler(r); pattern == "" {
		writeErrors(w, formatOf(r.URL.Path), http.StatusNotFound, "no such resource: "+r.URL.Path)
		return
	}
	h.mux.ServeHTTP(w, r)
}

// formatOf is the format a path asks for by its extension; XML, the
// specification's required format, when it names none.
func formatOf(path string) string {
	if strings.HasSuffix(path, ".json") {
		return "json"
	}
	return "xml"
}

// splitFormat cuts "name.json" into name and format; ok is false for
// another extension.
func splitFormat(file string) (name, format string, ok bool) {
	for _, f := range []string{"json", "xml"} {
		if n, found := strings.CutSuffix(file, "."+f); found && n != "" {
			return n, f, true
		}
	}
	return "", "", false
}

// windowLimiter counts calls per key in fixed windows: enough to stop a
// partner's runaway loop without a dependency.
type windowLimiter struct {
	mu     sync.Mutex
	limit  int
	window time.Duration
	now    func() time.Time
	start  time.Time
	counts map[string]int
}

func newWindowLimiter(limit int, window time.Duration, now func() time.Time) *windowLimiter {
	return &windowLimiter{limit: limit, window: window, now: now, counts: map[string]int{}}
}

func (l *windowLimiter) allow(key string) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	if now := l.now(); now.Sub(l.start) >= l.window {
		l.start, l.counts = now, map[string]int{}
	}
	l.counts[key]++
	return l.counts[key] <= l.limit
}
