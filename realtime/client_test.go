package realtime

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/gorilla/websocket"
	"github.com/redis/go-redis/v9"
	"go.uber.org/zap"
	"go.uber.org/zap/zaptest"

	"github.com/liandong/liandong/internal/redistest"
)

// TestMain fails the run when any goroutine of the hub, of its broker, of
// gorilla or of a go-redis pub/sub outlives the tests: every test closes
// what it opens.
func TestMain(m *testing.M) {
	code := m.Run()
	if code == 0 {
		if leaked := waitNoLeaks(5 * time.Second); leaked != "" {
			fmt.Fprintf(os.Stderr, "goroutines left behind:\n%s\n", leaked)
			code = 1
		}
	}
	os.Exit(code)
}

// leakMarkers are frames that only a goroutine the hub owns would have.
var leakMarkers = []string{
	"realtime.(*Session)", "redisrt.(*subscription).listen", "realtime.(*Hub).Serve",
	"gorilla/websocket.(*Conn)", "go-redis/v9.(*PubSub)",
}

// waitNoLeaks returns the stacks of goroutines still running hub code after
// waiting up to d, or "" when there are none.
func waitNoLeaks(d time.Duration) string {
	deadline := time.Now().Add(d)
	for {
		buf := make([]byte, 1<<20)
		buf = buf[:runtime.Stack(buf, true)]
		var leaked []string
		for _, g := range strings.Split(string(buf), "\n\n") {
			if strings.Contains(g, "waitNoLeaks") {
				continue
			}
			for _, m := range leakMarkers {
				if strings.Contains(g, m) {
					leaked = append(leaked, g)
					break
				}
			}
		}
		if len(leaked) == 0 {
			return ""
		}
		if time.Now().After(deadline) {
			return strings.Join(leaked, "\n\n")
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// NewRedisBackend builds the inbox and broker of realtime/redisrt, on which
// the hub's tests run. redisrt imports realtime, so a test in this package
// cannot import it back: redisrt_test.go, in package realtime_test, sets
// this from its init.
var NewRedisBackend func(rdb redis.UniversalClient, prefix string, inboxMaxLen int, log *zap.Logger) (Inbox, Broker)

// backends runs a test against the embedded Redis and a private
// redis-server, for behaviour that depends on streams, scripts and pub/sub.
func backends(t *testing.T, test func(t *testing.T, rdb redis.UniversalClient)) {
	redistest.Each(t, func(t *testing.T, b redistest.Backend) { test(t, b.Client) })
}

// embedded returns a client of a fresh miniredis.
func embedded(t *testing.T) redis.UniversalClient {
	_, c := redistest.Embedded(t)
	return c
}

// onRedis returns opts with an inbox and a broker on rdb whose keys and
// channels start with prefix; inboxMaxLen 0 takes the default.
func onRedis(t testing.TB, rdb redis.UniversalClient, prefix string, inboxMaxLen int, opts HubOptions) HubOptions {
	t.Helper()
	if NewRedisBackend == nil {
		t.Fatal("NewRedisBackend is unset: redisrt_test.go sets it")
	}
	if opts.Logger == nil {
		opts.Logger = zaptest.NewLogger(t, zaptest.Level(zap.InfoLevel))
	}
	opts.Inbox, opts.Broker = NewRedisBackend(rdb, prefix, inboxMaxLen, opts.Logger)
	return opts
}

// newHub builds and runs a hub closed at the end of the test. Without an
// inbox in opts it runs on rdb with the prefix "test:".
func newHub(t testing.TB, rdb redis.UniversalClient, opts HubOptions) *Hub {
	t.Helper()
	if opts.Inbox == nil {
		opts = onRedis(t, rdb, "test:", 0, opts)
	}
	h, err := New(opts)
	if err != nil {
		t.Fatal(err)
	}
	if err := h.Run(context.Background()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := h.Close(); err != nil {
			t.Errorf("hub close: %v", err)
		}
	})
	return h
}

// testHandler is a small application: echo, subscribe, failures on demand.
type testHandler struct {
	welcome bool
}

func (th testHandler) HandleConnect(ctx context.Context, s *Session) error {
	if th.welcome {
		return s.Send("welcome", map[string]string{"user_id": s.Identity().UserID})
	}
	return nil
}

func (testHandler) HandleMessage(ctx context.Context, s *Session, env Envelope) error {
	switch env.Type {
	case "echo":
		return s.Send("echo", env.Data)
	case "subscribe":
		var body struct {
			Channels []string `json:"channels"`
		}
		if err := json.Unmarshal(env.Data, &body); err != nil {
			return &ClientError{Code: "invalid_subscribe", Message: err.Error()}
		}
		s.SetChannels(body.Channels)
		return s.Send("subscribed", map[string]int{"channels": len(body.Channels)})
	case "fail":
		return errors.New("database on fire")
	case "panic":
		panic("handler bug")
	}
	return UnknownType(env.Type)
}

// serve starts an HTTP server whose /ws takes the identity from the query
// (the real server takes it from a token).
func serve(t testing.TB, h *Hub, handler Handler) *httptest.Server {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		q := r.URL.Query()
		_ = h.Serve(w, r, Identity{UserID: q.Get("user"), Kind: q.Get("kind")}, handler)
	}))
	t.Cleanup(srv.Close)
	return srv
}

