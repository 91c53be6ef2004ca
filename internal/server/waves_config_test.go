package server

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/liandong/liandong/mobilize"
)

// TestWavesConfig: matching.waves reaches the matcher, single by default,
// and a bad value is refused by name.
func TestWavesConfig(t *testing.T) {
	load := func(t *testing.T, yaml string) (Config, error) {
		t.Helper()
		t.Chdir(t.TempDir())
		path := filepath.Join(t.TempDir(), "c.yaml")
		if err := os.WriteFile(path, []byte(yaml), 0o600); err != nil {
			t.Fatal(err)
		}
		return Load([]string{"-config", path}, envOf(nil))
	}
	def := Default().matchConfig().Waves
	for u := 1; u <= 4; u++ {
		if def.Adaptive(u) {
			t.Fatalf("urgency %d adaptive by default", u)
		}
	}
	c, err := load(t, "matching:\n  waves:\n    urgency_1: adaptive\n    urgency_2: adaptive\n    target: 0.8\n    max: 4\n")
	if err != nil {
		t.Fatal(err)
	}
	w := c.matchConfig().Waves
	if !w.Adaptive(1) || !w.Adaptive(2) || w.Adaptive(3) || w.Target != 0.8 || w.Max != 4 || w.PriorAccept != 0.5 || w.PriorWeight != 10 {
		t.Fatalf("waves %+v", w)
	}
	if w.Modes[2] != mobilize.WaveSingle {
		t.Fatalf("urgency 3 mode %q, want single kept from the defaults", w.Modes[2])
	}
	for name, yaml := range map[string]string{
		"unknown mode": "matching:\n  waves:\n    urgency_3: burst\n",
		"target 1":     "matching:\n  waves:\n    target: 1\n",
		"max 0":        "matching:\n  waves:\n    max: 0\n",
		"prior 0":      "matching:\n  waves:\n    prior_accept: 0\n",
	} {
		if _, err := load(t, yaml); err == nil || !strings.Contains(err.Error(), "matching.waves") {
			t.Errorf("%s: err %v, want one naming matching.waves", name, err)
		}
	}
}
