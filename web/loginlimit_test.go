package web

import (
	"fmt"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/liandong/liandong/internal/testkit"
)

// login sends one login from addr (host:port) as the server sees it.
func (e *env) loginFrom(addr, username, password string) testkit.Response {
	e.t.Helper()
	req := httptest.NewRequest("POST", "/api/v1/auth/login", testkit.RequestBody(e.t, map[string]string{"username": username, "password": password}))
	req.RemoteAddr = addr
	rec := httptest.NewRecorder()
	e.srv.ServeHTTP(rec, req)
	return testkit.Response{Status: rec.Code, Header: rec.Header(), Body: rec.Body.Bytes()}
}

func addrN(n int) string { return fmt.Sprintf("198.51.100.%d:4000", n) }

// TestLoginBackoffPerAddress: a sixth wrong password from one address
// waits 1 s, then 2 s, 4 s ... up to the ceiling; another address is not
// held by it; a good login resets the count.
func TestLoginBackoffPerAddress(t *testing.T) {
	e := newEmbeddedEnv(t, func(o *APIOptions) { o.Login.BackoffMax = 4 * time.Second })
	home, other := addrN(1), addrN(2)
	for range 5 {
		e.loginFrom(home, "admin", "wrong-password").Want(t, 401)
	}
	for _, wait := range []string{"1", "2", "4", "4"} {
		r := e.loginFrom(home, "admin", testAdminPW).Want(t, 429)
		if got := r.Header.Get("Retry-After"); got != wait {
			t.Fatalf("Retry-After %q, want %q", got, wait)
		}
		if code := r.ErrorCode(t); code != "rate_limited" {
			t.Fatalf("code %s", code)
		}
		e.loginFrom(other, "admin", "wrong-password").Want(t, 401) // another address is free
		e.clock.Advance(4 * time.Second)
		e.loginFrom(home, "admin", "wrong-password").Want(t, 401) // the wait is over: one more guess, counted
	}
	e.clock.Advance(4 * time.Second)
	e.loginFrom(home, "admin", testAdminPW).Want(t, 200)
	for range 5 {
		e.loginFrom(home, "admin", "wrong-password").Want(t, 401) // counting starts again
	}
	e.loginFrom(home, "admin", "wrong-password").Want(t, 429)
}

// TestLoginBackoffPerUsername: guesses from many addresses, each under
// its own limit, hold the username; the real user's password from a new
// address waits too, but from an address they logged in from before it
// passes, so the attack cannot lock them out. The hold is in Redis: a
// second API on the same store (another process, or a restart) keeps it.
func TestLoginBackoffPerUsername(t *testing.T) {
	e := newEmbeddedEnv(t)
	usual := addrN(200)
	e.loginFrom(usual, "admin", testAdminPW).Want(t, 200)

	held := 0
	for i := range 40 {
		if e.loginFrom(addrN(i+1), "admin", "guess-"+fmt.Sprint(i)).Status == 429 {
			held++
		}
	}
	if held == 0 {
		t.Fatal("40 guesses from 40 addresses against one username were never held back")
	}
	r := e.loginFrom(addrN(150), "admin", testAdminPW).Want(t, 429)
	if r.Header.Get("Retry-After") == "" {
		t.Fatal("429 without Retry-After")
	}
	again := newEnv(t, e.rdb, func(o *APIOptions) { o.Now = e.clock.Now })
	again.loginFrom(addrN(151), "admin", testAdminPW).Want(t, 429)

	e.loginFrom(usual, "admin", testAdminPW).Want(t, 200)
	// The good login reset the username's count.
	e.loginFrom(addrN(152), "admin", testAdminPW).Want(t, 200)
}

// TestLoginBackoffUnknownUser: an unknown username is held like a known
// one, so that the 429 does not tell which usernames exist.
func TestLoginBackoffUnknownUser(t *testing.T) {
	e := newEmbeddedEnv(t)
	for range 5 {
		e.loginFrom(addrN(1), "nobody", "wrong-password").Want(t, 401)
	}
	e.loginFrom(addrN(1), "nobody", "wrong-password").Want(t, 429)
}
