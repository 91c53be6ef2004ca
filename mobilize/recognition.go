package mobilize

import (
	"fmt"
	"strings"
	"time"
	"unicode/utf8"
)

// Recognition: what the people served say about the help (feedback, 评单),
// how reliable each responder and organisation has been, and the hours
// they served. The records live in Redis (redisstore); the rules are here.

// Feedback limits.
const (
	MinRating          = 1
	MaxRating          = 5
	MaxFeedbackRunes   = 1000 // a comment, in characters
	MaxFeedbackBytes   = 4000 // and in bytes, whatever the script
	DefaultFeedbackTTL = 14 * 24 * time.Hour
)

// Feedback is one rating of one completed need, by or for the person
// served.
type Feedback struct {
	Need    NeedID
	Rating  int
	Comment string
	At      time.Time
}

// Validate refuses a rating outside 1..5 and an oversized comment.
func (f Feedback) Validate() error {
	var problems []string
	if f.Rating < MinRating || f.Rating > MaxRating {
		problems = append(problems, fmt.Sprintf("rating must be %d..%d", MinRating, MaxRating))
	}
	if !utf8.ValidString(f.Comment) || len(f.Comment) > MaxFeedbackBytes || utf8.RuneCountInString(f.Comment) > MaxFeedbackRunes {
		problems = append(problems, fmt.Sprintf("comment must be valid text of at most %d characters", MaxFeedbackRunes))
	}
	if len(problems) > 0 {
		return fmt.Errorf("feedback: %s: %w", strings.Join(problems, "; "), ErrInvalid)
	}
	return nil
}

// FeedbackOutcome is what a feedback link meets: FeedbackOK when its
// rating was stored, or, asked without a rating, while it may be used.
type FeedbackOutcome string

const (
	FeedbackOK      FeedbackOutcome = "ok"
	FeedbackUnknown FeedbackOutcome = "unknown" // no such need, or not completed
	FeedbackExpired FeedbackOutcome = "expired"
	FeedbackUsed    FeedbackOutcome = "used"
)

// Known reports whether o is one of the feedback outcomes.
func (o FeedbackOutcome) Known() bool {
	switch o {
	case FeedbackOK, FeedbackUnknown, FeedbackExpired, FeedbackUsed:
		return true
	}
	return false
}

// ReliabilityRecord is what a responder's (or an organisation's members')
// history says: assignments completed, offers declined or left to lapse,
// and the ratings of the needs they completed.
type ReliabilityRecord struct {
	Completed int
	Lapsed    int // declined or expired offers
	RatingSum int
	Ratings   int
}

// Add sums two records (an organisation is the sum of its members).
func (r ReliabilityRecord) Add(o ReliabilityRecord) ReliabilityRecord {
	return ReliabilityRecord{r.Completed + o.Completed, r.Lapsed + o.Lapsed, r.RatingSum + o.RatingSum, r.Ratings + o.Ratings}
}

// The priors of Score: a newcomer counts as having completed priorAnswers
// offers and received priorRatings ratings of priorRating, so that one
// decline or one bad rating moves the score only a little and a record
// with no history costs nothing.
const (
	priorAnswers = 4.0
	priorRatings = 3.0
	priorRating  = 4.5
)

// Score is reliability in 0..1: the mean of the (smoothed) share of
// offers answered by completing the task and the (smoothed) mean rating
// scaled to 0..1. A newcomer scores about 0.94; someone who always
// declines or is rated 1 tends to 0.
func (r ReliabilityRecord) Score() float64 {
	answered := (float64(r.Completed) + priorAnswers) / (float64(r.Completed+r.Lapsed) + priorAnswers)
	meanRating := (float64(r.RatingSum) + priorRating*priorRatings) / (float64(r.Ratings) + priorRatings)
	satisfaction := (meanRating - MinRating) / (MaxRating - MinRating)
	return (answered + satisfaction) / 2
}

// newcomerScore is the score of an empty record, below which the matcher
// starts to weigh someone down.
var newcomerScore = ReliabilityRecord{}.Score()

// UnreliabilityShare is how far below a newcomer's score r lies, 0..1:
// 0 for a newcomer or better, 1 for a score of 0.
func (r ReliabilityRecord) UnreliabilityShare() float64 {
	s := r.Score()
	if s >= newcomerScore {
		return 0
	}
	return (newcomerScore - s) / newcomerScore
}

// DefaultHoursCap bounds the hours one assignment credits, so that a
// forgotten "done" does not inflate a record.
const DefaultHoursCap = 12 * time.Hour

// MaxEditedHours bounds what a coordinator may set one entry to.
const MaxEditedHours = 24.0

// ServiceEntry is one completed assignment in a responder's hours ledger,
// with any correction a coordinator made.
type ServiceEntry struct {
	ID          string // ledger entry id (a Redis stream id)
	Need        NeedID
	Offer       OfferID
	Role        Role
	Category    string
	OrgID       string // the organisation that owned the need, if any
	AcceptedAt  time.Time
	CompletedAt time.Time
	// Rule says which rule credited the hours: from arrival on scene to
	// leaving (or completion) when an arrival was reported, else from
	// acceptance to completion. ArrivedAt and LeftAt are the reports
	// (LeftAt zero when the member completed without leaving first).
	Rule      HoursRule
	ArrivedAt time.Time
	LeftAt    time.Time
	// Edited is set when a coordinator corrected the hours; Hours then
	// holds the corrected figure.
	Edited     bool
	EditReason string
	EditedBy   string
	EditedAt   time.Time
	Hours      float64 // credited hours
	Rating     int     // the need's rating, 0 if none yet
}

// HoursRule is how an entry's hours were counted.
type HoursRule string

const (
	HoursFromAcceptance HoursRule = "acceptance" // no arrival was reported: the old rule
	HoursFromArrival    HoursRule = "arrival"
)

// ServedHours are the hours an entry credits by its rule, capped.
func (e ServiceEntry) ServedHours(cap time.Duration) float64 {
	if e.Rule == HoursFromArrival && !e.ArrivedAt.IsZero() {
		end := e.CompletedAt
		if !e.LeftAt.IsZero() && e.LeftAt.Before(end) {
			end = e.LeftAt
		}
		return CreditedHours(e.ArrivedAt, end, cap)
	}
	return CreditedHours(e.AcceptedAt, e.CompletedAt, cap)
}

// CreditedHours is the time from acceptance to completion, capped.
func CreditedHours(accepted, completed time.Time, cap time.Duration) float64 {
	d := completed.Sub(accepted)
	if d < 0 || accepted.IsZero() {
		d = 0
	}
	if cap > 0 && d > cap {
		d = cap
	}
	return roundHours(d.Hours())
}

// roundHours keeps two decimals: records are read by people.
func roundHours(h float64) float64 {
	return float64(int64(h*100+0.5)) / 100
}

// ValidHoursEdit checks a coordinator's correction.
func ValidHoursEdit(hours float64, reason string) error {
	var problems []string
	if hours < 0 || hours > MaxEditedHours || hours != hours {
		problems = append(problems, fmt.Sprintf("hours must be 0..%g", MaxEditedHours))
	}
	if strings.TrimSpace(reason) == "" || utf8.RuneCountInString(reason) > 500 || !utf8.ValidString(reason) {
		problems = append(problems, "reason must be 1..500 characters")
	}
	if len(problems) > 0 {
		return fmt.Errorf("hours edit: %s: %w", strings.Join(problems, "; "), ErrInvalid)
	}
	return nil
}
