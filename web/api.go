package web

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"time"

	"go.uber.org/zap"
	"golang.org/x/crypto/bcrypt"

	"github.com/liandong/liandong/mobilize"
)

// APIOptions are what the HTTP API v1 is built from; cmd wires them.
type APIOptions struct {
	// Access keeps the API's users, revocations, idempotency records,
	// audit log and signing seed: redisstore.NewAccess over the region's
	// Redis, with the store's prefix and region.
	Access AccessStore
	// Service is the application layer (*mobilize.Service): every route
	// and socket message ends in one of its methods.
	Service Application

	// TokenKey signs tokens (HS256). Empty: a random key, so tokens die
	// with the process. At least 16 bytes when given.
	TokenKey []byte
	// AdminPassword is the password of the user "admin". Empty: a new
	// admin gets a random password, logged once.
	AdminPassword string
	// Sockets closes the sockets of tokens revoked or cut off, on every
	// process (the hub); nil: they close at their next ping cycle.
	Sockets SocketRechecker

	Logger *zap.Logger
	Now    func() time.Time // default time.Now

	Limits            RateLimits
	Login             LoginLimits   // back-off of failed logins per username (loginlimit.go)
	StaffTokenTTL     time.Duration // tokens from login; default 12 h
	ResponderTokenTTL time.Duration // tokens issued at registration; default 30 days
	SessionTokenTTL   time.Duration // a responder page's session (exchange); default 24 h
	// MaxBodyBytes is the largest request body of a route that has no
	// limit of its own (batches and areas have larger ones); default 1 MiB.
	MaxBodyBytes   int64
	BcryptCost     int           // default bcrypt.DefaultCost; tests use bcrypt.MinCost
	AuditMaxLen    int64         // entries kept in the audit stream, approximately; default 100,000
	IdempotencyTTL time.Duration // how long a retry gets the first answer; default 24 h

	Recognition RecognitionOptions // feedback links, hours, service records

	// OfferApproxResolution is the H3 resolution of the area a pending
	// offer shows instead of the need's point; default
	// mobilize.DefaultApproxResolution (8).
	OfferApproxResolution int

	// Inbox is the responders' websocket inbox, which an export shows and
	// an erasure deletes; nil: neither touches one.
	Inbox PersonalInbox

	// EvaluationMinGroupSize: the evaluation shows an organisation's
	// figures only when they cover at least this many people; default 5.
	EvaluationMinGroupSize int

	// DefaultLang (zh-CN or en) and TimeZone (IANA) are the language of
	// the feedback page and the HTML service record when neither ?lang=
	// nor Accept-Language says, and the zone their times are shown in;
	// empty: zh-CN, DefaultTimeZone.
	DefaultLang, TimeZone string

	// Demo starts and removes the demonstration (POST, DELETE
	// /api/v1/demo); nil: those routes answer 404.
	Demo DemoControl

	// Push serves the VAPID key and keeps the responders' Web Push
	// subscriptions (push.go); nil: push is off and its routes answer 404.
	Push *PushOptions
	// SMS wires the SMS reply webhook and the push receipts (sms.go);
	// without Records both answer 404.
	SMS SMSOptions
	// CAPMaxBytes caps one CAP alert posted to /api/v1/cap (cap.max_bytes);
	// default 256 KiB.
	CAPMaxBytes int64

	// Volunteers joining by invitation (invitations.go, join.go).
	// PhoneCodes texts and checks the codes that confirm a joining
	// volunteer's phone (mobilize/phonecode); nil: the join door answers
	// 404. JoinLimits bound that door per address and per invitation. Approved volunteers' links go by SMS through SMS.Sender.
	PhoneCodes phoneCodes
	JoinLimits JoinLimits
	// OnCallNightFrom and OnCallNightTo ("HH:MM") are the night the
	// on-call coverage checks for a social worker in every street
	// (oncall.night_from, night_to); empty: 20:00 to 08:00.
	OnCallNightFrom, OnCallNightTo string
	// Requests wires the residents' own requests (requests.go); without
	// its Codes and Desk those routes answer 404.
	Requests RequestOptions
}

