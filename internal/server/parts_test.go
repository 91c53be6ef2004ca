package server

import (
	"bytes"
	"crypto/ed25519"
	"encoding/base64"
	"fmt"
	"reflect"
	"strings"
	"testing"
	"time"
)

// readByMain are the keys Main consumes itself rather than handing to a
// constructor, each with where: the process's own plumbing.
var readByMain = map[string]string{
	"listen":                 "Main.Run: net.Listen",
	"log.level":              "NewLogger",
	"log.format":             "NewLogger",
	"redis.url":              "openRedis",
	"redis.embedded_addr":    "openRedis",
	"index.sweep_every":      "startLoops: the sweeper's ticker",
	"http.shutdown_timeout":  "Main.Close and main: the HTTP shutdown",
	"areas.file":             "loadAreaFile",
	"privacy.sweep_interval": "startLoops: the retention sweeper's ticker",
	"open311.services":       "a list: TestOpen311ServicesReachTheDoor",
}

// yamlLeaves lists every leaf key of v's type by its YAML path, with the
// field's address in v.
func yamlLeaves(prefix string, v reflect.Value) map[string]reflect.Value {
	out := map[string]reflect.Value{}
	t := v.Type()
	for i := range t.NumField() {
		tag, _, _ := strings.Cut(t.Field(i).Tag.Get("yaml"), ",")
		if tag == "" || tag == "-" {
			continue
		}
		path := tag
		if prefix != "" {
			path = prefix + "." + tag
		}
		f := v.Field(i)
		if f.Kind() == reflect.Struct {
			for k, leaf := range yamlLeaves(path, f) {
				out[k] = leaf
			}
			continue
		}
		out[path] = f
	}
	return out
}

// probe sets leaf to a value no default has, distinct per n, and returns
// what a constructor's input must then contain.
func probe(t *testing.T, leaf reflect.Value, n int) any {
	switch leaf.Kind() {
	case reflect.String:
		s := fmt.Sprintf("probe-%d-value-long-enough-for-a-key", n)
		leaf.SetString(s)
		return s
	case reflect.Bool:
		leaf.SetBool(!leaf.Bool())
		return leaf.Bool()
	case reflect.Int, reflect.Int64:
		if leaf.Type() == reflect.TypeFor[time.Duration]() {
			d := time.Duration(7_000_003+n) * time.Millisecond
			leaf.SetInt(int64(d))
			return d
		}
		leaf.SetInt(int64(90_001 + n))
		return leaf.Interface()
	case reflect.Float64:
		leaf.SetFloat(70_001.5 + float64(n))
		return leaf.Float()
	}
	t.Fatalf("no probe for a %s", leaf.Type())
	return nil
}

// holds reports whether want appears anywhere in v (strings also as
// bytes: a secret is handed over as []byte).
func holds(v reflect.Value, want any) bool {
	if !v.IsValid() {
		return false
	}
	if v.CanInterface() {
		if reflect.DeepEqual(v.Interface(), want) {
			return true
		}
		if s, ok := want.(string); ok && v.Type() == reflect.TypeFor[[]byte]() && bytes.Equal(v.Bytes(), []byte(s)) {
			return true
		}
		// A named string type (a mode such as mobilize.WaveMode) carries
		// the value as it was written.
		if s, ok := want.(string); ok && v.Kind() == reflect.String && v.String() == s {
			return true
		}
	}
	switch v.Kind() {
	case reflect.Pointer, reflect.Interface:
		return !v.IsNil() && holds(v.Elem(), want)
	case reflect.Struct:
		for i := range v.NumField() {
			if v.Type().Field(i).IsExported() && holds(v.Field(i), want) {
				return true
			}
		}
	case reflect.Map:
		for it := v.MapRange(); it.Next(); {
			if holds(it.Value(), want) {
				return true
			}
		}
	case reflect.Array, reflect.Slice:
		if v.Type().Elem().Kind() == reflect.Uint8 {
			return false
		}
		for i := range v.Len() {
			if holds(v.Index(i), want) {
				return true
			}
		}
	}
	return false
}

// constructorInputs is everything Run hands to a constructor.
func constructorInputs(c Config) []any {
	return []any{c.indexOptions(), c.matchConfig(), c.escalationConfig(), c.apiOptions(), c.pageOptions(), c.consoleLimits(), c.notifyOptions(), c.retentionConfig(), c.Redis.Prefix,
		c.hubOptions(), c.serverLimits(), c.pushSettings(), c.reachParts(), c.capConfig(), c.capFeeds(), c.serviceTuning(),
		c.duplicateConfig(), c.open311Options(),
		c.requestParts(),
		c.nudgeConfig(),
		c.leaseOptions()}
}

// TestEveryKeyReachesAConstructor changes one configuration key at a time
// and looks for the new value in what the parts are built from: a key that
// is parsed and then forgotten (as http.max_body_bytes once was) fails.
func TestEveryKeyReachesAConstructor(t *testing.T) {
	seed := make([]byte, ed25519.SeedSize)
	seed[0] = 7
	keys := yamlLeaves("", reflect.ValueOf(Default()))
	if len(keys) < 30 {
		t.Fatalf("found only %d keys; the walk is broken", len(keys))
	}
	n := 0
	for path := range keys {
		n++
		if _, ok := readByMain[path]; ok {
			continue
		}
		t.Run(path, func(t *testing.T) {
			c := Default()
			leaf := yamlLeaves("", reflect.ValueOf(&c).Elem())[path]
			var want any
			if path == "recognition.signing_key" {
				// A seed is parsed into the key that signs.
				leaf.SetString(base64.StdEncoding.EncodeToString(seed))
				want = ed25519.NewKeyFromSeed(seed)
			} else {
				want = probe(t, leaf, n)
			}
			before, after := constructorInputs(Default()), constructorInputs(c)
			if _, isBool := want.(bool); isBool {
				// Both values of a flag occur everywhere: a flipped flag
				// must change what some constructor receives.
				if reflect.DeepEqual(before, after) {
					t.Errorf("%s = %v reaches no constructor: parsed, then forgotten", path, want)
				}
				return
			}
			if holds(reflect.ValueOf(before), want) {
				t.Fatalf("the default already holds the probe %v", want)
			}
			if !holds(reflect.ValueOf(after), want) {
				t.Errorf("%s = %v reaches no constructor: parsed, then forgotten", path, want)
			}
		})
	}
	for path := range readByMain {
		if _, ok := keys[path]; !ok {
			t.Errorf("readByMain names %s, which is no configuration key", path)
		}
	}
}

// TestOpen311ServicesReachTheDoor: the service list of the file is the
// door's, field by field.
func TestOpen311ServicesReachTheDoor(t *testing.T) {
	c := Default()
	c.Open311.Services[0].NameZh, c.Open311.Services[0].Urgency = "探测", 1
	got := c.open311Options().Services
	if len(got) != len(c.Open311.Services) || got[0].NameZh != "探测" || got[0].Urgency != 1 ||
		got[1].Code != c.Open311.Services[1].Code || got[1].Category != c.Open311.Services[1].Category || len(got[1].Team) != 1 {
		t.Fatalf("services reaching the door: %+v", got)
	}
}
