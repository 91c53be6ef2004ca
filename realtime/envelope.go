package realtime

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"time"
	"unicode/utf8"
)

// Version is the only envelope version this package speaks. A client that
// sends another one gets an error instead of a guess, so that v2 can change
// meanings without old servers misreading it.
const Version = 1

// Limits on envelope fields. They keep one client from making the server log
// or echo unbounded strings.
const (
	maxTypeLen = 64
	maxIDLen   = 128
)

// tsLayout is RFC 3339 in UTC with fixed milliseconds, so that every server
// timestamp has the same width and sorts as text.
const tsLayout = "2006-01-02T15:04:05.000Z"

// Envelope is the one wire shape of every websocket message in both
// directions. Data stays raw JSON because the hub routes messages without
// understanding them; only the caller's Handler decodes it.
type Envelope struct {
	V    int             // always Version
	Type string          // e.g. "offer", "location"
	ID   string          // inbox position for durable messages; optional otherwise
	TS   time.Time       // zero when the client sent none
	Data json.RawMessage // a JSON object, or nil
}

// Errors returned (wrapped) by DecodeEnvelope. The hub maps them to the code
// of the error message it sends back, so a client can tell a broken encoder
// (not JSON) from a protocol mismatch (version) from a field mistake.
var (
	ErrNotJSON      = errors.New("message is not valid JSON")
	ErrNotObject    = errors.New("message is not a JSON object")
	ErrTrailingData = errors.New("trailing data after the JSON object")
	ErrVersion      = errors.New(`"v" must be 1`)
	ErrMissingType  = errors.New(`"type" is missing`)
	ErrBadField     = errors.New("invalid field")
	ErrUnknownField = errors.New("unknown field")
)

// DecodeEnvelope parses one client message strictly: exactly one JSON
// object, keys spelled exactly (encoding/json alone would accept "TYPE"),
// no unknown keys, v == 1, a non-empty type of [A-Za-z0-9._-], an optional
// id, an optional RFC 3339 ts and data that is an object or null. Strictness
// here means handlers never see a half-understood message.
func DecodeEnvelope(b []byte) (Envelope, error) {
	var fields map[string]json.RawMessage
	dec := json.NewDecoder(bytes.NewReader(b))
	if err := dec.Decode(&fields); err != nil {
		var typeErr *json.UnmarshalTypeError
		if errors.As(err, &typeErr) {
			return Envelope{}, ErrNotObject
		}
		return Envelope{}, fmt.Errorf("%w: %v", ErrNotJSON, err)
	}
	if fields == nil { // the literal null
		return Envelope{}, ErrNotObject
	}
	if rest := bytes.TrimLeft(b[dec.InputOffset():], " \t\r\n"); len(rest) > 0 {
		return Envelope{}, ErrTrailingData
	}

	var env Envelope
	for key, raw := range fields {
		switch key {
		case "v":
			var v int
			if err := json.Unmarshal(raw, &v); err != nil || v != Version {
				return Envelope{}, fmt.Errorf("%w (got %s)", ErrVersion, clip(raw, 32))
			}
			env.V = v
		case "type":
			if err := json.Unmarshal(raw, &env.Type); err != nil {
				return Envelope{}, fmt.Errorf(`%w: "type" must be a string`, ErrBadField)
			}
			if env.Type == "" {
				return Envelope{}, ErrMissingType
			}
			if !validType(env.Type) {
				return Envelope{}, fmt.Errorf(`%w: "type" must be 1-%d characters of A-Z a-z 0-9 . _ -`, ErrBadField, maxTypeLen)
			}
		case "id":
			if err := json.Unmarshal(raw, &env.ID); err != nil || len(env.ID) > maxIDLen {
				return Envelope{}, fmt.Errorf(`%w: "id" must be a string of at most %d bytes`, ErrBadField, maxIDLen)
			}
		case "ts":
			var s string
			if err := json.Unmarshal(raw, &s); err != nil {
				return Envelope{}, fmt.Errorf(`%w: "ts" must be an RFC 3339 string`, ErrBadField)
			}
			ts, err := time.Parse(time.RFC3339Nano, s)
			if err != nil {
				return Envelope{}, fmt.Errorf(`%w: "ts" must be an RFC 3339 string`, ErrBadField)
			}
			env.TS = ts.UTC()
		case "data":
			switch raw[0] { // the decoder has trimmed whitespace
			case '{':
				env.Data = raw
			case 'n': // null: same as absent
			default:
				return Envelope{}, fmt.Errorf(`%w: "data" must be an object`, ErrBadField)
			}
		default:
			return Envelope{}, fmt.Errorf("%w %q", ErrUnknownField, clip([]byte(key), 32))
		}
	}
	if env.V != Version {
		if _, ok := fields["v"]; !ok {
			return Envelope{}, fmt.Errorf(`%w ("v" is missing)`, ErrVersion)
		}
	}
	if env.Type == "" {
		return Envelope{}, ErrMissingType
	}
	return env, nil
}

