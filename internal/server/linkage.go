package server

import (
	"context"
	"fmt"
	"os"
	"time"

	"go.uber.org/zap"

	"github.com/liandong/liandong/mobilize"
	"github.com/liandong/liandong/mobilize/redisstore"
)

// AreasConfig names a GeoJSON FeatureCollection of areas (city, district,
// street, community) loaded at start, all or nothing; empty loads none
// (areas may still be loaded with POST /api/v1/areas). Loading again
// replaces areas of the same id, so a restart is harmless.
type AreasConfig struct {
	File string `yaml:"file"`
}

// EscalationConfig holds how long a need of each urgency may stay
// unfilled at one escalation step before it widens (mobilize/escalation.go).
type EscalationConfig struct {
	GoalUrgency1 time.Duration `yaml:"goal_urgency_1"`
	GoalUrgency2 time.Duration `yaml:"goal_urgency_2"`
	GoalUrgency3 time.Duration `yaml:"goal_urgency_3"`
	GoalUrgency4 time.Duration `yaml:"goal_urgency_4"`
	// WidenWhenEmpty skips a step at once when nobody in its scope is
	// available (default true): nobody waits a goal for people who
	// cannot come.
	WidenWhenEmpty bool `yaml:"widen_when_empty"`
}

func defaultEscalation() EscalationConfig {
	d := mobilize.DefaultEscalationConfig()
	g := d.Goals
	return EscalationConfig{GoalUrgency1: g[0], GoalUrgency2: g[1], GoalUrgency3: g[2], GoalUrgency4: g[3], WidenWhenEmpty: d.WidenWhenEmpty}
}

func (e EscalationConfig) goals() [4]time.Duration {
	return [4]time.Duration{e.GoalUrgency1, e.GoalUrgency2, e.GoalUrgency3, e.GoalUrgency4}
}

func (e EscalationConfig) validate() error {
	for i, g := range e.goals() {
		if g < time.Second {
			return fmt.Errorf("escalation.goal_urgency_%d: %s is shorter than 1s", i+1, g)
		}
	}
	return nil
}

// loadAreaFile loads the configured areas into the store.
func loadAreaFile(ctx context.Context, store *redisstore.Store, path string, log *zap.Logger) error {
	if path == "" {
		return nil
	}
	data, err := os.ReadFile(path)
	if err != nil {
		return fmt.Errorf("areas.file: %w", err)
	}
	areas, err := mobilize.ParseAreaCollection(data)
	if err == nil {
		err = store.PutAreas(ctx, areas)
	}
	if err != nil {
		return fmt.Errorf("areas.file %s: %w", path, err)
	}
	log.Info("areas loaded", zap.String("file", path), zap.Int("areas", len(areas)))
	return nil
}
