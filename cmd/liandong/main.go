// Command liandong is the Liandong server: it reads the configuration,
// connects Redis (or starts the embedded one) and serves HTTP and websockets.
// The program itself is internal/server; this is only the process around it.
package main

import (
	"context"
	"fmt"
	"os"
	"os/signal"
	"syscall"

	"go.uber.org/zap"

	"github.com/liandong/liandong/internal/server"
)

func main() {
	cfg, err := server.Load(os.Args[1:], os.Getenv)
	if err != nil {
		fmt.Fprintln(os.Stderr, "liandong:", err)
		os.Exit(2)
	}
	log, err := server.NewLogger(cfg.Log)
	if err != nil {
		fmt.Fprintln(os.Stderr, "liandong: logger:", err)
		os.Exit(2)
	}
	defer log.Sync()
	raiseOpenFileLimit(log)

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()

	m := server.New(cfg, log, server.Hooks{})
	if err := m.Run(ctx); err != nil {
		log.Error("start failed", zap.Error(err))
		m.Close()
		log.Sync()
		os.Exit(1)
	}
	<-ctx.Done()
	log.Info("shutting down", zap.Duration("timeout", cfg.HTTP.ShutdownTimeout))
	if err := m.Close(); err != nil {
		log.Error("shutdown", zap.Error(err))
		log.Sync()
		os.Exit(1)
	}
	log.Info("stopped")
}

// raiseOpenFileLimit lifts the soft open-file limit to the hard one: every
// websocket is a file, and the default soft limit is far below what a city
// of responders needs.
func raiseOpenFileLimit(log *zap.Logger) {
	var lim syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_NOFILE, &lim); err != nil {
		log.Warn("cannot read the open-file limit", zap.Error(err))
		return
	}
	if lim.Cur < lim.Max {
		lim.Cur = lim.Max
		if err := syscall.Setrlimit(syscall.RLIMIT_NOFILE, &lim); err != nil {
			log.Warn("cannot raise the open-file limit", zap.Error(err))
		}
	}
	log.Info("open-file limit", zap.Uint64("soft", lim.Cur), zap.Uint64("hard", lim.Max))
}
