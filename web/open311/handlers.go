package open311

import (
	"cmp"
	"errors"
	"fmt"
	"net/http"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/paulmach/orb"
	"go.uber.org/zap"

	"github.com/liandong/liandong/geo"
	"github.com/liandong/liandong/mobilize"
)

// Bounds of what the door accepts.
const (
	maxFormBytes   = 64 << 10
	maxListed      = 1000 // the specification's default limit of GET requests
	defaultSpan    = 90 * 24 * time.Hour
	maxIDsInFilter = 100
)

// changeset dates the discovery document and the services; the services
// come from the configuration, read at start.
var changeset = time.Date(2026, 12, 7, 0, 0, 0, 0, time.UTC)

func (h *Handler) handleTop(w http.ResponseWriter, r *http.Request) {
	name, format, ok := splitFormat(r.PathValue("file"))
	if !ok {
		writeErrors(w, formatOf(r.URL.Path), http.StatusNotFound, "no such resource: name it with .xml or .json")
		return
	}
	switch name {
	case "discovery":
		h.discovery(w, r, format)
	case "services":
		h.servicesList(w, format)
	case "requests":
		h.listRequests(w, r, format)
	default:
		writeErrors(w, format, http.StatusNotFound, "no such resource: "+name)
	}
}

func (h *Handler) discovery(w http.ResponseWriter, r *http.Request, format string) {
	base := h.opts.BaseURL
	if base == "" {
		scheme := "https"
		if r.TLS == nil {
			scheme = "http"
		}
		base = scheme + "://" + r.Host
	}
	d := discoveryDoc{Changeset: changeset.Format(time.RFC3339), Contact: h.opts.Contact, KeyService: h.opts.KeyService,
		Endpoints: []endpoint{{Specification: specificationURL, URL: strings.TrimSuffix(base, "/") + strings.TrimSuffix(Prefix, "/"),
			Changeset: changeset.Format(time.RFC3339), Type: "production", Formats: []string{"text/xml", "application/json"}}}}
	write(w, format, http.StatusOK, d, d)
}

// serviceName is both names, Chinese first.
func serviceName(s Service) string { return s.NameZh + " / " + s.NameEn }

func (h *Handler) servicesList(w http.ResponseWriter, format string) {
	out := make([]serviceJSON, 0, len(h.opts.Services))
	for _, s := range h.opts.Services {
		out = append(out, serviceJSON{Code: s.Code, Name: serviceName(s), Description: s.Description,
			Metadata: len(s.Attributes) > 0, Type: "realtime", Keywords: strings.Join(s.Keywords, ", "), Group: s.Group})
	}
	write(w, format, http.StatusOK, servicesDoc{Services: out}, out)
}

func (h *Handler) handleServiceDefinition(w http.ResponseWriter, r *http.Request) {
	code, format, ok := splitFormat(r.PathValue("file"))
	if !ok {
		writeErrors(w, formatOf(r.URL.Path), http.StatusNotFound, "no such resource: name it with .xml or .json")
		return
	}
	s, found := h.services[code]
	if !found || len(s.Attributes) == 0 {
		writeErrors(w, format, http.StatusNotFound, "no service definition for service_code "+code)
		return
	}
	d := definitionDoc{Code: s.Code}
	for _, a := range s.Attributes {
		aj := attributeJSON{Variable: true, Code: a.Code, Datatype: a.Datatype, Required: a.Required,
			Order: a.Order, Description: a.Description}
		for _, v := range a.Values {
			aj.Values = append(aj.Values, valueJSON(v))
		}
		d.Attributes = append(d.Attributes, aj)
	}
	write(w, format, http.StatusOK, d, d)
}

