package server

import (
	"strings"
	"testing"

	"github.com/liandong/liandong/internal/testkit"
)

// TestUIConfig: the pages' language and zone come from the file, and a
// language or zone the server cannot use stops it at start, naming the key.
func TestUIConfig(t *testing.T) {
	t.Chdir(t.TempDir())
	c, err := Load(nil, noEnv)
	if err != nil {
		t.Fatal(err)
	}
	if c.UI.DefaultLang != "zh-CN" || c.UI.TimeZone != "Asia/Shanghai" {
		t.Fatalf("defaults %+v, want zh-CN, Asia/Shanghai", c.UI)
	}
	path := testkit.WriteFile(t, "c.yaml", "ui:\n  default_lang: en\n  time_zone: Europe/Berlin\n")
	if c, err = Load([]string{"-config", path}, noEnv); err != nil {
		t.Fatal(err)
	}
	if p := c.pageOptions(); p.DefaultLang != "en" || p.TimeZone != "Europe/Berlin" {
		t.Fatalf("page options %+v", p)
	}
	if a := c.apiOptions(); a.DefaultLang != "en" || a.TimeZone != "Europe/Berlin" {
		t.Fatalf("api options %q %q", a.DefaultLang, a.TimeZone)
	}
	for body, want := range map[string]string{
		"ui:\n  default_lang: fr\n":            "ui.default_lang",
		"ui:\n  default_lang: zh\n":            "ui.default_lang",
		"ui:\n  default_lang: \"\"\n":          "ui.default_lang",
		"ui:\n  time_zone: Mars/Olympus\n":     "ui.time_zone",
		"ui:\n  time_zone: \"\"\n":             "ui.time_zone",
		"ui:\n  time_zone: ../../etc/passwd\n": "ui.time_zone",
	} {
		path := testkit.WriteFile(t, "bad.yaml", body)
		if _, err := Load([]string{"-config", path}, noEnv); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%q: err = %v, want one naming %s", body, err, want)
		}
	}
}
