package redisstore

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/redis/go-redis/v9"

	"github.com/liandong/liandong/mobilize"
)

// The last situation report of each incident, so that the next one can
// say what changed:
//
//	{P}{R}:incident:<id>:sitrep  STRING  JSON of mobilize.SitrepSnapshot
func (k keys) incidentSitrep(id string) string { return k.base + "incident:" + id + ":sitrep" }

// SwapSitrep stores snap as the incident's last report and returns the
// one it replaces, in one step (SET ... GET), so that two reports
// generated at once each see a different predecessor.
func (s *IncidentStore) SwapSitrep(ctx context.Context, id mobilize.IncidentID, snap mobilize.SitrepSnapshot) (mobilize.SitrepSnapshot, bool, error) {
	data, err := json.Marshal(snap)
	if err != nil {
		return mobilize.SitrepSnapshot{}, false, err
	}
	old, err := s.rdb.SetArgs(ctx, s.keys.incidentSitrep(string(id)), data, redis.SetArgs{Get: true}).Result()
	if errors.Is(err, redis.Nil) {
		return mobilize.SitrepSnapshot{}, false, nil
	}
	if err != nil {
		return mobilize.SitrepSnapshot{}, false, fmt.Errorf("sitrep of incident %s: %w", id, err)
	}
	return decodeSitrep(old)
}

// LastSitrep is the incident's last report kept.
func (s *IncidentStore) LastSitrep(ctx context.Context, id mobilize.IncidentID) (mobilize.SitrepSnapshot, bool, error) {
	raw, err := s.rdb.Get(ctx, s.keys.incidentSitrep(string(id))).Result()
	if errors.Is(err, redis.Nil) {
		return mobilize.SitrepSnapshot{}, false, nil
	}
	if err != nil {
		return mobilize.SitrepSnapshot{}, false, fmt.Errorf("sitrep of incident %s: %w", id, err)
	}
	return decodeSitrep(raw)
}

// decodeSitrep reads a kept report; a damaged one counts as none, so
// that it cannot block the next report.
func decodeSitrep(raw string) (mobilize.SitrepSnapshot, bool, error) {
	var snap mobilize.SitrepSnapshot
	if err := json.Unmarshal([]byte(raw), &snap); err != nil {
		return mobilize.SitrepSnapshot{}, false, nil
	}
	return snap, true, nil
}
