// Package rostercsv reads a roster of responders from a CSV file, as
// command centres keep them in spreadsheets: UTF-8 (with or without the
// byte order mark Excel writes) or GB18030 (what Excel on a Chinese
// Windows saves), headers in English or Chinese. It checks every row and
// reports each problem by line and column, so that a whole file can be
// corrected before anything is imported.
//
// Columns (any order; name and role required):
//
//	name / 姓名             1..200 bytes
//	role / 角色             social_worker, volunteer, medic, community_worker,
//	                        or the glossary's 社工, 志愿者, 医护人员, 社区工作者
//	phone / 电话 / 手机     3..40 of digits, spaces and + ( ) . / -
//	org_id / 机构 / 组织    an organisation id (1..64 of A-Z a-z 0-9 _ . -)
//	skills / 技能           skill names separated by ; (also ；or 、)
//	certifications / 证书   name:YYYY-MM-DD separated by ; : a skill that
//	                        counts until the end of that day in the zone given
package rostercsv

import (
	"bytes"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"regexp"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/encoding/simplifiedchinese"

	"github.com/liandong/liandong/mobilize"
)

// Problem is one thing wrong with the file, by line (1 is the header) and
// column name (as the roster's English header names it; "" for the row).
type Problem struct {
	Line    int    `json:"line"`
	Field   string `json:"field"`
	Message string `json:"message"`
}

// Row is one responder read from the file, with the line it came from.
type Row struct {
	Line      int
	Responder mobilize.Responder
}

// headers maps every accepted header to the column it names.
var headers = map[string]string{
	"name": "name", "姓名": "name",
	"role": "role", "角色": "role",
	"phone": "phone", "电话": "phone", "手机": "phone",
	"org_id": "org_id", "机构": "org_id", "组织": "org_id",
	"skills": "skills", "技能": "skills",
	"certifications": "certifications", "证书": "certifications",
}

// roleWords are the glossary's Chinese role words (docs/GLOSSARY.md).
var roleWords = map[string]mobilize.Role{
	"社工": mobilize.RoleSocialWorker, "社会工作者": mobilize.RoleSocialWorker,
	"志愿者":  mobilize.RoleVolunteer,
	"医护人员": mobilize.RoleMedic, "医护": mobilize.RoleMedic,
	"社区工作者": mobilize.RoleCommunityWorker,
}

var phoneShape = regexp.MustCompile(`^[0-9+()./ -]{3,40}$`)

// Decode returns the file as UTF-8 text: valid UTF-8 is taken as it is
// (less a byte order mark), anything else is read as GB18030.
func Decode(data []byte) (string, error) {
	if utf8.Valid(data) {
		return string(bytes.TrimPrefix(data, []byte("\uFEFF"))), nil
	}
	// The decoder replaces bytes GB18030 does not have with U+FFFD.
	out, err := simplifiedchinese.GB18030.NewDecoder().Bytes(data)
	if err != nil || bytes.ContainsRune(out, utf8.RuneError) {
		return "", fmt.Errorf("the file is neither UTF-8 nor GB18030: %w", mobilize.ErrInvalid)
	}
	return string(out), nil
}

// Parse reads the roster: the rows that are well formed, and a problem
// for each thing wrong in the others. An error means the file as a whole
// cannot be read (no header, an unknown or repeated column, broken
// quoting); zone is where a certification's date ends.
func Parse(data []byte, zone *time.Location) ([]Row, []Problem, error) {
	text, err := Decode(data)
	if err != nil {
		return nil, nil, err
	}
	r := csv.NewReader(strings.NewReader(text))
	r.FieldsPerRecord = -1 // counted here, so that a short row is a problem of its line
	r.TrimLeadingSpace = true
	head, err := r.Read()
	if errors.Is(err, io.EOF) {
		return nil, nil, fmt.Errorf("the file is empty; the first line names the columns: %w", mobilize.ErrInvalid)
	}
	if err != nil {
		return nil, nil, fmt.Errorf("line 1: %v: %w", err, mobilize.ErrInvalid)
	}
	cols, err := columns(head)
	if err != nil {
		return nil, nil, err
	}
	var rows []Row
	var problems []Problem
	for {
		rec, err := r.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, nil, fmt.Errorf("%v: %w", err, mobilize.ErrInvalid)
		}
		line, _ := r.FieldPos(0)
		if len(rec) != len(cols) {
			problems = append(problems, Problem{Line: line, Message: fmt.Sprintf("%d columns, the header has %d", len(rec), len(cols))})
			continue
		}
		p := rowParser{line: line, zone: zone}
		resp := p.responder(cols, rec)
		if len(p.problems) > 0 {
			problems = append(problems, p.problems...)
			continue
		}
		rows = append(rows, Row{Line: line, Responder: resp})
	}
	return rows, problems, nil
}