// partner checks the api_key of the request and the key's rate; on
// failure it has answered.
func (h *Handler) partner(w http.ResponseWriter, r *http.Request, format, key string) (Partner, bool) {
	addr := r.RemoteAddr
	if host, _, ok := strings.Cut(addr, ":"); ok && !strings.Contains(host, "[") {
		addr = host
	}
	if key == "" {
		if !h.limiter.allow("addr:" + addr) {
			writeErrors(w, format, http.StatusTooManyRequests, "too many requests; try again in a minute")
			return Partner{}, false
		}
		writeErrors(w, format, http.StatusForbidden, "api_key is required")
		return Partner{}, false
	}
	p, ok, err := h.opts.Keys.Verify(r.Context(), key)
	if err != nil {
		h.opts.Logger.Error("open311: checking an api_key", zap.Error(err))
		writeErrors(w, format, http.StatusServiceUnavailable, "the service is unavailable; try again shortly")
		return Partner{}, false
	}
	if !ok {
		if !h.limiter.allow("addr:" + addr) { // guessing keys costs the guesser
			writeErrors(w, format, http.StatusTooManyRequests, "too many requests; try again in a minute")
			return Partner{}, false
		}
		writeErrors(w, format, http.StatusForbidden, "invalid api_key")
		return Partner{}, false
	}
	if !h.limiter.allow("key:" + p.ID) {
		writeErrors(w, format, http.StatusTooManyRequests, "too many requests for this api_key; try again in a minute")
		return Partner{}, false
	}
	return p, true
}

func (h *Handler) handlePost(w http.ResponseWriter, r *http.Request) {
	name, format, ok := splitFormat(r.PathValue("file"))
	if !ok || name != "requests" {
		writeErrors(w, formatOf(r.URL.Path), http.StatusNotFound, "no such resource: POST requests.xml or requests.json")
		return
	}
	r.Body = http.MaxBytesReader(w, r.Body, maxFormBytes)
	if err := r.ParseForm(); err != nil {
		writeErrors(w, format, http.StatusBadRequest, "the body must be application/x-www-form-urlencoded, at most 64 KiB")
		return
	}
	form := r.PostForm
	p, ok := h.partner(w, r, format, form.Get("api_key"))
	if !ok {
		return
	}
	n, problem := h.needOf(form)
	if problem != "" {
		writeErrors(w, format, http.StatusBadRequest, problem)
		return
	}
	n.Partner = p.ID
	created, err := h.opts.App.CreateIntake(r.Context(), n, p.Trusted)
	if err != nil {
		status, msg := errorStatus(err)
		if status >= 500 {
			h.opts.Logger.Error("open311: filing a request", zap.String("partner", p.ID), zap.Error(err))
		}
		writeErrors(w, format, status, msg)
		return
	}
	h.opts.Logger.Info("open311 request filed", zap.String("partner", p.ID), zap.String("need_id", string(created.ID)),
		zap.String("service_code", n.ServiceCode), zap.String("status", string(created.Status)))
	out := []createdJSON{{ID: string(created.ID), Notice: h.opts.Notice}}
	write(w, format, http.StatusCreated, createdDoc{Requests: out}, out)
}

// errorStatus maps the application's errors to the answer a partner sees;
// a server fault is never described.
func errorStatus(err error) (int, string) {
	switch {
	case errors.Is(err, mobilize.ErrInvalid):
		return http.StatusBadRequest, err.Error()
	case errors.Is(err, mobilize.ErrNotFound):
		return http.StatusNotFound, "not found"
	case errors.Is(err, mobilize.ErrUnavailable):
		return http.StatusServiceUnavailable, "the service is unavailable; try again shortly"
	}
	return http.StatusInternalServerError, "internal error"
}

// attributeParam matches attribute[CODE] and attribute[CODE][].
var attributeParam = regexp.MustCompile(`^attribute\[([^\[\]]{1,64})\](\[\])?$`)

