package web

import (
	"context"
	"slices"
	"testing"
	"time"
)

// These tests speak only HTTP, as a client does, so that they also run
// (and fail) against a server without the routes.

// loginAs logs a staff user in and returns the token.
func (e *env) loginAs(username, password string) string {
	e.t.Helper()
	var lr loginResponse
	e.do("POST", "/api/v1/auth/login", "", map[string]string{"username": username, "password": password}).Want(e.t, 200).Decode(e.t, &lr)
	return lr.Token
}

// auditActions are the actions of the audit log on target, oldest first.
func (e *env) auditActions(admin, target string) []string {
	e.t.Helper()
	var list auditList
	e.do("GET", "/api/v1/audit", admin, nil).Want(e.t, 200).Decode(e.t, &list)
	var out []string
	for _, en := range slices.Backward(list.Entries) {
		if en.Target == target {
			out = append(out, en.Action)
		}
	}
	return out
}

// shownUser is what the tests read of a user as the API shows it.
type shownUser struct {
	Username string
	Disabled bool
}

func TestDisableAndEnableUser(t *testing.T) {
	e := newEmbeddedEnv(t)
	admin := e.token("admin", RoleAdmin, "")
	e.do("POST", "/api/v1/users", admin, map[string]string{"username": "op2", "password": "operator-pw-1", "role": "operator"}).Want(t, 201)
	before := e.loginAs("op2", "operator-pw-1")
	e.do("GET", "/api/v1/needs", before, nil).Want(t, 200)
	e.clock.Advance(time.Second)

	var u shownUser
	e.do("POST", "/api/v1/users/op2/disable", admin, nil).Want(t, 200).Decode(t, &u)
	if !u.Disabled || u.Username != "op2" {
		t.Fatalf("disable answered %+v", u)
	}
	e.do("GET", "/api/v1/needs", before, nil).Want(t, 401)
	if code := e.do("POST", "/api/v1/auth/login", "", map[string]string{"username": "op2", "password": "operator-pw-1"}).Want(t, 403).ErrorCode(t); code != "user_disabled" {
		t.Fatalf("login of a disabled user: %s", code)
	}
	// A wrong password of a disabled user says no more than for anyone.
	e.do("POST", "/api/v1/auth/login", "", map[string]string{"username": "op2", "password": "wrong-password"}).Want(t, 401)
	var list struct{ Users []shownUser }
	e.do("GET", "/api/v1/users", admin, nil).Want(t, 200).Decode(t, &list)
	if i := slices.IndexFunc(list.Users, func(u shownUser) bool { return u.Username == "op2" }); i < 0 || !list.Users[i].Disabled {
		t.Fatalf("users %+v: op2 not shown disabled", list.Users)
	}

	if code := e.do("POST", "/api/v1/users/admin/disable", admin, nil).Want(t, 409).ErrorCode(t); code != "self_disable" {
		t.Fatalf("an admin disabling itself: %s", code)
	}
	e.do("POST", "/api/v1/users/nobody/disable", admin, nil).Want(t, 404)
	e.do("POST", "/api/v1/users/Not%20A%20Name/enable", admin, nil).Want(t, 404)
	e.do("POST", "/api/v1/users/op2/disable", admin, map[string]any{"reason": "x"}).Want(t, 400)

	e.clock.Advance(time.Second)
	e.do("POST", "/api/v1/users/op2/enable", admin, nil).Want(t, 200).Decode(t, &u)
	if u.Disabled {
		t.Fatalf("enable answered %+v", u)
	}
	e.do("GET", "/api/v1/needs", before, nil).Want(t, 401) // tokens from before the disable stay dead
	e.do("GET", "/api/v1/needs", e.loginAs("op2", "operator-pw-1"), nil).Want(t, 200)
	if got := e.auditActions(admin, "op2"); !slices.Equal(got, []string{"user.create", "user.disable", "user.enable"}) {
		t.Fatalf("audit of op2: %v", got)
	}
}

