package server

import (
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/liandong/liandong/internal/testkit"
)

func TestEveryShippedConfigLoads(t *testing.T) {
	files, err := filepath.Glob("../../configs/*.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if len(files) == 0 {
		t.Fatal("no config files found in configs/")
	}
	for _, f := range files {
		t.Run(filepath.Base(f), func(t *testing.T) {
			c := Default()
			if err := LoadFile(&c, f); err != nil {
				t.Fatal(err)
			}
			if err := c.Validate(); err != nil {
				t.Fatal(err)
			}
		})
	}
}

func TestShippedConfigMatchesDefaults(t *testing.T) {
	c := Default()
	if err := LoadFile(&c, "../../configs/liandong.yaml"); err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(c, Default()) {
		t.Fatalf("configs/liandong.yaml differs from Default():\n file %+v\n code %+v", c, Default())
	}
}

func TestUnknownKeyIsNamed(t *testing.T) {
	for name, body := range map[string]string{
		"top level": "listen: 127.0.0.1:1\nlisten_adress: x\n",
		"nested":    "index:\n  stale_aftr: 5m\n",
	} {
		t.Run(name, func(t *testing.T) {
			path := testkit.WriteFile(t, "c.yaml", body)
			_, err := Load([]string{"-config", path}, noEnv)
			if err == nil {
				t.Fatal("unknown key accepted")
			}
			key := strings.TrimSpace(strings.Split(strings.Split(body, "\n")[len(strings.Split(body, "\n"))-2], ":")[0])
			if !strings.Contains(err.Error(), key) {
				t.Fatalf("error %q does not name the key %q", err, key)
			}
		})
	}
}

func noEnv(string) string { return "" }

func envOf(m map[string]string) func(string) string {
	return func(k string) string { return m[k] }
}

func TestPrecedence(t *testing.T) {
	file := testkit.WriteFile(t, "c.yaml", "listen: 127.0.0.1:1001\noffers:\n  ttl: 30s\nredis:\n  prefix: 'file:'\n")
	tests := []struct {
		name       string
		args       []string
		env        map[string]string
		wantListen string
		wantTTL    time.Duration
		wantPrefix string
	}{
		{"defaults only", nil, nil, "127.0.0.1:8080", 60 * time.Second, "ld:"},
		{"file over defaults", []string{"-config", file}, nil, "127.0.0.1:1001", 30 * time.Second, "file:"},
		{"config path from env", nil, map[string]string{"LIANDONG_CONFIG": file}, "127.0.0.1:1001", 30 * time.Second, "file:"},
		{"env over file", []string{"-config", file}, map[string]string{
			"LIANDONG_LISTEN": "127.0.0.1:1002", "LIANDONG_OFFER_TTL": "90s", "LIANDONG_REDIS_PREFIX": "env:",
		}, "127.0.0.1:1002", 90 * time.Second, "env:"},
		{"flag over env", []string{"-config", file, "-listen", "127.0.0.1:1003"}, map[string]string{"LIANDONG_LISTEN": "127.0.0.1:1002"}, "127.0.0.1:1003", 30 * time.Second, "file:"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Chdir(t.TempDir()) // no configs/liandong.yaml here
			c, err := Load(tt.args, envOf(tt.env))
			if err != nil {
				t.Fatal(err)
			}
			if c.Listen != tt.wantListen || c.Offers.TTL != tt.wantTTL || c.Redis.Prefix != tt.wantPrefix {
				t.Fatalf("got listen %s ttl %s prefix %s; want %s %s %s", c.Listen, c.Offers.TTL, c.Redis.Prefix, tt.wantListen, tt.wantTTL, tt.wantPrefix)
			}
		})
	}
}

func TestInvalidSettingsRefused(t *testing.T) {
	tests := []struct {
		name string
		args []string
		env  map[string]string
		want string
	}{
		{"bad ttl", nil, map[string]string{"LIANDONG_OFFER_TTL": "soon"}, "LIANDONG_OFFER_TTL"},
		{"real redis without token key", []string{"-redis", "redis://127.0.0.1:6379/0"}, nil, "LIANDONG_TOKEN_KEY"},
		{"bad log level", []string{"-log-level", "loud"}, nil, "log.level"},
		{"braces in prefix", nil, map[string]string{"LIANDONG_REDIS_PREFIX": "a{b}"}, "redis.prefix"},
		{"stray argument", []string{"serve"}, nil, "unexpected argument"},
		{"missing config file", []string{"-config", "/nonexistent/x.yaml"}, nil, "/nonexistent/x.yaml"},
		{"connection cap not a number", nil, map[string]string{"LIANDONG_MAX_CONNS_PER_ADDRESS": "many"}, "LIANDONG_MAX_CONNS_PER_ADDRESS"},
		{"negative connection cap", nil, map[string]string{"LIANDONG_MAX_CONNS_PER_ADDRESS": "-1"}, "http.max_conns_per_address"},
		{"handshake rate zero", nil, map[string]string{"LIANDONG_HANDSHAKES_PER_SECOND": "0"}, "realtime.handshakes_per_second"},
		{"handshake rate not a number", nil, map[string]string{"LIANDONG_HANDSHAKES_PER_SECOND": "fast"}, "LIANDONG_HANDSHAKES_PER_SECOND"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Chdir(t.TempDir())
			_, err := Load(tt.args, envOf(tt.env))
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("err = %v; want one mentioning %q", err, tt.want)
			}
		})
	}
}

// TestLimitsFromTheEnvironment: the drill harness turns the limits per
// address and per staff user off through the environment.
func TestLimitsFromTheEnvironment(t *testing.T) {
	t.Chdir(t.TempDir())
	c, err := Load(nil, envOf(map[string]string{"LIANDONG_MAX_CONNS_PER_ADDRESS": "0",
		"LIANDONG_HANDSHAKES_PER_SECOND": "-1", "LIANDONG_MAX_SOCKETS_PER_STAFF": "0"}))
	if err != nil {
		t.Fatal(err)
	}
	if c.HTTP.MaxConnsPerAddress != 0 || c.Realtime.HandshakesPerSecond != -1 || c.Realtime.MaxSocketsPerStaff != 0 {
		t.Fatalf("http %+v realtime %+v", c.HTTP, c.Realtime)
	}
}
