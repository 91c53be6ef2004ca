package server

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestSecurityLimitsCannotBeEmptied: the login back-off and the
// evaluation's smallest group refuse settings that would turn them off
// or make no sense, naming the key.
func TestSecurityLimitsCannotBeEmptied(t *testing.T) {
	for yaml, want := range map[string]string{
		"auth:\n  login_free_failures: 0\n":                                  "auth.login_free_failures",
		"auth:\n  login_free_failures: 30\n  login_user_free_failures: 20\n": "auth.login_free_failures",
		"auth:\n  login_backoff_base: 0s\n":                                  "auth.login_backoff_base",
		"auth:\n  login_backoff_max: 10m\n  login_forget_after: 5m\n":        "auth.login_backoff_base",
		"evaluation:\n  min_group_size: 0\n":                                 "evaluation.min_group_size",
	} {
		path := filepath.Join(t.TempDir(), "c.yaml")
		if err := os.WriteFile(path, []byte(yaml), 0o600); err != nil {
			t.Fatal(err)
		}
		_, err := Load([]string{"-config", path}, envOf(nil))
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%q: err = %v; want one naming %s", yaml, err, want)
		}
	}
}
