package redisstore

import (
	"context"
	_ "embed"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/liandong/liandong/geo"
	"github.com/liandong/liandong/mobilize"
)

// Surge nudges, part of NeedStore: the cells in surge after the last
// tick, and the once-per-interval, within-budget charge of each nudge.
// Its keys:
//
//	{P}{R}:surge              HASH    res-7 cell -> "places short|urgency", replaced each tick
//	{P}{R}:surge:sent         HASH    res-7 cell -> nudges sent since it entered the surge
//	{P}{R}:nudge:<rid>        STRING  the cell of the person's last nudge, expiring after the interval
//	{P}{R}:fairload           HASH    the alert budget's window (fairload.go), charged per nudge

//go:embed lua/nudge.lua
var nudgeBody string

//go:embed lua/surge.lua
var surgeBody string

var (
	nudgeScript = newScript("nudge.lua", nudgeBody, fairloadLib)
	surgeScript = newScript("surge.lua", surgeBody)
)

var _ mobilize.SurgeStore = (*Store)(nil)

func (k keys) surge() string     { return k.base + "surge" }
func (k keys) surgeSent() string { return k.base + "surge:sent" }

// nudgeMarker is nudge.lua's key of a person's last nudge.
func (k keys) nudgeMarker(rid mobilize.ResponderID) string { return k.base + "nudge:" + string(rid) }

// ChargeNudge sends one nudge unless the person had one within interval
// or their budget is spent (nudge.lua).
func (s *NeedStore) ChargeNudge(ctx context.Context, rid mobilize.ResponderID, cell geo.Cell, interval time.Duration, budget int) (mobilize.NudgeCharge, error) {
	if err := validID(rid); err != nil {
		return "", err
	}
	if interval <= 0 {
		return "", fmt.Errorf("nudge %s: interval %s: %w", rid, interval, mobilize.ErrInvalid)
	}
	out, err := nudgeScript.Run(ctx, s.rdb, s.scriptKeys, s.argv(string(rid), cell.String(), interval.Milliseconds(), budget)...).Text()
	if err != nil {
		return "", fmt.Errorf("nudge %s: %w", rid, err)
	}
	return mobilize.NudgeCharge(out), nil
}

// SetSurge replaces the cells in surge (surge.lua).
func (s *NeedStore) SetSurge(ctx context.Context, cells []mobilize.SurgeCell) error {
	extra := make([]any, 0, 2*len(cells))
	for _, c := range cells {
		extra = append(extra, c.Cell.String(), fmt.Sprintf("%d|%d", c.PlacesShort, c.Urgency))
	}
	if err := surgeScript.Run(ctx, s.rdb, s.scriptKeys, s.argv(extra...)...).Err(); err != nil {
		return fmt.Errorf("surge: %w", err)
	}
	return nil
}

// Surge reads the cells in surge with their nudge counts, in cell order.
func (s *NeedStore) Surge(ctx context.Context) ([]mobilize.SurgeCell, error) {
	pipe := s.rdb.Pipeline()
	cellsCmd := pipe.HGetAll(ctx, s.keys.surge())
	sentCmd := pipe.HGetAll(ctx, s.keys.surgeSent())
	if _, err := pipe.Exec(ctx); err != nil {
		return nil, fmt.Errorf("surge: %w", err)
	}
	sent := sentCmd.Val()
	var out []mobilize.SurgeCell
	for field, v := range cellsCmd.Val() {
		c, err := geo.ParseCell(field)
		if err != nil {
			continue // not ours: skipped rather than failing the map
		}
		placesText, urgencyText, _ := strings.Cut(v, "|")
		places, _ := strconv.Atoi(placesText)
		urgency, _ := strconv.Atoi(urgencyText)
		n, _ := strconv.Atoi(sent[field])
		out = append(out, mobilize.SurgeCell{Cell: c, Point: c.Centre(), PlacesShort: places, Urgency: urgency, NudgesSent: n})
	}
	slices.SortFunc(out, func(a, b mobilize.SurgeCell) int { return strings.Compare(a.Cell.String(), b.Cell.String()) })
	return out, nil
}
