package prose

import (
	"fmt"
	"strings"
	"time"

	"github.com/heraldhq/herald/internal/locale"
	"github.com/heraldhq/herald/internal/words"
)

// The network-event texts and AlsoAffected in German and Spanish, on the
// same terms as lang.go's outage texts: the English texts' facts and rules
// (which servers, in what order, the times to the second where two share a
// minute), each language's own sentences. German in the register of the
// Störungsmeldungen of German hosting providers ("Alle unsere Server sind
// aus dem Internet nicht erreichbar", "den Betrieb auf dem Server flexo
// wiederhergestellt", "Alle Dienste laufen wieder normal"); Spanish in that
// of Spanish providers' incident notices ("todos nuestros servidores
// quedaron inaccesibles desde Internet", "restablecimos el servicio en el
// servidor flexo", "funcionan ya con normalidad"). Written by the author,
// not copied; no native speaker has reviewed them yet.

// netVoice is what a language needs for the network and also-affected texts.
type netVoice struct {
	v                    *voice
	titleAll, titleMost  string
	bodyAll, bodyMost    string // seen
	seenOutside, seenIn  string
	subjAll, subjMost    string // the subject of began
	began                string // day, clock, zone, subject, seen
	today                string // short date: "Heute (14. August)"
	onDay                string // long date: "Am Donnerstag, 13. August,"
	clock                func(c string, hour int, day string) string
	spared               [2]string // server list: singular, plural
	all, allAffected     string
	allOther             string
	one, many            string // server list, as the restored ones
	except, remainingExc string // server list
	restoredOne          string // clock (ending in a comma when it names a day), servers
	clause               string // servers, clock
	restoredMany         string // clauses
	still, stillOnly     [2]string
	allBack              string
	stillWorking         string // servers
	lasted, normal       string
	alsoOne              [2]string // subject, server: singular, plural
	alsoMany             string    // parts
	alsoPart             string    // services, server
	parentServer         string    // server: what dependents need
	parentService        string    // service, server
	depOne               [2]string // parent, subject, server: singular, plural
	depMany              string    // parent, parts
	working              string
	lowerTitles          bool // service names inside a list start lower case
	quoteDayComma        bool // a named day in restoredOne closes with a comma
}

func netVoiceFor(l locale.Lang) *netVoice {
	switch l {
	case locale.German:
		return &germanNet
	case locale.Spanish:
		return &spanishNet
	}
	return nil
}

var germanNet = netVoice{
	v:           &german,
	titleAll:    "Alle Server nicht erreichbar oder sehr langsam",
	titleMost:   "Die meisten Server nicht erreichbar oder sehr langsam",
	bodyAll:     "Alle unsere Server sind %s. Wir untersuchen das Problem.",
	bodyMost:    "Die meisten unserer Server sind %s. Wir untersuchen das Problem.",
	seenOutside: "aus dem Internet nicht erreichbar (oder sehr langsam)",
	seenIn:      "nicht erreichbar oder sehr langsam",
	subjAll:     "alle unsere Server",
	subjMost:    "die meisten unserer Server",
	began:       "%[1]s ab %[2]s %[3]s waren %[4]s %[5]s.",
	today:       "Heute (%s)",
	onDay:       "Am %s,",
	clock: func(c string, _ int, day string) string {
		if day != "" {
			return c + " Uhr am " + day
		}
		return c + " Uhr"
	},
	spared:        [2]string{"Der Server %s war nicht betroffen.", "Die Server %s waren nicht betroffen."},
	all:           "allen Servern",
	allAffected:   "allen betroffenen Servern",
	allOther:      "allen übrigen Servern",
	one:           "dem Server %s",
	many:          "den Servern %s",
	except:        "allen Servern außer %s",
	remainingExc:  "allen übrigen Servern außer %s",
	restoredOne:   "Um %[1]s haben wir den Betrieb auf %[2]s wiederhergestellt.",
	clause:        "auf %[1]s um %[2]s",
	restoredMany:  "Wir haben den Betrieb wiederhergestellt: %s.",
	still:         [2]string{"Der Server %s ist weiterhin nicht erreichbar.", "Die Server %s sind weiterhin nicht erreichbar."},
	stillOnly:     [2]string{"Nur der Server %s ist noch nicht wieder erreichbar.", "Nur die Server %s sind noch nicht wieder erreichbar."},
	allBack:       "Alle unsere Server sind wieder erreichbar.",
	stillWorking:  "Wir arbeiten weiter daran, den Betrieb auf %s wiederherzustellen.",
	lasted:        "Insgesamt dauerte die Störung %s.",
	normal:        "Alle Dienste laufen wieder normal.",
	alsoOne:       [2]string{"Auch %[1]s auf dem Server %[2]s ist betroffen. Wir arbeiten daran.", "Auch %[1]s auf dem Server %[2]s sind betroffen. Wir arbeiten daran."},
	alsoMany:      "Ebenfalls betroffen: %s. Wir arbeiten daran.",
	alsoPart:      "%[1]s auf dem Server %[2]s",
	parentServer:  "vom Server %s",
	parentService: "von %[1]s auf dem Server %[2]s",
	depOne:        [2]string{"Wegen der Abhängigkeit %[1]s ist auch %[2]s auf dem Server %[3]s betroffen.", "Wegen der Abhängigkeit %[1]s sind auch %[2]s auf dem Server %[3]s betroffen."},
	depMany:       "Wegen der Abhängigkeit %[1]s ebenfalls betroffen: %[2]s.",
	working:       "Wir arbeiten daran.",
	quoteDayComma: true,
}

