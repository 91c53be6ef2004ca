package realtime

import (
	"bytes"
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"
)

func TestDecodeEnvelope(t *testing.T) {
	ts := time.Date(2026, 11, 28, 12, 0, 0, 0, time.UTC)
	tests := []struct {
		name string
		in   string
		want Envelope
		err  error
	}{
		{"full", `{"v":1,"type":"offer","id":"1732800000000-0","ts":"2026-11-28T12:00:00Z","data":{"a":1}}`,
			Envelope{V: 1, Type: "offer", ID: "1732800000000-0", TS: ts, Data: json.RawMessage(`{"a":1}`)}, nil},
		{"minimal", `{"v":1,"type":"ack"}`, Envelope{V: 1, Type: "ack"}, nil},
		{"whitespace", " \n{ \"type\" : \"location\" , \"v\" : 1 ,\"data\": { } }\r\n ",
			Envelope{V: 1, Type: "location", Data: json.RawMessage(`{ }`)}, nil},
		{"null data", `{"v":1,"type":"x","data":null}`, Envelope{V: 1, Type: "x"}, nil},
		{"ts with offset becomes UTC", `{"v":1,"type":"x","ts":"2026-11-28T20:00:00+08:00"}`,
			Envelope{V: 1, Type: "x", TS: ts}, nil},
		{"dotted type", `{"v":1,"type":"need.created"}`, Envelope{V: 1, Type: "need.created"}, nil},

		{"empty", ``, Envelope{}, ErrNotJSON},
		{"not json", `hello`, Envelope{}, ErrNotJSON},
		{"truncated", `{"v":1,"type":"x"`, Envelope{}, ErrNotJSON},
		{"array", `[1,2]`, Envelope{}, ErrNotObject},
		{"string", `"offer"`, Envelope{}, ErrNotObject},
		{"null", `null`, Envelope{}, ErrNotObject},
		{"trailing object", `{"v":1,"type":"x"}{"v":1,"type":"y"}`, Envelope{}, ErrTrailingData},
		{"trailing garbage", `{"v":1,"type":"x"} x`, Envelope{}, ErrTrailingData},
		{"missing type", `{"v":1}`, Envelope{}, ErrMissingType},
		{"empty type", `{"v":1,"type":""}`, Envelope{}, ErrMissingType},
		{"missing v", `{"type":"x"}`, Envelope{}, ErrVersion},
		{"v 2", `{"v":2,"type":"x"}`, Envelope{}, ErrVersion},
		{"v string", `{"v":"1","type":"x"}`, Envelope{}, ErrVersion},
		{"v float", `{"v":1.5,"type":"x"}`, Envelope{}, ErrVersion},
		{"type number", `{"v":1,"type":7}`, Envelope{}, ErrBadField},
		{"type with space", `{"v":1,"type":"a b"}`, Envelope{}, ErrBadField},
		{"type too long", `{"v":1,"type":"` + strings.Repeat("a", 65) + `"}`, Envelope{}, ErrBadField},
		{"id number", `{"v":1,"type":"x","id":5}`, Envelope{}, ErrBadField},
		{"id too long", `{"v":1,"type":"x","id":"` + strings.Repeat("1", 129) + `"}`, Envelope{}, ErrBadField},
		{"bad ts", `{"v":1,"type":"x","ts":"yesterday"}`, Envelope{}, ErrBadField},
		{"data array", `{"v":1,"type":"x","data":[1]}`, Envelope{}, ErrBadField},
		{"data string", `{"v":1,"type":"x","data":"hi"}`, Envelope{}, ErrBadField},
		{"unknown field", `{"v":1,"type":"x","extra":true}`, Envelope{}, ErrUnknownField},
		{"wrong case key", `{"v":1,"TYPE":"x"}`, Envelope{}, ErrUnknownField},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := DecodeEnvelope([]byte(tt.in))
			if tt.err != nil {
				if !errors.Is(err, tt.err) {
					t.Fatalf("err = %v, want %v", err, tt.err)
				}
				if err.Error() == "" {
					t.Fatal("empty error message")
				}
				return
			}
			if err != nil {
				t.Fatalf("unexpected error: %v", err)
			}
			if !envelopesEqual(got, tt.want) {
				t.Fatalf("got %+v, want %+v", got, tt.want)
			}
		})
	}
}

