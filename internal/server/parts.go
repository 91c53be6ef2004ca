package server

import (
	"github.com/liandong/liandong/mobilize"
	"github.com/liandong/liandong/mobilize/redisstore"
	"github.com/liandong/liandong/web"
)

// What each part of the program is built from, read off the one Config.
// Run calls these and nothing else reads the configuration's sections, so
// that TestEveryKeyReachesAConstructor can prove no key is parsed and then
// forgotten.

// indexOptions configure the live index (and the store around it).
func (c Config) indexOptions() redisstore.IndexOptions {
	return redisstore.IndexOptions{Prefix: c.Redis.Prefix, Region: c.Index.Region, Resolution: c.Index.Resolution, StaleAfter: c.Index.StaleAfter}
}

// matchConfig is the matcher's: its defaults, overlaid with the file's.
func (c Config) matchConfig() mobilize.MatchConfig {
	m := mobilize.DefaultMatchConfig()
	m.Tick, m.OfferTTL, m.Speeds = c.Matching.Tick, c.Offers.TTL, c.Travel
	m.StartRadiusMeters, m.MaxRadiusMeters = c.Matching.StartRadiusMeters, c.Matching.MaxRadiusMeters
	m.PenaltyUnreliable, m.AlertBudgetPerHour = c.Matching.PenaltyUnreliable, c.Matching.AlertBudgetPerHour
	return m
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
	o.Login = web.LoginLimits{FreeFailures: c.Auth.LoginFreeFailures, UserFreeFailures: c.Auth.LoginUserFreeFailures,
		BackoffBase: c.Auth.LoginBackoffBase, BackoffMax: c.Auth.LoginBackoffMax, ForgetAfter: c.Auth.LoginForgetAfter}
	o.EvaluationMinGroupSize = c.Evaluation.MinGroupSize
	return o
}

// pageOptions choose the console's basemap.
func (c Config) pageOptions() web.PageOptions {
	return web.PageOptions{TileURL: c.Console.TileURL, TileAttribution: c.Console.TileAttribution}
}
