package mobilizetest

import (
	"context"
	"sync"
	"testing"

	"github.com/liandong/liandong/mobilize"
)

func TestRecorderKeepsEveryEventByType(t *testing.T) {
	var r Recorder
	var wg sync.WaitGroup
	for i := range 50 {
		wg.Go(func() {
			r.Emit(context.Background(), mobilize.ResponderMoved{Responder: mobilize.ResponderID(string(rune('a' + i%26)))})
			r.Emit(context.Background(), mobilize.Alerted{Alert: "x"})
		})
	}
	wg.Wait()
	if n := len(EventsOf[mobilize.ResponderMoved](&r, nil)); n != 50 {
		t.Fatalf("%d moves, want 50", n)
	}
	if n := len(EventsOf(&r, func(m mobilize.ResponderMoved) bool { return m.Responder == "a" })); n != 2 {
		t.Fatalf("%d moves of a, want 2 (i = 0 and 26)", n)
	}
	if n := len(r.Take()); n != 100 {
		t.Fatalf("took %d, want 100", n)
	}
	if n := len(r.Events()); n != 0 {
		t.Fatalf("%d left after Take, want 0", n)
	}
}
