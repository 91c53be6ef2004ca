package realtime_test

import (
	"github.com/redis/go-redis/v9"
	"go.uber.org/zap"

	"github.com/liandong/liandong/realtime"
	"github.com/liandong/liandong/realtime/redisrt"
)

// The hub's tests live in package realtime, which redisrt imports; this
// file, outside it, hands them redisrt's constructor.
func init() {
	realtime.NewRedisBackend = func(rdb redis.UniversalClient, prefix string, inboxMaxLen int, log *zap.Logger) (realtime.Inbox, realtime.Broker) {
		return redisrt.New(rdb, prefix, redisrt.Options{InboxMaxLen: inboxMaxLen, Logger: log})
	}
}
