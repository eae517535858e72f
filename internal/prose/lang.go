package prose

import (
	"fmt"
	"strings"
	"time"

	"github.com/heraldhq/herald/internal/locale"
	"github.com/heraldhq/herald/internal/words"
)

// The drafted texts in German and Spanish. The facts and the rules are the
// English texts' (the same spans, lengths, what was and was not affected,
// the earlier occurrences); the sentences are each language's own, as a
// native writer of a hosting provider's status page words them, not a
// word-for-word rendering of the English. Times, dates and lengths come
// from words.Writer in the page's language.
//
// German: modelled on the Störungsmeldungen of German hosting providers'
// status pages (Hetzner, IONOS, Strato, all-inkl.com): "Kunden auf dem
// Server flexo", "eine Unterbrechung von vier Minuten", "war nicht
// betroffen", the time with "Uhr", "heute Vormittag (12. August)".
// Spanish: modelled on the incident notices of Spanish hosting providers
// (Raiola Networks, Dinahosting, CDmon, Hostinger's Spanish pages): "los
// clientes del servidor flexo", "sufrieron una interrupción de cuatro
// minutos", "no se vio afectado", "entre las 09:48 y las 09:52", "esta
// mañana (12 de agosto)". The wording is the author's, checked against
// those pages' style from memory, not copied from any of them.

// voice is what a language needs to draft an outage's texts.
type voice struct {
	w words.Writer
	// noun is a service in the forms a sentence needs.
	noun func(service string) nounForms
	// Investigating: title and body.
	title, slowTitle  string // "%[1]s auf %[2]s nicht erreichbar": noun title, server
	investigating     string // noun "with" form, server
	slowInvestigating string // noun "in" form, server
	// Resolved.
	interruption, slow string // server, noun "in" form, length, when
	between            func(w words.Writer, span words.Span, loc *time.Location) string
	sameDay            func(a, b time.Time) string // "heute Vormittag"
	onDay              string                      // "am %s"
	acrossDays         string                      // a, zone, day a, b, day b
	instant            string                      // "um %s"
	dayFirst           bool                        // the day before the times: "heute Vormittag zwischen ..."
	spared, hit        [2]string                   // singular, plural: subjects
	fleetSpared        string
	fleetHit           string // servers list
	serversOne         string // "dem Server %s"
	serversMany        string // "den Servern %s"
	recurrence         string // ordinal, list of earlier times
	recurrenceMany     string
	ordinals           []string // "zweiten", "dritten", ...
	earlierOn          string   // day, times
	earlierAcross      string   // clock a, day a, clock b, day b
	again              string   // Recurrence: ordinal, times
	againAcross        string
}

// nounForms are a service's forms: in a title, after "with", after "in",
// and as a subject.
type nounForms struct {
	title, with, in, subject string
	plural                   bool
}

func voiceFor(l locale.Lang) *voice {
	switch l {
	case locale.German:
		return &german
	case locale.Spanish:
		return &spanish
	}
	return nil
}

