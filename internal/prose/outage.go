package prose

import (
	"errors"
	"sort"
	"strings"
	"time"

	"github.com/heraldhq/herald/internal/locale"
	"github.com/heraldhq/herald/internal/words"
)

// RecurrenceWindow is how far back an earlier outage of the same component
// counts as the same problem happening again.
const RecurrenceWindow = 7 * 24 * time.Hour

// Outage is what Herald measured about one component's outage, and what it
// knows about everything else at the time.
type Outage struct {
	Server  string // the server (group) name: "flexo"
	Service string // the service noun: "Web site" (see ServiceNoun)
	// Start and End are the measured interval, to the second: the first
	// failed check of the run that crossed the threshold and the first
	// successful check of the recovering run.
	Start, End time.Time
	// Degraded is set when the service was slow or intermittent rather
	// than down.
	Degraded bool
	// Others are the server's other services, and whether each was also
	// affected during this outage.
	Others []OtherService
	// OtherServers names the other servers that were affected at the same
	// time; empty means none were.
	OtherServers []string
	// Earlier are earlier outages of the same component, the problem
	// happening before. Those that ended more than RecurrenceWindow before
	// Start, or that did not end before Start, are ignored.
	Earlier []Earlier
}

// OtherService is another service on the same server.
type OtherService struct {
	Service  string // "E-mail"
	Affected bool
}

// Earlier is an earlier outage of the same component and the incident that
// told customers about it.
type Earlier struct {
	Start, End time.Time
	Title      string // the incident's title; empty if there was none
}

func (o Outage) check(needEnd bool) error {
	switch {
	case plain(o.Server) == "":
		return errors.New("prose: the outage has no server name")
	case plain(o.Service) == "":
		return errors.New("prose: the outage has no service")
	case o.Start.IsZero():
		return errors.New("prose: the outage has no start")
	case needEnd && o.End.IsZero():
		return errors.New("prose: the outage has not ended")
	case needEnd && o.End.Before(o.Start):
		return errors.New("prose: the outage ends before it starts")
	}
	return nil
}

// Investigating drafts the incident an outage opens: its title and first
// update, naming server and service.
//
//	Web sites on flexo not responding
//	We're investigating a problem with Web site service on the flexo server. We'll post an update here as soon as we know more.
func Investigating(o Outage) (Text, error) { return InvestigatingIn(o, locale.English) }

// InvestigatingIn is Investigating drafted in language l.
func InvestigatingIn(o Outage, l locale.Lang) (Text, error) {
	if err := o.check(false); err != nil {
		return Text{}, err
	}
	if v := voiceFor(l); v != nil {
		return v.draftInvestigating(o), nil
	}
	server, noun := plain(o.Server), plain(o.Service)
	const later = "We'll post an update here as soon as we know more."
	if o.Degraded {
		return Text{
			Title: titleNoun(noun) + " on " + server + " responding slowly",
			Body: "We're investigating slow or intermittent " + md(noun) + " service on the " + md(server) +
				" server. " + later,
		}, nil
	}
	return Text{
		Title: titleNoun(noun) + " on " + server + " not responding",
		Body:  "We're investigating a problem with " + md(noun) + " service on the " + md(server) + " server. " + later,
	}, nil
}

// Resolved drafts the update that resolves an outage's incident: what
// happened, for how long and when, what was not affected, and whether it
// had happened before.
//
//	Customers on the flexo server experienced a four-minute interruption in Web site service between 9:48 and 9:52 AM Pacific time this morning (August 12). E-mail was not affected, and customers on other servers were not affected.
func Resolved(o Outage, p Page) (string, error) {
	if err := o.check(true); err != nil {
		return "", err
	}
	if err := p.check(); err != nil {
		return "", err
	}
	if v := voiceFor(p.Lang); v != nil {
		return v.resolved(o, p), nil
	}
	return sentences(what(o, p), notAffected(o), recurrence(o, p)), nil
}

// what is the first sentence: who, what, how long, when. The length is the
// span's as words.Span shows it, so it adds up with the times beside it and
// agrees with the incident's page, feed entry, e-mail and the command line.
func what(o Outage, p Page) string {
	span := words.Span{Start: o.Start, End: o.End}
	var s strings.Builder
	s.WriteString("Customers on the " + md(o.Server) + " server experienced ")
	noun := md(o.Service)
	switch adj, single := span.Adjective(); {
	case o.Degraded:
		s.WriteString(span.Duration() + " of slow or intermittent " + noun + " service ")
	case single:
		s.WriteString(article(adj) + " interruption in " + noun + " service ")
	default:
		s.WriteString("an interruption of " + span.Duration() + " in " + noun + " service ")
	}
	s.WriteString(when(span, p) + ".")
	return s.String()
}

// when is the span in the page's zone: "between 9:48 and 9:52 AM Pacific
// time this morning (August 12)", to the second for a span under a minute,
// "at 9:48:10 AM Pacific time on Tuesday, August 11" for one under a
// second, both dates when it crosses midnight.
func when(span words.Span, p Page) string {
	a, b, now := span.Start.In(p.Loc), span.End.In(p.Loc), p.Now.In(p.Loc)
	zone := plain(p.Zone)
	instant := span.Length() == 0
	switch {
	case !words.SameDay(a, b) && !instant:
		return "between " + span.Clock(a, p.Loc) + " " + zone + " on " + words.LongDate(a, now) +
			", and " + span.Clock(b, p.Loc) + " on " + words.LongDate(b, now)
	case instant && words.SameDay(a, now):
		return "at " + span.Clock(a, p.Loc) + " " + zone + " " + sameDayPhrase(a, a)
	case instant:
		return "at " + span.Clock(a, p.Loc) + " " + zone + " on " + words.LongDate(a, now)
	case words.SameDay(a, now):
		return "between " + span.Times(p.Loc, " and ") + " " + zone + " " + sameDayPhrase(a, b)
	}
	return "between " + span.Times(p.Loc, " and ") + " " + zone + " on " + words.LongDate(a, now)
}

