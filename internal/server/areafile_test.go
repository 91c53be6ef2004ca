package server

import (
	"context"
	"strings"
	"testing"

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
