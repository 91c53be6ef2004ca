package web

import (
	"context"
	"net/http"
	"regexp"
	"strconv"
	"time"

	"go.uber.org/zap"

	"github.com/liandong/liandong/mobilize"
)

// AuditStore keeps the audit log in the order entries were appended.
type AuditStore interface {
	// AppendAudit adds an entry of name, value pairs, keeping about
	// maxLen entries.
	AppendAudit(ctx context.Context, fields []string, maxLen int64) (id string, err error)
	// AuditPage returns up to limit entries older than before (an entry
	// id; empty: from the newest), newest first.
	AuditPage(ctx context.Context, before string, limit int) ([]mobilize.AuditEntry, error)
}

// auditEntry is one staff action: who, what, when, on which id. Entries
// name ids, never names or phones, so the log itself holds no personal
// data beyond who acted.
type auditEntry struct {
	ID     string `json:"id" doc:"stream id; pass as before= to page"`
	At     string `json:"at"`
	Actor  string `json:"actor"`
	Role   Role   `json:"role"`
	OrgID  string `json:"org_id,omitempty"`
	Action string `json:"action" doc:"e.g. need.create, need.cancel, responder.register, responder.register_batch, responder.revoke_tokens, user.create, user.disable, user.enable, user.password, token.revoke, auth.login, auth.exchange"`
	Target string `json:"target,omitempty" doc:"the id acted on; for a batch, the id pattern with * for the entry number"`
	Count  int    `json:"count,omitempty" doc:"how many things, for batches"`
	Reason string `json:"reason,omitempty" doc:"why, for actions that require a reason (need.assign_override_skills, responder.erase)"`
}

type auditList struct {
	Entries []auditEntry `json:"entries"`
}

// auditor records staff actions in the audit log and serves the log to
// admins (GET /api/v1/audit). Every route group that changes something
// holds it.
type auditor struct {
	store  AuditStore
	maxLen int64 // entries kept, approximately
	log    *zap.Logger
	now    func() time.Time
}

// record adds a staff action to the audit log. Responders acting on
// themselves are not staff actions and are not recorded. The action has
// happened by the time this runs, so a failure to record it is logged, not
// turned into a failed request the client would retry.
func (a *auditor) record(ctx context.Context, id Identity, action, target string, count int) {
	a.recordWhy(ctx, id, action, target, count, "")
}

// recordReason records a staff action that had to say why (an override).
func (a *auditor) recordReason(ctx context.Context, id Identity, action, target, reason string) {
	a.recordWhy(ctx, id, action, target, 0, reason)
}

// recordWhy is record with the reason the actor gave, for actions that
// require one (an erasure, an override).
func (a *auditor) recordWhy(ctx context.Context, id Identity, action, target string, count int, reason string) {
	if id.Role == RoleResponder || id.Subject == "" {
		return
	}
	a.write(ctx, id, action, target, count, reason)
}

// recordAlways records an action whoever took it, responders included:
// what hands out tokens (an exchange) is audited for everyone.
func (a *auditor) recordAlways(ctx context.Context, id Identity, action, target string) {
	if id.Subject != "" {
		a.write(ctx, id, action, target, 0, "")
	}
}

func (a *auditor) write(ctx context.Context, id Identity, action, target string, count int, reason string) {
	values := []string{"at", rfc3339(a.now()), "actor", id.Subject, "role", string(id.Role), "action", action}
	if id.OrgID != "" {
		values = append(values, "org_id", id.OrgID)
	}
	if target != "" {
		values = append(values, "target", target)
	}
	if count > 0 {
		values = append(values, "count", strconv.Itoa(count))
	}
	if reason != "" {
		values = append(values, "reason", reason)
	}
	if _, err := a.store.AppendAudit(context.WithoutCancel(ctx), values, a.maxLen); err != nil {
		a.log.Error("audit entry not recorded", zap.String("action", action), zap.String("target", target), zap.Error(err))
	}
}

// streamIDPattern is an audit entry id (a Redis stream id), as passed back
// in before=.
var streamIDPattern = regexp.MustCompile(`^[0-9]{1,20}-[0-9]{1,20}$`)

// queryLimit reads ?limit=, 1..1000, default 100.
func queryLimit(r *http.Request) (int, error) {
	s := r.URL.Query().Get("limit")
	if s == "" {
		return 100, nil
	}
	n, err := strconv.Atoi(s)
	if err != nil || n < 1 || n > 1000 {
		return 0, invalid("limit must be an integer 1..1000")
	}
	return n, nil
}

// handleAudit is GET /api/v1/audit (admin): newest first, ?limit= and
// ?before= for paging.
func (a *auditor) handleAudit(ctx context.Context, c *call) error {
	limit, err := queryLimit(c.r)
	if err != nil {
		return err
	}
	before := c.r.URL.Query().Get("before")
	if before != "" && !streamIDPattern.MatchString(before) {
		return invalid("before must be an audit entry id such as 1732800000000-0")
	}
	entries, err := a.store.AuditPage(ctx, before, limit)
	if err != nil {
		return err
	}
	out := auditList{Entries: make([]auditEntry, 0, len(entries))}
	for _, e := range entries {
		out.Entries = append(out.Entries, toAuditEntry(e))
	}
	c.json(http.StatusOK, out)
	return nil
}

func toAuditEntry(e mobilize.AuditEntry) auditEntry {
	f := e.Fields
	n, _ := strconv.Atoi(f["count"])
	return auditEntry{
		ID: e.ID, At: f["at"], Actor: f["actor"], Role: Role(f["role"]), OrgID: f["org_id"],
		Action: f["action"], Target: f["target"], Count: n, Reason: f["reason"],
	}
}
