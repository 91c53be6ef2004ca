package web

import (
	"os"
	"regexp"
	"strings"
	"testing"

	"github.com/liandong/liandong/internal/i18n"
)

// TestCategoryWordsAreTheGlossarys: the categories the server renders are
// word for word those of the pages' shared catalogue, in both languages,
// and none is missing on either side.
func TestCategoryWordsAreTheGlossarys(t *testing.T) {
	src, err := os.ReadFile("ui/src/lib/words.js")
	if err != nil {
		t.Fatal(err)
	}
	zh, en, ok := strings.Cut(string(src), "\n  en: {")
	if !ok {
		t.Fatal("words.js: no en block")
	}
	entry := regexp.MustCompile(`'category\.([a-z0-9_]+)': '([^']*)'`)
	pages := map[string][2]string{}
	for i, block := range []string{zh, en} {
		for _, m := range entry.FindAllStringSubmatch(block, -1) {
			w := pages[m[1]]
			w[i] = m[2]
			pages[m[1]] = w
		}
	}
	if len(pages) == 0 {
		t.Fatal("words.js: no categories found")
	}
	for code, want := range pages {
		if got, ok := categoryWords[code]; !ok || got != want {
			t.Errorf("category %s: server says %q, the pages %q", code, got, want)
		}
	}
	for code := range categoryWords {
		if _, ok := pages[code]; !ok {
			t.Errorf("category %s: the server knows it, the pages do not", code)
		}
	}
	if got := categoryWord(i18n.ZhCN, "medicine_delivery"); got != categoryWords["medicine_delivery"][0] || got == "medicine_delivery" {
		t.Errorf("medicine_delivery in Chinese: %q", got)
	}
	if got := categoryWord(i18n.En, "our_own_kind"); got != "our_own_kind" {
		t.Errorf("an unknown category: %q, want it as itself", got)
	}
}
