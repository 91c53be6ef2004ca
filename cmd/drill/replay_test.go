package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestReplayIsDelegatedToItsOwnCommand: cmd/drill -replay runs cmd/replay
// with the same arguments and exits as it does.
func TestReplayIsDelegatedToItsOwnCommand(t *testing.T) {
	fake := filepath.Join(t.TempDir(), "replay")
	if err := os.WriteFile(fake, []byte("#!/bin/sh\necho \"args: $*\"\nexit 3\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	t.Setenv("LIANDONG_REPLAY_BIN", fake)
	var out, errb bytes.Buffer
	code := run([]string{"-replay", "x.jsonl", "-policy", "a.yaml", "-policy", "b.yaml"}, &out, &errb)
	if code != 3 || !strings.Contains(out.String(), "args: -replay x.jsonl -policy a.yaml -policy b.yaml") {
		t.Fatalf("exit %d, stdout %q, stderr %q", code, out.String(), errb.String())
	}
	if isReplay([]string{"-scenario", "x.yaml"}) || !isReplay([]string{"-replay=x"}) {
		t.Fatal("isReplay misreads its arguments")
	}
}
