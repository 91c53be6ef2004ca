package server

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync/atomic"

	"github.com/liandong/liandong/geo"
	"github.com/liandong/liandong/mobilize"
	"github.com/liandong/liandong/mobilize/reach"
	"github.com/liandong/liandong/mobilize/reach/sms"
)

// RequestsConfig is the residents' own requests (点单, web/requests.go):
// how many a phone and a place may file an hour, how many codes one
// client address may ask for, and the region a request must lie in.
type RequestsConfig struct {
	PerPhonePerHour        int       `yaml:"per_phone_per_hour"`
	PerPlacePerHour        int       `yaml:"per_place_per_hour"`
	CodesPerAddressPerHour int       `yaml:"codes_per_address_per_hour"`
	Region                 RegionBox `yaml:"region"`
}

// RegionBox is a lng/lat rectangle in degrees.
type RegionBox struct {
	MinLng float64 `yaml:"min_lng"`
	MinLat float64 `yaml:"min_lat"`
	MaxLng float64 `yaml:"max_lng"`
	MaxLat float64 `yaml:"max_lat"`
}

// defaultRequests covers mainland China; a deployment narrows the
// region to its city.
func defaultRequests() RequestsConfig {
	return RequestsConfig{PerPhonePerHour: 3, PerPlacePerHour: 5, CodesPerAddressPerHour: 10,
		Region: RegionBox{MinLng: 73.4, MinLat: 18.1, MaxLng: 135.1, MaxLat: 53.6}}
}

func (r RequestsConfig) validate() error {
	var errs []error
	if r.PerPhonePerHour < 1 || r.PerPlacePerHour < 1 || r.CodesPerAddressPerHour < 1 {
		errs = append(errs, errors.New("requests: per_phone_per_hour, per_place_per_hour and codes_per_address_per_hour must be at least 1"))
	}
	if _, err := r.Region.bbox(); err != nil {
		errs = append(errs, errors.New("requests.region: min_lng <= max_lng in -180..180 and min_lat <= max_lat in -90..90"))
	}
	return errors.Join(errs...)
}

func (b RegionBox) bbox() (geo.BBox, error) {
	return geo.NewBBox(b.MinLng, b.MinLat, b.MaxLng, b.MaxLat)
}

// requestParts are what the residents' desk and routes are built from.
type requestParts struct {
	Limits                 mobilize.RequestLimits
	CodesPerAddressPerHour int
	Region                 geo.BBox // as configured; validated before use
}

func (c Config) requestParts() requestParts {
	r := c.Requests
	b := r.Region
	return requestParts{Limits: mobilize.RequestLimits{PerPhonePerHour: r.PerPhonePerHour, PerPlacePerHour: r.PerPlacePerHour},
		CodesPerAddressPerHour: r.CodesPerAddressPerHour,
		Region:                 geo.BBox{MinLng: b.MinLng, MinLat: b.MinLat, MaxLng: b.MaxLng, MaxLat: b.MaxLat}}
}

// requestSteps hands the service's events to the residents' desk, which
// exists only after the service (it files through it).
type requestSteps struct {
	desk atomic.Pointer[mobilize.Requests]
}

func (s *requestSteps) Emit(ctx context.Context, e mobilize.Event) {
	if d := s.desk.Load(); d != nil {
		d.Emit(ctx, e)
	}
}

// residentTexts words the texts of a resident's request the ladder does
// not send (accepted, rejected, merged) and sends them through it, within
// the SMS budget and audited like every SMS.
type residentTexts struct {
	ladder *reach.Ladder
	lang   string // "zh" or "en", as the ladder's
}

func (r residentTexts) TellResident(ctx context.Context, n mobilize.Need, status string) {
	words := map[string][2]string{
		mobilize.RequestAccepted: {"【联动】您的求助已受理，正在安排人员。", "Liandong: your request is accepted; we are finding helpers."},
		mobilize.RequestRejected: {"【联动】您的求助未受理。原因：%s", "Liandong: your request was not taken up. Reason: %s"},
		mobilize.RequestMerged:   {"【联动】您的求助已与另一条求助合并，将一起处理。", "Liandong: your request was joined with another and will be handled with it."},
	}[status]
	if words[0] == "" {
		return
	}
	text := words[0]
	if r.lang == "en" {
		text = words[1]
	}
	if strings.Contains(text, "%s") {
		text = fmt.Sprintf(text, n.ReviewReason)
	}
	r.ladder.Send(ctx, "requester", string(n.ID), sms.Message{To: n.RequesterPhone, Text: text, Ref: status + "-" + string(n.ID)})
}

// reviewedService is the service the API uses: a rejection of a
// resident's request also reaches the desk, which has no event for it.
type reviewedService struct {
	*mobilize.Service
	desk *mobilize.Requests
}

func (s reviewedService) Reject(ctx context.Context, id mobilize.NeedID, reason string) (mobilize.NeedState, error) {
	n, err := s.Service.Reject(ctx, id, reason)
	if err == nil {
		s.desk.Rejected(ctx, n)
	}
	return n, err
}
