package server

import (
	"bytes"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/url"
	"os"
	"strconv"
	"strings"
	"time"
	_ "time/tzdata" // ui.time_zone must load on a machine without a zone database

	"go.yaml.in/yaml/v3"

	"github.com/liandong/liandong/geo"
	"github.com/liandong/liandong/internal/i18n"
	"github.com/liandong/liandong/mobilize"
	"github.com/liandong/liandong/mobilize/lease"
	"github.com/liandong/liandong/mobilize/redisstore"
	"github.com/liandong/liandong/realtime"
	"github.com/liandong/liandong/web"
)

// defaultConfigPath is read when it exists and no other file is named.
const defaultConfigPath = "configs/liandong.yaml"

// Config is the whole server configuration. Defaults live in Default; a YAML
// file overrides them, the environment overrides the file and flags override
// the environment (README.md, "Configuration").
type Config struct {
	Listen string      `yaml:"listen"`
	Log    LogConfig   `yaml:"log"`
	Redis  RedisConfig `yaml:"redis"`
	Auth   AuthConfig  `yaml:"auth"`
	Offers struct {
		TTL time.Duration `yaml:"ttl"`
		// ApproxResolution is the H3 resolution of the area an offer
		// shows before acceptance instead of the need's point.
		ApproxResolution int `yaml:"approx_resolution"`
	} `yaml:"offers"`
	Index    IndexConfig    `yaml:"index"`
	Matching MatchingConfig `yaml:"matching"`
	Travel   geo.Speeds     `yaml:"travel"`
	HTTP     HTTPConfig     `yaml:"http"`
	Realtime RealtimeConfig `yaml:"realtime"`
	Console  ConsoleConfig  `yaml:"console"`
	// Areas and Escalation: the five-society linkage (linkage.go).
	Areas      AreasConfig      `yaml:"areas"`
	Escalation EscalationConfig `yaml:"escalation"`
	// Recognition: feedback links, hours and signed service records.
	Recognition RecognitionConfig `yaml:"recognition"`
	// Privacy: how long personal data is kept (docs/PRIVACY.md).
	Privacy PrivacyConfig `yaml:"privacy"`
	// Evaluation: what the evaluators' statistics may show.
	Evaluation EvaluationConfig `yaml:"evaluation"`
	// UI: the pages' default language and time zone.
	UI UIConfig `yaml:"ui"`
	// Push: Web Push of offers to responders' closed pages (push.go).
	Push PushConfig `yaml:"push"`
	// SMS and Reach: the delivery ladder past the websocket (issue 15):
	// push when no socket is open, SMS for phones without the app and for
	// urgent offers nobody acknowledged (reach.go).
	SMS   SMSConfig   `yaml:"sms"`
	Reach ReachConfig `yaml:"reach"`
	// CAP: warnings from the early-warning system (POST /api/v1/cap).
	CAP CAPConfig `yaml:"cap"`
	// Field: arrivals on scene and the team threads (issue 20).
	Field FieldConfig `yaml:"field"`
	// Duplicates and Open311: needs from outside the staff (intake.go).
	Duplicates DuplicatesConfig `yaml:"duplicates"`
	Open311    Open311Config    `yaml:"open311"`
	// OnCall: the night hours the on-call coverage checks (oncall.go).
	OnCall OnCallConfig `yaml:"oncall"`
	// Requests: residents ask for help themselves (requests.go).
	Requests RequestsConfig `yaml:"requests"`
	// Nudges: surge nudges to off-duty responders (nudges.go).
	Nudges NudgesConfig `yaml:"nudges"`
	// Demo starts the demonstration at start (flag -demo, env
	// LIANDONG_DEMO=1; internal/demo). Not a file key: a deployment's
	// file should never start one.
	Demo bool `yaml:"-"`
}

// UIConfig is what the pages fall back on: the language when neither the
// person's choice nor the browser's languages say (zh-CN or en), and the
// zone times are shown in (an IANA name).
type UIConfig struct {
	DefaultLang string `yaml:"default_lang"`
	TimeZone    string `yaml:"time_zone"`
}

func (u UIConfig) validate() error {
	var errs []error
	if _, err := i18n.Parse(u.DefaultLang); err != nil {
		errs = append(errs, fmt.Errorf("ui.default_lang: %w", err))
	}
	if u.TimeZone == "" {
		errs = append(errs, errors.New("ui.time_zone: empty (an IANA zone such as Asia/Shanghai)"))
	} else if _, err := time.LoadLocation(u.TimeZone); err != nil {
		errs = append(errs, fmt.Errorf("ui.time_zone: %q is not an IANA time zone such as Asia/Shanghai", u.TimeZone))
	}
	return errors.Join(errs...)
}

