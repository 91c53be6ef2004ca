// Package servertest boots the whole program for a test, the way the
// binary does, and gives the few steps every integration test starts with.
// The integration tests of internal/server and the browser tests of web
// share it.
package servertest

import (
	"context"
	"net/http"
	"testing"
	"time"

	"go.uber.org/zap/zaptest"

	"github.com/liandong/liandong/internal/redistest"
	"github.com/liandong/liandong/internal/server"
	"github.com/liandong/liandong/internal/testkit"
)

// Run boots the program on a free loopback port and closes it, checking
// that it closes cleanly, when the test ends.
func Run(t testing.TB, cfg server.Config, hooks server.Hooks) *server.Main {
	t.Helper()
	cfg.Listen = "127.0.0.1:0"
	m := server.New(cfg, zaptest.NewLogger(t), hooks)
	if err := m.Run(context.Background()); err != nil {
		m.Close()
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := m.Close(); err != nil {
			t.Errorf("close: %v", err)
		}
	})
	return m
}

// Base is the program's address as a URL prefix.
func Base(m *server.Main) string { return "http://" + m.Addr() }

// OnRealRedis is the default configuration on srv, with the token key a
// real Redis requires and the admin's password.
func OnRealRedis(srv *redistest.Server, adminPassword string) server.Config {
	cfg := server.Default()
	cfg.Redis.URL = "redis://" + srv.Addr + "/0"
	cfg.Auth.TokenKey = "e2e-key-0123456789abcdef"
	cfg.Auth.AdminPassword = adminPassword
	return cfg
}

// LoginAdmin logs in to base as the admin, whose password the test's
// configuration set, and returns a client holding the admin's token.
func LoginAdmin(t testing.TB, base, password string) testkit.Client {
	t.Helper()
	r := testkit.Client{T: t, Base: base}.Do("POST", "/api/v1/auth/login", map[string]string{"username": "admin", "password": password})
	var login struct{ Token string }
	r.Decode(t, &login)
	if r.Status != http.StatusOK || login.Token == "" {
		t.Fatalf("login: %d %s", r.Status, r.Body)
	}
	return testkit.Client{T: t, Base: base, Token: login.Token}
}

// Registered is a responder as the API registers it: the id and the token
// of the phone's link.
type Registered struct{ ID, Token string }

// Register registers a responder through admin.
func Register(t testing.TB, admin testkit.Client, name, role string) Registered {
	t.Helper()
	r := admin.Do("POST", "/api/v1/responders", map[string]any{"name": name, "role": role})
	if r.Status != http.StatusCreated {
		t.Fatalf("register %s: %d %s", name, r.Status, r.Body)
	}
	var got Registered
	r.Decode(t, &got)
	return got
}

// WaitStatus waits until the server reports the responder's status.
func WaitStatus(t testing.TB, admin testkit.Client, id, want string) {
	t.Helper()
	testkit.WaitFor(t, "responder "+id+" "+want, 10*time.Second, func() bool {
		var got struct{ Status string }
		admin.Call("GET", "/api/v1/responders/"+id, nil, &got)
		return got.Status == want
	})
}
