// Package prose drafts the words Herald publishes about what it measured —
// incident titles and updates, network events, maintenance results — in the
// voice of a hosting provider's status posts: small numbers in words, times
// in the page's zone with its name, and plain statements of what was not
// affected. Times and lengths follow the rules of package words (a Span):
// to the minute as a clock shows them, to the second under a minute, and
// the length always the difference of the times shown, so a drafted text
// agrees with the page header, the feeds, the e-mails and the command line.
//
// Everything here is a pure function of plain values, so drafts can be
// golden-tested and an operator can edit them before they are published.
// Bodies are Markdown; every name that comes from configuration or from an
// operator is escaped so that it reads as typed and cannot become a link,
// emphasis or HTML. Titles are plain text (pages escape them as HTML).
package prose

import (
	"errors"
	"strings"
	"time"
	"unicode"

	"github.com/heraldhq/herald/internal/locale"
	"github.com/heraldhq/herald/internal/words"
)

// Page is where and when a text is published: the page's zone, the name
// readers know it by, and the moment of publication, which decides whether
// "this morning" may be said.
type Page struct {
	Loc  *time.Location // the page's zone
	Zone string         // its name in English, "Pacific time" (config.ZoneName makes it)
	Now  time.Time      // when the text is published
	// Lang is the language the texts are drafted in (page.language);
	// English when empty. The outage texts (Investigating, Resolved,
	// Recurrence), the network-event texts (NetworkInvestigatingIn,
	// NetworkRestored, NetworkResolved), AlsoAffectedIn,
	// DependentsAffectedIn and MaintenanceCompletedIn are drafted in German
	// and Spanish.
	Lang locale.Lang
}

func (p Page) check() error {
	switch {
	case p.Loc == nil:
		return errors.New("prose: the page has no time zone")
	case strings.TrimSpace(p.Zone) == "":
		return errors.New("prose: the page's zone has no name")
	case p.Now.IsZero():
		return errors.New("prose: the time of publication is missing")
	}
	return nil
}

// Text is a drafted title and first update.
type Text struct {
	Title string // plain text
	Body  string // Markdown
}

// ServiceNoun names a component's service as the posts do before the word
// "service": "Web site" for web sites, "E-mail" for mail, else the
// component's own name.
func ServiceNoun(componentID, componentName string) string {
	switch strings.ToLower(strings.TrimSpace(componentID)) {
	case "web", "www", "http", "https", "sites", "websites":
		return "Web site"
	case "email", "e-mail", "mail", "smtp", "imap", "pop3":
		return "E-mail"
	}
	switch strings.ToLower(strings.TrimSpace(componentName)) {
	case "web", "web site", "web sites", "website", "websites":
		return "Web site"
	case "email", "e-mail", "mail":
		return "E-mail"
	}
	if name := strings.TrimSpace(componentName); name != "" {
		return name
	}
	return strings.TrimSpace(componentID)
}

// titleNoun is the service as a title says it: "Web sites on flexo not
// responding", but "E-mail on flexo ...".
func titleNoun(noun string) string {
	if noun == "Web site" {
		return "Web sites"
	}
	return noun
}

// plain makes a configured name safe as one line of plain text: control
// characters (line breaks included) become spaces, runs of spaces one.
func plain(s string) string {
	s = strings.Map(func(r rune) rune {
		if unicode.IsControl(r) || unicode.IsSpace(r) {
			return ' '
		}
		return r
	}, s)
	return strings.Join(strings.Fields(s), " ")
}

// mdSpecial are the characters that can start Markdown syntax in the middle
// of a line (emphasis, code, links, images, raw HTML, entities,
// strikethrough, tables) or complete an autolink (scheme colons, e-mail at
// signs). Line-start syntax (#, -, +, 1.) cannot occur: a body never starts
// with a name and names never contain line breaks.
const mdSpecial = "\\`*_[]()<>&!~|:@"

// md makes a configured name safe inside a Markdown body: it renders as
// exactly the text of plain(s).
func md(s string) string {
	s = plain(s)
	var b strings.Builder
	for i, r := range s {
		if strings.ContainsRune(mdSpecial, r) {
			b.WriteByte('\\')
		}
		// "www." starts an autolink even without a scheme.
		if r == '.' && i >= 3 && strings.EqualFold(s[i-3:i], "www") {
			b.WriteByte('\\')
		}
		b.WriteRune(r)
	}
	return b.String()
}

// dayPart is the part of the day a clock time falls in, as the posts say it.
func dayPart(t time.Time) string {
	switch h := t.Hour(); {
	case h < 12:
		return "this morning"
	case h < 18:
		return "this afternoon"
	case h < 21:
		return "this evening"
	}
	return "tonight"
}

// sameDayPhrase is what follows a span's times when the span and the
// publication share a day: "this morning (August 12)", "today (August 12)"
// when the span runs from one part of the day into another. a and b are in
// the page's zone.
func sameDayPhrase(a, b time.Time) string {
	pa, pb := dayPart(a), dayPart(b)
	part := pa
	switch {
	case pa == pb:
	case pa == "this evening" && pb == "tonight":
		part = "tonight"
	default:
		part = "today"
	}
	return part + " (" + a.Format("January 2") + ")"
}

// shortDate is "March 31", with the year when it is not now's year.
func shortDate(t, now time.Time) string {
	if t.Year() != now.In(t.Location()).Year() {
		return t.Format("January 2, 2006")
	}
	return t.Format("January 2")
}

// article puts "a" or "an" before a phrase that starts with a number
// ("an eight-minute", "an 11-minute", "a one-hour", "an 18th").
func article(phrase string) string {
	digits := len(phrase) - len(strings.TrimLeft(phrase, "0123456789"))
	lead := phrase[:digits]
	switch {
	case strings.HasPrefix(phrase, "eight"), strings.HasPrefix(lead, "8"),
		digits == 2 && (lead == "11" || lead == "18"):
		return "an " + phrase
	}
	return "a " + phrase
}

// sentences joins the non-empty sentences with spaces.
func sentences(ss ...string) string {
	var out []string
	for _, s := range ss {
		if s == "" {
			continue
		}
		out = append(out, s)
	}
	return strings.Join(out, " ")
}

// wasWere is "were" for a plural subject, else "was".
func wasWere(plural bool) string {
	if plural {
		return "were"
	}
	return "was"
}

// subjects names services as the subject of "was not affected", with its
// verb: "E-mail was", "Web sites were", "E-mail and FTP were".
func subjects(nouns []string) string {
	names := make([]string, len(nouns))
	for i, n := range nouns {
		names[i] = titleNoun(plain(n))
	}
	plural := len(names) > 1 || looksPlural(names[0])
	return mdList(names) + " " + wasWere(plural)
}

// looksPlural guesses whether a configured service name is a plural noun
// ("Web sites", "Databases"), not an abbreviation ("DNS") or a word in -ss.
func looksPlural(name string) bool {
	return strings.HasSuffix(name, "s") && !strings.HasSuffix(name, "ss") && !strings.HasSuffix(name, "us")
}

// quoted is a title named inside a body: “Web sites on flexo not responding”.
func quoted(title string) string { return "“" + md(title) + "”" }

// mdList escapes each name and joins them as a sentence does.
func mdList(names []string) string {
	out := make([]string, len(names))
	for i, n := range names {
		out[i] = md(n)
	}
	return words.List(out)
}

// servers is "the flexo server" or "the mom and elzar servers".
func servers(names []string) string {
	return "the " + mdList(names) + " " + words.Plural(len(names), "server")
}
