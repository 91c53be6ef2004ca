package sms

import (
	"strings"
	"testing"

	"github.com/liandong/liandong/internal/i18n"
)

func TestMessageSMSNamesTheWriterAndFitsThreeSegments(t *testing.T) {
	var tx Texts
	short := tx.Message(i18n.ZhCN, "operator", "请到东门集合")
	if !strings.Contains(short, "请到东门集合") || !strings.Contains(short, "operator") || !strings.Contains(short, "致电") {
		t.Fatalf("short: %q", short)
	}
	long := tx.Message(i18n.ZhCN, "operator", strings.Repeat("好", 500))
	if Segments(long) != MaxMessageSegments || !strings.Contains(long, "…") || !strings.Contains(long, "致电") {
		t.Fatalf("long: %d segments: %q", Segments(long), long)
	}
	en := tx.Message(i18n.En, "coordinator", strings.Repeat("word ", 100))
	if Segments(en) > MaxMessageSegments || !strings.HasPrefix(en, "[Liandong] Message from coordinator: word") || !strings.Contains(en, "call your community") {
		t.Fatalf("en: %d segments: %q", Segments(en), en)
	}
}
