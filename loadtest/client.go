package loadtest

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"
)

// Client speaks the server's HTTP API as an operator's tool would. It
// never follows redirects: a drill talks to its target and nothing else.
type Client struct {
	base  *url.URL
	http  *http.Client
	token string
}

// APIError is a refusal from the server, with its error code.
type APIError struct {
	Status  int
	Code    string
	Message string
}

func (e *APIError) Error() string {
	return fmt.Sprintf("HTTP %d %s: %s", e.Status, e.Code, e.Message)
}

// NewClient returns a client for the server at base (http://host:port).
func NewClient(base *url.URL) *Client {
	tr := http.DefaultTransport.(*http.Transport).Clone()
	tr.MaxIdleConnsPerHost = 64
	tr.Proxy = nil // loopback drills must not wander through a proxy
	return &Client{base: base, http: &http.Client{
		Transport: tr,
		Timeout:   60 * time.Second,
		CheckRedirect: func(*http.Request, []*http.Request) error {
			return http.ErrUseLastResponse
		},
	}}
}

// Token is the operator token the client logged in with.
func (c *Client) Token() string { return c.token }

// maxAttempts bounds retries of a request the server asked to slow down.
// A 429 was refused before anything happened, so any request is repeated;
// a 503 may have done part of its work, so only requests that are safe to
// repeat are: reads, and creations carrying an idempotency key.
const maxAttempts = 6

func (c *Client) do(ctx context.Context, method, path string, hdr http.Header, body, out any, want int) error {
	return c.doWant(ctx, method, path, hdr, body, out, want)
}

// as is the client speaking with another token (a phone's own), sharing
// the connections.
func (c *Client) as(token string) *Client { return &Client{base: c.base, http: c.http, token: token} }

// doWant is do for a call that may succeed with any of several statuses.
func (c *Client) doWant(ctx context.Context, method, path string, hdr http.Header, body, out any, wants ...int) error {
	var payload []byte
	if body != nil {
		var err error
		if payload, err = json.Marshal(body); err != nil {
			return err
		}
	}
	retryable := method == http.MethodGet || hdr.Get("Idempotency-Key") != ""
	for attempt := 1; ; attempt++ {
		status, raw, wait, err := c.once(ctx, method, path, hdr, payload)
		if err != nil {
			return err
		}
		again := status == http.StatusTooManyRequests || (status == http.StatusServiceUnavailable && retryable)
		if again && attempt < maxAttempts {
			if wait <= 0 {
				wait = time.Duration(125<<attempt) * time.Millisecond
			}
			if !sleepCtx(ctx, min(wait, 5*time.Second)) {
				return ctx.Err()
			}
			continue
		}
		if !slices.Contains(wants, status) {
			var e struct {
				Error struct{ Code, Message string } `json:"error"`
			}
			_ = json.Unmarshal(raw, &e)
			if e.Error.Code == "" {
				e.Error.Code = "http_" + strconv.Itoa(status)
				e.Error.Message = strings.TrimSpace(string(raw[:min(len(raw), 200)]))
			}
			return fmt.Errorf("%s %s: %w", method, path, &APIError{Status: status, Code: e.Error.Code, Message: e.Error.Message})
		}
		if out == nil {
			return nil
		}
		if err := json.Unmarshal(raw, out); err != nil {
			return fmt.Errorf("%s %s: decode answer: %w", method, path, err)
		}
		return nil
	}
}

