package testkit

import (
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"runtime"
	"strings"
	"testing"
)

// fatalTB records the first failure and ends the goroutine, as testing
// does, so that a helper's failure can be asserted on.
type fatalTB struct {
	testing.TB
	failed bool
	msg    string
}

func (f *fatalTB) Helper() {}

func (f *fatalTB) Fatal(args ...any) { f.fail(fmt.Sprint(args...)) }

func (f *fatalTB) Fatalf(format string, args ...any) { f.fail(fmt.Sprintf(format, args...)) }

func (f *fatalTB) fail(msg string) {
	f.failed, f.msg = true, msg
	runtime.Goexit()
}

// run calls fn with a fatalTB on a goroutine of its own and returns the
// failure it met, if any.
func run(t *testing.T, fn func(tb testing.TB)) *fatalTB {
	f := &fatalTB{TB: t}
	done := make(chan struct{})
	go func() {
		defer close(done)
		fn(f)
	}()
	<-done
	return f
}

func TestWant(t *testing.T) {
	r := Response{Status: 201, Body: []byte(`{"id":"n1"}`)}
	var got Response
	if f := run(t, func(tb testing.TB) { got = r.Want(tb, 201) }); f.failed {
		t.Fatalf("Want(201) of a 201 failed: %s", f.msg)
	}
	if got.Status != 201 || string(got.Body) != `{"id":"n1"}` {
		t.Fatalf("Want returned %+v, want the response itself", got)
	}
	f := run(t, func(tb testing.TB) { r.Want(tb, 200) })
	if !f.failed {
		t.Fatal("Want(200) of a 201 passed")
	}
	for _, part := range []string{"201", "200", `{"id":"n1"}`} {
		if !strings.Contains(f.msg, part) {
			t.Errorf("failure %q does not show %s", f.msg, part)
		}
	}
}

func TestRequestBody(t *testing.T) {
	if b := RequestBody(t, nil); b != nil {
		t.Fatalf("RequestBody(nil) = %#v, want no body", b)
	}
	for _, tc := range []struct {
		in   any
		want string
	}{
		{`{"lat":"north"}`, `{"lat":"north"}`},
		{[]byte("not json"), "not json"},
		{map[string]int{"urgency": 2}, `{"urgency":2}`},
		{[]string{"a"}, `["a"]`},
	} {
		raw, err := io.ReadAll(RequestBody(t, tc.in))
		if err != nil || string(raw) != tc.want {
			t.Errorf("RequestBody(%#v) = %q, %v; want %q", tc.in, raw, err, tc.want)
		}
	}
	if f := run(t, func(tb testing.TB) { RequestBody(tb, make(chan int)) }); !f.failed {
		t.Fatal("RequestBody of a value JSON cannot encode passed")
	}
}

// Do sends the body as RequestBody encodes it, with the token and JSON
// content type, and reads the answer whole.
func TestClientDo(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		raw, _ := io.ReadAll(r.Body)
		w.Header().Set("X-Seen", r.Method+" "+r.URL.Path+" "+r.Header.Get("Authorization")+" "+r.Header.Get("Content-Type"))
		w.WriteHeader(http.StatusAccepted)
		w.Write(raw)
	}))
	defer srv.Close()
	c := Client{T: t, Base: srv.URL, Token: "tok"}
	r := c.Do("POST", "/api/v1/needs", map[string]int{"urgency": 2}).Want(t, http.StatusAccepted)
	if got, want := r.Header.Get("X-Seen"), "POST /api/v1/needs Bearer tok application/json"; got != want {
		t.Errorf("server saw %q, want %q", got, want)
	}
	var echoed struct{ Urgency int }
	if r.Decode(t, &echoed); echoed.Urgency != 2 {
		t.Errorf("server got body %s, want the JSON of the map", r.Body)
	}
	if r := (Client{T: t, Base: srv.URL}).Do("GET", "/x", nil); len(r.Body) != 0 || r.Header.Get("X-Seen") != "GET /x  application/json" {
		t.Errorf("GET without a body or token: server saw %q and body %q", r.Header.Get("X-Seen"), r.Body)
	}
}
