package web

import (
	"context"
	"errors"
	"net/http"
	"regexp"
	"time"

	"github.com/liandong/liandong/geo"
	"github.com/liandong/liandong/mobilize"
)

// Residents ask for help themselves (点单): the public page /request
// confirms the phone with a one-time code, then files the request, which
// waits for review; the resident follows it on a link they keep.

// RequestCodes sends and checks the one-time codes (phonecode.Codes).
type RequestCodes interface {
	SendCode(ctx context.Context, phone, purpose string) (ticket string, err error)
	ConfirmCode(ctx context.Context, ticket, code string) (phone string, err error)
}

// RequestDesk files requests and answers status links (mobilize.Requests).
type RequestDesk interface {
	File(ctx context.Context, r mobilize.ResidentRequest) (mobilize.NeedState, string, error)
	Status(ctx context.Context, token string) (mobilize.RequestView, error)
}

// RequestOptions wire the residents' routes; without Codes and Desk they
// answer 404.
type RequestOptions struct {
	Codes RequestCodes
	Desk  RequestDesk
	// Region is where a request may lie; zero: anywhere on Earth.
	Region geo.BBox
	// CodesPerAddressPerHour bounds the codes one client address asks
	// for (default 10), beside phonecode's own bound per phone.
	CodesPerAddressPerHour int
}

// requestCodePurpose names the codes of this page in phonecode.
const requestCodePurpose = "request"

// maxRequestBody is the body limit of both public routes.
const maxRequestBody = 16 << 10

// codeRefusal is a phonecode refusal: it names its API code.
type codeRefusal interface {
	error
	Code() string
}

type requestGroup struct {
	opts  RequestOptions
	codes *limiterSet // codes asked per client address
}

func newRequestGroup(o RequestOptions) *requestGroup {
	if o.CodesPerAddressPerHour <= 0 {
		o.CodesPerAddressPerHour = 10
	}
	return &requestGroup{opts: o,
		codes: newLimiterSet(float64(o.CodesPerAddressPerHour)/3600, o.CodesPerAddressPerHour)}
}

func (g *requestGroup) on() bool { return g.opts.Codes != nil && g.opts.Desk != nil }

type requestCodeRequest struct {
	Phone string `json:"phone" api:"required" doc:"a mainland mobile (11 digits) or +country number; a six-digit code is texted to it"`
}

type requestCodeJSON struct {
	Ticket string `json:"ticket" doc:"names this code; send it back with the code within 10 minutes"`
}

type residentRequest struct {
	Ticket      string   `json:"ticket" api:"required" doc:"from POST /api/v1/requests/code"`
	Code        string   `json:"code" api:"required" doc:"the six digits texted to the phone"`
	Category    string   `json:"category" api:"required" doc:"medical, medicine_delivery, food_delivery, elderly_checkin, escort, evacuation_assist, trapped_person, psychological_support, shopping or other"`
	Description string   `json:"description" api:"required" doc:"what is needed, 1..1000 characters"`
	Lat         *float64 `json:"lat" api:"required" doc:"inside the deployment's region"`
	Lng         *float64 `json:"lng" api:"required" doc:"inside the deployment's region"`
	Address     string   `json:"address,omitempty" doc:"the address in words, at most 500 bytes"`
	ForWhom     string   `json:"for_whom,omitempty" doc:"self (default) or family"`
	Notify      bool     `json:"notify,omitempty" doc:"text the confirmed phone when the status changes"`
	Name        string   `json:"name,omitempty" doc:"how to address the person, at most 64 characters"`
}

type requestCreatedJSON struct {
	ID        string `json:"id" doc:"the need the request became"`
	Status    string `json:"status" doc:"submitted: waiting for review"`
	Token     string `json:"token" doc:"the secret of the status link; shown once, kept only hashed"`
	StatusURL string `json:"status_url" doc:"the page that follows the request: /request/s/{token}"`
}

type requestStepJSON struct {
	Status string    `json:"status"`
	At     time.Time `json:"at"`
}

type requestStatusJSON struct {
	Status   string             `json:"status" doc:"submitted, accepted, staffed, completed, rejected, merged or closed"`
	Category string             `json:"category"`
	Reason   string             `json:"reason,omitempty" doc:"with rejected: the reviewer's reason"`
	Coming   int                `json:"coming" doc:"how many people have accepted (never who)"`
	Asked    int                `json:"asked" doc:"how many people the request needs"`
	Steps    []requestStepJSON  `json:"steps" doc:"each status and when it was first known, oldest first"`
	Merged   *requestStatusJSON `json:"merged,omitempty" doc:"with merged: the progress of the request it joined"`
}

var digitsOnly = regexp.MustCompile(`^[0-9]{6}$`)

