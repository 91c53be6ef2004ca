package mobilize

import (
	"fmt"
	"regexp"
	"strings"
	"time"

	"github.com/paulmach/orb"
)

// ResponderID names one responder; it never contains '|' or spaces.
type ResponderID string

// Role is what a responder is on a team.
type Role string

// The roles (an enum of the OpenAPI document; offers and teams carry them,
// docs/PROTOCOL.md).
const (
	RoleSocialWorker    Role = "social_worker"
	RoleVolunteer       Role = "volunteer"
	RoleMedic           Role = "medic"
	RoleCommunityWorker Role = "community_worker"
)

// Roles lists every role, in a fixed order.
var Roles = []Role{RoleSocialWorker, RoleVolunteer, RoleMedic, RoleCommunityWorker}

// ParseRole refuses anything but the four roles.
func ParseRole(s string) (Role, error) {
	for _, r := range Roles {
		if string(r) == s {
			return r, nil
		}
	}
	return "", fmt.Errorf("role %q is not one of social_worker, volunteer, medic, community_worker: %w", s, ErrInvalid)
}

// Status is a responder's availability. Only StatusAvailable makes a
// candidate for matching.
type Status string

// Responder statuses.
const (
	StatusAvailable Status = "available"
	StatusOffered   Status = "offered"
	StatusBusy      Status = "busy"
	StatusOffDuty   Status = "off_duty"
)

// ParseStatus refuses unknown statuses.
func ParseStatus(s string) (Status, error) {
	switch Status(s) {
	case StatusAvailable, StatusOffered, StatusBusy, StatusOffDuty:
		return Status(s), nil
	}
	return "", fmt.Errorf("status %q is not one of available, offered, busy, off_duty: %w", s, ErrInvalid)
}

// Skill is something a responder can do. A skill backed by a certification
// has an expiry; past it the skill does not count.
type Skill struct {
	Name      string    `json:"name"`
	ExpiresAt time.Time `json:"expires_at,omitzero"` // zero: does not expire
}

// ValidAt reports whether the skill counts at t.
func (s Skill) ValidAt(t time.Time) bool {
	return s.ExpiresAt.IsZero() || t.Before(s.ExpiresAt)
}

// HasSkills reports whether every required skill name is among skills and
// valid at t.
func HasSkills(skills []Skill, required []string, t time.Time) bool {
next:
	for _, name := range required {
		for _, s := range skills {
			if s.Name == name && s.ValidAt(t) {
				continue next
			}
		}
		return false
	}
	return true
}

// NearbyQuery asks the live index for the K nearest available responders
// of one role.
type NearbyQuery struct {
	Point             orb.Point
	Role              Role
	Skills            []string // every one required, with a current certification
	K                 int
	MaxRadiusMeters   float64
	ExcludeResponders map[ResponderID]bool // e.g. those already asked for this need
	OnlyResponders    map[ResponderID]bool // when not nil, nobody else qualifies (an escalation scope)
}

// Candidate is one responder found near a point.
type Candidate struct {
	ID             ResponderID
	Point          orb.Point
	DistanceMeters float64
	LastSeen       time.Time
}

// Responder is a person who can be mobilised.
type Responder struct {
	ID            ResponderID `json:"id"`
	Name          string      `json:"name"`
	Role          Role        `json:"role"`
	Skills        []Skill     `json:"skills"`
	OrgID         string      `json:"org_id,omitempty"`
	Phone         string      `json:"phone,omitempty"`
	MaxConcurrent int         `json:"max_concurrent"`
	CreatedAt     time.Time   `json:"created_at"`
	// Channel is how offers reach them: ChannelApp (the responder page,
	// then Web Push, then SMS for the most urgent) or ChannelSMS (no
	// smartphone: SMS only, to Phone). Empty means ChannelApp.
	Channel Channel `json:"channel,omitempty"`
	// Lang is the language of what is sent to them unprompted (push, SMS):
	// "zh" or "en"; empty: the deployment's default.
	Lang string `json:"lang,omitempty"`
}

// Channel is the way offers reach a responder.
type Channel string

// Channels.
const (
	ChannelApp Channel = "app"
	ChannelSMS Channel = "sms"
)

// e164 is a phone number in E.164: +, then 8..15 digits.
var e164 = regexp.MustCompile(`^\+[0-9]{8,15}$`)

// ValidE164 reports whether phone is in E.164 (+ then 8..15 digits), the
// form an SMS gateway takes.
func ValidE164(phone string) bool { return e164.MatchString(phone) }

// Limits on a responder's fields.
const (
	MaxNameLen         = 200
	MaxPhoneLen        = 40
	MaxSkillsPerPerson = 50
	MaxConcurrentLimit = 10
)

// Validate checks a responder as it arrives; MaxConcurrent 0 means 1.
func (r *Responder) Validate() error {
	var problems []string
	if strings.TrimSpace(r.Name) == "" || len(r.Name) > MaxNameLen {
		problems = append(problems, fmt.Sprintf("name must be 1..%d characters", MaxNameLen))
	}
	if _, err := ParseRole(string(r.Role)); err != nil {
		problems = append(problems, err.Error())
	}
	if len(r.Phone) > MaxPhoneLen || len(r.OrgID) > 64 {
		problems = append(problems, "phone or org_id too long")
	}
	if len(r.Skills) > MaxSkillsPerPerson {
		problems = append(problems, fmt.Sprintf("more than %d skills", MaxSkillsPerPerson))
	}
	for _, s := range r.Skills {
		if s.Name == "" || len(s.Name) > 64 || strings.ContainsAny(s.Name, "|,@") {
			problems = append(problems, fmt.Sprintf("skill %q must be 1..64 characters without | , @", s.Name))
		}
	}
	switch r.Channel {
	case "", ChannelApp:
	case ChannelSMS:
		if !ValidE164(r.Phone) {
			problems = append(problems, "channel sms needs a phone in E.164 (+ then 8..15 digits)")
		}
	default:
		problems = append(problems, fmt.Sprintf("channel %q is not one of app, sms", r.Channel))
	}
	if r.Lang != "" && r.Lang != "zh" && r.Lang != "en" {
		problems = append(problems, fmt.Sprintf("lang %q is not one of zh, en", r.Lang))
	}
	if r.MaxConcurrent == 0 {
		r.MaxConcurrent = 1
	}
	if r.MaxConcurrent < 1 || r.MaxConcurrent > MaxConcurrentLimit {
		problems = append(problems, fmt.Sprintf("max_concurrent must be 1..%d", MaxConcurrentLimit))
	}
	if len(problems) > 0 {
		return fmt.Errorf("responder: %s: %w", strings.Join(problems, "; "), ErrInvalid)
	}
	return nil
}