// once makes one request and returns the status, the body and the
// server's Retry-After.
func (c *Client) once(ctx context.Context, method, path string, hdr http.Header, payload []byte) (int, []byte, time.Duration, error) {
	var rd io.Reader
	if payload != nil {
		rd = bytes.NewReader(payload)
	}
	req, err := http.NewRequestWithContext(ctx, method, c.base.JoinPath(path).String(), rd)
	if err != nil {
		return 0, nil, 0, err
	}
	for k, v := range hdr {
		req.Header[k] = v
	}
	if payload != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if c.token != "" {
		req.Header.Set("Authorization", "Bearer "+c.token)
	}
	resp, err := c.http.Do(req)
	if err != nil {
		return 0, nil, 0, err
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(io.LimitReader(resp.Body, 256<<20))
	if err != nil {
		return 0, nil, 0, fmt.Errorf("%s %s: read: %w", method, path, err)
	}
	var wait time.Duration
	if secs, err := strconv.Atoi(resp.Header.Get("Retry-After")); err == nil && secs >= 0 {
		wait = time.Duration(secs) * time.Second
	}
	return resp.StatusCode, raw, wait, nil
}

// Login gets an operator token.
func (c *Client) Login(ctx context.Context, user, password string) error {
	var out struct {
		Token string `json:"token"`
		Role  string `json:"role"`
	}
	err := c.do(ctx, http.MethodPost, "/api/v1/auth/login", nil, map[string]string{"username": user, "password": password}, &out, http.StatusOK)
	if err != nil {
		return fmt.Errorf("login as %s: %w", user, err)
	}
	if out.Token == "" {
		return errors.New("login: the server returned no token")
	}
	c.token = out.Token
	return nil
}

// registered is one answer entry of the batch registration.
type registered struct {
	ID    string `json:"id"`
	Token string `json:"token"`
}

// RegisterBatch registers up to 10,000 responders in one all-or-nothing
// call and returns their ids and tokens in order.
func (c *Client) RegisterBatch(ctx context.Context, regs []registration) ([]registered, error) {
	var out struct {
		Responders []registered `json:"responders"`
	}
	err := c.do(ctx, http.MethodPost, "/api/v1/responders/batch", nil, map[string]any{"responders": regs}, &out, http.StatusCreated)
	if err != nil {
		return nil, err
	}
	if len(out.Responders) != len(regs) {
		return nil, fmt.Errorf("register batch: sent %d responders, got %d back", len(regs), len(out.Responders))
	}
	return out.Responders, nil
}

// CreateNeed posts a need and returns its id. The idempotency key makes
// a retried request return the first need instead of a second one.
func (c *Client) CreateNeed(ctx context.Context, spec NeedSpec, key string) (string, error) {
	var out struct {
		ID string `json:"id"`
	}
	hdr := http.Header{"Idempotency-Key": {key}}
	if err := c.do(ctx, http.MethodPost, "/api/v1/needs", hdr, spec, &out, http.StatusCreated); err != nil {
		return "", err
	}
	if out.ID == "" {
		return "", errors.New("create need: the server returned no id")
	}
	return out.ID, nil
}

// serverNeed is GET /api/v1/needs/{id}; decoded loosely, since the server
// may add fields.
type serverNeed struct {
	ID          string             `json:"id"`
	Status      string             `json:"status"`
	Urgency     int                `json:"urgency"`
	Category    string             `json:"category"`
	Lat         float64            `json:"lat"`
	Lng         float64            `json:"lng"`
	Team        []serverTeam       `json:"team"`
	Assignments []serverAssignment `json:"assignments"`
	LeadID      *string            `json:"lead_id"`
	CreatedAt   string             `json:"created_at"`
	StaffedAt   *string            `json:"staffed_at"`
	Supplies    *serverSupplies    `json:"supplies"`
	Community   string             `json:"community"`
	Escalation  *serverEscalation  `json:"escalation"`
	IncidentID  string             `json:"incident_id"`
	FieldStatus []serverField      `json:"field_status"`
}

// serverField is one member's field_status in GET /api/v1/needs/{id}.
type serverField struct {
	ResponderID string  `json:"responder_id"`
	State       string  `json:"state"` // en_route, on_scene, left
	ArrivedAt   *string `json:"arrived_at"`
	Confirmed   bool    `json:"confirmed"`
	DistanceM   float64 `json:"distance_m"`
	Reason      string  `json:"reason"`
}

type serverTeam struct {
	Role      string   `json:"role"`
	Count     int      `json:"count"`
	Skills    []string `json:"skills"`
	Filled    int      `json:"filled"`
	Pending   int      `json:"pending"`
	Shortfall string   `json:"shortfall"`
}

type serverAssignment struct {
	OfferID     string `json:"offer_id"`
	ResponderID string `json:"responder_id"`
	Role        string `json:"role"`
	State       string `json:"state"`
	OfferedAt   string `json:"offered_at"`
	ExpiresAt   string `json:"expires_at"`
	AnsweredAt  string `json:"answered_at"`
	Reason      string `json:"reason"`
}

// Need fetches one need.
func (c *Client) Need(ctx context.Context, id string) (*serverNeed, error) {
	var n serverNeed
	if err := c.do(ctx, http.MethodGet, "/api/v1/needs/"+url.PathEscape(id), nil, nil, &n, http.StatusOK); err != nil {
		return nil, err
	}
	return &n, nil
}

// Stats fetches GET /api/v1/stats as raw JSON, kept verbatim in the report.
func (c *Client) Stats(ctx context.Context) (json.RawMessage, error) {
	var raw json.RawMessage
	if err := c.do(ctx, http.MethodGet, "/api/v1/stats", nil, nil, &raw, http.StatusOK); err != nil {
		return nil, err
	}
	return raw, nil
}

// Metrics reads the server process's resident memory and CPU time from
// its Prometheus text, for a server that is not our child.
func (c *Client) Metrics(ctx context.Context) (rssBytes, cpuSeconds float64, err error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, c.base.JoinPath("/metrics").String(), nil)
	if err != nil {
		return 0, 0, err
	}
	resp, err := c.http.Do(req)
	if err != nil {
		return 0, 0, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return 0, 0, fmt.Errorf("GET /metrics: HTTP %d", resp.StatusCode)
	}
	return parseProcessMetrics(resp.Body)
}

// parseProcessMetrics picks the two standard process gauges out of the
// Prometheus text format.
func parseProcessMetrics(r io.Reader) (rssBytes, cpuSeconds float64, err error) {
	found := 0
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for sc.Scan() {
		f := strings.Fields(sc.Text())
		if len(f) < 2 {
			continue
		}
		switch f[0] {
		case "process_resident_memory_bytes":
			rssBytes, err = strconv.ParseFloat(f[1], 64)
			found++
		case "process_cpu_seconds_total":
			cpuSeconds, err = strconv.ParseFloat(f[1], 64)
			found++
		}
		if err != nil {
			return 0, 0, err
		}
	}
	if found < 2 {
		return rssBytes, cpuSeconds, errors.New("metrics: process_resident_memory_bytes or process_cpu_seconds_total missing")
	}
	return rssBytes, cpuSeconds, sc.Err()
}
