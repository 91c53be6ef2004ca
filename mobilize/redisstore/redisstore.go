// Package redisstore keeps Liandong's live state in Redis: the H3 cell
// index of responders (who is available where) and, beside it, their
// status, so that moving a person between cells is atomic with it.
//
// # Key schema
//
// Every key starts with the configured prefix (default "ld:") and carries
// the region as a hash tag, so that each Lua script touches one Redis
// Cluster slot. A region is one city (or one shard of one); a deployment
// that grows past one Redis node runs one region per node.
//
//	{P}{R}:ix:pos            HASH  responder id -> "role|status|lat|lng|ts|cell|p7|p5|in|skills"
//	                               the last known position and status of every registered
//	                               responder: the source of truth for the index
//	{P}{R}:ix:c:<cell>:<role> HASH responder id -> "id|lat|lng|ts|skills"
//	                               the available responders of one role in one H3 cell at
//	                               the index resolution (default 9, ~174 m edge), with their
//	                               positions, so that a query reads ids and positions in one go
//	                               (the id is repeated in the value so that HVALS is enough)
//	{P}{R}:ix:supply:7       HASH  res-7 cell -> number of indexed available responders
//	{P}{R}:ix:supply:5       HASH  res-5 cell -> the same, coarser (supply heatmap)
//
//	{P}{R}:responders          HASH  responder id -> profile JSON (name, phone, org, skills, max)
//	{P}{R}:load                HASH  responder id -> "pending offer id|accepted|max concurrent|on duty"
//	                               from which the status is derived (only someone on duty with
//	                               no pending offer and room for another assignment is available)
//	{P}{R}:need:<id>           HASH  data (JSON), status, slots, filled, deadline, created,
//	                               staffed_at, lead, and per team entry i: c<i> count, r<i> role,
//	                               f<i> accepted, p<i> pending offers, short<i> shortfall reason
//	{P}{R}:need:<id>:asg       HASH  offer id -> "responder|team index|role|state|offered ms|
//	                               expires ms|answered ms|distance m|reason"
//	{P}{R}:need:<id>:asked     SET   everyone ever offered this need (never asked twice)
//	{P}{R}:needs:open          ZSET  active needs, scored by urgency then age
//	{P}{R}:offers              HASH  pending offer id -> need id
//	{P}{R}:offers:exp          ZSET  pending offer id -> expiry ms
//	{P}{R}:fatigue             HASH  responder id -> "recent declines|last decline ms|day|seconds that day"
//	{P}{R}:fairload            HASH  responder id -> "sent|served": offer times (ms) of the last hour
//	                               (alert budget) and "completed ms:seconds" of the last 24 h
//	                               (fatigue), comma-separated, at most 64 of each
//
//	{P}{R}:depots              SET   depot ids
//	{P}{R}:depot:<id>          HASH  name, org (owning organisation id), lat, lng, created, updated
//	{P}{R}:depot:<id>:stock    HASH  item -> count on the shelf, free to reserve (never below 0)
//	{P}{R}:depot:<id>:held     HASH  item -> count reserved for needs not yet completed
//	{P}{R}:supplies:short      SET   needs (open or staffed) whose items no depot had yet: tried again each tick
//
// A need that asks for items (data.items) holds its reservation in its own
// hash: sup_state (reserved, short, released, consumed), sup_depot,
// sup_lat, sup_lng, sup_items ("item:count,..."), sup_short (the reason).
// Reserving moves counts from a depot's stock to its held hash in one
// script; cancelling or going unstaffed moves them back; completing drops
// them from held (consumed).
//
//	{P}{R}:areas               HASH  area id -> GeoJSON Feature (properties id, name, tier, parent):
//	                               the city / district / street / community tree
//	{P}{R}:areas:cover         HASH  res-7 cell -> comma-separated ids of the communities whose
//	                               polygons may hold a point in that cell (checked exactly after)
//	{P}{R}:orgs                HASH  organisation id -> JSON (name, kind, home area, partners)
//	{P}{R}:linkage:rev         STRING a random revision, new with every change of areas or
//	                               organisations, so that each process reloads its cached snapshot
//	{P}{R}:org:<org>:members   SET   responders whose profile names that org_id (kept by enroll)
//
// A need's hash also carries esc = "step|since ms" once it has escalated
// (mobilize/escalation.go lists the steps), and its data JSON the
// community it was routed to.
//
//	{P}{R}:reliability         HASH  r:<responder> or o:<org> -> "completed|lapsed|rating sum|ratings"
//	{P}{R}:ledger:<responder>  STREAM hours ledger: kind credit (need, offer, role, category, org,
//	                               accepted ms, completed ms) or kind edit (ref, hours, reason, by, at)
//	{P}{R}:feedback:<need>     HASH  rating, comment, at: the need's one rating (its existence
//	                               is what makes a feedback link used)
//	{P}{R}:escalations         HASH  need id -> number of need.escalated events seen
//
// The HTTP API's users, token revocations, idempotency records, audit log
// and signing seed live beside these keys too; access.go lists them.
//
// In the pos record, ts is the last-seen time in Unix milliseconds, cell
// the index cell and p7/p5 its parents (hex), in is "1" while the responder
// sits in its cell hash (and is counted in supply), and skills is a
// comma-separated list of name or name@expiry-ms. Lua scripts read the cell
// keys of the pos record without declaring them; they share the region's
// hash tag, so they are in the declared keys' slot.
package redisstore

import (
	_ "embed"
	"strings"

	"github.com/redis/go-redis/v9"
)

// keys builds the key names of one region.
type keys struct {
	base string // "ld:{city}:"
}

