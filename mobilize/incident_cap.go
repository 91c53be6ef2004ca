package mobilize

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/paulmach/orb"
	"github.com/paulmach/orb/planar"

	"github.com/liandong/liandong/geo"
	"github.com/liandong/liandong/mobilize/cap"
)

// CAPConfig is what the server does with CAP warnings beyond incidents.
type CAPConfig struct {
	// PreAlert sends a standby message to the responders inside the area
	// of a Severe or Extreme warning (cap.pre_alert).
	PreAlert bool
}

// CAPAction is what a CAP alert did (an enum of the OpenAPI document).
type CAPAction string

// CAP actions.
const (
	CAPCreated      CAPAction = "created"      // a new incident
	CAPUpdated      CAPAction = "updated"      // the incident of an earlier alert changed
	CAPClosed       CAPAction = "closed"       // a Cancel closed it
	CAPUnchanged    CAPAction = "unchanged"    // the same alert again, or an Update or Cancel of an incident closed already
	CAPAcknowledged CAPAction = "acknowledged" // Test, Draft, System, Ack, Error, or a Cancel of nothing known: logged only
)

// CAPOutcome is what a CAP alert did, for the answer and the log.
type CAPOutcome struct {
	Action     CAPAction
	Incident   *Incident // nil when acknowledged only
	PreAlerted int       // responders sent a standby
	Why        string    // in English, for the log and the answer
}

// capKey names an alert as references do, without its sent time:
// sender and identifier are unique together (CAP-V1.2 §3.2.1).
func capKey(sender, identifier string) string { return sender + "," + identifier }

// ReceiveCAP applies a parsed, valid CAP 1.2 alert: an Actual or Exercise
// Alert opens an incident over its area, an Update changes the incident
// of the alert it references, a Cancel closes it; anything else is only
// acknowledged. Applying the same alert twice changes nothing more.
func (s *Service) ReceiveCAP(ctx context.Context, a *cap.Alert) (CAPOutcome, error) {
	if a.Status != "Actual" && a.Status != "Exercise" {
		return CAPOutcome{Action: CAPAcknowledged, Why: "status " + a.Status + ": logged only"}, nil
	}
	key := capKey(a.Sender, a.Identifier)
	if id, ok, err := s.store.AlertIncident(ctx, key); err != nil {
		return CAPOutcome{}, err
	} else if ok {
		in, err := s.store.Incident(ctx, id)
		if err != nil {
			return CAPOutcome{}, err
		}
		return CAPOutcome{Action: CAPUnchanged, Incident: &in, Why: "this alert was received before"}, nil
	}
	switch a.MsgType {
	case "Alert":
		return s.capOpen(ctx, a, key)
	case "Update", "Cancel":
		refs, _ := a.Refs() // checked by Validate
		var target *Incident
		for _, r := range slices.Backward(refs) { // the latest referenced first
			id, ok, err := s.store.AlertIncident(ctx, capKey(r.Sender, r.Identifier))
			if err != nil {
				return CAPOutcome{}, err
			}
			if ok {
				in, err := s.store.Incident(ctx, id)
				if err != nil {
					return CAPOutcome{}, err
				}
				target = &in
				break
			}
		}
		if target == nil {
			if a.MsgType == "Cancel" {
				return CAPOutcome{Action: CAPAcknowledged, Why: "a Cancel of no alert received here"}, nil
			}
			return s.capOpen(ctx, a, key) // an Update of an alert never received: it is news here
		}
		if err := s.store.LinkAlert(ctx, key, target.ID); err != nil {
			return CAPOutcome{}, err
		}
		if target.Status != IncidentActive {
			return CAPOutcome{Action: CAPUnchanged, Incident: target, Why: "its incident is closed already"}, nil
		}
		if a.MsgType == "Cancel" {
			in, err := s.CloseIncident(ctx, target.ID)
			if err != nil {
				return CAPOutcome{}, err
			}
			return CAPOutcome{Action: CAPClosed, Incident: &in, Why: "cancelled by its sender"}, nil
		}
		return s.capUpdate(ctx, a, *target)
	}
	return CAPOutcome{Action: CAPAcknowledged, Why: "msgType " + a.MsgType + ": logged only"}, nil
}