// PrivacyConfig is the retention of personal data and how often it is
// enforced.
type PrivacyConfig struct {
	LocationRetention time.Duration `yaml:"location_retention"` // a position no report renewed
	NeedRetention     time.Duration `yaml:"need_retention"`     // a closed need's description and exact place
	SweepInterval     time.Duration `yaml:"sweep_interval"`     // how often the retention sweeper runs
}

// FieldConfig tunes arrivals on scene and the team threads.
type FieldConfig struct {
	// ArrivalRadiusM: an arrival reported within this many metres of the
	// need is confirmed by position; farther needs a reason.
	ArrivalRadiusM float64 `yaml:"arrival_radius_m"`
	// MessagesPerMinute: messages one sender may write a minute.
	MessagesPerMinute int `yaml:"messages_per_minute"`

	// BroadcastMaxRecipients: people one message to an area may reach.
	BroadcastMaxRecipients int `yaml:"broadcast_max_recipients"`
	// BroadcastsPerMinute: messages to an area one sender may send a minute.
	BroadcastsPerMinute int `yaml:"broadcasts_per_minute"`
}

// EvaluationConfig protects the people behind the evaluation's figures.
type EvaluationConfig struct {
	// MinGroupSize: an organisation's figures are shown only when they
	// cover at least this many people (k-anonymity); 1 shows every group.
	MinGroupSize int `yaml:"min_group_size"`
}

// RecognitionConfig tunes feedback, hours and service records.
type RecognitionConfig struct {
	FeedbackTTL time.Duration `yaml:"feedback_ttl"` // how long a completed need's feedback link works
	HoursCap    time.Duration `yaml:"hours_cap"`    // most hours one assignment credits
	// PublicURL makes feedback links absolute (https://host); empty: paths.
	PublicURL string `yaml:"public_url"`
	// SigningKey is the Ed25519 seed (32 bytes, base64 or hex) that signs
	// service records; empty: one is generated and kept in Redis.
	SigningKey string `yaml:"signing_key"`
}

// ConsoleConfig chooses the console's basemap and bounds its live
// subscriptions.
type ConsoleConfig struct {
	// TileURL replaces the offline basemap with raster tiles
	// (https://host/{z}/{x}/{y}.png); empty keeps the built-in coastline.
	TileURL         string `yaml:"tile_url"`
	TileAttribution string `yaml:"tile_attribution"`
	// MaxBoxKm2 is the largest map box a console socket may subscribe
	// to; SubscribesPerMinute how many subscribe messages one socket may
	// send a minute.
	MaxBoxKm2           float64 `yaml:"max_box_km2"`
	SubscribesPerMinute int     `yaml:"subscribes_per_minute"`
}

// LogConfig chooses the zap level and encoding.
type LogConfig struct {
	Level  string `yaml:"level"`  // debug, info, warn, error
	Format string `yaml:"format"` // auto (console on a terminal, else JSON), console, json
}

// RedisConfig says which Redis holds the live state.
type RedisConfig struct {
	// URL empty starts the embedded, unpersisted Redis. redis://, rediss://
	// and redis+cluster://host:port,host:port are understood.
	URL    string `yaml:"url"`
	Prefix string `yaml:"prefix"`
	// EmbeddedAddr exposes the embedded Redis on TCP (for redis-cli).
	EmbeddedAddr string `yaml:"embedded_addr"`
	// WaitReplicasTimeout: on a Redis Cluster an accept is answered once
	// one replica has it or after this long (WAIT 1); 0 off. Not applied
	// to a single Redis, which has no replica to fail over to here.
	WaitReplicasTimeout time.Duration `yaml:"wait_replicas_timeout"`
}

// AuthConfig holds the secrets; they are never logged.
type AuthConfig struct {
	AdminPassword string `yaml:"admin_password"`
	TokenKey      string `yaml:"token_key"`
	// SessionTTL is the life of a responder page's session token; the
	// page renews it before it ends.
	SessionTTL time.Duration `yaml:"session_ttl"`
	// The back-off of failed logins per username (web.LoginLimits).
	LoginFreeFailures     int           `yaml:"login_free_failures"`      // per username and address
	LoginUserFreeFailures int           `yaml:"login_user_free_failures"` // per username from anywhere
	LoginBackoffBase      time.Duration `yaml:"login_backoff_base"`
	LoginBackoffMax       time.Duration `yaml:"login_backoff_max"`
	LoginForgetAfter      time.Duration `yaml:"login_forget_after"`
}

// IndexConfig tunes the live H3 index of responders.
type IndexConfig struct {
	Resolution int           `yaml:"resolution"`
	StaleAfter time.Duration `yaml:"stale_after"`
	SweepEvery time.Duration `yaml:"sweep_every"`
	// Region is the hash tag shared by every index key, so that each Lua
	// script touches one Redis Cluster slot.
	Region string `yaml:"region"`
}

