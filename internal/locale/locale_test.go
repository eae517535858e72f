package locale_test

import (
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/heraldhq/herald/internal/locale"
	"github.com/heraldhq/herald/internal/status"
)

func TestParse(t *testing.T) {
	for in, want := range map[string]locale.Lang{"": locale.English, "en": locale.English, "de": locale.German, " ES ": locale.Spanish} {
		got, err := locale.Parse(in)
		if err != nil || got != want {
			t.Errorf("Parse(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
	for _, in := range []string{"fr", "de-DE", "german"} {
		if _, err := locale.Parse(in); err == nil {
			t.Errorf("Parse(%q) took it", in)
		}
	}
}

// translated are the languages with a catalog of their own.
var translated = []locale.Lang{locale.German, locale.Spanish}

// TestCatalogsHaveTheSameKeys: a message one translation has, every one has.
func TestCatalogsHaveTheSameKeys(t *testing.T) {
	de, es := locale.For(locale.German).Keys(), locale.For(locale.Spanish).Keys()
	sort.Strings(de)
	sort.Strings(es)
	for _, k := range de {
		if !locale.For(locale.Spanish).Has(k) {
			t.Errorf("es lacks %q", k)
		}
	}
	for _, k := range es {
		if !locale.For(locale.German).Has(k) {
			t.Errorf("de lacks %q", k)
		}
	}
	// An id (a dotted key) is not English: English defines it too, or is
	// never asked for it (the words English writes by its own functions).
	for _, k := range de {
		if strings.Contains(k, " ") || !strings.Contains(k, ".") || strings.HasSuffix(k, ".") {
			continue
		}
		if locale.For(locale.English).T(k) == k && !wordsOnly(k) {
			t.Errorf("id %q has no English", k)
		}
	}
}

// wordsOnly are the ids only translations ask for: English's words are
// internal/words' own functions.
func wordsOnly(k string) bool {
	for _, p := range []string{"num.", "list.", "time.", "range.", "window.", "duration.", "date.", "day.", "unit."} {
		if strings.HasPrefix(k, p) {
			return true
		}
	}
	return false
}

var verb = regexp.MustCompile(`%(\[\d\])?[sdv]`)

// TestTranslationsTakeTheSameArguments: a translation uses each argument of
// its English once, so none is lost or shows as %!(EXTRA).
func TestTranslationsTakeTheSameArguments(t *testing.T) {
	for _, l := range translated {
		loc := locale.For(l)
		for _, k := range loc.Keys() {
			src := locale.For(locale.English).T(k)
			if wordsOnly(k) {
				continue
			}
			if a, b := len(verb.FindAllString(src, -1)), len(verb.FindAllString(loc.T(k), -1)); a != b {
				t.Errorf("%s %q: %d arguments in English, %d in %q", l, k, a, b, loc.T(k))
			}
		}
	}
}

// used finds the messages the code and templates ask for by their key.
var used = []*regexp.Regexp{
	regexp.MustCompile(`\{\{t "((?:[^"\\]|\\.)+)"`),                                                  // templates
	regexp.MustCompile(`\b(?:b\.t|s\.t|w\.t|w\.T|tr\.T|wds\.T|\.L\.T)\((?:r, )?"((?:[^"\\]|\\.)+)"`), // Go
	regexp.MustCompile(`\bs\.signInPage\([^"\n]*"((?:[^"\\]|\\.)+)"`),                                // the sign-in page's errors, words of its catalog
	regexp.MustCompile(`\bv\.Lead = "((?:[^"\\]|\\.)+)"`),
	regexp.MustCompile(`\bRefused\w+ +Refusal = "((?:[^"\\]|\\.)+)"`), // notify's refusals, worded by the pages                                    // and its leads
	regexp.MustCompile(`\b\w+Refusal += "((?:[^"\\]|\\.)+)"`),         // strictjson's, worded by the pages
	regexp.MustCompile(`\brefuse\([\w.]+, "((?:[^"\\]|\\.)+)"`),       // internal/web's refusals
	regexp.MustCompile(`\bkey\("((?:[^"\\]|\\.)+)"\)`),                // keys held in tables, worded later
	regexp.MustCompile(`\bs\.pageT\(p, "((?:[^"\\]|\\.)+)"`),          // a private page's plain answers
}

// TestEveryMessageIsTranslated reads Herald's templates and Go code for
// the messages they look up and wants each in every translation: a page in
// German shows no English the catalog forgot.
func TestEveryMessageIsTranslated(t *testing.T) {
	keys := map[string]string{}
	err := filepath.WalkDir("..", func(path string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() || strings.HasSuffix(path, "_test.go") ||
			!(strings.HasSuffix(path, ".go") || strings.HasSuffix(path, ".html")) {
			return err
		}
		b, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		for _, re := range used {
			for _, m := range re.FindAllStringSubmatch(string(b), -1) {
				if strings.HasSuffix(m[1], ".") && !strings.Contains(m[1], " ") {
					continue // a prefix, completed by the code: "unit.one." + unit
				}
				keys[strings.ReplaceAll(m[1], `\"`, `"`)] = path
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(keys) < 100 {
		t.Fatalf("found only %d messages; the patterns no longer match the code", len(keys))
	}
	// Labels the code passes by value.
	for _, s := range status.ComponentStatuses {
		keys[s.Label()] = "status"
	}
	for _, s := range status.IncidentStatuses {
		keys[s.Label()] = "status"
	}
	for _, s := range status.MaintenanceStatuses {
		keys[s.Label()] = "status"
	}
	for _, s := range []status.MonitorState{status.MonitorUp, status.MonitorDegraded, status.MonitorDown, status.MonitorUnknown} {
		keys[s.Label()] = "status"
	}
	for _, k := range []string{"All Systems Operational", "Service Under Maintenance", "Partially Degraded Service",
		"Partial System Outage", "Major Service Outage", "No impact", "Minor impact", "Major impact", "Critical impact",
		"Subscribe", "Check your inbox", "Confirm your subscription", "Subscribed", "Your subscription", "Subscription saved",
		"Unsubscribe", "Unsubscribed", "Link not valid", "Not right now",
		"We could not find that domain among our customers. Check the spelling, and use your site's main domain (the one in your hosting account). You can always follow every server on the status page.",
		"New incident", "Incident update", "Resolved", "Scheduled maintenance", "Maintenance update", "Maintenance has started",
		"Maintenance completed", "Maintenance cancelled", "Please confirm your subscription", "Alert", "Test", "Still open", "Status update",
		"Status:", "Affected:", "Details:", "Details on the status page", "Change what you receive",
		"earlier", "later", "24 hours", "7 days", "30 days", "90 days", "down %s", "degraded %s", "maintenance downtime %s"} {
		keys[k] = "by value"
	}
	for _, l := range translated {
		var missing []string
		for k, where := range keys {
			if !locale.For(l).Has(k) {
				missing = append(missing, where+": "+k)
			}
		}
		slices.Sort(missing)
		for _, m := range missing {
			t.Errorf("%s lacks %s", l, m)
		}
	}
}

func TestDecimal(t *testing.T) {
	for _, c := range []struct {
		l        locale.Lang
		in, want string
	}{
		{locale.English, "99.95%", "99.95%"},
		{locale.German, "99.95%", "99,95\u00a0%"},
		{locale.Spanish, "100%", "100\u00a0%"},
		{locale.German, "2.3 s", "2,3 s"},
	} {
		if got := locale.For(c.l).Decimal(c.in); got != c.want {
			t.Errorf("%s Decimal(%q) = %q, want %q", c.l, c.in, got, c.want)
		}
	}
}
