package mobilize

import (
	"fmt"
	"time"
)

// ResponderID names one responder; it never contains '|' or spaces.
type ResponderID string

// Role is what a responder is on a team.
type Role string

// The roles of API.md.
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
	Name      string
	ExpiresAt time.Time // zero: does not expire
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