// columns maps the header's cells to column names.
func columns(head []string) ([]string, error) {
	cols := make([]string, len(head))
	seen := map[string]bool{}
	for i, h := range head {
		c, ok := headers[strings.ToLower(strings.TrimSpace(h))]
		if !ok {
			return nil, fmt.Errorf("line 1: column %q is not one of name, role, phone, org_id, skills, certifications (姓名, 角色, 电话, 机构, 技能, 证书): %w", h, mobilize.ErrInvalid)
		}
		if seen[c] {
			return nil, fmt.Errorf("line 1: column %s appears twice: %w", c, mobilize.ErrInvalid)
		}
		seen[c] = true
		cols[i] = c
	}
	for _, need := range []string{"name", "role"} {
		if !seen[need] {
			return nil, fmt.Errorf("line 1: the %s column is required: %w", need, mobilize.ErrInvalid)
		}
	}
	return cols, nil
}

type rowParser struct {
	line     int
	zone     *time.Location
	problems []Problem
}

func (p *rowParser) add(field, format string, args ...any) {
	p.problems = append(p.problems, Problem{Line: p.line, Field: field, Message: fmt.Sprintf(format, args...)})
}

func (p *rowParser) responder(cols, rec []string) mobilize.Responder {
	r := mobilize.Responder{MaxConcurrent: 1}
	for i, c := range cols {
		v := strings.TrimSpace(rec[i])
		switch c {
		case "name":
			switch {
			case v == "" || len(v) > mobilize.MaxNameLen:
				p.add(c, "name must be 1..%d bytes", mobilize.MaxNameLen)
			case strings.ContainsFunc(v, unicode.IsControl) || strings.ContainsFunc(v, isInvisible):
				p.add(c, "name must not hold control or invisible characters")
			}
			r.Name = v
		case "role":
			r.Role = p.role(v)
		case "phone":
			if v != "" && !phoneShape.MatchString(v) {
				p.add(c, "phone must be 3..40 of digits, spaces and + ( ) . / -")
			}
			r.Phone = v
		case "org_id":
			if v != "" && !mobilize.ValidID(v) {
				p.add(c, "org_id must be 1..64 of A-Z a-z 0-9 _ . -")
			}
			r.OrgID = v
		case "skills":
			for _, s := range splitList(v) {
				p.skillName(c, s)
				r.Skills = append(r.Skills, mobilize.Skill{Name: s})
			}
		case "certifications":
			for _, s := range splitList(v) {
				name, date, ok := cutColon(s)
				if !ok {
					p.add(c, "%q must be name:YYYY-MM-DD", s)
					continue
				}
				p.skillName(c, name)
				day, err := time.ParseInLocation(time.DateOnly, date, p.zone)
				if err != nil {
					p.add(c, "%q: the date must be YYYY-MM-DD", s)
					continue
				}
				r.Skills = append(r.Skills, mobilize.Skill{Name: name, ExpiresAt: day.AddDate(0, 0, 1).UTC()})
			}
		}
	}
	if len(r.Skills) > mobilize.MaxSkillsPerPerson {
		p.add("skills", "skills and certifications together exceed %d", mobilize.MaxSkillsPerPerson)
	}
	return r
}

func (p *rowParser) role(v string) mobilize.Role {
	if r, ok := roleWords[v]; ok {
		return r
	}
	r, err := mobilize.ParseRole(strings.ToLower(v))
	if err != nil {
		p.add("role", "role %q is not one of social_worker, volunteer, medic, community_worker (社工, 志愿者, 医护人员, 社区工作者)", v)
	}
	return r
}

func (p *rowParser) skillName(field, s string) {
	if s == "" || len(s) > 64 || strings.ContainsAny(s, "|,@") || strings.ContainsFunc(s, unicode.IsControl) {
		p.add(field, "skill %q must be 1..64 bytes without | , @", s)
	}
}

// splitList splits a cell on ; and its full-width forms, dropping blanks.
func splitList(v string) []string {
	var out []string
	for _, s := range strings.FieldsFunc(v, func(r rune) bool { return r == ';' || r == '；' || r == '、' }) {
		if s = strings.TrimSpace(s); s != "" {
			out = append(out, s)
		}
	}
	return out
}

// cutColon splits name:date at the last colon (ASCII or full-width).
func cutColon(s string) (name, date string, ok bool) {
	s = strings.ReplaceAll(s, "：", ":")
	i := strings.LastIndexByte(s, ':')
	if i < 0 {
		return "", "", false
	}
	return strings.TrimSpace(s[:i]), strings.TrimSpace(s[i+1:]), true
}

// isInvisible is a format character (bidi controls, zero-width spaces)
// that would make one name look like another.
func isInvisible(r rune) bool { return unicode.Is(unicode.Cf, r) }
