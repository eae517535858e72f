package main

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math/rand/v2"
	"sort"
	"strings"
	"time"

	"github.com/heraldhq/herald/bench/internal/benchkit"
	"github.com/heraldhq/herald/internal/store"
)

// history is a seeded fleet's records, written as a Herald export so that
// one store.Import (one transaction) puts them in.
type history struct {
	now, from time.Time
	target    string
	servers   int
	comps     []comp
	incidents []incident
	windows   []window
	outages   []outage
}

type comp struct{ id, group, name, monitor string }

type incident struct {
	id                      int64
	title, impact, pm       string
	started, noticed, ended time.Time
	open                    bool
	comps                   map[string]string // component: the worst status
	steps                   []string          // middle updates: identified, monitoring
}

type window struct {
	id                   int64
	title, body          string
	start, end, announce time.Time
	comps                []string
	future               bool
}

type outage struct {
	comp, monitor, severity, decision string
	start, end                        time.Time
	incident, window                  int64
}

// newHistory plans years of history ending now: perYear incidents a year,
// two windows a month and an outage per component a month besides theirs,
// deterministic for the same arguments and hour.
func newHistory(servers, perYear, years int, now time.Time, target string) *history {
	h := &history{now: now, from: now.AddDate(-years, 0, 0), target: target, servers: servers}
	r := rand.New(rand.NewPCG(uint64(servers), uint64(perYear)))
	for g := range servers {
		for _, s := range services {
			id := fmt.Sprintf("s%03d/%s", g, s.id)
			h.comps = append(h.comps, comp{id: id, group: fmt.Sprintf("s%03d", g), name: s.name, monitor: id + "/http"})
		}
	}
	pick := func(s []string) string { return s[r.IntN(len(s))] }
	span := h.now.Add(-12 * time.Hour).Sub(h.from)
	n := perYear * years
	starts := make([]time.Time, n)
	for i := range starts {
		starts[i] = h.from.Add(time.Duration(r.Int64N(int64(span)))).Truncate(time.Second)
	}
	sort.Slice(starts, func(i, j int) bool { return starts[i].Before(starts[j]) })
	severity := []string{"degraded_performance", "degraded_performance", "partial_outage", "major_outage"}
	for i, start := range starts {
		in := incident{id: int64(i + 1), started: start, comps: map[string]string{}}
		server := r.IntN(servers)
		who := fmt.Sprintf("server%03d", server)
		switch x := r.IntN(20); {
		case x == 0: // a part of the network: a few racks of servers
			in.title = pick(benchkit.NetworkTitles)
			first, racks := r.IntN(servers), 4+r.IntN(12)
			for g := first; g < min(first+racks, servers); g++ {
				for _, s := range services {
					in.comps[fmt.Sprintf("s%03d/%s", g, s.id)] = "partial_outage"
				}
			}
			who = "our network"
		case x < 4: // a whole server
			in.title = fmt.Sprintf("%s server unreachable", who)
			for _, s := range services {
				in.comps[fmt.Sprintf("s%03d/%s", server, s.id)] = "major_outage"
			}
		default:
			s := services[r.IntN(len(services))]
			if s.id == "email" {
				in.title = fmt.Sprintf(pick(benchkit.MailTitles), who)
			} else {
				in.title = fmt.Sprintf(pick(benchkit.WebTitles), who)
			}
			in.comps[fmt.Sprintf("s%03d/%s", server, s.id)] = severity[r.IntN(len(severity))]
		}
		length := time.Duration(4+r.IntN(27)) * time.Minute
		if x := r.IntN(10); x >= 8 {
			length = time.Duration(120+r.IntN(360)) * time.Minute
		} else if x >= 5 {
			length = time.Duration(30+r.IntN(90)) * time.Minute
		}
		in.ended = start.Add(length)
		in.noticed = start.Add(time.Duration(1+r.IntN(min(5, int(length.Minutes())))) * time.Minute)
		in.steps = [][]string{nil, {"identified"}, {"monitoring"}, {"identified", "monitoring"}}[r.IntN(4)]
		in.impact = "minor"
		if r.IntN(8) == 0 {
			in.impact = "critical"
		}
		if length > 45*time.Minute && r.IntN(3) == 0 {
			in.pm = fmt.Sprintf("## What happened\n\n%s for **%s**.\n\n## What we are changing\n\n1. an alert that fires *before* customers notice;\n2. the fix in our runbook.\n",
				in.title, length.Round(time.Minute))
		}
		h.incidents = append(h.incidents, in)
		for c := range in.comps {
			sev := "down"
			if in.comps[c] == "degraded_performance" {
				sev = "degraded"
			}
			h.outages = append(h.outages, outage{comp: c, monitor: c + "/http", severity: sev, decision: "incident",
				start: start, end: in.ended, incident: in.id})
		}
	}
	// One open now, on one component.
	c := h.comps[r.IntN(len(h.comps))]
	h.incidents = append(h.incidents, incident{id: int64(n + 1), title: "Incoming mail delayed on " + c.group, impact: "minor",
		started: now.Add(-35 * time.Minute), noticed: now.Add(-32 * time.Minute), open: true,
		comps: map[string]string{c.id: "degraded_performance"}})
	// Windows: two a month at night, one server or one of its services,
	// sometimes every server; two ahead.
	loc, _ := time.LoadLocation("America/Los_Angeles")
	id := int64(0)
	for at := h.from; at.Before(now.Add(-24 * time.Hour)); at = at.AddDate(0, 0, 15) {
		day := at.Add(time.Duration(r.Int64N(int64(14 * 24 * time.Hour)))).In(loc)
		start := time.Date(day.Year(), day.Month(), day.Day(), 22+r.IntN(2), 15*r.IntN(4), 0, 0, loc).UTC()
		if start.Add(4 * time.Hour).After(now) {
			continue
		}
		id++
		h.windows = append(h.windows, h.window(r, id, start, false))
	}
	for _, ahead := range []int{3, 17} {
		day := now.In(loc).AddDate(0, 0, ahead)
		id++
		h.windows = append(h.windows, h.window(r, id, time.Date(day.Year(), day.Month(), day.Day(), 23, 0, 0, 0, loc).UTC(), true))
	}
	for _, w := range h.windows {
		if w.future {
			continue
		}
		for _, c := range w.comps {
			if r.IntN(2) == 0 {
				h.outages = append(h.outages, outage{comp: c, monitor: c + "/http", severity: "down", decision: "maintenance",
					start: w.start.Add(time.Minute), end: w.start.Add(time.Duration(60+r.IntN(240)) * time.Second), window: w.id})
			}
		}
	}
	// Blips: an outage per component a month, a minute or a few.
	months := years * 12
	for _, c := range h.comps {
		for range months {
			start := h.from.Add(time.Duration(r.Int64N(int64(now.Sub(h.from) - time.Hour)))).Truncate(time.Second)
			sev := "down"
			if r.IntN(3) == 0 {
				sev = "degraded"
			}
			h.outages = append(h.outages, outage{comp: c.id, monitor: c.monitor, severity: sev, decision: "ignored",
				start: start, end: start.Add(time.Duration(30+r.IntN(300)) * time.Second)})
		}
	}
	sort.SliceStable(h.outages, func(i, j int) bool { return h.outages[i].start.Before(h.outages[j].start) })
	return h
}

