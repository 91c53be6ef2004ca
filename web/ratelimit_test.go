package web

import (
	"net/http/httptest"
	"strconv"
	"testing"
)

func TestRateLimits(t *testing.T) {
	e := newEmbeddedEnv(t, func(o *APIOptions) {
		o.Limits = RateLimits{AddressPerSecond: 0.001, AddressBurst: 7, StaffTokenPerSecond: 0.001, StaffTokenBurst: 2,
			TokenPerSecond: 0.001, TokenBurst: 1, LoginPerSecond: 0.001, LoginBurst: 1}
	})
	e.enroll("r1", "", "medic", 1, false)
	phone := e.token("r1", RoleResponder, "")
	e.do("GET", "/api/v1/responders/r1", phone, nil).Want(t, 200)
	e.do("GET", "/api/v1/responders/r1", phone, nil).Want(t, 429)
	op := e.token("op1", RoleOperator, "")
	e.do("GET", "/api/v1/needs", op, nil).Want(t, 200)
	e.do("GET", "/api/v1/needs", op, nil).Want(t, 200)
	r := e.do("GET", "/api/v1/needs", op, nil).Want(t, 429)
	if code := r.ErrorCode(t); code != "rate_limited" {
		t.Fatalf("code %s", code)
	}
	if s, err := strconv.Atoi(r.Header.Get("Retry-After")); err != nil || s < 1 {
		t.Fatalf("Retry-After %q", r.Header.Get("Retry-After"))
	}
	// Another token still has its own budget...
	e.do("GET", "/api/v1/needs", e.token("op2", RoleOperator, ""), nil).Want(t, 200)
	// ...and logins have theirs, within the address's.
	e.do("POST", "/api/v1/auth/login", "", map[string]string{"username": "admin", "password": testAdminPW}).Want(t, 200)
	e.do("POST", "/api/v1/auth/login", "", map[string]string{"username": "admin", "password": testAdminPW}).Want(t, 429)
	// The address has now spent its seven.
	if code := e.do("GET", "/api/v1/openapi.json", "", nil).Want(t, 429).ErrorCode(t); code != "rate_limited" {
		t.Fatalf("code %s", code)
	}
}

func TestClientAddr(t *testing.T) {
	for in, want := range map[string]string{
		"192.0.2.7:4000":              "192.0.2.7",
		"[2001:db8:1:2:3:4:5:6]:4000": "2001:db8:1:2::/64",
		"[::ffff:192.0.2.7]:1":        "192.0.2.7",
		"garbage":                     "garbage",
	} {
		r := httptest.NewRequest("GET", "/", nil)
		r.RemoteAddr = in
		if got := clientAddr(r); got != want {
			t.Errorf("clientAddr(%s) = %s, want %s", in, got, want)
		}
	}
}
