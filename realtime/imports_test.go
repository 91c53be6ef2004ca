package realtime

import (
	"os/exec"
	"strings"
	"testing"
)

// TestNoRedisClient keeps the core free of a Redis client, even
// transitively: web serves websockets with this package and must not pull
// one in. The Redis parts live in realtime/redisrt.
func TestNoRedisClient(t *testing.T) {
	out, err := exec.Command("go", "list", "-deps", ".").Output()
	if err != nil {
		t.Fatalf("go list: %v", err)
	}
	deps := strings.Fields(string(out))
	if len(deps) == 0 || deps[len(deps)-1] != "github.com/liandong/liandong/realtime" {
		t.Fatalf("go list -deps listed %d packages, not ending with realtime", len(deps))
	}
	for _, d := range deps {
		if strings.Contains(d, "go-redis") || strings.HasPrefix(d, "github.com/liandong/liandong/realtime/") {
			t.Errorf("realtime depends on %s", d)
		}
	}
}
