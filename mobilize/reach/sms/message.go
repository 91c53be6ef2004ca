package sms

import (
	"strings"

	"github.com/liandong/liandong/internal/i18n"
)

// MaxMessageSegments bounds the SMS one message costs: a longer text is
// cut, with an ellipsis, to fit.
const MaxMessageSegments = 3

// messageTexts word a message to an SMS-only responder: who wrote, what,
// and that an SMS reply does not reach the writer.
var messageTexts = i18n.MustNew(map[string]string{
	"message": "【联动】{role}留言: {text} (回复短信对方收不到, 请致电社区)",
}, map[string]string{
	"message": "[Liandong] Message from {role}: {text} (SMS replies do not reach them; please call your community)",
})

// Message is the SMS of a message written by someone of role, the text
// cut so that the whole fits in MaxMessageSegments.
func (t Texts) Message(l i18n.Lang, role, text string) string {
	who := t.role(l, role)
	say := func(body string) string { return messageTexts.T(l, "message", "role", who, "text", body) }
	full := say(text)
	if Segments(full) <= MaxMessageSegments {
		return full
	}
	r := []rune(strings.TrimSpace(text))
	lo, hi := 0, len(r) // the longest cut that fits
	for lo < hi {
		mid := (lo + hi + 1) / 2
		if Segments(say(string(r[:mid])+"…")) <= MaxMessageSegments {
			lo = mid
		} else {
			hi = mid - 1
		}
	}
	return say(string(r[:lo]) + "…")
}
