package recording

import (
	"bytes"
	"strings"
	"testing"
	"time"
)

func sample() Recording {
	return Recording{
		Header: Header{Scenario: "test", Seed: 7, Start: time.Date(2026, 12, 7, 8, 0, 0, 0, time.UTC)},
		Records: []Record{
			{T: 0, Type: TypeResponder, Responder: "p1", Role: "volunteer", Skills: []string{"first_aid"}, Lat: 37.5, Lng: 121.4, MaxConcurrent: 1},
			{T: 0, Type: TypeResponder, Responder: "p2", Role: "medic", Lat: 37.51, Lng: 121.41, OnDuty: Bool(false)},
			{T: 1500, Type: TypeNeed, Need: "n1", Category: "medical", Urgency: 1, Lat: 37.5, Lng: 121.4,
				Team: []TeamSlot{{Role: "medic", Count: 1}}, DeadlineMs: 600_000},
			{T: 2000, Type: TypeAnswer, Need: "n1", Responder: "p1", Answer: Accept, DelayMs: 3000, TaskMs: 60_000},
			{T: 900, Type: TypeDuty, Responder: "p2", OnDuty: Bool(true)},
			{T: 5000, Type: TypePosition, Responder: "p1", Lat: 37.52, Lng: 121.42},
		},
	}
}

func TestWriteThenReadGivesTheSameRecordsInTimeOrder(t *testing.T) {
	var buf bytes.Buffer
	if err := Write(&buf, sample()); err != nil {
		t.Fatal(err)
	}
	got, err := Read(&buf)
	if err != nil {
		t.Fatal(err)
	}
	if got.Header.Format != Format || got.Header.Version != Version || got.Header.Seed != 7 {
		t.Fatalf("header %+v", got.Header)
	}
	if len(got.Records) != 6 {
		t.Fatalf("%d records", len(got.Records))
	}
	for i := 1; i < len(got.Records); i++ {
		if got.Records[i].T < got.Records[i-1].T {
			t.Fatalf("records out of order at %d", i)
		}
	}
	if got.Records[2].Type != TypeDuty || !got.Records[2].Duty() {
		t.Fatalf("the duty change at 900 ms should be third: %+v", got.Records[2])
	}
	if got.Records[1].Duty() {
		t.Fatal("p2 was recorded off duty")
	}
}

func TestReadRejectsMalformedLinesNamingTheLine(t *testing.T) {
	var good bytes.Buffer
	if err := Write(&good, sample()); err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSuffix(good.String(), "\n"), "\n")
	cases := []struct {
		name, replace, want string
		at                  int
	}{
		{"unknown field", `{"t":0,"type":"duty","responder":"p1","on_duty":true,"colour":"red"}`, "line 4", 3},
		{"unknown type", `{"t":0,"type":"weather"}`, "line 3", 2},
		{"bad urgency", `{"t":1500,"type":"need","need":"n9","category":"x","urgency":7,"lat":37,"lng":121,"team":[{"role":"medic","count":1}]}`, "line 5", 4},
		{"answer before its need", `{"t":0,"type":"answer","need":"n404","responder":"p1","answer":"accept"}`, "line 3", 2},
		{"bad answer", `{"t":2000,"type":"answer","need":"n1","responder":"p1","answer":"maybe"}`, "line 6", 5},
		{"not json", `{"t":`, "line 2", 1},
		{"time backwards", `{"t":99999,"type":"duty","responder":"p1","on_duty":false}`, "line 5", 3},
		{"wrong version", `{"format":"liandong-recording","version":2,"start":"2026-12-07T08:00:00Z"}`, "version 2", 0},
		{"wrong format", `{"format":"other","version":1,"start":"2026-12-07T08:00:00Z"}`, "format", 0},
		{"empty line", ``, "line 4", 3},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			ls := append([]string(nil), lines...)
			ls[c.at] = c.replace
			_, err := Read(strings.NewReader(strings.Join(ls, "\n") + "\n"))
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("error %v, want one naming %q", err, c.want)
			}
		})
	}
	if _, err := Read(strings.NewReader("")); err == nil {
		t.Fatal("an empty file was accepted")
	}
}

func TestWriterRefusesWhatCouldNotBeReadBack(t *testing.T) {
	var buf bytes.Buffer
	w, err := NewWriter(&buf, Header{})
	if err != nil {
		t.Fatal(err)
	}
	if err := w.Write(Record{T: 5, Type: TypeAnswer, Need: "n", Responder: "r", Answer: "perhaps"}); err == nil {
		t.Fatal("a bad answer was written")
	}
	if err := w.Write(Record{T: 5, Type: TypeDuty, Responder: "r", OnDuty: Bool(true)}); err != nil {
		t.Fatal(err)
	}
	if err := w.Write(Record{T: 4, Type: TypeDuty, Responder: "r", OnDuty: Bool(true)}); err == nil {
		t.Fatal("a record before the previous was written")
	}
}
