package loadtest

import (
	"encoding/xml"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// beijing is UTC+8, the time the national CAP profile (GB/T 35965.1)
// writes its identifiers and times in; fixed, so no zone database is
// needed.
var beijing = time.FixedZone("CST", 8*3600)

// capDoc is a CAP 1.2 alert as the drill writes it: one info, one area,
// one polygon. Field order is the schema's element order.
type capDoc struct {
	XMLName    xml.Name `xml:"urn:oasis:names:tc:emergency:cap:1.2 alert"`
	Identifier string   `xml:"identifier"`
	Sender     string   `xml:"sender"`
	Sent       string   `xml:"sent"`
	Status     string   `xml:"status"`
	MsgType    string   `xml:"msgType"`
	Scope      string   `xml:"scope"`
	Note       string   `xml:"note,omitempty"`
	Info       capInfo  `xml:"info"`
}

type capInfo struct {
	Language     string         `xml:"language"`
	Category     string         `xml:"category"`
	Event        string         `xml:"event"`
	ResponseType string         `xml:"responseType"`
	Urgency      string         `xml:"urgency"`
	Severity     string         `xml:"severity"`
	Certainty    string         `xml:"certainty"`
	EventCode    *capValue      `xml:"eventCode,omitempty"`
	Effective    string         `xml:"effective"`
	Expires      string         `xml:"expires,omitempty"`
	SenderName   string         `xml:"senderName,omitempty"`
	Headline     string         `xml:"headline"`
	Description  string         `xml:"description,omitempty"`
	Instruction  string         `xml:"instruction,omitempty"`
	Area         capAreaElement `xml:"area"`
}

type capValue struct {
	ValueName string `xml:"valueName"`
	Value     string `xml:"value"`
}

type capAreaElement struct {
	AreaDesc string `xml:"areaDesc"`
	Polygon  string `xml:"polygon"`
}

// capAlert is one written warning: the document and the identifier it
// carries.
type capAlert struct {
	Identifier string
	XML        []byte
}

// writeCAP writes the scenario's warning, sent at now, over ring (a
// closed ring of the event area). The identifier follows the national
// profile: sender, Beijing time to the second, a sequence number.
func writeCAP(c *CAPSpec, ring []LatLng, now time.Time, seq int) (capAlert, error) {
	if len(ring) < 4 {
		return capAlert{}, fmt.Errorf("cap: the area needs at least 4 points, has %d", len(ring))
	}
	bj := now.In(beijing).Truncate(time.Second)
	id := c.Sender + "_" + bj.Format("20060102150405") + "_" + strconv.Itoa(seq)
	pts := make([]string, len(ring))
	for i, v := range ring {
		pts[i] = strconv.FormatFloat(v.Lat, 'f', 5, 64) + "," + strconv.FormatFloat(v.Lng, 'f', 5, 64)
	}
	status := c.Status
	if status == "" {
		status = "Exercise"
	}
	doc := capDoc{
		Identifier: id, Sender: c.Sender, Sent: bj.Format(time.RFC3339), Status: status, MsgType: "Alert", Scope: "Public",
		Info: capInfo{
			Language: "zh-CN", Category: "Met", Event: c.Event, ResponseType: "Prepare", Urgency: "Expected",
			Severity: c.Severity, Certainty: "Likely", Effective: bj.Format(time.RFC3339), SenderName: c.SenderName,
			Headline: c.Headline, Description: c.Description, Instruction: c.Instruction,
			Area: capAreaElement{AreaDesc: cmpOrDefault(c.AreaDesc, c.Headline), Polygon: strings.Join(pts, " ")},
		},
	}
	if status == "Exercise" {
		doc.Note = "演练 drill: not a real warning"
	}
	if c.EventCode != "" {
		doc.Info.EventCode = &capValue{ValueName: "GB/T 35965.1", Value: c.EventCode}
	}
	if c.Expires > 0 {
		doc.Info.Expires = bj.Add(c.Expires).Format(time.RFC3339)
	}
	raw, err := xml.MarshalIndent(doc, "", "  ")
	if err != nil {
		return capAlert{}, fmt.Errorf("cap: %w", err)
	}
	return capAlert{Identifier: id, XML: append([]byte(xml.Header), raw...)}, nil
}

func cmpOrDefault(s, def string) string {
	if strings.TrimSpace(s) == "" {
		return def
	}
	return s
}
