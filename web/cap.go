package web

import (
	"context"
	"mime"
	"net/http"

	"go.uber.org/zap"

	"github.com/liandong/liandong/mobilize"
	"github.com/liandong/liandong/mobilize/cap"
)

// defaultCAPMaxBytes caps one CAP alert (cap.max_bytes): real warnings are
// a few kilobytes, polygons of a district a few dozen.
const defaultCAPMaxBytes = 256 << 10

// capMediaType is the media type of CAP documents (CAP-V1.2 §3.3.1 names
// application/cap+xml as registered with IANA).
const capMediaType = "application/cap+xml"

// capGroup receives CAP 1.2 warnings from the early-warning system.
type capGroup struct {
	app   capApp
	audit *auditor
	log   *zap.Logger
}

// capApp is what the CAP door needs of the application.
type capApp interface {
	ReceiveCAP(ctx context.Context, a *cap.Alert) (mobilize.CAPOutcome, error)
}

// capJSON is what a CAP alert did.
type capJSON struct {
	Identifier string        `json:"identifier"`
	Status     string        `json:"status" doc:"the alert's CAP status: Actual, Exercise, System, Test, Draft"`
	MsgType    string        `json:"msg_type" doc:"the alert's CAP msgType: Alert, Update, Cancel, Ack, Error"`
	Action     string        `json:"action" doc:"created, updated, closed, unchanged or acknowledged (logged only)"`
	Why        string        `json:"why"`
	Incident   *incidentJSON `json:"incident" doc:"the incident it created, updated or closed; null when acknowledged only"`
	PreAlerted int           `json:"pre_alerted" doc:"responders inside the area sent a standby (cap.pre_alert, Severe or Extreme only)"`
}

// handleCAP is POST /api/v1/cap: one CAP 1.2 alert as application/cap+xml.
// A bad alert is refused whole (400 naming the element), nothing created.
func (g *capGroup) handleCAP(ctx context.Context, c *call) error {
	// A missing Content-Type is taken as CAP (feeds' relays often send
	// none); a different one is a client posting the wrong thing here.
	if ct := c.r.Header.Get("Content-Type"); ct != "" {
		if mt, _, err := mime.ParseMediaType(ct); err != nil || mt != capMediaType {
			return invalid("Content-Type must be " + capMediaType + ": one CAP 1.2 alert")
		}
	}
	a, err := cap.Parse(c.body)
	if err != nil {
		g.log.Info("cap alert refused", zap.Error(err))
		return invalid(err.Error())
	}
	out, err := g.app.ReceiveCAP(ctx, a)
	if err != nil {
		return err
	}
	g.log.Info("cap alert", zap.String("sender", a.Sender), zap.String("identifier", a.Identifier),
		zap.String("status", a.Status), zap.String("msg_type", a.MsgType), zap.String("action", string(out.Action)),
		zap.Int("pre_alerted", out.PreAlerted))
	ans := capJSON{Identifier: a.Identifier, Status: a.Status, MsgType: a.MsgType, Action: string(out.Action), Why: out.Why, PreAlerted: out.PreAlerted}
	if out.Incident != nil {
		in := toIncidentJSON(*out.Incident)
		ans.Incident = &in
		g.audit.record(ctx, c.id, "cap."+string(out.Action), string(out.Incident.ID), 0)
	}
	c.json(http.StatusOK, ans)
	return nil
}
