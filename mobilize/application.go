package mobilize

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"
)

// An application is a volunteer who joined through an invitation and
// waits for a coordinator. It is not a responder: nothing of it reaches
// the index, the roster or the matcher until it is approved, and then the
// person is registered like anyone staff register. Applications are kept
// ApplicationTTL from their submission, whatever became of them.

// ApplicationID names an application.
type ApplicationID string

// ApplicationStatus is where an application stands.
type ApplicationStatus string

// Application statuses.
const (
	ApplicationPending  ApplicationStatus = "pending"
	ApplicationApproved ApplicationStatus = "approved"
	ApplicationRejected ApplicationStatus = "rejected"
)

// ApplicationTTL is how long an application is kept after it was sent.
const ApplicationTTL = 30 * 24 * time.Hour

// MaxRejectReasonLen bounds the reason given with a rejection.
const MaxRejectReasonLen = 500

// Application is one volunteer's request to join an organisation.
type Application struct {
	ID           ApplicationID `json:"id"`
	InvitationID InvitationID  `json:"invitation_id"`
	OrgID        string        `json:"org_id"`
	Name         string        `json:"name"`
	Phone        string        `json:"phone"` // confirmed by a code sent to it
	Skills       []Skill       `json:"skills"`
	Lang         string        `json:"lang,omitempty"`
	CreatedAt    time.Time     `json:"created_at"`
	ExpiresAt    time.Time     `json:"expires_at"`
	// The decision, kept by the store beside the record as sent.
	Status   ApplicationStatus   `json:"-"`
	Decision ApplicationDecision `json:"-"`
}

// ApplicationDecision is a coordinator's answer to an application.
type ApplicationDecision struct {
	Status      ApplicationStatus `json:"status"`
	By          string            `json:"by"`
	At          time.Time         `json:"at"`
	Reason      string            `json:"reason,omitempty"`
	ResponderID ResponderID       `json:"responder_id,omitempty"`
}

// ApplicationStore keeps applications.
type ApplicationStore interface {
	// SubmitApplication takes one use of the invitation whose token
	// hashes to tokenHash and stores the application, in one step: any
	// state but InvitationOpen changes nothing.
	SubmitApplication(ctx context.Context, tokenHash string, a Application) (InvitationState, error)
	// Application reads one (ErrNotFound when unknown or expired).
	Application(ctx context.Context, id ApplicationID) (Application, error)
	// OrgApplications lists an organisation's applications, newest first;
	// an empty status lists all.
	OrgApplications(ctx context.Context, org string, status ApplicationStatus) ([]Application, error)
	// DecideApplication records a decision on a pending application;
	// decided is false (and nothing changes) when it was decided before.
	DecideApplication(ctx context.Context, id ApplicationID, d ApplicationDecision) (a Application, decided bool, err error)
}

// InvitationRefused is a join refused because of its invitation's state.
type InvitationRefused struct{ State InvitationState }

func (e *InvitationRefused) Error() string { return "invitation " + string(e.State) }

// Unwrap makes every refusal a conflict, except an unknown invitation.
func (e *InvitationRefused) Unwrap() error {
	if e.State == InvitationUnknown {
		return ErrNotFound
	}
	return ErrConflict
}

// validate checks what the volunteer filled in, as a registration of
// the volunteer would be checked, and that the phone is a confirmed one.
func (a Application) validate() error {
	r := Responder{Name: a.Name, Role: RoleVolunteer, Phone: a.Phone, Skills: a.Skills, Lang: a.Lang}
	if err := r.Validate(); err != nil {
		return err
	}
	if !ValidE164(a.Phone) {
		return fmt.Errorf("application: the confirmed phone is not in E.164: %w", ErrInvalid)
	}
	return nil
}