// needOf reads a POST requests form into a need, or says what is wrong.
func (h *Handler) needOf(form map[string][]string) (mobilize.Need, string) {
	get := func(k string) string {
		if v := form[k]; len(v) > 0 {
			return strings.TrimSpace(v[0])
		}
		return ""
	}
	s, ok := h.services[get("service_code")]
	if !ok {
		return mobilize.Need{}, "service_code is required and must be one of services.xml"
	}
	n := mobilize.Need{Source: mobilize.SourceOpen311, ServiceCode: s.Code, Category: s.Category, Urgency: s.Urgency,
		Team: slices.Clone(s.Team), Description: get("description")}
	for _, f := range []struct {
		name string
		max  int
	}{{"description", mobilize.MaxDescription}, {"first_name", 64}, {"last_name", 64}, {"phone", 64}, {"email", 128}, {"address_string", mobilize.MaxAddressLen}} {
		if msg := checkText(f.name, get(f.name), f.max, f.name == "description"); msg != "" {
			return mobilize.Need{}, msg
		}
	}
	lat, lng := get("lat"), get("long")
	switch {
	case lat != "" || lng != "":
		la, err1 := strconv.ParseFloat(lat, 64)
		lo, err2 := strconv.ParseFloat(lng, 64)
		if err1 != nil || err2 != nil {
			return mobilize.Need{}, "lat and long must both be decimal degrees (WGS84)"
		}
		pt, err := geo.NewPoint(la, lo)
		if err != nil {
			return mobilize.Need{}, "lat must be -90..90 and long -180..180"
		}
		n.Point = pt
	case get("address_string") != "":
		n.Point, n.Unplaced = orb.Point{}, true
	default:
		return mobilize.Need{}, "a location is required: lat and long, or address_string"
	}
	n.Address = get("address_string")
	name := strings.TrimSpace(get("first_name") + " " + get("last_name"))
	if c := (mobilize.Contact{Name: name, Phone: get("phone"), Email: get("email")}); c != (mobilize.Contact{}) {
		n.Contacts = []mobilize.Contact{c}
	}
	notes, msg := attributes(s, form)
	if msg != "" {
		return mobilize.Need{}, msg
	}
	n.Notes = notes
	return n, ""
}

// attributes checks the attribute[...] answers against the service's
// definition and keeps them as notes ("CODE: value").
func attributes(s Service, form map[string][]string) ([]string, string) {
	given := map[string][]string{}
	for k, vs := range form {
		m := attributeParam.FindStringSubmatch(k)
		if m == nil {
			continue
		}
		given[m[1]] = append(given[m[1]], vs...)
	}
	var notes []string
	for _, a := range s.Attributes {
		vs := given[a.Code]
		delete(given, a.Code)
		if len(vs) == 0 || (len(vs) == 1 && strings.TrimSpace(vs[0]) == "") {
			if a.Required {
				return nil, fmt.Sprintf("attribute[%s] is required", a.Code)
			}
			continue
		}
		if a.Datatype != "multivaluelist" && len(vs) > 1 {
			return nil, fmt.Sprintf("attribute[%s] takes one value", a.Code)
		}
		for _, v := range vs {
			if msg := checkAttribute(a, v); msg != "" {
				return nil, msg
			}
		}
		notes = append(notes, a.Code+": "+strings.Join(vs, ", "))
	}
	for code := range given {
		return nil, fmt.Sprintf("attribute[%s] is not an attribute of service %s", code, s.Code)
	}
	return notes, ""
}

func checkAttribute(a Attribute, v string) string {
	switch a.Datatype {
	case "number":
		if _, err := strconv.ParseFloat(v, 64); err != nil {
			return fmt.Sprintf("attribute[%s] must be a number", a.Code)
		}
	case "datetime":
		if _, err := time.Parse(time.RFC3339, v); err != nil {
			return fmt.Sprintf("attribute[%s] must be a date and time such as 2026-12-07T08:00:00+08:00", a.Code)
		}
	case "singlevaluelist", "multivaluelist":
		if !slices.ContainsFunc(a.Values, func(x AttributeValue) bool { return x.Key == v }) {
			return fmt.Sprintf("attribute[%s] must be one of the keys of its values", a.Code)
		}
	}
	return checkText("attribute["+a.Code+"]", v, 500, a.Datatype == "text")
}