func (o *APIOptions) defaults() error {
	if o.Access == nil || o.Service == nil {
		return errors.New("web api: Access and Service are required")
	}
	switch {
	case len(o.TokenKey) == 0:
		o.TokenKey = make([]byte, 32)
		rand.Read(o.TokenKey)
	case len(o.TokenKey) < 16:
		return errors.New("web api: the token key must be at least 16 bytes")
	}
	if o.Logger == nil {
		o.Logger = zap.NewNop()
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	o.settingDefaults()
	if o.BcryptCost < bcrypt.MinCost || o.BcryptCost > bcrypt.MaxCost {
		return fmt.Errorf("web api: bcrypt cost %d outside %d..%d", o.BcryptCost, bcrypt.MinCost, bcrypt.MaxCost)
	}
	return nil
}

// settingDefaults fills the settings left zero (not the dependencies).
func (o *APIOptions) settingDefaults() {
	o.Limits.defaults()
	o.Login.defaults()
	if o.StaffTokenTTL <= 0 {
		o.StaffTokenTTL = 12 * time.Hour
	}
	if o.ResponderTokenTTL <= 0 {
		o.ResponderTokenTTL = 30 * 24 * time.Hour
	}
	if o.SessionTokenTTL <= 0 {
		o.SessionTokenTTL = 24 * time.Hour
	}
	if o.BcryptCost == 0 {
		o.BcryptCost = bcrypt.DefaultCost
	}
	if o.AuditMaxLen <= 0 {
		o.AuditMaxLen = 100_000
	}
	if o.EvaluationMinGroupSize <= 0 {
		o.EvaluationMinGroupSize = 5
	}
	if o.IdempotencyTTL <= 0 {
		o.IdempotencyTTL = 24 * time.Hour
	}
	if o.MaxBodyBytes <= 0 {
		o.MaxBodyBytes = defaultMaxBodyBytes
	}
	if o.OfferApproxResolution <= 0 {
		o.OfferApproxResolution = mobilize.DefaultApproxResolution
	}
	if o.CAPMaxBytes <= 0 {
		o.CAPMaxBytes = defaultCAPMaxBytes
	}
}

// DefaultAPIOptions are the API's settings when nothing is said: token
// lives, limits, body size. The dependencies (Access, Service) and the
// secrets are not among them.
func DefaultAPIOptions() APIOptions {
	var o APIOptions
	o.settingDefaults()
	return o
}

// AccessStore keeps the API's own records beside the mobilisation state.
// Each part is declared where it is used; redisstore.Access is the one
// the server runs on.
type AccessStore interface {
	UserStore          // users.go
	RevocationStore    // auth.go
	IdempotencyStore   // idempotency.go
	AuditStore         // audit.go
	SigningSeedStore   // recognition.go
	PrivacyRecordStore // privacy.go
	LoginAttemptStore  // loginlimit.go
	PartnerStore       // partners.go
}

// API is the HTTP API v1, which the OpenAPI document it serves at
// /api/v1/openapi.json describes (openapi.go). NewServer mounts it when
// Options.API is set. The API itself is the plumbing every route shares
// (the route table, token and role checks, rate limits, idempotency,
// errors and metrics); the handlers belong to route groups, each holding
// only what its routes use.
type API struct {
	log      *zap.Logger
	auth     *Authenticator
	limits   *limiters
	metrics  *apiMetrics // set when mounted
	idem     IdempotencyStore
	idemTTL  time.Duration // how long a retry gets the first answer
	idemWait time.Duration // how long a duplicate waits for the first answer
	maxBody  int64         // body limit of routes without their own
	routes   []route
	doc      []byte // the OpenAPI document
	// actions are the responder actions, shared by the responder group
	// and the websocket.
	actions responderActions

	audit       *auditor // shared by the groups that change things; serves the audit log
	accounts    *accountGroup
	responders  *responderGroup
	needs       *needGroup
	linkage     *linkageGroup
	depots      *depotGroup
	recognition *recognitionGroup
	stats       *statsGroup
	privacy     *privacyGroup
	demo        *demoGroup
	push        *pushGroup
	sms         *smsGroup
	incidents   *incidentGroup
	cap         *capGroup
	capMaxBytes int64
	messages    *messageGroup
	review      *reviewGroup
	partners    *partnerGroup
	roster      *rosterGroup
	join        *joinGroup // invitations.go, join.go

	export *exportGroup // export.go
	sitrep *sitrepGroup // sitrep.go

	broadcasts *broadcastGroup // broadcast.go
	onCall     *onCallGroup
	requests   *requestGroup

	surge *surgeGroup // surge.go
}

// NewAPI builds the API and makes sure the first admin and the service
// record key exist, which is why it reads its store and may fail.
func NewAPI(ctx context.Context, opts APIOptions) (*API, error) {
	if err := opts.defaults(); err != nil {
		return nil, err
	}
	log := opts.Logger.Named("api")
	a := &API{
		log: log, auth: newAuthenticator(opts.TokenKey, opts.Access, opts.Now), limits: newLimiters(opts.Limits),
		idem: opts.Access, idemTTL: opts.IdempotencyTTL, idemWait: defaultIdemWait, maxBody: opts.MaxBodyBytes,
	}
	a.audit = &auditor{store: opts.Access, maxLen: opts.AuditMaxLen, log: log, now: opts.Now}
	a.actions = responderActions{app: opts.Service, log: log, audit: a.audit.record, locations: a.limits.location}

	dummyHash, err := bcrypt.GenerateFromPassword([]byte(randomPassword()), opts.BcryptCost)
	if err != nil {
		return nil, fmt.Errorf("web api: %w", err)
	}
	a.accounts = &accountGroup{
		users: opts.Access, auth: a.auth, audit: a.audit, log: log, now: opts.Now,
		bcryptCost: opts.BcryptCost, dummyHash: dummyHash,
		staffTTL: opts.StaffTokenTTL, sessionTTL: opts.SessionTokenTTL,
		revokeTTL: max(opts.StaffTokenTTL, opts.ResponderTokenTTL, opts.SessionTokenTTL),
		sockets:   opts.Sockets, responders: opts.Service,
		logins: &loginLimiter{store: opts.Access, limits: opts.Login, now: opts.Now, log: log},
	}
	if err := a.accounts.bootstrapAdmin(ctx, opts.AdminPassword); err != nil {
		return nil, fmt.Errorf("web api: %w", err)
	}

	rec := opts.Recognition
	if err := rec.defaults(); err != nil {
		return nil, fmt.Errorf("web api: %w", err)
	}
	signer, err := loadSigner(ctx, opts.Access, rec.SigningKey, log)
	if err != nil {
		return nil, fmt.Errorf("web api: %w", err)
	}
	links := newFeedbackLinks(opts.TokenKey, rec.PublicURL)
	lang, err := newPageLang(opts.DefaultLang, opts.TimeZone)
	if err != nil {
		return nil, fmt.Errorf("web api: %w", err)
	}

	app := opts.Service
	a.responders = &responderGroup{app: app, actions: a.actions, auth: a.auth, audit: a.audit, tokenTTL: opts.ResponderTokenTTL, approxRes: opts.OfferApproxResolution,
		lang: ReachLang(opts.DefaultLang)}
	a.needs = &needGroup{app: app, audit: a.audit, now: opts.Now, links: links}
	a.linkage = &linkageGroup{app: app, audit: a.audit}
	a.depots = &depotGroup{app: app, audit: a.audit}
	a.recognition = &recognitionGroup{
		app: app, audit: a.audit, log: log, now: opts.Now, links: links, signer: signer,
		addresses: a.limits.address, feedbackTTL: rec.FeedbackTTL, hoursCap: rec.HoursCap, lang: lang,
	}
	a.stats = &statsGroup{app: app, now: opts.Now, minGroup: opts.EvaluationMinGroupSize}
	a.privacy = &privacyGroup{app: app, records: opts.Access, inbox: opts.Inbox, auth: a.auth, audit: a.audit, log: log, now: opts.Now,
		hoursCap: rec.HoursCap, revokeTTL: max(opts.ResponderTokenTTL, opts.SessionTokenTTL), hangUp: a.accounts.hangUp}

	a.demo = &demoGroup{demo: opts.Demo, audit: a.audit}
	a.push = &pushGroup{opts: opts.Push, app: app, now: opts.Now}
	if opts.Push != nil && opts.Push.Store != nil {
		a.privacy.devices = opts.Push.Store
	}
	if opts.SMS.RepliesPerMinute <= 0 {
		opts.SMS.RepliesPerMinute = 10
	}
	a.sms = &smsGroup{opts: opts.SMS, app: app, pending: app, actions: a.actions, log: log, now: opts.Now, lang: ReachLang(opts.DefaultLang)}
	a.incidents = &incidentGroup{app: app, audit: a.audit}
	a.cap, a.capMaxBytes = &capGroup{app: app, audit: a.audit, log: log}, opts.CAPMaxBytes
	a.messages = &messageGroup{app: app, needs: a.needs, audit: a.audit}
	a.broadcasts = &broadcastGroup{app: app, audit: a.audit}
	a.review = &reviewGroup{needs: a.needs, app: app, audit: a.audit}
	a.partners = &partnerGroup{store: opts.Access, audit: a.audit, now: opts.Now}
	night, err := onCallNight(opts.OnCallNightFrom, opts.OnCallNightTo)
	if err != nil {
		return nil, fmt.Errorf("web api: %w", err)
	}
	a.onCall = &onCallGroup{app: app, audit: a.audit, zone: lang.zone, night: night, now: opts.Now}
	a.roster = &rosterGroup{app: app, auth: a.auth, audit: a.audit, log: log, now: opts.Now, hangUp: a.accounts.hangUp, zone: lang.zone}
	a.requests = newRequestGroup(opts.Requests)

	a.join = &joinGroup{app: app, codes: opts.PhoneCodes, auth: a.auth, audit: a.audit, log: log, now: opts.Now,
		links: newJoinLinks(opts.TokenKey, rec.PublicURL), sender: opts.SMS.Sender, tokenTTL: opts.ResponderTokenTTL, lang: lang}
	a.join.perAddress, a.join.perInvitation = opts.JoinLimits.sets()
	a.export = &exportGroup{app: app, audit: a.audit, log: log, now: opts.Now, zone: lang.zone}
	a.sitrep = &sitrepGroup{app: app, audit: a.audit, lang: lang}
	a.surge = &surgeGroup{app: app}

	a.routes = a.routeTable()
	if a.doc, err = buildOpenAPI(a.routes); err != nil {
		return nil, fmt.Errorf("web api: openapi: %w", err)
	}
	return a, nil
}

// Authenticator is for the websocket layer, which verifies the token of a
// socket at the upgrade and again on every message.
func (a *API) Authenticator() *Authenticator { return a.auth }

// route is one endpoint: how it is served and how it is documented, in
// one place so that the OpenAPI document cannot drift from the router.
type route struct {
	method, path string
	summary      string
	roles        []Role   // who may call it; nil: anyone, no token needed
	body         any      // request body type, for decoding docs; nil: none
	rawBody      string   // content type of a body that is not JSON (e.g. text/csv), documented as text
	answer       any      // success body type; nil: no body
	rawAnswers   []string // content types of a success body that is not JSON (export.go), documented as text
	status       int      // success status
	query        []queryParam
	maxBody      int64
	idempotent   bool // honours Idempotency-Key
	login        bool // also limited by the stricter login limiter
	handle       func(ctx context.Context, c *call) error
}

type queryParam struct{ name, kind, doc string }

var (
	rolesStaff       = []Role{RoleAdmin, RoleOperator, RoleCoordinator}
	rolesOperators   = []Role{RoleAdmin, RoleOperator}
	rolesSelfOrStaff = []Role{RoleAdmin, RoleOperator, RoleCoordinator, RoleResponder}
	rolesSelfOrOps   = []Role{RoleAdmin, RoleOperator, RoleResponder}
	rolesAnyone      = []Role{RoleAdmin, RoleOperator, RoleCoordinator, RoleEvaluator, RoleResponder}
	rolesAdmins      = []Role{RoleAdmin}
	rolesSelfOrAdmin = []Role{RoleAdmin, RoleResponder}
	rolesResponders  = []Role{RoleResponder}
	rolesStats       = []Role{RoleAdmin, RoleOperator, RoleEvaluator}
	rolesAnyStaff    = []Role{RoleAdmin, RoleOperator, RoleCoordinator, RoleEvaluator}
)

// routeTable lists every endpoint of the API, each served by its group's
// handler. This one list drives the router, the role checks, the Allow
// header of a 405 and the OpenAPI document, in this order.
func (a *API) routeTable() []route {
	const v1 = "/api/v1"
	limitParam := queryParam{"limit", "integer", "at most this many, 1..1000 (default 100)"}
	return []route{
		{method: "POST", path: v1 + "/auth/login", summary: "Log in with a username and password", body: loginRequest{}, answer: loginResponse{}, status: 200, login: true, handle: a.accounts.handleLogin},
		{method: "POST", path: v1 + "/auth/revoke", summary: "Revoke the caller's token, or (admin) any token by id", roles: rolesAnyone, body: revokeRequest{}, status: 204, handle: a.accounts.handleRevoke},
		{method: "POST", path: v1 + "/auth/exchange", summary: "A responder's page trades its link token for a session token", roles: rolesResponders, body: emptyRequest{}, answer: exchangeJSON{}, status: 200, handle: a.accounts.handleExchange},
		{method: "POST", path: v1 + "/users", summary: "Create an operator, coordinator, evaluator or admin", roles: rolesAdmins, body: userRequest{}, answer: userJSON{}, status: 201, handle: a.accounts.handleCreateUser},
		{method: "GET", path: v1 + "/users", summary: "List users", roles: rolesAdmins, answer: userList{}, status: 200, handle: a.accounts.handleListUsers},
		{method: "POST", path: v1 + "/users/{username}/disable", summary: "Disable a user: no login, every token refused, sockets closed", roles: rolesAdmins, body: emptyRequest{}, answer: userJSON{}, status: 200, handle: a.accounts.handleDisable},
		{method: "POST", path: v1 + "/users/{username}/enable", summary: "Enable a disabled user (tokens from before stay refused)", roles: rolesAdmins, body: emptyRequest{}, answer: userJSON{}, status: 200, handle: a.accounts.handleEnable},
		{method: "POST", path: v1 + "/users/{username}/password", summary: "Change one's own password (with the old one) or, as admin, anyone's; every earlier token of the user stops working", roles: rolesAnyStaff, body: passwordRequest{}, status: 204, login: true, handle: a.accounts.handlePassword},
		{method: "GET", path: v1 + "/audit", summary: "Audit log, newest first", roles: rolesAdmins, answer: auditList{}, status: 200, handle: a.audit.handleAudit,
			query: []queryParam{limitParam, {"before", "string", "only entries older than this entry id, for paging"}}},
		{method: "POST", path: v1 + "/responders", summary: "Register a responder; the answer carries their token", roles: rolesStaff, body: responderRequest{}, answer: registeredJSON{}, status: 201, idempotent: true, handle: a.responders.handleRegister},
		{method: "POST", path: v1 + "/responders/batch", summary: "Register up to 10,000 responders, all or nothing", roles: rolesStaff, body: batchRequest{}, answer: batchResponse{}, status: 201, idempotent: true, maxBody: maxBatchBodyBytes, handle: a.responders.handleRegisterBatch},
		{method: "GET", path: v1 + "/responders", summary: "List and find responders in id order, a page at a time; a coordinator sees its organisation's", roles: rolesStaff, answer: rosterList{}, status: 200, handle: a.roster.handleList,
			query: []queryParam{{"q", "string", "part of the name, any case"}, {"org", "string", "an organisation id"}, {"community", "string", "an area id: members of the organisations whose home area lies within it"},
				{"role", "string", "social_worker, volunteer, medic or community_worker"}, {"skill", "string", "a skill name held, expired or not"},
				{"status", "string", "available, offered, busy, off_duty or deactivated"}, {"limit", "integer", "1..500 (default 50)"}, {"cursor", "string", "next_cursor of the page before"}}},
		{method: "POST", path: v1 + "/responders/import", summary: "Import a roster from CSV (UTF-8 or GB18030, English or Chinese headers), all or nothing; ?dry_run=true lists every row's problems by line and changes nothing", roles: rolesStaff, rawBody: "text/csv", answer: importJSON{}, status: 201, idempotent: true, maxBody: maxImportBodyBytes, handle: a.roster.handleImport,
			query: []queryParam{{"dry_run", "boolean", "true: check only (200), nothing changes"}}},
		{method: "PATCH", path: v1 + "/responders/{id}", summary: "Correct a responder's name, phone, organisation, limit, skills or certifications; the next match uses them (audited by field)", roles: rolesStaff, body: responderPatchRequest{}, answer: responderJSON{}, status: 200, handle: a.roster.handlePatch},
		{method: "POST", path: v1 + "/responders/{id}/deactivate", summary: "Retire a responder, with a reason: off every index, tokens refused, sockets closed; hours and records stay; 409 while on an offer or assignment", roles: rolesStaff, body: deactivateRequest{}, answer: rosterEntryJSON{}, status: 200, handle: a.roster.handleDeactivate},
		{method: "POST", path: v1 + "/responders/{id}/reactivate", summary: "Bring a retired responder back (off duty; tokens from before stay refused, issue a new one)", roles: rolesStaff, body: emptyRequest{}, answer: rosterEntryJSON{}, status: 200, handle: a.roster.handleReactivate},
		{method: "PUT", path: v1 + "/responders/{id}/shifts", summary: "Set a responder's weekly windows of availability (the region's time zone): on duty at each start, off at each end unless on a task; none opts out", roles: rolesSelfOrStaff, body: shiftsJSON{}, answer: shiftsJSON{}, status: 200, handle: a.roster.handlePutShifts},
		{method: "GET", path: v1 + "/responders/{id}/shifts", summary: "A responder's weekly windows of availability", roles: rolesSelfOrStaff, answer: shiftsJSON{}, status: 200, handle: a.roster.handleGetShifts},
		{method: "GET", path: v1 + "/responders/{id}", summary: "A responder with status and last location", roles: rolesSelfOrStaff, answer: responderJSON{}, status: 200, handle: a.responders.handleGetResponder},
		{method: "PUT", path: v1 + "/responders/{id}/location", summary: "Report a responder's position", roles: rolesSelfOrOps, body: locationRequest{}, status: 204, handle: a.responders.handleLocation},
		{method: "PUT", path: v1 + "/responders/{id}/status", summary: "Go on or off duty", roles: rolesSelfOrOps, body: statusRequest{}, status: 204, handle: a.responders.handleStatus},
		{method: "GET", path: v1 + "/responders/{id}/offers", summary: "A responder's pending offer, for apps without a websocket", roles: rolesSelfOrOps, answer: offerList{}, status: 200, handle: a.responders.handleOffers},
		{method: "GET", path: v1 + "/responders/{id}/jobs", summary: "The needs a responder accepted and has not finished, with their exact places", roles: rolesSelfOrOps, answer: jobList{}, status: 200, handle: a.responders.handleJobs},
		{method: "POST", path: v1 + "/responders/{id}/token", summary: "Issue a new token to a responder (the old one stays valid until revoked)", roles: rolesStaff, answer: tokenJSON{}, status: 201, handle: a.responders.handleReissue},
		{method: "POST", path: v1 + "/responders/{id}/revoke-tokens", summary: "Revoke every token a responder holds (links and page sessions) and close their sockets", roles: rolesSelfOrStaff, body: emptyRequest{}, status: 204, handle: a.accounts.handleRevokeResponderTokens},
		{method: "POST", path: v1 + "/needs", summary: "Create a need; matching starts at once", roles: rolesStaff, body: needRequest{}, answer: needJSON{}, status: 201, idempotent: true, handle: a.needs.handleCreateNeed},
		{method: "GET", path: v1 + "/needs", summary: "List needs, newest first", roles: rolesStaff, answer: needList{}, status: 200, handle: a.needs.handleListNeeds,
			query: []queryParam{{"status", "string", "open, staffing, staffed, completed, cancelled or unstaffed"}, {"incident", "string", "only the needs of this incident"}, limitParam}},
		// Exports and situation reports (export.go, sitrep.go).
		{method: "GET", path: v1 + "/needs/export", summary: "Every need that passes the filters, streamed as CSV (UTF-8 with BOM) or GeoJSON; names, phones, descriptions and addresses for admins and operators only; a coordinator exports the needs it sees", roles: rolesStaff, rawAnswers: []string{"text/csv", "application/geo+json"}, status: 200, handle: a.export.handleExport,
			query: []queryParam{{"format", "string", "csv (default) or geojson"}, {"status", "string", "comma-separated statuses; any of them"},
				{"from", "string", "only needs created at or after this RFC 3339 time"}, {"to", "string", "only needs created before this RFC 3339 time"},
				{"incident", "string", "only the needs of this incident"}, {"area", "string", "only needs inside this loaded area"}, {"bbox", "string", "or inside minLng,minLat,maxLng,maxLat"}}},
		{method: "GET", path: v1 + "/incidents/{id}/sitrep", summary: "The incident's situation report (JSON, or printable A4 HTML in zh-CN or en); each one generated is kept so that the next says what changed", roles: rolesAnyStaff, answer: sitrepJSON{}, status: 200, handle: a.sitrep.handleSitrep,
			query: []queryParam{{"format", "string", "json (default) or html"}, {"lang", "string", "html: zh-CN or en (else Accept-Language)"},
				{"preview", "boolean", "true: compare with the last report kept but do not keep this one"}}},
		{method: "GET", path: v1 + "/needs/{id}", summary: "A need with its assignments", roles: rolesStaff, answer: needJSON{}, status: 200, handle: a.needs.handleGetNeed},
		{method: "POST", path: v1 + "/needs/{id}/cancel", summary: "Cancel a need: offers withdrawn, people released", roles: rolesOperators, body: emptyRequest{}, answer: needJSON{}, status: 200, handle: a.needs.handleCancel},
		{method: "POST", path: v1 + "/needs/{id}/complete", summary: "A team member reports the task done", roles: rolesResponders, body: completeRequest{}, status: 204, handle: a.responders.handleComplete},
		{method: "POST", path: v1 + "/needs/{id}/arrival", summary: "A team member reports arriving at the need: confirmed within field.arrival_radius_m, farther only with a reason (else 422 too_far); hours then run from arrival", roles: rolesResponders, body: arrivalRequest{}, answer: fieldStatusJSON{}, status: 200, handle: a.responders.handleArrival},
		{method: "POST", path: v1 + "/needs/{id}/departure", summary: "A team member who arrived reports leaving the need", roles: rolesResponders, body: emptyRequest{}, answer: fieldStatusJSON{}, status: 200, handle: a.responders.handleDeparture},
		{method: "POST", path: v1 + "/needs/{id}/messages", summary: "Write in a need's team thread (its members, and staff who see the need); delivered to the members' inboxes", roles: rolesSelfOrStaff, body: messageRequest{}, answer: messageJSON{}, status: 201, maxBody: 16 << 10, handle: a.messages.handlePost},
		{method: "GET", path: v1 + "/needs/{id}/messages", summary: "A need's team thread with read receipts, oldest first", roles: rolesSelfOrStaff, answer: threadJSON{}, status: 200, handle: a.messages.handleThread,
			query: []queryParam{limitParam}},
		{method: "POST", path: v1 + "/responders/{id}/messages", summary: "Write to one responder's inbox (staff; a coordinator to its organisation's people)", roles: rolesStaff, body: messageRequest{}, answer: messageJSON{}, status: 201, maxBody: 16 << 10, handle: a.messages.handleDirect},
		{method: "POST", path: v1 + "/needs/{id}/messages/read", summary: "A team member marks the thread read up to a message (the read receipt staff see)", roles: rolesResponders, body: readRequest{}, status: 204, handle: a.messages.handleRead},
		// Broadcast messages (broadcast.go).
		{method: "POST", path: v1 + "/messages", summary: "Write to everyone of a role or organisation inside an area (staff; a coordinator to its organisation's people); delivered to each one's inbox", roles: rolesStaff, body: broadcastRequest{}, answer: broadcastJSON{}, status: 202, maxBody: 256 << 10, handle: a.broadcasts.handleBroadcast,
			query: []queryParam{{"dry_run", "boolean", "1: count the recipients only (200), nothing is sent"}}},
		{method: "POST", path: v1 + "/offers/{id}/accept", summary: "Accept an offer", roles: rolesResponders, body: emptyRequest{}, answer: answerJSON{}, status: 200, handle: a.responders.handleAccept},
		{method: "POST", path: v1 + "/offers/{id}/decline", summary: "Decline an offer", roles: rolesResponders, body: emptyRequest{}, answer: answerJSON{}, status: 200, handle: a.responders.handleDecline},
		{method: "POST", path: v1 + "/needs/{id}/assign", summary: "Offer an open place to a responder an operator chose", roles: rolesOperators, body: assignRequest{}, answer: needJSON{}, status: 200, handle: a.needs.handleAssign},
		{method: "POST", path: v1 + "/needs/{id}/escalate", summary: "Widen who a need may be offered to by one escalation step now", roles: rolesOperators, body: emptyRequest{}, answer: needJSON{}, status: 200, handle: a.needs.handleEscalate},
		{method: "POST", path: v1 + "/areas", summary: "Add or replace areas (city, district, street, community) from a GeoJSON FeatureCollection, all or nothing", roles: rolesAdmins, body: areaCollectionJSON{}, answer: areasLoadedJSON{}, status: 200, maxBody: maxAreaBodyBytes, handle: a.linkage.handlePutAreas},
		{method: "GET", path: v1 + "/areas", summary: "Every area as a GeoJSON FeatureCollection", roles: rolesAnyStaff, answer: areaCollectionJSON{}, status: 200, handle: a.linkage.handleListAreas},
		{method: "POST", path: v1 + "/organisations", summary: "Create or replace an organisation (members join by org_id)", roles: rolesOperators, body: organisationRequest{}, answer: organisationJSON{}, status: 201, handle: a.linkage.handlePutOrganisation},
		{method: "GET", path: v1 + "/organisations", summary: "Organisations with member counts; a coordinator sees its own and its partners", roles: rolesStaff, answer: organisationList{}, status: 200, handle: a.linkage.handleListOrganisations},
		{method: "POST", path: v1 + "/alerts", summary: "Alert every available responder inside a drawn area", roles: rolesOperators, body: alertRequest{}, answer: alertJSON{}, status: 201, idempotent: true, handle: a.needs.handleAlert},
		{method: "GET", path: v1 + "/map/supply", summary: "Available responders per H3 cell in a box (heatmap supply)", roles: rolesOperators, answer: supplyJSON{}, status: 200, handle: a.stats.handleSupply,
			query: []queryParam{{"bbox", "string", "minLng,minLat,maxLng,maxLat"}, {"res", "integer", "H3 resolution 3..9 (default 7; counted at 7 and 5)"}}},
		{method: "PUT", path: v1 + "/depots/{id}", summary: "Create or update a depot of charity resources, optionally setting its stock", roles: rolesStaff, body: depotRequest{}, answer: depotJSON{}, status: 200, handle: a.depots.handlePutDepot},
		{method: "POST", path: v1 + "/depots/{id}/stock", summary: "Add to or take from a depot's stock, all or nothing, never below zero", roles: rolesStaff, body: stockRequest{}, answer: depotJSON{}, status: 200, idempotent: true, handle: a.depots.handleAdjustStock},
		{method: "GET", path: v1 + "/depots", summary: "Every depot with its stock and reservations", roles: rolesStaff, answer: depotList{}, status: 200, handle: a.depots.handleListDepots},
		{method: "GET", path: v1 + "/depots/{id}", summary: "A depot with its stock and reservations", roles: rolesStaff, answer: depotJSON{}, status: 200, handle: a.depots.handleGetDepot},
		{method: "GET", path: v1 + "/stats", summary: "Counts by status, responders available, time to staffed", roles: rolesStats, answer: statsJSON{}, status: 200, handle: a.stats.handleStats},
		{method: "GET", path: v1 + "/openapi.json", summary: "This document", answer: map[string]any{}, status: 200, handle: a.handleOpenAPI},
		{method: "POST", path: v1 + "/feedback/{token}", summary: "Rate a completed need with its one-time feedback link (no login)", body: feedbackRequest{}, answer: feedbackJSON{}, status: 201, maxBody: 16 << 10, handle: a.recognition.handleFeedback},
		{method: "GET", path: v1 + "/responders/{id}/hours", summary: "A responder's hours ledger", roles: rolesSelfOrStaff, answer: hoursJSON{}, status: 200, handle: a.recognition.handleHours},
		{method: "PUT", path: v1 + "/responders/{id}/hours/{entry}", summary: "Correct the hours of one ledger entry, with a reason (audited)", roles: rolesStaff, body: hoursEditRequest{}, answer: hoursEntryJSON{}, status: 200, handle: a.recognition.handleEditHours},
		{method: "GET", path: v1 + "/responders/{id}/service-record", summary: "A responder's signed service record (JSON, CSV or printable HTML)", roles: rolesSelfOrStaff, answer: signedRecordJSON{}, status: 200, handle: a.recognition.handleServiceRecord,
			query: []queryParam{{"format", "string", "json (default), csv or html; CSV ends with a #signature line, HTML carries the signed JSON"}}},
		{method: "POST", path: v1 + "/service-records/verify", summary: "Check a service record's signature (JSON record and signature, or the CSV file)", body: verifyRequest{}, answer: verifyJSON{}, status: 200, handle: a.recognition.handleVerifyRecord},
		{method: "GET", path: v1 + "/service-records/key", summary: "The public key that signs service records", answer: publicKeyJSON{}, status: 200, handle: a.recognition.handlePublicKey},
		{method: "GET", path: v1 + "/responders/{id}/export", summary: "Everything held about a responder (PIPL access and copy; docs/PRIVACY.md)", roles: rolesSelfOrAdmin, answer: exportJSON{}, status: 200, handle: a.privacy.handleExport},
		{method: "POST", path: v1 + "/responders/{id}/erase", summary: "Erase a responder's personal data, with a reason (audited); hours and service records stay under a pseudonym; 409 while on an offer or assignment", roles: rolesAdmins, body: eraseRequest{}, answer: erasedJSON{}, status: 200, handle: a.privacy.handleErase},
		{method: "GET", path: v1 + "/evaluation", summary: "Response times, fill and completion rates, satisfaction and escalations per organisation and overall (no personal data)", roles: rolesStats, answer: evaluationJSON{}, status: 200, handle: a.stats.handleEvaluation,
			query: []queryParam{{"since", "string", "only needs created at or after this RFC 3339 time"}, {"incident", "string", "only the needs of this incident"}}},
		{method: "POST", path: v1 + "/sms/inbound", summary: "An SMS reply from a phone, posted by the SMS gateway and signed with X-Liandong-Signature (HMAC-SHA256 of the body); answers an offer by its reply code", body: smsInboundRequest{}, answer: smsReplyJSON{}, status: 200, maxBody: maxSMSBody, handle: a.sms.handleInbound},
		{method: "POST", path: v1 + "/responders/{id}/offers/{offer_id}/received", summary: "The responder's device says a pushed offer arrived: no SMS fallback for it", roles: rolesResponders, body: emptyRequest{}, status: 204, handle: a.sms.handleReceived},
		{method: "POST", path: v1 + "/incidents", summary: "Open an incident (typhoon, flood, ...) over a GeoJSON area or a loaded area; new needs inside exactly one active incident join it", roles: rolesOperators, body: incidentRequest{}, answer: incidentJSON{}, status: 201, handle: a.incidents.handleCreateIncident},
		{method: "GET", path: v1 + "/incidents", summary: "Every incident, active first", roles: rolesAnyStaff, answer: incidentList{}, status: 200, handle: a.incidents.handleListIncidents},
		{method: "GET", path: v1 + "/incidents/{id}", summary: "An incident with its figures: needs by status and category, people, items used, median and p90 time to staffed (frozen once closed)", roles: rolesAnyStaff, answer: incidentJSON{}, status: 200, handle: a.incidents.handleGetIncident},
		{method: "POST", path: v1 + "/incidents/{id}/close", summary: "Close an incident: its figures are computed once and kept; its needs go on as they are", roles: rolesOperators, body: emptyRequest{}, answer: incidentJSON{}, status: 200, handle: a.incidents.handleCloseIncident},
		{method: "POST", path: v1 + "/cap", summary: "Receive one CAP 1.2 alert (Content-Type application/cap+xml, not JSON; no DTD): Actual or Exercise opens or updates an incident, Cancel closes it, Test and Draft are acknowledged only; 400 names the missing or invalid element", roles: rolesOperators, status: 200, answer: capJSON{}, maxBody: a.capMaxBytes, handle: a.cap.handleCAP},
		{method: "POST", path: v1 + "/demo", summary: "Start the demonstration: illustrative areas, demo organisations and depots, simulated responders and needs (ids demo-...); 409 while it runs", roles: rolesAdmins, body: emptyRequest{}, answer: DemoState{}, status: 202, handle: a.demo.handleStart},
		{method: "GET", path: v1 + "/demo", summary: "Whether the demonstration runs, and how many demo records exist", roles: rolesAdmins, answer: DemoState{}, status: 200, handle: a.demo.handleState},
		{method: "DELETE", path: v1 + "/demo", summary: "Stop the demonstration and remove every demo record (idempotent)", roles: rolesAdmins, answer: demoRemovedJSON{}, status: 200, handle: a.demo.handleRemove},
		{method: "GET", path: v1 + "/push/key", summary: "The VAPID public key a responder's page subscribes to Web Push with; 404 when push is off", answer: pushKeyJSON{}, status: 200, handle: a.push.handleKey},
		{method: "POST", path: v1 + "/responders/{id}/push-subscriptions", summary: "Register a device for Web Push (the browser's PushSubscription and a language); 201 new, 200 the same endpoint again; at most 10 per responder, the oldest replaced", roles: rolesSelfOrOps, body: pushSubscriptionRequest{}, answer: pushSubscriptionJSON{}, status: 201, maxBody: 8 << 10, handle: a.push.handleSubscribe},
		{method: "DELETE", path: v1 + "/responders/{id}/push-subscriptions/{sub_id}", summary: "Forget a device's Web Push subscription", roles: rolesSelfOrOps, status: 204, handle: a.push.handleUnsubscribe},
		// Review of needs from outside the staff, and of duplicates (review.go).
		{method: "POST", path: v1 + "/needs/{id}/approve", summary: "Approve a need awaiting review: it enters matching, with its urgency or the one given", roles: rolesStaff, body: approveRequest{}, answer: needJSON{}, status: 200, handle: a.review.handleApprove},
		{method: "POST", path: v1 + "/needs/{id}/reject", summary: "Reject a need awaiting review, with a reason (audited)", roles: rolesStaff, body: rejectRequest{}, answer: needJSON{}, status: 200, handle: a.review.handleReject},
		{method: "POST", path: v1 + "/needs/{id}/merge", summary: "Merge a need into another: its contacts and description join the other, it closes as merged and its offers are withdrawn", roles: rolesStaff, body: mergeRequest{}, answer: needJSON{}, status: 200, handle: a.review.handleMerge},
		{method: "POST", path: v1 + "/needs/{id}/keep", summary: "Keep a need flagged as a possible duplicate: the flag is cleared and matching takes it up", roles: rolesStaff, body: emptyRequest{}, answer: needJSON{}, status: 200, handle: a.review.handleKeep},
		{method: "PUT", path: v1 + "/needs/{id}/place", summary: "Place a need awaiting review that came with an address only (no geocoder is asked)", roles: rolesStaff, body: placeRequest{}, answer: needJSON{}, status: 200, handle: a.review.handlePlace},
		// Partners of the Open311 door (partners.go, docs/OPEN311.md).
		{method: "POST", path: v1 + "/partners", summary: "Add a partner system; the answer carries its API key, shown once", roles: rolesAdmins, body: partnerRequest{}, answer: partnerJSON{}, status: 201, handle: a.partners.handleCreate},
		{method: "GET", path: v1 + "/partners", summary: "List partners (never their keys)", roles: rolesAdmins, answer: partnerList{}, status: 200, handle: a.partners.handleList},
		{method: "DELETE", path: v1 + "/partners/{id}", summary: "Revoke a partner's API key at once", roles: rolesAdmins, answer: partnerJSON{}, status: 200, handle: a.partners.handleRevoke},
		// Volunteers joining by invitation (invitations.go, join.go).
		{method: "POST", path: v1 + "/organisations/{id}/invitations", summary: "Invite volunteers to an organisation: a join link and its QR code, with an expiry and a maximum number of uses (a coordinator for its own organisation)", roles: rolesStaff, body: invitationRequest{}, answer: invitationJSON{}, status: 201, handle: a.join.handleCreateInvitation},
		{method: "GET", path: v1 + "/organisations/{id}/invitations", summary: "An organisation's invitations, newest first, with their uses and state", roles: rolesStaff, answer: invitationList{}, status: 200, handle: a.join.handleListInvitations},
		{method: "POST", path: v1 + "/invitations/{id}/revoke", summary: "Withdraw an invitation: its link takes nobody more", roles: rolesStaff, body: emptyRequest{}, answer: invitationJSON{}, status: 200, handle: a.join.handleRevokeInvitation},
		{method: "GET", path: v1 + "/invitations/{id}/qr.png", summary: "The QR code of an invitation's link (image/png)", roles: rolesStaff, status: 200, handle: a.join.handleInvitationQR},
		{method: "POST", path: v1 + "/join/{token}/code", summary: "A volunteer opening a join link asks for a code texted to their phone (no login; limited per address and per link)", body: joinCodeRequest{}, answer: joinCodeJSON{}, status: 200, maxBody: 4 << 10, handle: a.join.handleJoinCode},
		{method: "POST", path: v1 + "/join/{token}", summary: "A volunteer applies through a join link with the code: 202 pending until staff approve; refused when the invitation expired, is full or unknown", body: joinRequest{}, answer: joinedJSON{}, status: 202, maxBody: 16 << 10, handle: a.join.handleJoin},
		{method: "GET", path: v1 + "/organisations/{id}/applications", summary: "An organisation's applications from invitations, newest first (audited)", roles: rolesStaff, answer: applicationList{}, status: 200, handle: a.join.handleListApplications,
			query: []queryParam{{"status", "string", "pending, approved or rejected"}}},
		{method: "POST", path: v1 + "/applications/{id}/approve", summary: "Approve an application: the volunteer is registered in the invitation's organisation; the answer carries their responder link, also sent by SMS", roles: rolesStaff, body: emptyRequest{}, answer: approvedJSON{}, status: 200, handle: a.join.handleApprove},
		{method: "POST", path: v1 + "/applications/{id}/reject", summary: "Reject an application, with a reason (audited)", roles: rolesStaff, body: applicationRejectRequest{}, answer: applicationJSON{}, status: 200, handle: a.join.handleReject},
		// On-call rosters and their coverage (oncall.go).
		{method: "PUT", path: v1 + "/organisations/{id}/oncall/{date}", summary: "Set an organisation's on-call roster for a date (YYYY-MM-DD, the region's time zone): members, role, from and to (past midnight when to is not after from); a coordinator only its own", roles: rolesStaff, body: onCallDayJSON{}, answer: onCallDatedJSON{}, status: 200, handle: a.onCall.handlePut},
		{method: "GET", path: v1 + "/organisations/{id}/oncall", summary: "An organisation's on-call rosters from one date to another (at most 31 days)", roles: rolesStaff, answer: onCallListJSON{}, status: 200, handle: a.onCall.handleList,
			query: []queryParam{{"from", "string", "YYYY-MM-DD, default today"}, {"to", "string", "YYYY-MM-DD, default from"}}},
		{method: "GET", path: v1 + "/oncall/coverage", summary: "How many are on call per hour by role, per organisation and per street, for the next hours; streets without a social worker on call at night are gaps", roles: rolesStaff, answer: coverageJSON{}, status: 200, handle: a.onCall.handleCoverage,
			query: []queryParam{{"hours", "integer", "1..72, default 24"}}},
		{method: "PUT", path: v1 + "/responders/{id}/standby", summary: "Opt a responder in or out of CAP standby messages and surge nudges while off duty (by their last known position)", roles: rolesSelfOrStaff, body: standbyJSON{}, answer: standbyJSON{}, status: 200, handle: a.onCall.handlePutStandby},
		{method: "GET", path: v1 + "/responders/{id}/standby", summary: "Whether a responder opted in to CAP standby messages and surge nudges while off duty", roles: rolesSelfOrStaff, answer: standbyJSON{}, status: 200, handle: a.onCall.handleGetStandby},
		// Residents ask for help themselves (requests.go): no login; the phone is confirmed by a texted code.
		{method: "POST", path: v1 + "/requests/code", summary: "Text a one-time code to a resident's phone (a few an hour per phone and per address); 202 with the ticket", body: requestCodeRequest{}, answer: requestCodeJSON{}, status: 202, maxBody: maxRequestBody, handle: a.requests.handleCode},
		{method: "POST", path: v1 + "/requests", summary: "A resident asks for help with a confirmed phone: the need waits for review; 429 over the hourly limit of the phone or the place; the answer's token is the status link, shown once", body: residentRequest{}, answer: requestCreatedJSON{}, status: 201, maxBody: maxRequestBody, handle: a.requests.handleFile},
		{method: "GET", path: v1 + "/requests/{token}", summary: "A resident's request as its status link shows it: status, history, how many are coming; no personal data", answer: requestStatusJSON{}, status: 200, handle: a.requests.handleStatus},
		// Surge nudges (surge.go).
		{method: "GET", path: v1 + "/surge", summary: "Resolution-7 cells whose places nobody could be offered in the last matcher tick, with the nudges sent to off-duty responders near", roles: rolesOperators, answer: surgeJSON{}, status: 200, handle: a.surge.handleSurge},
	}
}

// mount registers every route on the server's mux, with Go's method
// patterns, plus a catch-all that answers unknown API paths in the
// uniform error body instead of ServeMux's plain text.
func (a *API) mount(s *Server, m *apiMetrics) {
	a.metrics = m
	for _, rt := range a.routes {
		s.handle(rt.method+" "+rt.path, a.wrap(rt))
	}
	a.recognition.mountFeedbackPage(s)
	a.join.mountJoinPage(s)
	s.handle("/api/", http.HandlerFunc(a.handleUnknown))
}

// call is one request as a handler sees it: who is calling (zero on public
// routes) and the body, already read within the route's limit.
type call struct {
	w    http.ResponseWriter
	r    *http.Request
	id   Identity
	body []byte
}

func (c *call) json(status int, v any) { writeJSON(c.w, status, v) }

func (a *API) wrap(rt route) http.Handler {
	if rt.maxBody == 0 {
		rt.maxBody = a.maxBody
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Cache-Control", "no-store")
		if err := a.serve(rt, w, r); err != nil {
			a.writeError(w, r, err)
		}
	})
}

