package loadtest

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"time"
)

// IncidentReport is the incident the drill played under: how it opened
// (the drill's POST, or a CAP warning and what the server did with it),
// whether every need joined it (a gate), and the server's own figures
// from GET /api/v1/incidents/{id} at the end beside the drill's.
type IncidentReport struct {
	ID       string     `json:"id"`
	Name     string     `json:"name"`
	Kind     string     `json:"kind"`
	Exercise bool       `json:"exercise"`
	Source   string     `json:"source"` // api or cap
	CAP      *CAPResult `json:"cap,omitempty"`
	// NeedsInIncident and NeedsOutside count the created needs the server
	// lists in it and not (the gate: must be 0).
	NeedsInIncident int             `json:"needs_in_incident"`
	NeedsOutside    int             `json:"needs_outside"`
	Server          *IncidentFigure `json:"server_figures"` // null when it could not be fetched
	Drill           IncidentFigure  `json:"drill_figures"`
}

// CAPResult is what the server answered to the drill's warning, and the
// standbys the phones got.
type CAPResult struct {
	Identifier string `json:"identifier"`
	Status     string `json:"status"`
	Action     string `json:"action"`
	PreAlerted int    `json:"pre_alerted"`
	// StandbyPhones: phones that received a standby for the incident;
	// StandbyRepeats: standbys beyond the first on one phone.
	StandbyPhones  int `json:"standby_phones"`
	StandbyRepeats int `json:"standby_repeats"`
}

// IncidentFigure is an incident's figures as the server states them (and
// as the drill measured them, on its own needs and clocks).
type IncidentFigure struct {
	Needs           int            `json:"needs"`
	ByStatus        map[string]int `json:"by_status"`
	People          int            `json:"people"`
	Staffed         int            `json:"staffed"`
	MedianToStaffed *float64       `json:"median_to_staffed_s"`
	P90ToStaffed    *float64       `json:"p90_to_staffed_s"`
}

// kindNeedOutside: a drill need that did not join the drill's incident.
const kindNeedOutside = "need_outside_incident"

// errActualToTarget: an Actual warning could mobilise a real deployment.
var errActualToTarget = errors.New("an Actual CAP warning is sent only to a server the drill starts; use status Exercise against -target")

// openIncident opens the scenario's incident once the phones are
// connected (a warning's standbys go to people with a position).
func (d *drill) openIncident(ctx context.Context) error {
	spec := d.sc.Incident
	if spec == nil {
		return nil
	}
	ring := d.sc.Needs.EventArea.areaRing()
	ictx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	if spec.CAP == nil {
		var out struct {
			ID       string `json:"id"`
			Name     string `json:"name"`
			Kind     string `json:"kind"`
			Exercise bool   `json:"exercise"`
		}
		body := map[string]any{"name": spec.Name, "kind": spec.Kind, "area": geoJSONPolygon(ring), "exercise": true}
		if err := d.client.do(ictx, http.MethodPost, "/api/v1/incidents", nil, body, &out, http.StatusCreated); err != nil {
			return fmt.Errorf("open the incident: %w", err)
		}
		d.incident = &IncidentReport{ID: out.ID, Name: out.Name, Kind: out.Kind, Exercise: out.Exercise, Source: "api"}
		d.logf("incident %s opened: %s", out.ID, out.Name)
		return nil
	}
	alert, err := writeCAP(spec.CAP, ring, time.Now(), 1)
	if err != nil {
		return err
	}
	if err := os.WriteFile(filepath.Join(d.opts.Out, "cap-alert.xml"), alert.XML, 0o644); err != nil {
		d.logf("could not keep the CAP alert: %v", err)
	}
	ans, err := d.client.postCAP(ictx, alert.XML)
	if err != nil {
		return fmt.Errorf("send the CAP warning: %w", err)
	}
	if ans.Incident == nil {
		return fmt.Errorf("the CAP warning %s opened no incident (%s: %s)", alert.Identifier, ans.Action, ans.Why)
	}
	d.incident = &IncidentReport{ID: ans.Incident.ID, Name: ans.Incident.Name, Kind: ans.Incident.Kind, Exercise: ans.Incident.Exercise, Source: "cap",
		CAP: &CAPResult{Identifier: ans.Identifier, Status: ans.Status, Action: ans.Action, PreAlerted: ans.PreAlerted}}
	d.logf("CAP warning %s (%s): incident %s %s, %d responders pre-alerted", ans.Identifier, ans.Status, ans.Incident.ID, ans.Action, ans.PreAlerted)
	return nil
}

