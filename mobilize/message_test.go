package mobilize

import (
	"errors"
	"strings"
	"testing"
)

func TestValidMessageText(t *testing.T) {
	for _, ok := range []string{"收到", "Gate code 4711\nsecond line", strings.Repeat("长", MaxMessageRunes), "👩‍⚕️ on the way", `<img src=x onerror=alert(1)>`} {
		if err := ValidMessageText(ok); err != nil {
			t.Errorf("%q refused: %v", ok, err)
		}
	}
	for name, bad := range map[string]string{
		"empty": "", "blank": " \n ", "501 characters": strings.Repeat("长", MaxMessageRunes+1),
		"bidi override": "a\u202Eb", "zero-width space": "a\u200Bb", "byte order mark": "\uFEFFa", "bell": "a\x07",
		"not UTF-8": "a\xff",
	} {
		if err := ValidMessageText(bad); !errors.Is(err, ErrInvalid) {
			t.Errorf("%s: %v, want ErrInvalid", name, err)
		}
	}
}