// client is a real websocket client with helpers that fail the test.
type client struct {
	t    testing.TB
	conn *websocket.Conn
}

var testDialer = websocket.Dialer{ReadBufferSize: 1024, WriteBufferSize: 1024, HandshakeTimeout: 5 * time.Second}

// dial connects as user; lastID "" sends none.
func dial(t testing.TB, srv *httptest.Server, user, lastID string) *client {
	t.Helper()
	c, err := dialErr(srv, &testDialer, user, lastID)
	if err != nil {
		t.Fatalf("dial %s: %v", user, err)
	}
	cl := &client{t: t, conn: c}
	t.Cleanup(func() { c.Close() })
	return cl
}

func wsURL(srv *httptest.Server, user, lastID string) string {
	q := url.Values{"user": {user}, "kind": {KindResponder}}
	if lastID != "" {
		q.Set("last_id", lastID)
	}
	return "ws" + strings.TrimPrefix(srv.URL, "http") + "/ws?" + q.Encode()
}

func dialErr(srv *httptest.Server, d *websocket.Dialer, user, lastID string) (*websocket.Conn, error) {
	c, resp, err := d.Dial(wsURL(srv, user, lastID), nil)
	if resp != nil && resp.Body != nil {
		resp.Body.Close()
	}
	return c, err
}

// send writes one text frame.
func (c *client) send(msg string) {
	c.t.Helper()
	if err := c.conn.WriteMessage(websocket.TextMessage, []byte(msg)); err != nil {
		c.t.Fatalf("send: %v", err)
	}
}

// next reads one envelope, failing after 10 s.
func (c *client) next() Envelope {
	c.t.Helper()
	env, err := c.read(10 * time.Second)
	if err != nil {
		c.t.Fatalf("read: %v", err)
	}
	return env
}

func (c *client) read(timeout time.Duration) (Envelope, error) {
	_ = c.conn.SetReadDeadline(time.Now().Add(timeout))
	_, msg, err := c.conn.ReadMessage()
	if err != nil {
		return Envelope{}, err
	}
	env, err := DecodeEnvelope(msg)
	if err != nil {
		return Envelope{}, fmt.Errorf("server sent a bad envelope %s: %w", msg, err)
	}
	return env, nil
}

// expect reads one envelope and checks its type.
func (c *client) expect(typ string) Envelope {
	c.t.Helper()
	env := c.next()
	if env.Type != typ {
		c.t.Fatalf("got %s %s, want type %s", env.Type, env.Data, typ)
	}
	return env
}

// expectError reads an error message and checks its code.
func (c *client) expectError(code string) {
	c.t.Helper()
	env := c.expect("error")
	var body struct{ Code, Message string }
	if err := json.Unmarshal(env.Data, &body); err != nil || body.Code != code || body.Message == "" {
		c.t.Fatalf("error %s, want code %s and a message", env.Data, code)
	}
}

// expectClose reads until the close frame, checks its code and closes the
// connection, as a well-behaved client does.
func (c *client) expectClose(code int) {
	c.t.Helper()
	defer c.conn.Close()
	for {
		_ = c.conn.SetReadDeadline(time.Now().Add(10 * time.Second))
		_, msg, err := c.conn.ReadMessage()
		if err == nil {
			continue
		}
		var ce *websocket.CloseError
		if !errors.As(err, &ce) {
			c.t.Fatalf("read ended with %v (after %q), want close %d", err, msg, code)
		}
		if ce.Code != code {
			c.t.Fatalf("close code %d %q, want %d", ce.Code, ce.Text, code)
		}
		return
	}
}

// echo proves the socket is still open and in order.
func (c *client) echo(tag string) {
	c.t.Helper()
	c.send(`{"v":1,"type":"echo","data":{"tag":"` + tag + `"}}`)
	env := c.expect("echo")
	if !strings.Contains(string(env.Data), tag) {
		c.t.Fatalf("echo %s, want tag %s", env.Data, tag)
	}
}

// payload reads the "n" field tests put in their messages.
func payloadN(t testing.TB, env Envelope) int {
	t.Helper()
	var body struct{ N int }
	if err := json.Unmarshal(env.Data, &body); err != nil {
		t.Fatalf("data %s: %v", env.Data, err)
	}
	return body.N
}

// waitLimit is how long the tests wait for the hub to settle
// (testkit.WaitFor).
const waitLimit = 5 * time.Second
