package server

import (
	"errors"
	"fmt"
	"testing"
	"time"

	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"
	"go.uber.org/zap/zaptest/observer"

	"github.com/liandong/liandong/mobilize"
)

// TestFailureLogSaysAnOutageTwice: ticks failing because Redis does not
// answer make one warning when it starts and one line when a tick works
// again; any other failure is an error line every time.
func TestFailureLogSaysAnOutageTwice(t *testing.T) {
	core, seen := observer.New(zap.DebugLevel)
	clock := time.Date(2026, 11, 29, 3, 0, 0, 0, time.UTC)
	f := &failureLog{log: zap.New(core), loop: "matcher", now: func() time.Time { return clock }}
	down := fmt.Errorf("expire offers: %w", mobilize.ErrUnavailable)

	f.report(nil)
	for range 50 {
		f.report(down)
		clock = clock.Add(time.Second)
	}
	f.report(nil)
	f.report(nil)
	f.report(errors.New("damaged record"))
	f.report(errors.New("damaged record"))

	var got []string
	for _, e := range seen.All() {
		got = append(got, e.Level.String()+" "+e.Message)
	}
	want := []string{
		"warn redis not answering: loop paused until it does",
		"info redis answers again: loop resumed",
		"error loop round failed",
		"error loop round failed",
	}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("log lines:\n%q\nwant\n%q", got, want)
	}
	resumed := seen.FilterMessage("redis answers again: loop resumed").All()[0]
	if d := resumed.ContextMap()["paused_for"]; d != 50*time.Second {
		t.Fatalf("paused_for %v, want 50s", d)
	}
	if resumed.ContextMap()["loop"] != "matcher" || resumed.Level != zapcore.InfoLevel {
		t.Fatalf("resumed line %+v", resumed)
	}
}
