package mobilize

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync/atomic"
	"time"
	"unicode/utf8"

	"github.com/paulmach/orb"

	"github.com/liandong/liandong/geo"
)

// A resident's own request for help (点单): the public page files it as a
// need from SourceRequest, which waits in pending_review for an operator
// or the coordinator of its community. The resident keeps a link whose
// token names the request; only a hash of the token is stored.

// ErrTooManyRequests refuses a request over the hourly limit of its phone
// or of its place; the RequestLimitError carrying it says when to retry.
var ErrTooManyRequests = errors.New("too many requests")

// RequestLimitError is a refusal by the hourly limits.
type RequestLimitError struct {
	Which      string // "phone" or "place"
	RetryAfter time.Duration
}

func (e *RequestLimitError) Error() string {
	return fmt.Sprintf("too many requests from this %s in the last hour; try again later", e.Which)
}

// Unwrap lets errors.Is find ErrTooManyRequests.
func (e *RequestLimitError) Unwrap() error { return ErrTooManyRequests }

// Limits of a resident's request.
const (
	MaxRequestDescription = 1000 // characters, not bytes: residents write Chinese
	MaxRequestName        = 64
	requestPlaceRes       = 10 // H3 resolution that counts as "the same place" (~66 m edge)
	requestLinkLife       = 90 * 24 * time.Hour
)

// ResidentCategories are the categories a resident may pick, each with
// the team a reviewer starts from (they may merge or reject, not reshape).
var ResidentCategories = map[string]TeamSlot{
	"medical":               {Role: RoleVolunteer, Count: 1},
	"medicine_delivery":     {Role: RoleVolunteer, Count: 1},
	"food_delivery":         {Role: RoleVolunteer, Count: 1},
	"elderly_checkin":       {Role: RoleCommunityWorker, Count: 1},
	"escort":                {Role: RoleVolunteer, Count: 1},
	"evacuation_assist":     {Role: RoleVolunteer, Count: 2},
	"trapped_person":        {Role: RoleVolunteer, Count: 2},
	"psychological_support": {Role: RoleSocialWorker, Count: 1},
	"shopping":              {Role: RoleVolunteer, Count: 1},
	"other":                 {Role: RoleVolunteer, Count: 1},
}

// ResidentRequest is what the page sends once the phone is confirmed.
type ResidentRequest struct {
	Phone       string // E.164, confirmed by a one-time code
	Category    string
	Description string
	Point       orb.Point
	Address     string
	ForFamily   bool // asked by a family member for someone else
	Notify      bool // text the phone when the status changes
	Name        string
}

// RequestStep is one change of a request's status as the resident sees
// it, with when it was first known.
type RequestStep struct {
	Status string    `json:"status"`
	At     time.Time `json:"at"`
}

// Statuses a resident sees (the page words them).
const (
	RequestSubmitted = "submitted" // 已提交待审核
	RequestAccepted  = "accepted"  // 已受理/正在安排
	RequestStaffed   = "staffed"   // 已安排志愿者
	RequestCompleted = "completed" // 已完成
	RequestRejected  = "rejected"  // 未受理
	RequestMerged    = "merged"    // 已合并
	RequestClosed    = "closed"    // cancelled, or nobody could be found in time
)

// ResidentStatus is the status of a need as its requester sees it.
func ResidentStatus(s NeedStatus) string {
	switch s {
	case NeedPendingReview:
		return RequestSubmitted
	case NeedOpen, NeedStaffing:
		return RequestAccepted
	case NeedStaffed:
		return RequestStaffed
	case NeedCompleted:
		return RequestCompleted
	case NeedRejected:
		return RequestRejected
	case NeedMerged:
		return RequestMerged
	}
	return RequestClosed
}

// RequestStore keeps the links, the status history and the hourly counts.
type RequestStore interface {
	// CountRequest counts one request under key in a one-hour window and
	// answers the count so far and how long until the window ends.
	CountRequest(ctx context.Context, key string) (int, time.Duration, error)
	// SaveRequestLink maps the hash of a link's token to its need.
	SaveRequestLink(ctx context.Context, tokenHash string, id NeedID, life time.Duration) error
	// RequestLink answers the need of a token's hash; ErrNotFound if none.
	RequestLink(ctx context.Context, tokenHash string) (NeedID, error)
	// AddRequestStep appends step unless a step has its status already,
	// and answers the whole history, oldest first.
	AddRequestStep(ctx context.Context, id NeedID, step RequestStep, life time.Duration) ([]RequestStep, error)
}

// requestIntake is what filing asks of the service.
type requestIntake interface {
	CreateIntake(ctx context.Context, n Need, trusted bool) (NeedState, error)
	Need(ctx context.Context, id NeedID) (NeedState, error)
}

// RequestLimits bound residents' requests per hour.
type RequestLimits struct {
	PerPhonePerHour int // default 3
	PerPlacePerHour int // default 5
}

