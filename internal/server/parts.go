package server

import (
	"strings"
	"time"

	"github.com/liandong/liandong/mobilize"
	"github.com/liandong/liandong/mobilize/lease"
	"github.com/liandong/liandong/mobilize/notify"
	"github.com/liandong/liandong/mobilize/reach"
	"github.com/liandong/liandong/mobilize/reach/push"
	"github.com/liandong/liandong/mobilize/redisstore"
	"github.com/liandong/liandong/realtime"
	"github.com/liandong/liandong/web"
)

// What each part of the program is built from, read off the one Config.
// Run calls these and nothing else reads the configuration's sections, so
// that TestEveryKeyReachesAConstructor can prove no key is parsed and then
// forgotten.

// indexOptions configure the live index (and the store around it).
func (c Config) indexOptions() redisstore.IndexOptions {
	return redisstore.IndexOptions{Prefix: c.Redis.Prefix, Region: c.Index.Region, Resolution: c.Index.Resolution, StaleAfter: c.Index.StaleAfter,
		WaitReplicasTimeout: c.Redis.WaitReplicasTimeout}
}

// matchConfig is the matcher's: its defaults, overlaid with the file's.
func (c Config) matchConfig() mobilize.MatchConfig {
	m := mobilize.DefaultMatchConfig()
	m.Tick, m.OfferTTL, m.Speeds = c.Matching.Tick, c.Offers.TTL, c.Travel
	m.StartRadiusMeters, m.MaxRadiusMeters = c.Matching.StartRadiusMeters, c.Matching.MaxRadiusMeters
	m.PenaltyUnreliable, m.AlertBudgetPerHour = c.Matching.PenaltyUnreliable, c.Matching.AlertBudgetPerHour
	m.OnCallBonusMin = c.Matching.OnCallBonusMin
	m.Waves = c.Matching.Waves.wave()
	m.MicroBatch = c.Matching.MicroBatch
	return m
}

// leaseOptions are the matcher leases' (mobilize/lease): the regions this
// deployment matches (one, index.region, until regions are configured)
// and the lease's time. Run adds the holder's logger and metrics.
func (c Config) leaseOptions() lease.Options {
	return lease.Options{Regions: []string{c.Index.Region}, TTL: c.Matching.LeaseTTL}
}

// escalationConfig is the escalator's.
func (c Config) escalationConfig() mobilize.EscalationConfig {
	return mobilize.EscalationConfig{Goals: c.Escalation.goals(), WidenWhenEmpty: c.Escalation.WidenWhenEmpty}
}

// apiOptions are the HTTP API's settings; Run adds its dependencies.
func (c Config) apiOptions() web.APIOptions {
	o := web.DefaultAPIOptions()
	o.TokenKey, o.AdminPassword = []byte(c.Auth.TokenKey), c.Auth.AdminPassword
	o.SessionTokenTTL, o.MaxBodyBytes = c.Auth.SessionTTL, c.HTTP.MaxBodyBytes
	o.Recognition = c.Recognition.options()
	o.Limits.HandshakePerSecond, o.Limits.HandshakeBurst = c.Realtime.HandshakesPerSecond, c.Realtime.HandshakeBurst
	o.Limits.LocationPerSecond, o.Limits.LocationBurst = c.Realtime.LocationPerSecond, c.Realtime.LocationBurst
	o.OfferApproxResolution = c.Offers.ApproxResolution
	o.Login = web.LoginLimits{FreeFailures: c.Auth.LoginFreeFailures, UserFreeFailures: c.Auth.LoginUserFreeFailures,
		BackoffBase: c.Auth.LoginBackoffBase, BackoffMax: c.Auth.LoginBackoffMax, ForgetAfter: c.Auth.LoginForgetAfter}
	o.EvaluationMinGroupSize = c.Evaluation.MinGroupSize
	// The feedback page and the service record are rendered by the API.
	o.DefaultLang, o.TimeZone = c.UI.DefaultLang, c.UI.TimeZone
	o.CAPMaxBytes = c.CAP.MaxBytes
	o.OnCallNightFrom, o.OnCallNightTo = c.OnCall.NightFrom, c.OnCall.NightTo
	return o
}

// capFeeds configure the CAP feed poller (loops.go); no feeds, no poller.
type capFeeds struct {
	Feeds     []string
	PollEvery time.Duration
	MaxBytes  int64
}

