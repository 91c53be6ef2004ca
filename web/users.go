package web

import (
	"context"
	"crypto/rand"
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"time"

	"go.uber.org/zap"
	"golang.org/x/crypto/bcrypt"

	"github.com/liandong/liandong/mobilize"
)

// accountGroup serves logging in, revoking and exchanging tokens, and the
// staff users: the routes that hand out or take back tokens by password
// or by token, and the first admin.
type accountGroup struct {
	users      UserStore
	auth       *Authenticator
	audit      *auditor
	log        *zap.Logger
	now        func() time.Time
	bcryptCost int
	dummyHash  []byte        // compared against for unknown users
	staffTTL   time.Duration // tokens from login
	sessionTTL time.Duration // a responder page's session (exchange)
	revokeTTL  time.Duration // a revocation by id: as long as any token lives
	// sockets closes the sockets of a person cut off, on every process;
	// nil: they close at their next ping cycle.
	sockets SocketRechecker
	// responders finds the responder whose tokens are revoked.
	responders responderReader
	logins     *loginLimiter // back-off of failed logins per username
}

// adminUsername is the first admin, created at start.
const adminUsername = "admin"

// Password limits: bcrypt reads at most 72 bytes, and a longer password
// would be silently cut, so it is refused instead.
const (
	minPasswordLen = 10
	maxPasswordLen = 72
)

// user is a staff account as stored in the users hash. Responders are not
// users: they hold tokens issued at registration.
type user struct {
	Username  string    `json:"username"`
	Role      Role      `json:"role"`
	OrgID     string    `json:"org_id,omitempty"`
	Hash      string    `json:"hash"`
	CreatedAt time.Time `json:"created_at"`
	// Disabled users cannot log in and their tokens are refused (their
	// not_before is in the far future while it is set).
	Disabled bool `json:"disabled,omitempty"`
}

// UserStore keeps the users' records (user as JSON) by username.
type UserStore interface {
	User(ctx context.Context, name string) (rec []byte, found bool, err error)
	Users(ctx context.Context) (map[string][]byte, error)
	PutUser(ctx context.Context, name string, rec []byte) error
	// PutNewUser writes only if there is no such user, and says whether
	// it did.
	PutNewUser(ctx context.Context, name string, rec []byte) (bool, error)
}

func (g *accountGroup) loadUser(ctx context.Context, name string) (user, bool, error) {
	raw, found, err := g.users.User(ctx, name)
	if err != nil || !found {
		return user{}, false, err
	}
	var u user
	if err := json.Unmarshal(raw, &u); err != nil {
		return user{}, false, fmt.Errorf("load user: corrupt record: %w", err)
	}
	return u, true, nil
}

// bootstrapAdmin makes sure the first admin exists. A configured password
// is the admin's password (setting it again recovers a lost one); without
// one, a random password is generated for a new admin and logged once,
// the documented way to get into a fresh server. An existing admin with
// no configured password is left alone, so a restart does not lock anyone
// out.
func (g *accountGroup) bootstrapAdmin(ctx context.Context, pw string) error {
	if len(pw) > maxPasswordLen {
		return fmt.Errorf("admin password: longer than %d bytes", maxPasswordLen)
	}
	existing, found, err := g.loadUser(ctx, adminUsername)
	if err != nil {
		return err
	}
	if found && (pw == "" || bcrypt.CompareHashAndPassword([]byte(existing.Hash), []byte(pw)) == nil) {
		return nil
	}
	generated := pw == ""
	if generated {
		pw = randomPassword()
	}
	hash, err := bcrypt.GenerateFromPassword([]byte(pw), g.bcryptCost)
	if err != nil {
		return fmt.Errorf("admin password: %w", err)
	}
	u := user{Username: adminUsername, Role: RoleAdmin, Hash: string(hash), CreatedAt: g.now().UTC()}
	if found {
		// A reset is for a password that was lost or leaked: the tokens
		// it was used for die with it (and the admin is enabled again,
		// the way back in if every admin was disabled).
		u.CreatedAt = existing.CreatedAt
		if err := g.storeUser(ctx, u); err != nil {
			return err
		}
		if err := g.auth.revocations.SetNotBefore(ctx, personOf(adminUsername, RoleAdmin), g.now()); err != nil {
			return err
		}
		g.hangUp(ctx, socketUser(adminUsername, RoleAdmin))
		g.log.Info("admin password set from configuration; earlier admin tokens no longer work")
		return nil
	}
	// Written only if new: of several processes starting on one store, one
	// creates the admin and only that one logs the generated password.
	created, err := g.storeUserNX(ctx, u)
	if err != nil || !created {
		return err
	}
	if generated {
		g.log.Warn("created the first admin with a generated password; log in as admin and keep it safe (set LIANDONG_ADMIN_PASSWORD to choose one)",
			zap.String("username", adminUsername), zap.String("password", pw))
	} else {
		g.log.Info("created the first admin", zap.String("username", adminUsername))
	}
	return nil
}

// randomPassword is 20 characters from a 56-letter alphabet without
// look-alikes (about 116 bits), easy to type from a log line.
func randomPassword() string {
	const alphabet = "abcdefghijkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789"
	return randomFrom(alphabet, 20)
}

