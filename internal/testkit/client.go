package testkit

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"testing"
)

// Client calls a running server's HTTP API as a token holder.
type Client struct {
	T     testing.TB
	Base  string // e.g. http://127.0.0.1:8080
	Token string // sent as a bearer token when set
}

// Response is an answer read whole.
type Response struct {
	Status int
	Header http.Header
	Body   []byte
}

// Do sends one request. body is nil (none), a string or []byte (sent as
// is) or anything else (sent as JSON).
func (c Client) Do(method, path string, body any) Response {
	c.T.Helper()
	req, err := http.NewRequest(method, c.Base+path, RequestBody(c.T, body))
	if err != nil {
		c.T.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	if c.Token != "" {
		req.Header.Set("Authorization", "Bearer "+c.Token)
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		c.T.Fatalf("%s %s: %v", method, path, err)
	}
	defer res.Body.Close()
	raw, err := io.ReadAll(res.Body)
	if err != nil {
		c.T.Fatalf("%s %s: reading the answer: %v", method, path, err)
	}
	return Response{Status: res.StatusCode, Header: res.Header, Body: raw}
}

// RequestBody is a request body as Do sends it: nil for no body, a string or
// []byte as is, and anything else encoded as JSON (failing the test if it
// cannot be). Tests that serve requests in process use it to encode theirs
// alike.
func RequestBody(t testing.TB, body any) io.Reader {
	t.Helper()
	switch b := body.(type) {
	case nil:
		return nil
	case string:
		return bytes.NewReader([]byte(b))
	case []byte:
		return bytes.NewReader(b)
	default:
		return bytes.NewReader([]byte(MustJSON(t, b)))
	}
}

// Call sends one request that must succeed (2xx) and decodes its answer
// into out, when out is not nil.
func (c Client) Call(method, path string, body, out any) {
	c.T.Helper()
	r := c.Do(method, path, body)
	if r.Status < 200 || r.Status > 299 {
		c.T.Fatalf("%s %s = %d %s", method, path, r.Status, r.Body)
	}
	if out != nil {
		r.Decode(c.T, out)
	}
}

// Want fails the test, showing the body, unless the answer has status; it
// returns r, so that a check and a decode chain:
// c.Do("GET", path, nil).Want(t, 200).Decode(t, &v).
func (r Response) Want(t testing.TB, status int) Response {
	t.Helper()
	if r.Status != status {
		t.Fatalf("status %d, want %d: %s", r.Status, status, r.Body)
	}
	return r
}

// Decode unmarshals the body into v, failing the test if it cannot.
func (r Response) Decode(t testing.TB, v any) {
	t.Helper()
	if err := json.Unmarshal(r.Body, v); err != nil {
		t.Fatalf("status %d, body %q: %v", r.Status, r.Body, err)
	}
}

// ErrorCode is the code of the API's uniform error body, failing the test
// when the body is not one.
func (r Response) ErrorCode(t testing.TB) string {
	t.Helper()
	var eb struct {
		Error *struct {
			Code    string `json:"code"`
			Message string `json:"message"`
		} `json:"error"`
	}
	r.Decode(t, &eb)
	if eb.Error == nil || eb.Error.Code == "" || eb.Error.Message == "" {
		t.Fatalf("status %d: not an error body: %s", r.Status, r.Body)
	}
	return eb.Error.Code
}
