package mobilize

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/paulmach/orb"
	"github.com/paulmach/orb/planar"
)

// An incident is the event a command centre is fighting (a typhoon, a
// flood, a lockdown): needs are grouped under it, and its figures are what
// the centre reports to the civil-affairs bureau every few hours.

// IncidentID names one incident.
type IncidentID string

// IncidentKind is what sort of event an incident is (an enum of the
// OpenAPI document).
type IncidentKind string

// Incident kinds.
const (
	KindTyphoon    IncidentKind = "typhoon"
	KindFlood      IncidentKind = "flood"
	KindEarthquake IncidentKind = "earthquake"
	KindEpidemic   IncidentKind = "epidemic"
	KindFire       IncidentKind = "fire"
	KindHeatwave   IncidentKind = "heatwave"
	KindOther      IncidentKind = "other"
)

// IncidentKinds lists every kind.
var IncidentKinds = []IncidentKind{KindTyphoon, KindFlood, KindEarthquake, KindEpidemic, KindFire, KindHeatwave, KindOther}

// ParseIncidentKind refuses anything but the kinds listed.
func ParseIncidentKind(s string) (IncidentKind, error) {
	if slices.Contains(IncidentKinds, IncidentKind(s)) {
		return IncidentKind(s), nil
	}
	return "", fmt.Errorf("kind %q is not one of typhoon, flood, earthquake, epidemic, fire, heatwave, other: %w", s, ErrInvalid)
}

// IncidentStatus is active until an operator (or a CAP Cancel) closes it.
type IncidentStatus string

// Incident statuses.
const (
	IncidentActive IncidentStatus = "active"
	IncidentClosed IncidentStatus = "closed"
)

// ErrUnprocessable is a well-formed request that names something it may
// not use: a need naming an unknown or closed incident (HTTP 422).
var ErrUnprocessable = errors.New("unprocessable")

// Limits on an incident.
const (
	MaxIncidentNameLen = 200
	MaxIncidentPoints  = 20_000 // vertices of its area, all rings together
)

// Incident is one event and the area it strikes.
type Incident struct {
	ID       IncidentID       `json:"id"`
	Name     string           `json:"name"`
	Kind     IncidentKind     `json:"kind"`
	Status   IncidentStatus   `json:"status"`
	Area     orb.MultiPolygon `json:"-"` // kept as GeoJSON by the store
	AreaID   AreaID           `json:"area_id,omitempty"`
	Exercise bool             `json:"exercise"`
	// Alert is the CAP alert that opened it ("sender,identifier"), empty
	// when an operator did; Headline, Severity and Expires are the
	// warning's latest.
	Alert     string    `json:"alert,omitempty"`
	Headline  string    `json:"headline,omitempty"`
	Severity  string    `json:"severity,omitempty"`
	Expires   time.Time `json:"expires,omitzero"`
	CreatedAt time.Time `json:"created_at"`
	UpdatedAt time.Time `json:"updated_at"`
	ClosedAt  time.Time `json:"closed_at,omitzero"`
	// Figures are frozen at close; nil while the incident is active (its
	// figures are then computed at each read).
	Figures *IncidentFigures `json:"figures,omitempty"`
}

// Validate checks an incident as it arrives.
func (in Incident) Validate() error {
	var problems []string
	if strings.TrimSpace(in.Name) == "" || len(in.Name) > MaxIncidentNameLen {
		problems = append(problems, fmt.Sprintf("name must be 1..%d bytes", MaxIncidentNameLen))
	} else if strings.ContainsFunc(in.Name, Invisible) {
		problems = append(problems, "name contains invisible characters")
	}
	if _, err := ParseIncidentKind(string(in.Kind)); err != nil {
		problems = append(problems, strings.TrimSuffix(err.Error(), ": "+ErrInvalid.Error()))
	}
	if len(in.Area) == 0 {
		problems = append(problems, "area is required: a GeoJSON Polygon or MultiPolygon, or the id of a loaded area")
	}
	points := 0
	for _, p := range in.Area {
		for _, r := range p {
			points += len(r)
			if len(r) < 4 || !r.Closed() {
				problems = append(problems, "area: every ring needs at least 4 points, the last the same as the first")
			}
		}
	}
	if points > MaxIncidentPoints {
		problems = append(problems, fmt.Sprintf("area has more than %d points", MaxIncidentPoints))
	}
	if len(problems) > 0 {
		return fmt.Errorf("incident: %s: %w", strings.Join(problems, "; "), ErrInvalid)
	}
	return nil
}

