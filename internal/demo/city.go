package demo

import (
	"context"
	"fmt"
	"math/rand/v2"

	"github.com/paulmach/orb"
	"go.uber.org/zap"

	"github.com/liandong/liandong/mobilize"
)

// city is what the demo built: where things happen and who acts.
type city struct {
	communities []place
	orgs        []mobilize.Organisation
	committee   map[mobilize.AreaID]string // community -> its demo committee
	depots      int
	people      []person
}

// place is a community (or, without areas, a part of the city) where
// needs arise and people live.
type place struct {
	id   mobilize.AreaID // empty without areas
	area mobilize.Area
	box  orb.Bound
}

func (p place) randomPoint(rng *rand.Rand) orb.Point {
	for range 20 {
		pt := orb.Point{p.box.Min[0] + rng.Float64()*(p.box.Max[0]-p.box.Min[0]), p.box.Min[1] + rng.Float64()*(p.box.Max[1]-p.box.Min[1])}
		if p.id == "" || p.area.Contains(pt) {
			return pt
		}
	}
	return p.box.Center()
}

type person struct {
	id    mobilize.ResponderID
	home  place
	point orb.Point
}

// fallbackCity is central Yantai, used when the area file cannot be read
// (the binary run outside the repository): no areas, no organisations.
var fallbackCity = orb.Bound{Min: orb.Point{121.36, 37.50}, Max: orb.Point{121.46, 37.55}}

// Names of the simulated people, each shown as 演示·<name> / Demo · <pinyin>.
var surnames = []struct{ zh, en string }{
	{"王", "Wang"}, {"李", "Li"}, {"张", "Zhang"}, {"刘", "Liu"}, {"陈", "Chen"}, {"杨", "Yang"},
	{"赵", "Zhao"}, {"黄", "Huang"}, {"周", "Zhou"}, {"吴", "Wu"}, {"孙", "Sun"}, {"于", "Yu"},
}

var givenNames = []struct{ zh, en string }{
	{"芳", "Fang"}, {"伟", "Wei"}, {"娜", "Na"}, {"敏", "Min"}, {"静", "Jing"}, {"强", "Qiang"},
	{"磊", "Lei"}, {"洋", "Yang"}, {"艳", "Yan"}, {"勇", "Yong"}, {"军", "Jun"}, {"杰", "Jie"},
	{"秀英", "Xiuying"}, {"建华", "Jianhua"}, {"海燕", "Haiyan"}, {"志强", "Zhiqiang"},
}

// roleShares: most responders are volunteers, as in the field.
var roleShares = []struct {
	role  mobilize.Role
	share float64
}{
	{mobilize.RoleVolunteer, 0.55}, {mobilize.RoleSocialWorker, 0.2}, {mobilize.RoleCommunityWorker, 0.15}, {mobilize.RoleMedic, 0.1},
}

func pickRole(rng *rand.Rand) mobilize.Role {
	x := rng.Float64()
	for _, r := range roleShares {
		if x < r.share {
			return r.role
		}
		x -= r.share
	}
	return mobilize.RoleVolunteer
}

// build loads the areas, the organisations, the depots and the people, and
// puts the people on the map. Ids are tracked before each record exists.
func (d *Demo) build(ctx context.Context, rng *rand.Rand) (*city, error) {
	c := &city{committee: map[mobilize.AreaID]string{}}
	areas, err := readAreas(d.opts.AreasFile)
	if err == nil {
		// Areas can be added at run time (POST /api/v1/areas does the
		// same); a tree the store refuses (an operator's own areas that
		// clash) leaves the demo on the city's box instead.
		err = d.svc.PutAreas(ctx, areas)
	}
	if err != nil {
		d.log.Warn("demo without areas: the illustrative areas could not be loaded", zap.Error(err))
		areas = nil
		c.communities = []place{{box: fallbackCity}}
	}
	byID := map[mobilize.AreaID]mobilize.Area{}
	for _, a := range areas {
		byID[a.ID] = a
		if a.Tier == mobilize.TierCommunity {
			c.communities = append(c.communities, place{id: a.ID, area: a, box: a.Geometry.Bound()})
		}
	}
	if len(c.communities) == 0 {
		c.communities = []place{{box: fallbackCity}}
	}
	if err := d.buildOrgs(ctx, c, byID); err != nil {
		return nil, err
	}
	if err := d.buildDepots(ctx, c, rng); err != nil {
		return nil, err
	}
	if err := d.buildPeople(ctx, c, rng); err != nil {
		return nil, err
	}
	return c, nil
}