// capOpen creates the incident of a new alert.
func (s *Service) capOpen(ctx context.Context, a *cap.Alert, key string) (CAPOutcome, error) {
	area, areaID, err := s.capArea(ctx, a)
	if err != nil {
		return CAPOutcome{}, err
	}
	in := Incident{Kind: KindOfAlert(a), Area: area, AreaID: areaID, Exercise: a.Status == "Exercise", Alert: key}
	describe(&in, a)
	in, err = s.CreateIncident(ctx, in)
	if err != nil {
		return CAPOutcome{}, err
	}
	if err := s.store.LinkAlert(ctx, key, in.ID); err != nil {
		return CAPOutcome{}, err
	}
	n, err := s.preAlert(ctx, a, in)
	return CAPOutcome{Action: CAPCreated, Incident: &in, PreAlerted: n, Why: "a new warning"}, err
}

// capUpdate changes an incident by an Update: its area when the update
// places itself, its headline, severity and expiry.
func (s *Service) capUpdate(ctx context.Context, a *cap.Alert, in Incident) (CAPOutcome, error) {
	if area, areaID, err := s.capArea(ctx, a); err == nil {
		in.Area, in.AreaID = area, areaID
	}
	in.Kind = KindOfAlert(a)
	describe(&in, a)
	in.UpdatedAt = s.now().UTC().Truncate(time.Millisecond)
	if err := in.Validate(); err != nil {
		return CAPOutcome{}, err
	}
	if err := s.store.UpdateIncident(ctx, in); err != nil {
		return CAPOutcome{}, err
	}
	n, err := s.preAlert(ctx, a, in)
	return CAPOutcome{Action: CAPUpdated, Incident: &in, PreAlerted: n, Why: "updated by its sender"}, err
}

// describe copies the words of the alert's gravest info onto the incident.
func describe(in *Incident, a *cap.Alert) {
	w := a.Worst()
	if w == nil {
		in.Name = a.Identifier
		return
	}
	in.Headline, in.Severity, in.Expires = clip(w.Headline), w.Severity, a.Expires()
	in.Name = clip(cmpOr(strings.TrimSpace(w.Headline), strings.TrimSpace(w.Event), a.Identifier))
}

func clip(s string) string {
	for len(s) > MaxIncidentNameLen {
		r := []rune(s)
		s = string(r[:len(r)-1])
	}
	return s
}

func cmpOr(ss ...string) string {
	for _, s := range ss {
		if s != "" {
			return s
		}
	}
	return ""
}

// capArea is where the alert strikes: its polygons and circles, or else
// the loaded areas its geocodes name (GB/T 2260 codes used as area ids).
func (s *Service) capArea(ctx context.Context, a *cap.Alert) (orb.MultiPolygon, AreaID, error) {
	if g := a.Geometry(); len(g) > 0 {
		return g, "", nil
	}
	link, err := s.store.Linkage(ctx)
	if err != nil {
		return nil, "", err
	}
	var out orb.MultiPolygon
	var first AreaID
	for _, code := range a.Geocodes() {
		ar, ok := link.Areas.Area(AreaID(code))
		if !ok {
			continue
		}
		if first == "" {
			first = ar.ID
		}
		switch g := ar.Geometry.(type) {
		case orb.Polygon:
			out = append(out, g)
		case orb.MultiPolygon:
			out = append(out, g...)
		}
	}
	if len(out) == 0 {
		return nil, "", fmt.Errorf("the alert has no polygon or circle and none of its geocodes is a loaded area: %w", ErrUnprocessable)
	}
	return out, first, nil
}

// kindWords map words of a CAP event (Chinese as the national profile
// names them, and English) to an incident kind; the first match wins.
var kindWords = []struct {
	kind  IncidentKind
	words []string
}{
	{KindTyphoon, []string{"台风", "热带气旋", "typhoon", "tropical cyclone", "hurricane"}},
	{KindFlood, []string{"暴雨", "洪水", "洪涝", "山洪", "内涝", "flood", "rainstorm", "heavy rain"}},
	{KindEarthquake, []string{"地震", "earthquake"}},
	{KindEpidemic, []string{"疫情", "传染病", "epidemic", "outbreak"}},
	{KindHeatwave, []string{"高温", "热浪", "heat"}},
	{KindFire, []string{"火灾", "森林火险", "火险", "fire"}},
}