// RequestTeller texts a resident who asked to be told (NotifyRequester)
// of a change the delivery ladder does not already tell: accepted,
// rejected (with the reason), merged.
type RequestTeller interface {
	TellResident(ctx context.Context, n Need, status string)
}

// Requests files residents' requests and answers their status links.
type Requests struct {
	store  RequestStore
	needs  requestIntake
	limits RequestLimits
	now    func() time.Time
	teller atomic.Pointer[RequestTeller]
}

// UseTeller gives the desk the texts of the changes; without one it
// only records them.
func (d *Requests) UseTeller(t RequestTeller) { d.teller.Store(&t) }

func (d *Requests) tell(ctx context.Context, n Need, status string) {
	if t := d.teller.Load(); t != nil && n.NotifyRequester && n.RequesterPhone != "" {
		(*t).TellResident(ctx, n, status)
	}
}

// Rejected records that a reviewer refused the request and tells the
// resident why (Service.Reject emits no event).
func (d *Requests) Rejected(ctx context.Context, n NeedState) {
	if n.Source != SourceRequest || n.Status != NeedRejected {
		return
	}
	step := RequestStep{Status: RequestRejected, At: d.now().UTC().Truncate(time.Millisecond)}
	if _, err := d.store.AddRequestStep(ctx, n.ID, step, requestLinkLife); err != nil {
		return // made up at the next read
	}
	d.tell(ctx, n.Need, RequestRejected)
}

// NewRequests returns the residents' desk over store and the service.
func NewRequests(store RequestStore, needs requestIntake, limits RequestLimits, now func() time.Time) *Requests {
	if limits.PerPhonePerHour <= 0 {
		limits.PerPhonePerHour = 3
	}
	if limits.PerPlacePerHour <= 0 {
		limits.PerPlacePerHour = 5
	}
	if now == nil {
		now = time.Now
	}
	return &Requests{store: store, needs: needs, limits: limits, now: now}
}

// Validate checks a request before its code is spent.
func (r ResidentRequest) Validate() error {
	var problems []string
	if _, ok := ResidentCategories[r.Category]; !ok {
		problems = append(problems, "category is not one of the residents' categories")
	}
	if strings.TrimSpace(r.Description) == "" || utf8.RuneCountInString(r.Description) > MaxRequestDescription {
		problems = append(problems, fmt.Sprintf("description must be 1..%d characters", MaxRequestDescription))
	}
	if utf8.RuneCountInString(r.Name) > MaxRequestName {
		problems = append(problems, fmt.Sprintf("name must be at most %d characters", MaxRequestName))
	}
	if len(r.Address) > MaxAddressLen {
		problems = append(problems, fmt.Sprintf("address must be at most %d bytes", MaxAddressLen))
	}
	if err := geo.ValidPoint(r.Point); err != nil {
		problems = append(problems, err.Error())
	}
	if len(problems) > 0 {
		return fmt.Errorf("request: %s: %w", strings.Join(problems, "; "), ErrInvalid)
	}
	return nil
}

// HashRequestToken is what the store keeps of a link's token.
func HashRequestToken(token string) string {
	h := sha256.Sum256([]byte("request-link:" + token))
	return hex.EncodeToString(h[:])
}

// File counts the request against its phone's and its place's hour, then
// stores the link and the need (link first: a crash between leaves a link
// to nothing, never a need nobody can follow). It answers the need and
// the link's token, 128 random bits.
func (d *Requests) File(ctx context.Context, r ResidentRequest) (NeedState, string, error) {
	if err := r.Validate(); err != nil {
		return NeedState{}, "", err
	}
	if !ValidE164(r.Phone) {
		return NeedState{}, "", fmt.Errorf("request: phone must be E.164: %w", ErrInvalid)
	}
	if err := d.count(ctx, "phone", "phone:"+PhoneKey(r.Phone), d.limits.PerPhonePerHour); err != nil {
		return NeedState{}, "", err
	}
	cell, err := geo.CellAt(r.Point, requestPlaceRes)
	if err != nil {
		return NeedState{}, "", fmt.Errorf("request: %w: %w", err, ErrInvalid)
	}
	if err := d.count(ctx, "place", "place:"+cell.String(), d.limits.PerPlacePerHour); err != nil {
		return NeedState{}, "", err
	}
	var raw [16]byte
	if _, err := rand.Read(raw[:]); err != nil {
		return NeedState{}, "", err
	}
	token := hex.EncodeToString(raw[:])
	n := residentNeed(r)
	if err := d.store.SaveRequestLink(ctx, HashRequestToken(token), n.ID, requestLinkLife); err != nil {
		return NeedState{}, "", err
	}
	st, err := d.needs.CreateIntake(ctx, n, false)
	if err != nil {
		return NeedState{}, "", err
	}
	if _, err := d.store.AddRequestStep(ctx, st.ID, RequestStep{Status: ResidentStatus(st.Status), At: st.CreatedAt}, requestLinkLife); err != nil {
		return NeedState{}, "", err
	}
	return st, token, nil
}

