package web

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"encoding/base64"
	"encoding/csv"
	"encoding/json"
	"html/template"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/liandong/liandong/internal/i18n"
	"github.com/liandong/liandong/mobilize"
)

// Service records: a responder's hours, roles and ratings, signed with the
// server's Ed25519 key so that the record can be carried to the national
// volunteer record and checked there without trusting the carrier.
//
// Two signed forms:
//   - JSON: {"record": {...}, "signature", "alg", "key_id"}; the signature
//     covers recordContext + the record's compact JSON, exactly as served
//     (json.Compact of the record object, key order kept).
//   - CSV: one row per entry; the last line is
//     "#signature,Ed25519,<key id>,<base64 signature>" and the signature
//     covers csvContext + every byte before that line.
// The printable HTML page shows the record and carries the signed JSON.
// POST /api/v1/service-records/verify checks either form.

const (
	recordFormat  = "liandong.service-record.v1"
	recordContext = "liandong service record v1\n"
	csvContext    = "liandong service record csv v1\n"
	csvSigPrefix  = "#signature,"
)

// serviceRecord is the signed document. Its fields are the record: change
// them only with a new format name.
type serviceRecord struct {
	Format      string               `json:"format"`
	Issuer      string               `json:"issuer" doc:"key id of the signing key"`
	IssuedAt    string               `json:"issued_at"`
	ResponderID string               `json:"responder_id"`
	Name        string               `json:"name"`
	Role        mobilize.Role        `json:"role"`
	OrgID       string               `json:"org_id,omitempty"`
	TotalHours  float64              `json:"total_hours"`
	Assignments int                  `json:"assignments"`
	Entries     []serviceRecordEntry `json:"entries"`
}

type serviceRecordEntry struct {
	EntryID     string        `json:"entry_id"`
	NeedID      string        `json:"need_id"`
	Role        mobilize.Role `json:"role"`
	Category    string        `json:"category"`
	AcceptedAt  string        `json:"accepted_at"`
	CompletedAt string        `json:"completed_at"`
	Hours       float64       `json:"hours"`
	Edited      bool          `json:"edited"`
	Rating      int           `json:"rating" doc:"0 when not rated"`
}

type signedRecordJSON struct {
	Record    serviceRecord `json:"record"`
	Signature string        `json:"signature" doc:"base64 Ed25519 signature"`
	Alg       string        `json:"alg" enum:"Ed25519"`
	KeyID     string        `json:"key_id"`
}

func (s *signer) sign(context string, msg []byte) string {
	return base64.StdEncoding.EncodeToString(ed25519.Sign(s.key, append([]byte(context), msg...)))
}

func (s *signer) verify(context string, msg []byte, sig string) bool {
	raw, err := base64.StdEncoding.DecodeString(strings.TrimSpace(sig))
	if err != nil || len(raw) != ed25519.SignatureSize {
		return false
	}
	return ed25519.Verify(s.pub, append([]byte(context), msg...), raw)
}

func (g *recognitionGroup) buildRecord(r mobilize.Responder, entries []mobilize.ServiceEntry) serviceRecord {
	rec := serviceRecord{
		Format: recordFormat, Issuer: g.signer.keyID, IssuedAt: rfc3339(g.now()),
		ResponderID: string(r.ID), Name: r.Name, Role: r.Role, OrgID: r.OrgID,
		TotalHours: totalHours(entries), Assignments: len(entries), Entries: make([]serviceRecordEntry, len(entries)),
	}
	for i, e := range entries {
		rec.Entries[i] = serviceRecordEntry{
			EntryID: e.ID, NeedID: string(e.Need), Role: e.Role, Category: e.Category,
			AcceptedAt: rfc3339(e.AcceptedAt), CompletedAt: rfc3339(e.CompletedAt), Hours: e.Hours, Edited: e.Edited, Rating: e.Rating,
		}
	}
	return rec
}

