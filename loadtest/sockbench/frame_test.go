package sockbench

import (
	"strings"
	"testing"
	"time"
)

func TestFrameFields(t *testing.T) {
	raw := []byte(`{"v":1,"type":"responder.moved","ts":"2026-11-28T12:00:00.250Z","data":{"responder_id":"r1","lat":37.5,"at":"2026-11-28T12:00:00.1234567Z"}}`)
	if typ, ok := stringField(raw, "type"); !ok || string(typ) != "responder.moved" {
		t.Fatalf("type %q %v", typ, ok)
	}
	ts, ok := frameTime(raw, "ts")
	if !ok || !ts.Equal(time.Date(2026, 11, 28, 12, 0, 0, 250e6, time.UTC)) {
		t.Fatalf("ts %v %v", ts, ok)
	}
	at, ok := frameTime(raw, "at")
	if !ok || at.Nanosecond() != 123456700 {
		t.Fatalf("at %v %v", at, ok)
	}
	if got := sinceMS(ts.Add(12500*time.Microsecond), ts); got != 12.5 {
		t.Fatalf("sinceMS %v, want 12.5", got)
	}
	for _, bad := range []string{`{"type":"offer"}`, `{"ts":"yesterday"}`, `{"ts":"2026-11-28T12:00:00Z`} {
		if _, ok := frameTime([]byte(bad), "ts"); ok {
			t.Errorf("frameTime(%s) succeeded", bad)
		}
	}
	if _, ok := stringField([]byte(`{"id":"1-0"`+strings.Repeat(" ", 3)), "id"); !ok {
		t.Error("id not found")
	}
}

func TestParseVmRSS(t *testing.T) {
	status := "Name:\tliandong\nVmPeak:\t  900000 kB\nVmRSS:\t  123456 kB\nThreads:\t9\n"
	got, err := parseVmRSS(status)
	if err != nil || got != 123456*1024 {
		t.Fatalf("parseVmRSS: %d, %v", got, err)
	}
	for _, bad := range []string{"Name:\tx\n", "VmRSS:\t12 MB\n", "VmRSS:\tmany kB\n"} {
		if _, err := parseVmRSS(bad); err == nil {
			t.Errorf("parseVmRSS(%q) succeeded", bad)
		}
	}
}

func TestParseGauges(t *testing.T) {
	text := `# HELP go_goroutines Number of goroutines that currently exist.
# TYPE go_goroutines gauge
go_goroutines 30021
go_memstats_stack_inuse_bytes 1.2345e+08
go_gc_duration_seconds{quantile="0.5"} 0.0001
liandong_events_total{type="offer.sent"} 17
`
	got, err := parseGauges(strings.NewReader(text), runtimeGauges)
	if err != nil {
		t.Fatal(err)
	}
	if got["go_goroutines"] != 30021 || got["go_memstats_stack_inuse_bytes"] != 1.2345e8 || len(got) != 2 {
		t.Fatalf("gauges %v", got)
	}
	if _, err := parseGauges(strings.NewReader("go_goroutines lots\n"), runtimeGauges); err == nil {
		t.Error("a bad value was accepted")
	}
}

func TestSplitEventsAndNumbers(t *testing.T) {
	raw := []byte(`{"v":1,"type":"events","ts":"2026-11-28T12:00:00.300Z","data":{"events":[` +
		`{"v":1,"type":"responder.moved","ts":"2026-11-28T12:00:00.250Z","data":{"responder_id":"r1","lat":37.5,"lng":121.25,"at":"x"}},` +
		`{"v":1,"type":"need.created","ts":"2026-11-28T12:00:00.260Z","data":{"need_id":"n1"}}]}}`)
	items := splitEvents(raw)
	if len(items) != 2 {
		t.Fatalf("%d items: %q", len(items), items)
	}
	if typ, _ := stringField(items[1], "type"); string(typ) != "need.created" {
		t.Fatalf("second item %q", items[1])
	}
	if lat, ok := numberField(items[0], "lat"); !ok || lat != 37.5 {
		t.Fatalf("lat %v %v", lat, ok)
	}
	if lng, ok := numberField(items[0], "lng"); !ok || lng != 121.25 {
		t.Fatalf("lng %v %v", lng, ok)
	}
	if ts, ok := frameTime(items[0], "ts"); !ok || ts.Format(tsLayout) != "2026-11-28T12:00:00.250Z" {
		t.Fatalf("ts of the item %v", ts)
	}
	if splitEvents([]byte(`{"v":1,"type":"welcome","data":{}}`)) != nil {
		t.Fatal("a plain frame split into events")
	}
}
