package sms

import (
	"fmt"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/liandong/liandong/internal/i18n"
	"github.com/liandong/liandong/mobilize"
)

// texts are every SMS the server sends, Chinese first. An offer says what
// the offer note may say (category, role, urgency, distance, until when)
// and never where or what exactly: the place and the description come
// only in the answer to an accept.
var texts = i18n.MustNew(map[string]string{
	"offer":            "【联动】{urgency}({level}级)求助: {category}, 您的角色: {role}, 距离约{km}公里。回复 {code} 1 接受, {code} 2 拒绝。{until}前有效",
	"accepted":         "【联动】已接受, 谢谢! 地点: {lat},{lng} 地图: {map} 说明: {description}",
	"accepted_later":   "【联动】已接受, 谢谢! 地点和说明稍后发送。",
	"declined":         "【联动】已拒绝, 谢谢告知。",
	"expired":          "【联动】该求助已过期, 无需处理。",
	"withdrawn":        "【联动】该求助已撤回, 无需处理。",
	"filled":           "【联动】该求助人员已满, 谢谢。",
	"answered":         "【联动】您已回复过该求助。",
	"unknown_code":     "【联动】未找到代码 {code} 对应的求助, 请核对后重发。",
	"not_understood":   "【联动】未能识别回复。请回复 代码 1 接受, 代码 2 拒绝, 例如 123 1。",
	"too_many":         "【联动】回复过于频繁, 请稍后再试。",
	"staffed":          "【联动】您的求助已有人响应: {team}。预计约{minutes}分钟到达。",
	"completed":        "【联动】您的求助已完成。请为服务评分: {link}",
	"cancelled":        "【联动】您的求助已取消。如仍需帮助, 请联系社区。",
	"person.medic":     "{role}{surname}医生",
	"person.volunteer": "{role}{surname}师傅",
	"person.other":     "{role}{surname}老师",
	"standby":          "【联动】预警: {headline}。请做好待命准备, 指挥中心可能联系您。预警有效至{until}",
	"standby_open":     "【联动】预警: {headline}。请做好待命准备, 指挥中心可能联系您。",
	"nudge":            "【联动】您附近有{needs}人需要帮助, 暂无人响应。方便的话请打开联动上岗。",
}, map[string]string{
	"offer":            "[Liandong] {urgency} (level {level}) help: {category}. Your role: {role}, about {km} km away. Reply {code} 1 to accept, {code} 2 to decline. Valid until {until}",
	"accepted":         "[Liandong] Accepted, thank you! Place: {lat},{lng} Map: {map} Details: {description}",
	"accepted_later":   "[Liandong] Accepted, thank you! The place and details follow shortly.",
	"declined":         "[Liandong] Declined. Thank you for telling us.",
	"expired":          "[Liandong] That request has expired; nothing to do.",
	"withdrawn":        "[Liandong] That request was withdrawn; nothing to do.",
	"filled":           "[Liandong] That request has all the people it needs. Thank you.",
	"answered":         "[Liandong] You have answered that request already.",
	"unknown_code":     "[Liandong] No request has the code {code}. Please check it and send again.",
	"not_understood":   "[Liandong] Reply not understood. Send the code and 1 to accept or 2 to decline, e.g. 123 1.",
	"too_many":         "[Liandong] Too many replies; please try again later.",
	"staffed":          "[Liandong] Help is on the way: {team}. Expected in about {minutes} min.",
	"completed":        "[Liandong] Your request is complete. Please rate the help: {link}",
	"cancelled":        "[Liandong] Your request was cancelled. If you still need help, contact your community.",
	"person.medic":     "{role} {surname}",
	"person.volunteer": "{role} {surname}",
	"person.other":     "{role} {surname}",
	"standby":          "[Liandong] Warning: {headline}. Please stand by; the command centre may call on you. Valid until {until}",
	"standby_open":     "[Liandong] Warning: {headline}. Please stand by; the command centre may call on you.",
	"nudge":            "[Liandong] {needs} people near you need help and nobody is free. If you can, open Liandong and go on duty.",
})

// Nudge asks an off-duty responder to go on duty: needs people near them
// have nobody (surge nudges).
func (t Texts) Nudge(l i18n.Lang, needs int) string {
	return texts.T(l, "nudge", "needs", strconv.Itoa(needs))
}

// Standby asks a responder to stand by for a severe warning: its
// headline, as its sender wrote it, and when it expires (zero: not said).
func (t Texts) Standby(l i18n.Lang, headline string, expires time.Time) string {
	if expires.IsZero() {
		return texts.T(l, "standby_open", "headline", headline)
	}
	return texts.T(l, "standby", "headline", headline, "until", expires.In(t.zone()).Format("01-02 15:04"))
}

// Words are the glossary's words for categories and roles
// (docs/GLOSSARY.md); the web package holds them for the pages it renders.
type Words interface {
	Category(l i18n.Lang, code string) string
	Role(l i18n.Lang, role string) string
}

// urgencyWords are the glossary's urgency words (urgency.1..4).
var urgencyWords = map[i18n.Lang][5]string{
	i18n.ZhCN: {"", "危及生命", "紧急", "较急", "常规"},
	i18n.En:   {"", "Life-threatening", "Urgent", "Soon", "Routine"},
}

// Lang is the catalogue language of a responder's "zh" or "en"; anything
// else is Chinese, the first language.
func Lang(s string) i18n.Lang {
	if s == "en" {
		return i18n.En
	}
	return i18n.ZhCN
}