func TestChangePassword(t *testing.T) {
	e := newEmbeddedEnv(t)
	admin := e.token("admin", RoleAdmin, "")
	e.do("POST", "/api/v1/users", admin, map[string]string{"username": "op2", "password": "operator-pw-1", "role": "operator"}).Want(t, 201)
	e.do("POST", "/api/v1/users", admin, map[string]string{"username": "eval2", "password": "evaluator-pw-1", "role": "evaluator"}).Want(t, 201)
	first := e.loginAs("op2", "operator-pw-1")
	e.clock.Advance(time.Second)

	change := func(token, username, old, new string) int {
		return e.do("POST", "/api/v1/users/"+username+"/password", token, map[string]string{"old_password": old, "new_password": new}).Status
	}
	if code := e.do("POST", "/api/v1/users/op2/password", first, map[string]string{"old_password": "not-the-password", "new_password": "operator-pw-2"}).Want(t, 403).ErrorCode(t); code != "wrong_password" {
		t.Fatalf("wrong old password: %s", code)
	}
	if got := change(first, "op2", "operator-pw-1", "short"); got != 400 {
		t.Fatalf("a weak new password: %d, want 400", got)
	}
	if got := change(first, "eval2", "evaluator-pw-1", "evaluator-pw-2"); got != 403 {
		t.Fatalf("an operator changing another's password: %d, want 403", got)
	}
	e.do("GET", "/api/v1/needs", first, nil).Want(t, 200) // nothing changed so far

	if got := change(first, "op2", "operator-pw-1", "operator-pw-2"); got != 204 {
		t.Fatalf("own password change: %d", got)
	}
	e.do("GET", "/api/v1/needs", first, nil).Want(t, 401)
	e.do("POST", "/api/v1/auth/login", "", map[string]string{"username": "op2", "password": "operator-pw-1"}).Want(t, 401)
	second := e.loginAs("op2", "operator-pw-2")
	e.do("GET", "/api/v1/needs", second, nil).Want(t, 200)

	// An admin sets anyone's, without the old one.
	e.clock.Advance(time.Second)
	e.do("POST", "/api/v1/users/op2/password", admin, map[string]string{"new_password": "operator-pw-3"}).Want(t, 204)
	e.do("GET", "/api/v1/needs", second, nil).Want(t, 401)
	e.loginAs("op2", "operator-pw-3")
	e.do("POST", "/api/v1/users/nobody/password", admin, map[string]string{"new_password": "operator-pw-3"}).Want(t, 404)
	if got := e.auditActions(admin, "op2"); !slices.Equal(got, []string{"user.create", "user.password", "user.password"}) {
		t.Fatalf("audit of op2: %v", got)
	}
}

func TestRevokeEveryTokenOfAResponder(t *testing.T) {
	e := newEmbeddedEnv(t)
	f := e.fixture()
	admin := f.tokens[cAdmin]
	var link tokenJSON
	e.do("POST", "/api/v1/responders/"+f.R1+"/token", admin, nil).Want(t, 201).Decode(t, &link)
	var session exchangeJSON
	e.do("POST", "/api/v1/auth/exchange", link.Token, nil).Want(t, 200).Decode(t, &session)
	e.clock.Advance(time.Second)

	e.do("POST", "/api/v1/responders/"+f.R1+"/revoke-tokens", f.tokens[cCoordOther], nil).Want(t, 404)
	e.do("POST", "/api/v1/responders/"+f.R1+"/revoke-tokens", f.tokens[cRespOther], nil).Want(t, 403)
	e.do("POST", "/api/v1/responders/no-such-one/revoke-tokens", admin, nil).Want(t, 404)
	e.do("GET", "/api/v1/responders/"+f.R1, session.Token, nil).Want(t, 200) // nothing revoked yet

	e.do("POST", "/api/v1/responders/"+f.R1+"/revoke-tokens", f.tokens[cCoord], nil).Want(t, 204)
	for name, tok := range map[string]string{"fixture token": f.tokens[cResponder], "link": link.Token, "session": session.Token} {
		e.do("GET", "/api/v1/responders/"+f.R1, tok, nil).Want(t, 401)
		if name == "session" {
			e.do("POST", "/api/v1/auth/exchange", tok, nil).Want(t, 401) // and it buys no new one
		}
	}
	e.do("GET", "/api/v1/responders/"+f.R2, f.tokens[cRespOther], nil).Want(t, 200) // others keep theirs
	var fresh tokenJSON
	e.do("POST", "/api/v1/responders/"+f.R1+"/token", admin, nil).Want(t, 201).Decode(t, &fresh)
	e.do("GET", "/api/v1/responders/"+f.R1, fresh.Token, nil).Want(t, 200)
	if got := e.auditActions(admin, f.R1); !slices.Contains(got, "responder.revoke_tokens") {
		t.Fatalf("audit of %s: %v", f.R1, got)
	}
}

