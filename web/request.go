package web

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"regexp"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/liandong/liandong/mobilize"
)

// Body limits. Bodies over APIOptions.MaxBodyBytes (1 MiB by default) are
// refused; the batch registration is the one exception, because 10,000
// people with a name, a phone and a skill or two do not fit in 1 MiB.
const (
	defaultMaxBodyBytes = 1 << 20
	maxBatchBodyBytes   = 16 << 20
)

// readBody reads the whole body, refusing more than limit bytes with 413.
// Reading it all first lets the idempotency check fingerprint it and keeps
// decoding independent of the network.
func readBody(w http.ResponseWriter, r *http.Request, limit int64) ([]byte, error) {
	b, err := io.ReadAll(http.MaxBytesReader(w, r.Body, limit))
	var tooLarge *http.MaxBytesError
	if errors.As(err, &tooLarge) {
		return nil, &Error{Kind: errTooLarge, Message: fmt.Sprintf("request body is larger than %d bytes", limit)}
	}
	if err != nil {
		return nil, badJSON("request body could not be read")
	}
	return b, nil
}

// decodeStrict decodes one JSON object into v and nothing else: unknown
// fields, wrong types, a top-level value that is not an object and
// trailing data are refused, so a client's typo is an error instead of a
// silently ignored field.
func decodeStrict(body []byte, v any) error {
	trimmed := bytes.TrimLeft(body, " \t\r\n")
	if len(trimmed) == 0 {
		return badJSON("request body is empty; a JSON object is required")
	}
	if trimmed[0] != '{' {
		return badJSON("request body must be a JSON object")
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return jsonError(err)
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return badJSON("request body has data after the JSON object")
	}
	return nil
}

// decodeOptional is decodeStrict that also takes an empty body, for
// routes whose every field is optional (revoke, complete, cancel).
func decodeOptional(body []byte, v any) error {
	if len(bytes.TrimSpace(body)) == 0 {
		return nil
	}
	return decodeStrict(body, v)
}

// jsonError words a decoding error for the client without echoing the
// body back.
func jsonError(err error) error {
	var syntax *json.SyntaxError
	var typ *json.UnmarshalTypeError
	switch {
	case errors.As(err, &syntax):
		return badJSON(fmt.Sprintf("malformed JSON at byte %d", syntax.Offset))
	case errors.As(err, &typ):
		field := typ.Field
		if field == "" {
			field = "value"
		}
		return badJSON(fmt.Sprintf("field %q must be %s, not %s", field, jsonKind(typ.Type.Kind().String()), typ.Value))
	case errors.Is(err, io.ErrUnexpectedEOF), errors.Is(err, io.EOF):
		return badJSON("request body ends in the middle of the JSON object")
	case strings.HasPrefix(err.Error(), "json: unknown field "):
		return badJSON("unknown field " + strings.TrimPrefix(err.Error(), "json: unknown field "))
	}
	return badJSON("request body is not valid JSON")
}

// jsonKind names a Go kind the way a JSON client thinks of it.
func jsonKind(kind string) string {
	switch {
	case strings.HasPrefix(kind, "int"), strings.HasPrefix(kind, "uint"):
		return "an integer"
	case strings.HasPrefix(kind, "float"):
		return "a number"
	case kind == "string":
		return "a string"
	case kind == "bool":
		return "true or false"
	case kind == "slice":
		return "an array"
	case kind == "ptr":
		return "a value of another type"
	}
	return "an object"
}

// problems collects every validation failure of one request, so that a
// client fixes its request in one round instead of one field at a time.
type problems []string

func (p *problems) addf(format string, args ...any) { *p = append(*p, fmt.Sprintf(format, args...)) }

// err is nil when nothing was wrong, else a 400 listing the first few
// problems (a 10,000-entry batch must not produce a megabyte of message).
func (p problems) err() error {
	if len(p) == 0 {
		return nil
	}
	shown := p
	if len(shown) > 10 {
		shown = append(shown[:10:10], fmt.Sprintf("and %d more", len(p)-10))
	}
	return invalid(strings.Join(shown, "; "))
}

