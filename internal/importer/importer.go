// Package importer brings a status page's history into Herald from
// elsewhere: Atlassian Statuspage's API JSON (statuspage.go) and an Uptime
// Kuma backup (uptimekuma.go). It writes records as they were, with their
// dates, straight to the store: nobody is notified, no incident is opened.
// What it cannot map is reported with the reason, never dropped silently.
//
// Herald's components come from its configuration, so an importer maps the
// other tool's components onto the configured ones by name and reports the
// configuration to add for those it could not place. An import run twice
// writes each record once: records are matched by their natural keys
// (store/imported.go), subscribers by address.
package importer

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"sort"
	"strings"
	"time"

	"github.com/heraldhq/herald/internal/store"
)

// Options are what every import takes.
type Options struct {
	// DryRun reads and maps everything, writes it in a transaction, and
	// rolls it back: the report is the one a real run would give.
	DryRun bool
	// Progress, when set, is told the counts as records are written.
	Progress func(what string, done int)
	// Actor names the import in the change log.
	Actor string
	// Catalog, when set, runs first in the import's transaction: the CLI
	// stores the configuration's groups and components there, as herald
	// serve would, so that a database never served can be imported into.
	Catalog func(ctx context.Context, q *store.Queries) error
}

// Report says what an import did and what it could not do.
type Report struct {
	Source string
	DryRun bool
	// Counts are per kind of record, in the order first met.
	Counts []*Count
	// Unmapped lists what was not imported (or only in part), with why.
	Unmapped []Unmapped
	// Config is configuration to add for what had no component to map to
	// (YAML), or empty.
	Config string
}

// Count is how many records of one kind were written and how many were already there.
type Count struct {
	What              string
	Imported, Already int
}

// Unmapped is one thing not imported as it was.
type Unmapped struct {
	What, Why string
}

func (r *Report) count(what string) *Count {
	for _, c := range r.Counts {
		if c.What == what {
			return c
		}
	}
	c := &Count{What: what}
	r.Counts = append(r.Counts, c)
	return c
}

func (r *Report) unmapped(what, format string, a ...any) {
	r.Unmapped = append(r.Unmapped, Unmapped{What: what, Why: fmt.Sprintf(format, a...)})
}

// Write prints the report for a person.
func (r *Report) Write(w io.Writer) {
	verb := "imported"
	if r.DryRun {
		verb = "would import (dry run: nothing was written)"
	}
	fmt.Fprintf(w, "%s from %s:\n", verb, r.Source)
	for _, c := range r.Counts {
		fmt.Fprintf(w, "  %-22s %6d new, %d already there\n", c.What, c.Imported, c.Already)
	}
	if len(r.Unmapped) == 0 {
		fmt.Fprintln(w, "everything was mapped")
	} else {
		fmt.Fprintf(w, "not mapped (%d):\n", len(r.Unmapped))
		for _, u := range r.Unmapped {
			fmt.Fprintf(w, "  - %s: %s\n", u.What, u.Why)
		}
	}
	if r.Config != "" {
		fmt.Fprintf(w, "\nTo map the rest, add to the configuration (then run the import again):\n\n%s", r.Config)
	}
}

// errDryRun rolls a dry run's transaction back.
var errDryRun = errors.New("dry run")

// run writes inside one transaction, all or nothing, and rolls back a dry run.
func run(ctx context.Context, st *store.Store, o Options, fn func(q *store.Queries) error) error {
	err := st.TxContext(ctx, func(ctx context.Context, q *store.Queries) error {
		if o.Catalog != nil {
			if err := o.Catalog(ctx, q); err != nil {
				return err
			}
		}
		if err := fn(q); err != nil {
			return err
		}
		if o.DryRun {
			return errDryRun
		}
		return nil
	})
	if errors.Is(err, errDryRun) {
		return nil
	}
	return err
}

// logImport records an imported record in the change log, so that a
// running Herald shows it (its pages follow the log) and the log says
// where the record came from.
func logImport(ctx context.Context, q *store.Queries, o Options, at time.Time, action, subject, from string) error {
	after, err := json.Marshal(map[string]string{"imported_from": from})
	if err != nil {
		return err
	}
	return q.InsertChange(ctx, &store.Change{At: at, Actor: o.Actor, Action: action, Subject: subject, After: string(after)})
}

// maxFile bounds a file an import reads.
const maxFile = 512 << 20

// readFile reads a file an import was given, within maxFile.
func readFile(path string) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	b, err := io.ReadAll(io.LimitReader(f, maxFile+1))
	if err != nil {
		return nil, err
	}
	if len(b) > maxFile {
		return nil, fmt.Errorf("%s is larger than %d MB", path, maxFile>>20)
	}
	return b, nil
}

