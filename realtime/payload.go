package realtime

import "github.com/liandong/liandong/realtime/wire"

// The hub writes the data of its own two messages, error and resync, by
// hand rather than with json.Marshal: encoding/json escapes <, >, & and
// U+2028/U+2029, which would change bytes clients receive today (the ack
// refusal says "<inbox id>"). Their wire types still define the fields;
// payload_test.go checks that what is written here decodes exactly into
// them. Buffers are sized up front because a flood of bad messages
// makes one error each.

// payloadRoom covers the keys, quotes and braces of either payload, and
// frameRoom those of the envelope around it.
const (
	payloadRoom = 32
	frameRoom   = 48
)

// appendError writes the data of an error message: {"code","message"}.
func appendError(b []byte, e wire.Error) []byte {
	b = append(b, `{"code":`...)
	b = appendString(b, e.Code)
	b = append(b, `,"message":`...)
	b = appendString(b, e.Message)
	return append(b, '}')
}

// appendResync writes the data of a resync message: {"reason","last_id"},
// without last_id when it is empty (its omitempty).
func appendResync(b []byte, r wire.Resync) []byte {
	b = append(b, `{"reason":`...)
	b = appendString(b, r.Reason)
	if r.LastID != "" {
		b = append(b, `,"last_id":`...)
		b = appendString(b, r.LastID)
	}
	return append(b, '}')
}

// appendServerFrame is appendFrame into a new buffer with room for it all.
func appendServerFrame(typ, id, ts string, data []byte) []byte {
	return appendFrame(make([]byte, 0, frameRoom+len(typ)+len(id)+len(ts)+len(data)), typ, id, ts, data)
}
