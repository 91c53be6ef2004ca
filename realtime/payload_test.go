package realtime

import (
	"bytes"
	"encoding/json"
	"reflect"
	"slices"
	"testing"

	"github.com/liandong/liandong/realtime/wire"
)

// awkward are strings that exercise appendString: what JSON must escape,
// what encoding/json would escape but the hand-written encoder keeps, and
// non-ASCII text.
var awkward = []string{
	"",
	"plain",
	`ack needs data {"id": "<inbox id>"}`,
	`back\slash and "quotes"`,
	"control \x00\x01\t\n\r\x1f characters",
	"a & b < c > d",
	"line\u2028and paragraph\u2029separators",
	"联动 émoji 🚑",
}

// decodeExactly decodes b into a new value of want's type, refusing
// unknown fields, and checks it equals want and that b has exactly the
// keys json.Marshal(want) has, so that omitempty is honoured too.
func decodeExactly(t *testing.T, b []byte, want any) {
	t.Helper()
	got := reflect.New(reflect.TypeOf(want))
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(got.Interface()); err != nil {
		t.Fatalf("%s does not decode into %T: %v", b, want, err)
	}
	if dec.More() {
		t.Fatalf("%s: trailing data", b)
	}
	if !reflect.DeepEqual(got.Elem().Interface(), want) {
		t.Fatalf("%s decodes to %+v, want %+v", b, got.Elem().Interface(), want)
	}
	marshalled, err := json.Marshal(want)
	if err != nil {
		t.Fatal(err)
	}
	if k, wantK := jsonKeys(t, b), jsonKeys(t, marshalled); !slices.Equal(k, wantK) {
		t.Fatalf("%s has keys %v, json.Marshal writes %v", b, k, wantK)
	}
}

func jsonKeys(t *testing.T, b []byte) []string {
	t.Helper()
	var m map[string]json.RawMessage
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatalf("%s: %v", b, err)
	}
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}

func TestHandWrittenErrorIsWireError(t *testing.T) {
	for _, code := range []string{CodeInvalidAck, "", `odd"code`} {
		for _, msg := range awkward {
			e := wire.Error{Code: code, Message: msg}
			decodeExactly(t, appendError(nil, e), e)
		}
	}
}

func TestHandWrittenResyncIsWireResync(t *testing.T) {
	for _, reason := range []string{ResyncMalformed, ResyncUnknown, ResyncTrimmed} {
		for _, lastID := range []string{"", "1764387782123-0"} {
			r := wire.Resync{Reason: reason, LastID: lastID}
			decodeExactly(t, appendResync(nil, r), r)
		}
	}
	for _, s := range awkward {
		r := wire.Resync{Reason: s, LastID: s}
		decodeExactly(t, appendResync(nil, r), r)
	}
}

// The frames the hub sends around them are envelopes of the wire type
// names, with the payload unchanged.
func TestHandWrittenFramesCarryTheirType(t *testing.T) {
	e := wire.Error{Code: CodeInvalidMessage, Message: awkward[2]}
	r := wire.Resync{Reason: ResyncTrimmed, LastID: "1764387782123-0"}
	for _, c := range []struct {
		typ, id string
		data    []byte
	}{
		{wire.TypeError, "c1k2j3-7", appendError(nil, e)},
		{wire.TypeError, "", appendError(nil, e)},
		{wire.TypeResync, "", appendResync(nil, r)},
	} {
		frame := appendServerFrame(c.typ, c.id, "2026-11-29T03:43:11.000Z", c.data)
		env, err := DecodeEnvelope(frame)
		if err != nil {
			t.Fatalf("%s: %v", frame, err)
		}
		if env.Type != c.typ || env.ID != c.id || !bytes.Equal(env.Data, c.data) {
			t.Errorf("%s decodes to type %q id %q data %s", frame, env.Type, env.ID, env.Data)
		}
	}
}
