package loadtest

import (
	"context"
	"errors"
	"fmt"
	"math"
	"net/http"
	"strconv"
	"sync"
	"time"

	"github.com/paulmach/orb"
)

// The server's surge cells are H3 resolution 7 and a person is nudged at
// most once per 2 h by default (mobilize/nudge.go); the drill may not
// import the server's packages (TestTalksOnlyOverTheNetwork), so it says
// them again here.
const (
	defaultNudgeEvery = 2 * time.Hour
)

// NudgeSurgeSpec makes a surge in a drill (issue 17): needs calling for a
// skill only some off-duty people near them have, so nobody on duty can
// be offered them; those people opted in to nudges, and the behaviour's
// nudge_on_duty share of them answer a nudge by going on duty.
type NudgeSurgeSpec struct {
	At     LatLng `yaml:"at"`     // where the needs are
	People int    `yaml:"people"` // off-duty, opted-in phones within RadiusM
	// RadiusM is how far from At they live (default 500 m, within the
	// server's nudges.radius_m).
	RadiusM float64 `yaml:"radius_m"`
	Needs   int     `yaml:"needs"` // each calls for one person with Skill
	Skill   string  `yaml:"skill"` // default "surge_boat"
	Role    string  `yaml:"role"`  // default the scenario's first role
	// Urgency 1 (default) is nudged even at night in the server's zone.
	Urgency int           `yaml:"urgency"`
	After   time.Duration `yaml:"after"` // from the first arrival; at most half the drill
	// MinInterval, when set, becomes the drill server's
	// nudges.min_interval; the gate checks against it (default 2h, the
	// server's default).
	MinInterval time.Duration `yaml:"min_interval"`
}

func (s *NudgeSurgeSpec) defaults(sc *Scenario) {
	if s.RadiusM <= 0 {
		s.RadiusM = 500
	}
	if s.Skill == "" {
		s.Skill = "surge_boat"
	}
	if s.Role == "" && len(sc.Responders.Roles) > 0 {
		s.Role = sc.Responders.Roles[0].Role
	}
	if s.Urgency == 0 {
		s.Urgency = 1
	}
}

func (s *NudgeSurgeSpec) validate() error {
	switch {
	case s.People <= 0 || s.People > 10000:
		return fmt.Errorf("nudge_surge.people: %d is outside 1..10000", s.People)
	case s.Needs <= 0 || s.Needs > 1000:
		return fmt.Errorf("nudge_surge.needs: %d is outside 1..1000", s.Needs)
	case s.RadiusM > 3000:
		return fmt.Errorf("nudge_surge.radius_m: %g is beyond the 3000 m a nudge reaches by default", s.RadiusM)
	case s.Urgency < 1 || s.Urgency > 4:
		return fmt.Errorf("nudge_surge.urgency: %d is outside 1..4", s.Urgency)
	case s.MinInterval != 0 && s.MinInterval < 10*time.Minute:
		return fmt.Errorf("nudge_surge.min_interval: %s is below the server's 10m", s.MinInterval)
	}
	if a := s.At; a.Lat < -90 || a.Lat > 90 || a.Lng < -180 || a.Lng > 180 || (a.Lat == 0 && a.Lng == 0) {
		return fmt.Errorf("nudge_surge.at: (%v, %v) is out of range", a.Lat, a.Lng)
	}
	return nil
}

// interval is what the gate holds the server to.
func (s *NudgeSurgeSpec) interval() time.Duration {
	if s.MinInterval > 0 {
		return s.MinInterval
	}
	return defaultNudgeEvery
}

// surgePeople are the off-duty people near the surge, still, socket
// phones, the only ones with the skill; indexes follow the population's.
func (s *NudgeSurgeSpec) surgePeople(first int) []Person {
	out := make([]Person, s.People)
	for i := range out {
		// Evenly round a circle: deterministic and all within RadiusM.
		a := 2 * math.Pi * float64(i) / float64(s.People)
		r := s.RadiusM * (0.3 + 0.6*float64(i%3)/2)
		dLat := r * math.Cos(a) / 111_320
		dLng := r * math.Sin(a) / (111_320 * math.Cos(s.At.Lat*math.Pi/180))
		out[i] = Person{Index: first + i, Name: "调度演练" + strconv.Itoa(i+1), Role: s.Role, Skills: []string{s.Skill},
			MaxConcurrent: 1, Home: orb.Point{s.At.Lng + dLng, s.At.Lat + dLat}, Mode: ModeMix{Mode: "still", Share: 1}}
	}
	return out
}

// surgeRun is the surge part while it runs.
type surgeRun struct {
	spec   *NudgeSurgeSpec
	ids    map[string]bool
	stop   context.CancelFunc
	done   sync.WaitGroup
	cutoff time.Time
	// cell is the surge's resolution-7 cell as the server names it: the
	// cell in surge whose centre lies nearest the needs (within one
	// cell's reach). The drill learns it from the server rather than
	// computing it, since only geo may use H3.
	cell      string
	cellDistM float64
}

// surgeTick is the grace after a shortfall ends: one matcher tick, as
// the drill cannot see between ticks, plus its own read period.
const (
	surgeTick      = time.Second
	surgeReadEvery = 250 * time.Millisecond
)

