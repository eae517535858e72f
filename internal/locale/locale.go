// Package locale holds the words of Herald's public pages, drafted texts,
// feeds and e-mails in each language a page may be shown in: one catalog per
// language, English as the source. A message is looked up by its English
// text ("Current incidents"), or, where the English is a pattern whose
// wording differs by language (the order of a date's parts, the clock), by a
// dotted id ("date.long") that the English catalog defines too.
//
// Operators' own texts (titles, updates, names) never pass through here.
package locale

import (
	"fmt"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Lang is a page's language, as written under page: (language: de).
type Lang string

const (
	English Lang = "en"
	German  Lang = "de"
	Spanish Lang = "es"
)

// Langs are the languages a page may be shown in.
var Langs = []Lang{English, German, Spanish}

// Parse accepts a language code; "" is English.
func Parse(s string) (Lang, error) {
	switch l := Lang(strings.ToLower(strings.TrimSpace(s))); l {
	case "":
		return English, nil
	case English, German, Spanish:
		return l, nil
	}
	return "", fmt.Errorf("unknown language %q (want one of en, de, es)", s)
}

// Locale speaks one language.
type Locale struct {
	Lang Lang
	msgs map[string]string
}

var locales = map[Lang]*Locale{
	English: {English, en},
	German:  {German, de},
	Spanish: {Spanish, es},
}

// For is the locale of l; an unknown or empty language is English.
func For(l Lang) *Locale {
	if loc, ok := locales[l]; ok {
		return loc
	}
	return locales[English]
}

// T is the message key in this language, formatted with args as fmt does.
// A key the catalog lacks is shown as it is (its English); the catalog
// tests make sure none is missing.
func (l *Locale) T(key string, args ...any) string {
	msg, ok := l.msgs[key]
	if !ok {
		msg, ok = en[key]
	}
	if !ok {
		msg = key
	}
	if len(args) == 0 {
		return msg
	}
	return fmt.Sprintf(msg, args...)
}

// Has reports whether the catalog has its own entry for key (for tests).
func (l *Locale) Has(key string) bool { _, ok := l.msgs[key]; return ok }

// Keys are the catalog's keys (for tests).
func (l *Locale) Keys() []string {
	keys := make([]string, 0, len(l.msgs))
	for k := range l.msgs {
		keys = append(keys, k)
	}
	return keys
}

// English reports whether the locale is English.
func (l *Locale) English() bool { return l.Lang == English }

// Decimal writes a number's text, written with a full stop ("99.95%",
// "2.3 s"), with this language's decimal sign and its space before a
// percent sign: "99,95 %" in German and Spanish.
func (l *Locale) Decimal(s string) string {
	if l.English() {
		return s
	}
	s = strings.ReplaceAll(s, ".", ",")
	if strings.HasSuffix(s, "%") && !strings.HasSuffix(s, "\u00a0%") {
		s = strings.TrimSuffix(s, "%") + "\u00a0%"
	}
	return s
}

// Lower writes a phrase s inside a sentence ("major outage" after a
// colon): in lower case, but in German, whose nouns keep their capitals
// ("Schwerer Ausfall").
func (l *Locale) Lower(s string) string {
	if l.Lang == German {
		return s
	}
	return strings.ToLower(s)
}

// Upper writes s with its first letter in capitals, for a phrase that
// begins a line ("lunes, 23 de noviembre" as a heading).
func Upper(s string) string {
	r, n := utf8.DecodeRuneInString(s)
	if r == utf8.RuneError {
		return s
	}
	return string(unicode.ToUpper(r)) + s[n:]
}
