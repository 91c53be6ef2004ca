package sockbench

import (
	"bytes"
	"strconv"
	"time"
)

// The server writes every envelope as {"v":1,"type":...,"id":...,"ts":...,
// "data":{...}} (docs/PROTOCOL.md, "The envelope"). A console in this benchmark reads a
// quarter of a million frames a second, so it picks the few string fields it
// needs out of the bytes instead of decoding whole objects.

// stringField returns the value of the first "key":"value" in raw, without
// unescaping (the fields read here never contain escapes), and whether it
// was there.
func stringField(raw []byte, key string) ([]byte, bool) {
	pat := make([]byte, 0, len(key)+4)
	pat = append(pat, '"')
	pat = append(pat, key...)
	pat = append(pat, '"', ':', '"')
	i := bytes.Index(raw, pat)
	if i < 0 {
		return nil, false
	}
	rest := raw[i+len(pat):]
	j := bytes.IndexByte(rest, '"')
	if j < 0 {
		return nil, false
	}
	return rest[:j], true
}

// tsLayout is the server's envelope timestamp: RFC 3339, UTC, milliseconds.
const tsLayout = "2006-01-02T15:04:05.000Z"

// frameTime reads a timestamp field (ts, or data.at in RFC 3339 with any
// precision) from a frame.
func frameTime(raw []byte, key string) (time.Time, bool) {
	v, ok := stringField(raw, key)
	if !ok {
		return time.Time{}, false
	}
	t, err := time.Parse(time.RFC3339Nano, string(v))
	return t, err == nil
}

// sinceMS is the time from t to now in milliseconds.
func sinceMS(now, t time.Time) float64 {
	return float64(now.Sub(t)) / float64(time.Millisecond)
}

// numberField returns the number of the first "key":number in raw.
func numberField(raw []byte, key string) (float64, bool) {
	pat := make([]byte, 0, len(key)+3)
	pat = append(pat, '"')
	pat = append(pat, key...)
	pat = append(pat, '"', ':')
	i := bytes.Index(raw, pat)
	if i < 0 {
		return 0, false
	}
	rest := raw[i+len(pat):]
	j := bytes.IndexAny(rest, ",}")
	if j < 0 {
		return 0, false
	}
	v, err := strconv.ParseFloat(string(rest[:j]), 64)
	return v, err == nil
}

// eventItem starts every envelope inside an "events" frame.
var eventItem = []byte(`{"v":1,"type":`)

// splitEvents returns the envelopes of an "events" frame
// ({"v":1,"type":"events",...,"data":{"events":[{...},{...}]}}), cut at
// the start of each; their data never holds another envelope's opening.
func splitEvents(raw []byte) [][]byte {
	i := bytes.Index(raw, []byte(`"events":[`))
	if i < 0 {
		return nil
	}
	rest := raw[i+len(`"events":[`):]
	var out [][]byte
	for len(rest) > 0 && bytes.HasPrefix(rest, eventItem) {
		j := bytes.Index(rest[len(eventItem):], eventItem)
		if j < 0 {
			out = append(out, rest)
			break
		}
		out = append(out, rest[:len(eventItem)+j])
		rest = rest[len(eventItem)+j:]
	}
	return out
}
