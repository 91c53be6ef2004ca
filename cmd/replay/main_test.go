package main

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/liandong/liandong/internal/redistest"
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

// TestReplayWritesTheSameReportTwice runs the command end to end on a
// small recording: two redis-servers started and stopped by the drill,
// report.json and report.html written, and a second run giving the same
// files but for the generated time.
func TestReplayWritesTheSameReportTwice(t *testing.T) {
	redistest.Binary(t)
	dir := t.TempDir()
	file := filepath.Join(dir, "small.jsonl")
	var b strings.Builder
	b.WriteString(`{"format":"liandong-recording","version":1,"scenario":"small","start":"2026-12-07T08:00:00Z"}` + "\n")
	for i := range 12 {
		fmt.Fprintf(&b, `{"t":0,"type":"responder","responder":"p%02d","lat":37.5%02d,"lng":121.4%02d,"role":"volunteer","max_concurrent":1}`+"\n", i, i, i)
	}
	for i := range 8 {
		fmt.Fprintf(&b, `{"t":%d,"type":"need","need":"n%02d","lat":37.505,"lng":121.405,"category":"medical","urgency":%d,"team":[{"role":"volunteer","count":1}],"deadline_ms":300000}`+"\n", i*3000, i, 1+i%3)
		fmt.Fprintf(&b, `{"t":%d,"type":"answer","need":"n%02d","responder":"p%02d","answer":"decline","delay_ms":4000}`+"\n", i*3000+100, i, i)
	}
	if err := os.WriteFile(file, []byte(b.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	// A one-second tick keeps the test short on a busy machine.
	single, waves := filepath.Join(dir, "single.yaml"), filepath.Join(dir, "waves.yaml")
	os.WriteFile(single, []byte("matching:\n  tick: 1s\n"), 0o644)
	os.WriteFile(waves, []byte("matching:\n  tick: 1s\n  waves:\n    urgency_1: adaptive\n    urgency_2: adaptive\n"), 0o644)
	report := func(out string) string {
		var stdout, stderr bytes.Buffer
		args := []string{"-replay", file, "-policy", single, "-policy", waves, "-seed", "3", "-drain", "30s", "-out", out}
		if code := run(args, &stdout, &stderr); code != 0 {
			t.Fatalf("exit %d: %s", code, stderr.String())
		}
		var kept []string
		for _, name := range []string{"report.json", "report.html"} {
			data, err := os.ReadFile(filepath.Join(out, name))
			if err != nil {
				t.Fatal(err)
			}
			for _, line := range strings.Split(string(data), "\n") {
				if !strings.Contains(line, "generated") {
					kept = append(kept, line)
				}
			}
		}
		return strings.Join(kept, "\n")
	}
	first, second := report(filepath.Join(dir, "a")), report(filepath.Join(dir, "b"))
	if first != second {
		t.Fatal("two replays of one file, policies and seed wrote different reports")
	}
	if !strings.Contains(first, `"policy_b": "waves"`) || !strings.Contains(first, "满员用时") {
		t.Fatal("the report lacks its policies or its Chinese words")
	}
}
