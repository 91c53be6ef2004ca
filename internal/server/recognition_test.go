package server

import (
	"strings"
	"testing"

	"github.com/liandong/liandong/internal/testkit"
)

func TestRecognitionConfig(t *testing.T) {
	seed := strings.Repeat("ab", 32) // 32 bytes, hex
	c, err := Load(nil, func(k string) string {
		if k == "LIANDONG_SIGNING_KEY" {
			return seed
		}
		return ""
	})
	if err != nil || c.Recognition.SigningKey != seed || c.Recognition.options().SigningKey == nil {
		t.Fatalf("signing key from env: %v %+v", err, c.Recognition)
	}
	for name, body := range map[string]string{
		"short key":      "recognition:\n  signing_key: abcd\n",
		"no hours cap":   "recognition:\n  hours_cap: 0s\n",
		"cap over a day": "recognition:\n  hours_cap: 25h\n",
		"tiny ttl":       "recognition:\n  feedback_ttl: 1m\n",
		"url with path?": "recognition:\n  public_url: ftp://x\n",
		"unknown key":    "recognition:\n  hour_cap: 2h\n",
	} {
		t.Run(name, func(t *testing.T) {
			if _, err := Load([]string{"-config", testkit.WriteFile(t, "c.yaml", body)}, noEnv); err == nil {
				t.Fatal("accepted")
			}
		})
	}
}
