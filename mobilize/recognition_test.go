package mobilize

import (
	"errors"
	"strings"
	"testing"
	"time"
)

func TestReliabilityScore(t *testing.T) {
	newcomer := ReliabilityRecord{}
	if s := newcomer.Score(); s < 0.93 || s > 0.94 || newcomer.UnreliabilityShare() != 0 {
		t.Fatalf("newcomer %v share %v", s, newcomer.UnreliabilityShare())
	}
	for _, tc := range []struct {
		name        string
		worse, than ReliabilityRecord
	}{
		{"one lapse", ReliabilityRecord{Lapsed: 1}, newcomer},
		{"many lapses", ReliabilityRecord{Lapsed: 10}, ReliabilityRecord{Lapsed: 1}},
		{"low ratings", ReliabilityRecord{Completed: 5, RatingSum: 5, Ratings: 5}, ReliabilityRecord{Completed: 5, RatingSum: 25, Ratings: 5}},
	} {
		if tc.worse.Score() >= tc.than.Score() {
			t.Errorf("%s: %v is not below %v", tc.name, tc.worse.Score(), tc.than.Score())
		}
	}
	good := ReliabilityRecord{Completed: 20, RatingSum: 100, Ratings: 20}
	if good.UnreliabilityShare() != 0 || good.Score() <= newcomer.Score() {
		t.Errorf("a good record: %v share %v", good.Score(), good.UnreliabilityShare())
	}
	awful := ReliabilityRecord{Lapsed: 1000, RatingSum: 1000, Ratings: 1000}
	if s := awful.UnreliabilityShare(); s < 0.95 || s > 1 {
		t.Errorf("an awful record's share %v", s)
	}
}

func TestFeedbackValidate(t *testing.T) {
	for _, f := range []Feedback{{Rating: 0}, {Rating: 6}, {Rating: -1}, {Rating: 3, Comment: strings.Repeat("字", 1001)}, {Rating: 3, Comment: "\xff"}} {
		if err := f.Validate(); !errors.Is(err, ErrInvalid) {
			t.Errorf("%+v accepted", f)
		}
	}
	for _, f := range []Feedback{{Rating: 1}, {Rating: 5, Comment: strings.Repeat("字", 1000)}} {
		if err := f.Validate(); err != nil {
			t.Errorf("%d-rune comment refused: %v", len([]rune(f.Comment)), err)
		}
	}
}

func TestCreditedHours(t *testing.T) {
	at := time.Date(2026, 11, 28, 8, 0, 0, 0, time.UTC)
	for _, tc := range []struct {
		d    time.Duration
		want float64
	}{{90 * time.Minute, 1.5}, {20 * time.Hour, 12}, {-time.Hour, 0}, {time.Minute, 0.02}} {
		if got := CreditedHours(at, at.Add(tc.d), 12*time.Hour); got != tc.want {
			t.Errorf("%s: %v, want %v", tc.d, got, tc.want)
		}
	}
}
