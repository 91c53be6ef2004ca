package notify

import (
	"context"
	"encoding/json"
	"sync"
)

// call is one thing the notifier asked of the hub.
type call struct {
	to       string   // inbox recipient; "" for a publish
	channels []string // publish channels
	typ      string
	data     string // JSON
}

// fakeHub records what it is asked. deliver, when set, decides each
// Deliver's fate before it is recorded (an error is not recorded).
type fakeHub struct {
	mu      sync.Mutex
	calls   []call
	deliver func(ctx context.Context, to, typ string) error
}

func (h *fakeHub) Deliver(ctx context.Context, to, typ string, data any) (string, error) {
	if h.deliver != nil {
		if err := h.deliver(ctx, to, typ); err != nil {
			return "", err
		}
	}
	b, err := json.Marshal(data)
	if err != nil {
		return "", err
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	h.calls = append(h.calls, call{to: to, typ: typ, data: string(b)})
	return "1-0", nil
}

func (h *fakeHub) Publish(ctx context.Context, channels []string, typ string, data any) error {
	b, err := json.Marshal(data)
	if err != nil {
		return err
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	h.calls = append(h.calls, call{channels: channels, typ: typ, data: string(b)})
	return nil
}

func (h *fakeHub) recorded() []call {
	h.mu.Lock()
	defer h.mu.Unlock()
	return append([]call(nil), h.calls...)
}

// inboxOf lists the inbox messages delivered to one responder, in order.
func (h *fakeHub) inboxOf(to string) []call {
	var out []call
	for _, c := range h.recorded() {
		if c.to == to {
			out = append(out, c)
		}
	}
	return out
}
