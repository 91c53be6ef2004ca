package web

import (
	"fmt"
	"net/http/httptest"
	"strings"
	"testing"
)

// A client chooses the method string; a metric labelled with it would
// hold every string ever sent in memory and in every /metrics answer.
// Methods HTTP does not define are counted as "other", and routes are
// counted by their pattern, never by the path asked for.
func TestMetricsLabelsAreBounded(t *testing.T) {
	e := newEmbeddedEnv(t)
	long := strings.Repeat("M", 4000)
	for i := range 50 {
		method := fmt.Sprintf("%s%d", long, i)
		req := httptest.NewRequest(method, fmt.Sprintf("/api/v1/needs/n%d", i), nil)
		e.srv.ServeHTTP(httptest.NewRecorder(), req)
		req = httptest.NewRequest("GET", fmt.Sprintf("/no/such/path/%d", i), nil)
		e.srv.ServeHTTP(httptest.NewRecorder(), req)
	}
	rec := httptest.NewRecorder()
	e.srv.ServeHTTP(rec, httptest.NewRequest("GET", "/metrics", nil))
	body := rec.Body.String()
	if strings.Contains(body, long) {
		t.Fatal("a method the client made up is a metrics label")
	}
	if strings.Contains(body, "/no/such/path/") || strings.Contains(body, "/needs/n1") {
		t.Fatal("a raw path is a metrics label")
	}
	if !strings.Contains(body, `method="other"`) {
		t.Fatalf("no request counted with method other:\n%s", body)
	}
	series := 0
	for _, line := range strings.Split(body, "\n") {
		if strings.HasPrefix(line, "liandong_http_requests_total{") {
			series++
		}
	}
	if series == 0 || series > 5 {
		t.Fatalf("%d request series after 100 requests of 2 kinds and one /metrics, want a handful", series)
	}
}

// JSON answers, which echo what clients sent, tell browsers not to sniff
// another content type; errors too.
func TestJSONAnswersAreNotSniffed(t *testing.T) {
	e := newEmbeddedEnv(t)
	op := e.token("op", RoleOperator, "")
	for _, r := range []struct {
		method, path string
		body         any
	}{
		{"POST", "/api/v1/responders", map[string]any{"name": "<b>Li</b>", "role": "volunteer"}},
		{"GET", "/api/v1/needs/nope", nil},
		{"POST", "/api/v1/needs", `{"lat":`},
	} {
		got := e.do(r.method, r.path, op, r.body)
		if h := got.Header.Get("X-Content-Type-Options"); h != "nosniff" {
			t.Errorf("%s %s (%d): X-Content-Type-Options %q, want nosniff", r.method, r.path, got.Status, h)
		}
	}
}
