package web

import (
	"context"
	"net/http"
	"strconv"

	"github.com/liandong/liandong/mobilize"
)

// Team messages (issue 20, item 4): the thread of a need's team, written
// by its members and by the staff following the need (operators, admins,
// and coordinators who see the need). Each message goes to the other
// members' durable inboxes as a socket "message" (the notifier), so it
// reaches a phone that was offline when it was sent. A member marks how
// far they read; the staff see those marks as read receipts.

// messageApp is what the thread routes need of the application.
type messageApp interface {
	Need(ctx context.Context, id mobilize.NeedID) (mobilize.NeedState, error)
	PostTeamMessage(ctx context.Context, id mobilize.NeedID, from mobilize.Sender, text string) (mobilize.TeamMessage, error)
	TeamThread(ctx context.Context, n mobilize.NeedState, reader mobilize.Sender, limit int) ([]mobilize.TeamMessage, map[mobilize.ResponderID]string, error)
	MarkThreadRead(ctx context.Context, id mobilize.NeedID, rid mobilize.ResponderID, upTo string) error
	MessageResponder(ctx context.Context, rid mobilize.ResponderID, from mobilize.Sender, text string) (mobilize.TeamMessage, error)
	responderReader // a coordinator writes only to its organisation's people
}

// messageGroup serves a need's team thread.
type messageGroup struct {
	app   messageApp
	needs *needGroup // a coordinator's scope
	audit *auditor
}

// messageRequest is the body of POST /api/v1/needs/{id}/messages.
type messageRequest struct {
	Text string `json:"text" api:"required" doc:"1..500 characters of plain text; no control or invisible characters (bidi controls, zero-width spaces)"`
}

// readRequest is the body of POST /api/v1/needs/{id}/messages/read.
type readRequest struct {
	MessageID string `json:"message_id" api:"required" doc:"the last message of the thread the member has read"`
}

// messageJSON is one message of a thread.
type messageJSON struct {
	ID       string   `json:"id" doc:"the message in the thread, <ms>-<seq>, increasing"`
	From     string   `json:"from" doc:"a responder id, or a staff member's username"`
	FromKind string   `json:"from_kind" doc:"responder or staff"`
	FromRole string   `json:"from_role"`
	Text     string   `json:"text" doc:"plain text: show it as text, never as markup"`
	SentAt   string   `json:"sent_at"`
	ReadBy   []string `json:"read_by" doc:"members of the team (other than the writer) who have read it; staff only, empty for a member"`
	// Read receipts (issue 20): names for the staff, counts for everyone.
	Readers   []readerJSON `json:"readers" doc:"who read it, with their names; staff only, empty for a member"`
	ReadCount int          `json:"read_count" doc:"how many of the members it was for have read it"`
	For       int          `json:"for" doc:"how many members it was for: the team, less the writer"`
}

// readerJSON names a member who read a message.
type readerJSON struct {
	ID   string `json:"id"`
	Name string `json:"name"`
}

type threadJSON struct {
	Messages []messageJSON `json:"messages" doc:"oldest first; at most the newest limit"`
}

func toMessageJSON(m mobilize.TeamMessage) messageJSON {
	return messageJSON{
		ID: m.ID, From: m.From.ID, FromKind: string(m.From.Kind), FromRole: m.From.Role,
		Text: m.Text, SentAt: rfc3339(m.At), ReadBy: []string{}, Readers: []readerJSON{},
	}
}

// streamBefore reports whether stream id a comes before b ("<ms>-<seq>").
func streamBefore(a, b string) bool {
	am, as := splitStreamID(a)
	bm, bs := splitStreamID(b)
	return am < bm || (am == bm && as < bs)
}

func splitStreamID(id string) (uint64, uint64) {
	for i := range len(id) {
		if id[i] == '-' {
			ms, _ := strconv.ParseUint(id[:i], 10, 64)
			seq, _ := strconv.ParseUint(id[i+1:], 10, 64)
			return ms, seq
		}
	}
	return 0, 0
}

// sender is who the caller writes as.
func sender(id Identity) mobilize.Sender {
	if id.Role == RoleResponder {
		return mobilize.Sender{Kind: mobilize.SenderResponder, ID: id.Subject}
	}
	return mobilize.Sender{Kind: mobilize.SenderStaff, ID: id.Subject, Role: string(id.Role)}
}

// threadNeed loads the need of the path: for staff within their scope
// (needFor), for a responder as it is (the service checks they are on
// its team).
func (g *messageGroup) threadNeed(ctx context.Context, c *call) (mobilize.NeedState, error) {
	if c.id.Role != RoleResponder {
		return g.needs.needFor(ctx, c)
	}
	nid := c.r.PathValue("id")
	if !idPattern.MatchString(nid) {
		return mobilize.NeedState{}, notFound("need")
	}
	return g.app.Need(ctx, mobilize.NeedID(nid))
}

