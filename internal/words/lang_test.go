package words_test

import (
	"testing"
	"time"

	"github.com/heraldhq/herald/internal/locale"
	"github.com/heraldhq/herald/internal/words"
)

// The German and Spanish forms follow the languages' own conventions (the
// Duden's for German dates and times, the RAE's for Spanish ones): a
// 24-hour clock, "3. Dezember 2026" / "3 de diciembre de 2026", the
// weekday lower-case in Spanish but capitalised where a line begins.
func TestWriterInGermanAndSpanish(t *testing.T) {
	la, err := time.LoadLocation("America/Los_Angeles")
	if err != nil {
		t.Fatal(err)
	}
	at := func(s string) time.Time {
		v, err := time.ParseInLocation("2006-01-02 15:04:05", s, la)
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
	now := at("2026-12-03 10:27:00")
	de, es, en := words.In(locale.German), words.In(locale.Spanish), words.English
	zone := "Pacific time"
	for _, c := range []struct{ name, got, want string }{
		{"en when", en.When(now, now, la, zone), "Today, 10:27 AM Pacific time"},
		{"de when", de.When(now, now, la, zone), "Heute, 10:27 Uhr (Pazifikzeit)"},
		{"es when", es.When(now, now, la, zone), "Hoy, 10:27 (hora del Pacífico)"},
		{"de when earlier", de.When(at("2026-11-23 09:48:00"), now, la, zone), "Montag, 23. November, 09:48 Uhr (Pazifikzeit)"},
		{"es when earlier", es.When(at("2026-11-23 09:48:00"), now, la, zone), "Lunes, 23 de noviembre, 09:48 (hora del Pacífico)"},
		{"de long date other year", de.LongDate(at("2025-12-03 10:27:00"), now), "Mittwoch, 3. Dezember 2025"},
		{"es long date other year", es.LongDate(at("2025-12-03 10:27:00"), now), "miércoles, 3 de diciembre de 2025"},
		{"de yesterday", de.Day(at("2026-12-02 10:00:00"), now, la), "Gestern"},
		{"es tomorrow", es.Day(at("2026-12-04 10:00:00"), now, la), "Mañana"},
		{"de month", de.Month(now), "Dezember 2026"},
		// Within a sentence (an incident's related line: "(früher: heute, …)").
		{"de interval", de.Interval(at("2026-12-03 09:48:00"), at("2026-12-03 09:52:00"), now, la, zone), "Heute, 09:48 bis 09:52 Uhr (Pazifikzeit) · vier Minuten"},
		{"de interval mid", de.IntervalMid(at("2026-12-03 09:48:00"), at("2026-12-03 09:52:00"), now, la, zone), "heute, 09:48 bis 09:52 Uhr (Pazifikzeit) · vier Minuten"},
		{"es interval mid", es.IntervalMid(at("2026-12-03 09:48:00"), at("2026-12-03 09:52:00"), now, la, zone), "hoy, 09:48 a 09:52 (hora del Pacífico) · cuatro minutos"},
		{"de interval mid open", de.IntervalMid(at("2026-11-23 09:48:00"), time.Time{}, now, la, zone), "seit Montag, 23. November, 09:48 Uhr (Pazifikzeit) · bisher zehn Tage"},
		{"es interval mid open", es.IntervalMid(at("2026-11-23 09:48:00"), time.Time{}, now, la, zone), "desde lunes, 23 de noviembre, 09:48 (hora del Pacífico) · diez días hasta ahora"},
		{"en interval mid", en.IntervalMid(at("2026-12-03 09:48:00"), at("2026-12-03 09:52:00"), now, la, zone), en.Interval(at("2026-12-03 09:48:00"), at("2026-12-03 09:52:00"), now, la, zone)},
		{"es month", es.Month(now), "diciembre de 2026"},
		{"de short", de.ShortDate(now), "3. Dezember"},
		{"es short", es.ShortDate(now), "3 de diciembre"},
		{"de interval", de.Interval(at("2026-12-03 09:48:59"), at("2026-12-03 09:52:00"), now, la, zone),
			"Heute, 09:48 bis 09:52 Uhr (Pazifikzeit) · vier Minuten"},
		{"es interval", es.Interval(at("2026-12-03 09:48:59"), at("2026-12-03 09:52:00"), now, la, zone),
			"Hoy, 09:48 a 09:52 (hora del Pacífico) · cuatro minutos"},
		{"de under a minute", de.Interval(at("2026-12-03 09:48:10"), at("2026-12-03 09:48:56"), now, la, zone),
			"Heute, 09:48:10 bis 09:48:56 Uhr (Pazifikzeit) · 46 Sekunden"},
		{"de ongoing", de.Interval(at("2026-12-03 10:21:00"), time.Time{}, now, la, zone),
			"Seit heute, 10:21 Uhr (Pazifikzeit) · bisher sechs Minuten"},
		{"es ongoing", es.Interval(at("2026-12-03 10:21:00"), time.Time{}, now, la, zone),
			"Desde hoy, 10:21 (hora del Pacífico) · seis minutos hasta ahora"},
		{"de across midnight", de.Window(at("2026-04-03 23:00:00"), at("2026-04-04 01:00:00"), now, la, zone),
			"Freitag, 3. April, 23:00 Uhr bis Samstag, 4. April, 01:00 Uhr (Pazifikzeit)"},
		{"es across midnight", es.Window(at("2026-04-03 23:00:00"), at("2026-04-04 01:00:00"), now, la, zone),
			"Del viernes, 3 de abril, 23:00, al sábado, 4 de abril, 01:00 (hora del Pacífico)"},
		{"de dated", de.DatedWindow(at("2026-04-03 11:00:00"), at("2026-04-03 12:00:00"), now, la, zone),
			"Freitag, 3. April, 11:00 bis 12:00 Uhr (Pazifikzeit)"},
		{"de one minute", de.Duration(time.Minute), "eine Minute"},
		{"es one hour", es.Duration(time.Hour), "una hora"},
		{"de compound", de.Duration(2*time.Hour + 5*time.Minute), "2 Std. 5 Min."},
		{"es compound", es.Duration(2*time.Hour + 5*time.Minute), "2 h 5 min"},
		{"de days", de.Duration(74 * time.Hour), "3 Tg. 2 Std."},
		{"es less than a second", es.Duration(300 * time.Millisecond), "menos de un segundo"},
		{"de measured", de.Measured(3*time.Minute + 10*time.Second), "3 Min. 10 Sek."},
		{"es measured", es.Measured(3*time.Minute + 10*time.Second), "3 min 10 s"},
		{"de list", de.List([]string{"flexo", "mom", "elzar"}), "flexo, mom und elzar"},
		{"es list", es.List([]string{"flexo", "mom", "elzar"}), "flexo, mom y elzar"},
		{"de latency", de.Latency(2300 * time.Millisecond), "2,3 s"},
		{"de other zone", de.Zone("Berlin time"), "Ortszeit Berlin"},
		{"es utc", es.TimeIn(now, time.UTC, "UTC"), "18:27 (UTC)"},
	} {
		if c.got != c.want {
			t.Errorf("%s:\n got %q\nwant %q", c.name, c.got, c.want)
		}
	}
}

// TestWriterEnglishIsThePackages: English through the writer is the
// package's functions, word for word.
func TestWriterEnglishIsThePackages(t *testing.T) {
	la, _ := time.LoadLocation("America/Los_Angeles")
	now := time.Date(2026, 12, 3, 10, 27, 0, 0, la)
	a, b := now.Add(-40*time.Minute), now.Add(-36*time.Minute)
	en := words.English
	if got, want := en.Interval(a, b, now, la, "Pacific time"), words.Interval(a, b, now, la, "Pacific time"); got != want {
		t.Errorf("Interval %q, want %q", got, want)
	}
	if got, want := en.Measured(190*time.Second), words.Measured(190*time.Second); got != want {
		t.Errorf("Measured %q, want %q", got, want)
	}
	if got, want := en.Window(a, time.Time{}, now, la, "Pacific time"), words.Window(a, time.Time{}, now, la, "Pacific time"); got != want {
		t.Errorf("Window %q, want %q", got, want)
	}
}

func TestWriterLasting(t *testing.T) {
	for _, tc := range []struct {
		d          time.Duration
		en, de, es string
	}{
		{46 * time.Second, "46 seconds", "46 Sekunden", "46 segundos"},
		{4 * time.Minute, "four minutes", "vier Minuten", "cuatro minutos"},
		{time.Hour + 13*time.Minute, "one hour and 13 minutes", "eine Stunde und 13 Minuten", "una hora y 13 minutos"},
		{2 * time.Hour, "two hours", "zwei Stunden", "dos horas"},
		{26*time.Hour + 5*time.Minute, "one day and two hours", "ein Tag und zwei Stunden", "un día y dos horas"},
	} {
		for lang, want := range map[locale.Lang]string{locale.English: tc.en, locale.German: tc.de, locale.Spanish: tc.es} {
			if got := words.In(lang).Lasting(tc.d); got != want {
				t.Errorf("%s %v: got %q, want %q", lang, tc.d, got, want)
			}
		}
	}
}

// TestWriterYearWindow: a span with its date and year, as feeds and
// calendars show it, across midnight and under a minute too; English as
// the feeds always wrote it.
func TestWriterYearWindow(t *testing.T) {
	la, err := time.LoadLocation("America/Los_Angeles")
	if err != nil {
		t.Fatal(err)
	}
	at := func(s string) time.Time {
		v, err := time.ParseInLocation("2006-01-02 15:04:05", s, la)
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
	de, es, en := words.In(locale.German), words.In(locale.Spanish), words.English
	zone := "Pacific time"
	for _, c := range []struct{ got, want string }{
		{en.YearWindow(at("2026-03-14 13:00:00"), at("2026-03-14 14:30:00"), la, zone), "Mar 14, 2026, 1:00 PM – 2:30 PM Pacific time"},
		{en.YearWindow(at("2026-03-14 23:00:00"), at("2026-03-15 01:00:00"), la, zone), "Mar 14, 2026, 11:00 PM – Mar 15, 2026, 1:00 AM Pacific time"},
		{de.YearWindow(at("2026-03-14 13:00:00"), at("2026-03-14 14:30:00"), la, zone), "14. März 2026, 13:00 bis 14:30 Uhr (Pazifikzeit)"},
		{de.YearWindow(at("2026-03-14 23:00:00"), at("2026-03-15 01:00:00"), la, zone), "14. März 2026, 23:00 Uhr bis 15. März 2026, 01:00 Uhr (Pazifikzeit)"},
		{de.YearWindow(at("2026-03-14 13:00:10"), at("2026-03-14 13:00:50"), la, zone), "14. März 2026, 13:00:10 bis 13:00:50 Uhr (Pazifikzeit)"},
		{es.YearWindow(at("2026-03-14 13:00:00"), at("2026-03-14 14:30:00"), la, zone), "14 de marzo de 2026, 13:00 a 14:30 (hora del Pacífico)"},
		{es.YearWindow(at("2026-03-14 23:00:00"), at("2026-03-15 01:00:00"), la, zone), "14 de marzo de 2026, 23:00 a 15 de marzo de 2026, 01:00 (hora del Pacífico)"},
		{en.Moment(at("2026-12-03 14:05:00"), la, zone), "Dec 3, 2026, 2:05 PM Pacific time"},
		{de.Moment(at("2026-12-03 14:05:00"), la, zone), "3. Dezember 2026, 14:05 Uhr (Pazifikzeit)"},
		{es.Moment(at("2026-12-03 14:05:00"), la, zone), "3 de diciembre de 2026, 14:05 (hora del Pacífico)"},
	} {
		if c.got != c.want {
			t.Errorf("got %q, want %q", c.got, c.want)
		}
	}
}
