package sms

import "testing"

func TestParseReply(t *testing.T) {
	for _, c := range []struct {
		text   string
		code   string
		accept bool
		ok     bool
	}{
		{"123 1", "123", true, true},
		{"1231", "123", true, true},
		{"123 Y", "123", true, true},
		{"123 y", "123", true, true},
		{"123 接", "123", true, true},
		{"123接", "123", true, true},
		{"123 2", "123", false, true},
		{"123 N", "123", false, true},
		{"123 n", "123", false, true},
		{"123拒", "123", false, true},
		{"１２３ １", "123", true, true},       // full-width digits
		{"１２３\u3000２", "123", false, true}, // ideographic space
		{"１２３Ｙ", "123", true, true},        // full-width letter
		{"  045   2  ", "045", false, true},
		{"123", "", false, false},
		{"123 3", "", false, false},
		{"123 yes", "", false, false},
		{"12 1", "", false, false}, // "121" and nothing: too short once spaces go
		{"abc 1", "", false, false},
		{"", "", false, false},
		{"好的", "", false, false},
		{"1234 1", "", false, false},
	} {
		r, err := ParseReply(c.text)
		if (err == nil) != c.ok {
			t.Errorf("%q: err %v, want ok=%v", c.text, err, c.ok)
			continue
		}
		if c.ok && (r.Code != c.code || r.Accept != c.accept) {
			t.Errorf("%q: got %+v, want code %s accept %v", c.text, r, c.code, c.accept)
		}
	}
}

func TestSignAndVerify(t *testing.T) {
	secret, body := []byte("s3cret"), []byte(`{"from":"+8613800000000","text":"123 1"}`)
	sig := Sign(secret, body)
	// RFC 4231-style known answer keeps the format honest: lower hex, prefix.
	if len(sig) != len("sha256=")+64 || sig[:7] != "sha256=" {
		t.Fatalf("signature %q", sig)
	}
	if !Verify(secret, body, sig) {
		t.Fatal("own signature refused")
	}
	for name, h := range map[string]string{
		"other body":   Sign(secret, []byte("{}")),
		"other secret": Sign([]byte("other"), body),
		"no prefix":    sig[7:],
		"not hex":      "sha256=zz",
		"empty":        "",
	} {
		if Verify(secret, body, h) {
			t.Errorf("%s: verified", name)
		}
	}
	if Verify(nil, body, Sign(nil, body)) {
		t.Error("an empty secret verified a body")
	}
}