// CAPConfig is what CAP 1.2 warnings do (web/cap.go, mobilize/incident_cap.go).
type CAPConfig struct {
	// PreAlert sends a standby to the available responders inside a
	// Severe or Extreme warning's area.
	PreAlert bool `yaml:"pre_alert"`
	// MaxBytes caps one posted alert (413 above it), and each feed and
	// alert the poller fetches.
	MaxBytes int64 `yaml:"max_bytes"`
	// Feeds are the URLs of Atom or RSS feeds listing CAP alerts,
	// separated by spaces (a string keeps Config comparable), polled
	// every PollEvery; none: no poller.
	Feeds     string        `yaml:"feeds"`
	PollEvery time.Duration `yaml:"poll_every"`
}

// maxCAPBytes bounds cap.max_bytes: an alert is text, not a map tile set.
const maxCAPBytes = 16 << 20

// matching.lease_ttl's bounds: a holder renews every quarter of it, and
// a region is without a matcher for up to this long after its holder dies.
const minLeaseTTL, maxLeaseTTL = 200 * time.Millisecond, time.Minute

// MatchingConfig tunes the matcher.
type MatchingConfig struct {
	Tick              time.Duration `yaml:"tick"`
	StartRadiusMeters float64       `yaml:"start_radius_m"`
	MaxRadiusMeters   float64       `yaml:"max_radius_m"`
	// PenaltyUnreliable is the most travel time added for a poor
	// reliability record (declines, lapses, low ratings); 0: off.
	PenaltyUnreliable time.Duration `yaml:"penalty_unreliable"`
	// AlertBudgetPerHour is how many offers one responder gets in an hour
	// before others in reach are preferred; 0 turns the budget off.
	AlertBudgetPerHour int `yaml:"alert_budget_per_hour"`
	// OnCallBonusMin is how many minutes of travel someone on call now is
	// counted nearer, so that at equal cost they are asked; 0: off.
	OnCallBonusMin int `yaml:"on_call_bonus_min"`
	// Waves offers a place to several people at once where acceptance is
	// low (mobilize/waves.go); single for every urgency unless turned on.
	Waves WavesConfig `yaml:"waves"`
	// MicroBatch is how long after a new need arrives it is matched, with
	// the needs that arrive meanwhile, instead of at the next tick
	// (mobilize/microbatch.go); 0: new needs wait for the next tick.
	MicroBatch time.Duration `yaml:"micro_batch"`
	// LeaseTTL is how long a region's matcher lease lives without renewal
	// (mobilize/lease): one process matches each region, and another
	// takes over within this time of its death.
	LeaseTTL time.Duration `yaml:"lease_ttl"`
}

// WavesConfig is matching.waves.
type WavesConfig struct {
	Target      float64 `yaml:"target"`       // chance that one offer of a wave is accepted in time, (0,1)
	Max         int     `yaml:"max"`          // most offers out per place, 1..10
	PriorAccept float64 `yaml:"prior_accept"` // acceptance assumed before answers, (0,1)
	PriorWeight float64 `yaml:"prior_weight"` // how many answers the prior weighs as
	Urgency1    string  `yaml:"urgency_1"`    // single | adaptive
	Urgency2    string  `yaml:"urgency_2"`
	Urgency3    string  `yaml:"urgency_3"`
	Urgency4    string  `yaml:"urgency_4"`
}

func wavesConfigOf(w mobilize.WaveConfig) WavesConfig {
	return WavesConfig{Target: w.Target, Max: w.Max, PriorAccept: w.PriorAccept, PriorWeight: w.PriorWeight,
		Urgency1: string(w.Modes[0]), Urgency2: string(w.Modes[1]), Urgency3: string(w.Modes[2]), Urgency4: string(w.Modes[3])}
}

func (w WavesConfig) wave() mobilize.WaveConfig {
	return mobilize.WaveConfig{Target: w.Target, Max: w.Max, PriorAccept: w.PriorAccept, PriorWeight: w.PriorWeight,
		Modes: [4]mobilize.WaveMode{mobilize.WaveMode(w.Urgency1), mobilize.WaveMode(w.Urgency2), mobilize.WaveMode(w.Urgency3), mobilize.WaveMode(w.Urgency4)}}
}

