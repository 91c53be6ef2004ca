package reach

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"time"

	"go.uber.org/zap"
)

// OnlineRecords keeps per-process markers of responders with open
// sockets (redisstore.Reach).
type OnlineRecords interface {
	MarkOnline(ctx context.Context, process string, rids []string, now time.Time, ttl time.Duration) error
	MarkOffline(ctx context.Context, process, rid string) error
}

// Online is the hub's realtime.Presence on Redis: each process marks the
// responders whose sockets it holds, under a name of its own, so that one
// process closing a socket does not hide another process's. A marker
// lives ttl, which must exceed the hub's ping interval (every ping cycle
// renews it); a process that dies leaves markers that lapse within ttl.
type Online struct {
	rec     OnlineRecords
	process string
	ttl     time.Duration
	log     *zap.Logger
}

// NewOnline names this process at random and marks for ttl.
func NewOnline(rec OnlineRecords, ttl time.Duration, log *zap.Logger) *Online {
	if log == nil {
		log = zap.NewNop()
	}
	b := make([]byte, 8)
	rand.Read(b)
	return &Online{rec: rec, process: hex.EncodeToString(b), ttl: ttl, log: log}
}

// Seen renews the markers of userIDs.
func (o *Online) Seen(ctx context.Context, userIDs []string) {
	if err := o.rec.MarkOnline(ctx, o.process, userIDs, time.Now(), o.ttl); err != nil {
		o.log.Warn("reach: online markers not renewed", zap.Int("responders", len(userIDs)), zap.Error(err))
	}
}

// Gone removes this process's marker of userID.
func (o *Online) Gone(ctx context.Context, userID string) {
	if err := o.rec.MarkOffline(ctx, o.process, userID); err != nil {
		o.log.Warn("reach: online marker not removed", zap.String("responder_id", userID), zap.Error(err))
	}
}