func newKeys(prefix, region string) keys {
	return keys{base: prefix + "{" + region + "}:"}
}

func (k keys) responders() string            { return k.base + "responders" }
func (k keys) load() string                  { return k.base + "load" }
func (k keys) offers() string                { return k.base + "offers" }
func (k keys) offersExp() string             { return k.base + "offers:exp" }
func (k keys) openNeeds() string             { return k.base + "needs:open" }
func (k keys) need(id string) string         { return k.base + "need:" + id }
func (k keys) needAsg(id string) string      { return k.base + "need:" + id + ":asg" }
func (k keys) needAsked(id string) string    { return k.base + "need:" + id + ":asked" }
func (k keys) pos() string                   { return k.base + "ix:pos" }
func (k keys) cellPrefix() string            { return k.base + "ix:c:" }
func (k keys) cell(cell, role string) string { return k.base + "ix:c:" + cell + ":" + role }
func (k keys) supply(res int) string {
	if res == 7 {
		return k.base + "ix:supply:7"
	}
	return k.base + "ix:supply:5"
}

// The Lua libraries: top-level locals that the scripts joined after them
// call. Redis runs one chunk per script, so a script carries the source of
// every library it needs, and only those (lua_test.go checks each list).

//go:embed lua/index_lib.lua
var indexLibSrc string

//go:embed lua/recognition_lib.lua
var recognitionLibSrc string

//go:embed lua/supplies_lib.lua
var suppliesLibSrc string

//go:embed lua/fairload_lib.lua
var fairloadLibSrc string

//go:embed lua/mobilize_lib.lua
var mobilizeLibSrc string

// luaLib is one library and the libraries it calls itself, which must
// come before it in every script that includes it.
type luaLib struct {
	name  string
	src   string
	needs []*luaLib
}

var (
	indexLib       = &luaLib{name: "index_lib", src: indexLibSrc}
	recognitionLib = &luaLib{name: "recognition_lib", src: recognitionLibSrc, needs: []*luaLib{indexLib}}
	suppliesLib    = &luaLib{name: "supplies_lib", src: suppliesLibSrc}
	fairloadLib    = &luaLib{name: "fairload_lib", src: fairloadLibSrc}
	mobilizeLib    = &luaLib{name: "mobilize_lib", src: mobilizeLibSrc,
		needs: []*luaLib{indexLib, recognitionLib, suppliesLib, fairloadLib}}
)

// luaScript is a script as built: its file, body and libraries.
type luaScript struct {
	file string
	body string
	libs []*luaLib
}

// luaScripts lists every script built by newScript, for the test of the
// library lists.
var luaScripts []luaScript

// joinLua is the source Redis runs: the libraries in the order given,
// then the body.
func joinLua(body string, libs ...*luaLib) string {
	parts := make([]string, 0, len(libs)+1)
	for _, l := range libs {
		parts = append(parts, l.src)
	}
	return strings.Join(append(parts, body), "\n")
}

// newScript builds the script of lua/<file> from its body and exactly the
// libraries it includes, in dependency order.
func newScript(file, body string, libs ...*luaLib) *redis.Script {
	luaScripts = append(luaScripts, luaScript{file: file, body: body, libs: libs})
	return redis.NewScript(joinLua(body, libs...))
}

//go:embed lua/locate.lua
var locateBody string

//go:embed lua/set_status.lua
var setStatusBody string

//go:embed lua/register.lua
var registerBody string

//go:embed lua/sweep.lua
var sweepBody string

//go:embed lua/remove.lua
var removeBody string

//go:embed lua/feedback.lua
var feedbackBody string

//go:embed lua/enroll.lua
var enrollBody string

//go:embed lua/duty.lua
var dutyBody string

//go:embed lua/need_create.lua
var needCreateBody string

//go:embed lua/offer.lua
var offerBody string

//go:embed lua/answer.lua
var answerBody string

//go:embed lua/close.lua
var closeBody string

//go:embed lua/complete.lua
var completeBody string

var (
	enrollScript     = newScript("enroll.lua", enrollBody, indexLib, recognitionLib, suppliesLib, fairloadLib, mobilizeLib)
	dutyScript       = newScript("duty.lua", dutyBody, indexLib, recognitionLib, suppliesLib, fairloadLib, mobilizeLib)
	needCreateScript = newScript("need_create.lua", needCreateBody, indexLib, recognitionLib, suppliesLib, fairloadLib, mobilizeLib)
	offerScript      = newScript("offer.lua", offerBody, indexLib, recognitionLib, suppliesLib, fairloadLib, mobilizeLib)
	answerScript     = newScript("answer.lua", answerBody, indexLib, recognitionLib, suppliesLib, fairloadLib, mobilizeLib)
	closeScript      = newScript("close.lua", closeBody, indexLib, recognitionLib, suppliesLib, fairloadLib, mobilizeLib)
	completeScript   = newScript("complete.lua", completeBody, indexLib, recognitionLib, suppliesLib, fairloadLib, mobilizeLib)
	feedbackScript   = newScript("feedback.lua", feedbackBody, indexLib, recognitionLib, suppliesLib, fairloadLib, mobilizeLib)
)

var (
	locateScript    = newScript("locate.lua", locateBody, indexLib)
	setStatusScript = newScript("set_status.lua", setStatusBody, indexLib)
	registerScript  = newScript("register.lua", registerBody, indexLib)
	sweepScript     = newScript("sweep.lua", sweepBody, indexLib)
	removeScript    = newScript("remove.lua", removeBody, indexLib)
)