// HTTPConfig bounds the HTTP server. The timeouts are sized for phones on
// poor networks: a 64 KiB body at 10 kbit/s arrives in under a minute.
type HTTPConfig struct {
	ShutdownTimeout time.Duration `yaml:"shutdown_timeout"`
	MaxBodyBytes    int64         `yaml:"max_body_bytes"`
	// ReadHeaderTimeout bounds reading a request's headers.
	ReadHeaderTimeout time.Duration `yaml:"read_header_timeout"`
	// BodyTimeout bounds reading a request's body, from when its handler
	// starts; 0: no bound.
	BodyTimeout time.Duration `yaml:"body_timeout"`
	// WriteTimeout bounds a whole request, from its headers to the last
	// byte of the answer; websockets set their own per write; 0: no bound.
	WriteTimeout time.Duration `yaml:"write_timeout"`
	// IdleTimeout closes a keep-alive connection idle this long.
	IdleTimeout time.Duration `yaml:"idle_timeout"`
	// MaxConnsPerAddress caps the open connections (websockets included)
	// of one client address (IPv6: one /64); 0: no cap.
	MaxConnsPerAddress int `yaml:"max_conns_per_address"`
}

// RealtimeConfig bounds the websockets.
type RealtimeConfig struct {
	// MaxSocketsPerPerson caps one responder's open sockets (per process);
	// the oldest is closed with 4001 to make room. 0: no cap.
	MaxSocketsPerPerson int `yaml:"max_sockets_per_person"`
	// MaxSocketsPerStaff is the same for a staff user's consoles, higher
	// because a command centre opens one account on several screens.
	MaxSocketsPerStaff int `yaml:"max_sockets_per_staff"`
	// HandshakesPerSecond and HandshakeBurst bound websocket handshakes per
	// client address; a negative rate turns the limit off.
	HandshakesPerSecond float64 `yaml:"handshakes_per_second"`
	HandshakeBurst      int     `yaml:"handshake_burst"`
	// LocationPerSecond and LocationBurst bound one responder's location
	// reports across all their sockets and the HTTP route; a negative
	// rate turns the limit off.
	LocationPerSecond float64 `yaml:"location_per_second"`
	LocationBurst     int     `yaml:"location_burst"`
	// ConsoleCoalesce is the window over which a console socket's events
	// are gathered: a responder's moves become the latest, the rest go out
	// together (realtime/coalesce.go). 0: each event as it comes.
	ConsoleCoalesce time.Duration `yaml:"console_coalesce"`
}

// Default is the configuration used when nothing is set anywhere.
func Default() Config {
	// Each part's defaults live in its own package; this only gathers them.
	ix, match, api := redisstore.DefaultIndexOptions(), mobilize.DefaultMatchConfig(), web.DefaultAPIOptions()
	var c Config
	c.Listen = "127.0.0.1:8080"
	c.Log = LogConfig{Level: "info", Format: "auto"}
	c.Redis = RedisConfig{Prefix: ix.Prefix}
	c.Redis.WaitReplicasTimeout = 100 * time.Millisecond
	c.Offers.TTL = match.OfferTTL
	c.Offers.ApproxResolution = api.OfferApproxResolution
	c.Index = IndexConfig{Resolution: ix.Resolution, StaleAfter: ix.StaleAfter, SweepEvery: 30 * time.Second, Region: ix.Region}
	c.Matching = MatchingConfig{Tick: match.Tick, StartRadiusMeters: match.StartRadiusMeters, MaxRadiusMeters: match.MaxRadiusMeters,
		PenaltyUnreliable: match.PenaltyUnreliable, AlertBudgetPerHour: match.AlertBudgetPerHour}
	c.Matching.OnCallBonusMin = match.OnCallBonusMin
	c.OnCall = defaultOnCall()
	c.Matching.Waves = wavesConfigOf(match.Waves)
	c.Matching.MicroBatch = match.MicroBatch
	c.Matching.LeaseTTL = lease.DefaultTTL
	c.Travel = match.Speeds
	c.HTTP = HTTPConfig{ShutdownTimeout: 8 * time.Second, MaxBodyBytes: api.MaxBodyBytes,
		ReadHeaderTimeout: 10 * time.Second, BodyTimeout: 60 * time.Second, WriteTimeout: 90 * time.Second,
		IdleTimeout: 120 * time.Second, MaxConnsPerAddress: 1000}
	c.Realtime = RealtimeConfig{MaxSocketsPerPerson: 3, MaxSocketsPerStaff: 10,
		HandshakesPerSecond: api.Limits.HandshakePerSecond, HandshakeBurst: api.Limits.HandshakeBurst,
		LocationPerSecond: api.Limits.LocationPerSecond, LocationBurst: api.Limits.LocationBurst}
	c.Realtime.ConsoleCoalesce = realtime.DefaultConsoleCoalesce
	c.Escalation = defaultEscalation()
	c.CAP = CAPConfig{MaxBytes: api.CAPMaxBytes, PollEvery: time.Minute}
	c.Recognition = RecognitionConfig{FeedbackTTL: mobilize.DefaultFeedbackTTL, HoursCap: mobilize.DefaultHoursCap}
	c.Auth.SessionTTL = api.SessionTokenTTL
	c.Console.MaxBoxKm2, c.Console.SubscribesPerMinute = web.DefaultMaxBoxKm2, web.DefaultSubscribesPerMinute
	ret := mobilize.DefaultRetention()
	c.Privacy = PrivacyConfig{LocationRetention: ret.Locations, NeedRetention: ret.Needs, SweepInterval: time.Hour}
	c.Auth.LoginFreeFailures, c.Auth.LoginUserFreeFailures = api.Login.FreeFailures, api.Login.UserFreeFailures
	c.Auth.LoginBackoffBase, c.Auth.LoginBackoffMax, c.Auth.LoginForgetAfter = api.Login.BackoffBase, api.Login.BackoffMax, api.Login.ForgetAfter
	c.Evaluation.MinGroupSize = api.EvaluationMinGroupSize
	c.UI = UIConfig{DefaultLang: string(i18n.ZhCN), TimeZone: web.DefaultTimeZone}
	c.Push = defaultPush()
	c.SMS = SMSConfig{Provider: "log", FallbackAfter: 20 * time.Second, MaxPerHour: 600}
	c.Field = FieldConfig{ArrivalRadiusM: mobilize.DefaultArrivalRadiusMeters, MessagesPerMinute: mobilize.DefaultMessagesPerMinute,
		BroadcastMaxRecipients: mobilize.DefaultBroadcastMaxRecipients, BroadcastsPerMinute: mobilize.DefaultBroadcastsPerMinute}
	c.Duplicates, c.Open311 = defaultDuplicates(), defaultOpen311()
	c.Requests = defaultRequests()
	c.Nudges = defaultNudges()
	return c
}

