// Command drill plays a scripted emergency (a scenario in
// configs/drills/) against a Liandong server with thousands of simulated
// responders on real websockets (and, as the scenario says, some reached
// only by SMS through the drill's own gateway or only by Web Push through
// its own push service), and reports how fast people were mobilised, per
// channel. Without -target it starts its own server on loopback.
//
//	go run ./cmd/drill -scenario configs/drills/yantai-lockdown.yaml -responders 500 -duration 30s
//
// Exit status: 0 when the drill passed, 1 when a double booking, a lost
// offer, an over-staffed need, a missing assignment, a lost team message or
// a need outside the drill's incident occurred, 2 when the drill could not
// run (also when its incident could not be opened), 130 when interrupted
// (the report is still written).
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/liandong/liandong/internal/i18n"
	"github.com/liandong/liandong/loadtest"
)

func main() {
	if len(os.Args) > 1 && os.Args[1] == loadtest.WorkerFlag {
		signal.Ignore(os.Interrupt) // the parent decides when phones hang up
		if err := loadtest.RunWorker(os.Stdin, os.Stdout); err != nil {
			fmt.Fprintln(os.Stderr, "drill worker:", err)
			os.Exit(2)
		}
		return
	}
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

// run is main without the process: it parses args, runs the drill and
// returns the exit status.
func run(args []string, stdout, stderr io.Writer) int {
	if isReplay(args) {
		return delegateReplay(args, stdout, stderr)
	}
	fs := flag.NewFlagSet("drill", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var (
		scenario   = fs.String("scenario", "", "scenario file (configs/drills/NAME.yaml), required")
		target     = fs.String("target", "", "server base URL, e.g. http://127.0.0.1:8080; empty: start a server on loopback")
		out        = fs.String("out", "drill-report", "directory for report.json, report.html and server.log")
		responders = fs.Int("responders", 0, "number of responders (scales the need rate with it); 0: the scenario's")
		duration   = fs.Duration("duration", 0, "how long needs arrive; 0: the scenario's")
		redis      = fs.String("redis", "", "Redis URL for the started server; empty: embedded")
		user       = fs.String("user", "admin", "operator user on -target")
		password   = fs.String("password", "", "operator password on -target (default $LIANDONG_ADMIN_PASSWORD)")
		seed       = fs.Uint64("seed", 0, "random seed; 0: the scenario's")
		perProcess = fs.Int("per-process", 9000, "phones per process; more are spread over worker processes")
		serverBin  = fs.String("server-bin", "", "prebuilt server binary for the started server; empty: go build ./cmd/liandong")
		every      = fs.Duration("progress", 5*time.Second, "progress line period")
		lang       = fs.String("lang", string(i18n.ZhCN), "language of report.html: zh-CN or en")
		record     = fs.String("record", "", "write the drill's recording (JSON Lines, docs/REPLAY.md) to FILE")
		accept     = fs.Float64("accept", 0, "share of offers accepted, in (0,1), decline and ignore keeping their proportion; 0: the scenario's")
	)
	if err := fs.Parse(args); err != nil {
		return 2
	}
	if *scenario == "" || fs.NArg() > 0 {
		fmt.Fprintln(stderr, "usage: drill -scenario configs/drills/NAME.yaml [-target URL] [-out DIR] [-responders N] [-duration D] [-redis URL] [-lang zh-CN|en]")
		return 2
	}
	reportLang, err := i18n.Parse(*lang)
	if err != nil {
		fmt.Fprintln(stderr, "drill: -lang:", err)
		return 2
	}
	sc, err := loadtest.LoadScenario(*scenario)
	if err != nil {
		fmt.Fprintln(stderr, "drill:", err)
		return 2
	}
	sc.Scale(*responders, *duration)
	if *accept != 0 {
		if err := sc.SetAccept(*accept); err != nil {
			fmt.Fprintln(stderr, "drill: -accept:", err)
			return 2
		}
	}
	if *target != "" {
		if _, err := loadtest.CheckTarget(*target, true); err != nil {
			fmt.Fprintln(stderr, "drill:", err)
			return 2
		}
		if *redis != "" {
			fmt.Fprintln(stderr, "drill: -redis applies only to a server the drill starts (no -target)")
			return 2
		}
	}
	pw := *password
	if pw == "" {
		pw = os.Getenv("LIANDONG_ADMIN_PASSWORD")
	}

	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	sigs := make(chan os.Signal, 2)
	signal.Notify(sigs, os.Interrupt, syscall.SIGTERM)
	defer signal.Stop(sigs)
	go func() {
		<-sigs
		fmt.Fprintln(stderr, "drill: stopping; writing the report (interrupt again to abort)")
		cancel()
		<-sigs
		fmt.Fprintln(stderr, "drill: aborted")
		os.Exit(130)
	}()

	fmt.Fprintf(stdout, "drill %s: %d responders, needs for %v at %.2f/s base rate\n",
		sc.Name, sc.Responders.Count, sc.Duration, sc.Needs.RatePerS)
	rep, err := loadtest.Run(ctx, loadtest.Options{
		Scenario: sc, Target: *target, Out: *out, Redis: *redis, User: *user, Password: pw,
		ServerBin: *serverBin, PerProcess: *perProcess, Seed: *seed, Progress: stdout, Every: *every, Lang: reportLang,
		Record: *record,
	})
	if rep != nil {
		fmt.Fprintln(stdout, rep.Summary())
		fmt.Fprintf(stdout, "report: %s/report.json and %s/report.html\n", *out, *out)
	}
	switch {
	case rep != nil && rep.Failed():
		if err != nil {
			fmt.Fprintln(stderr, "drill:", err)
		}
		return 1
	case err != nil && !errors.Is(err, context.Canceled):
		fmt.Fprintln(stderr, "drill:", err)
		return 2
	case ctx.Err() != nil:
		return 130
	}
	return 0
}
