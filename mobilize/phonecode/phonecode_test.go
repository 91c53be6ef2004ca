package phonecode

import (
	"errors"
	"testing"
)

func TestNormalize(t *testing.T) {
	for in, want := range map[string]string{
		"13812345678":       "+8613812345678",
		"138 1234 5678":     "+8613812345678",
		"138-1234-5678":     "+8613812345678",
		"+86 138 1234 5678": "+8613812345678",
		"008613812345678":   "+8613812345678",
		"+447700900123":     "+447700900123",
	} {
		got, err := Normalize(in)
		if err != nil || got != want {
			t.Errorf("Normalize(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
	for _, bad := range []string{"", "12345", "23812345678", "+8623812345678", "+86138123456789", "138x1234567", "1381234567+8"} {
		if got, err := Normalize(bad); !errors.Is(err, ErrBadPhone) {
			t.Errorf("Normalize(%q) = %q, %v; want ErrBadPhone", bad, got, err)
		}
	}
}
