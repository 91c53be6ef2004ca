package cap

import (
	"errors"
	"os"
	"strings"
	"testing"

	"github.com/paulmach/orb"
	"github.com/paulmach/orb/planar"
)

func readAlert(t testing.TB, name string) []byte {
	t.Helper()
	b, err := os.ReadFile("testdata/" + name)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestParseTyphoonWarning(t *testing.T) {
	a, err := Parse(readAlert(t, "typhoon-actual.xml"))
	if err != nil {
		t.Fatal(err)
	}
	if a.Identifier != "37060041600000_20260914083000_1" || a.Status != "Actual" || a.MsgType != "Alert" {
		t.Errorf("alert = %q %q %q", a.Identifier, a.Status, a.MsgType)
	}
	w := a.Worst()
	if w == nil || w.Event != "台风" || w.Severity != "Severe" || !strings.Contains(w.Headline, "台风橙色预警") {
		t.Fatalf("worst info = %+v", w)
	}
	sent, _ := ParseTime(a.Sent)
	if _, off := sent.Zone(); off != 8*3600 {
		t.Errorf("sent offset = %d, want Beijing time", off)
	}
	if got := a.Expires(); got.UTC().Format("2006-01-02T15:04") != "2026-09-15T12:00" {
		t.Errorf("expires = %v", got)
	}
	g := a.Geometry()
	if len(g) != 1 {
		t.Fatalf("geometry = %v", g)
	}
	inside, outside := orb.Point{121.45, 37.50}, orb.Point{121.45, 37.65}
	if !planar.MultiPolygonContains(g, inside) || planar.MultiPolygonContains(g, outside) {
		t.Errorf("polygon read with lat and lon swapped? %v", g)
	}
	if got := a.Geocodes(); len(got) != 1 || got[0] != "370602" {
		t.Errorf("geocodes = %v", got)
	}
}

func TestParseUpdateAndCancelReferences(t *testing.T) {
	u, err := Parse(readAlert(t, "typhoon-update.xml"))
	if err != nil {
		t.Fatal(err)
	}
	refs, _ := u.Refs()
	if len(refs) != 1 || refs[0].Identifier != "37060041600000_20260914083000_1" || refs[0].Sender != "37060041600000" {
		t.Errorf("update refs = %+v", refs)
	}
	c, err := Parse(readAlert(t, "typhoon-cancel.xml"))
	if err != nil {
		t.Fatal(err)
	}
	if refs, _ := c.Refs(); len(refs) != 2 {
		t.Errorf("cancel refs = %+v", refs)
	}
}

// TestParseRefuses: each bad alert is refused with an error naming the
// element at fault.
func TestParseRefuses(t *testing.T) {
	good := string(readAlert(t, "typhoon-actual.xml"))
	cases := []struct {
		name, old, new, element string
	}{
		{"no identifier", "<identifier>37060041600000_20260914083000_1</identifier>", "", "alert/identifier"},
		{"no sender", "<sender>37060041600000</sender>", "", "alert/sender"},
		{"no sent", "<sent>2026-09-14T08:30:00+08:00</sent>", "", "alert/sent"},
		{"sent in Z", "<sent>2026-09-14T08:30:00+08:00</sent>", "<sent>2026-09-14T00:30:00Z</sent>", "alert/sent"},
		{"no status", "<status>Actual</status>", "", "alert/status"},
		{"unknown status", "<status>Actual</status>", "<status>Real</status>", "alert/status"},
		{"no msgType", "<msgType>Alert</msgType>", "", "alert/msgType"},
		{"no scope", "<scope>Public</scope>", "", "alert/scope"},
		{"update without references", "<msgType>Alert</msgType>", "<msgType>Update</msgType>", "alert/references"},
		{"identifier with a space", "_20260914083000_1<", "_2026 0914_1<", "alert/identifier"},
		{"no category", "<category>Met</category>", "", "alert/info[0]/category"},
		{"no event", "<event>台风</event>", "", "alert/info[0]/event"},
		{"no urgency", "<urgency>Expected</urgency>", "", "alert/info[0]/urgency"},
		{"no severity", "<severity>Severe</severity>", "", "alert/info[0]/severity"},
		{"bad severity", "<severity>Severe</severity>", "<severity>Bad</severity>", "alert/info[0]/severity"},
		{"no certainty", "<certainty>Likely</certainty>", "", "alert/info[0]/certainty"},
		{"no areaDesc", "<areaDesc>芝罘区、莱山区沿海</areaDesc>", "", "alert/info[0]/area[0]/areaDesc"},
		{"open ring", "37.60,121.30 37.40,121.30<", "37.60,121.30<", "alert/info[0]/area[0]/polygon[0]"},
		{"lat out of range", "37.40,121.30 37.40,121.55", "97.40,121.30 37.40,121.55", "alert/info[0]/area[0]/polygon[0]"},
		{"bad circle", "<polygon>", "<circle>37.5,121.4</circle><polygon>", "alert/info[0]/area[0]/circle[0]"},
		{"wrong namespace", "cap:1.2\"", "cap:1.1\"", "alert"},
		{"element of another namespace", "<scope>Public</scope>", `<scope>Public</scope><x:note xmlns:x="urn:other">n</x:note>`, "note"},
		{"DTD", `<?xml version="1.0" encoding="UTF-8"?>`, `<?xml version="1.0" encoding="UTF-8"?><!DOCTYPE alert [<!ENTITY x "boom">]>`, "alert"},
		{"lower-case doctype", `<?xml version="1.0" encoding="UTF-8"?>`, `<?xml version="1.0" encoding="UTF-8"?><!doctype alert>`, "alert"},
		{"other encoding", `encoding="UTF-8"`, `encoding="GB2312"`, "alert"},
		{"two roots", "</alert>", "</alert><alert xmlns=\"urn:oasis:names:tc:emergency:cap:1.2\"/>", "alert"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			bad := strings.Replace(good, tc.old, tc.new, 1)
			if bad == good {
				t.Fatalf("the case changes nothing: %q not in the alert", tc.old)
			}
			_, err := Parse([]byte(bad))
			var p *Problem
			if !errors.As(err, &p) || !errors.Is(err, ErrInvalid) {
				t.Fatalf("err = %v, want a *Problem", err)
			}
			if p.Element != tc.element {
				t.Errorf("element = %q, want %q (%v)", p.Element, tc.element, err)
			}
		})
	}
}

