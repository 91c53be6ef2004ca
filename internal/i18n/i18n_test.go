package i18n

import (
	"strings"
	"testing"
	"time"
)

func TestNegotiate(t *testing.T) {
	for _, tc := range []struct {
		query, header string
		def, want     Lang
	}{
		{"", "", ZhCN, ZhCN},
		{"", "", En, En},
		{"", "zh-CN,zh;q=0.9,en;q=0.8", En, ZhCN},
		{"", "zh-TW", En, ZhCN},
		{"", "en-GB,en;q=0.9", ZhCN, En},
		{"", "en;q=0.5, zh-Hans;q=0.8", En, ZhCN}, // q-values, not order
		{"", "zh;q=0.3, fr, en;q=0.6", ZhCN, En},  // fr is not ours; en beats zh
		{"", "fr-FR", ZhCN, En},                   // none of ours: English
		{"", "*", En, En},                         // anything: the default
		{"", "zh;q=0, en;q=0.1", ZhCN, En},        // q=0 is "not this"
		{"", "zh;q=abc", En, En},                  // malformed says nothing
		{"en", "zh-CN", ZhCN, En},                 // ?lang= wins
		{"zh-CN", "en", En, ZhCN},                 // ?lang= wins
		{"klingon", "en", ZhCN, En},               // an unknown ?lang= is ignored
		{"", " , ;q=1", ZhCN, ZhCN},               // empty entries
	} {
		if got := Negotiate(tc.query, tc.header, tc.def); got != tc.want {
			t.Errorf("Negotiate(%q, %q, %s) = %s, want %s", tc.query, tc.header, tc.def, got, tc.want)
		}
	}
}

func TestParse(t *testing.T) {
	for _, ok := range []string{"zh-CN", "en"} {
		if l, err := Parse(ok); err != nil || string(l) != ok {
			t.Errorf("Parse(%q) = %q, %v", ok, l, err)
		}
	}
	for _, bad := range []string{"", "zh", "EN", "fr", "zh-TW"} {
		if _, err := Parse(bad); err == nil {
			t.Errorf("Parse(%q) accepted", bad)
		}
	}
}

func TestNewRefusesIncompleteCatalogues(t *testing.T) {
	for name, tc := range map[string]struct {
		zh, en map[string]string
		want   string
	}{
		"missing in en":        {map[string]string{"a": "甲", "b": "乙"}, map[string]string{"a": "A"}, "en lacks b"},
		"missing in zh":        {map[string]string{"a": "甲"}, map[string]string{"a": "A", "b": "B"}, "zh-CN lacks b"},
		"placeholders differ":  {map[string]string{"a": "{n} 个"}, map[string]string{"a": "{count} items"}, "placeholders"},
		"plural without other": {map[string]string{}, map[string]string{"a.one": "one"}, "has no a.other"},
		"zh plural form":       {map[string]string{"a.one": "一", "a.other": "多"}, map[string]string{"a.one": "one", "a.other": "many"}, "no plural forms"},
	} {
		_, err := New(tc.zh, tc.en)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: New = %v, want an error with %q", name, err, tc.want)
		}
	}
	c, err := New(map[string]string{"hello": "你好，{name}", "items.other": "{n} 项"},
		map[string]string{"hello": "Hello, {name}", "items.one": "{n} item", "items.other": "{n} items"})
	if err != nil {
		t.Fatal(err)
	}
	if got := c.T(ZhCN, "hello", "name", "李"); got != "你好，李" {
		t.Errorf("T zh = %q", got)
	}
	if got := c.N(En, "items", 1); got != "1 item" {
		t.Errorf("N en 1 = %q", got)
	}
	if got := c.N(En, "items", 1200); got != "1,200 items" {
		t.Errorf("N en 1200 = %q", got)
	}
	if got := c.N(ZhCN, "items", 1); got != "1 项" {
		t.Errorf("N zh 1 = %q", got)
	}
	if got := c.T(En, "nope"); got != "nope" {
		t.Errorf("an unknown key says %q, want the key", got)
	}
	if got := strings.Join(c.Keys(), ","); got != "hello,items" {
		t.Errorf("Keys = %s", got)
	}
}

func TestLocalForms(t *testing.T) {
	sh, err := time.LoadLocation("Asia/Shanghai")
	if err != nil {
		t.Fatal(err)
	}
	at := time.Date(2026, 12, 7, 6, 5, 0, 0, time.UTC) // 14:05 in Shanghai
	if got := FormatTime(ZhCN, at, sh); got != "2026年12月7日 14:05" {
		t.Errorf("zh time %q", got)
	}
	if got := FormatTime(En, at, sh); got != "7 Dec 2026 14:05" {
		t.Errorf("en time %q", got)
	}
	if got := FormatDate(ZhCN, at, sh); got != "2026年12月7日" {
		t.Errorf("zh date %q", got)
	}
	for in, want := range map[int64]string{0: "0", 999: "999", 1000: "1,000", -1234567: "-1,234,567"} {
		if got := FormatInt(En, in); got != want {
			t.Errorf("FormatInt(%d) = %q, want %q", in, got, want)
		}
	}
	if got := FormatFloat(ZhCN, 12345.678, 2); got != "12,345.68" {
		t.Errorf("FormatFloat = %q", got)
	}
	if got := FormatFloat(En, -0.25, 1); got != "-0.2" && got != "-0.3" {
		t.Errorf("FormatFloat(-0.25) = %q", got)
	}
}