var german = voice{
	w: words.In(locale.German),
	noun: func(s string) nounForms {
		switch s {
		case "Web site":
			return nounForms{"Webseiten", "den Webseiten", "bei den Webseiten", "Die Webseiten", true}
		case "E-mail":
			return nounForms{"E-Mail", "dem E-Mail-Dienst", "beim E-Mail-Dienst", "Der E-Mail-Dienst", false}
		}
		return nounForms{s, s, "bei " + s, s, false}
	},
	title:             "%[1]s auf %[2]s nicht erreichbar",
	slowTitle:         "%[1]s auf %[2]s langsam",
	investigating:     "Wir untersuchen derzeit ein Problem mit %[1]s auf dem Server %[2]s. Wir melden uns hier, sobald wir mehr wissen.",
	slowInvestigating: "Wir untersuchen derzeit langsame oder zeitweise ausbleibende Antworten %[1]s auf dem Server %[2]s. Wir melden uns hier, sobald wir mehr wissen.",
	interruption:      "Kunden auf dem Server %[1]s hatten %[4]s eine Unterbrechung von %[3]s %[2]s.",
	slow:              "Kunden auf dem Server %[1]s hatten %[4]s %[3]s lang langsame oder zeitweise ausbleibende Antworten %[2]s.",
	between: func(w words.Writer, span words.Span, loc *time.Location) string {
		return "zwischen " + w.Times(span, loc, " und ")
	},
	sameDay: func(a, b time.Time) string {
		part := func(t time.Time) string {
			switch h := t.Hour(); {
			case h < 12:
				return "heute Vormittag"
			case h < 18:
				return "heute Nachmittag"
			case h < 22:
				return "heute Abend"
			}
			return "heute Nacht"
		}
		pa, pb := part(a), part(b)
		if pa != pb && !(pa == "heute Abend" && pb == "heute Nacht") {
			pa = "heute"
		} else if pa != pb {
			pa = pb
		}
		return pa + " (" + words.In(locale.German).ShortDate(a) + ")"
	},
	onDay:          "am %s,",
	dayFirst:       true,
	acrossDays:     "zwischen %[1]s %[2]s am %[3]s, und %[4]s am %[5]s,",
	instant:        "um %s",
	spared:         [2]string{"%s war nicht betroffen.", "%s waren nicht betroffen."},
	hit:            [2]string{"%s war ebenfalls betroffen.", "%s waren ebenfalls betroffen."},
	fleetSpared:    "Kunden auf anderen Servern waren nicht betroffen.",
	fleetHit:       "Auch Kunden auf %s waren betroffen.",
	serversOne:     "dem Server %s",
	serversMany:    "den Servern %s",
	recurrence:     "Das Problem trat damit innerhalb einer Woche zum %[1]s Mal auf: zuerst %[2]s.",
	recurrenceMany: "Das Problem trat damit innerhalb einer Woche zum %[1]s Mal auf: zuvor schon %[2]s.",
	ordinals:       []string{"", "ersten", "zweiten", "dritten", "vierten", "fünften", "sechsten", "siebten", "achten", "neunten", "zehnten"},
	earlierOn:      "am %[1]s, von %[2]s",
	earlierAcross:  "von %[1]s am %[2]s bis %[3]s am %[4]s",
	again:          "Das Problem trat ein %[1]s Mal auf, am %[2]s, von %[3]s.",
	againAcross:    "Das Problem trat ein %[1]s Mal auf, von %[2]s am %[3]s bis %[4]s am %[5]s.",
}

// germanAgain is "zweites" after "ein" (neuter, strong), from "zweiten".
func germanAgain(o string) string { return strings.TrimSuffix(o, "n") + "s" }

var spanish = voice{
	w: words.In(locale.Spanish),
	noun: func(s string) nounForms {
		switch s {
		case "Web site":
			return nounForms{"Sitios web", "los sitios web", "en los sitios web", "Los sitios web", true}
		case "E-mail":
			return nounForms{"Correo electrónico", "el correo electrónico", "en el correo electrónico", "El correo electrónico", false}
		}
		return nounForms{s, s, "en " + s, s, false}
	},
	title:             "%[1]s en %[2]s sin respuesta",
	slowTitle:         "%[1]s en %[2]s con lentitud",
	investigating:     "Estamos investigando un problema con %[1]s del servidor %[2]s. Publicaremos una actualización aquí en cuanto sepamos más.",
	slowInvestigating: "Estamos investigando lentitud o cortes intermitentes %[1]s del servidor %[2]s. Publicaremos una actualización aquí en cuanto sepamos más.",
	interruption:      "Los clientes del servidor %[1]s sufrieron una interrupción de %[3]s %[2]s %[4]s.",
	slow:              "Los clientes del servidor %[1]s sufrieron lentitud o cortes intermitentes %[2]s durante %[3]s, %[4]s.",
	between: func(w words.Writer, span words.Span, loc *time.Location) string {
		a, b := span.Start.In(loc), span.End.In(loc)
		clock := func(t time.Time) string {
			c := w.ClockSeconds(t, loc)
			if !span.Precise() {
				c = w.Clock(t, loc)
			}
			if t.Hour() == 1 {
				return "la " + c
			}
			return "las " + c
		}
		return "entre " + clock(a) + " y " + clock(b)
	},
	sameDay: func(a, b time.Time) string {
		part := func(t time.Time) string {
			switch h := t.Hour(); {
			case h < 12:
				return "esta mañana"
			case h < 20:
				return "esta tarde"
			}
			return "esta noche"
		}
		pa := part(a)
		if pa != part(b) {
			pa = "hoy"
		}
		return pa + " (" + words.In(locale.Spanish).ShortDate(a) + ")"
	},
	onDay:          "el %s",
	acrossDays:     "entre las %[1]s %[2]s del %[3]s, y las %[4]s del %[5]s",
	instant:        "a las %s",
	spared:         [2]string{"%s no se vio afectado.", "%s no se vieron afectados."},
	hit:            [2]string{"%s también se vio afectado.", "%s también se vieron afectados."},
	fleetSpared:    "Los clientes de otros servidores no se vieron afectados.",
	fleetHit:       "Los clientes de %s también se vieron afectados.",
	serversOne:     "el servidor %s",
	serversMany:    "los servidores %s",
	recurrence:     "Es la %[1]s vez que ocurre en una semana: el problema ocurrió por primera vez %[2]s.",
	recurrenceMany: "Es la %[1]s vez que ocurre en una semana: el problema ya ocurrió %[2]s.",
	ordinals:       []string{"", "primera", "segunda", "tercera", "cuarta", "quinta", "sexta", "séptima", "octava", "novena", "décima"},
	earlierOn:      "el %[1]s, de %[2]s",
	earlierAcross:  "de las %[1]s del %[2]s a las %[3]s del %[4]s",
	again:          "El problema volvió a ocurrir por %[1]s vez el %[2]s, de %[3]s.",
	againAcross:    "El problema volvió a ocurrir por %[1]s vez, de las %[2]s del %[3]s a las %[4]s del %[5]s.",
}

