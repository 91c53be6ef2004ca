package notify

import (
	"context"

	"github.com/paulmach/orb"
	"go.uber.org/zap"

	"github.com/liandong/liandong/mobilize"
)

// Scopes is what the notifier reads to tell which coordinators may see a
// console event: the organisation of a responder, a need an event names
// only by its id, and the tree of areas (read when published, so a change
// of areas counts from the next event). redisstore.Store is one.
type Scopes interface {
	ResponderOrgs(ctx context.Context, ids []mobilize.ResponderID) (map[mobilize.ResponderID]string, error)
	Need(ctx context.Context, id mobilize.NeedID) (mobilize.NeedState, error)
	Linkage(ctx context.Context) (*mobilize.Linkage, error)
}

// audience finds where a console event happened and who besides operators
// may see it, by the rules of the coordinators' HTTP reads: a need is seen
// by its organisation's coordinator and by those of organisations homed
// at its community or an area above it; a person by their organisation's
// coordinator; an offer (a person and a need) only by a coordinator that
// sees both, so that no coordinator learns where another organisation's
// people are. When what it must read cannot be read, the event goes to
// operators and admins only: a coordinator misses a map update rather
// than seeing what is not its own.
func (n *Notifier) audience(ctx context.Context, d delivery) (orb.Point, Audience) {
	a, p, sc := d.about, d.point, n.opts.Scopes
	if sc == nil || a.operatorsOnly {
		return p, Audience{}
	}
	if a.coordinatorsOnly {
		p, aud := n.audience(ctx, delivery{msg: d.msg, point: d.point, about: about{need: a.need, needOrg: a.needOrg, community: a.community}})
		aud.ScopedOnly = true
		return p, aud
	}
	fail := func(what string, err error) (orb.Point, Audience) {
		n.log.Warn("console event's audience not read; published to operators only",
			zap.String("type", d.msg.Type()), zap.String("reading", what), zap.Error(err))
		return p, Audience{}
	}
	if a.needID != "" {
		ns, err := sc.Need(ctx, a.needID)
		if err != nil {
			p = orb.Point{} // nowhere to publish it
			return fail("need", err)
		}
		p, a.needOrg, a.community = ns.Point, ns.OrgID, ns.Community
	}
	var personOrg string
	if a.person != "" {
		orgs, err := sc.ResponderOrgs(ctx, []mobilize.ResponderID{a.person})
		if err != nil {
			return fail("responder organisation", err)
		}
		if personOrg = orgs[a.person]; personOrg == "" {
			// A person of no organisation belongs to no coordinator.
			return p, Audience{}
		}
		if !a.need {
			return p, Audience{Orgs: []string{personOrg}}
		}
	}
	var areas []mobilize.AreaID
	if a.community != "" {
		link, err := sc.Linkage(ctx)
		if err != nil {
			return fail("areas", err)
		}
		areas = areaPath(link.Areas, a.community)
	}
	if a.person == "" {
		return p, Audience{Orgs: []string{a.needOrg}, Areas: areas}
	}
	var aud Audience
	if personOrg == a.needOrg {
		aud.Orgs = []string{personOrg}
	}
	for _, ar := range areas {
		aud.OrgAreas = append(aud.OrgAreas, OrgArea{Org: personOrg, Area: ar})
	}
	return p, aud
}