// Validate refuses settings the server cannot run with.
func (c Config) Validate() error {
	var errs []error
	if c.Listen == "" {
		errs = append(errs, errors.New("listen: empty address"))
	}
	switch c.Log.Level {
	case "debug", "info", "warn", "error":
	default:
		errs = append(errs, fmt.Errorf("log.level: %q is not one of debug, info, warn, error", c.Log.Level))
	}
	switch c.Log.Format {
	case "auto", "console", "json":
	default:
		errs = append(errs, fmt.Errorf("log.format: %q is not one of auto, console, json", c.Log.Format))
	}
	if c.Redis.WaitReplicasTimeout < 0 {
		errs = append(errs, fmt.Errorf("redis.wait_replicas_timeout: %v must not be negative (0 turns it off)", c.Redis.WaitReplicasTimeout))
	}
	if c.Redis.Prefix == "" {
		errs = append(errs, errors.New("redis.prefix: empty"))
	}
	if strings.ContainsAny(c.Redis.Prefix, "{} ") {
		errs = append(errs, fmt.Errorf("redis.prefix: %q must not contain braces or spaces (hash tags are added by the server)", c.Redis.Prefix))
	}
	if c.Redis.URL != "" && c.Auth.TokenKey == "" {
		errs = append(errs, errors.New("auth.token_key (LIANDONG_TOKEN_KEY): required when a real Redis is used, so that tokens survive a restart"))
	}
	if c.Auth.SessionTTL < 10*time.Second || c.Auth.SessionTTL > 30*24*time.Hour {
		errs = append(errs, fmt.Errorf("auth.session_ttl: %s is outside 10s..720h", c.Auth.SessionTTL))
	}
	if c.Auth.TokenKey != "" && len(c.Auth.TokenKey) < 16 {
		errs = append(errs, errors.New("auth.token_key (LIANDONG_TOKEN_KEY): at least 16 bytes"))
	}
	if c.Auth.LoginFreeFailures < 1 || c.Auth.LoginUserFreeFailures < c.Auth.LoginFreeFailures {
		errs = append(errs, errors.New("auth.login_free_failures and auth.login_user_free_failures: need 1 <= login_free_failures <= login_user_free_failures"))
	}
	if c.Auth.LoginBackoffBase <= 0 || c.Auth.LoginBackoffMax < c.Auth.LoginBackoffBase || c.Auth.LoginForgetAfter < c.Auth.LoginBackoffMax {
		errs = append(errs, errors.New("auth.login_backoff_base, login_backoff_max, login_forget_after: need 0 < base <= max <= forget_after"))
	}
	if c.Field.ArrivalRadiusM < 10 || c.Field.ArrivalRadiusM > 5000 {
		errs = append(errs, fmt.Errorf("field.arrival_radius_m: %g is outside 10..5000", c.Field.ArrivalRadiusM))
	}
	if c.Field.MessagesPerMinute < 1 || c.Field.MessagesPerMinute > 600 {
		errs = append(errs, fmt.Errorf("field.messages_per_minute: %d is outside 1..600", c.Field.MessagesPerMinute))
	}
	if c.Field.BroadcastMaxRecipients < 1 || c.Field.BroadcastMaxRecipients > 100_000 {
		errs = append(errs, fmt.Errorf("field.broadcast_max_recipients: %d is outside 1..100000", c.Field.BroadcastMaxRecipients))
	}
	if c.Field.BroadcastsPerMinute < 1 || c.Field.BroadcastsPerMinute > 60 {
		errs = append(errs, fmt.Errorf("field.broadcasts_per_minute: %d is outside 1..60", c.Field.BroadcastsPerMinute))
	}
	if c.Evaluation.MinGroupSize < 1 {
		errs = append(errs, fmt.Errorf("evaluation.min_group_size: %d is below 1 (1 shows every group)", c.Evaluation.MinGroupSize))
	}
	if c.Offers.TTL < time.Second {
		errs = append(errs, fmt.Errorf("offers.ttl: %s is shorter than 1s", c.Offers.TTL))
	}
	if c.Offers.ApproxResolution < 5 || c.Offers.ApproxResolution > 9 {
		// Coarser than 5 says nothing; finer than 9 (~174 m) comes close
		// to giving the door away.
		errs = append(errs, fmt.Errorf("offers.approx_resolution: %d is outside 5..9", c.Offers.ApproxResolution))
	}
	if c.Index.Resolution < 5 || c.Index.Resolution > 12 {
		errs = append(errs, fmt.Errorf("index.resolution: %d is outside 5..12", c.Index.Resolution))
	}
	if c.Index.StaleAfter <= 0 || c.Index.SweepEvery <= 0 {
		errs = append(errs, errors.New("index.stale_after and index.sweep_every: must be positive"))
	}
	if c.Index.Region == "" || strings.ContainsAny(c.Index.Region, "{} :") {
		errs = append(errs, fmt.Errorf("index.region: %q must be a non-empty word without braces, colons or spaces", c.Index.Region))
	}
	if c.Matching.Tick <= 0 {
		errs = append(errs, errors.New("matching.tick: must be positive"))
	}
	// A window as long as the tick would make a new need wait as long
	// as it would without one.
	if c.Matching.MicroBatch < 0 || (c.Matching.Tick > 0 && c.Matching.MicroBatch >= c.Matching.Tick) {
		errs = append(errs, fmt.Errorf("matching.micro_batch: %v must be 0 (off) or shorter than matching.tick (%v)", c.Matching.MicroBatch, c.Matching.Tick))
	}
	if c.Matching.LeaseTTL < minLeaseTTL || c.Matching.LeaseTTL > maxLeaseTTL {
		errs = append(errs, fmt.Errorf("matching.lease_ttl: %s must be %s .. %s", c.Matching.LeaseTTL, minLeaseTTL, maxLeaseTTL))
	}
	if c.Matching.StartRadiusMeters <= 0 || c.Matching.MaxRadiusMeters < c.Matching.StartRadiusMeters {
		errs = append(errs, errors.New("matching: need 0 < start_radius_m <= max_radius_m"))
	}
	if c.Matching.OnCallBonusMin < 0 || c.Matching.OnCallBonusMin > maxOnCallBonusMin {
		errs = append(errs, fmt.Errorf("matching.on_call_bonus_min: must be 0 (off) .. %d", maxOnCallBonusMin))
	}
	if err := c.OnCall.validate(); err != nil {
		errs = append(errs, err)
	}
	if err := c.Nudges.validate(); err != nil {
		errs = append(errs, err)
	}
	if c.Matching.PenaltyUnreliable < 0 {
		errs = append(errs, fmt.Errorf("matching.penalty_unreliable: %s is negative (0 turns it off)", c.Matching.PenaltyUnreliable))
	}
	if err := c.Matching.Waves.wave().Validate(); err != nil {
		errs = append(errs, fmt.Errorf("matching.waves: %v", err))
	}
	if c.Matching.AlertBudgetPerHour < 0 || c.Matching.AlertBudgetPerHour > redisstore.MaxAlertBudget {
		errs = append(errs, fmt.Errorf("matching.alert_budget_per_hour: must be 0 (off) .. %d", redisstore.MaxAlertBudget))
	}
	if err := c.Travel.Validate(); err != nil {
		errs = append(errs, fmt.Errorf("travel: %w", err))
	}
	if c.HTTP.ShutdownTimeout <= 0 || c.HTTP.MaxBodyBytes <= 0 {
		errs = append(errs, errors.New("http.shutdown_timeout and http.max_body_bytes: must be positive"))
	}
	if c.Console.MaxBoxKm2 <= 0 || c.Console.SubscribesPerMinute <= 0 {
		errs = append(errs, errors.New("console.max_box_km2 and console.subscribes_per_minute: must be positive"))
	}
	errs = append(errs, c.HTTP.validateLimits(), c.Realtime.validate())
	errs = append(errs, c.Escalation.validate())
	errs = append(errs, c.Recognition.validate()...)
	errs = append(errs, c.UI.validate())
	errs = append(errs, c.Push.validate()...)
	errs = append(errs, c.SMS.validate())
	if c.CAP.MaxBytes < 1024 || c.CAP.MaxBytes > maxCAPBytes {
		errs = append(errs, fmt.Errorf("cap.max_bytes: %d is outside 1024..%d", c.CAP.MaxBytes, maxCAPBytes))
	}
	if c.CAP.PollEvery < 10*time.Second {
		errs = append(errs, fmt.Errorf("cap.poll_every: %s is shorter than 10s", c.CAP.PollEvery))
	}
	for _, f := range strings.Fields(c.CAP.Feeds) {
		if u, err := url.Parse(f); err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
			errs = append(errs, fmt.Errorf("cap.feeds: %q is not an http(s) URL", f))
		}
	}
	errs = append(errs, c.Duplicates.validate(), c.Open311.validate())
	errs = append(errs, c.Requests.validate())
	if c.Privacy.LocationRetention < time.Hour || c.Privacy.NeedRetention < time.Hour || c.Privacy.SweepInterval < time.Second {
		errs = append(errs, errors.New("privacy: location_retention and need_retention must be at least 1h, sweep_interval at least 1s"))
	}
	return errors.Join(errs...)
}

