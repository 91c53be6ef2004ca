package sms

import (
	"strings"
	"testing"
	"time"

	"github.com/liandong/liandong/internal/i18n"
	"github.com/liandong/liandong/mobilize"
)

type glossary struct{}

func (glossary) Category(l i18n.Lang, code string) string {
	if l == i18n.En {
		return "Medicine delivery"
	}
	return "送药"
}

func (glossary) Role(l i18n.Lang, role string) string {
	w := map[string][2]string{"volunteer": {"志愿者", "Volunteer"}, "medic": {"医护人员", "Medic"}, "social_worker": {"社工", "Social worker"}}[role]
	if l == i18n.En {
		return w[1]
	}
	return w[0]
}

func TestOfferText(t *testing.T) {
	zone := time.FixedZone("CST", 8*3600)
	tx := Texts{Words: glossary{}, Zone: zone}
	o := Offer{Category: "medicine_delivery", Role: mobilize.RoleVolunteer, Urgency: 2, DistanceM: 800,
		Expires: time.Date(2026, 12, 7, 10, 5, 0, 0, time.UTC), Code: "123"}
	zh := tx.Offer(i18n.ZhCN, o)
	want := "【联动】紧急(2级)求助: 送药, 您的角色: 志愿者, 距离约0.8公里。回复 123 1 接受, 123 2 拒绝。18:05前有效"
	if zh != want {
		t.Errorf("zh offer\n got %s\nwant %s", zh, want)
	}
	if s := Segments(zh); s != 1 {
		t.Errorf("the Chinese offer costs %d SMS (%d characters), want 1", s, len([]rune(zh)))
	}
	en := tx.Offer(i18n.En, o)
	for _, part := range []string{"Urgent (level 2)", "Medicine delivery", "Volunteer", "0.8 km", "123 1", "123 2", "18:05"} {
		if !strings.Contains(en, part) {
			t.Errorf("en offer %q lacks %q", en, part)
		}
	}
}

func TestSegments(t *testing.T) {
	for _, c := range []struct {
		text string
		want int
	}{
		{"", 0},
		{strings.Repeat("a", 160), 1},
		{strings.Repeat("a", 161), 2},
		{strings.Repeat("a", 306), 2},
		{strings.Repeat("a", 307), 3},
		{strings.Repeat("字", 70), 1},
		{strings.Repeat("字", 71), 2},
		{strings.Repeat("字", 134), 2},
		{strings.Repeat("字", 135), 3},
		{strings.Repeat("a", 69) + "字", 1}, // one Chinese character makes it all UCS-2
		{strings.Repeat("a", 71) + "字", 2},
		{strings.Repeat("a", 100) + "{", 2}, // an extension character: counted as UCS-2
	} {
		if got := Segments(c.text); got != c.want {
			t.Errorf("%d runes %.10q...: %d segments, want %d", len([]rune(c.text)), c.text, got, c.want)
		}
	}
}

func TestStaffedNamesFamilyNamesOnly(t *testing.T) {
	tx := Texts{Words: glossary{}}
	got := tx.Staffed(i18n.ZhCN, []Member{{mobilize.RoleVolunteer, "王小明"}, {mobilize.RoleMedic, "李华"}, {mobilize.RoleSocialWorker, "张伟"}}, 7*time.Minute+10*time.Second)
	want := "【联动】您的求助已有人响应: 志愿者王师傅、医护人员李医生、社工张老师。预计约8分钟到达。"
	if got != want {
		t.Errorf("got  %s\nwant %s", got, want)
	}
	for _, full := range []string{"小明", "王小明"} {
		if strings.Contains(got, full) {
			t.Errorf("the full name %q is in %q", full, got)
		}
	}
	en := tx.Staffed(i18n.En, []Member{{mobilize.RoleVolunteer, "Anna Smith"}}, 30*time.Second)
	if en != "[Liandong] Help is on the way: Volunteer Anna. Expected in about 1 min." {
		t.Errorf("en: %s", en)
	}
}

func TestMaskPhone(t *testing.T) {
	if got := MaskPhone("+8613812345678"); got != "+86*******5678" {
		t.Errorf("masked %q", got)
	}
	if got := MaskPhone("12345"); strings.ContainsAny(got, "12345") {
		t.Errorf("short number shown: %q", got)
	}
}
