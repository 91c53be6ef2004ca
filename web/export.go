package web

import (
	"context"
	"encoding/csv"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"go.uber.org/zap"

	"github.com/liandong/liandong/geo"
	"github.com/liandong/liandong/mobilize"
)

// exportGroup serves GET /api/v1/needs/export: every need that passes the
// filters, as CSV or GeoJSON, written page by page as the store yields
// them, so that a hundred thousand needs cost the memory of one page.
type exportGroup struct {
	app   exportApp
	audit *auditor
	log   *zap.Logger
	now   func() time.Time
	zone  *time.Location // the date in the file's name
}

// exportApp is what exports need of the application.
type exportApp interface {
	ExportNeeds(ctx context.Context, f mobilize.ExportFilter, page func([]mobilize.NeedState) error) error
	Linkage(ctx context.Context) (*mobilize.Linkage, error)
}

// exportParams are the query parameters an export accepts; any other is
// refused, so that a misspelt filter cannot export more than was meant.
var exportParams = []string{"format", "status", "from", "to", "incident", "area", "bbox"}

// exportWriteWindow is how long one page may take to reach the client:
// the server's write timeout bounds ordinary answers, and an export of a
// city outlives it, so each page moves the deadline on.
const exportWriteWindow = time.Minute

// parseExport reads the export's format and filters, naming the first
// parameter that is wrong.
func parseExport(r *http.Request) (string, mobilize.ExportFilter, error) {
	q := r.URL.Query()
	var f mobilize.ExportFilter
	for name := range q {
		if !slices.Contains(exportParams, name) {
			return "", f, invalid("unknown parameter " + name + ": use " + strings.Join(exportParams, ", "))
		}
		if name != "status" && len(q[name]) > 1 {
			return "", f, invalid(name + " is given more than once")
		}
	}
	format := q.Get("format")
	switch format {
	case "":
		format = "csv"
	case "csv", "geojson":
	default:
		return "", f, invalid("format must be csv or geojson")
	}
	for _, list := range q["status"] {
		for s := range strings.SplitSeq(list, ",") {
			st := mobilize.NeedStatus(strings.TrimSpace(s))
			if !slices.Contains(needStatuses, st) {
				return "", f, invalid("status must be a comma-separated list of open, staffing, staffed, completed, cancelled, unstaffed, pending_review, rejected, merged")
			}
			if !slices.Contains(f.Statuses, st) {
				f.Statuses = append(f.Statuses, st)
			}
		}
	}
	for _, p := range []struct {
		name string
		to   *time.Time
	}{{"from", &f.From}, {"to", &f.To}} {
		if s := q.Get(p.name); s != "" {
			t, err := time.Parse(time.RFC3339, s)
			if err != nil {
				return "", f, invalid(p.name + " must be an RFC 3339 time, e.g. 2026-12-07T08:00:00+08:00")
			}
			*p.to = t
		}
	}
	if !f.From.IsZero() && !f.To.IsZero() && !f.From.Before(f.To) {
		return "", f, invalid("from must be before to")
	}
	if s := q.Get("incident"); s != "" {
		if !idPattern.MatchString(s) {
			return "", f, invalid("incident must be an incident id")
		}
		f.Incident = mobilize.IncidentID(s)
	}
	area, bbox := q.Get("area"), q.Get("bbox")
	if area != "" && bbox != "" {
		return "", f, invalid("area and bbox: give one of them, not both")
	}
	if area != "" {
		if !idPattern.MatchString(area) {
			return "", f, invalid("area must be the id of a loaded area")
		}
		f.Area = mobilize.AreaID(area)
	}
	if bbox != "" {
		box, err := parseBBox(bbox)
		if err != nil {
			return "", f, err
		}
		f.Box = &box
	}
	return format, f, nil
}

