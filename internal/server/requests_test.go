package server

import (
	"strings"
	"testing"
)

// TestRequestsSettingsValidated: limits below one and a region that is no
// box are refused, each naming its key.
func TestRequestsSettingsValidated(t *testing.T) {
	if err := Default().Validate(); err != nil {
		t.Fatalf("defaults: %v", err)
	}
	for name, change := range map[string]func(*RequestsConfig){
		"per_phone_per_hour":         func(r *RequestsConfig) { r.PerPhonePerHour = 0 },
		"per_place_per_hour":         func(r *RequestsConfig) { r.PerPlacePerHour = -1 },
		"codes_per_address_per_hour": func(r *RequestsConfig) { r.CodesPerAddressPerHour = 0 },
		"requests.region":            func(r *RequestsConfig) { r.Region.MinLat, r.Region.MaxLat = 40, 30 },
	} {
		c := Default()
		change(&c.Requests)
		if err := c.Validate(); err == nil || !strings.Contains(err.Error(), name) {
			t.Errorf("%s: err = %v", name, err)
		}
	}
	c := Default()
	c.Requests.Region.MaxLng = 190
	if err := c.Validate(); err == nil || !strings.Contains(err.Error(), "requests.region") {
		t.Errorf("longitude 190: err = %v", err)
	}
}
