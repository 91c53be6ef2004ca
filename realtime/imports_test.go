package realtime

import (
	"os/exec"
	"strings"
	"testing"
)

// TestNoRedisClient keeps the core free of a Redis client, even
// transitively: web serves websockets with this package and must not pull
// one in. The Redis parts live in realtime/redisrt. Of our own packages
// the core imports only realtime/wire, the protocol's vocabulary, which
// is a leaf: whatever it imported would be listed here too.
func TestNoRedisClient(t *testing.T) {
	out, err := exec.Command("go", "list", "-deps", ".").Output()
	if err != nil {
		t.Fatalf("go list: %v", err)
	}
	deps := strings.Fields(string(out))
	if len(deps) == 0 || deps[len(deps)-1] != "github.com/liandong/liandong/realtime" {
		t.Fatalf("go list -deps listed %d packages, not ending with realtime", len(deps))
	}
	for _, d := range deps[:len(deps)-1] {
		ours := strings.HasPrefix(d, "github.com/liandong/liandong/")
		if strings.Contains(d, "go-redis") || ours && d != "github.com/liandong/liandong/realtime/wire" {
			t.Errorf("realtime depends on %s", d)
		}
	}
}