// buildOrgs creates one organisation of each kind of the five-society
// linkage: a committee for each of the first communities, the social work
// station of its street, a social organisation of its district and a
// city-wide volunteer team.
func (d *Demo) buildOrgs(ctx context.Context, c *city, byID map[mobilize.AreaID]mobilize.Area) error {
	if c.communities[0].id == "" {
		return nil
	}
	first := c.communities[0].area
	street := byID[first.Parent]
	district := byID[street.Parent]
	cityArea := byID[district.Parent]
	add := func(o mobilize.Organisation) {
		if o.HomeArea != "" {
			c.orgs = append(c.orgs, o)
		}
	}
	for i, p := range c.communities[:min(4, len(c.communities))] {
		id := fmt.Sprintf("%sorg-committee-%d", Prefix, i+1)
		add(mobilize.Organisation{ID: id, Name: "演示·" + p.area.Name + "居委会 (Demo)", Kind: mobilize.KindCommunityCommittee, HomeArea: p.id})
		c.committee[p.id] = id
	}
	add(mobilize.Organisation{ID: Prefix + "org-station", Name: "演示·" + street.Name + " (Demo)", Kind: mobilize.KindSocialWorkStation, HomeArea: street.ID})
	add(mobilize.Organisation{ID: Prefix + "org-social", Name: "演示·邻里互助社 (Demo · Neighbours' Aid)", Kind: mobilize.KindSocialOrganisation, HomeArea: district.ID})
	add(mobilize.Organisation{ID: Prefix + "org-volunteers", Name: "演示·社区志愿服务队 (Demo · Volunteer Team)", Kind: mobilize.KindVolunteerTeam, HomeArea: cityArea.ID})
	ids := make([]string, len(c.orgs))
	for i, o := range c.orgs {
		ids[i] = o.ID
	}
	if err := d.records.Track(ctx, KindOrg, ids...); err != nil {
		return err
	}
	for _, o := range c.orgs {
		if _, err := d.svc.PutOrganisation(ctx, o); err != nil {
			return fmt.Errorf("demo organisation %s: %w", o.ID, err)
		}
	}
	return nil
}

func (d *Demo) buildDepots(ctx context.Context, c *city, rng *rand.Rand) error {
	owner := Prefix + "org-social"
	if len(c.orgs) == 0 {
		return nil // a depot needs an owning organisation
	}
	names := []string{"演示·东区物资站 (Demo depot East)", "演示·西区物资站 (Demo depot West)", "演示·中心物资站 (Demo depot Centre)"}
	ids := make([]string, len(names))
	for i := range names {
		ids[i] = fmt.Sprintf("%sdepot-%d", Prefix, i+1)
	}
	if err := d.records.Track(ctx, KindDepot, ids...); err != nil {
		return err
	}
	stock := map[mobilize.Item]int{mobilize.ItemFoodParcel: 200, mobilize.ItemMedicineKit: 60, mobilize.ItemWheelchair: 10, mobilize.ItemOxygenConcentrator: 5, mobilize.ItemVehicle: 3}
	for i, name := range names {
		p := c.communities[rng.IntN(len(c.communities))]
		dep := mobilize.Depot{ID: ids[i], Name: name, OrgID: owner, Point: p.randomPoint(rng)}
		if _, err := d.svc.PutDepot(ctx, dep, stock); err != nil {
			return fmt.Errorf("demo depot %s: %w", dep.ID, err)
		}
	}
	c.depots = len(names)
	return nil
}

// buildPeople registers the responders, members of their community's
// committee or of the volunteer team, and reports where each is.
func (d *Demo) buildPeople(ctx context.Context, c *city, rng *rand.Rand) error {
	rs := make([]mobilize.Responder, d.opts.Responders)
	ids := make([]string, len(rs))
	c.people = make([]person, len(rs))
	for i := range rs {
		home := c.communities[rng.IntN(len(c.communities))]
		s, g := surnames[rng.IntN(len(surnames))], givenNames[rng.IntN(len(givenNames))]
		org := c.committee[home.id]
		if org == "" && len(c.orgs) > 0 {
			org = Prefix + "org-volunteers"
		}
		id := mobilize.ResponderID(fmt.Sprintf("%sr%03d", Prefix, i+1))
		rs[i] = mobilize.Responder{ID: id, Name: fmt.Sprintf("演示·%s%s / Demo · %s %s", s.zh, g.zh, s.en, g.en), Role: pickRole(rng), OrgID: org, MaxConcurrent: 1}
		ids[i] = string(id)
		c.people[i] = person{id: id, home: home, point: home.randomPoint(rng)}
	}
	if err := d.records.Track(ctx, KindResponder, ids...); err != nil {
		return err
	}
	if err := d.svc.RegisterMany(ctx, rs); err != nil {
		if !ignorable(err) {
			return fmt.Errorf("demo responders: %w", err)
		}
		// Registered by an earlier run that was not removed: they are
		// the same ids, so they simply take part again.
	}
	for _, p := range c.people {
		if _, err := d.svc.SetDuty(ctx, p.id, true); err != nil {
			return fmt.Errorf("demo responder %s on duty: %w", p.id, err)
		}
		if err := d.svc.Locate(ctx, p.id, p.point); err != nil {
			return fmt.Errorf("demo responder %s: %w", p.id, err)
		}
	}
	return nil
}