// handleCode is POST /api/v1/requests/code.
func (g *requestGroup) handleCode(ctx context.Context, c *call) error {
	if !g.on() {
		return notFound("route")
	}
	var req requestCodeRequest
	if err := decodeStrict(c.body, &req); err != nil {
		return err
	}
	var p problems
	p.text("phone", req.Phone, 32, true, false)
	if err := p.err(); err != nil {
		return err
	}
	if err := g.codes.allow(clientAddr(c.r)); err != nil {
		return err
	}
	ticket, err := g.opts.Codes.SendCode(ctx, req.Phone, requestCodePurpose)
	if err != nil {
		return codeError(err)
	}
	c.json(http.StatusAccepted, requestCodeJSON{Ticket: ticket})
	return nil
}

// handleFile is POST /api/v1/requests: everything is checked before the
// code is spent, so a mistake in the form does not cost a new code.
func (g *requestGroup) handleFile(ctx context.Context, c *call) error {
	if !g.on() {
		return notFound("route")
	}
	var req residentRequest
	if err := decodeStrict(c.body, &req); err != nil {
		return err
	}
	r, err := g.check(req)
	if err != nil {
		return err
	}
	if r.Phone, err = g.opts.Codes.ConfirmCode(ctx, req.Ticket, req.Code); err != nil {
		return codeError(err)
	}
	n, token, err := g.opts.Desk.File(ctx, r)
	var limited *mobilize.RequestLimitError
	if errors.As(err, &limited) {
		return &Error{Kind: errRateLimited, Code: "too_many_requests_" + limited.Which, Message: limited.Error(), RetryAfter: limited.RetryAfter}
	}
	if err != nil {
		return err
	}
	c.json(http.StatusCreated, requestCreatedJSON{ID: string(n.ID), Status: mobilize.ResidentStatus(n.Status), Token: token,
		StatusURL: "/request/s/" + token})
	return nil
}

// check turns the body into a request, or lists what is wrong.
func (g *requestGroup) check(req residentRequest) (mobilize.ResidentRequest, error) {
	var p problems
	p.text("ticket", req.Ticket, 64, true, false)
	if !digitsOnly.MatchString(req.Code) {
		p.addf("code must be the six digits texted to the phone")
	}
	p.text("category", req.Category, mobilize.MaxCategoryLen, true, false)
	p.text("description", req.Description, 4*mobilize.MaxRequestDescription, true, true)
	p.text("address", req.Address, mobilize.MaxAddressLen, false, false)
	p.text("name", req.Name, 4*mobilize.MaxRequestName, false, false)
	p.coordinates(req.Lat, req.Lng)
	if req.ForWhom != "" && req.ForWhom != "self" && req.ForWhom != "family" {
		p.addf("for_whom must be self or family")
	}
	if err := p.err(); err != nil {
		return mobilize.ResidentRequest{}, err
	}
	pt, err := geo.NewPoint(*req.Lat, *req.Lng)
	if err != nil {
		return mobilize.ResidentRequest{}, invalid(err.Error())
	}
	if g.opts.Region != (geo.BBox{}) && !g.opts.Region.Contains(pt) {
		return mobilize.ResidentRequest{}, &Error{Kind: mobilize.ErrInvalid, Code: "outside_region",
			Message: "the place is outside the area this service covers; call the emergency number or your community"}
	}
	r := mobilize.ResidentRequest{Category: req.Category, Description: req.Description, Point: pt, Address: req.Address,
		ForFamily: req.ForWhom == "family", Notify: req.Notify, Name: req.Name}
	if err := r.Validate(); err != nil {
		return mobilize.ResidentRequest{}, invalid(err.Error())
	}
	return r, nil
}

// codeError words a phonecode refusal in the API's error shape.
func codeError(err error) error {
	var ref codeRefusal
	if !errors.As(err, &ref) {
		return err
	}
	kind := mobilize.ErrInvalid
	retry := time.Duration(0)
	switch ref.Code() {
	case "too_many_codes":
		kind, retry = errRateLimited, time.Hour
	case "code_expired", "code_tries_exhausted":
		kind = errGone
	}
	return &Error{Kind: kind, Code: ref.Code(), Message: ref.Error(), RetryAfter: retry}
}

// handleStatus is GET /api/v1/requests/{token}: the token is the only
// key, and an unknown one is a plain 404.
func (g *requestGroup) handleStatus(ctx context.Context, c *call) error {
	if !g.on() {
		return notFound("route")
	}
	v, err := g.opts.Desk.Status(ctx, c.r.PathValue("token"))
	if errors.Is(err, mobilize.ErrNotFound) {
		return notFound("request")
	}
	if err != nil {
		return err
	}
	c.json(http.StatusOK, toRequestStatusJSON(v))
	return nil
}

func toRequestStatusJSON(v mobilize.RequestView) requestStatusJSON {
	out := requestStatusJSON{Status: v.Status, Category: v.Category, Reason: v.Reason, Coming: v.Coming, Asked: v.Slots,
		Steps: make([]requestStepJSON, len(v.Steps))}
	for i, s := range v.Steps {
		out.Steps[i] = requestStepJSON(s)
	}
	if v.Merged != nil {
		m := toRequestStatusJSON(*v.Merged)
		out.Merged = &m
	}
	return out
}
