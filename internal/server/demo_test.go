package server_test

import (
	"net/http"
	"testing"
	"time"

	"github.com/liandong/liandong/internal/demo"
	"github.com/liandong/liandong/internal/server"
	"github.com/liandong/liandong/internal/server/servertest"
	"github.com/liandong/liandong/internal/testkit"
)

func TestDemoSwitch(t *testing.T) {
	env := func(vars map[string]string) func(string) string { return func(k string) string { return vars[k] } }
	for _, c := range []struct {
		name string
		args []string
		vars map[string]string
		want bool
	}{
		{"off by default", nil, nil, false},
		{"flag", []string{"-demo"}, nil, true},
		{"env", nil, map[string]string{"LIANDONG_DEMO": "1"}, true},
		{"flag over env", []string{"-demo=false"}, map[string]string{"LIANDONG_DEMO": "true"}, false},
	} {
		cfg, err := server.Load(append([]string{"-config", "../../configs/liandong.yaml"}, c.args...), env(c.vars))
		if err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
		if cfg.Demo != c.want {
			t.Errorf("%s: demo %v, want %v", c.name, cfg.Demo, c.want)
		}
	}
	if _, err := server.Load([]string{"-config", "../../configs/liandong.yaml"}, env(map[string]string{"LIANDONG_DEMO": "maybe"})); err == nil {
		t.Error("LIANDONG_DEMO=maybe accepted")
	}
}

// TestDemoAtStart: with -demo the server comes up with the demo running
// (here on the embedded Redis), and one DELETE removes it.
func TestDemoAtStart(t *testing.T) {
	cfg := server.Default()
	cfg.Auth.AdminPassword = "demo-at-start"
	cfg.Demo = true
	m := servertest.Run(t, cfg, server.Hooks{Demo: demo.Options{
		AreasFile: "../../configs/areas/yantai-illustrative.geojson", Responders: 40,
		NeedEvery: 200 * time.Millisecond, AcceptAfter: 100 * time.Millisecond, CompleteAfter: 300 * time.Millisecond, MoveEvery: 200 * time.Millisecond,
	}})
	admin := servertest.LoginAdmin(t, servertest.Base(m), "demo-at-start")
	var st struct {
		Running                                  bool
		Needs, Responders, Organisations, Depots int
	}
	admin.Call("GET", "/api/v1/demo", nil, &st)
	if !st.Running || st.Responders != 40 || st.Organisations == 0 || st.Depots == 0 {
		t.Fatalf("state at start: %+v", st)
	}
	// Bounded generously: the machine that runs the suite is shared.
	testkit.WaitFor(t, "a demo need completed", 45*time.Second, func() bool {
		var list struct{ Needs []struct{ ID string } }
		admin.Call("GET", "/api/v1/needs?status=completed", nil, &list)
		for _, n := range list.Needs {
			if demo.IsDemo(n.ID) {
				return true
			}
		}
		return false
	})
	if r := admin.Do("DELETE", "/api/v1/demo", nil); r.Status != http.StatusOK {
		t.Fatalf("DELETE: %d %s", r.Status, r.Body)
	}
	admin.Call("GET", "/api/v1/demo", nil, &st)
	if st.Running || st.Needs+st.Responders+st.Organisations+st.Depots != 0 {
		t.Fatalf("state after DELETE: %+v", st)
	}
	var list struct{ Needs []struct{ ID string } }
	admin.Call("GET", "/api/v1/needs", nil, &list)
	if len(list.Needs) != 0 {
		t.Fatalf("needs left after DELETE: %+v", list.Needs)
	}
	var orgs struct{ Organisations []struct{ ID string } }
	admin.Call("GET", "/api/v1/organisations", nil, &orgs)
	if len(orgs.Organisations) != 0 {
		t.Fatalf("organisations left after DELETE: %+v", orgs.Organisations)
	}
}