// notAffected says what else was and was not affected: the server's other
// services, then the other servers. It never claims something was not
// affected when it was.
func notAffected(o Outage) string {
	var hit, spared []string
	for _, s := range o.Others {
		if plain(s.Service) == "" {
			continue
		}
		if s.Affected {
			hit = append(hit, s.Service)
		} else {
			spared = append(spared, s.Service)
		}
	}
	var others []string
	for _, name := range o.OtherServers {
		if plain(name) != "" {
			others = append(others, name)
		}
	}

	// Each clause is positive ("also affected") or negative ("not
	// affected"); two clauses of the same kind join with "and", of
	// different kinds with "but".
	type clause struct {
		text     string
		positive bool
	}
	var services []clause
	if len(hit) > 0 {
		services = append(services, clause{subjects(hit) + " also affected", true})
	}
	if len(spared) > 0 {
		services = append(services, clause{subjects(spared) + " not affected", false})
	}
	fleet := clause{"customers on other servers were not affected", false}
	if len(others) > 0 {
		fleet = clause{"customers on " + servers(others) + " were also affected", true}
	}

	switch len(services) {
	case 0:
		return capitalize(fleet.text) + "."
	case 1:
		join := ", and "
		if services[0].positive != fleet.positive {
			join = ", but "
		}
		return services[0].text + join + fleet.text + "."
	}
	// Some services were affected and some were not: one sentence for the
	// server, one for the fleet.
	return services[0].text + ", but " + strings.TrimSuffix(services[1].text, " affected") + ". " +
		capitalize(fleet.text) + "."
}

func capitalize(s string) string {
	if s == "" {
		return s
	}
	return strings.ToUpper(s[:1]) + s[1:]
}

// earlier is the outage's earlier occurrences within the window, oldest first.
func (o Outage) earlier() []Earlier {
	var out []Earlier
	for _, e := range o.Earlier {
		if e.Start.IsZero() || e.End.IsZero() || e.End.Before(e.Start) {
			continue
		}
		if e.End.After(o.Start) || o.Start.Sub(e.End) > RecurrenceWindow {
			continue
		}
		out = append(out, e)
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].Start.Before(out[j].Start) })
	return out
}

// recurrence is the sentence of a resolution that names the earlier
// occurrences: "This was the second time within a week: the problem first
// happened on Saturday, March 28, from 9:54 to 10:02 PM (“...”)."
func recurrence(o Outage, p Page) string {
	prev := o.earlier()
	if len(prev) == 0 {
		return ""
	}
	now := p.Now.In(p.Loc)
	times := make([]string, len(prev))
	for i, e := range prev {
		times[i] = earlierTimes(words.Span{Start: e.Start, End: e.End}, p.Loc, now)
		if plain(e.Title) != "" {
			times[i] += " (" + quoted(e.Title) + ")"
		}
	}
	first := "the problem first happened "
	if len(prev) > 1 {
		first = "the problem also happened "
	}
	return "This was the " + words.Ordinal(len(prev)+1) + " time within a week: " + first + words.List(times) + "."
}

// earlierTimes is when an earlier occurrence happened, within a sentence:
// "on Saturday, March 28, from 9:54 to 10:02 PM", "on Saturday, March 28,
// at 9:54:10 PM" for one under a second.
func earlierTimes(span words.Span, loc *time.Location, now time.Time) string {
	a, b := span.Start.In(loc), span.End.In(loc)
	switch {
	case span.Length() == 0:
		return "on " + words.LongDate(a, now) + ", at " + span.Clock(a, loc)
	case words.SameDay(a, b):
		return "on " + words.LongDate(a, now) + ", from " + span.Times(loc, " to ")
	}
	return "from " + span.Clock(a, loc) + " on " + words.LongDate(a, now) +
		", to " + span.Clock(b, loc) + " on " + words.LongDate(b, now)
}

// Recurrence drafts the update to post on the first incident of a problem
// that has happened again, as the posts did: "The problem happened a second
// time on March 31 from 6:22 to 6:31 AM." It is empty when the outage has
// no earlier occurrence within RecurrenceWindow.
func Recurrence(o Outage, p Page) (string, error) {
	if err := o.check(true); err != nil {
		return "", err
	}
	if err := p.check(); err != nil {
		return "", err
	}
	prev := o.earlier()
	if len(prev) == 0 {
		return "", nil
	}
	if v := voiceFor(p.Lang); v != nil {
		return v.recurrenceUpdate(o, p, prev), nil
	}
	span := words.Span{Start: o.Start, End: o.End}
	a, b, now := o.Start.In(p.Loc), o.End.In(p.Loc), p.Now.In(p.Loc)
	nth := "The problem happened " + article(words.Ordinal(len(prev)+1)) + " time"
	switch {
	case span.Length() == 0:
		return nth + ", briefly, on " + shortDate(a, now) + " at " + span.Clock(a, p.Loc) + ".", nil
	case words.SameDay(a, b):
		return nth + " on " + shortDate(a, now) + " from " + span.Times(p.Loc, " to ") + ".", nil
	}
	return nth + " from " + span.Clock(a, p.Loc) + " on " + shortDate(a, now) +
		" to " + span.Clock(b, p.Loc) + " on " + shortDate(b, now) + ".", nil
}
