package web

import "github.com/liandong/liandong/internal/i18n"

// categoryWords are the need categories in the glossary's words
// (docs/GLOSSARY.md), for the pages the server renders itself (the
// feedback page, the HTML service record): zh-CN, then en. They are the
// words of the pages' shared catalogue, web/ui/src/lib/words.js, which
// TestCategoryWordsAreTheGlossarys holds them to.
var categoryWords = map[string][2]string{
	"cardiac_arrest":          {"心脏骤停", "Cardiac arrest"},
	"delivery":                {"物资配送", "Delivery"},
	"elderly_checkin":         {"独居老人问候", "Elderly check-in"},
	"errand":                  {"跑腿代办", "Errand"},
	"escort":                  {"陪同出行", "Escort"},
	"evacuation":              {"疏散转移", "Evacuation"},
	"evacuation_assist":       {"协助疏散", "Evacuation assistance"},
	"evacuation_medical":      {"医疗疏散", "Medical evacuation"},
	"food":                    {"食品", "Food"},
	"food_delivery":           {"送餐", "Food delivery"},
	"injured_transport":       {"伤员转运", "Injured transport"},
	"mass_casualty_triage":    {"批量伤员分诊", "Mass casualty triage"},
	"medical":                 {"医疗救助", "Medical help"},
	"medical_escort":          {"就医陪护", "Medical escort"},
	"medical_transport":       {"医疗转运", "Medical transport"},
	"medicine_delivery":       {"送药", "Medicine delivery"},
	"mental_health":           {"心理健康", "Mental health"},
	"none":                    {"需求", "Need"},
	"other":                   {"其他", "Other"},
	"oxygen":                  {"供氧", "Oxygen"},
	"psychological_first_aid": {"心理急救", "Psychological first aid"},
	"psychological_support":   {"心理支持", "Psychological support"},
	"shelter_support":         {"安置点服务", "Shelter support"},
	"shopping":                {"代购", "Shopping"},
	"trapped_person":          {"被困人员", "Trapped person"},
	"welfare_check":           {"上门探视", "Welfare check"},
	"welfare_visit":           {"关爱走访", "Welfare visit"},
}

// categoryWord says a need category in lang; one the glossary does not
// know (a deployment's own) shows as itself.
func categoryWord(lang i18n.Lang, code string) string {
	w, ok := categoryWords[code]
	if !ok {
		return code
	}
	if lang == i18n.En {
		return w[1]
	}
	return w[0]
}
