package sms

import (
	"errors"
	"strings"
	"unicode"

	"golang.org/x/text/width"

	"github.com/liandong/liandong/mobilize"
)

// A reply to an SMS offer is its three-digit code and an answer: 1, Y or
// 接 accept, 2, N or 拒 decline. People type on old phones with Chinese
// input methods, so full-width digits and letters and the ideographic
// space count as their narrow forms, and spaces anywhere are ignored.

// CodeLen is the length of a reply code.
const CodeLen = 3

// ErrNotUnderstood: the text is not "<code> <answer>".
var ErrNotUnderstood = errors.New("sms: reply not understood")

// Reply is a parsed answer to an offer.
type Reply struct {
	Code   string
	Accept bool
}

// ParseReply reads a text such as "123 1", "１２３接" or " 123 n ".
func ParseReply(text string) (Reply, error) {
	s := width.Fold.String(text) // full-width ASCII to narrow, U+3000 to a space
	s = strings.Map(func(r rune) rune {
		if unicode.IsSpace(r) {
			return -1
		}
		return r
	}, s)
	if len(s) <= CodeLen {
		return Reply{}, ErrNotUnderstood
	}
	code, answer := s[:CodeLen], s[CodeLen:]
	for _, c := range code {
		if c < '0' || c > '9' {
			return Reply{}, ErrNotUnderstood
		}
	}
	switch answer {
	case "1", "Y", "y", "接":
		return Reply{Code: code, Accept: true}, nil
	case "2", "N", "n", "拒":
		return Reply{Code: code, Accept: false}, nil
	}
	return Reply{}, ErrNotUnderstood
}

// ValidCode reports whether s looks like a reply code.
func ValidCode(s string) bool {
	if len(s) != CodeLen {
		return false
	}
	for _, c := range s {
		if c < '0' || c > '9' {
			return false
		}
	}
	return true
}

// CodeState is what a reply code names: its offer and responder and, once
// the offer has ended, how (accepted, declined, expired, withdrawn).
type CodeState struct {
	Responder mobilize.ResponderID
	Offer     mobilize.OfferID
	Ended     string // "" while open
}
