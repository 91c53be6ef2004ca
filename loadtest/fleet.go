package loadtest

import (
	"context"
	"fmt"
	"net"
	"net/url"
	"sync"
	"time"

	"github.com/gorilla/websocket"
	"github.com/paulmach/orb"
	"github.com/paulmach/orb/planar"
)

// dialConcurrency bounds simultaneous first connections: a burst of ten
// thousand SYNs overflows the server's accept backlog and turns into
// one-second retransmits that would be measured as server slowness.
const dialConcurrency = 128

// fleet is a set of phones in this process.
type fleet struct {
	phones []*phone
	wg     sync.WaitGroup
	cancel context.CancelFunc
}

// fleetSpec is everything needed to run phones, wherever they run; it is
// what a worker process receives on stdin.
type fleetSpec struct {
	Target    string        `json:"target"`
	Source    string        `json:"source,omitempty"` // local address to dial from
	Seed      uint64        `json:"seed"`
	Behaviour Behaviour     `json:"behaviour"`
	Report    time.Duration `json:"report"`
	Region    []LatLng      `json:"region"`
	People    []Person      `json:"people"`
	Field     *FieldSpec    `json:"field,omitempty"`
}

// wsURL turns the server's base URL into its websocket endpoint.
func wsURL(base string) (*url.URL, error) {
	u, err := url.Parse(base)
	if err != nil {
		return nil, err
	}
	switch u.Scheme {
	case "http":
		u.Scheme = "ws"
	case "https":
		u.Scheme = "wss"
	default:
		return nil, fmt.Errorf("target %q: want http or https", base)
	}
	u.Path, u.RawQuery = "/ws", ""
	return u, nil
}

// newDialer is the phones' websocket dialer: small buffers and a shared
// write buffer pool (ten thousand idle phones in one process), dialling
// from source when it is set.
func newDialer(source string) (*websocket.Dialer, error) {
	nd := &net.Dialer{Timeout: 15 * time.Second, KeepAlive: -1}
	if source != "" {
		ip := net.ParseIP(source)
		if ip == nil {
			return nil, fmt.Errorf("bad source address %q", source)
		}
		nd.LocalAddr = &net.TCPAddr{IP: ip}
	}
	return &websocket.Dialer{
		NetDialContext:   nd.DialContext,
		HandshakeTimeout: 20 * time.Second,
		ReadBufferSize:   1024,
		WriteBufferSize:  512,
		WriteBufferPool:  &sync.Pool{},
	}, nil
}

func newPhoneKit(spec *fleetSpec, emit func(Event)) (*phoneKit, error) {
	u, err := wsURL(spec.Target)
	if err != nil {
		return nil, err
	}
	dialer, err := newDialer(spec.Source)
	if err != nil {
		return nil, err
	}
	region := polygonOf(spec.Region)
	base, err := url.Parse(spec.Target)
	if err != nil {
		return nil, err
	}
	return &phoneKit{
		field:     spec.Field,
		client:    NewClient(base),
		wsURL:     u,
		dialer:    dialer,
		behaviour: spec.Behaviour,
		report:    spec.Report,
		inside:    func(p orb.Point) bool { return planar.PolygonContains(region, p) },
		emit:      emit,
		seed:      spec.Seed,
	}, nil
}

// startFleet starts every phone, pacing the first connections; it returns
// at once. Phones reconnect on their own until stop.
func startFleet(ctx context.Context, spec *fleetSpec, emit func(Event)) (*fleet, error) {
	kit, err := newPhoneKit(spec, emit)
	if err != nil {
		return nil, err
	}
	ctx, cancel := context.WithCancel(ctx)
	f := &fleet{cancel: cancel}
	now := time.Now()
	for _, p := range spec.People {
		f.phones = append(f.phones, newPhone(kit, p, now))
	}
	sem := make(chan struct{}, dialConcurrency)
	f.wg.Add(1)
	go func() {
		defer f.wg.Done()
		for _, ph := range f.phones {
			select {
			case sem <- struct{}{}:
			case <-ctx.Done():
				return
			}
			f.wg.Add(1)
			go func() {
				defer f.wg.Done()
				ph.run(ctx, sem)
			}()
		}
	}()
	return f, nil
}

// stop hangs up every phone and waits for their goroutines.
func (f *fleet) stop() {
	f.cancel()
	var wg sync.WaitGroup
	chunk := 512
	for i := 0; i < len(f.phones); i += chunk {
		part := f.phones[i:min(i+chunk, len(f.phones))]
		wg.Add(1)
		go func() {
			defer wg.Done()
			for _, ph := range part {
				ph.stop()
			}
		}()
	}
	wg.Wait()
	f.wg.Wait()
}
