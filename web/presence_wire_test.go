package web

import (
	"encoding/json"
	"maps"
	"reflect"
	"strings"
	"testing"

	"github.com/liandong/liandong/realtime/wire"
)

// jsonFields maps the JSON keys of struct type t to their kinds, pointers
// followed: a *float64 that detects a missing field is still a number.
func jsonFields(t reflect.Type) map[string]reflect.Kind {
	out := map[string]reflect.Kind{}
	for f := range t.Fields() {
		name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
		if name == "-" || !f.IsExported() {
			continue
		}
		if name == "" {
			name = f.Name
		}
		ft := f.Type
		for ft.Kind() == reflect.Pointer {
			ft = ft.Elem()
		}
		out[name] = ft.Kind()
	}
	return out
}

// The socket's location and status go through the HTTP routes' decoders,
// whose request structs carry what the OpenAPI document and the checks
// need (pointers for required numbers, tags). They must read exactly the
// messages the wire types say, so that the drill and the server agree.
func TestPresenceRequestsAreTheWireMessages(t *testing.T) {
	for _, c := range []struct{ request, message any }{
		{locationRequest{}, wire.Location{}},
		{statusRequest{}, wire.Status{}},
	} {
		req, msg := jsonFields(reflect.TypeOf(c.request)), jsonFields(reflect.TypeOf(c.message))
		if !maps.Equal(req, msg) {
			t.Errorf("%T reads %v, %T is %v", c.request, req, c.message, msg)
		}
	}
}

func TestWireLocationAndStatusParse(t *testing.T) {
	loc := wire.Location{Lat: 37.5381, Lng: 121.3952}
	b, err := json.Marshal(loc)
	if err != nil {
		t.Fatal(err)
	}
	pt, err := parseLocation(b)
	if err != nil || pt.Lat() != loc.Lat || pt.Lon() != loc.Lng {
		t.Errorf("parseLocation(%s) = %v, %v", b, pt, err)
	}
	for status, onDuty := range map[string]bool{"available": true, "off_duty": false} {
		b, err := json.Marshal(wire.Status{Status: status})
		if err != nil {
			t.Fatal(err)
		}
		got, err := parseStatus(b)
		if err != nil || got != onDuty {
			t.Errorf("parseStatus(%s) = %v, %v; want %v", b, got, err, onDuty)
		}
	}
}
