package server

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/alicebob/miniredis/v2"
	"github.com/redis/go-redis/v9"
	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"
)

// redisConn is the Redis the server runs on: a client and whatever must be
// stopped with it (the embedded server and its clock).
type redisConn struct {
	Client   redis.UniversalClient
	Embedded bool
	Addr     string // what the operator configured, for messages and logs
	stop     func()
}

func (r *redisConn) Close() error {
	err := r.Client.Close()
	if r.stop != nil {
		r.stop()
	}
	return err
}

// pingTimeout bounds the start-up check so that a wrong address fails well
// within five seconds.
const pingTimeout = 3 * time.Second

// openRedis connects to the configured Redis, or starts the embedded one
// when no URL is set.
func openRedis(ctx context.Context, cfg RedisConfig, log *zap.Logger, operator io.Writer) (*redisConn, error) {
	redis.SetLogger(newRedisLog(log))
	if cfg.URL == "" {
		return startEmbeddedRedis(cfg.EmbeddedAddr, log, operator)
	}
	client, addr, err := newRedisClient(cfg.URL)
	if err != nil {
		return nil, err
	}
	pctx, cancel := context.WithTimeout(ctx, pingTimeout)
	defer cancel()
	if err := client.Ping(pctx).Err(); err != nil {
		client.Close()
		return nil, fmt.Errorf("redis at %s is not answering: %w", addr, err)
	}
	log.Info("redis connected", zap.String("addr", addr))
	return &redisConn{Client: client, Addr: addr}, nil
}

// redisLog takes go-redis' own messages (a failed dial, a pool in
// trouble) into the server's structured log instead of bare stderr lines.
type redisLog struct{ log *zap.Logger }

// newRedisLog samples: during an outage every request fails to dial, and
// one line per message each 10 s (then every 1000th) says so without
// flooding the log.
func newRedisLog(log *zap.Logger) redisLog {
	return redisLog{log.Named("redis").WithOptions(zap.WrapCore(func(c zapcore.Core) zapcore.Core {
		return zapcore.NewSamplerWithOptions(c, 10*time.Second, 1, 1000)
	}))}
}

func (l redisLog) Printf(_ context.Context, format string, v ...any) {
	l.log.Warn(fmt.Sprintf(format, v...))
}

// newRedisClient understands redis://, rediss:// and
// redis+cluster://[user:pass@]host:port,host:port. It returns the address
// without credentials, for messages.
func newRedisClient(raw string) (redis.UniversalClient, string, error) {
	const clusterScheme = "redis+cluster://"
	if rest, ok := strings.CutPrefix(raw, clusterScheme); ok {
		u, err := url.Parse("redis://" + rest)
		if err != nil {
			return nil, "", fmt.Errorf("redis url: %w", err)
		}
		addrs := strings.Split(u.Host, ",")
		for _, a := range addrs {
			if a == "" {
				return nil, "", errors.New("redis url: empty host in cluster address list")
			}
		}
		opts := &redis.ClusterOptions{Addrs: addrs, DialTimeout: 2 * time.Second, ReadTimeout: 15 * time.Second,
			// The slot map is re-read when a node fails to answer (see
			// redisstore.WatchAvailability) and on MOVED; this bounds how
			// stale it gets otherwise (go-redis' default is a minute),
			// e.g. for the pub/sub connection, which has no hook. One
			// CLUSTER SLOTS every few seconds costs nothing.
			ClusterStateReloadInterval: clusterReloadEvery,
			// One dial per attempt: the client already tries a command
			// again (MaxRedirects), and go-redis' five dials 100 ms apart
			// per attempt made a request to a dead master's slots take
			// three seconds before its 503 (measured in
			// TestRidesThroughARedisMasterFailover).
			DialerRetries: 1,
			// ReadOnly and RouteByLatency stay off: a replica lags its
			// master, and a script that read from one could offer a place
			// already taken.
		}
		if u.User != nil {
			opts.Username = u.User.Username()
			opts.Password, _ = u.User.Password()
		}
		return redis.NewClusterClient(opts), strings.Join(addrs, ","), nil
	}
	opts, err := redis.ParseURL(raw)
	if err != nil {
		return nil, "", fmt.Errorf("redis url: %w", err)
	}
	opts.DialTimeout = 2 * time.Second
	// A batch registration is one MULTI of up to 10,000 scripts.
	opts.ReadTimeout = 15 * time.Second
	return redis.NewClient(opts), opts.Addr, nil
}

// clusterReloadEvery is how often a cluster client re-reads the slot map
// on its own, when no command has found a node dead.
const clusterReloadEvery = 2 * time.Second

// expiryTick is how often the embedded Redis' clock is advanced. miniredis
// only expires keys when told to; ClockTTL would do it on every command at
// the cost of sorting every key each time (measured 200x slower).
const expiryTick = 100 * time.Millisecond

// startEmbeddedRedis starts the in-process Redis. It always listens on a
// loopback TCP port (miniredis knows no other transport), which anyone on
// the machine can reach, so it always requires a random password: the
// server's own client knows it, and with an address chosen by the operator
// (-embedded-redis-addr) it is written once to operator, never to the log.
func startEmbeddedRedis(addr string, log *zap.Logger, operator io.Writer) (*redisConn, error) {
	password, err := embeddedPassword()
	if err != nil {
		return nil, err
	}
	m := miniredis.NewMiniRedis()
	m.RequireAuth(password)
	if addr != "" {
		err = m.StartAddr(addr)
	} else {
		err = m.Start()
	}
	if err != nil {
		return nil, fmt.Errorf("embedded redis on %q: %w", addr, err)
	}
	done := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		last := time.Now()
		t := time.NewTicker(expiryTick)
		defer t.Stop()
		for {
			select {
			case <-done:
				return
			case now := <-t.C:
				m.FastForward(now.Sub(last))
				last = now
			}
		}
	}()
	log.Warn("no Redis configured: using an embedded in-process Redis; NOTHING IS PERSISTED and all state is lost when the process stops (set LIANDONG_REDIS_URL for production)",
		zap.String("embedded_addr", m.Addr()), zap.Bool("password_required", true), zap.Bool("operator_addr", addr != ""))
	if addr != "" {
		host, port := m.Host(), m.Port()
		fmt.Fprintf(operator, "embedded Redis on %s requires a password, shown once: %s\n  redis-cli -h %s -p %s --askpass\n",
			m.Addr(), password, host, port)
	}
	// The embedded Redis runs every Lua script in a fresh interpreter: a
	// batch of thousands takes seconds, which is slow, not broken.
	client := redis.NewClient(&redis.Options{Addr: m.Addr(), Password: password,
		ReadTimeout: 60 * time.Second, WriteTimeout: 60 * time.Second, PoolSize: 64})
	return &redisConn{
		Client:   client,
		Embedded: true,
		Addr:     m.Addr(),
		stop: func() {
			close(done)
			wg.Wait()
			m.Close()
		},
	}, nil
}

// embeddedPassword is 128 random bits, hex: enough that guessing is no way
// in, plain enough to paste into redis-cli.
func embeddedPassword() (string, error) {
	b := make([]byte, 16)
	if _, err := rand.Read(b); err != nil {
		return "", fmt.Errorf("embedded redis password: %w", err)
	}
	return hex.EncodeToString(b), nil
}
