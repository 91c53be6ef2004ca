package redisstore

import (
	"context"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"
)

// Redis Cluster replicates asynchronously: an accept acknowledged by a
// master that dies before its replica has it is lost in the failover,
// while the responder is already on the way. With a wait timeout the
// accept script and a WAIT for one replica travel in one pipeline on the
// region master's own connection (WAIT counts the writes of the
// connection that sends it), so the phone hears "accepted" only once a
// replica has it or the timeout passed. A WAIT that times out is counted,
// not refused: the accept stands on the master, and reconciliation repairs
// what a failover still loses.
//
// Only on a cluster: a single Redis here has no replica to fail over to,
// and WAIT 1 would hold every accept for the whole timeout.

// answerWaited runs the answer script on the region's master followed by
// WAIT 1 timeout on the same connection; it returns the script's reply
// and how many replicas acknowledged it (-1 when WAIT itself failed).
func (s *NeedStore) answerWaited(ctx context.Context, cc *redis.ClusterClient, args []any) ([]string, int64, error) {
	node, err := cc.MasterForKey(ctx, s.scriptKeys[0])
	if err != nil {
		return nil, 0, err
	}
	for attempt := 0; ; attempt++ {
		pipe := node.Pipeline()
		run := answerScript.EvalSha(ctx, pipe, s.scriptKeys, args...)
		wait := pipe.Do(ctx, "wait", 1, s.waitReplicas.Milliseconds())
		_, _ = pipe.Exec(ctx)
		vals, err := run.StringSlice()
		if err != nil && attempt == 0 && strings.HasPrefix(err.Error(), "NOSCRIPT") {
			// A promoted replica or a restarted node lacks the script.
			if err := answerScript.Load(ctx, node).Err(); err != nil {
				return nil, 0, err
			}
			continue
		}
		if err != nil {
			return nil, 0, err
		}
		acked, werr := wait.Int64()
		if werr != nil {
			acked = -1
		}
		return vals, acked, nil
	}
}

// WaitShort is how many acceptances were acknowledged before a replica
// had them (WAIT timed out or failed): each is one a failover in that
// window could lose.
func (s *NeedStore) WaitShort() int64 { return s.waitShort.Load() }

// replicaWait is the wait timeout that applies to rdb: the configured one on
// a cluster, none elsewhere.
func replicaWait(rdb redis.UniversalClient, d time.Duration) time.Duration {
	if _, ok := rdb.(*redis.ClusterClient); ok && d > 0 {
		return d
	}
	return 0
}