// Texts words the SMS of one deployment: its glossary and its time zone.
type Texts struct {
	Words Words
	Zone  *time.Location // times in the text; nil: UTC
}

// Offer is what an offer SMS says.
type Offer struct {
	Category  string
	Role      mobilize.Role
	Urgency   int
	DistanceM float64
	Expires   time.Time
	Code      string
}

// Offer is the text of an offer in l: nothing about where or what
// exactly, only what OfferNote carries.
func (t Texts) Offer(l i18n.Lang, o Offer) string {
	level := min(max(o.Urgency, 1), 4)
	return texts.T(l, "offer",
		"urgency", urgencyWords[l][level], "level", level,
		"category", t.category(l, o.Category), "role", t.role(l, string(o.Role)),
		"km", strconv.FormatFloat(o.DistanceM/1000, 'f', 1, 64),
		"code", o.Code, "until", o.Expires.In(t.zone()).Format("15:04"))
}

// Accepted answers an accept with the exact place, a map link and the
// description: what the assignment gives on every channel.
func (t Texts) Accepted(l i18n.Lang, lat, lng float64, description string) string {
	ll := strconv.FormatFloat(lat, 'f', 6, 64)
	lg := strconv.FormatFloat(lng, 'f', 6, 64)
	return texts.T(l, "accepted", "lat", ll, "lng", lg, "map", "geo:"+ll+","+lg, "description", description)
}

// Say is a fixed answer: accepted_later, declined, expired, withdrawn,
// filled, answered, not_understood, too_many, cancelled.
func (t Texts) Say(l i18n.Lang, key string) string { return texts.T(l, key) }

// UnknownCode says no open offer has the code.
func (t Texts) UnknownCode(l i18n.Lang, code string) string {
	return texts.T(l, "unknown_code", "code", code)
}

// Member is one person on a staffed team, as the person served hears of
// them: role and name, of which only the family name is said.
type Member struct {
	Role mobilize.Role
	Name string
}

// Staffed tells the person served who is coming and about when.
func (t Texts) Staffed(l i18n.Lang, team []Member, arrival time.Duration) string {
	sep := "、"
	if l == i18n.En {
		sep = ", "
	}
	people := make([]string, len(team))
	for i, m := range team {
		key := "person.other"
		switch m.Role {
		case mobilize.RoleMedic:
			key = "person.medic"
		case mobilize.RoleVolunteer:
			key = "person.volunteer"
		}
		people[i] = texts.T(l, key, "role", t.role(l, string(m.Role)), "surname", ShortName(m.Name))
	}
	minutes := max(1, int((arrival+time.Minute-1)/time.Minute))
	return texts.T(l, "staffed", "team", strings.Join(people, sep), "minutes", minutes)
}

// Completed asks the person served to rate the help at link.
func (t Texts) Completed(l i18n.Lang, link string) string {
	return texts.T(l, "completed", "link", link)
}

// ShortName is how a team member is named to the person served: the family
// name, not the full name. A Chinese name's family name is its first
// character (compound family names are rare enough to accept the
// shortening); a name in Latin letters is said by its first word.
func ShortName(name string) string {
	name = strings.TrimSpace(name)
	r, _ := utf8.DecodeRuneInString(name)
	if unicode.Is(unicode.Han, r) {
		return string(r)
	}
	first, _, _ := strings.Cut(name, " ")
	return first
}

func (t Texts) zone() *time.Location {
	if t.Zone == nil {
		return time.UTC
	}
	return t.Zone
}

func (t Texts) category(l i18n.Lang, code string) string {
	if t.Words == nil {
		return code
	}
	return t.Words.Category(l, code)
}

func (t Texts) role(l i18n.Lang, role string) string {
	if t.Words == nil {
		return role
	}
	return t.Words.Role(l, role)
}

// Segments is how many SMS a text costs. A text of printable ASCII goes
// in GSM 7-bit: 160 characters in one message, 153 per part once split
// (the rest is the concatenation header). Anything else, Chinese among
// it, goes in UCS-2: 70 characters in one, 67 per part once split
// (3GPP TS 23.038 and 23.040).
func Segments(text string) int {
	n := utf8.RuneCountInString(text)
	if n == 0 {
		return 0
	}
	single, part := 70, 67
	if gsm7(text) {
		single, part = 160, 153
	}
	if n <= single {
		return 1
	}
	return (n + part - 1) / part
}

// gsm7 reports whether text is printable ASCII that the GSM 7-bit basic
// alphabet holds in one character each (its extension characters
// ^{}[]~\| and the backtick are left to UCS-2 here, a safe overcount).
func gsm7(text string) bool {
	for i := 0; i < len(text); i++ {
		c := text[i]
		if c >= 0x80 || (c < 0x20 && c != '\n' && c != '\r') || strings.IndexByte("^{}[]~\\|`", c) >= 0 {
			return false
		}
	}
	return true
}

// MaskPhone keeps a phone's country code and last four digits for logs:
// +86*******1234.
func MaskPhone(phone string) string {
	if len(phone) <= 6 {
		return strings.Repeat("*", len(phone))
	}
	head := 3
	if !strings.HasPrefix(phone, "+") {
		head = 0
	}
	return phone[:head] + strings.Repeat("*", len(phone)-head-4) + phone[len(phone)-4:]
}

// errorf prefixes the package's errors.
func errorf(format string, a ...any) error { return fmt.Errorf("sms: "+format, a...) }
