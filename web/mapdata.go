package web

import (
	"context"
	"net/http"
	"strconv"
	"strings"

	"go.uber.org/zap"

	"github.com/liandong/liandong/geo"
	"github.com/liandong/liandong/mobilize"
	"github.com/liandong/liandong/mobilize/redisstore"
)

// announceLocated tells the consoles a responder's new position, from what
// recording it found (no read back). A report older than the position
// held tells them nothing.
func announceLocated(ctx context.Context, svc *mobilize.Service, rid mobilize.ResponderID, l redisstore.Location, got redisstore.Located) {
	if got.Applied {
		svc.Moved(ctx, rid, got.Role, got.Status, l.At, l.Point)
	}
}

// moved tells the consoles a responder's new position and state. A failure
// to read it back only costs a map update, so it is logged, not returned.
func announceMoved(ctx context.Context, store *redisstore.Store, svc *mobilize.Service, log *zap.Logger, rid mobilize.ResponderID) {
	e, err := store.Get(ctx, rid)
	if err != nil || !e.Located {
		if err != nil {
			log.Debug("responder.moved not sent", zap.String("responder_id", string(rid)), zap.Error(err))
		}
		return
	}
	svc.Moved(ctx, rid, e.Role, e.Status, e.LastSeen, e.Point)
}

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
func (a *API) handleSupply(ctx context.Context, c *call) error {
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
	cells, err := a.store.Supply(ctx, box, counted)
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
