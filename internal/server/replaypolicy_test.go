package server

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/liandong/liandong/mobilize"
)

func TestReplayPolicyOverlaysTheDefaultsAndRefusesBadKeys(t *testing.T) {
	m, err := ReplayPolicy("../../configs/policies/waves-urgent.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if !m.Waves.Adaptive(1) || !m.Waves.Adaptive(2) || m.Waves.Adaptive(3) || m.Waves.Max != 3 {
		t.Fatalf("waves %+v", m.Waves)
	}
	if def := mobilize.DefaultMatchConfig(); m.OfferTTL != def.OfferTTL || m.Tick != def.Tick {
		t.Fatalf("the keys a policy leaves out should keep the defaults: %+v", m)
	}
	single, err := ReplayPolicy("../../configs/policies/single.yaml")
	if err != nil || single.Waves.Adaptive(1) {
		t.Fatalf("single: %+v %v", single.Waves, err)
	}
	dir := t.TempDir()
	for name, body := range map[string]string{
		"unknown.yaml": "matching:\n  wavez: {}\n",
		"mode.yaml":    "matching:\n  waves:\n    urgency_1: sometimes\n",
	} {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(body), 0o600); err != nil {
			t.Fatal(err)
		}
		if _, err := ReplayPolicy(p); err == nil {
			t.Errorf("%s was accepted", name)
		}
	}
}

func TestShippedReplayPoliciesLoad(t *testing.T) {
	files, err := filepath.Glob("../../configs/policies/*.yaml")
	if err != nil || len(files) < 2 {
		t.Fatalf("policies %v: %v", files, err)
	}
	for _, f := range files {
		if _, err := ReplayPolicy(f); err != nil {
			t.Errorf("%s: %v", f, err)
		}
	}
}
