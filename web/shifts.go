package web

import (
	"context"
	"fmt"
	"net/http"
	"time"

	"github.com/liandong/liandong/mobilize"
)

// Shifts: a responder (or staff for them) gives weekly windows of
// availability; the server's shift loop puts them on duty at a window's
// start and off at its end, unless on a task (mobilize/shifts.go). Times
// are in the region's zone (ui.time_zone).

// shiftApp is what the shift routes need of the application.
type shiftApp interface {
	SetShifts(ctx context.Context, rid mobilize.ResponderID, ws []mobilize.ShiftWindow) error
	Shifts(ctx context.Context, rid mobilize.ResponderID) ([]mobilize.ShiftWindow, error)
}

// shiftWindowJSON is one weekly window as the API shows it.
type shiftWindowJSON struct {
	Day   string `json:"day" api:"required" enum:"mon,tue,wed,thu,fri,sat,sun"`
	Start string `json:"start" api:"required" doc:"HH:MM in the region's time zone"`
	End   string `json:"end" api:"required" doc:"HH:MM after start; 24:00 is the day's end"`
}

type shiftsJSON struct {
	Windows []shiftWindowJSON `json:"windows" api:"required" doc:"up to 21 windows, none overlapping; empty opts out"`
}

var dayNames = []string{"sun", "mon", "tue", "wed", "thu", "fri", "sat"}

func parseClock(s string) (int, bool) {
	var h, m int
	if len(s) != 5 || s[2] != ':' {
		return 0, false
	}
	if _, err := fmt.Sscanf(s, "%02d:%02d", &h, &m); err != nil || h > 24 || m > 59 || (h == 24 && m != 0) {
		return 0, false
	}
	return h*60 + m, true
}

func clockText(min int) string { return fmt.Sprintf("%02d:%02d", min/60, min%60) }

// parseShifts reads PUT /api/v1/responders/{id}/shifts.
func parseShifts(body []byte) ([]mobilize.ShiftWindow, error) {
	var req shiftsJSON
	if err := decodeStrict(body, &req); err != nil {
		return nil, err
	}
	var p problems
	out := make([]mobilize.ShiftWindow, 0, len(req.Windows))
	for i, w := range req.Windows {
		day := -1
		for d, name := range dayNames {
			if w.Day == name {
				day = d
			}
		}
		start, okStart := parseClock(w.Start)
		end, okEnd := parseClock(w.End)
		if day < 0 || !okStart || !okEnd {
			p.addf("windows[%d]: day must be mon..sun and start, end HH:MM", i)
			continue
		}
		out = append(out, mobilize.ShiftWindow{Day: time.Weekday(day), Start: start, End: end})
	}
	if err := p.err(); err != nil {
		return nil, err
	}
	if err := mobilize.CheckShifts(out); err != nil {
		return nil, invalid(err.Error())
	}
	return out, nil
}

func toShiftsJSON(ws []mobilize.ShiftWindow) shiftsJSON {
	out := shiftsJSON{Windows: make([]shiftWindowJSON, len(ws))}
	for i, w := range ws {
		out.Windows[i] = shiftWindowJSON{Day: dayNames[w.Day], Start: clockText(w.Start), End: clockText(w.End)}
	}
	return out
}

// handlePutShifts is PUT /api/v1/responders/{id}/shifts.
func (g *rosterGroup) handlePutShifts(ctx context.Context, c *call) error {
	ws, err := parseShifts(c.body)
	if err != nil {
		return err
	}
	r, _, err := responderFor(ctx, g.app, c)
	if err != nil {
		return err
	}
	if err := g.app.SetShifts(ctx, r.ID, ws); err != nil {
		return err
	}
	g.audit.record(ctx, c.id, "responder.shifts", string(r.ID), len(ws))
	c.json(http.StatusOK, toShiftsJSON(ws))
	return nil
}

// handleGetShifts is GET /api/v1/responders/{id}/shifts.
func (g *rosterGroup) handleGetShifts(ctx context.Context, c *call) error {
	r, _, err := responderFor(ctx, g.app, c)
	if err != nil {
		return err
	}
	ws, err := g.app.Shifts(ctx, r.ID)
	if err != nil {
		return err
	}
	c.json(http.StatusOK, toShiftsJSON(ws))
	return nil
}