// serve runs the checks every route shares, cheapest refusal first: the
// address limit (before any work, so a flood costs little), the token,
// the role, the token's own limit, then the body.
func (a *API) serve(rt route, w http.ResponseWriter, r *http.Request) error {
	addr := clientAddr(r)
	if err := a.limits.address.allow(addr); err != nil {
		return err
	}
	if rt.login {
		if err := a.limits.login.allow(addr); err != nil {
			return err
		}
	}
	c := &call{w: w, r: r}
	if rt.roles != nil {
		token, ok := bearer(r)
		if !ok {
			return unauthenticated("an Authorization: Bearer token is required")
		}
		id, err := a.auth.Verify(r.Context(), token)
		if err != nil {
			return err
		}
		if !slices.Contains(rt.roles, id.Role) {
			return forbidden(fmt.Sprintf("a %s may not call %s %s", id.Role, rt.method, rt.path))
		}
		if err := a.limits.forToken(id.Role).allow(id.TokenID); err != nil {
			return err
		}
		c.id = id
	}
	if r.Method == http.MethodPost || r.Method == http.MethodPut || r.Method == http.MethodPatch {
		body, err := readBody(w, r, rt.maxBody)
		if err != nil {
			return err
		}
		c.body = body
	}
	if key := r.Header.Get("Idempotency-Key"); rt.idempotent && key != "" {
		return a.idempotent(r.Context(), c, rt, key)
	}
	return rt.handle(r.Context(), c)
}

