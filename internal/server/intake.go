package server

import (
	"errors"
	"fmt"
	"time"

	"github.com/liandong/liandong/mobilize"
	"github.com/liandong/liandong/web/open311"
)

// DuplicatesConfig says when a new need is flagged as a possible
// duplicate of an open one (mobilize/duplicates.go).
type DuplicatesConfig struct {
	RadiusM float64       `yaml:"radius_m"` // same category within this distance
	Window  time.Duration `yaml:"window"`   // and created within this time
}

// Open311Config is the partners' door (web/open311, docs/OPEN311.md).
type Open311Config struct {
	// BaseURL is this server as partners reach it, for discovery.json;
	// empty: the host each request names.
	BaseURL string `yaml:"base_url"`
	// Contact and KeyService are shown in discovery.json: who to ask,
	// and how a partner obtains an API key.
	Contact    string `yaml:"contact"`
	KeyService string `yaml:"key_service"`
	// RequestsPerMinute bounds the calls of one API key.
	RequestsPerMinute int `yaml:"requests_per_minute"`
	// Services maps each service code to the need it files.
	Services []Open311Service `yaml:"services"`
}

// Open311Service is one service code: its category, team and names.
type Open311Service struct {
	Code        string              `yaml:"code"`
	Category    string              `yaml:"category"`
	NameZh      string              `yaml:"name_zh"`
	NameEn      string              `yaml:"name_en"`
	Description string              `yaml:"description"`
	Group       string              `yaml:"group"`
	Urgency     int                 `yaml:"urgency"`
	Team        []mobilize.TeamSlot `yaml:"team"`
}

func defaultDuplicates() DuplicatesConfig {
	d := mobilize.DefaultDuplicateConfig()
	return DuplicatesConfig{RadiusM: d.RadiusMeters, Window: d.Window}
}

func defaultOpen311() Open311Config {
	return Open311Config{RequestsPerMinute: 60, KeyService: "向指挥中心申请 / ask the command centre for a key",
		Services: []Open311Service{
			{Code: "flood-rescue", Category: "flood_rescue", NameZh: "防汛救援", NameEn: "Flood rescue", Group: "typhoon", Urgency: 2,
				Team: []mobilize.TeamSlot{{Role: mobilize.RoleVolunteer, Count: 2, Skills: []string{}}}},
			{Code: "elderly-checkin", Category: "elderly_checkin", NameZh: "探望老人", NameEn: "Check on an elderly person", Group: "care", Urgency: 3,
				Team: []mobilize.TeamSlot{{Role: mobilize.RoleCommunityWorker, Count: 1, Skills: []string{}}}},
		}}
}

func (d DuplicatesConfig) validate() error {
	if d.RadiusM < 0 || d.RadiusM > 5000 || d.Window < 0 || d.Window > 7*24*time.Hour {
		return fmt.Errorf("duplicates: radius_m must be 0..5000 and window 0..168h (0 turns flagging off)")
	}
	return nil
}

// validate builds the door's service list, which checks every service.
func (o Open311Config) validate() error {
	if o.RequestsPerMinute < 1 {
		return errors.New("open311.requests_per_minute: at least 1")
	}
	_, err := open311.New(open311.Options{Services: o.services(), Keys: noKeys{}, App: noApp{}})
	return err
}

// duplicateConfig is the service's duplicate rule.
func (c Config) duplicateConfig() mobilize.DuplicateConfig {
	return mobilize.DuplicateConfig{RadiusMeters: c.Duplicates.RadiusM, Window: c.Duplicates.Window}
}

// open311Options are the door's settings; Run adds its keys, service and
// logger.
func (c Config) open311Options() open311.Options {
	o := c.Open311
	return open311.Options{Services: o.services(), BaseURL: o.BaseURL, Contact: o.Contact, KeyService: o.KeyService,
		RequestsPerMinute: o.RequestsPerMinute}
}

func (o Open311Config) services() []open311.Service {
	out := make([]open311.Service, len(o.Services))
	for i, s := range o.Services {
		team := make([]mobilize.TeamSlot, len(s.Team))
		for j, t := range s.Team {
			if t.Skills == nil {
				t.Skills = []string{}
			}
			team[j] = t
		}
		out[i] = open311.Service{Code: s.Code, Category: s.Category, NameZh: s.NameZh, NameEn: s.NameEn,
			Description: s.Description, Group: s.Group, Urgency: s.Urgency, Team: team}
	}
	return out
}

// noKeys and noApp stand in for the door's dependencies while the
// configuration is checked.
type (
	noKeys struct{ open311.Keys }
	noApp  struct{ open311.App }
)