// KindOfAlert maps an alert's events (and, failing them, categories) to
// an incident kind: 台风/typhoon → typhoon, 暴雨/flood → flood, 地震 →
// earthquake, and so on; anything else is other.
func KindOfAlert(a *cap.Alert) IncidentKind {
	for _, in := range a.Infos {
		ev := strings.ToLower(in.Event)
		for _, kw := range kindWords {
			for _, w := range kw.words {
				if strings.Contains(ev, w) {
					return kw.kind
				}
			}
		}
	}
	for _, in := range a.Infos {
		if slices.Contains(in.Categories, "Fire") {
			return KindFire
		}
	}
	return KindOther
}

// preAlertTTL is how long a pre-alert is remembered beyond the warning's
// expiry (or from now, when it gives none).
const preAlertTTL = 7 * 24 * time.Hour

// preAlert tells the available responders inside a Severe or Extreme
// warning's area, and the off-duty ones there who opted in (standby.go),
// to stand by, at most once per incident per person (an Update reaches
// only those not told yet), and not those whose alert budget of the hour
// is spent; each standby is charged to that budget. Exercises pre-alert
// nobody.
func (s *Service) preAlert(ctx context.Context, a *cap.Alert, in Incident) (int, error) {
	w := a.Worst()
	if !s.cap.PreAlert || in.Exercise || w == nil || (w.Severity != "Severe" && w.Severity != "Extreme") {
		return 0, nil
	}
	var cover []geo.Cell
	seen := map[geo.Cell]bool{}
	for _, p := range in.Area {
		cells, err := geo.CoverCells(p, s.store.Resolution())
		if err != nil {
			return 0, fmt.Errorf("pre-alert: %w", err)
		}
		for _, c := range cells {
			if !seen[c] {
				seen[c] = true
				cover = append(cover, c)
			}
		}
	}
	if len(cover) > MaxAlertCells {
		return 0, fmt.Errorf("pre-alert: the area is too large: %w", ErrInvalid)
	}
	found, err := s.store.AvailableIn(ctx, cover, Roles)
	if err != nil {
		return 0, err
	}
	var inside []ResponderID
	for _, c := range found {
		if planar.MultiPolygonContains(in.Area, c.Point) && !slices.Contains(inside, c.ID) {
			inside = append(inside, c.ID)
		}
	}
	offDuty, err := s.offDutyOptedInside(ctx, in.Area, inside)
	if err != nil {
		return 0, err
	}
	inside = append(inside, offDuty...)
	ttl := preAlertTTL
	if !in.Expires.IsZero() {
		ttl += max(in.Expires.Sub(s.now()), 0)
	}
	budget := s.matcher.cfg.AlertBudgetPerHour
	var to []ResponderID
	for _, rid := range inside {
		charge, err := s.store.ChargeStandby(ctx, string(in.ID), rid, ttl, budget)
		if err != nil {
			return len(to), err
		}
		if charge == StandbySent {
			to = append(to, rid)
		}
	}
	if len(to) > 0 {
		s.sink.Emit(ctx, PreAlerted{Incident: in.ID, Alert: capKey(a.Sender, a.Identifier), To: to,
			Headline: in.Headline, Severity: in.Severity, Expires: in.Expires, At: s.now()})
	}
	return len(to), nil
}

// offDutyOptedInside are the responders who opted in to standby while
// off duty, are off duty, not deactivated, and whose last known position
// (kept while off duty until the retention sweep forgets it) lies inside
// the area; those in skip are left out.
func (s *Service) offDutyOptedInside(ctx context.Context, area orb.MultiPolygon, skip []ResponderID) ([]ResponderID, error) {
	ids, err := s.store.StandbyOptedIn(ctx)
	if err != nil {
		return nil, err
	}
	slices.Sort(ids)
	var out []ResponderID
	for _, rid := range ids {
		if slices.Contains(skip, rid) {
			continue
		}
		p, err := s.store.Get(ctx, rid)
		if errors.Is(err, ErrNotFound) {
			continue
		}
		if err != nil {
			return nil, err
		}
		if p.Status != StatusOffDuty || !p.Located || !planar.MultiPolygonContains(area, p.Point) {
			continue
		}
		if d, err := s.store.Deactivation(ctx, rid); err != nil {
			return nil, err
		} else if d != nil {
			continue
		}
		out = append(out, rid)
	}
	return out, nil
}
