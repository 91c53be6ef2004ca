package loadtest

import (
	"fmt"
	"math"
	"math/rand/v2"
	"time"

	"github.com/paulmach/orb"
	"github.com/paulmach/orb/planar"
)

// Person is one simulated responder: who the server is told they are
// (registration) and how their phone will behave. ID and Token are filled
// in by registration.
type Person struct {
	Index         int       `json:"i"`
	Name          string    `json:"-"`
	Role          string    `json:"role"`
	Skills        []string  `json:"-"`
	Certified     []string  `json:"-"`
	OrgID         string    `json:"-"`
	MaxConcurrent int       `json:"max"`
	Home          orb.Point `json:"home"`
	Mode          ModeMix   `json:"mode"`
	Channel       string    `json:"ch,omitempty"` // chSocket (empty), chPush or chSMS
	ID            string    `json:"id"`
	Token         string    `json:"token"`
}

// Population draws the scenario's responders. It is deterministic for a
// seed, so a failing drill can be replayed with the same people in the
// same places.
func (sc *Scenario) Population(seed uint64) []Person {
	r := rand.New(rand.NewPCG(seed, 0x9e3779b97f4a7c15))
	region := sc.RegionPolygon()
	inRegion := func(p orb.Point) bool { return planar.PolygonContains(region, p) }
	people := make([]Person, sc.Responders.Count)
	roleShares := make([]float64, len(sc.Responders.Roles))
	for i, rm := range sc.Responders.Roles {
		roleShares[i] = rm.Share
	}
	modeShares := make([]float64, len(sc.Movement.Modes))
	for i, m := range sc.Movement.Modes {
		modeShares[i] = m.Share
	}
	orgs := sc.orgAssigner()
	for i := range people {
		rm := sc.Responders.Roles[pickShare(r, roleShares)]
		p := Person{
			Index:         i,
			Name:          fmt.Sprintf("drill %s %05d", sc.Name, i),
			Role:          rm.Role,
			MaxConcurrent: max(rm.MaxConcurrent, 1),
			Mode:          sc.Movement.Modes[pickShare(r, modeShares)],
		}
		for _, s := range rm.Skills {
			if r.Float64() < s.Share {
				if s.Certified {
					p.Certified = append(p.Certified, s.Skill)
				} else {
					p.Skills = append(p.Skills, s.Skill)
				}
			}
		}
		home, ok := nearCentre(r, sc.Centres, inRegion, 100)
		if !ok {
			home, _ = uniformIn(r, region.Bound(), inRegion, 1000)
		}
		p.Home = home
		p.OrgID = orgs.org(i, home)
		people[i] = p
	}
	sc.assignChannels(seed, people)
	return people
}

// assignChannels picks who has no live page: exactly the scenario's
// shares (rounded), drawn from a stream of their own so that a scenario
// without them keeps the very same people as before.
func (sc *Scenario) assignChannels(seed uint64, people []Person) {
	nSMS := int(math.Round(sc.Responders.SMSOnlyShare * float64(len(people))))
	nPush := int(math.Round(sc.Responders.PushOnlyShare * float64(len(people))))
	if nSMS+nPush == 0 {
		return
	}
	r := rand.New(rand.NewPCG(seed, 0xc4a77e1500d5))
	for k, i := range r.Perm(len(people)) {
		switch {
		case k < nSMS:
			people[i].Channel = chSMS
		case k < nSMS+nPush:
			people[i].Channel = chPush
		}
	}
}

// pickShare picks an index with probability proportional to its share.
func pickShare(r *rand.Rand, shares []float64) int {
	total := 0.0
	for _, s := range shares {
		total += s
	}
	x := r.Float64() * total
	for i, s := range shares {
		if x < s {
			return i
		}
		x -= s
	}
	return len(shares) - 1
}

// registration is one entry of POST /api/v1/responders/batch.
type registration struct {
	Name           string          `json:"name"`
	Role           string          `json:"role"`
	Skills         []string        `json:"skills,omitempty"`
	Certifications []certification `json:"certifications,omitempty"`
	OrgID          string          `json:"org_id,omitempty"`
	Phone          string          `json:"phone,omitempty"`
	Channel        string          `json:"channel,omitempty"` // sms: no smartphone; empty: the server's default, app
	MaxConcurrent  int             `json:"max_concurrent"`
}

type certification struct {
	Skill     string `json:"skill"`
	ExpiresAt string `json:"expires_at"`
}

// SMSNumber is an SMS-only person's number in E.164, from a range the
// drill owns: its gateway answers for every number in it.
func (p Person) SMSNumber() string { return fmt.Sprintf("+86139%08d", p.Index) }

// registration is how the person is introduced to the server. Phone
// numbers come from a reserved-looking range so that a drill's people are
// never mistaken for real ones.
func (p Person) registration(now time.Time) registration {
	reg := registration{
		Name: p.Name, Role: p.Role, Skills: p.Skills, OrgID: p.OrgID,
		Phone: fmt.Sprintf("+86 100 %08d", p.Index), MaxConcurrent: p.MaxConcurrent,
	}
	if p.Channel == chSMS {
		reg.Channel, reg.Phone = "sms", p.SMSNumber()
	}
	for _, s := range p.Certified {
		reg.Certifications = append(reg.Certifications, certification{Skill: s, ExpiresAt: now.AddDate(1, 0, 0).UTC().Format(time.RFC3339)})
	}
	return reg
}