func TestCirclePolygon(t *testing.T) {
	c := orb.Point{121.45, 37.5}
	p := CirclePolygon(c, 10)
	if !p[0].Closed() {
		t.Fatal("ring not closed")
	}
	// 9 km east is inside, 11 km east is not (a degree of longitude is
	// about 88 km at 37.5°N).
	if !planar.PolygonContains(p, orb.Point{121.45 + 9/88.3, 37.5}) || planar.PolygonContains(p, orb.Point{121.45 + 11/88.3, 37.5}) {
		t.Errorf("circle of 10 km is the wrong size: %v", p)
	}
}

// FuzzParseCAP: whatever arrives, Parse neither panics nor accepts an
// alert that its own Validate would refuse or that has a DTD.
func FuzzParseCAP(f *testing.F) {
	for _, name := range []string{"typhoon-actual.xml", "typhoon-update.xml", "typhoon-cancel.xml"} {
		f.Add(readAlert(f, name))
	}
	f.Add([]byte(`<!DOCTYPE a [<!ENTITY e SYSTEM "file:///etc/passwd">]><alert xmlns="urn:oasis:names:tc:emergency:cap:1.2">&e;</alert>`))
	f.Add([]byte(`<alert xmlns="urn:oasis:names:tc:emergency:cap:1.2"><info><area><polygon>1,2 3,4</polygon></area></info></alert>`))
	f.Add([]byte(``))
	f.Fuzz(func(t *testing.T, data []byte) {
		a, err := Parse(data)
		if err != nil {
			if !errors.Is(err, ErrInvalid) {
				t.Fatalf("error does not wrap ErrInvalid: %v", err)
			}
			return
		}
		if err := a.Validate(); err != nil {
			t.Fatalf("accepted an alert Validate refuses: %v", err)
		}
		if strings.Contains(strings.ToUpper(string(data)), "<!DOCTYPE") {
			t.Fatal("accepted a DTD")
		}
		_ = a.Geometry()
	})
}