// TestExchangeChainIsBoundedAndAudited: session tokens exchanged from a
// link never outlive the link, die when the link is revoked, and every
// exchange is in the audit log under the responder.
func TestExchangeChainIsBoundedAndAudited(t *testing.T) {
	e := newEmbeddedEnv(t, func(o *APIOptions) { o.SessionTokenTTL, o.ResponderTokenTTL = 2*time.Hour, 3*time.Hour })
	admin := e.token("admin", RoleAdmin, "")
	var reg registeredJSON
	e.do("POST", "/api/v1/responders", admin, map[string]any{"name": "Zhao Min", "role": "medic"}).Want(t, 201).Decode(t, &reg)
	start := e.clock.Now()

	var first, second exchangeJSON
	e.do("POST", "/api/v1/auth/exchange", reg.Token, nil).Want(t, 200).Decode(t, &first)
	if want := rfc3339(start.Add(2 * time.Hour)); first.ExpiresAt != want {
		t.Fatalf("first session ends %s, want %s", first.ExpiresAt, want)
	}
	e.clock.Advance(90 * time.Minute)
	e.do("POST", "/api/v1/auth/exchange", first.Token, nil).Want(t, 200).Decode(t, &second)
	if want := rfc3339(start.Add(3 * time.Hour)); second.ExpiresAt != want {
		t.Fatalf("renewed session ends %s, want %s: no later than the link it came from", second.ExpiresAt, want)
	}
	e.do("GET", "/api/v1/responders/"+reg.ID, second.Token, nil).Want(t, 200)

	// Revoking the link by its id ends every session derived from it.
	id, err := e.api.Authenticator().Verify(context.Background(), reg.Token)
	if err != nil {
		t.Fatal(err)
	}
	admin = e.token("admin", RoleAdmin, "") // the first lived an hour
	e.do("POST", "/api/v1/auth/revoke", admin, map[string]string{"jti": id.TokenID}).Want(t, 204)
	e.do("GET", "/api/v1/responders/"+reg.ID, second.Token, nil).Want(t, 401)
	e.do("POST", "/api/v1/auth/exchange", second.Token, nil).Want(t, 401)

	var list auditList
	e.do("GET", "/api/v1/audit", admin, nil).Want(t, 200).Decode(t, &list)
	exchanges := 0
	for _, en := range list.Entries {
		if en.Action == "auth.exchange" {
			exchanges++
			if en.Actor != reg.ID || en.Role != RoleResponder || len(en.Target) != 32 {
				t.Errorf("exchange entry %+v: want the responder as actor and the new token's id as target", en)
			}
		}
	}
	if exchanges != 2 {
		t.Fatalf("%d exchanges in the audit log, want 2", exchanges)
	}
}

// TestExchangeAtTheEndOfTheChain: once the link's time is up, the last
// session cannot buy another, even within the leeway that still accepts
// it for clock skew.
func TestExchangeAtTheEndOfTheChain(t *testing.T) {
	e := newEmbeddedEnv(t, func(o *APIOptions) { o.SessionTokenTTL, o.ResponderTokenTTL = 2*time.Hour, 3*time.Hour })
	admin := e.token("admin", RoleAdmin, "")
	var reg registeredJSON
	e.do("POST", "/api/v1/responders", admin, map[string]any{"name": "Zhao Min", "role": "medic"}).Want(t, 201).Decode(t, &reg)
	start := e.clock.Now()
	tok := reg.Token
	for range 3 { // at 0, 70 and 140 minutes
		var next exchangeJSON
		e.do("POST", "/api/v1/auth/exchange", tok, nil).Want(t, 200).Decode(t, &next)
		tok = next.Token
		e.clock.Advance(70 * time.Minute)
	}
	e.clock.Advance(start.Add(3*time.Hour + 10*time.Second).Sub(e.clock.Now()))
	e.do("GET", "/api/v1/responders/"+reg.ID, tok, nil).Want(t, 200) // within the leeway
	e.do("POST", "/api/v1/auth/exchange", tok, nil).Want(t, 401)
}