func (g *recognitionGroup) signRecord(rec serviceRecord) (signedRecordJSON, []byte, error) {
	raw, err := json.Marshal(rec)
	if err != nil {
		return signedRecordJSON{}, nil, err
	}
	return signedRecordJSON{Record: rec, Signature: g.signer.sign(recordContext, raw), Alg: "Ed25519", KeyID: g.signer.keyID}, raw, nil
}

// csvSafe keeps a spreadsheet from reading a cell as a formula.
func csvSafe(s string) string {
	if s != "" && strings.ContainsRune("=+-@\t\r", rune(s[0])) {
		return "'" + s
	}
	return s
}

func (g *recognitionGroup) recordCSV(rec serviceRecord) []byte {
	var buf bytes.Buffer
	w := csv.NewWriter(&buf)
	w.Write([]string{"responder_id", "name", "entry_id", "need_id", "role", "category", "accepted_at", "completed_at", "hours", "edited", "rating", "issued_at", "issuer"})
	for _, e := range rec.Entries {
		rating := ""
		if e.Rating > 0 {
			rating = strconv.Itoa(e.Rating)
		}
		w.Write([]string{rec.ResponderID, csvSafe(rec.Name), e.EntryID, e.NeedID, string(e.Role), csvSafe(e.Category), e.AcceptedAt, e.CompletedAt,
			strconv.FormatFloat(e.Hours, 'f', 2, 64), strconv.FormatBool(e.Edited), rating, rec.IssuedAt, rec.Issuer})
	}
	w.Write([]string{rec.ResponderID, csvSafe(rec.Name), "TOTAL", "", "", "", "", "", strconv.FormatFloat(rec.TotalHours, 'f', 2, 64), "", "", rec.IssuedAt, rec.Issuer})
	w.Flush()
	body := buf.Bytes()
	sig := g.signer.sign(csvContext, body)
	return append(body, []byte(csvSigPrefix+"Ed25519,"+g.signer.keyID+","+sig+"\n")...)
}

// handleServiceRecord is GET /api/v1/responders/{id}/service-record.
func (g *recognitionGroup) handleServiceRecord(ctx context.Context, c *call) error {
	format := c.r.URL.Query().Get("format")
	if format != "" && format != "json" && format != "csv" && format != "html" {
		return invalid("format must be json, csv or html")
	}
	r, entries, err := g.ledgerFor(ctx, c)
	if err != nil {
		return err
	}
	signed, raw, err := g.signRecord(g.buildRecord(r, entries))
	if err != nil {
		return err
	}
	name := "service-record-" + string(r.ID)
	switch format {
	case "csv":
		body := g.recordCSV(signed.Record)
		c.w.Header().Set("Content-Type", "text/csv; charset=utf-8")
		c.w.Header().Set("Content-Disposition", `attachment; filename="`+name+`.csv"`)
		c.w.WriteHeader(http.StatusOK)
		c.w.Write(body)
	case "html":
		var buf bytes.Buffer
		// The language is presentation only: the signed JSON shown is the
		// same bytes in every language.
		lang := g.lang.pick(c.w, c.r)
		page := recordPageData{Lang: lang, zone: g.lang.zone, Rec: signed.Record, Signed: string(raw), Signature: signed.Signature, KeyID: signed.KeyID}
		if err := recordPage.Execute(&buf, page); err != nil {
			return err
		}
		h := c.w.Header()
		h.Set("Content-Type", "text/html; charset=utf-8")
		h.Set("Content-Security-Policy", "default-src 'none'; style-src 'unsafe-inline'; base-uri 'none'; frame-ancestors 'none'")
		h.Set("X-Content-Type-Options", "nosniff")
		c.w.WriteHeader(http.StatusOK)
		c.w.Write(buf.Bytes())
	default:
		c.json(http.StatusOK, signed)
	}
	if c.id.Role != RoleResponder {
		g.audit.record(ctx, c.id, "service_record.issue", string(r.ID), 0)
	}
	return nil
}

