// Command sockbench measures the websocket hub of a real server: resident
// memory per open socket, offer push latency and console event delivery.
// It starts its own server (and a private redis-server) on loopback.
//
//	go run ./cmd/sockbench                        # 30,000 sockets, 1,000 offers/s, 50 consoles at 5,000 events/s
//	go run ./cmd/sockbench -responders 200 -offer-for 3s -event-for 3s
//
// The figures go to stdout and to OUT/result.json; the server's log to
// OUT/server.log. Exit status 0 when the run completed, 1 when it failed.
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"path/filepath"
	"syscall"

	"github.com/liandong/liandong/loadtest/sockbench"
)

func main() {
	if len(os.Args) > 1 && os.Args[1] == sockbench.WorkerFlag {
		signal.Ignore(os.Interrupt) // the parent decides when sockets hang up
		if err := sockbench.RunWorker(os.Stdin, os.Stdout); err != nil {
			fmt.Fprintln(os.Stderr, "sockbench worker:", err)
			os.Exit(2)
		}
		return
	}
	var o sockbench.Options
	flag.IntVar(&o.Responders, "responders", 30000, "responder sockets held open on the one server")
	flag.IntVar(&o.PerProcess, "per-process", 10000, "sockets per worker process (each dials from its own 127.0.0.x)")
	flag.IntVar(&o.Consoles, "consoles", 50, "operator consoles subscribed to the whole city in the event phase")
	flag.Float64Var(&o.OfferRate, "offer-rate", 1000, "needs created per second (each becomes one offer); 0 skips the phase")
	flag.DurationVar(&o.OfferFor, "offer-for", 0, "how long needs are created (default 15s)")
	flag.Float64Var(&o.EventRate, "event-rate", 5000, "responder location reports per second (each one event per console); 0 skips the phase")
	flag.StringVar(&o.ConsoleFrames, "console-frames", "events", `consoles' /ws frames parameter: "events" gathers each coalescing window into one frame (as the console page); "" one event per frame (v1)`)
	flag.DurationVar(&o.EventFor, "event-for", 0, "how long location reports are sent (default 15s)")
	flag.DurationVar(&o.Settle, "settle", 0, "wait after connecting before reading memory (default 15s)")
	flag.StringVar(&o.Redis, "redis", "", `Redis URL for the server; empty starts a private redis-server; "embedded" uses the server's in-process Redis`)
	flag.StringVar(&o.ServerBin, "server-bin", "", "prebuilt server binary; empty: go build ./cmd/liandong")
	flag.StringVar(&o.Out, "out", "sockbench-report", "directory for result.json and server.log")
	flag.Uint64Var(&o.Seed, "seed", 0, "random seed (default fixed)")
	flag.Parse()
	if o.OfferFor == 0 {
		o.OfferFor = 15e9
	}
	if o.EventFor == 0 {
		o.EventFor = 15e9
	}
	o.Progress = os.Stderr

	ctx, cancel := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer cancel()
	res, err := sockbench.Run(ctx, o)
	if res != nil && res.Connected > 0 {
		fmt.Print(res.Text())
		path := filepath.Join(o.Out, "result.json")
		if werr := os.WriteFile(path, res.JSON(), 0o644); werr == nil {
			fmt.Println("result:", path)
		}
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "sockbench:", err)
		os.Exit(1)
	}
}