var spanishNet = netVoice{
	v:           &spanish,
	titleAll:    "Todos los servidores inaccesibles o muy lentos",
	titleMost:   "La mayoría de los servidores inaccesibles o muy lentos",
	bodyAll:     "Todos nuestros servidores están %s. Estamos investigando el problema.",
	bodyMost:    "La mayoría de nuestros servidores están %s. Estamos investigando el problema.",
	seenOutside: "inaccesibles (o muy lentos) desde Internet",
	seenIn:      "inaccesibles o muy lentos",
	subjAll:     "todos nuestros servidores",
	subjMost:    "la mayoría de nuestros servidores",
	began:       "A partir de %[2]s %[3]s %[1]s, %[4]s quedaron %[5]s.",
	today:       "de hoy (%s)",
	onDay:       "del %s",
	clock: func(c string, hour int, day string) string {
		art := "las "
		if hour == 1 {
			art = "la "
		}
		if day != "" {
			return art + c + " del " + day
		}
		return art + c
	},
	spared:        [2]string{"El servidor %s no se vio afectado.", "Los servidores %s no se vieron afectados."},
	all:           "todos los servidores",
	allAffected:   "todos los servidores afectados",
	allOther:      "todos los demás servidores",
	one:           "el servidor %s",
	many:          "los servidores %s",
	except:        "todos los servidores excepto %s",
	remainingExc:  "todos los servidores restantes excepto %s",
	restoredOne:   "A %[1]s restablecimos el servicio en %[2]s.",
	clause:        "en %[1]s a %[2]s",
	restoredMany:  "Restablecimos el servicio %s.",
	still:         [2]string{"El servidor %s sigue sin respuesta.", "Los servidores %s siguen sin respuesta."},
	stillOnly:     [2]string{"Solo el servidor %s sigue sin respuesta.", "Solo los servidores %s siguen sin respuesta."},
	allBack:       "Todos nuestros servidores vuelven a estar accesibles.",
	stillWorking:  "Seguimos trabajando para restablecer el servicio en %s.",
	lasted:        "En total, el problema duró %s.",
	normal:        "Todos los servicios funcionan ya con normalidad.",
	alsoOne:       [2]string{"%[1]s del servidor %[2]s también se ve afectado. Estamos trabajando en ello.", "%[1]s del servidor %[2]s también se ven afectados. Estamos trabajando en ello."},
	alsoMany:      "También se ven afectados: %s. Estamos trabajando en ello.",
	alsoPart:      "%[1]s del servidor %[2]s",
	parentServer:  "del servidor %s",
	parentService: "de %[1]s en el servidor %[2]s",
	depOne:        [2]string{"Debido a su dependencia %[1]s, %[2]s del servidor %[3]s también se ve afectado.", "Debido a su dependencia %[1]s, %[2]s del servidor %[3]s también se ven afectados."},
	depMany:       "Por depender %[1]s, también se ven afectados: %[2]s.",
	working:       "Estamos trabajando en ello.",
	lowerTitles:   true,
	quoteDayComma: true,
}