// Contains reports whether p lies inside the incident's area or on its
// border (planar, as areas are: mobilize/area.go).
func (in Incident) Contains(p orb.Point) bool {
	return planar.MultiPolygonContains(in.Area, p)
}

// IncidentAt picks the incident a need at p joins when it names none: the
// one active incident whose area holds p. Inside none, or inside more than
// one (overlapping events: an operator must choose), it joins none;
// matches says how many held it, so the answer can tell why.
func IncidentAt(incidents []Incident, p orb.Point) (id IncidentID, matches int) {
	for _, in := range incidents {
		if in.Status == IncidentActive && in.Contains(p) {
			matches++
			id = in.ID
		}
	}
	if matches != 1 {
		return "", matches
	}
	return id, 1
}

// IncidentFigures are an incident's report: its needs by status and
// category, the people who took part, the items used, and how long needs
// waited to be staffed.
type IncidentFigures struct {
	Needs      int                `json:"needs"`
	ByStatus   map[NeedStatus]int `json:"by_status"`
	ByCategory map[string]int     `json:"by_category"`
	// People is how many different responders accepted a place.
	People int `json:"people"`
	// Items are the items of completed needs (consumed from depots).
	Items map[Item]int `json:"items"`
	// MedianToStaffed and P90ToStaffed are over the needs staffed so far
	// (Staffed of them), from creation to the last place filled; zero
	// when none is.
	Staffed         int           `json:"staffed"`
	MedianToStaffed time.Duration `json:"-"`
	P90ToStaffed    time.Duration `json:"-"`
	At              time.Time     `json:"at"`
}

// ComputeFigures sums up the needs of an incident at a moment.
func ComputeFigures(needs []NeedState, at time.Time) IncidentFigures {
	f := IncidentFigures{Needs: len(needs), ByStatus: map[NeedStatus]int{}, ByCategory: map[string]int{}, Items: map[Item]int{}, At: at}
	people := map[ResponderID]bool{}
	var waits []time.Duration
	for _, n := range needs {
		f.ByStatus[n.Status]++
		f.ByCategory[n.Category]++
		for _, a := range n.Assignments {
			if a.State == AssignAccepted || a.State == AssignCompleted {
				people[a.ResponderID] = true
			}
		}
		if n.Status == NeedCompleted {
			for _, it := range n.Items {
				f.Items[it.Item] += it.Count
			}
		}
		if !n.StaffedAt.IsZero() && !n.StaffedAt.Before(n.CreatedAt) {
			waits = append(waits, n.StaffedAt.Sub(n.CreatedAt))
		}
	}
	f.People = len(people)
	f.Staffed = len(waits)
	f.MedianToStaffed, f.P90ToStaffed = quantile(waits, 0.5), quantile(waits, 0.9)
	return f
}

// quantile is the nearest-rank quantile q of ds (sorted here); 0 when
// empty.
func quantile(ds []time.Duration, q float64) time.Duration {
	if len(ds) == 0 {
		return 0
	}
	slices.Sort(ds)
	rank := int(q*float64(len(ds))+0.999999) - 1 // ceil(q·n) - 1
	return ds[min(max(rank, 0), len(ds)-1)]
}

// IncidentStore keeps incidents, the needs of each, and what CAP alerts
// did to them (redisstore/incidents.go).
type IncidentStore interface {
	CreateIncident(ctx context.Context, in Incident) error
	// UpdateIncident replaces an active incident; ErrInvalidTransition
	// when it is closed.
	UpdateIncident(ctx context.Context, in Incident) error
	// CloseIncident stores the incident as closed with its frozen
	// figures, once: false when it was closed already.
	CloseIncident(ctx context.Context, in Incident) (bool, error)
	Incident(ctx context.Context, id IncidentID) (Incident, error)
	Incidents(ctx context.Context) ([]Incident, error)
	AddIncidentNeed(ctx context.Context, id IncidentID, need NeedID) error
	IncidentNeeds(ctx context.Context, id IncidentID) ([]NeedID, error)
	// AlertIncident is the incident a CAP alert (sender,identifier)
	// created or updated; LinkAlert remembers it.
	AlertIncident(ctx context.Context, alert string) (IncidentID, bool, error)
	LinkAlert(ctx context.Context, alert string, id IncidentID) error
	// FirstPreAlert reports whether this is the first pre-alert of the
	// alert to the person (SET NX), remembering it until ttl.
	FirstPreAlert(ctx context.Context, alert string, rid ResponderID, ttl time.Duration) (bool, error)
}