// clip shortens text to at most n bytes without splitting a character, so
// that client input quoted in an error stays one short line and a close
// reason stays valid UTF-8.
func clip(b []byte, n int) string {
	if len(b) <= n {
		return string(b)
	}
	b = b[:n]
	for len(b) > 0 && !utf8.Valid(b) {
		b = b[:len(b)-1]
	}
	return string(b)
}

// validType keeps types to a small alphabet so that they are safe in logs,
// metric labels and hand-written JSON without escaping.
func validType(t string) bool {
	if len(t) == 0 || len(t) > maxTypeLen {
		return false
	}
	for i := 0; i < len(t); i++ {
		c := t[i]
		switch {
		case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c >= '0' && c <= '9', c == '.', c == '_', c == '-':
		default:
			return false
		}
	}
	return true
}

// MarshalJSON writes the wire form. It is hand-written so that v is always
// present, ts always has the same layout and data is never re-encoded.
func (e Envelope) MarshalJSON() ([]byte, error) {
	data, err := encodeData(e.Data)
	if err != nil {
		return nil, fmt.Errorf("realtime: envelope %q: %w", e.Type, err)
	}
	ts := ""
	if !e.TS.IsZero() {
		ts = formatTS(e.TS)
	}
	return appendFrame(nil, e.Type, e.ID, ts, data), nil
}

// formatTS renders a server timestamp.
func formatTS(t time.Time) string { return t.UTC().Format(tsLayout) }

// appendFrame writes one envelope. data must already be valid JSON; nil
// becomes {} so that clients can always read data.x.
func appendFrame(b []byte, typ, id, ts string, data []byte) []byte {
	b = append(b, `{"v":`...)
	b = strconv.AppendInt(b, Version, 10)
	b = append(b, `,"type":`...)
	b = appendString(b, typ)
	if id != "" {
		b = append(b, `,"id":`...)
		b = appendString(b, id)
	}
	if ts != "" {
		b = append(b, `,"ts":`...)
		b = appendString(b, ts)
	}
	b = append(b, `,"data":`...)
	if len(data) == 0 {
		b = append(b, "{}"...)
	} else {
		b = append(b, data...)
	}
	return append(b, '}')
}

// appendString writes s as a JSON string. Strings reaching it were decoded
// by encoding/json or validated, so they are valid UTF-8; only quotes,
// backslashes and control characters need escaping.
func appendString(b []byte, s string) []byte {
	const hex = "0123456789abcdef"
	b = append(b, '"')
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == '"' || c == '\\':
			b = append(b, '\\', c)
		case c < 0x20:
			b = append(b, '\\', 'u', '0', '0', hex[c>>4], hex[c&0xf])
		default:
			b = append(b, c)
		}
	}
	return append(b, '"')
}

// encodeData turns a caller's payload into raw JSON once, at the edge, so
// that fan-out never marshals again. Raw JSON is checked, not re-encoded.
func encodeData(data any) ([]byte, error) {
	var raw []byte
	switch d := data.(type) {
	case nil:
		return nil, nil
	case json.RawMessage:
		raw = d
	case []byte:
		raw = d
	default:
		b, err := json.Marshal(d)
		if err != nil {
			return nil, err
		}
		raw = b
	}
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 || bytes.Equal(raw, []byte("null")) {
		return nil, nil
	}
	if raw[0] != '{' || !json.Valid(raw) {
		return nil, errors.New("data must be a JSON object")
	}
	return raw, nil
}
