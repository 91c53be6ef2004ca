package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestReplayRefusesBadInvocations(t *testing.T) {
	dir := t.TempDir()
	bad := filepath.Join(dir, "bad.jsonl")
	os.WriteFile(bad, []byte(`{"format":"liandong-recording","version":1,"start":"2026-12-07T08:00:00Z"}`+"\n"+`{"t":0,"type":"need"}`+"\n"), 0o644)
	good := filepath.Join(dir, "good.jsonl")
	os.WriteFile(good, []byte(`{"format":"liandong-recording","version":1,"start":"2026-12-07T08:00:00Z"}`+"\n"), 0o644)
	badPolicy := filepath.Join(dir, "p.yaml")
	os.WriteFile(badPolicy, []byte("matching:\n  waves:\n    urgency_2: often\n"), 0o644)
	single := "../../configs/policies/single.yaml"
	for _, tc := range []struct {
		name string
		args []string
		want string
	}{
		{"one policy", []string{"-replay", good, "-policy", single}, "usage"},
		{"no file", []string{"-replay", filepath.Join(dir, "nope.jsonl"), "-policy", single, "-policy", single}, "nope.jsonl"},
		{"malformed recording", []string{"-replay", bad, "-policy", single, "-policy", single}, "line 2"},
		{"bad policy", []string{"-replay", good, "-policy", single, "-policy", badPolicy}, "urgency_2"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var out, errb bytes.Buffer
			if code := run(tc.args, &out, &errb); code != 2 {
				t.Fatalf("exit %d, want 2 (stderr %q)", code, errb.String())
			}
			if !strings.Contains(errb.String(), tc.want) {
				t.Fatalf("stderr %q does not mention %q", errb.String(), tc.want)
			}
		})
	}
}