// handleExport is GET /api/v1/needs/export. A coordinator exports only
// the needs it sees; names, phones, descriptions and addresses go only to
// admins and operators.
func (g *exportGroup) handleExport(ctx context.Context, c *call) error {
	format, f, err := parseExport(c.r)
	if err != nil {
		return err
	}
	if c.id.Role == RoleCoordinator {
		link, err := g.app.Linkage(ctx)
		if err != nil {
			return err
		}
		scope := mobilize.NeedScope{Orgs: []string{c.id.OrgID}}
		if home := link.Orgs[c.id.OrgID].HomeArea; home != "" {
			scope.Communities = link.Areas.Below(home, mobilize.TierCommunity)
		}
		f.Scope, f.Sees = &scope, coordinatorSees(link, c.id)
	}
	personal := c.id.Role == RoleAdmin || c.id.Role == RoleOperator
	var out exportWriter
	if format == "csv" {
		out = newCSVExport(c.w, personal)
	} else {
		out = &geojsonExport{w: c.w, personal: personal}
	}
	rc := http.NewResponseController(c.w)
	started, rows := false, 0
	err = g.app.ExportNeeds(ctx, f, func(page []mobilize.NeedState) error {
		if !started {
			// The first page came: the filters held, and the answer begins.
			started = true
			// Audited before a byte leaves: an export cut short was still
			// a read of personal data.
			g.audit.record(ctx, c.id, "need.export", format+"?"+c.r.URL.RawQuery, 0)
			h := c.w.Header()
			h.Set("Content-Type", out.contentType())
			h.Set("Content-Disposition", `attachment; filename="needs-`+g.now().In(g.zone).Format("2006-01-02")+"."+out.extension()+`"`)
			h.Set("X-Content-Type-Options", "nosniff")
			c.w.WriteHeader(http.StatusOK)
			if err := out.begin(); err != nil {
				return err
			}
		}
		if err := rc.SetWriteDeadline(time.Now().Add(exportWriteWindow)); err != nil && !errors.Is(err, http.ErrNotSupported) {
			return err
		}
		for _, n := range page {
			if err := out.need(n); err != nil {
				return err
			}
		}
		rows += len(page)
		if err := out.flush(); err != nil {
			return err
		}
		if err := rc.Flush(); err != nil && !errors.Is(err, http.ErrNotSupported) {
			return err
		}
		return nil
	})
	if err != nil && !started {
		return err // nothing written yet: an ordinary error answer
	}
	if err == nil {
		err = out.end()
	}
	if err != nil {
		// Half a file must not look whole: drop the connection, so the
		// client sees the transfer fail.
		g.log.Warn("export cut short", zap.String("actor", c.id.Subject), zap.Int("rows", rows), zap.Error(err))
		panic(http.ErrAbortHandler)
	}
	return nil
}

// exportWriter writes one format of an export.
type exportWriter interface {
	contentType() string
	extension() string
	begin() error
	need(n mobilize.NeedState) error
	flush() error
	end() error
}

// exportColumns are every export's columns, in order: the CSV header and
// the GeoJSON properties.
var exportColumns = []string{"id", "number", "status", "urgency", "category", "created_at", "staffed_at", "deadline",
	"lat", "lng", "community", "org_id", "incident_id", "slots", "filled", "lead_id", "source"}

// exportPersonalColumns follow them for admins and operators only.
var exportPersonalColumns = []string{"description", "address", "requester_phone", "contact_names", "contact_phones"}

