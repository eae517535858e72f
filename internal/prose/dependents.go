package prose

import (
	"errors"
	"strings"

	"github.com/heraldhq/herald/internal/locale"
)

// Dependent is a service down while something it depends on (a router, a
// storage array) is down: told in the parent's incident, not in its own.
type Dependent struct {
	Outage Outage // the dependent service's outage
	// ParentServer is the server it depends on; ParentService names one
	// service of it, or is empty when it depends on the whole server.
	ParentServer, ParentService string
}

// parent is how the text names what the dependents need: "the router
// server", or "NFS service on the nas server".
func (d Dependent) parent() string {
	if plain(d.ParentService) == "" {
		return "the " + md(plain(d.ParentServer)) + " server"
	}
	return md(plain(d.ParentService)) + " service on the " + md(plain(d.ParentServer)) + " server"
}

// DependentsAffected drafts the update that names, in the parent's
// incident, the services down because of it, grouped by what they depend
// on and then by server, in the order given.
//
//	Web site service on the flexo server is affected too, because it depends on the router server. We're working on it.
//	Also affected, because they depend on the router server: Web site and E-mail service on the mom server and Web site service on the elzar server. We're working on it.
func DependentsAffected(deps []Dependent) (string, error) {
	return DependentsAffectedIn(deps, locale.English)
}

// DependentsAffectedIn is DependentsAffected drafted in language l.
func DependentsAffectedIn(deps []Dependent, l locale.Lang) (string, error) {
	if len(deps) == 0 {
		return "", errors.New("prose: no dependents to tell")
	}
	var parents []string
	byParent := map[string][]Outage{}
	parentOf := map[string]Dependent{} // the first dependent naming each parent
	for _, d := range deps {
		if err := d.Outage.check(false); err != nil {
			return "", err
		}
		if plain(d.ParentServer) == "" {
			return "", errors.New("prose: a dependent has no parent server")
		}
		p := d.parent()
		if _, ok := byParent[p]; !ok {
			parents = append(parents, p)
			parentOf[p] = d
		}
		byParent[p] = append(byParent[p], d.Outage)
	}
	n := netVoiceFor(l)
	var s strings.Builder
	for _, p := range parents {
		var order []string
		byServer := map[string][]string{}
		plainServices := map[string][]string{} // byServer before Markdown, for the translations
		for _, o := range byParent[p] {
			server := plain(o.Server)
			if _, ok := byServer[server]; !ok {
				order = append(order, server)
			}
			if noun := md(plain(o.Service)); !contains(byServer[server], noun) {
				byServer[server] = append(byServer[server], noun)
				plainServices[server] = append(plainServices[server], plain(o.Service))
			}
		}
		if n != nil {
			d := parentOf[p]
			s.WriteString(n.dependents(plain(d.ParentServer), plain(d.ParentService), order, plainServices) + " ")
			continue
		}
		if len(order) == 1 && len(byServer[order[0]]) == 1 {
			s.WriteString(byServer[order[0]][0] + " service on the " + md(order[0]) + " server is affected too, because it depends on " + p + ". ")
			continue
		}
		parts := make([]string, len(order))
		for i, server := range order {
			parts[i] = joinAnd(byServer[server]) + " service on the " + md(server) + " server"
		}
		s.WriteString("Also affected, because they depend on " + p + ": " + joinAnd(parts) + ". ")
	}
	if n != nil {
		return s.String() + n.working, nil
	}
	return s.String() + "We're working on it.", nil
}
