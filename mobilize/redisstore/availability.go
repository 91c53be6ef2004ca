package redisstore

import (
	"context"
	"errors"
	"io"
	"net"
	"strings"
	"syscall"

	"github.com/redis/go-redis/v9"

	"github.com/liandong/liandong/mobilize"
)

// WatchAvailability makes rdb mark its failures to reach Redis (refused,
// reset or timed-out connections, a server still loading its data, without
// a master, busy with a script or unable to write to its disk) as
// mobilize.ErrUnavailable, so that the edges answer "retry shortly" (HTTP
// 503) rather than "internal error". Redis' answers, including refusals
// such as a wrong type, are left as they are.
//
// On a cluster client it also asks for the slot map again whenever a node
// was unreachable: a master killed in a failover never answers MOVED, so
// without this the client would keep sending its slots to the dead
// address until its periodic reload, long after a replica took over.
func WatchAvailability(rdb redis.UniversalClient) {
	h := availabilityHook{}
	if cc, ok := rdb.(*redis.ClusterClient); ok {
		// ReloadState is lazy: one reload at a time, and another at most
		// every 200 ms however many commands fail meanwhile.
		h.reload = func() { cc.ReloadState(context.Background()) }
	}
	rdb.AddHook(h)
}

type availabilityHook struct {
	reload func() // re-read the cluster's slot map; nil for one server
}

func (availabilityHook) DialHook(next redis.DialHook) redis.DialHook { return next }

func (h availabilityHook) ProcessHook(next redis.ProcessHook) redis.ProcessHook {
	return func(ctx context.Context, cmd redis.Cmder) error {
		err := next(ctx, cmd)
		down := markCmd(cmd)
		err = markErr(err)
		h.afterFailure(down || errors.Is(err, mobilize.ErrUnavailable))
		return err
	}
}

func (h availabilityHook) ProcessPipelineHook(next redis.ProcessPipelineHook) redis.ProcessPipelineHook {
	return func(ctx context.Context, cmds []redis.Cmder) error {
		err := next(ctx, cmds)
		down := false
		for _, cmd := range cmds {
			down = markCmd(cmd) || down
		}
		err = markErr(err)
		h.afterFailure(down || errors.Is(err, mobilize.ErrUnavailable))
		return err
	}
}

// afterFailure re-reads the slot map of a cluster when a node did not
// answer.
func (h availabilityHook) afterFailure(down bool) {
	if down && h.reload != nil {
		h.reload()
	}
}

// markCmd marks the command's own error, which is what callers read, and
// says whether it is an outage.
func markCmd(cmd redis.Cmder) bool {
	err := cmd.Err()
	if err == nil {
		return false
	}
	marked := markErr(err)
	if marked != err {
		cmd.SetErr(marked)
	}
	return errors.Is(marked, mobilize.ErrUnavailable)
}

func markErr(err error) error {
	if err == nil || errors.Is(err, mobilize.ErrUnavailable) || !unreachable(err) {
		return err
	}
	return unavailableError{err}
}

// unavailableError keeps the cause (errors.As still finds a *net.OpError)
// and is mobilize.ErrUnavailable to errors.Is.
type unavailableError struct{ cause error }

func (e unavailableError) Error() string        { return "redis unavailable: " + e.cause.Error() }
func (e unavailableError) Unwrap() error        { return e.cause }
func (e unavailableError) Is(target error) bool { return target == mobilize.ErrUnavailable }

// retryLater are the error replies of a Redis that cannot serve now but
// will: loading its data after a restart, a replica without its master, a
// cluster reconfiguring, a script running past its time limit, writes
// refused because the disk cannot take them (MISCONF) or because the node
// became a replica in a failover (READONLY).
var retryLater = []string{"LOADING ", "MASTERDOWN ", "CLUSTERDOWN ", "TRYAGAIN ", "BUSY ", "MISCONF ", "READONLY "}

func unreachable(err error) bool {
	if errors.Is(err, redis.Nil) {
		return false
	}
	var rerr redis.Error
	if errors.As(err, &rerr) {
		msg := rerr.Error()
		for _, p := range retryLater {
			if strings.HasPrefix(msg, p) {
				return true
			}
		}
		return false
	}
	var nerr net.Error
	return errors.As(err, &nerr) ||
		errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) ||
		errors.Is(err, syscall.ECONNREFUSED) || errors.Is(err, syscall.ECONNRESET) || errors.Is(err, syscall.EPIPE) ||
		errors.Is(err, redis.ErrPoolTimeout) || errors.Is(err, redis.ErrClosed)
}