// verifyRequest is either a JSON record with its signature or a CSV file.
type verifyRequest struct {
	Record    json.RawMessage `json:"record" doc:"the record object exactly as served"`
	Signature string          `json:"signature" doc:"its base64 signature"`
	CSV       string          `json:"csv" doc:"or: the CSV file, ending with its #signature line"`
	// The downloaded JSON document carries these too, so that it can be
	// posted back as it is.
	Alg   string `json:"alg,omitempty" doc:"optional: Ed25519, as in the downloaded document"`
	KeyID string `json:"key_id,omitempty" doc:"optional: the key the document names; another key is reported as unknown_key"`
}

type verifyJSON struct {
	Valid  bool   `json:"valid"`
	KeyID  string `json:"key_id" doc:"the key checked against"`
	Reason string `json:"reason,omitempty" doc:"why not valid: signature_mismatch, unknown_key, no_signature"`
}

// handleVerifyRecord is POST /api/v1/service-records/verify: anyone may
// check a record. A well-formed but altered record is 200 valid=false.
func (g *recognitionGroup) handleVerifyRecord(ctx context.Context, c *call) error {
	var req verifyRequest
	if err := decodeStrict(c.body, &req); err != nil {
		return err
	}
	out := verifyJSON{KeyID: g.signer.keyID}
	switch {
	case req.CSV != "" && (len(req.Record) > 0 || req.Signature != ""):
		return invalid("send either record and signature, or csv")
	case req.CSV != "":
		body, line, found := cutSignatureLine(req.CSV)
		parts := strings.Split(line, ",")
		switch {
		case !found || len(parts) != 4 || parts[1] != "Ed25519":
			out.Reason = "no_signature"
		case parts[2] != g.signer.keyID:
			out.Reason = "unknown_key"
		case !g.signer.verify(csvContext, []byte(body), parts[3]):
			out.Reason = "signature_mismatch"
		default:
			out.Valid = true
		}
	case req.Alg != "" && req.Alg != "Ed25519":
		return invalid("alg must be Ed25519")
	case len(req.Record) > 0 && req.Signature != "" && req.KeyID != "" && req.KeyID != g.signer.keyID:
		out.Reason = "unknown_key"
	case len(req.Record) > 0 && req.Signature != "":
		var compact bytes.Buffer
		if err := json.Compact(&compact, req.Record); err != nil || !bytes.HasPrefix(compact.Bytes(), []byte("{")) {
			return badJSON("record must be a JSON object")
		}
		if g.signer.verify(recordContext, compact.Bytes(), req.Signature) {
			out.Valid = true
		} else {
			out.Reason = "signature_mismatch"
		}
	default:
		return invalid("send record and signature, or csv")
	}
	c.json(http.StatusOK, out)
	return nil
}

// cutSignatureLine splits a CSV file into the signed body and its last
// line, the signature line (trailing newlines ignored).
func cutSignatureLine(file string) (body, line string, found bool) {
	trimmed := strings.TrimRight(file, "\r\n")
	i := strings.LastIndexByte(trimmed, '\n')
	line = trimmed[i+1:]
	if !strings.HasPrefix(line, csvSigPrefix) {
		return "", "", false
	}
	return trimmed[:i+1], strings.TrimRight(line, "\r"), true
}

type publicKeyJSON struct {
	Alg       string `json:"alg" enum:"Ed25519"`
	KeyID     string `json:"key_id"`
	PublicKey string `json:"public_key" doc:"base64, 32 bytes"`
	Signs     string `json:"signs" doc:"how the message is formed"`
}

// handlePublicKey is GET /api/v1/service-records/key, so that a record can
// be checked offline.
func (g *recognitionGroup) handlePublicKey(ctx context.Context, c *call) error {
	c.json(http.StatusOK, publicKeyJSON{Alg: "Ed25519", KeyID: g.signer.keyID, PublicKey: base64.StdEncoding.EncodeToString(g.signer.pub),
		Signs: `JSON: "liandong service record v1\n" + compact JSON of record; CSV: "liandong service record csv v1\n" + the file up to its #signature line`})
	return nil
}

type recordPageData struct {
	Lang      i18n.Lang
	zone      *time.Location
	Rec       serviceRecord
	Signed    string
	Signature string
	KeyID     string
}

