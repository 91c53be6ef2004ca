package cap

import (
	"bytes"
	"context"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"

	"go.uber.org/zap"
)

// A feed lists CAP alerts: an Atom feed (RFC 4287) or an RSS 2.0 channel
// whose entries link to CAP documents, or carry one in their content.

type atomFeed struct {
	Entries []struct {
		ID    string `xml:"id"`
		Links []struct {
			Href string `xml:"href,attr"`
			Type string `xml:"type,attr"`
			Rel  string `xml:"rel,attr"`
		} `xml:"link"`
		Content struct {
			Inner []byte `xml:",innerxml"`
		} `xml:"content"`
	} `xml:"entry"`
}

type rssFeed struct {
	Items []struct {
		Link      string `xml:"link"`
		Enclosure struct {
			URL string `xml:"url,attr"`
		} `xml:"enclosure"`
	} `xml:"channel>item"`
}

// feedEntry is one alert a feed lists: a link to fetch, or the alert.
type feedEntry struct {
	link     string
	embedded []byte
}

// parseFeed reads an Atom or RSS feed, refusing DTDs as Parse does.
func parseFeed(data []byte) ([]feedEntry, error) {
	upper := bytes.ToUpper(data)
	if bytes.Contains(upper, []byte("<!DOCTYPE")) || bytes.Contains(upper, []byte("<!ENTITY")) {
		return nil, errors.New("feed: a DTD or entity declaration is not allowed")
	}
	var out []feedEntry
	if bytes.Contains(data, []byte("<feed")) {
		var f atomFeed
		if err := xml.Unmarshal(data, &f); err != nil {
			return nil, fmt.Errorf("feed: not Atom: %w", err)
		}
		for _, e := range f.Entries {
			if inner := bytes.TrimSpace(e.Content.Inner); bytes.HasPrefix(inner, []byte("<")) {
				out = append(out, feedEntry{embedded: inner})
				continue
			}
			for _, l := range e.Links {
				if l.Href != "" && (l.Type == capMediaType || l.Rel == "" || l.Rel == "alternate" || l.Rel == "enclosure") {
					out = append(out, feedEntry{link: l.Href})
					break
				}
			}
		}
		return out, nil
	}
	var r rssFeed
	if err := xml.Unmarshal(data, &r); err != nil {
		return nil, fmt.Errorf("feed: neither Atom nor RSS: %w", err)
	}
	for _, it := range r.Items {
		if link := strings.TrimSpace(it.Enclosure.URL); link != "" {
			out = append(out, feedEntry{link: link})
		} else if link := strings.TrimSpace(it.Link); link != "" {
			out = append(out, feedEntry{link: link})
		}
	}
	return out, nil
}

const capMediaType = "application/cap+xml"

// Processed remembers the alerts a poller has applied (in Redis, so a
// restart does not apply them again).
type Processed interface {
	CAPProcessed(ctx context.Context, key string) (bool, error)
	MarkCAPProcessed(ctx context.Context, key string) error
}

// Poller fetches CAP feeds and hands each new alert to Receive.
type Poller struct {
	Feeds    []string
	Client   *http.Client // its Timeout bounds each fetch
	MaxBytes int64        // of a feed and of each alert
	Receive  func(ctx context.Context, a *Alert) error
	Seen     Processed
	Log      *zap.Logger
}

// fetch gets one URL within the size cap.
func (p *Poller) fetch(ctx context.Context, url string) ([]byte, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return nil, err
	}
	resp, err := p.Client.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("GET %s: %s", url, resp.Status)
	}
	b, err := io.ReadAll(io.LimitReader(resp.Body, p.MaxBytes+1))
	if err != nil {
		return nil, err
	}
	if int64(len(b)) > p.MaxBytes {
		return nil, fmt.Errorf("GET %s: larger than %d bytes", url, p.MaxBytes)
	}
	return b, nil
}

// PollOnce reads every feed once and applies the alerts not applied
// before; it returns how many it applied. One bad feed or alert is logged
// and skipped, never stops the others.
func (p *Poller) PollOnce(ctx context.Context) int {
	applied := 0
	for _, feed := range p.Feeds {
		data, err := p.fetch(ctx, feed)
		if err != nil {
			p.Log.Warn("cap feed unreadable", zap.String("feed", feed), zap.Error(err))
			continue
		}
		entries, err := parseFeed(data)
		if err != nil {
			p.Log.Warn("cap feed refused", zap.String("feed", feed), zap.Error(err))
			continue
		}
		for _, e := range entries {
			if p.apply(ctx, feed, e) {
				applied++
			}
		}
	}
	return applied
}

func (p *Poller) apply(ctx context.Context, feed string, e feedEntry) bool {
	doc := e.embedded
	if e.link != "" {
		if done, err := p.Seen.CAPProcessed(ctx, "link:"+e.link); err != nil || done {
			return false
		}
		b, err := p.fetch(ctx, e.link)
		if err != nil {
			p.Log.Warn("cap alert unreadable", zap.String("feed", feed), zap.String("link", e.link), zap.Error(err))
			return false
		}
		doc = b
	}
	if int64(len(doc)) > p.MaxBytes {
		p.Log.Warn("cap alert too large", zap.String("feed", feed))
		return false
	}
	a, err := Parse(doc)
	if err != nil {
		p.Log.Warn("cap alert refused", zap.String("feed", feed), zap.String("link", e.link), zap.Error(err))
		return false
	}
	key := "alert:" + a.Sender + "," + a.Identifier
	if done, err := p.Seen.CAPProcessed(ctx, key); err != nil || done {
		return false
	}
	if err := p.Receive(ctx, a); err != nil {
		p.Log.Warn("cap alert not applied", zap.String("identifier", a.Identifier), zap.Error(err))
		return false
	}
	for _, k := range []string{key, "link:" + e.link} {
		if k == "link:" {
			continue
		}
		if err := p.Seen.MarkCAPProcessed(ctx, k); err != nil {
			p.Log.Warn("cap alert applied but not remembered", zap.String("identifier", a.Identifier), zap.Error(err))
		}
	}
	return true
}

// Run polls every interval until ctx ends.
func (p *Poller) Run(ctx context.Context, every time.Duration) {
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		p.PollOnce(ctx)
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}
