package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestRunRefusesBadInvocations(t *testing.T) {
	bad := filepath.Join(t.TempDir(), "bad.yaml")
	if err := os.WriteFile(bad, []byte("name: x\nsurprise: 1\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name string
		args []string
		want string
	}{
		{"no scenario", nil, "usage"},
		{"stray argument", []string{"-scenario", "x.yaml", "extra"}, "usage"},
		{"missing file", []string{"-scenario", "nope.yaml"}, "nope.yaml"},
		{"unknown key", []string{"-scenario", bad}, "surprise"},
		{"bad target", []string{"-scenario", "../../configs/drills/yantai-lockdown.yaml", "-target", "localhost:8080"}, "http(s)://host:port"},
		{"unknown report language", []string{"-scenario", "../../configs/drills/yantai-lockdown.yaml", "-lang", "fr"}, "use zh-CN or en"},
		{"redis with a target", []string{"-scenario", "../../configs/drills/yantai-lockdown.yaml", "-target", "http://127.0.0.1:1", "-redis", "redis://x"}, "-redis"},
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