func (h HTTPConfig) validateLimits() error {
	var errs []error
	if h.ReadHeaderTimeout <= 0 || h.IdleTimeout <= 0 {
		errs = append(errs, errors.New("http.read_header_timeout and http.idle_timeout: must be positive"))
	}
	if h.BodyTimeout < 0 || h.WriteTimeout < 0 || h.MaxConnsPerAddress < 0 {
		errs = append(errs, errors.New("http.body_timeout, http.write_timeout and http.max_conns_per_address: must not be negative (0: off)"))
	}
	return errors.Join(errs...)
}

func (r RealtimeConfig) validate() error {
	var errs []error
	if r.MaxSocketsPerPerson < 0 || r.MaxSocketsPerStaff < 0 {
		errs = append(errs, errors.New("realtime.max_sockets_per_person and realtime.max_sockets_per_staff: must not be negative (0: no cap)"))
	}
	if r.HandshakesPerSecond == 0 || r.LocationPerSecond == 0 {
		errs = append(errs, errors.New("realtime.handshakes_per_second and realtime.location_per_second: must not be 0 (negative: off)"))
	}
	if r.HandshakeBurst < 1 || r.LocationBurst < 1 {
		errs = append(errs, errors.New("realtime.handshake_burst and realtime.location_burst: at least 1"))
	}
	if r.ConsoleCoalesce < 0 || r.ConsoleCoalesce > time.Second {
		errs = append(errs, errors.New("realtime.console_coalesce: 0 (off) to 1s"))
	}
	return errors.Join(errs...)
}

