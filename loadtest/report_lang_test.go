package loadtest

import (
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/liandong/liandong/internal/i18n"
)

// reportLabels are key words of report.html in each language.
var reportLabels = map[i18n.Lang][]string{
	i18n.ZhCN: {"演练：", "未通过", "已连接的响应者", "延迟", "负担均衡", "随时间变化", "未派齐人员的需求分布", "保障检查", "计数",
		"自第一个需求起的秒数", "需求地图", "个进程共"},
	i18n.En: {"Drill: ", "FAIL", "responders connected", "Latency", "Fair load", "Over time", "Where needs went unstaffed", "Guarantees", "Counts",
		"seconds since the first need", "map of needs", "process"},
}

// TestReportSpeaksTheDrillLanguage: report.html is in the drill's -lang,
// Chinese unless told, with none of the other language's words.
func TestReportSpeaksTheDrillLanguage(t *testing.T) {
	for _, lang := range []i18n.Lang{"", i18n.ZhCN, i18n.En} {
		l, info := craftedRun(t)
		rep := analyze(l, info)
		rep.Lang = lang
		dir := t.TempDir()
		if err := rep.Write(dir); err != nil {
			t.Fatal(err)
		}
		raw, err := os.ReadFile(filepath.Join(dir, "report.html"))
		if err != nil {
			t.Fatal(err)
		}
		page := string(raw)
		want := lang
		if want == "" {
			want = i18n.ZhCN
		}
		if !strings.Contains(page, `<html lang="`+string(want)+`">`) {
			t.Errorf("-lang %q: not <html lang=%q>", lang, want)
		}
		for _, w := range reportLabels[want] {
			if !strings.Contains(page, w) {
				t.Errorf("-lang %q: report.html lacks %q", lang, w)
			}
		}
		for _, w := range reportLabels[want.Other()] {
			if w != "process" && strings.Contains(page, w) {
				t.Errorf("-lang %q: report.html shows the %s %q", lang, want.Other(), w)
			}
		}
	}
}

// TestReportTextKeysAreUsed keeps the report's catalogue free of keys no
// page says.
func TestReportTextKeysAreUsed(t *testing.T) {
	var src strings.Builder
	for _, f := range []string{"html.go", "fieldhtml.go", "chart.go", "fairness.go", "map.go"} {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		src.Write(b)
	}
	for _, k := range reportText.Keys() {
		if step, ok := strings.CutPrefix(k, "step."); ok {
			if !slices.Contains(escalationStepNames, step) {
				t.Errorf("%s names no escalation step", k)
			}
			continue
		}
		if kind, ok := strings.CutPrefix(k, "inc.kind-"); ok {
			if !incidentKinds[kind] {
				t.Errorf("%s names no incident kind", k)
			}
			continue
		}
		if action, ok := strings.CutPrefix(k, "inc.action-"); ok {
			if !slices.Contains(capActions, action) {
				t.Errorf("%s names no CAP action", k)
			}
			continue
		}
		if !strings.Contains(src.String(), `"`+k+`"`) {
			t.Errorf("key %s is used nowhere", k)
		}
	}
	for _, step := range escalationStepNames {
		if reportText.T(i18n.ZhCN, "step."+step) == "step."+step {
			t.Errorf("escalation step %s has no word", step)
		}
	}
	for _, k := range append(prefixed("inc.kind-", slices.Sorted(maps.Keys(incidentKinds))), prefixed("inc.action-", capActions)...) {
		if reportText.T(i18n.ZhCN, k) == k {
			t.Errorf("%s has no word", k)
		}
	}
}

// TestDrillWritesTheReportInItsLanguage: Options.Lang reaches report.html.
func TestDrillWritesTheReportInItsLanguage(t *testing.T) {
	out := t.TempDir()
	rep := runAgainstFake(t, "", Options{Scenario: smallScenario(t, 10, time.Second), Out: out, Lang: i18n.En})
	raw, err := os.ReadFile(filepath.Join(out, "report.html"))
	if err != nil {
		t.Fatal(err)
	}
	if rep.Lang != i18n.En || !strings.Contains(string(raw), `<html lang="en">`) || !strings.Contains(string(raw), "Fair load") {
		t.Fatalf("report.html is not in English (lang %q)", rep.Lang)
	}
}

func prefixed(prefix string, names []string) []string {
	out := make([]string, len(names))
	for i, n := range names {
		out[i] = prefix + n
	}
	return out
}
