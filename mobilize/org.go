package mobilize

import (
	"fmt"
	"slices"
	"strings"
)

// OrgKind is what sort of body an organisation is in the five-society
// linkage.
type OrgKind string

// Organisation kinds.
const (
	KindSocialOrganisation OrgKind = "social_organisation" // 社会组织: the carrier
	KindSocialWorkStation  OrgKind = "social_work_station" // 社工站, at the street tier
	KindCommunityCommittee OrgKind = "community_committee" // 社区居委会: the platform
	KindVolunteerTeam      OrgKind = "volunteer_team"
)

// OrgKinds lists every kind.
var OrgKinds = []OrgKind{KindSocialOrganisation, KindSocialWorkStation, KindCommunityCommittee, KindVolunteerTeam}

// Organisation is a body whose members are responders (by their org_id).
// Its home area decides which needs it serves first; its partners are
// asked when its own people cannot fill a need. Partnership works both
// ways: if A names B, B's needs may also reach A's people.
type Organisation struct {
	ID       string   `json:"id"`
	Name     string   `json:"name"`
	Kind     OrgKind  `json:"kind"`
	HomeArea AreaID   `json:"home_area"`
	Partners []string `json:"partners"`
}

// MaxPartners bounds one organisation's partner list.
const MaxPartners = 50

// CheckOrganisation validates an organisation against the area tree and
// the organisations that exist (by id).
func CheckOrganisation(o Organisation, areas *AreaTree, exists func(id string) bool) error {
	var problems []string
	if !ValidID(o.ID) {
		problems = append(problems, "id must be 1..64 of A-Z a-z 0-9 _ . -")
	}
	if strings.TrimSpace(o.Name) == "" || len(o.Name) > MaxAreaNameLen {
		problems = append(problems, fmt.Sprintf("name must be 1..%d bytes", MaxAreaNameLen))
	}
	if !slices.Contains(OrgKinds, o.Kind) {
		problems = append(problems, fmt.Sprintf("kind %q is not one of social_organisation, social_work_station, community_committee, volunteer_team", o.Kind))
	}
	if _, ok := areas.Area(o.HomeArea); !ok {
		problems = append(problems, fmt.Sprintf("home_area %q is not a known area", o.HomeArea))
	}
	if len(o.Partners) > MaxPartners {
		problems = append(problems, fmt.Sprintf("more than %d partners", MaxPartners))
	}
	seen := map[string]bool{}
	for _, p := range o.Partners {
		switch {
		case p == o.ID:
			problems = append(problems, "an organisation is not its own partner")
		case seen[p]:
			problems = append(problems, fmt.Sprintf("partner %q appears twice", p))
		case !exists(p):
			problems = append(problems, fmt.Sprintf("partner %q is not a known organisation", p))
		}
		seen[p] = true
	}
	if len(problems) > 0 {
		return fmt.Errorf("organisation: %s: %w", strings.Join(problems, "; "), ErrInvalid)
	}
	return nil
}
