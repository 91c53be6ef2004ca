package web

import (
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/liandong/liandong/mobilize"
	"github.com/liandong/liandong/mobilize/mobilizetest"
)

// broadcastArea is a GeoJSON Polygon d degrees around the test city.
func broadcastArea(d float64) map[string]any {
	return map[string]any{"type": "Polygon", "coordinates": [][][]float64{{
		{testLng - d, testLat - d}, {testLng + d, testLat - d}, {testLng + d, testLat + d}, {testLng - d, testLat + d}, {testLng - d, testLat - d}}}}
}

func TestBroadcastRefusesBadInputAndReachesTheChosenInside(t *testing.T) {
	e := newEmbeddedEnv(t)
	f := e.fixture()
	e.enroll("bv-a", "org-a", mobilize.RoleVolunteer, 1, true)
	e.enroll("bv-b", "org-b", mobilize.RoleVolunteer, 1, true)
	ops, coord := f.tokens[cOperator], f.tokens[cCoord]
	area := broadcastArea(0.01)
	for name, c := range map[string]struct {
		token  string
		body   any
		status int
	}{
		"malformed":        {ops, `{"text":`, 400},
		"empty text":       {ops, map[string]any{"text": "", "area": area}, 400},
		"501 characters":   {ops, map[string]any{"text": strings.Repeat("好", 501), "area": area}, 400},
		"no area":          {ops, map[string]any{"text": "hi"}, 400},
		"area not GeoJSON": {ops, map[string]any{"text": "hi", "area": map[string]any{"type": "Point", "coordinates": []float64{121, 37}}}, 400},
		"out of range": {ops, map[string]any{"text": "hi", "area": map[string]any{"type": "Polygon", "coordinates": [][][]float64{{
			{200, 37}, {201, 37}, {201, 38}, {200, 37}}}}}, 400},
		"unknown area id":  {ops, map[string]any{"text": "hi", "area": "no-such-area"}, 404},
		"unknown role":     {ops, map[string]any{"text": "hi", "area": area, "role": "pilot"}, 400},
		"unknown field":    {ops, map[string]any{"text": "hi", "area": area, "to": "all"}, 400},
		"another org":      {coord, map[string]any{"text": "hi", "area": area, "org": "org-b"}, 403},
		"responder":        {f.tokens[cResponder], map[string]any{"text": "hi", "area": area}, 403},
		"evaluator":        {f.tokens[cEvaluator], map[string]any{"text": "hi", "area": area}, 403},
		"oversized":        {ops, map[string]any{"text": strings.Repeat("a", 300<<10), "area": area}, 413},
		"bad dry_run flag": {ops, map[string]any{"text": "hi", "area": area}, 400},
	} {
		path := "/api/v1/messages"
		if name == "bad dry_run flag" {
			path += "?dry_run=maybe"
		}
		if r := e.do("POST", path, c.token, c.body); r.Status != c.status {
			t.Errorf("%s: %d, want %d: %s", name, r.Status, c.status, r.Body)
		}
	}
	if n := len(mobilizetest.EventsOf(e.events, func(mobilize.MessagePosted) bool { return true })); n != 0 {
		t.Fatalf("refused broadcasts were sent: %d", n)
	}

	// A dry run counts (the medic of org-b and the two volunteers are
	// available inside; r-one is busy), sends nothing.
	var out broadcastJSON
	e.do("POST", "/api/v1/messages?dry_run=1", ops, map[string]any{"text": "<b>疏散</b>", "area": area}).Want(t, 200).Decode(t, &out)
	if !out.DryRun || out.ID != "" || out.Recipients != 3 {
		t.Fatalf("dry run: %+v", out)
	}
	e.do("POST", "/api/v1/messages?dry_run=1", ops, map[string]any{"text": "hi", "area": area, "role": "volunteer"}).Want(t, 200).Decode(t, &out)
	if out.Recipients != 2 {
		t.Fatalf("volunteers only: %+v", out)
	}
	// A coordinator reaches only their own organisation, named or not.
	e.do("POST", "/api/v1/messages", coord, map[string]any{"text": "<b>疏散</b>", "area": area}).Want(t, 202).Decode(t, &out)
	if out.DryRun || !strings.HasPrefix(out.ID, "b") || out.Recipients != 1 {
		t.Fatalf("coordinator's broadcast: %+v", out)
	}
	posted := mobilizetest.EventsOf(e.events, func(m mobilize.MessagePosted) bool { return m.Message.ID == out.ID })
	if len(posted) != 1 || !slices.Equal(posted[0].To, []mobilize.ResponderID{"bv-a"}) || posted[0].Scope != mobilize.ScopeBroadcast ||
		posted[0].Message.Text != "<b>疏散</b>" || posted[0].Message.From.ID != "coord-a" {
		t.Fatalf("delivered: %+v", posted)
	}
	// Nobody outside the area.
	far := map[string]any{"type": "Polygon", "coordinates": [][][]float64{{{121.0, 37.0}, {121.01, 37.0}, {121.01, 37.01}, {121.0, 37.0}}}}
	e.do("POST", "/api/v1/messages?dry_run=1", ops, map[string]any{"text": "hi", "area": far}).Want(t, 200).Decode(t, &out)
	if out.Recipients != 0 {
		t.Fatalf("far away: %+v", out)
	}
	// The sender's budget: two a minute by default.
	e.do("POST", "/api/v1/messages", coord, map[string]any{"text": "second", "area": area}).Want(t, 202)
	if code := e.do("POST", "/api/v1/messages", coord, map[string]any{"text": "third", "area": area}).Want(t, 429).ErrorCode(t); code != "rate_limited" {
		t.Fatalf("code %s", code)
	}
}

func TestBroadcastOverTheCapIsA422(t *testing.T) {
	// The cap itself is the domain's (redisstore's broadcast test): here the
	// status and code the API gives it.
	if status, code := ErrorStatusCode(fmt.Errorf("broadcast: %w", mobilize.ErrTooManyRecipients)); status != 422 || code != "too_many_recipients" {
		t.Fatalf("%d %s", status, code)
	}
}