// prepareSurge opts the surge people in and puts them off duty before
// their phones connect.
func (d *drill) prepareSurge(ctx context.Context) error {
	s := d.sc.NudgeSurge
	if s == nil {
		return nil
	}
	d.surge = &surgeRun{spec: s, ids: map[string]bool{}}
	for _, p := range d.people[len(d.people)-s.People:] {
		d.surge.ids[p.ID] = true
		if err := d.client.do(ctx, http.MethodPut, "/api/v1/responders/"+p.ID+"/standby", nil, map[string]bool{"opt_in": true}, nil, http.StatusOK); err != nil {
			return fmt.Errorf("surge: opt %s in: %w", p.ID, err)
		}
		if err := d.client.do(ctx, http.MethodPut, "/api/v1/responders/"+p.ID+"/status", nil, map[string]string{"status": "off_duty"}, nil, http.StatusNoContent); err != nil {
			return fmt.Errorf("surge: put %s off duty: %w", p.ID, err)
		}
	}
	d.logf("surge: %d off-duty people opted in to nudges near %.4f,%.4f ", s.People, s.At.Lat, s.At.Lng)
	return nil
}

// startSurge creates the surge's needs after spec.After and reads the
// cells in surge until stopSurge.
func (d *drill) startSurge(ctx context.Context) {
	if d.surge == nil {
		return
	}
	s := d.surge.spec
	sctx, cancel := context.WithCancel(ctx)
	d.surge.stop = cancel
	d.surge.done.Add(2)
	go func() {
		defer d.surge.done.Done()
		// A drill shortened by -duration still gets its surge, and time
		// after it to end.
		if !sleepCtx(sctx, min(s.After, d.sc.Duration/2)) {
			return
		}
		for i := range s.Needs {
			spec := NeedSpec{Lat: s.At.Lat, Lng: s.At.Lng, Category: "rescue", Urgency: s.Urgency,
				Team: []TeamSlot{{Role: s.Role, Count: 1, Skills: []string{s.Skill}}}, Description: "演练：突发需求"}
			req := time.Now()
			id, err := d.client.CreateNeed(sctx, spec, fmt.Sprintf("drill-surge-%d-%d", d.seed, i))
			if err != nil {
				d.ledger.CreateFailed("surge")
				continue
			}
			d.ledger.NeedCreated(id, spec, req, time.Now())
		}
	}()
	go func() {
		defer d.surge.done.Done()
		t := time.NewTicker(surgeReadEvery)
		defer t.Stop()
		for {
			var out struct {
				Cells []struct {
					Cell string  `json:"cell"`
					Lat  float64 `json:"lat"`
					Lng  float64 `json:"lng"`
				} `json:"cells"`
			}
			if err := d.client.do(sctx, http.MethodGet, "/api/v1/surge", nil, nil, &out, http.StatusOK); err == nil {
				cells := make([]string, len(out.Cells))
				for i, c := range out.Cells {
					cells[i] = c.Cell
					d.surge.noteCell(c.Cell, c.Lat, c.Lng)
				}
				d.ledger.SurgeRead(time.Now(), cells)
			} else if !errors.Is(sctx.Err(), context.Canceled) {
				d.ledger.countError("surge_read")
			}
			select {
			case <-sctx.Done():
				return
			case <-t.C:
			}
		}
	}()
}

// stopSurge ends the reads; people on duty after now are not held to
// being offered.
func (d *drill) stopSurge() {
	if d.surge == nil || d.surge.stop == nil {
		return
	}
	d.surge.cutoff = time.Now().Add(-lateGrace)
	d.surge.stop()
	d.surge.done.Wait()
}

// nudgeGates are the gates of this drill's surge.
func (d *drill) nudgeGates() NudgeGates {
	s := d.surge.spec
	return NudgeGates{MinInterval: s.interval(), Tick: surgeTick, Cells: []string{d.surgeCell()}, Places: s.Needs, Cutoff: d.surge.cutoff}
}

// surgeCellReachM is how far a resolution-7 cell's centre may lie from a
// point inside it (its edge is about 1.2 km).
const surgeCellReachM = 1500

// noteCell keeps the cell in surge nearest the needs.
func (r *surgeRun) noteCell(cell string, lat, lng float64) {
	dist := distanceM(orb.Point{lng, lat}, orb.Point{r.spec.At.Lng, r.spec.At.Lat})
	if dist <= surgeCellReachM && (r.cell == "" || dist < r.cellDistM) {
		r.cell, r.cellDistM = cell, dist
	}
}

// surgeCell is the cell the gates hold to: the one the nudges to the
// surge's own phones name (the server's word for where they are needed),
// else the cell in surge nearest the needs, so that a surge the reads saw
// but nobody was nudged for fails nudge_missing.
func (d *drill) surgeCell() string {
	named := map[string]int{}
	best := ""
	for _, n := range d.ledger.nudgesSeen() {
		if d.surge.ids[n.Responder] {
			named[n.Cell]++
			if best == "" || named[n.Cell] > named[best] {
				best = n.Cell
			}
		}
	}
	if best != "" {
		return best
	}
	return d.surge.cell
}
