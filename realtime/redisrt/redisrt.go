// Package redisrt keeps the websocket hub's inboxes and carries its fan-out
// on Redis: realtime.Inbox on streams and Lua scripts (inbox.go),
// realtime.Broker on pub/sub (broker.go). It lives apart from realtime so
// that what serves websockets does not import a Redis client.
package redisrt

import (
	"time"

	"github.com/redis/go-redis/v9"
	"go.uber.org/zap"
)

// Options configure New. Zero values take the defaults named below.
type Options struct {
	// InboxMaxLen caps each user's inbox (default 1000). A client that
	// falls further behind than this gets a resync message.
	InboxMaxLen int
	// InboxTTL expires an inbox untouched for this long (default 0: never).
	InboxTTL time.Duration
	// PingInterval is how long the pub/sub connection may stay quiet
	// before it is pinged (default 25s); a second silent interval replaces
	// the connection.
	PingInterval time.Duration
	// Logger receives structured logs; nil means none.
	Logger *zap.Logger
}

// New returns an inbox and a broker on c that belong together: the inbox
// announces its appends on the channel the broker listens to. prefix starts
// every key and channel name (e.g. "ld:"); it must not contain braces,
// which would break the per-user hash tags.
func New(c redis.UniversalClient, prefix string, opts Options) (*Inbox, *Broker) {
	if opts.InboxMaxLen <= 0 {
		opts.InboxMaxLen = 1000
	}
	if opts.PingInterval <= 0 {
		opts.PingInterval = 25 * time.Second
	}
	if opts.Logger == nil {
		opts.Logger = zap.NewNop()
	}
	inboxChannel := prefix + "rt:inbox"
	in := &Inbox{rdb: c, prefix: prefix, channel: inboxChannel, maxLen: opts.InboxMaxLen, ttl: opts.InboxTTL}
	b := &Broker{
		rdb: c, log: opts.Logger, ping: opts.PingInterval,
		inboxChannel:   inboxChannel,
		eventChannel:   prefix + "rt:events",
		recheckChannel: prefix + "rt:recheck",
	}
	b.publishes.Flush = b.publishMany
	return in, b
}
