package prose

import (
	"errors"
	"strings"

	"github.com/heraldhq/herald/internal/locale"
)

// AlsoAffected drafts the update posted when more services go down while an
// incident is open, grouped by server in the order given.
//
//	E-mail service on the flexo server is affected too. We're working on it.
//	Also affected: Web site and E-mail service on the mom server, and Web site service on the elzar server. We're working on it.
func AlsoAffected(outages []Outage) (string, error) { return AlsoAffectedIn(outages, locale.English) }

// AlsoAffectedIn is AlsoAffected drafted in language l.
func AlsoAffectedIn(outages []Outage, l locale.Lang) (string, error) {
	if len(outages) == 0 {
		return "", errors.New("prose: no outages to tell")
	}
	var order []string
	byServer := map[string][]string{}
	plainServices := map[string][]string{} // byServer before Markdown, for the translations
	for _, o := range outages {
		if err := o.check(false); err != nil {
			return "", err
		}
		s := plain(o.Server)
		if _, ok := byServer[s]; !ok {
			order = append(order, s)
		}
		if noun := md(plain(o.Service)); !contains(byServer[s], noun) {
			byServer[s] = append(byServer[s], noun)
			plainServices[s] = append(plainServices[s], plain(o.Service))
		}
	}
	if n := netVoiceFor(l); n != nil {
		return n.alsoAffected(order, plainServices), nil
	}
	const after = " We're working on it."
	if len(order) == 1 && len(byServer[order[0]]) == 1 {
		return byServer[order[0]][0] + " service on the " + md(order[0]) + " server is affected too." + after, nil
	}
	parts := make([]string, len(order))
	for i, s := range order {
		parts[i] = joinAnd(byServer[s]) + " service on the " + md(s) + " server"
	}
	return "Also affected: " + joinAnd(parts) + "." + after, nil
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// joinAnd is "a", "a and b", "a, b and c".
func joinAnd(items []string) string {
	switch len(items) {
	case 0:
		return ""
	case 1:
		return items[0]
	}
	return strings.Join(items[:len(items)-1], ", ") + " and " + items[len(items)-1]
}
