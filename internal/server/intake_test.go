package server_test

import (
	"net/http"
	"strings"
	"testing"

	"github.com/liandong/liandong/internal/server"
	"github.com/liandong/liandong/internal/server/servertest"
	"github.com/liandong/liandong/internal/testkit"
)

// TestServerMountsTheOpen311Door: the running server answers the
// configured services and refuses a request without a key in the
// specification's error format.
func TestServerMountsTheOpen311Door(t *testing.T) {
	m := servertest.Run(t, server.Default(), server.Hooks{})
	c := testkit.Client{T: t, Base: "http://" + m.Addr()}
	r := c.Do("GET", "/open311/v2/services.json", nil)
	if r.Status != http.StatusOK || !strings.Contains(string(r.Body), `"service_code":"flood-rescue"`) {
		t.Fatalf("services.json = %d %s", r.Status, r.Body)
	}
	req, _ := http.NewRequest("POST", "http://"+m.Addr()+"/open311/v2/requests.xml", strings.NewReader("service_code=flood-rescue&lat=37.46&long=121.45"))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusForbidden || !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/xml") {
		t.Fatalf("POST without a key = %d %s", resp.StatusCode, resp.Header.Get("Content-Type"))
	}
}
