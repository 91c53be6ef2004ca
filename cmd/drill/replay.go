package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strings"

	"github.com/liandong/liandong/loadtest"
)

// isReplay tells a replay's arguments from a drill's.
func isReplay(args []string) bool {
	for _, a := range args {
		if a == "-replay" || a == "--replay" || strings.HasPrefix(a, "-replay=") || strings.HasPrefix(a, "--replay=") {
			return true
		}
	}
	return false
}

// delegateReplay runs cmd/replay with the same arguments: a replay drives
// the application in-process, and the drill itself imports none of the
// server's packages (it proves the real path only by talking over the
// network), so the replay is built and run apart, as the drill's own
// server is. $LIANDONG_REPLAY_BIN names a prebuilt one.
func delegateReplay(args []string, stdout, stderr io.Writer) int {
	bin := os.Getenv("LIANDONG_REPLAY_BIN")
	if bin == "" {
		dir, err := os.MkdirTemp("", "liandong-replay-")
		if err != nil {
			fmt.Fprintln(stderr, "drill:", err)
			return 2
		}
		defer os.RemoveAll(dir)
		if bin, err = loadtest.BuildTool(context.Background(), dir, "replay", nil); err != nil {
			fmt.Fprintln(stderr, "drill:", err)
			return 2
		}
	}
	cmd := exec.Command(bin, args...)
	cmd.Stdout, cmd.Stderr = stdout, stderr
	err := cmd.Run()
	var exit *exec.ExitError
	switch {
	case errors.As(err, &exit):
		return exit.ExitCode()
	case err != nil:
		fmt.Fprintln(stderr, "drill: replay:", err)
		return 2
	}
	return 0
}
