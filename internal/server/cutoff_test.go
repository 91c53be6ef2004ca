package server_test

import (
	"encoding/base64"
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/gorilla/websocket"

	"github.com/liandong/liandong/internal/redistest"
	"github.com/liandong/liandong/internal/server"
	"github.com/liandong/liandong/internal/server/servertest"
	"github.com/liandong/liandong/internal/testkit"
)

// expectClosedWithin reads the socket, which sends nothing, until the
// server closes it, and checks that it closed with 1008 and a reason
// naming the token (what the pages log out on) within d.
func expectClosedWithin(t *testing.T, ws *testkit.Socket, d time.Duration, what string) {
	t.Helper()
	ws.Conn.SetReadDeadline(time.Now().Add(d))
	for {
		_, _, err := ws.Conn.ReadMessage()
		if err == nil {
			continue // a message queued before the close
		}
		var ce *websocket.CloseError
		if !errors.As(err, &ce) {
			t.Fatalf("%s: socket not closed within %v: %v", what, d, err)
		}
		if ce.Code != websocket.ClosePolicyViolation || !strings.Contains(ce.Text, "token") {
			t.Fatalf("%s: closed with %d %q, want 1008 naming the token", what, ce.Code, ce.Text)
		}
		return
	}
}

// expectOpen checks that a socket still answers.
func expectOpen(t *testing.T, ws *testkit.Socket, what string) {
	t.Helper()
	ws.Send("teleport", "still-there", map[string]any{})
	if e := ws.Next("error"); e.ID != "still-there" {
		t.Fatalf("%s: answer %s to another message", what, e.Data)
	}
}

// login logs a staff user in on base.
func login(t *testing.T, base, username, password string) testkit.Client {
	t.Helper()
	var lr struct{ Token string }
	testkit.Client{T: t, Base: base}.Do("POST", "/api/v1/auth/login", map[string]string{"username": username, "password": password}).Want(t, 200).Decode(t, &lr)
	return testkit.Client{T: t, Base: base, Token: lr.Token}
}

// TestCutOffClosesSocketsOnEveryProcess: two server processes on one
// Redis. Sockets are open on B and send nothing; each way of stopping
// their tokens is used on A, and the socket on B closes within a second.
// A socket whose token was not touched stays open.
func TestCutOffClosesSocketsOnEveryProcess(t *testing.T) {
	srv := redistest.Start(t, redistest.Options{})
	const adminPW = "admin-password-cutoff"
	cfg := servertest.OnRealRedis(srv, adminPW)
	a := servertest.Run(t, cfg, server.Hooks{})
	b := servertest.Run(t, cfg, server.Hooks{})
	onA, baseB := servertest.LoginAdmin(t, servertest.Base(a), adminPW), servertest.Base(b)
	const within = time.Second

	t.Run("own token revoked", func(t *testing.T) {
		r := servertest.Register(t, onA, "Zhou Jie", "volunteer")
		ws := testkit.Dial(t, baseB, r.Token, "")
		ws.Next("welcome")
		testkit.Client{T: t, Base: onA.Base, Token: r.Token}.Do("POST", "/api/v1/auth/revoke", nil).Want(t, 204)
		expectClosedWithin(t, ws, within, "revoked link token")
	})

	t.Run("another's token revoked by id", func(t *testing.T) {
		r := servertest.Register(t, onA, "Qian Li", "volunteer")
		var second struct{ Token string }
		onA.Do("POST", "/api/v1/responders/"+r.ID+"/token", nil).Want(t, 201).Decode(t, &second)
		revoked := testkit.Dial(t, baseB, r.Token, "")
		revoked.Next("welcome")
		kept := testkit.Dial(t, baseB, second.Token, "")
		kept.Next("welcome")
		onA.Do("POST", "/api/v1/auth/revoke", map[string]string{"jti": jti(t, r.Token)}).Want(t, 204)
		expectClosedWithin(t, revoked, within, "token revoked by an admin")
		expectOpen(t, kept, "the same responder's other token")
	})

	t.Run("every token of a responder", func(t *testing.T) {
		r := servertest.Register(t, onA, "Sun Hao", "medic")
		var session struct{ Token string }
		testkit.Client{T: t, Base: onA.Base, Token: r.Token}.Do("POST", "/api/v1/auth/exchange", map[string]any{}).Want(t, 200).Decode(t, &session)
		link := testkit.Dial(t, baseB, r.Token, "")
		link.Next("welcome")
		page := testkit.Dial(t, baseB, session.Token, "")
		page.Next("welcome")
		other := servertest.Register(t, onA, "Li Na", "medic")
		bystander := testkit.Dial(t, baseB, other.Token, "")
		bystander.Next("welcome")
		onA.Do("POST", "/api/v1/responders/"+r.ID+"/revoke-tokens", nil).Want(t, 204)
		expectClosedWithin(t, link, within, "link socket of a responder whose tokens were revoked")
		expectClosedWithin(t, page, within, "page socket of a responder whose tokens were revoked")
		expectOpen(t, bystander, "another responder")
		testkit.Client{T: t, Base: baseB, Token: session.Token}.Do("GET", "/api/v1/responders/"+r.ID, nil).Want(t, 401)
	})

	t.Run("user disabled", func(t *testing.T) {
		onA.Do("POST", "/api/v1/users", map[string]string{"username": "op-dis", "password": "operator-password", "role": "operator"}).Want(t, 201)
		op := login(t, baseB, "op-dis", "operator-password")
		ws := testkit.Dial(t, baseB, op.Token, "")
		ws.Next("welcome")
		onA.Do("POST", "/api/v1/users/op-dis/disable", nil).Want(t, 200)
		expectClosedWithin(t, ws, within, "console of a disabled operator")
		op.Do("GET", "/api/v1/needs", nil).Want(t, 401)
	})

	t.Run("password changed", func(t *testing.T) {
		onA.Do("POST", "/api/v1/users", map[string]string{"username": "op-pw", "password": "operator-password", "role": "operator"}).Want(t, 201)
		op := login(t, baseB, "op-pw", "operator-password")
		ws := testkit.Dial(t, baseB, op.Token, "")
		ws.Next("welcome")
		opOnA := op
		opOnA.Base = onA.Base
		opOnA.Do("POST", "/api/v1/users/op-pw/password", map[string]string{"old_password": "operator-password", "new_password": "a-new-password"}).Want(t, 204)
		expectClosedWithin(t, ws, within, "console of an operator whose password changed")
		op.Do("GET", "/api/v1/needs", nil).Want(t, 401)
		login(t, baseB, "op-pw", "a-new-password").Do("GET", "/api/v1/needs", nil).Want(t, 200)
	})
}