func (h *history) window(r *rand.Rand, id int64, start time.Time, future bool) window {
	t := benchkit.MaintTitles[r.IntN(len(benchkit.MaintTitles))]
	server := r.IntN(h.servers)
	w := window{id: id, title: t.Title, start: start, future: future}
	switch x := r.IntN(8); {
	case x == 0:
		for _, c := range h.comps {
			w.comps = append(w.comps, c.id)
		}
		w.body = fmt.Sprintf(t.Body, "all servers")
	case x < 4:
		for _, s := range services {
			w.comps = append(w.comps, fmt.Sprintf("s%03d/%s", server, s.id))
		}
		w.body = fmt.Sprintf(t.Body, fmt.Sprintf("server%03d", server))
	default:
		w.comps = []string{fmt.Sprintf("s%03d/%s", server, services[r.IntN(len(services))].id)}
		w.body = fmt.Sprintf(t.Body, fmt.Sprintf("server%03d", server))
	}
	w.end = start.Add([]time.Duration{15 * time.Minute, 30 * time.Minute, time.Hour, 2 * time.Hour}[r.IntN(4)])
	w.announce = start.Add(-time.Duration(2+r.IntN(6)) * 24 * time.Hour)
	if future {
		w.announce = h.now.Add(-time.Duration(1+r.IntN(20)) * time.Hour)
	}
	return w
}

// importInto writes the history as an export and imports it into the
// (migrated, empty) database at dsn.
func (h *history) importInto(ctx context.Context, dsn store.DSN) error {
	st, err := store.Open(ctx, dsn)
	if err != nil {
		return err
	}
	defer st.Close()
	schema, _, err := st.SchemaVersion(ctx)
	if err != nil {
		return err
	}
	pr, pw := io.Pipe()
	go func() { pw.CloseWithError(h.export(pw, schema)) }()
	_, err = st.Import(ctx, pr, nil)
	pr.CloseWithError(err)
	return err
}