// handlePost is POST /api/v1/needs/{id}/messages.
func (g *messageGroup) handlePost(ctx context.Context, c *call) error {
	var req messageRequest
	if err := decodeStrict(c.body, &req); err != nil {
		return err
	}
	if err := mobilize.ValidMessageText(req.Text); err != nil {
		return invalid(lastPart(err))
	}
	n, err := g.threadNeed(ctx, c)
	if err != nil {
		return err
	}
	m, err := g.app.PostTeamMessage(ctx, n.ID, sender(c.id), req.Text)
	if err != nil {
		return err
	}
	g.audit.record(ctx, c.id, "need.message", string(n.ID), 0)
	c.json(http.StatusCreated, toMessageJSON(m))
	return nil
}

// handleThread is GET /api/v1/needs/{id}/messages.
func (g *messageGroup) handleThread(ctx context.Context, c *call) error {
	limit, err := queryLimit(c.r)
	if err != nil {
		return err
	}
	n, err := g.threadNeed(ctx, c)
	if err != nil {
		return err
	}
	msgs, marks, err := g.app.TeamThread(ctx, n, sender(c.id), limit)
	if err != nil {
		return err
	}
	if c.id.Role != RoleResponder {
		g.audit.record(ctx, c.id, "need.messages.read", string(n.ID), 0) // staff reading the team's words (PIPL)
	}
	out := threadJSON{Messages: make([]messageJSON, len(msgs))}
	team := teamMembers(n)
	staff := c.id.Role != RoleResponder
	names := map[mobilize.ResponderID]string{}
	if staff {
		names = g.memberNames(ctx, team)
	}
	for i, m := range msgs {
		mj := toMessageJSON(m)
		for _, rid := range team {
			if m.From.Kind == mobilize.SenderResponder && string(rid) == m.From.ID {
				continue // the writer
			}
			mj.For++
			upTo, ok := marks[rid]
			if !ok || streamBefore(upTo, m.ID) {
				continue
			}
			mj.ReadCount++
			if staff {
				mj.ReadBy = append(mj.ReadBy, string(rid))
				mj.Readers = append(mj.Readers, readerJSON{ID: string(rid), Name: names[rid]})
			}
		}
		out.Messages[i] = mj
	}
	c.json(http.StatusOK, out)
	return nil
}

// teamMembers lists n's team: those who accepted a place (or completed
// it), once each, in the order of the places.
func teamMembers(n mobilize.NeedState) []mobilize.ResponderID {
	var out []mobilize.ResponderID
	seen := map[mobilize.ResponderID]bool{}
	for _, a := range n.Assignments {
		if (a.State == mobilize.AssignAccepted || a.State == mobilize.AssignCompleted) && !seen[a.ResponderID] {
			seen[a.ResponderID] = true
			out = append(out, a.ResponderID)
		}
	}
	return out
}

// memberNames reads the team's names for the staff's receipts; a member
// who cannot be read (erased since) is shown by id only.
func (g *messageGroup) memberNames(ctx context.Context, team []mobilize.ResponderID) map[mobilize.ResponderID]string {
	out := make(map[mobilize.ResponderID]string, len(team))
	for _, rid := range team {
		if r, _, err := g.app.Responder(ctx, rid); err == nil {
			out[rid] = r.Name
		}
	}
	return out
}

// handleDirect is POST /api/v1/responders/{id}/messages: staff write to
// one responder's inbox (a coordinator to its organisation's people).
func (g *messageGroup) handleDirect(ctx context.Context, c *call) error {
	var req messageRequest
	if err := decodeStrict(c.body, &req); err != nil {
		return err
	}
	if err := mobilize.ValidMessageText(req.Text); err != nil {
		return invalid(lastPart(err))
	}
	r, _, err := responderFor(ctx, g.app, c)
	if err != nil {
		return err
	}
	m, err := g.app.MessageResponder(ctx, r.ID, sender(c.id), req.Text)
	if err != nil {
		return err
	}
	g.audit.record(ctx, c.id, "responder.message", string(r.ID), 0)
	c.json(http.StatusCreated, toMessageJSON(m))
	return nil
}

// handleRead is POST /api/v1/needs/{id}/messages/read: a member's read
// receipt.
func (g *messageGroup) handleRead(ctx context.Context, c *call) error {
	var req readRequest
	if err := decodeStrict(c.body, &req); err != nil {
		return err
	}
	if !validMessageID(req.MessageID) {
		return invalid("message_id must be a message id of the thread, <ms>-<seq>")
	}
	nid := c.r.PathValue("id")
	if !idPattern.MatchString(nid) {
		return notFound("need")
	}
	if err := g.app.MarkThreadRead(ctx, mobilize.NeedID(nid), mobilize.ResponderID(c.id.Subject), req.MessageID); err != nil {
		return err
	}
	c.w.WriteHeader(http.StatusNoContent)
	return nil
}

// validMessageID accepts exactly "<ms>-<seq>".
func validMessageID(id string) bool {
	if len(id) == 0 || len(id) > 41 {
		return false
	}
	dash := false
	for i := range len(id) {
		switch {
		case id[i] == '-' && !dash && i > 0 && i < len(id)-1:
			dash = true
		case id[i] < '0' || id[i] > '9':
			return false
		}
	}
	return dash
}
