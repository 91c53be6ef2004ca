package pushtest

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
)

// endpointPrefix is the path under which the service's endpoints live.
const endpointPrefix = "/push/"

// Request is one message the service received.
type Request struct {
	Name          string // the endpoint's name, as given to Endpoint
	TTL           string
	Urgency       string
	Topic         string
	Authorization string // "vapid t=<JWT>, k=<public key>" (RFC 8292 §3)
	Header        http.Header
	Body          []byte
	Status        int // what the service answered
}

// Service is a local push service: it accepts POSTs on its endpoints,
// records them and answers 201 Created unless a test sets otherwise.
// It is safe for concurrent use.
type Service struct {
	srv *httptest.Server

	mu         sync.Mutex
	requests   []Request
	answers    map[string][]int // per endpoint, in order; the last repeats
	retryAfter map[string]string
	changed    chan struct{} // closed and replaced on each request
}

// NewService starts a local push service. Close it when done.
func NewService() *Service {
	s := &Service{
		answers:    map[string][]int{},
		retryAfter: map[string]string{},
		changed:    make(chan struct{}),
	}
	s.srv = httptest.NewServer(http.HandlerFunc(s.serve))
	return s
}

// URL is the service's origin, e.g. http://127.0.0.1:PORT.
func (s *Service) URL() string { return s.srv.URL }

// Endpoint is the push endpoint URL for a subscription called name.
func (s *Service) Endpoint(name string) string { return s.srv.URL + endpointPrefix + name }

// Close stops the service.
func (s *Service) Close() { s.srv.Close() }

// SetStatus makes the endpoint answer the given statuses in turn, the
// last one for every later request: SetStatus("a", 429, 201) refuses
// once and then accepts; SetStatus("a", 410) says the subscription is gone.
func (s *Service) SetStatus(name string, statuses ...int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.answers[name] = append([]int(nil), statuses...)
}

// SetRetryAfter adds a Retry-After header (in seconds) to the endpoint's
// 429 and 5xx answers.
func (s *Service) SetRetryAfter(name string, seconds int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.retryAfter[name] = strconv.Itoa(seconds)
}

// Requests returns a copy of every request received so far, in order.
func (s *Service) Requests() []Request {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Request(nil), s.requests...)
}

// Wait blocks until at least n requests have arrived and returns them,
// or returns ctx's error with those that did.
func (s *Service) Wait(ctx context.Context, n int) ([]Request, error) {
	for {
		s.mu.Lock()
		got := append([]Request(nil), s.requests...)
		changed := s.changed
		s.mu.Unlock()
		if len(got) >= n {
			return got, nil
		}
		select {
		case <-changed:
		case <-ctx.Done():
			return got, ctx.Err()
		}
	}
}

func (s *Service) serve(w http.ResponseWriter, r *http.Request) {
	name, ok := strings.CutPrefix(r.URL.Path, endpointPrefix)
	if r.Method != http.MethodPost || !ok || name == "" {
		http.NotFound(w, r)
		return
	}
	body, err := io.ReadAll(r.Body)
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}

	s.mu.Lock()
	status := http.StatusCreated
	if queue := s.answers[name]; len(queue) > 0 {
		status = queue[0]
		if len(queue) > 1 {
			s.answers[name] = queue[1:]
		}
	}
	retryAfter := s.retryAfter[name]
	s.requests = append(s.requests, Request{
		Name:          name,
		TTL:           r.Header.Get("TTL"),
		Urgency:       r.Header.Get("Urgency"),
		Topic:         r.Header.Get("Topic"),
		Authorization: r.Header.Get("Authorization"),
		Header:        r.Header.Clone(),
		Body:          body,
		Status:        status,
	})
	close(s.changed)
	s.changed = make(chan struct{})
	s.mu.Unlock()

	if retryAfter != "" && (status == http.StatusTooManyRequests || status >= 500) {
		w.Header().Set("Retry-After", retryAfter)
	}
	if status == http.StatusCreated {
		// RFC 8030 §5: the push service names the message it accepted.
		w.Header().Set("Location", s.srv.URL+"/message/"+strconv.Itoa(len(body)))
	}
	w.WriteHeader(status)
}