// decodeYAML overlays a YAML document on c, refusing unknown keys.
func decodeYAML(c *Config, r io.Reader, name string) error {
	dec := yaml.NewDecoder(r)
	dec.KnownFields(true)
	if err := dec.Decode(c); err != nil && !errors.Is(err, io.EOF) {
		return fmt.Errorf("config %s: %w", name, err)
	}
	return nil
}

// LoadFile overlays the YAML file at path on c.
func LoadFile(c *Config, path string) error {
	data, err := os.ReadFile(path)
	if err != nil {
		return fmt.Errorf("config: %w", err)
	}
	return decodeYAML(c, bytes.NewReader(data), path)
}

// envSetting maps one environment variable onto the configuration.
type envSetting struct {
	name  string
	apply func(c *Config, v string) error
}

var envSettings = []envSetting{
	{"LIANDONG_LISTEN", func(c *Config, v string) error { c.Listen = v; return nil }},
	{"LIANDONG_REDIS_URL", func(c *Config, v string) error { c.Redis.URL = v; return nil }},
	{"LIANDONG_REDIS_PREFIX", func(c *Config, v string) error { c.Redis.Prefix = v; return nil }},
	{"LIANDONG_ADMIN_PASSWORD", func(c *Config, v string) error { c.Auth.AdminPassword = v; return nil }},
	{"LIANDONG_TOKEN_KEY", func(c *Config, v string) error { c.Auth.TokenKey = v; return nil }},
	{"LIANDONG_LOG_LEVEL", func(c *Config, v string) error { c.Log.Level = v; return nil }},
	{"LIANDONG_SIGNING_KEY", func(c *Config, v string) error { c.Recognition.SigningKey = v; return nil }},
	{"LIANDONG_VAPID_PUBLIC_KEY", func(c *Config, v string) error { c.Push.VAPIDPublicKey = v; return nil }},
	{"LIANDONG_VAPID_PRIVATE_KEY", func(c *Config, v string) error { c.Push.VAPIDPrivateKey = v; return nil }},
	{"LIANDONG_SMS_WEBHOOK_SECRET", func(c *Config, v string) error { c.SMS.WebhookSecret = v; return nil }},
	{"LIANDONG_MAX_CONNS_PER_ADDRESS", func(c *Config, v string) error {
		n, err := strconv.Atoi(v)
		if err != nil {
			return fmt.Errorf("LIANDONG_MAX_CONNS_PER_ADDRESS: %w", err)
		}
		c.HTTP.MaxConnsPerAddress = n
		return nil
	}},
	{"LIANDONG_MAX_SOCKETS_PER_STAFF", func(c *Config, v string) error {
		n, err := strconv.Atoi(v)
		if err != nil {
			return fmt.Errorf("LIANDONG_MAX_SOCKETS_PER_STAFF: %w", err)
		}
		c.Realtime.MaxSocketsPerStaff = n
		return nil
	}},
	{"LIANDONG_HANDSHAKES_PER_SECOND", func(c *Config, v string) error {
		f, err := strconv.ParseFloat(v, 64)
		if err != nil {
			return fmt.Errorf("LIANDONG_HANDSHAKES_PER_SECOND: %w", err)
		}
		c.Realtime.HandshakesPerSecond = f
		return nil
	}},
	{"LIANDONG_DEMO", func(c *Config, v string) error {
		b, err := strconv.ParseBool(v)
		if err != nil {
			return fmt.Errorf("LIANDONG_DEMO: %w", err)
		}
		c.Demo = b
		return nil
	}},
	{"LIANDONG_OFFER_TTL", func(c *Config, v string) error {
		d, err := time.ParseDuration(v)
		if err != nil {
			return fmt.Errorf("LIANDONG_OFFER_TTL: %w", err)
		}
		c.Offers.TTL = d
		return nil
	}},
}