// checkText refuses text that is too long, not UTF-8, or carries control
// or invisible characters (the API's rule for free text and names).
func checkText(field, s string, maxBytes int, multiline bool) string {
	hidden := mobilize.Invisible
	if multiline {
		hidden = mobilize.HiddenInFreeText
	}
	switch {
	case len(s) > maxBytes:
		return fmt.Sprintf("%s is longer than %d bytes", field, maxBytes)
	case !utf8.ValidString(s):
		return field + " is not valid UTF-8"
	case strings.ContainsFunc(s, func(r rune) bool {
		return unicode.IsControl(r) && !(multiline && (r == '\n' || r == '\t' || r == '\r'))
	}):
		return field + " contains control characters"
	case strings.ContainsFunc(s, hidden):
		return field + " contains invisible characters"
	}
	return ""
}

// listRequests is GET requests: the partner's own requests, newest first.
func (h *Handler) listRequests(w http.ResponseWriter, r *http.Request, format string) {
	q := r.URL.Query()
	p, ok := h.partner(w, r, format, q.Get("api_key"))
	if !ok {
		return
	}
	now := h.opts.Now()
	end, start := now, now.Add(-defaultSpan)
	for _, f := range []struct {
		name string
		to   *time.Time
	}{{"start_date", &start}, {"end_date", &end}} {
		if v := q.Get(f.name); v != "" {
			t, err := time.Parse(time.RFC3339, v)
			if err != nil {
				writeErrors(w, format, http.StatusBadRequest, f.name+" must be a date and time such as 2010-05-24T00:00:00Z")
				return
			}
			*f.to = t
		}
	}
	if q.Get("start_date") != "" && q.Get("end_date") == "" {
		end = start.Add(defaultSpan)
	}
	if q.Get("end_date") != "" && q.Get("start_date") == "" {
		start = end.Add(-defaultSpan)
	}
	status := q.Get("status")
	if status != "" && status != "open" && status != "closed" {
		writeErrors(w, format, http.StatusBadRequest, "status must be open or closed")
		return
	}
	var codes, ids []string
	if v := q.Get("service_code"); v != "" {
		codes = strings.Split(v, ",")
	}
	if v := q.Get("service_request_id"); v != "" {
		ids = strings.Split(v, ",")
		if len(ids) > maxIDsInFilter {
			writeErrors(w, format, http.StatusBadRequest, fmt.Sprintf("at most %d service_request_id at once", maxIDsInFilter))
			return
		}
	}
	var needs []mobilize.NeedState
	var err error
	if ids != nil { // the specification: other filters are ignored when ids are given
		nids := make([]mobilize.NeedID, len(ids))
		for i, id := range ids {
			nids[i] = mobilize.NeedID(strings.TrimSpace(id))
		}
		needs, err = h.opts.App.Needs(r.Context(), nids)
	} else {
		needs, err = h.needsBetween(r, start, end)
	}
	if err != nil {
		st, msg := errorStatus(err)
		h.opts.Logger.Error("open311: listing requests", zap.String("partner", p.ID), zap.Error(err))
		writeErrors(w, format, st, msg)
		return
	}
	out := []requestJSON{}
	for _, n := range needs {
		if n.Partner != p.ID || (ids == nil && !keep(n, codes, status)) {
			continue
		}
		out = append(out, h.requestOf(n))
		if len(out) == maxListed {
			break
		}
	}
	write(w, format, http.StatusOK, requestsDoc{Requests: out}, out)
}

func keep(n mobilize.NeedState, codes []string, status string) bool {
	if codes != nil && !slices.Contains(codes, n.ServiceCode) {
		return false
	}
	return status == "" || openOrClosed(n.Status) == status
}

