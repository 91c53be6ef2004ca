package main

import (
	"context"
	"strings"
	"testing"

	"go.uber.org/zap"

	"github.com/liandong/liandong/internal/redistest"
	"github.com/liandong/liandong/mobilize"
	"github.com/liandong/liandong/mobilize/redisstore"
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
			if _, err := Load([]string{"-config", writeConfig(t, body)}, noEnv); err == nil {
				t.Fatal("accepted")
			}
		})
	}
}

func TestEscalationEventsAreCounted(t *testing.T) {
	_, rdb := redistest.Embedded(t)
	st, err := redisstore.NewStore(rdb, redisstore.IndexOptions{Prefix: "t:", Region: "yt"})
	if err != nil {
		t.Fatal(err)
	}
	var forwarded []string
	sink := &escalationCounter{store: st, log: zap.NewNop(),
		next: mobilize.EventSinkFunc(func(_ context.Context, e mobilize.Event) { forwarded = append(forwarded, e.Type) })}
	ctx := context.Background()
	sink.Emit(ctx, mobilize.Event{Type: "need.escalated", Data: map[string]any{"need_id": "n1", "step": "partners"}})
	sink.Emit(ctx, mobilize.Event{Type: "need.escalated", Data: map[string]any{"need_id": mobilize.NeedID("n1")}})
	sink.Emit(ctx, mobilize.Event{Type: "need.updated", Data: map[string]any{"need_id": "n2"}})
	got, err := st.Escalations(ctx)
	if err != nil || len(got) != 1 || got["n1"] != 2 {
		t.Fatalf("escalations %v %v", got, err)
	}
	if len(forwarded) != 3 {
		t.Fatalf("forwarded %v", forwarded)
	}
}