func (v *voice) ordinal(n int) string {
	if n >= 0 && n < len(v.ordinals) {
		return v.ordinals[n]
	}
	if v == &german {
		return words.NumberWord(n) + "."
	}
	return words.NumberWord(n) + "ª"
}

func (v *voice) t(pattern string, args ...any) string { return fmt.Sprintf(pattern, args...) }

// draftInvestigating is Investigating in the voice's language.
func (v *voice) draftInvestigating(o Outage) Text {
	server, n := plain(o.Server), v.noun(plain(o.Service))
	if o.Degraded {
		return Text{Title: v.t(v.slowTitle, plain(n.title), server),
			Body: v.t(v.slowInvestigating, md(n.in), md(server))}
	}
	return Text{Title: v.t(v.title, plain(n.title), server), Body: v.t(v.investigating, md(n.with), md(server))}
}

// resolved is Resolved in the voice's language.
func (v *voice) resolved(o Outage, p Page) string {
	span := words.Span{Start: o.Start, End: o.End}
	n := v.noun(plain(o.Service))
	pattern := v.interruption
	if o.Degraded {
		pattern = v.slow
	}
	what := v.t(pattern, md(o.Server), md(n.in), v.w.Duration(span.Length()), v.when(span, p))
	return sentences(what, v.notAffected(o), v.recurrenceSentence(o, p))
}

// when is the span in the page's zone, within a sentence.
func (v *voice) when(span words.Span, p Page) string {
	a, b, now := span.Start.In(p.Loc), span.End.In(p.Loc), p.Now.In(p.Loc)
	zone := "(" + plain(v.w.Zone(p.Zone)) + ")"
	at := func(t time.Time) string {
		c := v.w.Clock(t, p.Loc)
		if span.Precise() {
			c = v.w.ClockSeconds(t, p.Loc)
		}
		return timeAt(v, c)
	}
	day := func(t time.Time) string { return v.t(v.onDay, v.w.LongDate(t, now)) }
	if !words.SameDay(a, b) && span.Length() > 0 {
		return v.t(v.acrossDays, at(a), zone, v.w.LongDate(a, now), at(b), v.w.LongDate(b, now))
	}
	times := v.between(v.w, span, p.Loc)
	if span.Length() == 0 {
		times = v.t(v.instant, at(a))
	}
	d := day(a)
	if words.SameDay(a, now) {
		d = v.sameDay(a, b)
	}
	if v.dayFirst {
		return d + " " + times + " " + zone
	}
	return times + " " + zone + " " + d
}

// timeAt is a clock time as the language writes it alone: "09:48 Uhr", "09:48".
func timeAt(v *voice, clock string) string { return v.w.L.T("time.at", clock) }

