package web

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/liandong/liandong/mobilize"
	"github.com/liandong/liandong/web/open311"
)

// PartnerStore keeps the partners of the Open311 door (a 12345 hotline's
// work-order system, a community committee's tool) and the digests of
// their API keys; redisstore.Access is the one the server runs on.
type PartnerStore interface {
	PutPartner(ctx context.Context, id, keyDigest string, rec []byte) (created bool, err error)
	Partners(ctx context.Context) (map[string][]byte, error)
	PartnerByKey(ctx context.Context, keyDigest string) (id, stored string, rec []byte, found bool, err error)
	RevokePartner(ctx context.Context, id string, rec []byte) (found bool, err error)
}

// Partner is one system allowed to file needs through Open311. A trusted
// partner's needs go straight to matching; the others' wait for review.
type Partner struct {
	ID        string    `json:"id"`
	Name      string    `json:"name"`
	Trusted   bool      `json:"trusted"`
	CreatedAt time.Time `json:"created_at"`
	RevokedAt time.Time `json:"revoked_at,omitzero"`
}

// partnerKeyPrefix starts every API key, so that a leaked one is easy to
// recognise in a log or a repository scan.
const partnerKeyPrefix = "ldp_"

// partnerKeyDigest is what is kept of a key: SHA-256 of a key with 256
// random bits needs no slow hash, as a password would.
func partnerKeyDigest(key string) string {
	sum := sha256.Sum256([]byte(key))
	return hex.EncodeToString(sum[:])
}

// Partners checks API keys: it is the Open311 door's gatekeeper.
type Partners struct {
	store PartnerStore
}

// NewPartners checks keys against store.
func NewPartners(store PartnerStore) *Partners { return &Partners{store: store} }

// Verify returns the partner holding key; ok is false for an unknown or
// revoked key (nothing says which).
func (p *Partners) Verify(ctx context.Context, key string) (Partner, bool, error) {
	if !strings.HasPrefix(key, partnerKeyPrefix) || len(key) > 128 {
		return Partner{}, false, nil
	}
	digest := partnerKeyDigest(key)
	_, stored, rec, found, err := p.store.PartnerByKey(ctx, digest)
	if err != nil || !found {
		return Partner{}, false, err
	}
	if subtle.ConstantTimeCompare([]byte(stored), []byte(digest)) != 1 {
		return Partner{}, false, nil
	}
	var pt Partner
	if err := json.Unmarshal(rec, &pt); err != nil {
		return Partner{}, false, fmt.Errorf("partner record: %w", err)
	}
	if !pt.RevokedAt.IsZero() {
		return Partner{}, false, nil
	}
	return pt, true, nil
}

// partnerGroup serves the admins' management of partners and their keys.
type partnerGroup struct {
	store PartnerStore
	audit *auditor
	now   func() time.Time
}

type partnerRequest struct {
	Name    string `json:"name" api:"required" doc:"1..100 bytes, e.g. 烟台12345热线"`
	Trusted bool   `json:"trusted" doc:"true: its requests skip review and go straight to matching"`
}

// partnerJSON is a partner as the API shows it; APIKey only in the answer
// that created it.
type partnerJSON struct {
	ID        string  `json:"id"`
	Name      string  `json:"name"`
	Trusted   bool    `json:"trusted"`
	CreatedAt string  `json:"created_at"`
	RevokedAt *string `json:"revoked_at,omitempty"`
	APIKey    string  `json:"api_key,omitempty" doc:"shown once, at creation: only its SHA-256 is kept"`
}

type partnerList struct {
	Partners []partnerJSON `json:"partners"`
}

func toPartnerJSON(p Partner) partnerJSON {
	return partnerJSON{ID: p.ID, Name: p.Name, Trusted: p.Trusted, CreatedAt: rfc3339(p.CreatedAt), RevokedAt: optionalTime(p.RevokedAt)}
}

// handleCreate is POST /api/v1/partners (admin).
func (g *partnerGroup) handleCreate(ctx context.Context, c *call) error {
	var req partnerRequest
	if err := decodeStrict(c.body, &req); err != nil {
		return err
	}
	var p problems
	p.text("name", req.Name, 100, true, false)
	if err := p.err(); err != nil {
		return err
	}
	var raw [32]byte
	rand.Read(raw[:])
	key := partnerKeyPrefix + base64.RawURLEncoding.EncodeToString(raw[:])
	var idb [8]byte
	rand.Read(idb[:])
	pt := Partner{ID: "p" + hex.EncodeToString(idb[:]), Name: req.Name, Trusted: req.Trusted, CreatedAt: g.now().UTC().Truncate(time.Second)}
	rec, err := json.Marshal(pt)
	if err != nil {
		return err
	}
	created, err := g.store.PutPartner(ctx, pt.ID, partnerKeyDigest(key), rec)
	if err != nil {
		return err
	}
	if !created {
		return fmt.Errorf("partner %s exists: %w", pt.ID, mobilize.ErrConflict)
	}
	g.audit.record(ctx, c.id, "partner.create", pt.ID, 0)
	out := toPartnerJSON(pt)
	out.APIKey = key
	c.json(http.StatusCreated, out)
	return nil
}

// handleList is GET /api/v1/partners (admin): never a key.
func (g *partnerGroup) handleList(ctx context.Context, c *call) error {
	all, err := g.store.Partners(ctx)
	if err != nil {
		return err
	}
	out := partnerList{Partners: []partnerJSON{}}
	for _, rec := range all {
		var pt Partner
		if err := json.Unmarshal(rec, &pt); err != nil {
			return fmt.Errorf("partner record: %w", err)
		}
		out.Partners = append(out.Partners, toPartnerJSON(pt))
	}
	slices.SortFunc(out.Partners, func(a, b partnerJSON) int { return strings.Compare(a.ID, b.ID) })
	c.json(http.StatusOK, out)
	return nil
}

// handleRevoke is DELETE /api/v1/partners/{id} (admin): the key stops
// working at once; the record stays, marked revoked, for the audit.
func (g *partnerGroup) handleRevoke(ctx context.Context, c *call) error {
	id := c.r.PathValue("id")
	if !idPattern.MatchString(id) {
		return notFound("partner")
	}
	all, err := g.store.Partners(ctx)
	if err != nil {
		return err
	}
	rec, ok := all[id]
	if !ok {
		return notFound("partner")
	}
	var pt Partner
	if err := json.Unmarshal(rec, &pt); err != nil {
		return fmt.Errorf("partner record: %w", err)
	}
	if pt.RevokedAt.IsZero() {
		pt.RevokedAt = g.now().UTC().Truncate(time.Second)
	}
	if rec, err = json.Marshal(pt); err != nil {
		return err
	}
	found, err := g.store.RevokePartner(ctx, id, rec)
	if err != nil {
		return err
	}
	if !found {
		return notFound("partner")
	}
	g.audit.record(ctx, c.id, "partner.revoke", id, 0)
	c.json(http.StatusOK, toPartnerJSON(pt))
	return nil
}

// Open311 is the key check in the form the Open311 door takes.
func (p *Partners) Open311() open311.Keys { return open311Keys{p} }

type open311Keys struct{ p *Partners }

func (k open311Keys) Verify(ctx context.Context, key string) (open311.Partner, bool, error) {
	pt, ok, err := k.p.Verify(ctx, key)
	return open311.Partner{ID: pt.ID, Name: pt.Name, Trusted: pt.Trusted}, ok, err
}
