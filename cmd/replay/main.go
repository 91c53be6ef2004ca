// Command replay replays a recorded emergency (docs/REPLAY.md) under two
// policies, each against a fresh service on a redis-server of its own,
// in virtual time, and writes their comparison. cmd/drill -replay runs
// it: the drill itself talks to a server only over the network, so the
// replay, which drives the application in-process, is a command apart.
//
//	go run ./cmd/replay -replay FILE -policy A.yaml -policy B.yaml [-seed N] [-out DIR]
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/liandong/liandong/internal/replay"
	"github.com/liandong/liandong/internal/server"
	"github.com/liandong/liandong/loadtest/recording"
	"github.com/liandong/liandong/mobilize"
	"github.com/liandong/liandong/mobilize/redisstore"
)

// policyFlags collects repeated -policy flags.
type policyFlags []string

func (p *policyFlags) String() string     { return strings.Join(*p, ",") }
func (p *policyFlags) Set(v string) error { *p = append(*p, v); return nil }

func main() { os.Exit(run(os.Args[1:], os.Stdout, os.Stderr)) }

// run is cmd/replay (and cmd/drill) -replay FILE -policy A.yaml -policy B.yaml: the
// recording replayed under each policy against a fresh service on a Redis
// of its own, and the two compared (docs/REPLAY.md).
func run(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("replay", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var policies policyFlags
	var (
		file  = fs.String("replay", "", "recording to replay (JSON Lines, docs/REPLAY.md)")
		seed  = fs.Uint64("seed", 1, "seed of the answers sampled for offers the recording never saw, and of the bootstrap")
		out   = fs.String("out", "replay-report", "directory for report.json and report.html")
		drain = fs.Duration("drain", 10*time.Minute, "how long the replay goes on after the last need")
		bin   = fs.String("redis-server", "redis-server", "redis-server binary; one is started per policy on a free loopback port")
	)
	fs.Var(&policies, "policy", "policy file (a YAML fragment of the server configuration); give two: A then B")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	if *file == "" || len(policies) != 2 || fs.NArg() > 0 {
		fmt.Fprintln(stderr, "usage: replay -replay FILE -policy A.yaml -policy B.yaml [-seed N] [-out DIR] [-drain D]")
		return 2
	}
	f, err := os.Open(*file)
	if err != nil {
		fmt.Fprintln(stderr, "replay:", err)
		return 2
	}
	rec, err := recording.Read(f)
	f.Close()
	if err != nil {
		fmt.Fprintf(stderr, "replay: %s: %v\n", *file, err)
		return 2
	}
	var results []replay.Result
	for _, p := range policies {
		match, err := server.ReplayPolicy(p)
		if err != nil {
			fmt.Fprintln(stderr, "replay:", err)
			return 2
		}
		name := strings.TrimSuffix(filepath.Base(p), filepath.Ext(p))
		start := time.Now()
		res, err := replayOn(context.Background(), *bin, rec, match, name, replay.Options{Seed: *seed, Drain: *drain})
		if err != nil {
			fmt.Fprintln(stderr, "replay:", err)
			return 2
		}
		fmt.Fprintf(stdout, "replayed %s under %s: %d needs, %d offers, %d ticks in %v\n", *file, name, len(res.Needs), res.Offers,
			res.Ticks, time.Since(start).Round(time.Millisecond))
		results = append(results, res)
	}
	rep, err := replay.Compare(rec.Header.Scenario, *seed, results[0], results[1])
	if err != nil {
		fmt.Fprintln(stderr, "replay:", err)
		return 2
	}
	rep.Generated = time.Now().UTC().Truncate(time.Second)
	if err := writeReplayReport(rep, *out); err != nil {
		fmt.Fprintln(stderr, "replay:", err)
		return 2
	}
	for _, m := range rep.Metrics {
		if m.Key == "staffed_p90" || m.Key == "unstaffed" || m.Key == "over_staffed" || m.Key == "double_bookings" {
			fmt.Fprintf(stdout, "%-16s %-5s A %8.1f  B %8.1f  B-A %8.1f  [%8.1f, %8.1f]  %s\n", m.Key, m.Group, m.A, m.B, m.Diff, m.Lo, m.Hi, m.Verdict)
		}
	}
	fmt.Fprintf(stdout, "report: %s/report.json and %s/report.html\n", *out, *out)
	return 0
}

func writeReplayReport(rep *replay.Report, dir string) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	for name, write := range map[string]func(io.Writer) error{"report.json": rep.WriteJSON, "report.html": rep.WriteHTML} {
		f, err := os.Create(filepath.Join(dir, name))
		if err != nil {
			return err
		}
		if err := write(f); err != nil {
			f.Close()
			return err
		}
		if err := f.Close(); err != nil {
			return err
		}
	}
	return nil
}

// replayOn starts a private redis-server, replays on it and stops it.
func replayOn(ctx context.Context, bin string, rec recording.Recording, match mobilize.MatchConfig, name string, opts replay.Options) (replay.Result, error) {
	addr, stop, err := startRedis(ctx, bin)
	if err != nil {
		return replay.Result{}, err
	}
	defer stop()
	rdb := redis.NewClient(&redis.Options{Addr: addr})
	defer rdb.Close()
	clock := replay.NewClock(rec.Header.Start)
	opts2 := redisstore.DefaultIndexOptions()
	opts2.Now = clock.Now
	st, err := redisstore.NewStore(rdb, opts2)
	if err != nil {
		return replay.Result{}, err
	}
	return replay.Run(ctx, rec, st, clock, match, name, opts)
}

// startRedis runs redis-server without persistence on a free loopback
// port and waits until it answers.
func startRedis(ctx context.Context, bin string) (addr string, stop func(), err error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", nil, err
	}
	port := l.Addr().(*net.TCPAddr).Port
	l.Close()
	dir, err := os.MkdirTemp("", "liandong-replay-redis-")
	if err != nil {
		return "", nil, err
	}
	cmd := exec.Command(bin, "--port", strconv.Itoa(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no", "--dir", dir)
	if err := cmd.Start(); err != nil {
		os.RemoveAll(dir)
		return "", nil, fmt.Errorf("start %s: %w", bin, err)
	}
	stop = func() {
		cmd.Process.Kill()
		cmd.Wait()
		os.RemoveAll(dir)
	}
	addr = net.JoinHostPort("127.0.0.1", strconv.Itoa(port))
	rdb := redis.NewClient(&redis.Options{Addr: addr})
	defer rdb.Close()
	for deadline := time.Now().Add(10 * time.Second); ; {
		if rdb.Ping(ctx).Err() == nil {
			return addr, stop, nil
		}
		if time.Now().After(deadline) {
			stop()
			return "", nil, errors.New("redis-server did not answer within 10 s")
		}
		time.Sleep(50 * time.Millisecond)
	}
}