// catalog is Herald's configured components, for mapping by name.
type catalog struct {
	groups     map[string]store.Group
	components []store.Component
}

func loadCatalog(ctx context.Context, q *store.Queries) (*catalog, error) {
	gs, err := q.Groups(ctx)
	if err != nil {
		return nil, err
	}
	cs, err := q.Components(ctx)
	if err != nil {
		return nil, err
	}
	c := &catalog{groups: map[string]store.Group{}}
	for _, g := range gs {
		if g.RemovedAt.IsZero() {
			c.groups[g.ID] = g
		}
	}
	for _, comp := range cs {
		if comp.RemovedAt.IsZero() {
			c.components = append(c.components, comp)
		}
	}
	return c, nil
}

// find maps a component named name, in a group named group ("" for none),
// to a configured component: the names (or ids) must match, ignoring case.
// It returns the reason when there is none or more than one.
func (c *catalog) find(group, name string) (string, string) {
	var hits []string
	for _, comp := range c.components {
		if !sameName(name, comp.Name, comp.ID[strings.IndexByte(comp.ID, '/')+1:]) {
			continue
		}
		if group != "" {
			g := c.groups[comp.GroupID]
			if !sameName(group, g.Name, g.ID) {
				continue
			}
		}
		hits = append(hits, comp.ID)
	}
	switch len(hits) {
	case 1:
		return hits[0], ""
	case 0:
		if group != "" {
			return "", fmt.Sprintf("no configured component named %q in a group named %q", name, group)
		}
		return "", fmt.Sprintf("no configured component named %q", name)
	}
	sort.Strings(hits)
	return "", fmt.Sprintf("%q names several configured components (%s); put it in a group of the same name as one of theirs",
		name, strings.Join(hits, ", "))
}

func sameName(want string, names ...string) bool {
	for _, n := range names {
		if strings.EqualFold(strings.TrimSpace(want), strings.TrimSpace(n)) {
			return true
		}
	}
	return false
}

// slug makes a configuration id from a name: lower case letters, digits and dashes.
func slug(name string) string {
	var b strings.Builder
	dash := false
	for _, r := range strings.ToLower(name) {
		switch {
		case r >= 'a' && r <= 'z', r >= '0' && r <= '9':
			b.WriteRune(r)
			dash = false
		case b.Len() > 0 && !dash:
			b.WriteByte('-')
			dash = true
		}
	}
	s := strings.TrimRight(b.String(), "-")
	if len(s) > 60 {
		s = strings.TrimRight(s[:60], "-")
	}
	if s == "" {
		s = "imported"
	}
	return s
}

// suggestion gathers the configuration to add for what could not be mapped.
type suggestion struct {
	order  []string
	groups map[string]*suggestedGroup
}

type suggestedGroup struct {
	name  string
	comps []suggestedComponent
}

type suggestedComponent struct {
	name     string
	monitors []string // YAML lines of each monitor, already indented
}

func (s *suggestion) add(group, name string, monitor []string) {
	if s.groups == nil {
		s.groups = map[string]*suggestedGroup{}
	}
	if group == "" {
		group = name
	}
	g, ok := s.groups[group]
	if !ok {
		g = &suggestedGroup{name: group}
		s.groups[group] = g
		s.order = append(s.order, group)
	}
	for i := range g.comps {
		if g.comps[i].name == name {
			return
		}
	}
	g.comps = append(g.comps, suggestedComponent{name: name, monitors: monitor})
}

// yaml writes the groups as configuration. Names are quoted as JSON
// strings, which YAML reads the same.
func (s *suggestion) yaml() string {
	if len(s.order) == 0 {
		return ""
	}
	var b strings.Builder
	b.WriteString("groups:\n")
	for _, gname := range s.order {
		g := s.groups[gname]
		fmt.Fprintf(&b, "  - id: %s\n    name: %s\n    components:\n", slug(g.name), quote(g.name))
		for _, c := range g.comps {
			fmt.Fprintf(&b, "      - id: %s\n        name: %s\n", slug(c.name), quote(c.name))
			if len(c.monitors) > 0 {
				b.WriteString("        monitors:\n")
				for _, l := range c.monitors {
					b.WriteString(l)
				}
			}
		}
	}
	return b.String()
}

func quote(s string) string {
	b, _ := json.Marshal(s)
	return string(b)
}

// parseTime reads an RFC 3339 time; "" and null are the zero time.
func parseTime(s string) (time.Time, error) {
	if s == "" {
		return time.Time{}, nil
	}
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		return time.Time{}, fmt.Errorf("bad time %q (want RFC 3339, e.g. 2026-11-23T09:48:00.000-08:00)", s)
	}
	return t.UTC().Truncate(time.Millisecond), nil
}