// capAnswer is the answer of POST /api/v1/cap.
type capAnswer struct {
	Identifier string `json:"identifier"`
	Status     string `json:"status"`
	Action     string `json:"action"`
	Why        string `json:"why"`
	PreAlerted int    `json:"pre_alerted"`
	Incident   *struct {
		ID       string `json:"id"`
		Name     string `json:"name"`
		Kind     string `json:"kind"`
		Exercise bool   `json:"exercise"`
	} `json:"incident"`
}

// postCAP posts one CAP document (application/cap+xml, not JSON).
func (c *Client) postCAP(ctx context.Context, doc []byte) (*capAnswer, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, c.base.JoinPath("/api/v1/cap").String(), bytes.NewReader(doc))
	if err != nil {
		return nil, err
	}
	req.Header.Set("Content-Type", "application/cap+xml")
	req.Header.Set("Authorization", "Bearer "+c.token)
	resp, err := c.http.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if err != nil {
		return nil, err
	}
	if resp.StatusCode != http.StatusOK {
		return nil, &APIError{Status: resp.StatusCode, Code: "http_" + fmt.Sprint(resp.StatusCode), Message: strings.TrimSpace(string(raw[:min(len(raw), 300)]))}
	}
	var out capAnswer
	if err := json.Unmarshal(raw, &out); err != nil {
		return nil, fmt.Errorf("POST /api/v1/cap: decode answer: %w", err)
	}
	return &out, nil
}

// fetchIncident reads the incident's figures at the end.
func (d *drill) fetchIncident(ctx context.Context) *IncidentFigure {
	if d.incident == nil {
		return nil
	}
	var out struct {
		Figures *IncidentFigure `json:"figures"`
	}
	if err := d.client.do(ctx, http.MethodGet, "/api/v1/incidents/"+url.PathEscape(d.incident.ID), nil, nil, &out, http.StatusOK); err != nil {
		d.ledger.countError("fetch_incident")
		d.logf("incident figures: %v", err)
		return nil
	}
	return out.Figures
}

// incidentReport completes the incident section from the ledger; l.mu
// held. It returns the needs that did not join the incident.
func incidentReport(l *Ledger, base IncidentReport, server *IncidentFigure) (*IncidentReport, []Violation) {
	r := base
	r.Server = server
	r.Drill = IncidentFigure{ByStatus: map[string]int{}}
	var out []Violation
	people := map[string]bool{}
	var staffed []float64
	for _, id := range l.order {
		nr := l.needs[id]
		n := nr.Server
		if n == nil {
			continue
		}
		if n.IncidentID != r.ID {
			r.NeedsOutside++
			out = append(out, Violation{Kind: kindNeedOutside, Need: id, At: n.CreatedAt,
				Detail: fmt.Sprintf("created inside the event area; the server puts it in incident %q, not %s", n.IncidentID, r.ID)})
			continue
		}
		r.NeedsInIncident++
		r.Drill.Needs++
		r.Drill.ByStatus[n.Status]++
		for _, a := range n.Assignments {
			if a.State == "accepted" || a.State == "completed" {
				people[a.ResponderID] = true
			}
		}
		if n.Status == "staffed" || n.Status == "completed" {
			r.Drill.Staffed++
			if !nr.Staffed.IsZero() && !nr.Requested.IsZero() {
				staffed = append(staffed, math.Max(0, nr.Staffed.Sub(nr.Requested).Seconds()))
			}
		}
	}
	r.Drill.People = len(people)
	if q := quantile(staffed); q.N > 0 {
		// quantile rounds milliseconds to 0.1; seconds read better whole.
		m, p := math.Round(q.P50), math.Round(q.P90)
		r.Drill.MedianToStaffed, r.Drill.P90ToStaffed = &m, &p
	}
	if r.CAP != nil {
		c := *r.CAP
		for _, n := range l.field.standby {
			c.StandbyPhones++
			c.StandbyRepeats += n - 1
		}
		r.CAP = &c
	}
	return &r, out
}