// Load builds the configuration from defaults, the config file, the
// environment and the command-line flags, in that order of precedence.
func Load(args []string, getenv func(string) string) (Config, error) {
	fs := flag.NewFlagSet("liandong", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	configPath := fs.String("config", "", "config file (env LIANDONG_CONFIG; default "+defaultConfigPath+" if present)")
	listen := fs.String("listen", "", "listen address (env LIANDONG_LISTEN)")
	redisURL := fs.String("redis", "", "Redis URL; empty starts the embedded Redis (env LIANDONG_REDIS_URL)")
	embeddedAddr := fs.String("embedded-redis-addr", "", "expose the embedded Redis on this TCP address, e.g. 127.0.0.1:6390")
	logLevel := fs.String("log-level", "", "debug, info, warn or error (env LIANDONG_LOG_LEVEL)")
	demo := fs.Bool("demo", false, "start the demonstration: illustrative Yantai areas, simulated responders and needs, all marked demo (env LIANDONG_DEMO=1)")
	if err := fs.Parse(args); err != nil {
		return Config{}, fmt.Errorf("flags: %w", err)
	}
	if fs.NArg() > 0 {
		return Config{}, fmt.Errorf("flags: unexpected argument %q", fs.Arg(0))
	}

	c := Default()
	path := *configPath
	if path == "" {
		path = getenv("LIANDONG_CONFIG")
	}
	if path != "" {
		if err := LoadFile(&c, path); err != nil {
			return Config{}, err
		}
	} else if _, err := os.Stat(defaultConfigPath); err == nil {
		if err := LoadFile(&c, defaultConfigPath); err != nil {
			return Config{}, err
		}
	}

	for _, s := range envSettings {
		if v, ok := lookup(getenv, s.name); ok {
			if err := s.apply(&c, v); err != nil {
				return Config{}, err
			}
		}
	}

	fs.Visit(func(f *flag.Flag) {
		switch f.Name {
		case "listen":
			c.Listen = *listen
		case "redis":
			c.Redis.URL = *redisURL
		case "embedded-redis-addr":
			c.Redis.EmbeddedAddr = *embeddedAddr
		case "log-level":
			c.Log.Level = *logLevel
		case "demo":
			c.Demo = *demo
		}
	})
	if err := c.Validate(); err != nil {
		return Config{}, fmt.Errorf("config: %w", err)
	}
	return c, nil
}

// lookup treats an empty variable as unset, so that `LIANDONG_X= cmd` does
// not silently blank a value from the file.
func lookup(getenv func(string) string, name string) (string, bool) {
	v := getenv(name)
	return v, v != ""
}
