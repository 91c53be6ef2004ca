package web

import (
	"context"
	"net/http"
	"strconv"
	"strings"

	"github.com/liandong/liandong/geo"
)

type supplyCell struct {
	Cell      string `json:"cell"`
	Available int    `json:"available"`
}

type supplyJSON struct {
	Res   int          `json:"res"`
	Cells []supplyCell `json:"cells"`
}

// parseBBox reads "minLng,minLat,maxLng,maxLat".
func parseBBox(s string) (geo.BBox, error) {
	parts := strings.Split(s, ",")
	if len(parts) != 4 {
		return geo.BBox{}, invalid("bbox must be minLng,minLat,maxLng,maxLat")
	}
	var v [4]float64
	for i, p := range parts {
		f, err := strconv.ParseFloat(strings.TrimSpace(p), 64)
		if err != nil {
			return geo.BBox{}, invalid("bbox must be four numbers")
		}
		v[i] = f
	}
	box, err := geo.NewBBox(v[0], v[1], v[2], v[3])
	if err != nil {
		return geo.BBox{}, invalid("bbox: " + err.Error())
	}
	return box, nil
}

// handleSupply is GET /api/v1/map/supply: available responders per H3
// cell in a box, the supply side of the console's heatmap. Supply is
// counted at resolutions 7 and 5; a coarser request is rolled up, a finer
// one answered at 7 (the reply says which).
func (g *statsGroup) handleSupply(ctx context.Context, c *call) error {
	q := c.r.URL.Query()
	box, err := parseBBox(q.Get("bbox"))
	if err != nil {
		return err
	}
	res := 7
	if s := q.Get("res"); s != "" {
		if res, err = strconv.Atoi(s); err != nil || res < 3 || res > 9 {
			return invalid("res must be an integer 3..9")
		}
	}
	counted := 7
	if res <= 5 {
		counted = 5
	}
	cells, err := g.app.Supply(ctx, box, counted)
	if err != nil {
		return err
	}
	out := supplyJSON{Res: min(res, counted), Cells: []supplyCell{}}
	rolled := map[geo.Cell]int{}
	for cell, n := range cells {
		if p, err := cell.Parent(out.Res); err == nil {
			rolled[p] += n
		}
	}
	for cell, n := range rolled {
		out.Cells = append(out.Cells, supplyCell{Cell: cell.String(), Available: n})
	}
	c.json(http.StatusOK, out)
	return nil
}
