package open311

import (
	"encoding/json"
	"encoding/xml"
	"net/http"
)

// The documents of GeoReport v2, each with the element names of its XML
// form and the keys of its JSON form, as the specification gives them.

// specificationURL names the specification in the discovery document.
const specificationURL = "http://wiki.open311.org/GeoReport_v2"

type discoveryDoc struct {
	XMLName    xml.Name   `xml:"discovery" json:"-"`
	Changeset  string     `xml:"changeset" json:"changeset"`
	Contact    string     `xml:"contact" json:"contact"`
	KeyService string     `xml:"key_service" json:"key_service"`
	Endpoints  []endpoint `xml:"endpoints>endpoint" json:"endpoints"`
}

type endpoint struct {
	Specification string   `xml:"specification" json:"specification"`
	URL           string   `xml:"url" json:"url"`
	Changeset     string   `xml:"changeset" json:"changeset"`
	Type          string   `xml:"type" json:"type"`
	Formats       []string `xml:"formats>format" json:"formats"`
}

type servicesDoc struct {
	XMLName  xml.Name      `xml:"services"`
	Services []serviceJSON `xml:"service"`
}

type serviceJSON struct {
	Code        string `xml:"service_code" json:"service_code"`
	Name        string `xml:"service_name" json:"service_name"`
	Description string `xml:"description" json:"description"`
	Metadata    bool   `xml:"metadata" json:"metadata"`
	Type        string `xml:"type" json:"type"`
	Keywords    string `xml:"keywords" json:"keywords"`
	Group       string `xml:"group" json:"group"`
}

type definitionDoc struct {
	XMLName    xml.Name        `xml:"service_definition" json:"-"`
	Code       string          `xml:"service_code" json:"service_code"`
	Attributes []attributeJSON `xml:"attributes>attribute" json:"attributes"`
}

type attributeJSON struct {
	Variable            bool        `xml:"variable" json:"variable"`
	Code                string      `xml:"code" json:"code"`
	Datatype            string      `xml:"datatype" json:"datatype"`
	Required            bool        `xml:"required" json:"required"`
	DatatypeDescription string      `xml:"datatype_description" json:"datatype_description"`
	Order               int         `xml:"order" json:"order"`
	Description         string      `xml:"description" json:"description"`
	Values              []valueJSON `xml:"values>value" json:"values,omitempty"`
}

type valueJSON struct {
	Key  string `xml:"key" json:"key"`
	Name string `xml:"name" json:"name"`
}

// createdDoc answers POST requests: <service_requests><request>.
type createdDoc struct {
	XMLName  xml.Name      `xml:"service_requests"`
	Requests []createdJSON `xml:"request"`
}

type createdJSON struct {
	ID           string  `xml:"service_request_id" json:"service_request_id"`
	Notice       string  `xml:"service_notice" json:"service_notice"`
	AccountID    *string `xml:"-" json:"account_id"` // always null: no accounts here
	AccountIDXML string  `xml:"account_id" json:"-"` // and an empty element in XML
}

type requestsDoc struct {
	XMLName  xml.Name      `xml:"service_requests"`
	Requests []requestJSON `xml:"request"`
}

// requestJSON is one service request as GET requests shows it.
type requestJSON struct {
	ID                string   `xml:"service_request_id" json:"service_request_id"`
	Status            string   `xml:"status" json:"status"`
	StatusNotes       string   `xml:"status_notes" json:"status_notes"`
	ServiceName       string   `xml:"service_name" json:"service_name"`
	ServiceCode       string   `xml:"service_code" json:"service_code"`
	Description       string   `xml:"description" json:"description"`
	AgencyResponsible string   `xml:"agency_responsible" json:"agency_responsible"`
	ServiceNotice     string   `xml:"service_notice" json:"service_notice"`
	RequestedDatetime string   `xml:"requested_datetime" json:"requested_datetime"`
	UpdatedDatetime   string   `xml:"updated_datetime" json:"updated_datetime"`
	ExpectedDatetime  string   `xml:"expected_datetime" json:"expected_datetime"`
	Address           string   `xml:"address" json:"address"`
	AddressID         string   `xml:"address_id" json:"address_id"`
	Zipcode           string   `xml:"zipcode" json:"zipcode"`
	Lat               *float64 `xml:"-" json:"lat"` // null until a reviewer places it
	Long              *float64 `xml:"-" json:"long"`
	LatXML            string   `xml:"lat" json:"-"` // empty until placed
	LongXML           string   `xml:"long" json:"-"`
	MediaURL          string   `xml:"media_url" json:"media_url"`
}

type errorsDoc struct {
	XMLName xml.Name    `xml:"errors"`
	Errors  []errorJSON `xml:"error"`
}

type errorJSON struct {
	Code        int    `xml:"code" json:"code"`
	Description string `xml:"description" json:"description"`
}

// write sends v in format: JSON as it is, XML with the declaration the
// specification asks for. JSON lists are the XML root's children.
func write(w http.ResponseWriter, format string, status int, xmlDoc, jsonDoc any) {
	if format == "json" {
		w.Header().Set("Content-Type", "application/json; charset=utf-8")
		w.WriteHeader(status)
		json.NewEncoder(w).Encode(jsonDoc)
		return
	}
	w.Header().Set("Content-Type", "text/xml; charset=utf-8")
	w.WriteHeader(status)
	w.Write([]byte(xml.Header))
	xml.NewEncoder(w).Encode(xmlDoc)
}

// writeErrors answers an error in the specification's format:
// [{"code":403,"description":"..."}] or <errors><error>...</error></errors>.
func writeErrors(w http.ResponseWriter, format string, status int, description string) {
	e := []errorJSON{{Code: status, Description: description}}
	write(w, format, status, errorsDoc{Errors: e}, e)
}
