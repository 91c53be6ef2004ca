package redisstore

import (
	"context"
	"fmt"
	"strconv"
	"strings"

	"github.com/liandong/liandong/mobilize"
)

// ExportNeedPage reads one page of need ids for an export: with no
// incident a SCAN step over the region's need keys, else an SSCAN step
// over the incident's set. Redis keeps the cursor, so a page costs the
// same at the start and at the end of a large export, and nothing but the
// page is held. The order is Redis's own; an id comes twice only if the
// key space shrinks meanwhile (SCAN's guarantee).
func (s *NeedStore) ExportNeedPage(ctx context.Context, incident mobilize.IncidentID, cursor string, n int) ([]mobilize.NeedID, string, error) {
	at := uint64(0)
	if cursor != "" {
		c, err := strconv.ParseUint(cursor, 10, 64)
		if err != nil {
			return nil, "", fmt.Errorf("export cursor %q: %w", cursor, mobilize.ErrInvalid)
		}
		at = c
	}
	n = max(n, 1)
	var ids []mobilize.NeedID
	var next uint64
	if incident != "" {
		members, nc, err := s.rdb.SScan(ctx, s.keys.incidentNeeds(string(incident)), at, "", int64(n)).Result()
		if err != nil {
			return nil, "", fmt.Errorf("export needs of incident %s: %w", incident, err)
		}
		for _, m := range members {
			ids = append(ids, mobilize.NeedID(m))
		}
		next = nc
	} else {
		node, err := s.node(ctx)
		if err != nil {
			return nil, "", err
		}
		prefix := s.keys.need("")
		// A need has several keys (:asg, :asked, :field ...): a step
		// reads about four times n keys to find about n needs.
		keys, nc, err := node.Scan(ctx, at, globEscape(prefix)+"*", int64(4*n)).Result()
		if err != nil {
			return nil, "", fmt.Errorf("export needs: %w", err)
		}
		for _, k := range keys {
			if id := strings.TrimPrefix(k, prefix); id != "" && !strings.Contains(id, ":") {
				ids = append(ids, mobilize.NeedID(id))
			}
		}
		next = nc
	}
	if next == 0 {
		return ids, "", nil
	}
	return ids, strconv.FormatUint(next, 10), nil
}