func msOf(t time.Time) any {
	if t.IsZero() {
		return nil
	}
	return t.UnixMilli()
}

// export writes the document store.Import reads.
func (h *history) export(w io.Writer, schema int64) error {
	bw := bufio.NewWriterSize(w, 1<<16)
	enc := json.NewEncoder(bw)
	fmt.Fprintf(bw, `{"format":%q,"version":%d,"schema":%d,"exported_at":%q,"left_out":[],"tables":[`,
		store.ExportFormat, store.ExportVersion, schema, h.now.Format(time.RFC3339))
	tables := 0
	table := func(name string, cols []string, rows func(row func(...any) error) error) error {
		if tables > 0 {
			bw.WriteString(",")
		}
		tables++
		c, _ := json.Marshal(cols)
		fmt.Fprintf(bw, `{"name":%q,"columns":%s,"rows":[`, name, c)
		n := 0
		err := rows(func(v ...any) error {
			if n > 0 {
				bw.WriteString(",")
			}
			n++
			return enc.Encode(v)
		})
		bw.WriteString("]}")
		return err
	}
	born := h.from.Add(-24 * time.Hour).UnixMilli()
	now := h.now.UnixMilli()
	steps := []func() error{
		func() error {
			return table("groups", []string{"id", "name", "description", "position", "created_at", "updated_at"}, func(row func(...any) error) error {
				for g := range h.servers {
					if err := row(fmt.Sprintf("s%03d", g), fmt.Sprintf("server%03d", g), "", g, born, born); err != nil {
						return err
					}
				}
				return nil
			})
		},
		func() error {
			return table("components", []string{"id", "group_id", "name", "description", "position", "created_at", "updated_at"}, func(row func(...any) error) error {
				for i, c := range h.comps {
					if err := row(c.id, c.group, c.name, "", i%len(services), born, born); err != nil {
						return err
					}
				}
				return nil
			})
		},
		func() error {
			return table("monitors", []string{"id", "component_id", "kind", "target", "state", "state_since", "last_check_at", "last_outcome", "last_latency_us", "created_at", "updated_at"},
				func(row func(...any) error) error {
					for i, c := range h.comps {
						if err := row(c.monitor, c.id, "http", fmt.Sprintf("http://%s/m/%d", h.target, i), "up", born, now-60000, "up", 120000, born, now); err != nil {
							return err
						}
					}
					return nil
				})
		},
		func() error {
			return table("incidents", []string{"id", "title", "impact", "status", "draft", "auto", "started_at", "identified_at", "monitoring_at", "resolved_at", "published_at", "created_at", "updated_at", "postmortem", "postmortem_published_at"},
				func(row func(...any) error) error {
					for _, in := range h.incidents {
						status, resolved, updated, pmAt := "resolved", msOf(in.ended), msOf(in.ended.Add(5*time.Minute)), any(nil)
						if in.open {
							status, resolved, updated = "investigating", nil, msOf(in.noticed)
						}
						if in.pm != "" {
							pmAt = msOf(in.ended.Add(48 * time.Hour))
						}
						if err := row(in.id, in.title, in.impact, status, false, false, msOf(in.started), nil, nil, resolved, msOf(in.noticed), msOf(in.noticed), updated, in.pm, pmAt); err != nil {
							return err
						}
					}
					return nil
				})
		},
		func() error {
			return table("incident_components", []string{"incident_id", "component_id", "status"}, func(row func(...any) error) error {
				for _, in := range h.incidents {
					for _, c := range sortedKeys(in.comps) {
						st := "operational"
						if in.open {
							st = in.comps[c]
						}
						if err := row(in.id, c, st); err != nil {
							return err
						}
					}
				}
				return nil
			})
		},
		func() error {
			var changes [][]any
			err := table("incident_updates", []string{"id", "incident_id", "status", "body", "created_at", "display_at"}, func(row func(...any) error) error {
				uid := int64(0)
				r := rand.New(rand.NewPCG(3, 5))
				for _, in := range h.incidents {
					uid++
					what := in.title
					if err := row(uid, in.id, "investigating", fmt.Sprintf(benchkit.Investigating[r.IntN(len(benchkit.Investigating))], what), msOf(in.noticed), msOf(in.started)); err != nil {
						return err
					}
					for _, c := range sortedKeys(in.comps) {
						changes = append(changes, []any{uid, c, "operational", in.comps[c]})
					}
					if in.open {
						continue
					}
					for i, s := range in.steps {
						at := in.noticed.Add(in.ended.Sub(in.noticed) * time.Duration(i+1) / time.Duration(len(in.steps)+1))
						body := benchkit.Identified[r.IntN(len(benchkit.Identified))]
						if s == "monitoring" {
							body = benchkit.Recovering[r.IntN(len(benchkit.Recovering))]
						}
						uid++
						if err := row(uid, in.id, s, body, msOf(at), msOf(at)); err != nil {
							return err
						}
					}
					uid++
					body := benchkit.Resolved[r.IntN(len(benchkit.Resolved))]
					if strings.Contains(body, "%s") {
						body = fmt.Sprintf(body, in.ended.Sub(in.started).Round(time.Minute))
					}
					if err := row(uid, in.id, "resolved", body, msOf(in.ended.Add(5*time.Minute)), msOf(in.ended)); err != nil {
						return err
					}
					for _, c := range sortedKeys(in.comps) {
						changes = append(changes, []any{uid, c, in.comps[c], "operational"})
					}
				}
				return nil
			})
			if err != nil {
				return err
			}
			return table("incident_update_changes", []string{"update_id", "component_id", "old_status", "new_status"}, func(row func(...any) error) error {
				for _, c := range changes {
					if err := row(c...); err != nil {
						return err
					}
				}
				return nil
			})
		},
		func() error {
			return table("maintenances", []string{"id", "title", "body", "status", "scheduled_for", "scheduled_until", "started_at", "completed_at", "created_at", "updated_at", "sequence"},
				func(row func(...any) error) error {
					for _, w := range h.windows {
						status, started, done, updated := "completed", msOf(w.start), msOf(w.end), msOf(w.end)
						if w.future {
							status, started, done, updated = "scheduled", nil, nil, msOf(w.announce)
						}
						if err := row(w.id, w.title, w.body, status, msOf(w.start), msOf(w.end), started, done, msOf(w.announce), updated, 0); err != nil {
							return err
						}
					}
					return nil
				})
		},
		func() error {
			return table("maintenance_components", []string{"maintenance_id", "component_id"}, func(row func(...any) error) error {
				for _, w := range h.windows {
					for _, c := range w.comps {
						if err := row(w.id, c); err != nil {
							return err
						}
					}
				}
				return nil
			})
		},
		func() error {
			return table("maintenance_updates", []string{"id", "maintenance_id", "status", "body", "created_at", "display_at"}, func(row func(...any) error) error {
				uid := int64(0)
				for _, w := range h.windows {
					uid++
					if err := row(uid, w.id, "scheduled", w.body, msOf(w.announce), msOf(w.announce)); err != nil {
						return err
					}
					if w.future {
						continue
					}
					uid++
					if err := row(uid, w.id, "in_progress", "The scheduled maintenance is now in progress. We will post an update when it is complete.", msOf(w.start), msOf(w.start)); err != nil {
						return err
					}
					uid++
					if err := row(uid, w.id, "completed", "The scheduled maintenance has been completed.", msOf(w.end), msOf(w.end)); err != nil {
						return err
					}
				}
				return nil
			})
		},
		func() error {
			return table("outages", []string{"id", "component_id", "monitor_id", "severity", "started_at", "ended_at", "cause", "maintenance_id", "incident_id", "decision", "detected_at"},
				func(row func(...any) error) error {
					for i, o := range h.outages {
						var in, win any
						if o.incident != 0 {
							in = o.incident
						}
						if o.window != 0 {
							win = o.window
						}
						if err := row(i+1, o.comp, o.monitor, o.severity, msOf(o.start), msOf(o.end), "HTTP 503", win, in, o.decision, msOf(o.start.Add(time.Minute))); err != nil {
							return err
						}
					}
					return nil
				})
		},
		func() error {
			// A week of hourly rollups per monitor, for the response-time charts.
			return table("check_rollups", []string{"monitor_id", "period", "start_at", "checks", "up", "degraded", "down", "latency_sum_us", "latency_max_us"},
				func(row func(...any) error) error {
					r := rand.New(rand.NewPCG(11, 13))
					for _, c := range h.comps {
						base := int64(60000 + r.IntN(120000))
						for t := h.now.Add(-7 * 24 * time.Hour); t.Before(h.now); t = t.Add(time.Hour) {
							mean := base + int64(r.IntN(30000))
							if err := row(c.monitor, "hour", t.UnixMilli(), 12, 12, 0, 0, 12*mean, mean+int64(r.IntN(90000))); err != nil {
								return err
							}
						}
					}
					return nil
				})
		},
	}
	for _, step := range steps {
		if err := step(); err != nil {
			return err
		}
	}
	bw.WriteString("]}")
	return bw.Flush()
}

func sortedKeys(m map[string]string) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
