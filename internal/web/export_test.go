package web

import (
	"context"
	"slices"
	"time"
)

// RebuildChanged runs the rebuild Run runs after a change: only what changed.
func (s *Site) RebuildChanged(ctx context.Context) error { return s.rebuild(ctx, false) }

// Documents returns every served document's bytes by path.
func (s *Site) Documents() map[string][]byte {
	out := map[string][]byte{}
	for path, a := range *s.assets.Load() {
		out[path] = a.plain()
	}
	return out
}

// SetWriteWait changes how long a write waits for the documents.
func (s *Site) SetWriteWait(d time.Duration) { s.writeWait = d }

// SetReadWait changes how long a rebuild after the first waits on its reads.
func (s *Site) SetReadWait(d time.Duration) { s.readWait = d }

// Rendered lists the pages the last rebuild rendered, sorted.
func (s *Site) Rendered() []string {
	s.buildMu.Lock()
	defer s.buildMu.Unlock()
	return slices.Sorted(slices.Values(s.rendered))
}

// RenderedRows lists the front page's component rows the last rebuild
// rendered, sorted.
func (s *Site) RenderedRows() []string {
	s.buildMu.Lock()
	defer s.buildMu.Unlock()
	return slices.Sorted(slices.Values(s.renderedRows))
}

// PageSets returns, by entry id of pages: (and "id/server" for a private
// entry's view of one server), the documents it serves by path and the
// paths its last rendering rendered (as rendered, before a path page's
// prefix), sorted.
func (s *Site) PageSets() (docs map[string]map[string][]byte, rendered map[string][]string) {
	s.buildMu.Lock()
	defer s.buildMu.Unlock()
	docs, rendered = map[string]map[string][]byte{}, map[string][]string{}
	add := func(name string, assets map[string]*asset, st *setState) {
		d := map[string][]byte{}
		for path, a := range assets {
			d[path] = a.plain()
		}
		docs[name], rendered[name] = d, slices.Sorted(slices.Values(st.rendered))
	}
	sets := s.pages.Load()
	if sets == nil {
		return docs, rendered
	}
	for _, p := range *sets {
		add(p.entry.ID, *p.assets.Load(), &p.state)
		if views := p.servers.Load(); views != nil {
			for g, assets := range *views {
				add(p.entry.ID+"/"+g, *assets, p.serverStates[g])
			}
		}
	}
	return docs, rendered
}