// notAffected says what else was and was not affected, one sentence each.
func (v *voice) notAffected(o Outage) string {
	var hit, spared []nounForms
	for _, s := range o.Others {
		if plain(s.Service) == "" {
			continue
		}
		if s.Affected {
			hit = append(hit, v.noun(plain(s.Service)))
		} else {
			spared = append(spared, v.noun(plain(s.Service)))
		}
	}
	subject := func(ns []nounForms, forms [2]string) string {
		names := make([]string, len(ns))
		for i, n := range ns {
			names[i] = md(n.subject)
			if i > 0 && n.subject != n.title {
				names[i] = strings.ToLower(names[i][:1]) + names[i][1:]
			}
		}
		plural := len(ns) > 1 || ns[0].plural
		f := forms[0]
		if plural {
			f = forms[1]
		}
		return v.t(f, v.w.List(names))
	}
	var out []string
	if len(hit) > 0 {
		out = append(out, subject(hit, v.hit))
	}
	if len(spared) > 0 {
		out = append(out, subject(spared, v.spared))
	}
	var others []string
	for _, name := range o.OtherServers {
		if plain(name) != "" {
			others = append(others, md(name))
		}
	}
	switch len(others) {
	case 0:
		out = append(out, v.fleetSpared)
	case 1:
		out = append(out, v.t(v.fleetHit, v.t(v.serversOne, others[0])))
	default:
		out = append(out, v.t(v.fleetHit, v.t(v.serversMany, v.w.List(others))))
	}
	return strings.Join(out, " ")
}

// earlierTimes is when an earlier occurrence happened, within a sentence.
func (v *voice) earlierTimes(span words.Span, loc *time.Location, now time.Time) string {
	a, b := span.Start.In(loc), span.End.In(loc)
	at := func(t time.Time) string {
		if span.Precise() {
			return timeAt(v, v.w.ClockSeconds(t, loc))
		}
		return timeAt(v, v.w.Clock(t, loc))
	}
	if !words.SameDay(a, b) {
		return v.t(v.earlierAcross, at(a), v.w.LongDate(a, now), at(b), v.w.LongDate(b, now))
	}
	if span.Length() == 0 {
		return v.t(v.earlierOn, v.w.LongDate(a, now), at(a))
	}
	return v.t(v.earlierOn, v.w.LongDate(a, now), v.times(span, loc))
}

// times are a span's times within one day, "09:48 bis 09:52 Uhr", "09:48 a 09:52".
func (v *voice) times(span words.Span, loc *time.Location) string {
	return v.w.Times(span, loc, v.w.L.T("range.to"))
}

func (v *voice) recurrenceSentence(o Outage, p Page) string {
	prev := o.earlier()
	if len(prev) == 0 {
		return ""
	}
	now := p.Now.In(p.Loc)
	times := make([]string, len(prev))
	for i, e := range prev {
		times[i] = v.earlierTimes(words.Span{Start: e.Start, End: e.End}, p.Loc, now)
		if plain(e.Title) != "" {
			times[i] += " (" + v.quoted(e.Title) + ")"
		}
	}
	pattern := v.recurrence
	if len(prev) > 1 {
		pattern = v.recurrenceMany
	}
	return v.t(pattern, v.ordinal(len(prev)+1), v.w.List(times))
}

// quoted is a title named inside a body, in the language's quotation marks.
func (v *voice) quoted(title string) string {
	if v == &german {
		return "„" + md(title) + "“"
	}
	return "«" + md(title) + "»"
}

// recurrenceUpdate is Recurrence in the voice's language.
func (v *voice) recurrenceUpdate(o Outage, p Page, prev []Earlier) string {
	span := words.Span{Start: o.Start, End: o.End}
	a, b, now := o.Start.In(p.Loc), o.End.In(p.Loc), p.Now.In(p.Loc)
	nth := v.ordinal(len(prev) + 1)
	if v == &german {
		nth = germanAgain(nth)
	}
	at := func(t time.Time) string {
		if span.Precise() {
			return timeAt(v, v.w.ClockSeconds(t, p.Loc))
		}
		return timeAt(v, v.w.Clock(t, p.Loc))
	}
	if !words.SameDay(a, b) {
		return v.t(v.againAcross, nth, at(a), v.w.LongDate(a, now), at(b), v.w.LongDate(b, now))
	}
	times := v.times(span, p.Loc)
	if span.Length() == 0 {
		times = at(a)
	}
	return v.t(v.again, nth, v.w.LongDate(a, now), times)
}