// exportValues are a need's cells, in the order of the columns; personal
// adds the personal ones. Text a person typed is left as typed here: the
// CSV neutralises formulas itself.
func exportValues(n mobilize.NeedState, personal bool) []string {
	filled := 0
	for _, f := range n.Filled {
		filled += f
	}
	number, lat, lng := "", "", ""
	if n.Number > 0 {
		number = strconv.FormatInt(n.Number, 10)
	}
	if !n.Unplaced {
		lat, lng = strconv.FormatFloat(geo.Lat(n.Point), 'f', 6, 64), strconv.FormatFloat(geo.Lng(n.Point), 'f', 6, 64)
	}
	v := []string{string(n.ID), number, string(n.Status), strconv.Itoa(n.Urgency), n.Category, rfc3339(n.CreatedAt),
		exportTime(n.StaffedAt), exportTime(n.Deadline), lat, lng, string(n.Community), n.OrgID, string(n.IncidentID),
		strconv.Itoa(n.Slots()), strconv.Itoa(filled), string(n.LeadID), string(n.Source)}
	if personal {
		var names, phones []string
		for _, ct := range n.Contacts {
			if ct.Name != "" {
				names = append(names, ct.Name)
			}
			if ct.Phone != "" {
				phones = append(phones, ct.Phone)
			}
		}
		v = append(v, n.Description, n.Address, n.RequesterPhone, strings.Join(names, "; "), strings.Join(phones, "; "))
	}
	return v
}

func exportTime(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return rfc3339(t)
}

// csvExport is the CSV form: UTF-8 with a byte-order mark (so that Excel
// reads Chinese as Chinese), a header row, one row per need.
type csvExport struct {
	w        io.Writer
	csv      *csv.Writer
	personal bool
}

func newCSVExport(w io.Writer, personal bool) *csvExport {
	return &csvExport{w: w, csv: csv.NewWriter(w), personal: personal}
}

func (e *csvExport) contentType() string { return "text/csv; charset=utf-8" }
func (e *csvExport) extension() string   { return "csv" }

func (e *csvExport) begin() error {
	if _, err := io.WriteString(e.w, "\uFEFF"); err != nil {
		return err
	}
	header := exportColumns
	if e.personal {
		header = append(slices.Clone(exportColumns), exportPersonalColumns...)
	}
	return e.csv.Write(header)
}

func (e *csvExport) need(n mobilize.NeedState) error {
	v := exportValues(n, e.personal)
	for i := range v {
		v[i] = csvSafe(v[i]) // a cell beginning = + - @ tab or CR is text, not a formula
	}
	return e.csv.Write(v)
}

func (e *csvExport) flush() error {
	e.csv.Flush()
	return e.csv.Error()
}

func (e *csvExport) end() error { return e.flush() }

// geojsonExport is the GeoJSON form: one FeatureCollection, written
// feature by feature; a need placed by address only has a null geometry.
type geojsonExport struct {
	w        io.Writer
	personal bool
	n        int
}

func (e *geojsonExport) contentType() string { return "application/geo+json" }
func (e *geojsonExport) extension() string   { return "geojson" }

func (e *geojsonExport) begin() error {
	_, err := io.WriteString(e.w, `{"type":"FeatureCollection","features":[`)
	return err
}

type exportFeature struct {
	Type       string            `json:"type"`
	ID         string            `json:"id"`
	Geometry   *exportPoint      `json:"geometry"`
	Properties map[string]string `json:"properties"`
}

type exportPoint struct {
	Type        string     `json:"type"`
	Coordinates [2]float64 `json:"coordinates"`
}

func (e *geojsonExport) need(n mobilize.NeedState) error {
	cols := exportColumns
	if e.personal {
		cols = append(slices.Clone(exportColumns), exportPersonalColumns...)
	}
	vals := exportValues(n, e.personal)
	f := exportFeature{Type: "Feature", ID: string(n.ID), Properties: make(map[string]string, len(cols))}
	for i, c := range cols {
		if vals[i] != "" {
			f.Properties[c] = vals[i]
		}
	}
	if !n.Unplaced {
		f.Geometry = &exportPoint{Type: "Point", Coordinates: [2]float64{geo.Lng(n.Point), geo.Lat(n.Point)}}
	}
	b, err := json.Marshal(f)
	if err != nil {
		return err
	}
	if e.n > 0 {
		b = append([]byte{','}, b...)
	}
	e.n++
	_, err = e.w.Write(b)
	return err
}

func (e *geojsonExport) flush() error { return nil }

func (e *geojsonExport) end() error {
	_, err := io.WriteString(e.w, "]}\n")
	return err
}
