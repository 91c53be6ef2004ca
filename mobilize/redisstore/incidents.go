package redisstore

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/paulmach/orb"
	"github.com/paulmach/orb/geojson"
	"github.com/redis/go-redis/v9"

	"github.com/liandong/liandong/mobilize"
	"github.com/liandong/liandong/mobilize/cap"
)

func (k keys) incidents() string              { return k.base + "incidents" }
func (k keys) incident(id string) string      { return k.base + "incident:" + id }
func (k keys) incidentNeeds(id string) string { return k.base + "incident:" + id + ":needs" }
func (k keys) capProcessed() string           { return k.base + "cap:processed" }
func (k keys) capAlerts() string              { return k.base + "cap:alerts" }
func (k keys) capPreAlert(alert, rid string) string {
	return k.base + "cap:prealert:" + alert + ":" + rid
}

// IncidentStore keeps the incidents, the needs grouped under each and
// what CAP alerts did. Its keys, under the region's prefix and hash tag:
//
//	{P}{R}:incidents                       ZSET   incident id -> created (Unix ms)
//	{P}{R}:incident:<id>                   HASH   status (active, closed), data (JSON, the area as GeoJSON, the frozen figures once closed)
//	{P}{R}:incident:<id>:needs             SET    ids of the needs that joined it
//	{P}{R}:cap:alerts                      HASH   "sender,identifier" of a CAP alert -> the incident it created or updated
//	{P}{R}:cap:prealert:<incident>:<person> STRING set once (NX) when the person was pre-alerted; expires after the warning
//	{P}{R}:cap:processed                   HASH   "alert:sender,identifier" or "link:<url>" a feed poller applied -> Unix ms
//
// Closing is one script: only an active incident closes, so its figures
// are frozen once.
type IncidentStore struct {
	region
}

// NewIncidentStore returns the incidents of one region over rdb (opts as
// for NewStore; Resolution is not used). It does not touch Redis.
func NewIncidentStore(rdb redis.UniversalClient, opts IndexOptions) *IncidentStore {
	return &IncidentStore{region: newRegion(rdb, opts)}
}

// storedIncident is an incident as kept: its area as GeoJSON beside it.
type storedIncident struct {
	mobilize.Incident
	Area json.RawMessage `json:"area"`
}

func encodeIncident(in mobilize.Incident) (string, error) {
	area, err := json.Marshal(geojson.NewGeometry(in.Area))
	if err != nil {
		return "", err
	}
	data, err := json.Marshal(storedIncident{Incident: in, Area: area})
	return string(data), err
}

func decodeIncident(data string) (mobilize.Incident, error) {
	var si storedIncident
	if err := json.Unmarshal([]byte(data), &si); err != nil {
		return mobilize.Incident{}, fmt.Errorf("incident: corrupt data: %w", err)
	}
	g, err := geojson.UnmarshalGeometry(si.Area)
	if err != nil {
		return mobilize.Incident{}, fmt.Errorf("incident %s: corrupt area: %w", si.ID, err)
	}
	switch a := g.Geometry().(type) {
	case orb.MultiPolygon:
		si.Incident.Area = a
	case orb.Polygon:
		si.Incident.Area = orb.MultiPolygon{a}
	default:
		return mobilize.Incident{}, fmt.Errorf("incident %s: area is a %s", si.ID, g.Geometry().GeoJSONType())
	}
	return si.Incident, nil
}

// CreateIncident stores a new incident; ErrConflict when its id is taken.
func (s *IncidentStore) CreateIncident(ctx context.Context, in mobilize.Incident) error {
	data, err := encodeIncident(in)
	if err != nil {
		return err
	}
	created, err := incidentCreateScript.Run(ctx, s.rdb, []string{s.keys.incident(string(in.ID)), s.keys.incidents()},
		string(in.Status), data, string(in.ID), in.CreatedAt.UnixMilli()).Int()
	if err != nil {
		return fmt.Errorf("create incident %s: %w", in.ID, err)
	}
	if created == 0 {
		return fmt.Errorf("incident %s exists: %w", in.ID, mobilize.ErrConflict)
	}
	return nil
}

// incidentCreateScript writes a new incident and lists it, or nothing if
// the id exists.
var incidentCreateScript = redis.NewScript(`
if redis.call('EXISTS', KEYS[1]) == 1 then return 0 end
redis.call('HSET', KEYS[1], 'status', ARGV[1], 'data', ARGV[2])
redis.call('ZADD', KEYS[2], ARGV[4], ARGV[3])
return 1`)

// incidentReplaceScript replaces an active incident's data and status:
// 1 done, 0 it is not active (closed), -1 it does not exist.
var incidentReplaceScript = redis.NewScript(`
local st = redis.call('HGET', KEYS[1], 'status')
if not st then return -1 end
if st ~= 'active' then return 0 end
redis.call('HSET', KEYS[1], 'status', ARGV[1], 'data', ARGV[2])
return 1`)

func (s *IncidentStore) replace(ctx context.Context, in mobilize.Incident) (int, error) {
	data, err := encodeIncident(in)
	if err != nil {
		return 0, err
	}
	n, err := incidentReplaceScript.Run(ctx, s.rdb, []string{s.keys.incident(string(in.ID))}, string(in.Status), data).Int()
	if err != nil {
		return 0, fmt.Errorf("incident %s: %w", in.ID, err)
	}
	if n < 0 {
		return 0, fmt.Errorf("incident %s: %w", in.ID, mobilize.ErrNotFound)
	}
	return n, nil
}