// text checks a string field: required fields must have a non-blank
// value, and no field may exceed maxBytes or carry control characters
// (multiline allows newlines and tabs, for descriptions and notes). A
// single-line field is a name, a category or a title: it may not hold
// invisible format characters (bidi controls, zero-width characters) that
// make one name look like another. Free text may not hold bidi controls
// or zero-width spaces, but keeps the joiners emoji need.
func (p *problems) text(field, s string, maxBytes int, required, multiline bool) {
	hidden := mobilize.Invisible
	if multiline {
		hidden = mobilize.HiddenInFreeText
	}
	switch {
	case required && strings.TrimSpace(s) == "":
		p.addf("%s is required", field)
	case len(s) > maxBytes:
		p.addf("%s is longer than %d bytes", field, maxBytes)
	case !utf8.ValidString(s):
		p.addf("%s is not valid UTF-8", field)
	case strings.ContainsFunc(s, func(r rune) bool {
		return unicode.IsControl(r) && !(multiline && (r == '\n' || r == '\t' || r == '\r'))
	}):
		p.addf("%s contains control characters", field)
	case strings.ContainsFunc(s, hidden):
		p.addf("%s contains invisible characters (bidi controls or zero-width characters)", field)
	}
}

// pattern checks an optional identifier-like field against re.
func (p *problems) pattern(field, s string, re *regexp.Regexp, want string) {
	if s != "" && !re.MatchString(s) {
		p.addf("%s must be %s", field, want)
	}
}

// coordinates checks a required position.
func (p *problems) coordinates(lat, lng *float64) {
	if lat == nil {
		p.addf("lat is required")
	} else if *lat < -90 || *lat > 90 {
		p.addf("lat %g is outside -90..90", *lat)
	}
	if lng == nil {
		p.addf("lng is required")
	} else if *lng < -180 || *lng > 180 {
		p.addf("lng %g is outside -180..180", *lng)
	}
}

// timestamp parses an RFC 3339 time, recording a problem if it is not one.
func (p *problems) timestamp(field, s string) time.Time {
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		p.addf("%s must be an RFC 3339 time such as 2026-11-28T12:00:00Z", field)
		return time.Time{}
	}
	return t.UTC()
}

// name checks a skill or organisation name: 1..64 bytes of text without
// control characters, and without "|", "," and "@", which separate the
// fields of the Redis records skills are kept in. Any script is welcome.
func (p *problems) name(field, s string) {
	switch {
	case strings.TrimSpace(s) == "" || len(s) > 64:
		p.addf("%s must be 1..64 bytes", field)
	case strings.ContainsAny(s, "|,@"):
		p.addf("%s must not contain | , or @", field)
	default:
		p.text(field, s, 64, true, false)
	}
}

// Identifier shapes. Ids of needs, responders and offers end up in key
// names, so a path id outside this shape cannot exist.
var (
	idPattern      = regexp.MustCompile(`^[A-Za-z0-9_.-]{1,64}$`)
	phonePattern   = regexp.MustCompile(`^[0-9+()./ -]{3,40}$`)
	userPattern    = regexp.MustCompile(`^[a-z0-9_.-]{3,64}$`)
	tokenIDPattern = regexp.MustCompile(`^[0-9a-f]{32}$`)
)

// rfc3339 formats a time on the wire: UTC, RFC 3339 (as the OpenAPI
// document's description promises).
func rfc3339(t time.Time) string { return t.UTC().Format(time.RFC3339Nano) }

// optionalTime is rfc3339 for a time that may be unset, which is null on
// the wire.
func optionalTime(t time.Time) *string {
	if t.IsZero() {
		return nil
	}
	s := rfc3339(t)
	return &s
}
