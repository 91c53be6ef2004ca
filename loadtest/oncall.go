package loadtest

import (
	"context"
	"errors"
	"math/rand/v2"
	"net/http"
	"net/url"
	"sync"
	"time"
)

// OnCallReport is on-call coverage: a share of the people get weekly
// shift windows covering the whole drill (PUT /api/v1/responders/{id}/
// shifts), and the report asks how many needs an on-call responder was
// within reach of (offered one of its places) and how many staffed needs
// had one on the team. Windows that cover the drill change nobody's duty
// during it: the server acts only at a window's edges.
type OnCallReport struct {
	Responders    int     `json:"responders"` // given windows (2xx)
	ShiftsRefused int     `json:"shifts_refused"`
	Needs         int     `json:"needs"`   // created and fetched
	Reached       int     `json:"reached"` // needs offered to at least one on-call responder
	ReachedShare  float64 `json:"reached_share"`
	Staffed       int     `json:"staffed"` // needs staffed
	Covered       int     `json:"covered"` // staffed needs with an on-call responder among the accepted
	CoveredShare  float64 `json:"covered_share"`
}

// shiftWindow is one weekly window as the API takes it.
type shiftWindow struct {
	Day   string `json:"day"`
	Start string `json:"start"`
	End   string `json:"end"`
}

var weekdays = [...]string{"sun", "mon", "tue", "wed", "thu", "fri", "sat"}

// windowsCovering are the weekly windows, in Beijing time (the region's
// zone in every shipped scenario), that cover [from, to]: one per day
// touched, whole minutes, the last day ending at 24:00 when to reaches
// midnight. A span is at most a few days (a drill is at most 24 h).
func windowsCovering(from, to time.Time) []shiftWindow {
	from = from.In(beijing).Truncate(time.Minute)
	to = to.In(beijing)
	if t := to.Truncate(time.Minute); t.Before(to) {
		to = t.Add(time.Minute)
	}
	var out []shiftWindow
	for day := time.Date(from.Year(), from.Month(), from.Day(), 0, 0, 0, 0, beijing); day.Before(to) && len(out) < 7; day = day.AddDate(0, 0, 1) {
		next := day.AddDate(0, 0, 1)
		start, end := maxTime(from, day), minTime(to, next)
		if !start.Before(end) {
			continue
		}
		w := shiftWindow{Day: weekdays[day.Weekday()], Start: start.Format("15:04"), End: end.Format("15:04")}
		if !end.Before(next) {
			w.End = "24:00"
		}
		out = append(out, w)
	}
	return out
}

func maxTime(a, b time.Time) time.Time {
	if a.After(b) {
		return a
	}
	return b
}

// putShifts gives the on-call share of the people windows covering
// the drill (an hour either side), drawn by a stream of its own so the
// rest of the drill is the same person for person; it returns who got
// them.
func (d *drill) putShifts(ctx context.Context) map[string]bool {
	f := d.sc.Field
	onCall := map[string]bool{}
	if f == nil || f.OnCallShare <= 0 {
		return onCall
	}
	r := rand.New(rand.NewPCG(d.seed, 0x0c4a11))
	var chosen []Person
	for _, p := range d.people {
		if r.Float64() < f.OnCallShare {
			chosen = append(chosen, p)
		}
	}
	now := time.Now()
	body := map[string]any{"windows": windowsCovering(now.Add(-time.Hour), now.Add(d.sc.Duration+d.sc.Drain+time.Hour))}
	d.logf("giving %d responders shift windows covering the drill (on call) ...", len(chosen))
	var mu sync.Mutex
	jobs := make(chan Person)
	var wg sync.WaitGroup
	for range 16 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for p := range jobs {
				err := d.client.do(ctx, http.MethodPut, "/api/v1/responders/"+url.PathEscape(p.ID)+"/shifts", nil, body, nil, http.StatusOK)
				if err != nil {
					code := "network"
					var apiErr *APIError
					if errors.As(err, &apiErr) {
						code = apiErr.Code
					}
					d.ledger.countError("put_shifts:" + code)
					continue
				}
				mu.Lock()
				onCall[p.ID] = true
				mu.Unlock()
			}
		}()
	}
	pace := time.NewTicker(time.Second / fetchPerSecond)
	defer pace.Stop()
	for _, p := range chosen {
		select {
		case <-pace.C:
		case <-ctx.Done():
		}
		if ctx.Err() != nil {
			break
		}
		jobs <- p
	}
	close(jobs)
	wg.Wait()
	d.shiftsRefused = len(chosen) - len(onCall)
	return onCall
}

// onCallCoverage measures coverage from the server's record of each need;
// l.mu held.
func onCallCoverage(l *Ledger, onCall map[string]bool, refused int) *OnCallReport {
	r := &OnCallReport{Responders: len(onCall), ShiftsRefused: refused}
	for _, id := range l.order {
		n := l.needs[id].Server
		if n == nil {
			continue
		}
		r.Needs++
		reached, covered := false, false
		for _, a := range n.Assignments {
			if onCall[a.ResponderID] {
				reached = true
				if a.State == "accepted" || a.State == "completed" {
					covered = true
				}
			}
		}
		staffed := n.Status == "staffed" || n.Status == "completed"
		if reached {
			r.Reached++
		}
		if staffed {
			r.Staffed++
			if covered {
				r.Covered++
			}
		}
	}
	if r.Needs > 0 {
		r.ReachedShare = round(float64(r.Reached)/float64(r.Needs), 4)
	}
	if r.Staffed > 0 {
		r.CoveredShare = round(float64(r.Covered)/float64(r.Staffed), 4)
	}
	return r
}
