package mobilize

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"
)

// Team messages (issue 20, item 4): a need's team has a thread that its
// members and the staff following the need write in. Each message is
// kept with the need (redisstore/messages.go) and delivered to every
// other member's durable inbox through the event sink, so that it
// survives reconnects and restarts. Push and SMS delivery of messages
// belong to the delivery ladder (mobilize/reach): MessagePosted is the
// seam it will listen to.

// Message limits.
const (
	MaxMessageRunes          = 500  // characters
	MaxMessageBytes          = 2000 // and bytes, whatever the script
	DefaultMessagesPerMinute = 10   // per sender
	// MaxThreadMessages bounds what a thread keeps (the oldest go).
	MaxThreadMessages = 1000
)

// ErrTooManyMessages refuses a message over the sender's per-minute
// budget.
var ErrTooManyMessages = errors.New("too many messages")

// MessageConfig tunes the limits; zero values take the defaults.
type MessageConfig struct {
	PerMinute int // messages one sender may post a minute
}

func (c MessageConfig) perMinute() int {
	if c.PerMinute <= 0 {
		return DefaultMessagesPerMinute
	}
	return c.PerMinute
}

// SenderKind tells a responder from a staff member.
type SenderKind string

const (
	SenderResponder SenderKind = "responder"
	SenderStaff     SenderKind = "staff"
)

// Sender is who writes: a responder (ID is the responder id) or a staff
// member (ID is the username, Role their role).
type Sender struct {
	Kind SenderKind
	ID   string
	Role string
}

// key names the sender in records and rate budgets: staff and responder
// ids live in different name spaces.
func (s Sender) key() string { return string(s.Kind) + ":" + s.ID }

// TeamMessage is one message of a need's thread.
type TeamMessage struct {
	ID   string // the thread's id for it, increasing ("<ms>-<seq>")
	Need NeedID
	From Sender
	Text string
	At   time.Time
}

// MessageOutcome is what came of posting.
type MessageOutcome string

const (
	MessageOK          MessageOutcome = "ok"
	MessageUnknownNeed MessageOutcome = "unknown_need"
	MessageClosed      MessageOutcome = "closed" // the need is over
	MessageRateLimited MessageOutcome = "rate_limited"
)

// Known reports whether o is one of the message outcomes.
func (o MessageOutcome) Known() bool {
	switch o {
	case MessageOK, MessageUnknownNeed, MessageClosed, MessageRateLimited:
		return true
	}
	return false
}

// MessageStore keeps the threads and who read how far.
type MessageStore interface {
	// PostMessage appends m to its need's thread unless the need is over
	// or the sender posted perMinute messages in the last minute, and
	// returns it with its id.
	PostMessage(ctx context.Context, m TeamMessage, perMinute int) (MessageOutcome, TeamMessage, error)
	// Thread returns the newest limit messages of a need, oldest first.
	Thread(ctx context.Context, need NeedID, limit int) ([]TeamMessage, error)
	// MarkRead records that rid read the thread up to the message upTo
	// (never moving back); ReadMarks returns every member's mark.
	MarkRead(ctx context.Context, need NeedID, rid ResponderID, upTo string) error
	ReadMarks(ctx context.Context, need NeedID) (map[ResponderID]string, error)
	// CountMessage counts one message of the sender (Sender.key) against
	// perMinute, and reports false, counting nothing, when it is spent.
	CountMessage(ctx context.Context, sender string, perMinute int) (bool, error)
}

// ValidMessageText checks a message: 1..500 characters of text, no
// control characters but line breaks and tabs, and no invisible
// characters that reorder or hide what the reader sees.
func ValidMessageText(text string) error {
	var problem string
	switch {
	case strings.TrimSpace(text) == "":
		problem = "text is required"
	case !utf8.ValidString(text):
		problem = "text is not valid UTF-8"
	case len(text) > MaxMessageBytes || utf8.RuneCountInString(text) > MaxMessageRunes:
		problem = fmt.Sprintf("text is longer than %d characters", MaxMessageRunes)
	case strings.ContainsFunc(text, func(r rune) bool { return unicode.IsControl(r) && r != '\n' && r != '\t' && r != '\r' }):
		problem = "text contains control characters"
	case strings.ContainsFunc(text, HiddenInFreeText):
		problem = "text contains invisible characters (bidi controls or zero-width characters)"
	}
	if problem != "" {
		return fmt.Errorf("message: %s: %w", problem, ErrInvalid)
	}
	return nil
}

// onTeam reports whether rid holds (or held, until completion) a place
// on n's team.
func onTeam(n NeedState, rid ResponderID) bool {
	_, ok := teamRole(n, rid)
	return ok
}

// teamRole is the role of rid's place on n's team.
func teamRole(n NeedState, rid ResponderID) (Role, bool) {
	for _, a := range n.Assignments {
		if a.ResponderID == rid && (a.State == AssignAccepted || a.State == AssignCompleted) {
			return a.Role, true
		}
	}
	return "", false
}

// teamBut lists the members of n's team other than the sender.
func teamBut(n NeedState, from Sender) []ResponderID {
	var out []ResponderID
	seen := map[ResponderID]bool{}
	for _, a := range n.Assignments {
		if a.State != AssignAccepted && a.State != AssignCompleted || seen[a.ResponderID] {
			continue
		}
		seen[a.ResponderID] = true
		if from.Kind == SenderResponder && string(a.ResponderID) == from.ID {
			continue
		}
		out = append(out, a.ResponderID)
	}
	return out
}