func randomFrom(alphabet string, n int) string {
	b := make([]byte, n)
	limit := byte(256 - 256%len(alphabet)) // reject bytes that would bias the choice
	for i := 0; i < n; {
		var x [1]byte
		rand.Read(x[:])
		if x[0] < limit {
			b[i] = alphabet[int(x[0])%len(alphabet)]
			i++
		}
	}
	return string(b)
}

func (g *accountGroup) storeUser(ctx context.Context, u user) error {
	b, _ := json.Marshal(u)
	return g.users.PutUser(ctx, u.Username, b)
}

func (g *accountGroup) storeUserNX(ctx context.Context, u user) (bool, error) {
	b, _ := json.Marshal(u)
	return g.users.PutNewUser(ctx, u.Username, b)
}

// loginRequest is the body of POST /api/v1/auth/login.
type loginRequest struct {
	Username string `json:"username" api:"required"`
	Password string `json:"password" api:"required"`
}

// loginResponse is the answer to a good login.
type loginResponse struct {
	Token     string `json:"token"`
	Role      Role   `json:"role"`
	OrgID     string `json:"org_id,omitempty"`
	ExpiresAt string `json:"expires_at"`
}

func parseLogin(body []byte) (loginRequest, error) {
	var req loginRequest
	if err := decodeStrict(body, &req); err != nil {
		return req, err
	}
	var p problems
	p.text("username", req.Username, 64, true, false)
	if req.Password == "" {
		p.addf("password is required")
	} else if len(req.Password) > maxPasswordLen {
		p.addf("password is longer than %d bytes", maxPasswordLen)
	}
	return req, p.err()
}

// errBadLogin is the one answer to an unknown user and a wrong password,
// so that the answer does not tell which usernames exist.
var errBadLogin = &Error{Kind: ErrUnauthenticated, Code: "invalid_credentials", Message: "username or password is wrong"}

// errDisabled answers the right password of a disabled user. Only who
// knows the password learns that the account exists.
var errDisabled = &Error{Kind: ErrForbidden, Code: "user_disabled", Message: "this user is disabled; ask an admin to enable it"}

// handleLogin is POST /api/v1/auth/login. An unknown user costs one bcrypt
// comparison too, so that timing does not tell which usernames exist.
func (g *accountGroup) handleLogin(ctx context.Context, c *call) error {
	req, err := parseLogin(c.body)
	if err != nil {
		return err
	}
	u, found, err := g.loadUser(ctx, req.Username)
	if err != nil {
		return err
	}
	hash := g.dummyHash
	if found {
		hash = []byte(u.Hash)
	}
	ok, err := g.logins.attempt(ctx, req.Username, clientAddr(c.r), func() bool {
		return bcrypt.CompareHashAndPassword(hash, []byte(req.Password)) == nil && found
	})
	if err != nil {
		return err
	}
	if !ok {
		return errBadLogin
	}
	if u.Disabled {
		return errDisabled
	}
	token, id, err := g.auth.Issue(u.Username, u.Role, u.OrgID, g.staffTTL)
	if err != nil {
		return err
	}
	g.audit.record(ctx, id, "auth.login", id.TokenID, 0)
	c.json(http.StatusOK, loginResponse{Token: token, Role: u.Role, OrgID: u.OrgID, ExpiresAt: rfc3339(id.ExpiresAt)})
	return nil
}

// revokeRequest names the token to revoke; without a jti the caller's own
// token is revoked (logging out).
type revokeRequest struct {
	TokenID string `json:"jti" doc:"id of the token to revoke; default the caller's own. Only admins may revoke another's token."`
}

func parseRevoke(body []byte) (revokeRequest, error) {
	var req revokeRequest
	if err := decodeOptional(body, &req); err != nil {
		return req, err
	}
	var p problems
	p.pattern("jti", req.TokenID, tokenIDPattern, "32 hexadecimal characters")
	return req, p.err()
}

// handleRevoke is POST /api/v1/auth/revoke: anyone may revoke their own
// token; an admin may revoke any token by id.
func (g *accountGroup) handleRevoke(ctx context.Context, c *call) error {
	req, err := parseRevoke(c.body)
	if err != nil {
		return err
	}
	jti, expires := req.TokenID, time.Time{}
	if jti == "" || jti == c.id.TokenID {
		jti, expires = c.id.TokenID, c.id.ExpiresAt
	} else if c.id.Role != RoleAdmin {
		return forbidden("only an admin may revoke another's token")
	}
	if err := g.auth.revoke(ctx, jti, expires, g.revokeTTL); err != nil {
		return err
	}
	// Sockets are opened per user, not per token: the caller's own are
	// rechecked; another's token may be anyone's, so every socket is.
	owner := ""
	if jti == c.id.TokenID {
		owner = socketUser(c.id.Subject, c.id.Role)
	}
	g.hangUp(ctx, owner)
	g.audit.record(ctx, c.id, "token.revoke", jti, 0)
	c.w.WriteHeader(http.StatusNoContent)
	return nil
}

