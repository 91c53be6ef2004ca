package web

import (
	"context"
	"fmt"
	"net/http"
	"regexp"
	"strconv"

	"github.com/redis/go-redis/v9"
	"go.uber.org/zap"
)

// auditEntry is one staff action: who, what, when, on which id. Entries
// name ids, never names or phones, so the log itself holds no personal
// data beyond who acted.
type auditEntry struct {
	ID     string `json:"id" doc:"stream id; pass as before= to page"`
	At     string `json:"at"`
	Actor  string `json:"actor"`
	Role   Role   `json:"role"`
	OrgID  string `json:"org_id,omitempty"`
	Action string `json:"action" doc:"e.g. need.create, need.cancel, responder.register, responder.register_batch, user.create, token.revoke, auth.login"`
	Target string `json:"target,omitempty" doc:"the id acted on; for a batch, the id pattern with * for the entry number"`
	Count  int    `json:"count,omitempty" doc:"how many things, for batches"`
}

type auditList struct {
	Entries []auditEntry `json:"entries"`
}

// audit records a staff action in the audit stream. Responders acting on
// themselves are not staff actions and are not recorded. The action has
// happened by the time this runs, so a failure to record it is logged, not
// turned into a failed request the client would retry.
func (a *API) audit(ctx context.Context, id Identity, action, target string, count int) {
	if id.Role == RoleResponder || id.Subject == "" {
		return
	}
	values := []any{"at", rfc3339(a.now()), "actor", id.Subject, "role", string(id.Role), "action", action}
	if id.OrgID != "" {
		values = append(values, "org_id", id.OrgID)
	}
	if target != "" {
		values = append(values, "target", target)
	}
	if count > 0 {
		values = append(values, "count", strconv.Itoa(count))
	}
	err := a.rdb.XAdd(context.WithoutCancel(ctx), &redis.XAddArgs{
		Stream: a.keys.audit(), MaxLen: a.opts.AuditMaxLen, Approx: true, Values: values,
	}).Err()
	if err != nil {
		a.log.Error("audit entry not recorded", zap.String("action", action), zap.String("target", target), zap.Error(err))
	}
}

// streamIDPattern is a Redis stream id, as passed back in before=.
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
func (a *API) handleAudit(ctx context.Context, c *call) error {
	limit, err := queryLimit(c.r)
	if err != nil {
		return err
	}
	end := "+"
	if before := c.r.URL.Query().Get("before"); before != "" {
		if !streamIDPattern.MatchString(before) {
			return invalid("before must be an audit entry id such as 1732800000000-0")
		}
		end = "(" + before
	}
	msgs, err := a.rdb.XRevRangeN(ctx, a.keys.audit(), end, "-", int64(limit)).Result()
	if err != nil {
		return fmt.Errorf("read audit: %w", err)
	}
	out := auditList{Entries: make([]auditEntry, 0, len(msgs))}
	for _, m := range msgs {
		field := func(k string) string { s, _ := m.Values[k].(string); return s }
		n, _ := strconv.Atoi(field("count"))
		out.Entries = append(out.Entries, auditEntry{
			ID: m.ID, At: field("at"), Actor: field("actor"), Role: Role(field("role")), OrgID: field("org_id"),
			Action: field("action"), Target: field("target"), Count: n,
		})
	}
	c.json(http.StatusOK, out)
	return nil
}