// UpdateIncident replaces an active incident (its area, headline,
// expiry); ErrInvalidTransition when it is closed.
func (s *IncidentStore) UpdateIncident(ctx context.Context, in mobilize.Incident) error {
	if in.Status != mobilize.IncidentActive {
		return fmt.Errorf("update incident %s to %s: %w", in.ID, in.Status, mobilize.ErrInvalid)
	}
	n, err := s.replace(ctx, in)
	if err == nil && n == 0 {
		err = fmt.Errorf("incident %s is closed: %w", in.ID, mobilize.ErrInvalidTransition)
	}
	return err
}

// CloseIncident stores in (closed, with its figures) only if the stored
// one is still active; false when it was closed already.
func (s *IncidentStore) CloseIncident(ctx context.Context, in mobilize.Incident) (bool, error) {
	if in.Status != mobilize.IncidentClosed || in.Figures == nil {
		return false, fmt.Errorf("close incident %s without figures: %w", in.ID, mobilize.ErrInvalid)
	}
	n, err := s.replace(ctx, in)
	return n == 1, err
}

// Incident returns one incident.
func (s *IncidentStore) Incident(ctx context.Context, id mobilize.IncidentID) (mobilize.Incident, error) {
	data, err := s.rdb.HGet(ctx, s.keys.incident(string(id)), "data").Result()
	if errors.Is(err, redis.Nil) {
		return mobilize.Incident{}, fmt.Errorf("incident %s: %w", id, mobilize.ErrNotFound)
	}
	if err != nil {
		return mobilize.Incident{}, fmt.Errorf("incident %s: %w", id, err)
	}
	return decodeIncident(data)
}

// Incidents returns every incident, oldest first.
func (s *IncidentStore) Incidents(ctx context.Context) ([]mobilize.Incident, error) {
	ids, err := s.rdb.ZRange(ctx, s.keys.incidents(), 0, -1).Result()
	if err != nil {
		return nil, fmt.Errorf("incidents: %w", err)
	}
	pipe := s.rdb.Pipeline()
	cmds := make([]*redis.StringCmd, len(ids))
	for i, id := range ids {
		cmds[i] = pipe.HGet(ctx, s.keys.incident(id), "data")
	}
	if _, err := pipe.Exec(ctx); err != nil && !errors.Is(err, redis.Nil) {
		return nil, fmt.Errorf("incidents: %w", err)
	}
	out := make([]mobilize.Incident, 0, len(ids))
	for _, c := range cmds {
		if c.Err() != nil {
			continue // listed but gone: nothing to show
		}
		in, err := decodeIncident(c.Val())
		if err != nil {
			return nil, err
		}
		out = append(out, in)
	}
	return out, nil
}

// AddIncidentNeed counts a need under an incident.
func (s *IncidentStore) AddIncidentNeed(ctx context.Context, id mobilize.IncidentID, need mobilize.NeedID) error {
	if err := s.rdb.SAdd(ctx, s.keys.incidentNeeds(string(id)), string(need)).Err(); err != nil {
		return fmt.Errorf("incident %s: add need %s: %w", id, need, err)
	}
	return nil
}

// IncidentNeeds lists the ids of an incident's needs.
func (s *IncidentStore) IncidentNeeds(ctx context.Context, id mobilize.IncidentID) ([]mobilize.NeedID, error) {
	ids, err := s.rdb.SMembers(ctx, s.keys.incidentNeeds(string(id))).Result()
	if err != nil {
		return nil, fmt.Errorf("incident %s needs: %w", id, err)
	}
	out := make([]mobilize.NeedID, len(ids))
	for i, v := range ids {
		out[i] = mobilize.NeedID(v)
	}
	return out, nil
}

// AlertIncident is the incident a CAP alert created or updated.
func (s *IncidentStore) AlertIncident(ctx context.Context, alert string) (mobilize.IncidentID, bool, error) {
	id, err := s.rdb.HGet(ctx, s.keys.capAlerts(), alert).Result()
	if errors.Is(err, redis.Nil) {
		return "", false, nil
	}
	if err != nil {
		return "", false, fmt.Errorf("cap alert: %w", err)
	}
	return mobilize.IncidentID(id), true, nil
}

// LinkAlert remembers the incident of a CAP alert.
func (s *IncidentStore) LinkAlert(ctx context.Context, alert string, id mobilize.IncidentID) error {
	if err := s.rdb.HSet(ctx, s.keys.capAlerts(), alert, string(id)).Err(); err != nil {
		return fmt.Errorf("cap alert: %w", err)
	}
	return nil
}

// FirstPreAlert reports whether the person was not pre-alerted of this
// alert yet, and marks them so until ttl (SET NX).
func (s *IncidentStore) FirstPreAlert(ctx context.Context, alert string, rid mobilize.ResponderID, ttl time.Duration) (bool, error) {
	ok, err := s.rdb.SetNX(ctx, s.keys.capPreAlert(alert, string(rid)), 1, ttl).Result()
	if err != nil {
		return false, fmt.Errorf("pre-alert: %w", err)
	}
	return ok, nil
}

// The feed poller remembers what it applied here.
var _ cap.Processed = (*IncidentStore)(nil)

// CAPProcessed reports whether a feed's alert (or link) was applied.
func (s *IncidentStore) CAPProcessed(ctx context.Context, key string) (bool, error) {
	ok, err := s.rdb.HExists(ctx, s.keys.capProcessed(), key).Result()
	if err != nil {
		return false, fmt.Errorf("cap processed: %w", err)
	}
	return ok, nil
}

// MarkCAPProcessed remembers that a feed's alert (or link) was applied.
func (s *IncidentStore) MarkCAPProcessed(ctx context.Context, key string) error {
	if err := s.rdb.HSetNX(ctx, s.keys.capProcessed(), key, s.now().UnixMilli()).Err(); err != nil {
		return fmt.Errorf("cap processed: %w", err)
	}
	return nil
}
