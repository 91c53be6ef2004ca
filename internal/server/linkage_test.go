package server

import (
	"context"
	"encoding/json"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/gorilla/websocket"
	"go.uber.org/zap"

	"github.com/liandong/liandong/geo"
	"github.com/liandong/liandong/internal/redistest"
	"github.com/liandong/liandong/mobilize/redisstore"
)

func TestIllustrativeYantaiAreasLoadAndRoute(t *testing.T) {
	_, rdb := redistest.Embedded(t)
	store, err := redisstore.NewStore(rdb, redisstore.IndexOptions{Prefix: "t:", Region: "yt"})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	if err := loadAreaFile(ctx, store, "../../configs/areas/yantai-illustrative.geojson", zap.NewNop()); err != nil {
		t.Fatal(err)
	}
	areas, err := store.Areas(ctx)
	if err != nil || len(areas) != 29 {
		t.Fatalf("%d areas, %v; want 29", len(areas), err)
	}
	// Loading again at the next start replaces, and changes nothing.
	if err := loadAreaFile(ctx, store, "../../configs/areas/yantai-illustrative.geojson", zap.NewNop()); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		lat, lng float64
		prefix   string
	}{{37.54, 121.40, "zhifu-"}, {37.45, 121.45, "laishan-"}, {37.40, 121.60, "muping-"}, {37.50, 121.25, "fushan-"}, {37.0, 121.4, ""}} {
		p, _ := geo.NewPoint(tc.lat, tc.lng)
		c, err := store.Community(ctx, p)
		if err != nil {
			t.Fatal(err)
		}
		if (tc.prefix == "" && c != "") || !strings.HasPrefix(string(c), tc.prefix) {
			t.Errorf("(%g, %g) routed to %q, want a %q community", tc.lat, tc.lng, c, tc.prefix)
		}
	}
	if err := loadAreaFile(ctx, store, "missing.geojson", zap.NewNop()); err == nil {
		t.Fatal("a missing area file was accepted")
	}
}

// TestEscalationReachesTheConsole runs the server with the illustrative
// areas and a one-second goal for urgency 1: a need in a Zhifu community
// that only an unorganised volunteer can fill widens step by step, each
// step reaching an operator's console as need.escalated, until the city
// pool offers it to the volunteer.
func TestEscalationReachesTheConsole(t *testing.T) {
	cfg := Default()
	cfg.Auth.AdminPassword = "admin-password-esc"
	cfg.Areas.File = "../../configs/areas/yantai-illustrative.geojson"
	cfg.Escalation.GoalUrgency1 = time.Second
	m := runMain(t, cfg)
	base := "http://" + m.Addr()
	var login struct{ Token string }
	call(t, "POST", base+"/api/v1/auth/login", "", map[string]string{"username": "admin", "password": "admin-password-esc"}, &login)
	dial := func(token string) *websocket.Conn {
		u := url.URL{Scheme: "ws", Host: m.Addr(), Path: "/ws", RawQuery: "access_token=" + url.QueryEscape(token)}
		ws, _, err := websocket.DefaultDialer.Dial(u.String(), nil)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { ws.Close() })
		return ws
	}
	console := dial(login.Token)
	console.WriteJSON(map[string]any{"v": 1, "type": "subscribe", "data": map[string]any{"bbox": []float64{121.1, 37.3, 121.75, 37.65}}})
	next(t, console, "subscribed")

	var r struct{ ID, Token string }
	if code := call(t, "POST", base+"/api/v1/responders", login.Token, map[string]any{"name": "Free volunteer", "role": "volunteer"}, &r); code != 201 {
		t.Fatalf("register: %d", code)
	}
	vol := dial(r.Token)
	next(t, vol, "welcome")
	vol.WriteJSON(map[string]any{"v": 1, "type": "location", "data": map[string]float64{"lat": 37.571, "lng": 121.36}})

	var need struct{ ID, Community string }
	if code := call(t, "POST", base+"/api/v1/needs", login.Token, map[string]any{"lat": 37.57, "lng": 121.36, "category": "evacuation", "urgency": 1,
		"team": []map[string]any{{"role": "volunteer", "count": 1}}}, &need); code != 201 || !strings.HasPrefix(need.Community, "zhifu-") {
		t.Fatalf("create need: %d, community %q", code, need.Community)
	}
	for step := 1; step <= 5; step++ {
		e := next(t, console, "need.escalated")
		var d struct {
			NeedID   string  `json:"need_id"`
			Step     int     `json:"step"`
			StepName string  `json:"step_name"`
			Tier     string  `json:"tier"`
			GoalS    float64 `json:"goal_s"`
			At       string  `json:"at"`
		}
		if err := json.Unmarshal(e.Data, &d); err != nil {
			t.Fatal(err)
		}
		if d.NeedID != need.ID || d.Step != step || d.GoalS != 1 || d.At == "" {
			t.Fatalf("escalation event %s, want step %d of %s", e.Data, step, need.ID)
		}
		if step == 5 && (d.StepName != "city" || d.Tier != "city") {
			t.Fatalf("last step %s", e.Data)
		}
	}
	if got := next(t, vol, "offer"); !strings.Contains(string(got.Data), need.ID) {
		t.Fatalf("offer %s", got.Data)
	}
}
