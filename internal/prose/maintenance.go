package prose

import (
	"errors"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/heraldhq/herald/internal/locale"
	"github.com/heraldhq/herald/internal/words"
)

// Maintenance is what Herald measured during a completed maintenance window.
type Maintenance struct {
	// Planned is the downtime the announcement promised ("approximately
	// five minutes"); zero when it promised none.
	Planned time.Duration
	// Servers are the servers in the window, in the order the maintenance
	// names them, each with its measured downtime (see Downtime).
	Servers []ServerDowntime
}

// ServerDowntime is one server's measured downtime during a maintenance.
type ServerDowntime struct {
	Server   string
	Downtime time.Duration
}

// Span is a measured interval. A zero End means it had not ended.
type Span struct {
	Start, End time.Time
}

// Downtime is how much of window the outages cover, counting overlapping
// outages once (a server's Web site and e-mail down together is one stretch
// of downtime). An outage with no end runs to the end of the window.
func Downtime(window Span, outages []Span) time.Duration {
	var in []Span
	for _, o := range outages {
		if o.End.IsZero() || o.End.After(window.End) {
			o.End = window.End
		}
		if o.Start.Before(window.Start) {
			o.Start = window.Start
		}
		if o.End.After(o.Start) {
			in = append(in, o)
		}
	}
	sort.Slice(in, func(i, j int) bool { return in[i].Start.Before(in[j].Start) })
	var total time.Duration
	var cur Span
	for i, o := range in {
		switch {
		case i == 0:
			cur = o
		case !o.Start.After(cur.End):
			if o.End.After(cur.End) {
				cur.End = o.End
			}
		default:
			total += cur.End.Sub(cur.Start)
			cur = o
		}
	}
	if len(in) > 0 {
		total += cur.End.Sub(cur.Start)
	}
	return total
}

// MaintenanceCompleted drafts the update that completes a maintenance, with
// the measured downtime per server, compared honestly with what was
// announced.
//
//	The maintenance was completed with less than five minutes of downtime: flexo 3 minutes 10 seconds, mom 2 minutes 5 seconds, elzar 1 minute 40 seconds, zapp no downtime.
//
// Figures are worded to the second (words.Measured), never abbreviated.
func MaintenanceCompleted(m Maintenance) (string, error) {
	return MaintenanceCompletedIn(m, locale.English)
}

// completedWords are MaintenanceCompleted's sentences in one language:
// none, unplanned, less, same, longer (each with the list and the planned
// downtime where they take them) and a server's figure without downtime.
type completedWords struct {
	none, unplanned, less, same, longer, zero string
}

var completed = map[locale.Lang]completedWords{
	locale.English: {
		none:      "The maintenance was completed with no downtime.",
		unplanned: "The maintenance was completed with the following downtime: %[1]s.",
		less:      "The maintenance was completed with less than %[2]s of downtime: %[1]s.",
		same:      "The maintenance was completed with no more than %[2]s of downtime: %[1]s.",
		longer:    "The maintenance was completed, but took longer than planned: %[1]s. We had announced approximately %[2]s of downtime, and we apologize for the longer interruption.",
		zero:      "no downtime",
	},
	// As German providers word a completed Wartung (see lang.go).
	locale.German: {
		none:      "Die Wartung wurde ohne Ausfallzeit abgeschlossen.",
		unplanned: "Die Wartung wurde abgeschlossen. Die gemessene Ausfallzeit: %[1]s.",
		less:      "Die Wartung wurde mit weniger als %[2]s Ausfallzeit abgeschlossen: %[1]s.",
		same:      "Die Wartung wurde mit höchstens %[2]s Ausfallzeit abgeschlossen: %[1]s.",
		longer:    "Die Wartung wurde abgeschlossen, dauerte aber länger als geplant: %[1]s. Angekündigt hatten wir etwa %[2]s Ausfallzeit; für die längere Unterbrechung bitten wir um Entschuldigung.",
		zero:      "keine Ausfallzeit",
	},
	// As Spanish providers word a completed mantenimiento (see lang.go).
	locale.Spanish: {
		none:      "El mantenimiento se completó sin tiempo de inactividad.",
		unplanned: "El mantenimiento se completó con el siguiente tiempo de inactividad: %[1]s.",
		less:      "El mantenimiento se completó con menos de %[2]s de inactividad: %[1]s.",
		same:      "El mantenimiento se completó con no más de %[2]s de inactividad: %[1]s.",
		longer:    "El mantenimiento se completó, pero duró más de lo previsto: %[1]s. Habíamos anunciado unos %[2]s de inactividad; les pedimos disculpas por la interrupción más larga.",
		zero:      "sin inactividad",
	},
}

// abbreviationStop lets an abbreviation's point end a sentence, as German
// writes it: "mom 2 Min. 5 Sek." and not "Sek..".
var abbreviationStop = strings.NewReplacer("Sek..", "Sek.", "Min..", "Min.", "Std..", "Std.", "Tg..", "Tg.")

// MaintenanceCompletedIn is MaintenanceCompleted drafted in language l.
func MaintenanceCompletedIn(m Maintenance, l locale.Lang) (string, error) {
	cw, ok := completed[l]
	if !ok {
		cw = completed[locale.English]
	}
	w := words.In(l)
	if len(m.Servers) == 0 {
		return "", errors.New("prose: the maintenance names no servers")
	}
	if m.Planned < 0 {
		return "", errors.New("prose: the planned downtime is negative")
	}
	var longest time.Duration
	figures := make([]string, len(m.Servers))
	for i, s := range m.Servers {
		if plain(s.Server) == "" {
			return "", errors.New("prose: a server in the maintenance has no name")
		}
		if s.Downtime < 0 {
			return "", fmt.Errorf("prose: server %q has a negative downtime", plain(s.Server))
		}
		// Compare what is shown: 4 min 59.6 s is shown, and counts, as 5 min.
		d := s.Downtime.Round(time.Second)
		if d == 0 && s.Downtime > 0 {
			d = time.Second
		}
		longest = max(longest, d)
		figure := w.Measured(s.Downtime)
		if s.Downtime == 0 {
			figure = cw.zero
		}
		figures[i] = md(s.Server) + " " + figure
	}
	list := strings.Join(figures, ", ")
	planned := w.Measured(m.Planned)
	pattern := cw.longer
	switch {
	case longest == 0:
		return cw.none, nil
	case m.Planned == 0:
		pattern = cw.unplanned
	case longest < m.Planned:
		pattern = cw.less
	case longest == m.Planned:
		pattern = cw.same
	}
	args := []any{list, planned}
	if m.Planned == 0 {
		args = args[:1]
	}
	return abbreviationStop.Replace(fmt.Sprintf(pattern, args...)), nil
}
