package config

import (
	"fmt"
	"slices"
	"strings"
)

// Declared dependencies. A group's depends_on applies to each of its
// components, a component's adds to its group's; an entry names a group
// ("router": it is down when any of its components is) or a component
// ("nas/nfs"). While a parent is down, its children's outages are measured
// as always but raise no incident of their own (internal/monitor).

// DependsOn is what componentID ("flexo/web") declares it needs, its group's
// entries first, as written; nil for an unknown id.
func (c Config) DependsOn(componentID string) []string {
	g, cp := c.find(componentID)
	if g == nil {
		return nil
	}
	var out []string
	for _, d := range append(slices.Clone(g.DependsOn), cp.DependsOn...) {
		if !slices.Contains(out, d) {
			out = append(out, d)
		}
	}
	return out
}

// Parents is every component whose outage explains componentID's: what it
// depends on, with groups spelled out as their components, and what those
// depend on in turn; sorted, without componentID itself.
func (c Config) Parents(componentID string) []string {
	if c.parents != nil {
		return c.parents[componentID]
	}
	return c.parentsOf(componentID)
}

func (c Config) find(componentID string) (*Group, *Component) {
	gid, cid, ok := strings.Cut(componentID, "/")
	if !ok {
		return nil, nil
	}
	for gi := range c.Groups {
		if g := &c.Groups[gi]; g.ID == gid {
			for ci := range g.Components {
				if g.Components[ci].ID == cid {
					return g, &g.Components[ci]
				}
			}
		}
	}
	return nil, nil
}

// expand is the component ids an entry stands for: a group's components, or the component.
func (c Config) expand(entry string) []string {
	if strings.Contains(entry, "/") {
		if g, _ := c.find(entry); g != nil {
			return []string{entry}
		}
		return nil
	}
	for _, g := range c.Groups {
		if g.ID == entry {
			ids := make([]string, 0, len(g.Components))
			for _, cp := range g.Components {
				ids = append(ids, g.ID+"/"+cp.ID)
			}
			return ids
		}
	}
	return nil
}

func (c Config) parentsOf(componentID string) []string {
	seen := map[string]bool{componentID: true}
	var out []string
	next := []string{componentID}
	for len(next) > 0 {
		id := next[0]
		next = next[1:]
		for _, entry := range c.DependsOn(id) {
			for _, p := range c.expand(entry) {
				if !seen[p] {
					seen[p] = true
					out = append(out, p)
					next = append(next, p)
				}
			}
		}
	}
	slices.Sort(out)
	return out
}

// depEdge is one declared need: to is the entry, at the key's path.
type depEdge struct{ to, at string }

// dependsOn checks every depends_on entry and the whole for cycles; when all
// is well it keeps each component's parents for Parents.
func (v *validator) dependsOn(c *Config) {
	before := len(v.errs)
	own := map[string][]depEdge{} // node (group or component id) -> its own entries
	var order []string            // nodes in file order
	known := func(id string) bool { return len(c.expand(id)) > 0 }
	check := func(node, what, at string, entries []string, group string) {
		order = append(order, node)
		seen := map[string]bool{}
		for i, e := range entries {
			eat := fmt.Sprintf("%s.depends_on[%d]", at, i)
			switch {
			case !known(e):
				v.addf(eat, "%s %s: depends_on %q is not a group or component id (like router or router/core)", what, node, e)
			case e == node:
				v.addf(eat, "%s %s: depends_on names itself", what, node)
			case what == "group" && strings.HasPrefix(e, node+"/"):
				v.addf(eat, "group %s: depends_on %q is one of the group's own components; name another group or component", node, e)
			case what == "component" && e == group:
				v.addf(eat, "component %s: depends_on %q is its own group; name another group or component", node, e)
			case seen[e]:
				v.addf(eat, "%s %s: depends_on names %q twice", what, node, e)
			default:
				seen[e] = true
				own[node] = append(own[node], depEdge{e, eat})
			}
		}
	}
	for gi, g := range c.Groups {
		at := fmt.Sprintf("groups[%d]", gi)
		check(g.ID, "group", at, g.DependsOn, "")
		for ci, cp := range g.Components {
			check(g.ID+"/"+cp.ID, "component", fmt.Sprintf("%s.components[%d]", at, ci), cp.DependsOn, g.ID)
		}
	}
	// What a node needs, for finding cycles: a component needs what it and
	// its group declare; a group (as someone's parent: any of its
	// components) needs what it and each of its components declare.
	needs := func(node string) []depEdge {
		gid, _, isComp := strings.Cut(node, "/")
		if isComp {
			return append(slices.Clone(own[node]), own[gid]...)
		}
		out := slices.Clone(own[node])
		for _, id := range c.expand(node) {
			out = append(out, own[id]...)
		}
		return out
	}
	if cycle, at := findCycle(order, needs); cycle != nil {
		v.addf(at, "depends_on makes a cycle: %s (each needs the next); remove one of these", strings.Join(cycle, " → "))
	}
	if len(v.errs) == before {
		c.parents = map[string][]string{}
		for _, g := range c.Groups {
			for _, cp := range g.Components {
				id := g.ID + "/" + cp.ID
				c.parents[id] = c.parentsOf(id)
			}
		}
	}
}

// findCycle returns the first cycle met walking the nodes in order, as the
// nodes around it (the first repeated at the end), and the path of the
// declaration that leads out of its first node.
func findCycle(order []string, needs func(string) []depEdge) ([]string, string) {
	const (
		unseen = iota
		walking
		done
	)
	state := map[string]int{}
	// path is the nodes walked from the root; via[i] leads from path[i] to path[i+1].
	var path []string
	var via []depEdge
	var walk func(node string) ([]string, string)
	walk = func(node string) ([]string, string) {
		state[node] = walking
		path = append(path, node)
		for _, e := range needs(node) {
			switch state[e.to] {
			case walking:
				k := slices.Index(path, e.to)
				at := e.at
				if k < len(via) {
					at = via[k].at
				}
				return append(slices.Clone(path[k:]), e.to), at
			case unseen:
				via = append(via, e)
				if cycle, at := walk(e.to); cycle != nil {
					return cycle, at
				}
				via = via[:len(via)-1]
			}
		}
		state[node] = done
		path = path[:len(path)-1]
		return nil, ""
	}
	for _, n := range order {
		if state[n] == unseen {
			if cycle, at := walk(n); cycle != nil {
				return cycle, at
			}
		}
	}
	return nil, ""
}