// PostTeamMessage writes text in the thread of need id and delivers it to
// every other member of the team. A responder must be on the team (others
// are told the need is not found) and writes in the role of their place;
// staff must have been let see the need
// by the caller. A need that is over takes no more messages.
func (s *Service) PostTeamMessage(ctx context.Context, id NeedID, from Sender, text string) (TeamMessage, error) {
	if err := ValidMessageText(text); err != nil {
		return TeamMessage{}, err
	}
	n, err := s.store.Need(ctx, id)
	if err != nil {
		return TeamMessage{}, err
	}
	if from.Kind == SenderResponder {
		role, ok := teamRole(n, ResponderID(from.ID))
		if !ok {
			return TeamMessage{}, fmt.Errorf("message to need %s: not on its team: %w", id, ErrNotFound)
		}
		from.Role = string(role)
	}
	if n.Status.Terminal() {
		return TeamMessage{}, fmt.Errorf("message to need %s: it is %s: %w", id, n.Status, ErrInvalidTransition)
	}
	out, m, err := s.store.PostMessage(ctx, TeamMessage{Need: id, From: from, Text: text, At: s.now()}, s.messages.perMinute())
	if err != nil {
		return TeamMessage{}, err
	}
	switch out {
	case MessageUnknownNeed:
		return TeamMessage{}, fmt.Errorf("message to need %s: %w", id, ErrNotFound)
	case MessageClosed:
		return TeamMessage{}, fmt.Errorf("message to need %s: it is over: %w", id, ErrInvalidTransition)
	case MessageRateLimited:
		return TeamMessage{}, fmt.Errorf("message to need %s: more than %d a minute: %w", id, s.messages.perMinute(), ErrTooManyMessages)
	}
	s.sink.Emit(ctx, MessagePosted{Need: n.Need, Message: m, To: teamBut(n, from), Scope: ScopeTeam})
	return m, nil
}

// TeamThread reads the thread of n for someone let see it, with each
// member's read mark. A responder must be on the team.
func (s *Service) TeamThread(ctx context.Context, n NeedState, reader Sender, limit int) ([]TeamMessage, map[ResponderID]string, error) {
	if reader.Kind == SenderResponder && !onTeam(n, ResponderID(reader.ID)) {
		return nil, nil, fmt.Errorf("thread of need %s: not on its team: %w", n.ID, ErrNotFound)
	}
	msgs, err := s.store.Thread(ctx, n.ID, limit)
	if err != nil {
		return nil, nil, err
	}
	marks, err := s.store.ReadMarks(ctx, n.ID)
	if err != nil {
		return nil, nil, err
	}
	return msgs, marks, nil
}

// MarkThreadRead records that a member read the thread up to upTo: the
// read receipt the staff see.
func (s *Service) MarkThreadRead(ctx context.Context, id NeedID, rid ResponderID, upTo string) error {
	n, err := s.store.Need(ctx, id)
	if err != nil {
		return err
	}
	if !onTeam(n, rid) {
		return fmt.Errorf("read mark on need %s: not on its team: %w", id, ErrNotFound)
	}
	if err := s.store.MarkRead(ctx, id, rid, upTo); err != nil {
		return err
	}
	s.sink.Emit(ctx, ThreadRead{Need: n.Need, Responder: rid, UpTo: upTo, At: s.now()})
	return nil
}

// MessageResponder sends text to one responder's durable inbox, from a
// staff member the caller let see them. It is not kept with a need: the
// inbox is its record (a responder's export shows it, an erasure
// deletes it), the audit log says who wrote to whom.
func (s *Service) MessageResponder(ctx context.Context, rid ResponderID, from Sender, text string) (TeamMessage, error) {
	if err := ValidMessageText(text); err != nil {
		return TeamMessage{}, err
	}
	if _, err := s.store.Get(ctx, rid); err != nil {
		return TeamMessage{}, err
	}
	ok, err := s.store.CountMessage(ctx, from.key(), s.messages.perMinute())
	if err != nil {
		return TeamMessage{}, err
	}
	if !ok {
		return TeamMessage{}, fmt.Errorf("message to %s: more than %d a minute: %w", rid, s.messages.perMinute(), ErrTooManyMessages)
	}
	var b [8]byte
	rand.Read(b[:])
	m := TeamMessage{ID: "d" + hex.EncodeToString(b[:]), From: from, Text: text, At: s.now()}
	if err := s.post(ctx, MessagePosted{Message: m, To: []ResponderID{rid}, Scope: ScopeDirect}); err != nil {
		return TeamMessage{}, err
	}
	return m, nil
}

// InboxWriter stores a staff message in each recipient's durable inbox
// and returns once every entry is written (mobilize/notify implements
// it). A direct or area message has no other record, so it must be in
// the inboxes before its sender hears "sent".
type InboxWriter interface {
	WriteMessage(ctx context.Context, e MessagePosted) error
}

// post stores e in the inboxes when the service has a writer, then tells
// the sinks. A failed write answers an error and tells nobody: the sender
// may send again (a recipient whose entry was written before the failure
// then has it twice, under two ids, rather than none).
func (s *Service) post(ctx context.Context, e MessagePosted) error {
	if s.inboxes != nil {
		if err := s.inboxes.WriteMessage(ctx, e); err != nil {
			return fmt.Errorf("message %s not stored: %w", e.Message.ID, err)
		}
		e.Stored = true
	}
	s.sink.Emit(ctx, e)
	return nil
}
