package mobilize

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"strings"
	"time"
)

// An invitation lets volunteers join an organisation by themselves: a
// coordinator hands out its link (or QR code), and whoever opens it may
// apply, at most MaxUses times and until ExpiresAt. The link carries a
// join token; the store keeps only the token's hash (TokenHash), so a copy
// of Redis opens no door.

// InvitationID names an invitation.
type InvitationID string

// Invitation is one organisation's offer to join it.
type Invitation struct {
	ID        InvitationID `json:"id"`
	OrgID     string       `json:"org_id"`
	CreatedBy string       `json:"created_by"`
	CreatedAt time.Time    `json:"created_at"`
	ExpiresAt time.Time    `json:"expires_at"`
	MaxUses   int          `json:"max_uses"`
	// Uses and Revoked are the store's counters, not part of the record
	// as created.
	Uses    int  `json:"-"`
	Revoked bool `json:"-"`
}

// Limits of an invitation as created.
const (
	MaxInvitationUses     = 1000
	MaxInvitationLifetime = 90 * 24 * time.Hour
)

// InvitationState is what an invitation allows now.
type InvitationState string

// Invitation states, as the join door tells them.
const (
	InvitationOpen      InvitationState = "open"
	InvitationExpired   InvitationState = "expired"
	InvitationExhausted InvitationState = "exhausted"
	InvitationRevoked   InvitationState = "revoked"
	InvitationUnknown   InvitationState = "unknown"
)

// StateAt is what the invitation allows at now; revocation wins over
// expiry, expiry over exhaustion.
func (inv Invitation) StateAt(now time.Time) InvitationState {
	switch {
	case inv.Revoked:
		return InvitationRevoked
	case !now.Before(inv.ExpiresAt):
		return InvitationExpired
	case inv.Uses >= inv.MaxUses:
		return InvitationExhausted
	}
	return InvitationOpen
}

// JoinTokenHash is how the store names a join token: its SHA-256, hex.
func JoinTokenHash(token string) string {
	sum := sha256.Sum256([]byte(token))
	return hex.EncodeToString(sum[:])
}

// InvitationStore keeps invitations and the applications they bring.
type InvitationStore interface {
	// CreateInvitation stores a new invitation under the hash of its join
	// token.
	CreateInvitation(ctx context.Context, inv Invitation, tokenHash string) error
	// Invitation reads one (ErrNotFound when unknown or long gone).
	Invitation(ctx context.Context, id InvitationID) (Invitation, error)
	// InvitationByToken reads the invitation of a token hash.
	InvitationByToken(ctx context.Context, tokenHash string) (Invitation, error)
	// InvitationTokenHash is the hash the invitation was stored under.
	InvitationTokenHash(ctx context.Context, id InvitationID) (string, error)
	// OrgInvitations lists an organisation's invitations, newest first.
	OrgInvitations(ctx context.Context, org string) ([]Invitation, error)
	// RevokeInvitation stops an invitation; revoking twice is no error.
	RevokeInvitation(ctx context.Context, id InvitationID) (Invitation, error)
	ApplicationStore // application.go
}

// NewInvitation checks and completes an invitation a staff member asks
// for: org, lifetime from now and the most people it may bring.
func NewInvitation(org, by string, lifetime time.Duration, maxUses int, now time.Time) (Invitation, error) {
	var problems []string
	if !ValidID(org) {
		problems = append(problems, "org must be 1..64 of A-Z a-z 0-9 _ . -")
	}
	if lifetime <= 0 || lifetime > MaxInvitationLifetime {
		problems = append(problems, fmt.Sprintf("the lifetime must be above 0 and at most %d days", int(MaxInvitationLifetime.Hours()/24)))
	}
	if maxUses < 1 || maxUses > MaxInvitationUses {
		problems = append(problems, fmt.Sprintf("max_uses must be 1..%d", MaxInvitationUses))
	}
	if len(problems) > 0 {
		return Invitation{}, fmt.Errorf("invitation: %s: %w", strings.Join(problems, "; "), ErrInvalid)
	}
	now = now.UTC().Truncate(time.Millisecond)
	return Invitation{
		ID: InvitationID("inv" + randomHex(10)), OrgID: org, CreatedBy: by,
		CreatedAt: now, ExpiresAt: now.Add(lifetime), MaxUses: maxUses,
	}, nil
}

// CreateInvitation stores an invitation made by NewInvitation, reachable
// by the hash of its join token.
func (s *Service) CreateInvitation(ctx context.Context, inv Invitation, tokenHash string) error {
	if inv.ID == "" || tokenHash == "" {
		return fmt.Errorf("invitation: no id or token: %w", ErrInvalid)
	}
	return s.store.CreateInvitation(ctx, inv, tokenHash)
}

// Invitation reads one invitation.
func (s *Service) Invitation(ctx context.Context, id InvitationID) (Invitation, error) {
	return s.store.Invitation(ctx, id)
}

// InvitationByToken reads the invitation a join link names.
func (s *Service) InvitationByToken(ctx context.Context, token string) (Invitation, error) {
	return s.store.InvitationByToken(ctx, JoinTokenHash(token))
}

// InvitationTokenHash is the hash of an invitation's join token.
func (s *Service) InvitationTokenHash(ctx context.Context, id InvitationID) (string, error) {
	return s.store.InvitationTokenHash(ctx, id)
}

// OrgInvitations lists an organisation's invitations, newest first.
func (s *Service) OrgInvitations(ctx context.Context, org string) ([]Invitation, error) {
	return s.store.OrgInvitations(ctx, org)
}

// RevokeInvitation stops an invitation at once.
func (s *Service) RevokeInvitation(ctx context.Context, id InvitationID) (Invitation, error) {
	return s.store.RevokeInvitation(ctx, id)
}