// jti reads a token's id from its payload.
func jti(t *testing.T, token string) string {
	t.Helper()
	var c struct {
		ID string `json:"jti"`
	}
	parts := strings.Split(token, ".")
	if len(parts) != 3 {
		t.Fatalf("token %q is not a JWT", token)
	}
	payload, err := base64.RawURLEncoding.DecodeString(parts[1])
	if err != nil || json.Unmarshal(payload, &c) != nil || c.ID == "" {
		t.Fatalf("token payload %q: %v", parts[1], err)
	}
	return c.ID
}

// TestSocketClosesAtTokenExpiry: a page's socket that sends nothing ends
// when its session token does, not at the next message it never sends.
func TestSocketClosesAtTokenExpiry(t *testing.T) {
	cfg := server.Default()
	cfg.Auth.AdminPassword = "admin-password-expiry"
	cfg.Auth.SessionTTL = 2 * time.Second
	m := servertest.Run(t, cfg, server.Hooks{})
	base := servertest.Base(m)
	r := servertest.Register(t, servertest.LoginAdmin(t, base, "admin-password-expiry"), "Wu Lei", "volunteer")
	var session struct {
		Token     string
		ExpiresAt time.Time `json:"expires_at"`
	}
	testkit.Client{T: t, Base: base, Token: r.Token}.Do("POST", "/api/v1/auth/exchange", map[string]any{}).Want(t, 200).Decode(t, &session)
	ws := testkit.Dial(t, base, session.Token, "")
	ws.Next("welcome")
	expectClosedWithin(t, ws, time.Until(session.ExpiresAt)+time.Second, "socket of an expired session")
	if time.Now().Before(session.ExpiresAt) {
		t.Fatalf("closed before the token expired at %v", session.ExpiresAt)
	}
}

// TestAdminPasswordResetKillsOldTokens: starting a process with another
// admin password resets it, and the tokens of the old password stop
// working, on HTTP and on sockets of processes already running.
func TestAdminPasswordResetKillsOldTokens(t *testing.T) {
	srv := redistest.Start(t, redistest.Options{})
	a := servertest.Run(t, servertest.OnRealRedis(srv, "first-admin-password"), server.Hooks{})
	old := servertest.LoginAdmin(t, servertest.Base(a), "first-admin-password")
	ws := testkit.Dial(t, old.Base, old.Token, "")
	ws.Next("welcome")

	b := servertest.Run(t, servertest.OnRealRedis(srv, "second-admin-password"), server.Hooks{})
	expectClosedWithin(t, ws, time.Second, "admin console after a password reset")
	old.Do("GET", "/api/v1/users", nil).Want(t, 401)
	servertest.LoginAdmin(t, servertest.Base(b), "second-admin-password").Do("GET", "/api/v1/users", nil).Want(t, 200)
}

// TestSocketIDsCheckedLikePathIDs: an offer or need id in a message that
// no path could carry is a malformed message (invalid_message), refused
// before the store is asked, as a well-formed unknown id is not_found.
func TestSocketIDsCheckedLikePathIDs(t *testing.T) {
	cfg := server.Default()
	cfg.Auth.AdminPassword = "admin-password-ids"
	m := servertest.Run(t, cfg, server.Hooks{})
	base := servertest.Base(m)
	r := servertest.Register(t, servertest.LoginAdmin(t, base, "admin-password-ids"), "Ma Jun", "volunteer")
	ws := testkit.Dial(t, base, r.Token, "")
	ws.Next("welcome")
	for _, c := range []struct{ typ, data, want string }{
		{"accept", `{"offer_id":"../needs/x"}`, "invalid_message"},
		{"decline", `{"offer_id":"` + strings.Repeat("a", 65) + `"}`, "invalid_message"},
		{"complete", `{"need_id":"n 1"}`, "invalid_message"},
		{"accept", `{"offer_id":""}`, "invalid_message"},
		{"accept", `{"offer_id":"no-such-offer"}`, "not_found"},
		{"complete", `{"need_id":"no-such-need"}`, "not_found"},
	} {
		ws.Send(c.typ, "m1", c.data)
		var body struct{ Code, Message string }
		ws.Next("error").Decode(t, &body)
		if body.Code != c.want {
			t.Errorf("%s %s: error %s (%s), want %s", c.typ, c.data, body.Code, body.Message, c.want)
		}
	}
}
