package mobilize

import "unicode"

// Characters that change how text looks without being seen. In a name, a
// category or a title they let one name pass for another, or reverse what
// follows them on the screen (a bidi override turns "evil.exe\u202Etxt"
// around); nobody types them on purpose (issue 14, item 8). Chinese,
// Latin, Tibetan or Uyghur letters are none of these.

// BidiControl reports the embedding, override and isolate controls
// U+202A..U+202E and U+2066..U+2069, which reorder the text around them.
func BidiControl(r rune) bool {
	return (r >= 0x202A && r <= 0x202E) || (r >= 0x2066 && r <= 0x2069)
}

// ZeroWidth reports the zero-width space, non-joiner and joiner
// (U+200B..U+200D), the word joiner (U+2060) and the byte order mark
// (U+FEFF).
func ZeroWidth(r rune) bool {
	return (r >= 0x200B && r <= 0x200D) || r == 0x2060 || r == 0xFEFF
}

// Invisible reports any invisible format character (Unicode category Cf:
// the above, bidi marks, soft hyphens, tags...), none of which belongs in
// a name.
func Invisible(r rune) bool {
	return BidiControl(r) || ZeroWidth(r) || unicode.Is(unicode.Cf, r)
}

// HiddenInFreeText reports what free text (descriptions, notes, messages)
// may not carry: bidi controls, which reorder what the reader sees, and
// the zero-width characters that join nothing (U+200B, U+2060, U+FEFF).
// The zero-width joiners stay, for emoji sequences and scripts that need
// them.
func HiddenInFreeText(r rune) bool {
	return BidiControl(r) || r == 0x200B || r == 0x2060 || r == 0xFEFF
}