func (d *Requests) count(ctx context.Context, which, key string, limit int) error {
	n, left, err := d.store.CountRequest(ctx, key)
	if err != nil {
		return err
	}
	if n > limit {
		return &RequestLimitError{Which: which, RetryAfter: max(left, time.Second)}
	}
	return nil
}

// residentNeed is the need a request becomes: the phone is both the
// reporter's contact (so the duplicate check sees a second request from
// it) and the number told of changes when the resident asked.
func residentNeed(r ResidentRequest) Need {
	var notes []string
	if r.ForFamily {
		notes = append(notes, "for_whom: family")
	}
	return Need{ID: newNeedID(), Source: SourceRequest, Category: r.Category, Urgency: 3, Point: r.Point,
		Team: []TeamSlot{ResidentCategories[r.Category]}, Description: strings.TrimSpace(r.Description),
		Address: strings.TrimSpace(r.Address), Notes: notes,
		Contacts:       []Contact{{Name: strings.TrimSpace(r.Name), Phone: r.Phone}},
		RequesterPhone: r.Phone, NotifyRequester: r.Notify}
}

// RequestView is what a status link shows: no personal data of anyone.
type RequestView struct {
	Status   string
	Category string
	Reason   string // why it was not taken up
	Coming   int    // people who accepted
	Slots    int    // people asked for
	Steps    []RequestStep
	// Merged is the progress of the request it joined.
	Merged *RequestView
}

// Status answers the view of the request a token names; a token that
// names nothing is ErrNotFound. Each read records a status not seen
// before, so the history holds every change a reader or a step saw.
func (d *Requests) Status(ctx context.Context, token string) (RequestView, error) {
	if len(token) != 32 {
		return RequestView{}, fmt.Errorf("request link: %w", ErrNotFound)
	}
	id, err := d.store.RequestLink(ctx, HashRequestToken(token))
	if err != nil {
		return RequestView{}, err
	}
	v, err := d.view(ctx, id, true)
	if err != nil {
		return RequestView{}, err
	}
	if v.Status == RequestMerged {
		n, err := d.needs.Need(ctx, id)
		if err == nil && n.MergedInto != "" {
			into, err := d.view(ctx, n.MergedInto, false)
			if err == nil {
				v.Merged = &into
			}
		}
	}
	return v, nil
}

func (d *Requests) view(ctx context.Context, id NeedID, record bool) (RequestView, error) {
	n, err := d.needs.Need(ctx, id)
	if err != nil {
		return RequestView{}, err
	}
	v := RequestView{Status: ResidentStatus(n.Status), Category: n.Category, Slots: n.Slots()}
	for _, a := range n.Assignments {
		if a.State == AssignAccepted || a.State == AssignCompleted {
			v.Coming++
		}
	}
	if n.Status == NeedRejected {
		v.Reason = n.ReviewReason
	}
	if !record {
		return v, nil
	}
	at := d.now().UTC().Truncate(time.Millisecond)
	if v.Status == RequestStaffed && !n.StaffedAt.IsZero() {
		at = n.StaffedAt
	}
	v.Steps, err = d.store.AddRequestStep(ctx, id, RequestStep{Status: v.Status, At: at}, requestLinkLife)
	if err != nil {
		return RequestView{}, err
	}
	v.Steps = slices.Clip(v.Steps)
	return v, nil
}

// Emit records the steps of residents' requests as the service takes
// them (approval, staffed, done, closed), so the history has each one
// even when nobody had the link open. It never waits: the write goes on
// its own, bounded in time; a lost write is made up at the next read.
func (d *Requests) Emit(ctx context.Context, e Event) {
	var (
		n    Need
		step RequestStep
	)
	switch e := e.(type) {
	case NeedCreated:
		n, step = e.Need, RequestStep{Status: ResidentStatus(e.Need.Status), At: d.now().UTC().Truncate(time.Millisecond)}
	case TeamStaffed:
		n, step = e.Need.Need, RequestStep{Status: RequestStaffed, At: e.At.UTC().Truncate(time.Millisecond)}
	case TaskCompleted:
		n, step = e.Need, RequestStep{Status: RequestCompleted, At: e.At.UTC().Truncate(time.Millisecond)}
	case NeedClosed:
		n, step = e.Need, RequestStep{Status: ResidentStatus(e.Status), At: e.At.UTC().Truncate(time.Millisecond)}
	default:
		return
	}
	if n.Source != SourceRequest || step.Status == RequestSubmitted {
		return
	}
	// The ladder texts staffed, done and cancelled itself. Only what the
	// text needs is kept: the event's slices are not ours to hold.
	tell := step.Status == RequestAccepted || step.Status == RequestMerged
	n = Need{ID: n.ID, Source: n.Source, Category: n.Category, NotifyRequester: n.NotifyRequester, RequesterPhone: n.RequesterPhone}
	go func() {
		wctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 30*time.Second)
		defer cancel()
		if _, err := d.store.AddRequestStep(wctx, n.ID, step, requestLinkLife); err == nil && tell {
			d.tell(wctx, n, step.Status)
		}
	}()
}
