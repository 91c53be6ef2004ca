package mobilize

import (
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/paulmach/orb"

	"github.com/liandong/liandong/geo"
)

// Exports: every need that matches a filter, read from the store a page
// at a time and handed on page by page, so that exporting a city's
// hundred thousand needs costs the memory of one page.

// ExportPageSize is how many needs one page of an export reads.
const ExportPageSize = 500

// ExportFilter picks the needs of an export; a zero field does not
// filter.
type ExportFilter struct {
	Statuses []NeedStatus // any of them
	// From and To bound the created time: From <= created < To.
	From, To time.Time
	Incident IncidentID
	Area     AreaID    // a loaded area: needs inside its polygon
	Box      *geo.BBox // or a box, edges included
	// Scope limits a coordinator to the needs it sees: those of its
	// organisation and of the communities of its home area. Nil: the
	// region.
	Scope *NeedScope
	// Sees, when set, is the final word on each need (a coordinator's
	// visibility rule); nil: every need the other fields pass.
	Sees func(NeedState) bool
}

// ExportStore pages through needs for an export in an order of its own
// (not by time): ids from cursor ("" at the start), about n of them, and
// the next cursor, "" at the end. incident empty: the region's needs.
// An id may come twice only if the store's key space shrinks during the
// export (needs are never deleted but by the demo's purge).
type ExportStore interface {
	ExportNeedPage(ctx context.Context, incident IncidentID, cursor string, n int) (ids []NeedID, next string, err error)
}

// ExportNeeds calls page with each page of the needs that pass f, in the
// order the store keeps them (a coordinator's newest first), until the
// end or page's first error. A page may be empty.
func (s *Service) ExportNeeds(ctx context.Context, f ExportFilter, page func([]NeedState) error) error {
	keep, err := s.exportMatcher(ctx, f)
	if err != nil {
		return err
	}
	pass := func(ns []NeedState) []NeedState {
		return slices.DeleteFunc(ns, func(n NeedState) bool { return !keep(n) })
	}
	if f.Scope != nil {
		return s.exportScoped(ctx, f, pass, page)
	}
	for cursor := ""; ; {
		ids, next, err := s.store.ExportNeedPage(ctx, f.Incident, cursor, ExportPageSize)
		if err != nil {
			return err
		}
		needs, err := s.store.Needs(ctx, ids)
		if err != nil {
			return err
		}
		if err := page(pass(needs)); err != nil {
			return err
		}
		if next == "" {
			return nil
		}
		cursor = next
	}
}

// exportScoped pages through a coordinator's indexes, newest first,
// starting below To and stopping once past From.
func (s *Service) exportScoped(ctx context.Context, f ExportFilter, pass func([]NeedState) []NeedState, page func([]NeedState) error) error {
	before := int64(0)
	if !f.To.IsZero() {
		before = f.To.UnixMilli()
	}
	for {
		ids, next, err := s.store.ScopedNeeds(ctx, *f.Scope, before, ExportPageSize)
		if err != nil {
			return err
		}
		needs, err := s.store.Needs(ctx, ids)
		if err != nil {
			return err
		}
		if err := page(pass(needs)); err != nil {
			return err
		}
		if next == 0 || (!f.From.IsZero() && next <= f.From.UnixMilli()) {
			return nil
		}
		before = next
	}
}

// exportMatcher turns a filter into the test of one need; an area id
// that is not loaded is ErrInvalid.
func (s *Service) exportMatcher(ctx context.Context, f ExportFilter) (func(NeedState) bool, error) {
	if f.Area != "" && f.Box != nil {
		return nil, fmt.Errorf("export: give an area or a box, not both: %w", ErrInvalid)
	}
	inArea := func(orb.Point) bool { return true }
	if f.Area != "" {
		link, err := s.store.Linkage(ctx)
		if err != nil {
			return nil, err
		}
		var a Area
		ok := false
		if link != nil && link.Areas != nil {
			a, ok = link.Areas.Area(f.Area)
		}
		if !ok {
			return nil, fmt.Errorf("export: area %q is not loaded: %w", f.Area, ErrInvalid)
		}
		inArea = a.Contains
	}
	if f.Box != nil {
		inArea = f.Box.Contains
	}
	return func(n NeedState) bool {
		switch {
		case len(f.Statuses) > 0 && !slices.Contains(f.Statuses, n.Status):
		case !f.From.IsZero() && n.CreatedAt.Before(f.From):
		case !f.To.IsZero() && !n.CreatedAt.Before(f.To):
		case f.Incident != "" && n.IncidentID != f.Incident:
		case (f.Area != "" || f.Box != nil) && (n.Unplaced || !inArea(n.Point)):
		case f.Sees != nil && !f.Sees(n):
		default:
			return true
		}
		return false
	}, nil
}