// handleUnknown answers a path under /api/ that no route matched: 405 with
// Allow when the path exists with other methods, else 404.
func (a *API) handleUnknown(w http.ResponseWriter, r *http.Request) {
	if err := a.limits.address.allow(clientAddr(r)); err != nil {
		a.writeError(w, r, err)
		return
	}
	var allow []string
	for _, rt := range a.routes {
		if pathMatches(rt.path, r.URL.Path) {
			allow = append(allow, rt.method)
		}
	}
	if len(allow) > 0 {
		w.Header().Set("Allow", strings.Join(allow, ", "))
		a.writeError(w, r, &Error{Kind: errMethodNotAllowed, Message: r.Method + " is not allowed here; use " + strings.Join(allow, " or ")})
		return
	}
	a.writeError(w, r, &Error{Kind: mobilize.ErrNotFound, Message: "no endpoint at " + r.URL.Path})
}

// pathMatches reports whether path fits pattern, whose {name} segments
// match any one non-empty segment.
func pathMatches(pattern, path string) bool {
	ps, qs := strings.Split(pattern, "/"), strings.Split(path, "/")
	if len(ps) != len(qs) {
		return false
	}
	for i := range ps {
		if strings.HasPrefix(ps[i], "{") {
			if qs[i] == "" {
				return false
			}
		} else if ps[i] != qs[i] {
			return false
		}
	}
	return true
}

// emptyRequest is the body of routes that take none: empty, or {}.
type emptyRequest struct{}

func (a *API) handleOpenAPI(ctx context.Context, c *call) error {
	c.w.Header().Set("Content-Type", "application/json")
	c.w.WriteHeader(http.StatusOK)
	c.w.Write(a.doc)
	return nil
}
