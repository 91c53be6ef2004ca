package rostercsv

import (
	"errors"
	"slices"
	"testing"
	"time"

	"golang.org/x/text/encoding/simplifiedchinese"

	"github.com/liandong/liandong/mobilize"
)

var shanghai = time.FixedZone("CST", 8*3600)

// TestChineseHeadersInGB18030: a roster saved by Excel on a Chinese
// Windows (GB18030, Chinese headers and role words, full-width
// separators) reads as the same responders as its UTF-8 original.
func TestChineseHeadersInGB18030(t *testing.T) {
	text := "姓名,角色,电话,机构,技能,证书\n" +
		"王小明,志愿者,13800000001,org-a,急救；心理疏导,驾驶：2027-06-30\n" +
		"李娟,social_worker,,org-b,,\n"
	gb, err := simplifiedchinese.GB18030.NewEncoder().Bytes([]byte(text))
	if err != nil {
		t.Fatal(err)
	}
	if string(gb) == text {
		t.Fatal("the GB18030 file is byte for byte the UTF-8 one: the test would not test decoding")
	}
	for name, data := range map[string][]byte{"utf-8": []byte(text), "utf-8 with BOM": append([]byte("\uFEFF"), text...), "gb18030": gb} {
		rows, problems, err := Parse(data, shanghai)
		if err != nil || len(problems) != 0 || len(rows) != 2 {
			t.Fatalf("%s: %d rows, problems %v, %v", name, len(rows), problems, err)
		}
		w := rows[0].Responder
		if w.Name != "王小明" || w.Role != mobilize.RoleVolunteer || w.Phone != "13800000001" || w.OrgID != "org-a" || rows[0].Line != 2 {
			t.Fatalf("%s: first row %+v", name, rows[0])
		}
		wantEnd := time.Date(2027, 7, 1, 0, 0, 0, 0, shanghai)
		if len(w.Skills) != 3 || w.Skills[0].Name != "急救" || w.Skills[1].Name != "心理疏导" || w.Skills[2].Name != "驾驶" || !w.Skills[2].ExpiresAt.Equal(wantEnd) {
			t.Fatalf("%s: skills %+v, want 急救, 心理疏导 and 驾驶 until the end of 2027-06-30 (Beijing time)", name, w.Skills)
		}
		if rows[1].Responder.Name != "李娟" || rows[1].Responder.Role != mobilize.RoleSocialWorker {
			t.Fatalf("%s: second row %+v", name, rows[1])
		}
	}
}

// TestProblemsNameTheirLineAndColumn: each bad row is reported by its
// line (the header is line 1) and column; good rows are still read.
func TestProblemsNameTheirLineAndColumn(t *testing.T) {
	text := "name,role,phone,skills,certifications\n" +
		"Ann,volunteer,123456,first_aid,\n" + // 2: fine
		",volunteer,,,\n" + // 3: no name
		"Bo,pilot,,,\n" + // 4: unknown role
		"Cy,medic,call me,,\n" + // 5: phone
		"Di,medic,,a|b,\n" + // 6: skill
		"Ed,medic,,,cpr:31/12/2026\n" + // 7: date
		"Fay,medic\n" // 8: short row
	rows, problems, err := Parse([]byte(text), shanghai)
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) != 1 || rows[0].Responder.Name != "Ann" {
		t.Fatalf("rows %+v, want only Ann", rows)
	}
	var got []Problem
	for _, p := range problems {
		got = append(got, Problem{Line: p.Line, Field: p.Field})
	}
	want := []Problem{{3, "name", ""}, {4, "role", ""}, {5, "phone", ""}, {6, "skills", ""}, {7, "certifications", ""}, {8, "", ""}}
	if !slices.Equal(got, want) {
		t.Fatalf("problems %+v, want lines and fields %+v", problems, want)
	}
}

// TestUnreadableFiles: what cannot be read row by row is refused whole.
func TestUnreadableFiles(t *testing.T) {
	for name, text := range map[string]string{
		"empty":          "",
		"unknown column": "name,role,shoe_size\nAnn,volunteer,38\n",
		"no role column": "name,phone\nAnn,123\n",
		"repeated":       "name,姓名,role\nA,B,volunteer\n",
		"broken quotes":  "name,role\n\"Ann,volunteer\n",
		"not gb18030":    "name,role\n\x81\x20,volunteer\n",
	} {
		if _, _, err := Parse([]byte(text), shanghai); !errors.Is(err, mobilize.ErrInvalid) {
			t.Errorf("%s: %v, want invalid", name, err)
		}
	}
}