func newIncidentID() IncidentID {
	var b [8]byte
	rand.Read(b[:])
	return IncidentID("i" + hex.EncodeToString(b[:]))
}

// CreateIncident validates and stores a new active incident.
func (s *Service) CreateIncident(ctx context.Context, in Incident) (Incident, error) {
	if err := in.Validate(); err != nil {
		return Incident{}, err
	}
	now := s.now().UTC().Truncate(time.Millisecond)
	in.ID, in.Status, in.CreatedAt, in.UpdatedAt, in.ClosedAt, in.Figures = newIncidentID(), IncidentActive, now, now, time.Time{}, nil
	if err := s.store.CreateIncident(ctx, in); err != nil {
		return Incident{}, err
	}
	return in, nil
}

// Incidents lists every incident, active ones first, newest first within.
func (s *Service) Incidents(ctx context.Context) ([]Incident, error) {
	all, err := s.store.Incidents(ctx)
	if err != nil {
		return nil, err
	}
	slices.SortStableFunc(all, func(a, b Incident) int {
		if (a.Status == IncidentActive) != (b.Status == IncidentActive) {
			if a.Status == IncidentActive {
				return -1
			}
			return 1
		}
		return b.CreatedAt.Compare(a.CreatedAt)
	})
	return all, nil
}

// IncidentReport is an incident with its figures: frozen ones when it is
// closed, computed now when it is active.
func (s *Service) IncidentReport(ctx context.Context, id IncidentID) (Incident, IncidentFigures, error) {
	in, err := s.store.Incident(ctx, id)
	if err != nil {
		return Incident{}, IncidentFigures{}, err
	}
	if in.Figures != nil {
		return in, *in.Figures, nil
	}
	f, err := s.incidentFigures(ctx, id)
	return in, f, err
}

func (s *Service) incidentFigures(ctx context.Context, id IncidentID) (IncidentFigures, error) {
	ids, err := s.store.IncidentNeeds(ctx, id)
	if err != nil {
		return IncidentFigures{}, err
	}
	needs, err := s.store.Needs(ctx, ids)
	if err != nil {
		return IncidentFigures{}, err
	}
	return ComputeFigures(needs, s.now().UTC().Truncate(time.Millisecond)), nil
}

// IncidentNeeds lists the ids of an incident's needs.
func (s *Service) IncidentNeeds(ctx context.Context, id IncidentID) ([]NeedID, error) {
	if _, err := s.store.Incident(ctx, id); err != nil {
		return nil, err
	}
	return s.store.IncidentNeeds(ctx, id)
}

// CloseIncident closes an incident and freezes its figures: they are
// computed once, now, and stored with it. Its needs stay as they are.
func (s *Service) CloseIncident(ctx context.Context, id IncidentID) (Incident, error) {
	in, err := s.store.Incident(ctx, id)
	if err != nil {
		return Incident{}, err
	}
	if in.Status == IncidentClosed {
		return in, fmt.Errorf("incident %s is closed already: %w", id, ErrInvalidTransition)
	}
	f, err := s.incidentFigures(ctx, id)
	if err != nil {
		return Incident{}, err
	}
	in.Status, in.ClosedAt, in.UpdatedAt, in.Figures = IncidentClosed, f.At, f.At, &f
	closed, err := s.store.CloseIncident(ctx, in)
	if err != nil {
		return Incident{}, err
	}
	if !closed {
		return s.store.Incident(ctx, id) // closed meanwhile: theirs are the figures
	}
	return in, nil
}

// incidentOf decides the incident a new need joins: the one it names,
// which must exist and be active, or the one active incident around it.
func (s *Service) incidentOf(ctx context.Context, n Need) (IncidentID, error) {
	if n.IncidentID != "" {
		in, err := s.store.Incident(ctx, n.IncidentID)
		if errors.Is(err, ErrNotFound) {
			return "", fmt.Errorf("incident %q is unknown: %w", n.IncidentID, ErrUnprocessable)
		}
		if err != nil {
			return "", err
		}
		if in.Status != IncidentActive {
			return "", fmt.Errorf("incident %q is closed: %w", n.IncidentID, ErrUnprocessable)
		}
		return in.ID, nil
	}
	all, err := s.store.Incidents(ctx)
	if err != nil {
		return "", err
	}
	id, _ := IncidentAt(all, n.Point)
	return id, nil
}
