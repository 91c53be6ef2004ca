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
func WatchAvailability(rdb redis.UniversalClient) { rdb.AddHook(availabilityHook{}) }

type availabilityHook struct{}

func (availabilityHook) DialHook(next redis.DialHook) redis.DialHook { return next }

func (availabilityHook) ProcessHook(next redis.ProcessHook) redis.ProcessHook {
	return func(ctx context.Context, cmd redis.Cmder) error {
		err := next(ctx, cmd)
		markCmd(cmd)
		return markErr(err)
	}
}

func (availabilityHook) ProcessPipelineHook(next redis.ProcessPipelineHook) redis.ProcessPipelineHook {
	return func(ctx context.Context, cmds []redis.Cmder) error {
		err := next(ctx, cmds)
		for _, cmd := range cmds {
			markCmd(cmd)
		}
		return markErr(err)
	}
}

// markCmd marks the command's own error, which is what callers read.
func markCmd(cmd redis.Cmder) {
	if err := cmd.Err(); err != nil {
		if marked := markErr(err); marked != err {
			cmd.SetErr(marked)
		}
	}
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
