// Package recording reads and writes the recording of an emergency (a
// drill's or an incident's): its demand (every need as created) and its
// people's behaviour (who was where, on duty or not, and how each offer
// was answered and how fast), as JSON Lines, so that it can be replayed
// against other policies (cmd/drill -replay, docs/REPLAY.md).
//
// The first line is a Header; every other line is one Record, in time
// order. The reader is strict: an unknown field, a record of an unknown
// type, a missing id or a time running backwards is an error naming the
// line, because a replay of a half-understood file would prove nothing.
package recording

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"slices"
	"time"
)

// Format and Version head every recording.
const (
	Format  = "liandong-recording"
	Version = 1
)

// Header is the first line.
type Header struct {
	Format   string    `json:"format"`
	Version  int       `json:"version"`
	Scenario string    `json:"scenario,omitempty"` // the drill's scenario name
	Seed     uint64    `json:"seed,omitempty"`     // the drill's seed
	Start    time.Time `json:"start"`              // what offset 0 was, wall clock
	Note     string    `json:"note,omitempty"`
}

// Record types.
const (
	TypeResponder = "responder" // a person joins: role, skills, organisation, first position
	TypePosition  = "position"  // a person reported a position
	TypeDuty      = "duty"      // a person went on or off duty
	TypeNeed      = "need"      // a need was created
	TypeAnswer    = "answer"    // a person answered an offer of a need
)

// Answers.
const (
	Accept  = "accept"
	Decline = "decline"
	Silent  = "silent" // never answered: the offer lapsed or was withdrawn first
)

// TeamSlot is one entry of a need's team.
type TeamSlot struct {
	Role   string   `json:"role"`
	Count  int      `json:"count"`
	Skills []string `json:"skills,omitempty"`
}

// Item is a line of the charity items a need asks for.
type Item struct {
	Item  string `json:"item"`
	Count int    `json:"count"`
}

// Record is one line after the header. T is the offset from the header's
// Start in milliseconds; which other fields apply depends on Type.
type Record struct {
	T    int64  `json:"t"`
	Type string `json:"type"`

	// responder, position, duty: the person; answer: who answered.
	Responder string `json:"responder,omitempty"`
	// need, answer: the need (the recording's id for it).
	Need string `json:"need,omitempty"`

	// responder, position, need: where.
	Lat float64 `json:"lat,omitempty"`
	Lng float64 `json:"lng,omitempty"`

	// responder.
	Role          string   `json:"role,omitempty"`
	Skills        []string `json:"skills,omitempty"`
	Org           string   `json:"org,omitempty"`
	MaxConcurrent int      `json:"max_concurrent,omitempty"`

	// duty (and responder: whether they start on duty).
	OnDuty *bool `json:"on_duty,omitempty"`

	// need.
	Category    string     `json:"category,omitempty"`
	Urgency     int        `json:"urgency,omitempty"`
	Team        []TeamSlot `json:"team,omitempty"`
	Description string     `json:"description,omitempty"`
	Items       []Item     `json:"items,omitempty"`
	// DeadlineMs is the need's deadline after its creation; 0: none.
	DeadlineMs int64 `json:"deadline_ms,omitempty"`

	// answer: T is when the offer reached the person; DelayMs how long
	// they took (for silent: how long the offer was left unanswered);
	// TaskMs, after an accept, how long the task took until completed (0:
	// not completed within the recording).
	Answer  string `json:"answer,omitempty"`
	DelayMs int64  `json:"delay_ms,omitempty"`
	TaskMs  int64  `json:"task_ms,omitempty"`
}

// Duty returns the on-duty flag of a duty or responder record (a
// responder record without one starts on duty).
func (r Record) Duty() bool { return r.OnDuty == nil || *r.OnDuty }

// Bool returns a pointer to b, for OnDuty.
func Bool(b bool) *bool { return &b }

// Validate checks one record on its own.
func (r Record) Validate() error {
	if r.T < 0 {
		return fmt.Errorf("t %d is negative", r.T)
	}
	point := func() error {
		if math.IsNaN(r.Lat) || math.IsNaN(r.Lng) || r.Lat < -90 || r.Lat > 90 || r.Lng < -180 || r.Lng > 180 || (r.Lat == 0 && r.Lng == 0) {
			return fmt.Errorf("position %v,%v is not a place", r.Lat, r.Lng)
		}
		return nil
	}
	switch r.Type {
	case TypeResponder:
		if r.Responder == "" || r.Role == "" {
			return errors.New("responder needs responder and role")
		}
		if r.MaxConcurrent < 0 {
			return errors.New("responder max_concurrent is negative")
		}
		return point()
	case TypePosition:
		if r.Responder == "" {
			return errors.New("position needs responder")
		}
		return point()
	case TypeDuty:
		if r.Responder == "" || r.OnDuty == nil {
			return errors.New("duty needs responder and on_duty")
		}
	case TypeNeed:
		if r.Need == "" || r.Category == "" {
			return errors.New("need needs need and category")
		}
		if r.Urgency < 1 || r.Urgency > 4 {
			return fmt.Errorf("need urgency %d outside 1..4", r.Urgency)
		}
		if len(r.Team) == 0 {
			return errors.New("need has no team")
		}
		for i, t := range r.Team {
			if t.Role == "" || t.Count < 1 {
				return fmt.Errorf("need team entry %d needs a role and a count >= 1", i)
			}
		}
		if r.DeadlineMs < 0 {
			return errors.New("need deadline_ms is negative")
		}
		return point()
	case TypeAnswer:
		if r.Need == "" || r.Responder == "" {
			return errors.New("answer needs need and responder")
		}
		if r.Answer != Accept && r.Answer != Decline && r.Answer != Silent {
			return fmt.Errorf("answer %q: want accept, decline or silent", r.Answer)
		}
		if r.DelayMs < 0 || r.TaskMs < 0 {
			return errors.New("answer delay_ms and task_ms must not be negative")
		}
	default:
		return fmt.Errorf("unknown record type %q", r.Type)
	}
	return nil
}