// T says a key of the page's catalogue in the page's language.
func (d recordPageData) T(key string, params ...any) string {
	return pageText.T(d.Lang, key, params...)
}

// Total is the record's total hours and assignments in a sentence.
func (d recordPageData) Total() string {
	return pageText.N(d.Lang, "record.total", d.Rec.Assignments, "hours", i18n.FormatFloat(d.Lang, d.Rec.TotalHours, 2))
}

// Role is a role in the glossary's word.
func (d recordPageData) Role(r mobilize.Role) string { return roleWord(d.Lang, string(r)) }

// Category says a need category in the glossary's words.
func (d recordPageData) Category(code string) string { return categoryWord(d.Lang, code) }

// When is one of the record's RFC 3339 times in the configured zone, in
// the language's form; a time that does not parse as it is.
func (d recordPageData) When(s string) string {
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		return s
	}
	return i18n.FormatTime(d.Lang, t, d.zone)
}

// Edited reports whether a coordinator corrected any entry, which the
// page then explains.
func (d recordPageData) Edited() bool {
	for _, e := range d.Rec.Entries {
		if e.Edited {
			return true
		}
	}
	return false
}

// Hours is a number of hours with two decimals.
func (d recordPageData) Hours(h float64) string { return i18n.FormatFloat(d.Lang, h, 2) }

var recordPage = template.Must(template.New("record").Parse(`<!doctype html>
<html lang="{{.Lang}}"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{{.T "record.title"}} — {{.Rec.Name}}</title>
<style>
body{font-family:system-ui,-apple-system,"PingFang SC","Hiragino Sans GB","Microsoft YaHei","Noto Sans CJK SC","Source Han Sans SC",sans-serif;max-width:52rem;margin:1.5rem auto;padding:0 1rem;color:#1d2733;line-height:1.45}
table{border-collapse:collapse;width:100%;font-size:.92rem}
th,td{border:1px solid #c7ccd3;padding:.3rem .45rem;text-align:left}
th{background:#f1f4f8}
td.n{text-align:right}
.sig{font-family:ui-monospace,monospace;font-size:.72rem;word-break:break-all;background:#f6f7f9;padding:.5rem;border:1px solid #dde1e6}
@media print{.sig{font-size:.6rem}}
</style></head><body>
<main>
<h1>{{.T "record.title"}}</h1>
<p><strong>{{.Rec.Name}}</strong> · {{.Role .Rec.Role}}{{if .Rec.OrgID}} · {{.Rec.OrgID}}{{end}}<br>
{{.T "record.who" "id" .Rec.ResponderID "issued" (.When .Rec.IssuedAt)}}</p>
<p><strong>{{.Total}}</strong></p>
<table><thead><tr><th scope="col">{{.T "record.completed"}}</th><th scope="col">{{.T "record.role"}}</th><th scope="col">{{.T "record.category"}}</th><th scope="col">{{.T "record.hours"}}</th><th scope="col">{{.T "record.rating"}}</th></tr></thead><tbody>
{{range .Rec.Entries}}<tr><td>{{$.When .CompletedAt}}</td><td>{{$.Role .Role}}</td><td>{{$.Category .Category}}</td><td class="n">{{$.Hours .Hours}}{{if .Edited}}*{{end}}</td><td>{{if .Rating}}{{$.T "record.rating_of" "rating" .Rating}}{{else}}{{$.T "record.unrated"}}{{end}}</td></tr>
{{end}}</tbody></table>
{{if .Edited}}<p style="font-size:.85rem">{{.T "record.edited"}}</p>{{end}}
<h2 style="font-size:1rem">{{.T "record.signature" "key" .KeyID}}</h2>
<p style="font-size:.85rem">{{.T "record.check" "url" "/api/v1/service-records/verify"}}</p>
<h3 style="font-size:.9rem">{{.T "record.signed"}}</h3>
<div class="sig" lang="en">{{.Signed}}</div>
<p class="sig" lang="en">{{.Signature}}</p>
</main>
</body></html>
`))
