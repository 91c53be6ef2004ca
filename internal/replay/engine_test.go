package replay

import (
	"bytes"
	"context"
	"fmt"
	"math/rand/v2"
	"reflect"
	"testing"
	"time"

	"github.com/liandong/liandong/internal/redistest"
	"github.com/liandong/liandong/loadtest/recording"
	"github.com/liandong/liandong/mobilize"
	"github.com/liandong/liandong/mobilize/redisstore"
)

// lowAcceptance is a small emergency where people rarely take an offer:
// 40 volunteers around one square, 30 needs of urgency 1 or 2 over two
// minutes, and a recorded answer (accept 40%, decline 30%, silent 30%)
// for some of the people to some of the needs.
func lowAcceptance() recording.Recording {
	r := rand.New(rand.NewPCG(1, 2))
	rec := recording.Recording{Header: recording.Header{Format: recording.Format, Version: recording.Version, Scenario: "small",
		Start: time.Date(2026, 12, 7, 10, 0, 0, 0, time.UTC)}}
	for i := range 40 {
		rec.Records = append(rec.Records, recording.Record{T: 0, Type: recording.TypeResponder, Responder: fmt.Sprintf("p%03d", i),
			Role: "volunteer", MaxConcurrent: 1, Lat: 37.50 + r.Float64()*0.01, Lng: 121.40 + r.Float64()*0.01})
	}
	for i := range 30 {
		t := int64(i) * 4000
		need := fmt.Sprintf("n%03d", i)
		rec.Records = append(rec.Records, recording.Record{T: t, Type: recording.TypeNeed, Need: need, Category: "medical",
			Urgency: 1 + i%2, Lat: 37.50 + r.Float64()*0.01, Lng: 121.40 + r.Float64()*0.01,
			Team: []recording.TeamSlot{{Role: "volunteer", Count: 1}}, DeadlineMs: 10 * 60_000})
		for k := range 3 {
			who := fmt.Sprintf("p%03d", (i*3+k)%40)
			ans := recording.Accept
			switch x := r.Float64(); {
			case x < 0.3:
				ans = recording.Decline
			case x < 0.6:
				ans = recording.Silent
			}
			rec.Records = append(rec.Records, recording.Record{T: t + 500, Type: recording.TypeAnswer, Need: need, Responder: who,
				Answer: ans, DelayMs: 3000 + r.Int64N(20_000), TaskMs: 60_000 + r.Int64N(120_000)})
		}
	}
	return rec
}

func replayOnce(t *testing.T, rec recording.Recording, match mobilize.MatchConfig, seed uint64) Result {
	t.Helper()
	srv := redistest.Start(t, redistest.Options{})
	clock := NewClock(rec.Header.Start)
	opts := redisstore.DefaultIndexOptions()
	opts.Now = clock.Now
	st, err := redisstore.NewStore(srv.Client(t), opts)
	if err != nil {
		t.Fatal(err)
	}
	res, err := Run(context.Background(), rec, st, clock, match, "p", Options{Seed: seed, Drain: 5 * time.Minute})
	if err != nil {
		t.Fatal(err)
	}
	return res
}

func policies() (single, waves mobilize.MatchConfig) {
	single = mobilize.DefaultMatchConfig()
	single.Tick = time.Second
	waves = single
	waves.Waves.Modes = [4]mobilize.WaveMode{mobilize.WaveAdaptive, mobilize.WaveAdaptive, mobilize.WaveSingle, mobilize.WaveSingle}
	return single, waves
}

// TestReplayIsDeterministicAndWavesNeverOverStaff replays the same
// recording twice under waves (each on a Redis of its own) and compares
// every figure, need by need; and checks that waves, which offer a place
// to several people at once, never put more people on a need than it has
// places nor anyone on more needs than they may hold.
func TestReplayIsDeterministicAndWavesNeverOverStaff(t *testing.T) {
	rec := lowAcceptance()
	single, waves := policies()
	a := replayOnce(t, rec, waves, 7)
	b := replayOnce(t, rec, waves, 7)
	if !reflect.DeepEqual(a, b) {
		t.Fatalf("two replays of one file, policy and seed differ:\n%+v\n%+v", a, b)
	}
	if a.OverStaffed != 0 || a.DoubleBookings != 0 {
		t.Fatalf("waves: %d over-staffed needs, %d double bookings", a.OverStaffed, a.DoubleBookings)
	}
	if a.AnsweredAsRecorded == 0 || a.AnsweredSampled == 0 {
		t.Fatalf("answers: %d as recorded, %d sampled; the replay should use both", a.AnsweredAsRecorded, a.AnsweredSampled)
	}
	s := replayOnce(t, rec, single, 7)
	// The report of the two policies is the same, byte for byte, from
	// the two replays of waves: only its timestamp may differ.
	page := func(b Result) string {
		rep, err := Compare("small", 7, s, b)
		if err != nil {
			t.Fatal(err)
		}
		var buf bytes.Buffer
		if err := rep.WriteJSON(&buf); err != nil {
			t.Fatal(err)
		}
		if err := rep.WriteHTML(&buf); err != nil {
			t.Fatal(err)
		}
		return buf.String()
	}
	if page(a) != page(b) {
		t.Fatal("two reports of the same replays differ")
	}
	if s.OverStaffed != 0 || s.DoubleBookings != 0 {
		t.Fatalf("single: %d over-staffed needs, %d double bookings", s.OverStaffed, s.DoubleBookings)
	}
	if a.Offers <= s.Offers {
		t.Errorf("waves sent %d offers, single %d: waves should send more at 40%% acceptance", a.Offers, s.Offers)
	}
	staffed := func(r Result) (n int) {
		for _, x := range r.Needs {
			if x.Staffed {
				n++
			}
		}
		return n
	}
	rep, err := Compare("small", 7, s, a)
	if err != nil {
		t.Fatal(err)
	}
	if m := rep.Metric("staffed_p90", "u1-2"); m.B >= m.A {
		t.Errorf("waves did not shorten the urgent needs' p90 to staffed: %+v", m)
	} else {
		t.Logf("urgency 1-2 p90 to staffed: single %.1f s, waves %.1f s, interval of the difference [%.1f, %.1f]", m.A, m.B, m.Lo, m.Hi)
	}
	t.Logf("single: %d offers, %d/%d staffed; waves: %d offers, %d staffed", s.Offers, staffed(s), len(s.Needs), a.Offers, staffed(a))
}