// Recording is a whole file in memory.
type Recording struct {
	Header  Header
	Records []Record
}

// Writer writes a recording line by line.
type Writer struct {
	w      *bufio.Writer
	last   int64
	header bool
}

// NewWriter writes the header at once.
func NewWriter(w io.Writer, h Header) (*Writer, error) {
	h.Format, h.Version = Format, Version
	wr := &Writer{w: bufio.NewWriter(w)}
	if err := wr.line(h); err != nil {
		return nil, err
	}
	return wr, nil
}

// Write adds one record; records must come in time order and be valid,
// so that what is written can always be read back.
func (w *Writer) Write(r Record) error {
	if err := r.Validate(); err != nil {
		return fmt.Errorf("recording: %w", err)
	}
	if r.T < w.last {
		return fmt.Errorf("recording: t %d before the previous record's %d", r.T, w.last)
	}
	w.last = r.T
	return w.line(r)
}

func (w *Writer) line(v any) error {
	b, err := json.Marshal(v)
	if err != nil {
		return fmt.Errorf("recording: %w", err)
	}
	b = append(b, '\n')
	_, err = w.w.Write(b)
	return err
}

// Flush writes what is buffered.
func (w *Writer) Flush() error { return w.w.Flush() }

// Write writes a whole recording, its records sorted by time (stably, so
// that records of one instant keep their order).
func Write(w io.Writer, rec Recording) error {
	rs := slices.Clone(rec.Records)
	slices.SortStableFunc(rs, func(a, b Record) int { return cmpInt(a.T, b.T) })
	wr, err := NewWriter(w, rec.Header)
	if err != nil {
		return err
	}
	for _, r := range rs {
		if err := wr.Write(r); err != nil {
			return err
		}
	}
	return wr.Flush()
}

func cmpInt(a, b int64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// maxLine bounds one line: a need with a long description fits many times.
const maxLine = 1 << 20

// Read reads a whole recording strictly: the header's format and version,
// then records that are valid, in time order, with unique need and
// responder ids, and answers naming a need and a person recorded before.
// Its errors name the line.
func Read(r io.Reader) (Recording, error) {
	var rec Recording
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64*1024), maxLine)
	line := 0
	needs, people := map[string]bool{}, map[string]bool{}
	var last int64
	for sc.Scan() {
		line++
		b := sc.Bytes()
		if len(bytes.TrimSpace(b)) == 0 {
			return rec, fmt.Errorf("recording line %d: empty line", line)
		}
		if line == 1 {
			if err := strict(b, &rec.Header); err != nil {
				return rec, fmt.Errorf("recording line 1 (header): %w", err)
			}
			if rec.Header.Format != Format {
				return rec, fmt.Errorf("recording line 1: format %q, want %q", rec.Header.Format, Format)
			}
			if rec.Header.Version != Version {
				return rec, fmt.Errorf("recording line 1: version %d, this reader knows %d", rec.Header.Version, Version)
			}
			continue
		}
		var x Record
		if err := strict(b, &x); err != nil {
			return rec, fmt.Errorf("recording line %d: %w", line, err)
		}
		if err := x.Validate(); err != nil {
			return rec, fmt.Errorf("recording line %d: %w", line, err)
		}
		if x.T < last {
			return rec, fmt.Errorf("recording line %d: t %d before the previous line's %d", line, x.T, last)
		}
		last = x.T
		switch x.Type {
		case TypeResponder:
			if people[x.Responder] {
				return rec, fmt.Errorf("recording line %d: responder %q recorded twice", line, x.Responder)
			}
			people[x.Responder] = true
		case TypeNeed:
			if needs[x.Need] {
				return rec, fmt.Errorf("recording line %d: need %q recorded twice", line, x.Need)
			}
			needs[x.Need] = true
		case TypePosition, TypeDuty:
			if !people[x.Responder] {
				return rec, fmt.Errorf("recording line %d: responder %q not recorded before", line, x.Responder)
			}
		case TypeAnswer:
			if !people[x.Responder] || !needs[x.Need] {
				return rec, fmt.Errorf("recording line %d: answer of %q to %q, not both recorded before", line, x.Responder, x.Need)
			}
		}
		rec.Records = append(rec.Records, x)
	}
	if err := sc.Err(); err != nil {
		return rec, fmt.Errorf("recording line %d: %w", line+1, err)
	}
	if line == 0 {
		return rec, errors.New("recording: empty file, want a header line")
	}
	return rec, nil
}

// strict decodes one JSON value and nothing after it, refusing unknown
// fields.
func strict(b []byte, v any) error {
	d := json.NewDecoder(bytes.NewReader(b))
	d.DisallowUnknownFields()
	if err := d.Decode(v); err != nil {
		return err
	}
	if d.More() {
		return errors.New("more than one JSON value on the line")
	}
	return nil
}
