package mobilize

import (
	"strings"
	"testing"
	"time"

	"github.com/paulmach/orb"

	"github.com/liandong/liandong/geo"
)

func TestPreviewOfferTellsNoMoreThanTheArea(t *testing.T) {
	pt := orb.Point{121.4479, 37.4638}
	n := Need{Category: "medicine_delivery", Urgency: 1, Point: pt, Description: "room 502, door code 1234"}
	for _, res := range []int{5, 8, 9} {
		p := PreviewOffer(n, 1234.5, res)
		want, _ := geo.CellAt(pt, res)
		if p.Cell != want || p.Resolution != res {
			t.Errorf("res %d: cell %s, want %s", res, p.Cell, want)
		}
		if d := geo.DistanceMeters(p.Centre, want.Centre()); d > 2 {
			t.Errorf("res %d: centre %v is %.1f m from the cell's", res, p.Centre, d)
		}
		if p.Centre == pt {
			t.Errorf("res %d: the centre is the need's point", res)
		}
	}
	p := PreviewOffer(n, 1234.5, 8)
	if p.Title != "medicine_delivery, urgency 1" || strings.Contains(p.Title, "502") {
		t.Errorf("title %q", p.Title)
	}
	for in, want := range map[float64]float64{0: 0, 1: 100, 149: 100, 151: 200, 1234.5: 1200, 9950: 10000} {
		if got := RoundDistance(in); got != want {
			t.Errorf("RoundDistance(%v) = %v, want %v", in, got, want)
		}
	}
}

func TestMissingSkillsNamesAbsentAndLapsed(t *testing.T) {
	now := time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC)
	skills := []Skill{{Name: "driving"}, {Name: "first_aid", ExpiresAt: now.Add(-time.Hour)}, {Name: "cpr", ExpiresAt: now.Add(time.Hour)}}
	got := MissingSkills(skills, []string{"cpr", "first_aid", "sign_language", "driving"}, now)
	if strings.Join(got, ",") != "first_aid,sign_language" {
		t.Errorf("missing %v", got)
	}
	if got := MissingSkills(skills, nil, now); len(got) != 0 {
		t.Errorf("nothing required, missing %v", got)
	}
}

func TestInvisibleSparesChineseText(t *testing.T) {
	for _, s := range []string{"王秀英", "社区卫生服务中心", "阿依古丽·买买提", "Zhāng Wěi"} {
		if strings.ContainsFunc(s, Invisible) {
			t.Errorf("%q is taken for invisible", s)
		}
	}
	for _, r := range []rune{0x202A, 0x202E, 0x2066, 0x2069, 0x200B, 0x200D, 0x2060, 0xFEFF, 0x00AD} {
		if !Invisible(r) {
			t.Errorf("%U is not taken for invisible", r)
		}
	}
	if HiddenInFreeText(0x200D) || !HiddenInFreeText(0x202E) || !HiddenInFreeText(0x200B) {
		t.Error("free text: the joiner stays, bidi controls and zero-width spaces go")
	}
}