// SubmitApplication files a volunteer's application through the join
// token of an invitation, taking one of its uses. An expired, exhausted,
// revoked or unknown invitation is an *InvitationRefused.
func (s *Service) SubmitApplication(ctx context.Context, token string, a Application) (Application, error) {
	if err := a.validate(); err != nil {
		return Application{}, err
	}
	hash := JoinTokenHash(token)
	inv, err := s.store.InvitationByToken(ctx, hash)
	if errors.Is(err, ErrNotFound) {
		return Application{}, &InvitationRefused{State: InvitationUnknown}
	}
	if err != nil {
		return Application{}, err
	}
	now := s.now().UTC().Truncate(time.Millisecond)
	a.ID = ApplicationID("app" + randomHex(10))
	a.InvitationID, a.OrgID = inv.ID, inv.OrgID
	a.CreatedAt, a.ExpiresAt = now, now.Add(ApplicationTTL)
	a.Status, a.Decision = ApplicationPending, ApplicationDecision{}
	state, err := s.store.SubmitApplication(ctx, hash, a)
	if err != nil {
		return Application{}, err
	}
	if state != InvitationOpen {
		return Application{}, &InvitationRefused{State: state}
	}
	return a, nil
}

// ApplicationByID reads one application. (Not "Application": web's
// Application interface embeds the service's methods.)
func (s *Service) ApplicationByID(ctx context.Context, id ApplicationID) (Application, error) {
	return s.store.Application(ctx, id)
}

// OrgApplications lists an organisation's applications.
func (s *Service) OrgApplications(ctx context.Context, org string, status ApplicationStatus) ([]Application, error) {
	return s.store.OrgApplications(ctx, org, status)
}

// ApproveApplication registers the applicant as a volunteer of the
// invitation's organisation, on duty like anyone staff register. The
// decision is recorded first, with the new responder's id, so that a
// rejection racing it loses and a second approval is refused; an approval
// whose registration did not happen (a crash between the two steps) is
// completed by approving again.
func (s *Service) ApproveApplication(ctx context.Context, id ApplicationID, by string) (Application, Responder, error) {
	d := ApplicationDecision{Status: ApplicationApproved, By: by, At: s.now().UTC().Truncate(time.Millisecond),
		ResponderID: ResponderID("r" + randomHex(10))}
	a, decided, err := s.store.DecideApplication(ctx, id, d)
	if err != nil {
		return Application{}, Responder{}, err
	}
	if !decided {
		if a.Status != ApplicationApproved {
			return a, Responder{}, fmt.Errorf("application %s is %s: %w", id, a.Status, ErrConflict)
		}
		if _, _, err := s.store.Responder(ctx, a.Decision.ResponderID); err == nil {
			return a, Responder{}, fmt.Errorf("application %s is approved already: %w", id, ErrConflict)
		} else if !errors.Is(err, ErrNotFound) {
			return Application{}, Responder{}, err
		}
	}
	r := Responder{ID: a.Decision.ResponderID, Name: a.Name, Role: RoleVolunteer, Skills: a.Skills, OrgID: a.OrgID,
		Phone: a.Phone, MaxConcurrent: 1, CreatedAt: a.Decision.At, Channel: ChannelApp, Lang: a.Lang}
	if err := r.Validate(); err != nil {
		return Application{}, Responder{}, err
	}
	if _, err := s.store.Enroll(ctx, r, true); err != nil {
		return Application{}, Responder{}, err
	}
	profile, _, err := s.store.Responder(ctx, r.ID)
	return a, profile, err
}

// RejectApplication turns an application down with a reason; the record
// stays until it expires, so the coordinators see what was decided.
func (s *Service) RejectApplication(ctx context.Context, id ApplicationID, by, reason string) (Application, error) {
	reason = strings.TrimSpace(reason)
	if reason == "" || len(reason) > MaxRejectReasonLen {
		return Application{}, fmt.Errorf("reason must be 1..%d bytes: %w", MaxRejectReasonLen, ErrInvalid)
	}
	d := ApplicationDecision{Status: ApplicationRejected, By: by, At: s.now().UTC().Truncate(time.Millisecond), Reason: reason}
	a, decided, err := s.store.DecideApplication(ctx, id, d)
	if err != nil {
		return Application{}, err
	}
	if !decided {
		return a, fmt.Errorf("application %s is %s: %w", id, a.Status, ErrConflict)
	}
	return a, nil
}