// exchangeJSON answers POST /api/v1/auth/exchange.
type exchangeJSON struct {
	Token       string `json:"token"`
	ExpiresAt   string `json:"expires_at"`
	ResponderID string `json:"responder_id"`
}

// handleExchange is POST /api/v1/auth/exchange: the responder page trades
// the token from its link for a session token at once, so that the link
// token does not linger in the page's storage, and later trades its
// session token for a fresh one before it ends, so that a phone in use
// through a long response is not logged out after a day.
//
// The tokens so derived form a chain that starts at the link's token:
// each carries the link's id, so that revoking the link revokes them, and
// none lives past the link's expiry, so that the chain ends. Tokens signed
// before chains were bounded count as links issued when they were. Every
// exchange is in the audit log.
func (g *accountGroup) handleExchange(ctx context.Context, c *call) error {
	if err := parseEmpty(c.body); err != nil {
		return err
	}
	ends := c.id.ChainEnds
	if ends.IsZero() {
		ends = c.id.IssuedAt.Add(g.revokeTTL)
	}
	token, id, err := g.auth.issue(c.id.Subject, RoleResponder, c.id.OrgID, g.sessionTTL, c.id.chainID(), ends)
	if err != nil {
		return err
	}
	g.audit.recordAlways(ctx, c.id, "auth.exchange", id.TokenID)
	c.json(http.StatusOK, exchangeJSON{Token: token, ExpiresAt: rfc3339(id.ExpiresAt), ResponderID: c.id.Subject})
	return nil
}

// userRequest is the body of POST /api/v1/users.
type userRequest struct {
	Username string `json:"username" api:"required" doc:"3..64 of a-z 0-9 _ . -"`
	Password string `json:"password" api:"required" doc:"10..72 bytes"`
	Role     Role   `json:"role" api:"required" enum:"admin,operator,coordinator,evaluator"`
	OrgID    string `json:"org_id" doc:"required for a coordinator, refused for other roles"`
}

// userJSON is a user as the API shows it: never the hash.
type userJSON struct {
	Username  string `json:"username"`
	Role      Role   `json:"role"`
	OrgID     string `json:"org_id,omitempty"`
	CreatedAt string `json:"created_at"`
	Disabled  bool   `json:"disabled"`
}

type userList struct {
	Users []userJSON `json:"users"`
}

func parseUser(body []byte) (userRequest, error) {
	var req userRequest
	if err := decodeStrict(body, &req); err != nil {
		return req, err
	}
	var p problems
	if !userPattern.MatchString(req.Username) {
		p.addf("username must be 3..64 of a-z 0-9 _ . -")
	}
	if n := len(req.Password); n < minPasswordLen || n > maxPasswordLen {
		p.addf("password must be %d..%d bytes", minPasswordLen, maxPasswordLen)
	}
	if !slices.Contains(staffRoles, req.Role) {
		p.addf("role must be one of admin, operator, coordinator, evaluator")
	}
	if req.OrgID != "" {
		p.name("org_id", req.OrgID)
	}
	if req.Role == RoleCoordinator && req.OrgID == "" {
		p.addf("a coordinator needs an org_id")
	}
	if req.Role != RoleCoordinator && req.OrgID != "" && slices.Contains(staffRoles, req.Role) {
		p.addf("only a coordinator belongs to an organisation")
	}
	return req, p.err()
}

// handleCreateUser is POST /api/v1/users (admin).
func (g *accountGroup) handleCreateUser(ctx context.Context, c *call) error {
	req, err := parseUser(c.body)
	if err != nil {
		return err
	}
	hash, err := bcrypt.GenerateFromPassword([]byte(req.Password), g.bcryptCost)
	if err != nil {
		return fmt.Errorf("hash password: %w", err)
	}
	u := user{Username: req.Username, Role: req.Role, OrgID: req.OrgID, Hash: string(hash), CreatedAt: g.now().UTC()}
	created, err := g.storeUserNX(ctx, u)
	if err != nil {
		return err
	}
	if !created {
		return &Error{Kind: mobilize.ErrConflict, Code: "user_exists", Message: "a user with that username exists"}
	}
	g.audit.record(ctx, c.id, "user.create", u.Username, 0)
	c.json(http.StatusCreated, toUserJSON(u))
	return nil
}

// handleListUsers is GET /api/v1/users (admin), sorted by username.
func (g *accountGroup) handleListUsers(ctx context.Context, c *call) error {
	all, err := g.users.Users(ctx)
	if err != nil {
		return err
	}
	out := userList{Users: make([]userJSON, 0, len(all))}
	for _, raw := range all {
		var u user
		if err := json.Unmarshal(raw, &u); err != nil {
			return fmt.Errorf("list users: corrupt record: %w", err)
		}
		out.Users = append(out.Users, toUserJSON(u))
	}
	slices.SortFunc(out.Users, func(x, y userJSON) int { return strings.Compare(x.Username, y.Username) })
	c.json(http.StatusOK, out)
	return nil
}

func toUserJSON(u user) userJSON {
	return userJSON{Username: u.Username, Role: u.Role, OrgID: u.OrgID, CreatedAt: rfc3339(u.CreatedAt), Disabled: u.Disabled}
}
