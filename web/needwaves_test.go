package web

import (
	"testing"

	"github.com/liandong/liandong/internal/redistest"
	"github.com/liandong/liandong/internal/testkit"
	"github.com/liandong/liandong/mobilize"
	"github.com/liandong/liandong/mobilize/redisstore"
)

// TestNeedShowsItsWave: GET need shows, on an open team entry of an
// urgency offered in waves, the estimated acceptance, the wave size and
// the offers out; an urgency offered singly shows none.
func TestNeedShowsItsWave(t *testing.T) {
	_, rdb := redistest.Embedded(t)
	var waves *mobilize.Service
	e := newEnv(t, rdb, func(o *APIOptions) {
		st, err := redisstore.NewStore(rdb, redisstore.IndexOptions{Prefix: testPrefix, Region: testRegion, Now: testkit.NewClock().Now})
		if err != nil {
			t.Fatal(err)
		}
		cfg := mobilize.DefaultMatchConfig()
		cfg.Waves.Modes[0] = mobilize.WaveAdaptive
		waves = mobilize.NewService(mobilize.ServiceDeps{Store: st, Now: testkit.NewClock().Now, Acceptance: st}, cfg)
		o.Service = waves
	})
	op := e.token("op1", RoleOperator, "")
	// Four people: the routine need's one offer comes before the urgent
	// wave's second and third (waves.go), so three are left for the wave.
	for _, name := range []string{"Li Lei", "Wang Fang", "Zhang Wei", "Liu Yang"} {
		var reg registeredJSON
		e.do("POST", "/api/v1/responders", op, map[string]any{"name": name, "role": "volunteer"}).Want(t, 201).Decode(t, &reg)
		e.do("PUT", "/api/v1/responders/"+reg.ID+"/location", reg.Token, map[string]any{"lat": testLat, "lng": testLng + 0.002}).Want(t, 204)
	}
	create := func(urgency int) needJSON {
		var n needJSON
		e.do("POST", "/api/v1/needs", op, map[string]any{"lat": testLat, "lng": testLng, "category": "fall", "urgency": urgency,
			"team": []map[string]any{{"role": "volunteer", "count": 1}}}).Want(t, 201).Decode(t, &n)
		return n
	}
	urgent, routine := create(1), create(4)
	if _, err := waves.Matcher().Tick(t.Context()); err != nil {
		t.Fatal(err)
	}
	var got needJSON
	e.do("GET", "/api/v1/needs/"+urgent.ID, op, nil).Want(t, 200).Decode(t, &got)
	w := got.Team[0].Wave
	if w == nil || w.PAccept != 0.5 || w.Size != 3 || w.Outstanding != 3 {
		t.Fatalf("urgent need's wave %+v, want p 0.5, size 3, 3 out", w)
	}
	var single needJSON
	e.do("GET", "/api/v1/needs/"+routine.ID, op, nil).Want(t, 200).Decode(t, &single)
	if single.Team[0].Wave != nil || single.Team[0].Pending != 1 {
		t.Fatalf("routine need offered singly: %+v, want one offer and no wave", single.Team[0])
	}
}
