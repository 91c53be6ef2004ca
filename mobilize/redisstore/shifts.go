package redisstore

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/liandong/liandong/mobilize"
)

// Shifts, part of NeedStore: the weekly windows of the responders who
// opted in, and how far the shift loop got. Its keys:
//
//	{P}{R}:shifts          HASH   responder id -> JSON list of windows (day, start and end minute)
//	{P}{R}:shifts:checked  STRING Unix ms of the shift loop's last pass

func (k keys) shifts() string        { return k.base + "shifts" }
func (k keys) shiftsChecked() string { return k.base + "shifts:checked" }

var _ mobilize.ShiftStore = (*Store)(nil)

// SetShifts replaces a responder's windows; none removes them.
func (s *NeedStore) SetShifts(ctx context.Context, rid mobilize.ResponderID, ws []mobilize.ShiftWindow) error {
	if err := validID(rid); err != nil {
		return err
	}
	if len(ws) == 0 {
		return s.rdb.HDel(ctx, s.keys.shifts(), string(rid)).Err()
	}
	raw, err := json.Marshal(ws)
	if err != nil {
		return err
	}
	return s.rdb.HSet(ctx, s.keys.shifts(), string(rid), raw).Err()
}

// Shifts returns a responder's windows.
func (s *NeedStore) Shifts(ctx context.Context, rid mobilize.ResponderID) ([]mobilize.ShiftWindow, error) {
	raw, err := s.rdb.HGet(ctx, s.keys.shifts(), string(rid)).Result()
	if errors.Is(err, redis.Nil) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("shifts %s: %w", rid, err)
	}
	var ws []mobilize.ShiftWindow
	if err := json.Unmarshal([]byte(raw), &ws); err != nil {
		return nil, fmt.Errorf("shifts %s: corrupt record: %w", rid, err)
	}
	return ws, nil
}

// AllShifts reads every opted-in responder's windows, HSCAN a thousand at
// a time so that no one call blocks Redis.
func (s *NeedStore) AllShifts(ctx context.Context) (map[mobilize.ResponderID][]mobilize.ShiftWindow, error) {
	out := map[mobilize.ResponderID][]mobilize.ShiftWindow{}
	var cursor uint64
	for {
		kv, next, err := s.rdb.HScan(ctx, s.keys.shifts(), cursor, "", queryChunk).Result()
		if err != nil {
			return nil, fmt.Errorf("shifts: %w", err)
		}
		for i := 0; i+1 < len(kv); i += 2 {
			var ws []mobilize.ShiftWindow
			if err := json.Unmarshal([]byte(kv[i+1]), &ws); err != nil {
				return nil, fmt.Errorf("shifts %s: corrupt record: %w", kv[i], err)
			}
			out[mobilize.ResponderID(kv[i])] = ws
		}
		if cursor = next; cursor == 0 {
			return out, nil
		}
	}
}

// ShiftsChecked returns when the shift loop last passed.
func (s *NeedStore) ShiftsChecked(ctx context.Context) (time.Time, error) {
	raw, err := s.rdb.Get(ctx, s.keys.shiftsChecked()).Result()
	if errors.Is(err, redis.Nil) {
		return time.Time{}, nil
	}
	if err != nil {
		return time.Time{}, fmt.Errorf("shifts checked: %w", err)
	}
	ms, err := strconv.ParseInt(raw, 10, 64)
	if err != nil {
		return time.Time{}, fmt.Errorf("shifts checked: corrupt %q", raw)
	}
	return time.UnixMilli(ms).UTC(), nil
}

// MarkShiftsChecked records the shift loop's pass.
func (s *NeedStore) MarkShiftsChecked(ctx context.Context, at time.Time) error {
	return s.rdb.Set(ctx, s.keys.shiftsChecked(), at.UnixMilli(), 0).Err()
}

// ShiftOff takes a responder off duty at a window's end unless they hold
// an offer or an assignment (duty.lua decides, in one step with the load).
func (s *NeedStore) ShiftOff(ctx context.Context, id mobilize.ResponderID) (bool, error) {
	if err := validID(id); err != nil {
		return false, err
	}
	st, err := dutyScript.Run(ctx, s.rdb, s.scriptKeys, s.argv(string(id), "0", "shift")...).Text()
	if err != nil && strings.HasPrefix(err.Error(), "NOTFOUND") {
		return false, scriptErr("shift off", id, err)
	}
	if err != nil {
		return false, fmt.Errorf("shift off %s: %w", id, err)
	}
	return st == "kept", nil
}
