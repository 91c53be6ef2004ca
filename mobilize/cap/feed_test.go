package cap

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"go.uber.org/zap"
)

type seenMap map[string]bool

func (s seenMap) CAPProcessed(_ context.Context, k string) (bool, error) { return s[k], nil }
func (s seenMap) MarkCAPProcessed(_ context.Context, k string) error     { s[k] = true; return nil }

// TestPollerAppliesEachAlertOnce: an Atom feed linking one alert and
// embedding another is applied once; polling again applies nothing; a
// feed with a DTD and an alert over the size cap are skipped.
func TestPollerAppliesEachAlertOnce(t *testing.T) {
	actual := readAlert(t, "typhoon-actual.xml")
	update := strings.TrimPrefix(string(readAlert(t, "typhoon-update.xml")), `<?xml version="1.0" encoding="UTF-8"?>`)
	var fetches atomic.Int32
	mux := http.NewServeMux()
	mux.HandleFunc("/alerts/1.xml", func(w http.ResponseWriter, r *http.Request) {
		fetches.Add(1)
		w.Header().Set("Content-Type", "application/cap+xml")
		w.Write(actual)
	})
	mux.HandleFunc("/alerts/huge.xml", func(w http.ResponseWriter, r *http.Request) {
		w.Write([]byte(strings.Repeat(" ", 64<<10)))
	})
	var srv *httptest.Server
	mux.HandleFunc("/feed.atom", func(w http.ResponseWriter, r *http.Request) {
		w.Write([]byte(`<?xml version="1.0" encoding="UTF-8"?><feed xmlns="http://www.w3.org/2005/Atom"><title>预警</title>` +
			`<entry><id>1</id><link rel="alternate" type="application/cap+xml" href="` + srv.URL + `/alerts/1.xml"/></entry>` +
			`<entry><id>2</id><content type="application/cap+xml">` + update + `</content></entry>` +
			`<entry><id>3</id><link href="` + srv.URL + `/alerts/huge.xml"/></entry></feed>`))
	})
	mux.HandleFunc("/dtd.rss", func(w http.ResponseWriter, r *http.Request) {
		w.Write([]byte(`<!DOCTYPE rss [<!ENTITY x SYSTEM "file:///etc/passwd">]><rss><channel><item><link>` + srv.URL + `/alerts/1.xml</link></item></channel></rss>`))
	})
	srv = httptest.NewServer(mux)
	defer srv.Close()

	var got []string
	p := &Poller{Feeds: []string{srv.URL + "/dtd.rss", srv.URL + "/feed.atom"}, Client: &http.Client{Timeout: 5 * time.Second}, MaxBytes: 32 << 10,
		Seen: seenMap{}, Log: zap.NewNop(),
		Receive: func(_ context.Context, a *Alert) error { got = append(got, a.MsgType); return nil }}
	if n := p.PollOnce(context.Background()); n != 2 || strings.Join(got, ",") != "Alert,Update" {
		t.Fatalf("first poll applied %d: %v", n, got)
	}
	if n := p.PollOnce(context.Background()); n != 0 || len(got) != 2 {
		t.Errorf("second poll applied %d: %v", n, got)
	}
	if f := fetches.Load(); f != 1 {
		t.Errorf("the linked alert was fetched %d times, want once", f)
	}
}