func TestEnvelopeMarshal(t *testing.T) {
	ts := time.Date(2026, 11, 28, 12, 0, 0, 0, time.UTC)
	b, err := json.Marshal(Envelope{V: 1, Type: "offer", ID: "1732800000000-0", TS: ts, Data: json.RawMessage(`{"x":"y"}`)})
	if err != nil {
		t.Fatal(err)
	}
	want := `{"v":1,"type":"offer","id":"1732800000000-0","ts":"2026-11-28T12:00:00.000Z","data":{"x":"y"}}`
	if string(b) != want {
		t.Fatalf("got  %s\nwant %s", b, want)
	}
	if _, err := json.Marshal(Envelope{Type: "x", Data: json.RawMessage(`[1]`)}); err == nil {
		t.Fatal("array data was accepted")
	}
	// An id a client sent comes back escaped.
	b, _ = json.Marshal(Envelope{Type: "error", ID: "a\"b\\c\n"})
	if env, err := DecodeEnvelope(b); err != nil || env.ID != "a\"b\\c\n" {
		t.Fatalf("escaped id: %s -> %+v, %v", b, env, err)
	}
}

func envelopesEqual(a, b Envelope) bool {
	return a.V == b.V && a.Type == b.Type && a.ID == b.ID && a.TS.Equal(b.TS) && bytes.Equal(a.Data, b.Data)
}

// FuzzDecodeEnvelope: the decoder never panics, and whatever it accepts
// survives a round trip through the server's encoder unchanged.
func FuzzDecodeEnvelope(f *testing.F) {
	for _, s := range []string{
		`{"v":1,"type":"offer","id":"1732800000000-0","ts":"2026-11-28T12:00:00Z","data":{"offer_id":"o1"}}`,
		`{"v":1,"type":"ack","data":{"id":"1-0"}}`,
		`{"v":1,"type":"location","data":{"lat":37.5,"lng":121.4}}`,
		`{"v":1,"type":"subscribe","data":{"bbox":[121.0,37.0,122.0,38.0]}}`,
		`{"v":1,"type":"x","data":null}`,
		`{"v":2,"type":"x"}`, `{"v":1}`, `[]`, `null`, `{"v":1,"type":"x"} {}`,
		`{"v":1,"type":"x","id":"\u0000\"\\"}`, `{"v":1,"type":"x","ts":"2026-11-28T12:00:00.123456789+05:30"}`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, in []byte) {
		env, err := DecodeEnvelope(in)
		if err != nil {
			if env.Type != "" || env.Data != nil {
				t.Fatalf("error %v with a non-empty envelope %+v", err, env)
			}
			return
		}
		if env.V != Version || !validType(env.Type) || len(env.ID) > maxIDLen {
			t.Fatalf("accepted an invalid envelope %+v from %q", env, in)
		}
		out, err := json.Marshal(env)
		if err != nil {
			t.Fatalf("accepted %q but cannot encode it: %v", in, err)
		}
		back, err := DecodeEnvelope(out)
		if err != nil {
			t.Fatalf("own encoding %s rejected: %v", out, err)
		}
		// The encoder writes milliseconds; compare at that precision.
		env.TS = env.TS.Truncate(time.Millisecond)
		if env.Data == nil {
			env.Data = json.RawMessage(`{}`)
		}
		if !envelopesEqual(env, back) {
			t.Fatalf("round trip changed %+v into %+v (wire %s)", env, back, out)
		}
	})
}