func (n *netVoice) w() words.Writer { return n.v.w }

// list is names, Markdown-escaped, joined in the language.
func (n *netVoice) list(names []string) string {
	out := make([]string, len(names))
	for i, s := range names {
		out[i] = md(s)
	}
	return n.w().List(out)
}

func pick(forms [2]string, plural bool) string {
	if plural {
		return forms[1]
	}
	return forms[0]
}

func (n *netVoice) seen(e NetworkEvent) string {
	if e.FromOutside {
		return n.seenOutside
	}
	return n.seenIn
}

func (n *netVoice) investigating(e NetworkEvent) Text {
	if len(e.Unaffected) == 0 {
		return Text{Title: n.titleAll, Body: fmt.Sprintf(n.bodyAll, n.seen(e))}
	}
	return Text{Title: n.titleMost, Body: fmt.Sprintf(n.bodyMost, n.seen(e))}
}

// named is servers by name, as restored ones are named.
func (n *netVoice) named(names []string) string {
	if len(names) == 1 {
		return fmt.Sprintf(n.one, n.list(names))
	}
	return fmt.Sprintf(n.many, n.list(names))
}

// group names the servers restored together, by groupName's rules.
func (n *netVoice) group(members, later []string, index int, someSpared bool) string {
	switch {
	case len(later) == 0 && index == 0 && len(members) > 2:
		if someSpared {
			return n.allAffected
		}
		return n.all
	case len(later) == 0 && len(members) > 3:
		return n.allOther
	case len(later) == 0 || len(members) <= len(later) || len(members) < 2:
		return n.named(members)
	case index == 0:
		return fmt.Sprintf(n.except, n.list(later))
	}
	return fmt.Sprintf(n.remainingExc, n.list(later))
}

// at is a told time, with its day when it is named.
func (n *netVoice) at(tell teller, t time.Time, day string) string {
	return n.clock(tell.clock(t), t.In(tell.loc).Hour(), day)
}

// restoredAt is the sentence for one group restored at a time.
func (n *netVoice) restoredAt(tell teller, t time.Time, day, who string) string {
	when := n.at(tell, t, day)
	if day != "" && n.quoteDayComma {
		when += ","
	}
	return fmt.Sprintf(n.restoredOne, when, who)
}

func (n *netVoice) resolved(e NetworkEvent, p Page) string {
	w := n.w()
	groups, down := restorationGroups(e.Servers)
	tell := newTeller(e.Start, groups, p)
	start, now := e.Start.In(p.Loc), p.Now.In(p.Loc)
	day := fmt.Sprintf(n.onDay, w.LongDate(start, now))
	if words.SameDay(start, now) {
		day = fmt.Sprintf(n.today, w.ShortDate(start))
	}
	subj := n.subjAll
	if len(e.Unaffected) > 0 {
		subj = n.subjMost
	}
	zone := "(" + plain(w.Zone(p.Zone)) + ")"
	out := []string{fmt.Sprintf(n.began, day, n.at(tell, e.Start, ""), zone, subj, n.seen(e))}
	if spared := nonEmpty(e.Unaffected); len(spared) > 0 {
		out = append(out, fmt.Sprintf(pick(n.spared, len(spared) > 1), n.list(spared)))
	}
	lastDay := start
	for i, g := range groups {
		var later []string
		for _, h := range groups[i+1:] {
			later = append(later, h.servers...)
		}
		later = append(later, down...)
		at, named := g.at.In(p.Loc), ""
		if !words.SameDay(at, lastDay) {
			named = w.LongDate(at, now)
			lastDay = at
		}
		out = append(out, n.restoredAt(tell, g.at, named, n.group(g.servers, later, i, len(e.Unaffected) > 0)))
	}
	if len(down) > 0 {
		return sentences(append(out, fmt.Sprintf(n.stillWorking, n.named(down)))...)
	}
	span := words.Span{Start: e.Start, End: groups[len(groups)-1].at}
	return sentences(append(out, fmt.Sprintf(n.lasted, n.w().Lasting(span.Length())), n.normal)...)
}

