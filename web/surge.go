package web

import (
	"context"
	"net/http"

	"github.com/liandong/liandong/mobilize"
)

// surgeApp is what the surge route reads of the application.
type surgeApp interface {
	Surge(ctx context.Context) ([]mobilize.SurgeCell, error)
}

// surgeGroup serves the cells in surge (surge nudges) to the console's
// heatmap.
type surgeGroup struct {
	app surgeApp
}

type surgeCellJSON struct {
	Cell        string  `json:"cell" doc:"resolution-7 H3 cell, hex"`
	Lat         float64 `json:"lat" doc:"the cell's centre"`
	Lng         float64 `json:"lng"`
	PlacesShort int     `json:"places_short" doc:"places nobody could be offered in the last matcher tick (nobody_in_radius, all_busy, all_declined)"`
	Urgency     int     `json:"urgency" doc:"the most urgent of them, 1..5"`
	NudgesSent  int     `json:"nudges_sent" doc:"off-duty responders asked to go on duty since the cell entered the surge"`
}

type surgeJSON struct {
	Cells []surgeCellJSON `json:"cells"`
}

// handleSurge is GET /api/v1/surge: the cells in surge after the last
// matcher tick, with the nudges sent for each.
func (g *surgeGroup) handleSurge(ctx context.Context, c *call) error {
	cells, err := g.app.Surge(ctx)
	if err != nil {
		return err
	}
	out := surgeJSON{Cells: make([]surgeCellJSON, 0, len(cells))}
	for _, s := range cells {
		out.Cells = append(out.Cells, surgeCellJSON{Cell: s.Cell.String(), Lat: s.Point.Lat(), Lng: s.Point.Lon(),
			PlacesShort: s.PlacesShort, Urgency: s.Urgency, NudgesSent: s.NudgesSent})
	}
	c.json(http.StatusOK, out)
	return nil
}