// needsBetween reads the needs created in [start, end], newest first.
func (h *Handler) needsBetween(r *http.Request, start, end time.Time) ([]mobilize.NeedState, error) {
	sums, err := h.opts.App.NeedSummaries(r.Context(), false)
	if err != nil {
		return nil, err
	}
	sums = slices.DeleteFunc(sums, func(s mobilize.NeedSummary) bool {
		return s.CreatedAt.Before(start) || s.CreatedAt.After(end)
	})
	slices.SortFunc(sums, func(a, b mobilize.NeedSummary) int {
		return cmp.Or(b.CreatedAt.Compare(a.CreatedAt), cmp.Compare(a.ID, b.ID))
	})
	ids := make([]mobilize.NeedID, len(sums))
	for i, s := range sums {
		ids[i] = s.ID
	}
	return h.opts.App.Needs(r.Context(), ids)
}

func (h *Handler) handleOneRequest(w http.ResponseWriter, r *http.Request) {
	id, format, ok := splitFormat(r.PathValue("file"))
	if !ok {
		writeErrors(w, formatOf(r.URL.Path), http.StatusNotFound, "no such resource: name it with .xml or .json")
		return
	}
	p, ok := h.partner(w, r, format, r.URL.Query().Get("api_key"))
	if !ok {
		return
	}
	n, err := h.opts.App.Need(r.Context(), mobilize.NeedID(id))
	if errors.Is(err, mobilize.ErrNotFound) || (err == nil && n.Partner != p.ID) {
		writeErrors(w, format, http.StatusNotFound, "no service request "+id)
		return
	}
	if err != nil {
		st, msg := errorStatus(err)
		writeErrors(w, format, st, msg)
		return
	}
	out := []requestJSON{h.requestOf(n)}
	write(w, format, http.StatusOK, requestsDoc{Requests: out}, out)
}

// openOrClosed is the specification's two statuses.
func openOrClosed(s mobilize.NeedStatus) string {
	if s.Terminal() {
		return "closed"
	}
	return "open"
}

// statusNotes say where the need is, Chinese first.
var statusNotes = map[mobilize.NeedStatus]string{
	mobilize.NeedPendingReview: "待审核 / awaiting review",
	mobilize.NeedOpen:          "正在安排人员 / finding people",
	mobilize.NeedStaffing:      "正在安排人员 / finding people",
	mobilize.NeedStaffed:       "人员已出发 / team on the way",
	mobilize.NeedCompleted:     "已完成 / completed",
	mobilize.NeedCancelled:     "已取消 / cancelled",
	mobilize.NeedUnstaffed:     "未能安排人员 / no team found in time",
	mobilize.NeedRejected:      "未受理 / not accepted",
	mobilize.NeedMerged:        "与另一请求合并 / merged with another request",
}

// requestOf shows a need as a service request: never its contacts.
func (h *Handler) requestOf(n mobilize.NeedState) requestJSON {
	out := requestJSON{ID: string(n.ID), Status: openOrClosed(n.Status), StatusNotes: statusNotes[n.Status],
		ServiceCode: n.ServiceCode, Description: n.Description, ServiceNotice: h.opts.Notice,
		RequestedDatetime: n.CreatedAt.Format(time.RFC3339), UpdatedDatetime: cmp.Or(n.StaffedAt, n.CreatedAt).Format(time.RFC3339),
		Address: n.Address}
	if n.Status == mobilize.NeedMerged && n.MergedInto != "" {
		out.StatusNotes += " (" + string(n.MergedInto) + ")"
	}
	if s, ok := h.services[n.ServiceCode]; ok {
		out.ServiceName = serviceName(s)
	}
	if !n.Unplaced {
		lat, lng := geo.Lat(n.Point), geo.Lng(n.Point)
		out.Lat, out.Long = &lat, &lng
		out.LatXML, out.LongXML = strconv.FormatFloat(lat, 'f', -1, 64), strconv.FormatFloat(lng, 'f', -1, 64)
	}
	return out
}