func (c Config) capFeeds() capFeeds {
	return capFeeds{Feeds: strings.Fields(c.CAP.Feeds), PollEvery: c.CAP.PollEvery, MaxBytes: c.CAP.MaxBytes}
}

// capConfig is what the service does with CAP warnings beyond incidents.
func (c Config) capConfig() mobilize.CAPConfig {
	return mobilize.CAPConfig{PreAlert: c.CAP.PreAlert}
}

// hubOptions are the websocket hub's settings; Run adds its inbox, broker
// and logger.
func (c Config) hubOptions() realtime.HubOptions {
	return realtime.HubOptions{MaxSockets: map[string]int{
		realtime.KindResponder: c.Realtime.MaxSocketsPerPerson,
		realtime.KindOperator:  c.Realtime.MaxSocketsPerStaff,
	}, ConsoleCoalesce: c.Realtime.ConsoleCoalesce}
}

// serverLimits bound the listener and the http.Server (main.go).
type serverLimits struct {
	ReadHeaderTimeout, BodyTimeout, WriteTimeout, IdleTimeout time.Duration
	MaxConnsPerAddress                                        int
}

func (c Config) serverLimits() serverLimits {
	h := c.HTTP
	return serverLimits{ReadHeaderTimeout: h.ReadHeaderTimeout, BodyTimeout: h.BodyTimeout, WriteTimeout: h.WriteTimeout,
		IdleTimeout: h.IdleTimeout, MaxConnsPerAddress: h.MaxConnsPerAddress}
}

// notifyOptions are the notifier's settings; Run adds its logger and
// metrics registry.
func (c Config) notifyOptions() notify.Options {
	return notify.Options{ApproxResolution: c.Offers.ApproxResolution}
}

// retentionConfig is how long the retention sweeper keeps personal data.
func (c Config) retentionConfig() mobilize.RetentionConfig {
	r := mobilize.DefaultRetention()
	r.Locations, r.Needs = c.Privacy.LocationRetention, c.Privacy.NeedRetention
	return r
}

// pageOptions choose the console's basemap and the pages' default
// language and time zone.
func (c Config) pageOptions() web.PageOptions {
	return web.PageOptions{TileURL: c.Console.TileURL, TileAttribution: c.Console.TileAttribution,
		DefaultLang: c.UI.DefaultLang, TimeZone: c.UI.TimeZone}
}

// consoleLimits bound the console sockets' subscriptions.
func (c Config) consoleLimits() web.ConsoleLimits {
	return web.ConsoleLimits{MaxBoxKm2: c.Console.MaxBoxKm2, SubscribesPerMinute: c.Console.SubscribesPerMinute}
}

// pushSettings are the Web Push sender's and routes' (push.go).
func (c Config) pushSettings() pushSettings {
	p := c.Push
	return pushSettings{Enabled: p.Enabled,
		Sender: push.Options{Subject: p.Subject, Keys: push.VAPIDKeys{Public: p.VAPIDPublicKey, Private: p.VAPIDPrivateKey},
			AllowPrivateNetworks: p.InsecureEndpoints},
		Rules: push.Rules{InsecureEndpoints: p.InsecureEndpoints}}
}

// reachParts are the delivery ladder's settings: the SMS provider and the
// ladder's rungs. Run adds the stores, the logger and the metrics.
type reachParts struct {
	Provider, WebhookURL string
	WebhookSecret        []byte
	Ladder               reach.Options
}

func (c Config) reachParts() reachParts {
	return reachParts{Provider: c.SMS.Provider, WebhookURL: c.SMS.WebhookURL, WebhookSecret: []byte(c.SMS.WebhookSecret),
		Ladder: reach.Options{PushAlways: c.Reach.PushAlways, FallbackAfter: c.SMS.FallbackAfter, MaxSMSPerHour: c.SMS.MaxPerHour,
			Lang: web.ReachLang(c.UI.DefaultLang), Speeds: c.Travel, Mode: c.matchConfig().Mode}}
}

// serviceTuning is the service's on-scene and message rules; Run adds its
// store, sink and escalator.
func (c Config) serviceTuning() mobilize.ServiceDeps {
	return mobilize.ServiceDeps{
		Field:      mobilize.FieldConfig{ArrivalRadiusMeters: c.Field.ArrivalRadiusM},
		Messages:   mobilize.MessageConfig{PerMinute: c.Field.MessagesPerMinute},
		Broadcasts: mobilize.BroadcastConfig{MaxRecipients: c.Field.BroadcastMaxRecipients, PerMinute: c.Field.BroadcastsPerMinute},
	}
}