func (n *netVoice) restored(e NetworkEvent, p Page, groups, news []restorationGroup, down []string, earlier bool) string {
	w := n.w()
	tell := newTeller(e.Start, groups, p)
	now := p.Now.In(p.Loc)
	dayOf := func(t time.Time) string {
		if words.SameDay(t.In(p.Loc), now) {
			return ""
		}
		return w.LongDate(t.In(p.Loc), now)
	}
	var told string
	if len(news) == 1 {
		who := n.named(news[0].servers)
		if !earlier && len(down) > 0 && len(news[0].servers) >= 2 && len(news[0].servers) > len(down) {
			// Most came back at once, a few did not: the seed's sentence.
			return n.restoredAt(tell, news[0].at, dayOf(news[0].at), fmt.Sprintf(n.except, n.list(down)))
		}
		told = n.restoredAt(tell, news[0].at, dayOf(news[0].at), who)
	} else {
		clauses := make([]string, len(news))
		for i, g := range news {
			clauses[i] = fmt.Sprintf(n.clause, n.named(g.servers), n.at(tell, g.at, dayOf(g.at)))
		}
		told = fmt.Sprintf(n.restoredMany, w.List(clauses))
	}
	switch {
	case len(down) == 0:
		return sentences(told, n.allBack)
	case earlier && len(down) == 1:
		return sentences(told, fmt.Sprintf(pick(n.stillOnly, false), n.list(down)))
	}
	return sentences(told, fmt.Sprintf(pick(n.still, len(down) > 1), n.list(down)))
}

// alsoAffected is AlsoAffected in the language: byServer holds the
// services' plain names.
func (n *netVoice) alsoAffected(order []string, byServer map[string][]string) string {
	if len(order) == 1 && len(byServer[order[0]]) == 1 {
		subj, plural := n.subject(byServer[order[0]][0], n.v == &german)
		return fmt.Sprintf(pick(n.alsoOne, plural), subj, md(order[0]))
	}
	return fmt.Sprintf(n.alsoMany, n.parts(order, byServer))
}

// subject is a service as a sentence's subject, its article in lower case
// when lower ("der E-Mail-Dienst", "el correo electrónico"), and whether it
// is plural.
func (n *netVoice) subject(service string, lower bool) (string, bool) {
	f := n.v.noun(service)
	subj := md(f.subject)
	if lower && f.subject != f.title {
		subj = strings.ToLower(subj[:1]) + subj[1:]
	}
	return subj, f.plural
}

// parts names the services by server: "Webseiten und E-Mail auf dem Server
// mom und Webseiten auf dem Server elzar".
func (n *netVoice) parts(order []string, byServer map[string][]string) string {
	parts := make([]string, len(order))
	for i, s := range order {
		names := make([]string, len(byServer[s]))
		for j, svc := range byServer[s] {
			f := n.v.noun(svc)
			names[j] = md(f.title)
			if n.lowerTitles && f.title != svc {
				names[j] = strings.ToLower(names[j][:1]) + names[j][1:]
			}
		}
		parts[i] = fmt.Sprintf(n.alsoPart, n.w().List(names), md(s))
	}
	return n.w().List(parts)
}

// dependents is one parent's sentence of DependentsAffected in the
// language: server and service name the parent (service empty for the
// whole server), byServer the dependents' plain service names.
func (n *netVoice) dependents(server, service string, order []string, byServer map[string][]string) string {
	parent := fmt.Sprintf(n.parentServer, md(server))
	if service != "" {
		parent = fmt.Sprintf(n.parentService, md(service), md(server))
	}
	if len(order) == 1 && len(byServer[order[0]]) == 1 {
		subj, plural := n.subject(byServer[order[0]][0], true)
		return fmt.Sprintf(pick(n.depOne, plural), parent, subj, md(order[0]))
	}
	return fmt.Sprintf(n.depMany, parent, n.parts(order, byServer))
}
