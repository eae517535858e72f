package cli

import (
	"context"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/heraldhq/herald/internal/client"
)

// maintenanceCommands are the subcommands of herald maintenance.
func maintenanceCommands() map[string]command {
	return map[string]command{
		"schedule": {summary: "schedule a maintenance window", run: runMaintenanceSchedule},
		"update":   {summary: "change a window's title, times or components, optionally posting an update", run: runMaintenanceUpdate},
		"post":     {summary: "post an update to a window without changing it", run: runMaintenancePost},
		"complete": {summary: "end a window now", run: runMaintenanceComplete},
		"cancel":   {summary: "cancel a window", run: runMaintenanceCancel},
		"list":     {summary: "list maintenance windows", run: runMaintenanceList},
		"show":     {summary: "show a window and its updates", run: runMaintenanceShow},
	}
}

func runMaintenanceSchedule(ctx context.Context, env *Env, args []string) error {
	f := newAPIFlags(env, "maintenance schedule",
		"maintenance schedule --title TEXT --component ID... --start TIME (--duration D | --end TIME) --body TEXT")
	title := f.String("title", "", "the window's title")
	body := f.String("body", "", "what will happen and what customers will notice (Markdown)")
	var comps repeatedFlag
	f.Var(&comps, "component", "an affected component `ID`, e.g. flexo/web (repeatable)")
	var start, end rfc3339Flag
	f.Var(&start, "start", "when the window opens, an RFC 3339 `TIME`")
	f.Var(&end, "end", "when the window closes, an RFC 3339 `TIME` (or give --duration)")
	var dur durationFlag
	f.Var(&dur, "duration", "how long the window lasts, a `DURATION` such as 5m or 1h30m (or give --end)")
	if _, err := f.parse(args); err != nil {
		return err
	}
	if start.t == nil {
		return usagef("schedule needs --start TIME (RFC 3339, e.g. 2026-04-03T23:00:00-07:00)")
	}
	if (dur.s == "") == (end.t == nil) {
		return usagef("schedule needs exactly one of --duration and --end")
	}
	c, err := f.client()
	if err != nil {
		return err
	}
	m, raw, err := c.ScheduleMaintenance(ctx, client.MaintenanceCreate{
		Title: *title, Body: *body, Components: comps, Start: *start.t, Duration: dur.s, End: end.t,
	})
	if err != nil {
		return err
	}
	return f.print(raw, func(w io.Writer) {
		fmt.Fprintf(w, "Scheduled maintenance %d, %s: %s\n", m.ID, timesOf(c, c.Now()).window(m), m.Title)
		// Scripts take the id from the last line.
		fmt.Fprintln(w, m.ID)
	})
}

func runMaintenanceUpdate(ctx context.Context, env *Env, args []string) error {
	f := newAPIFlags(env, "maintenance update",
		"maintenance update ID [--title TEXT] [--add-component ID...] [--remove-component ID...] [--start TIME] [--duration D | --end TIME] [--body TEXT]")
	title := f.String("title", "", "new title")
	body := f.String("body", "", "an update to post about the change (Markdown)")
	var add, remove repeatedFlag
	f.Var(&add, "add-component", "add a component `ID` (repeatable)")
	f.Var(&remove, "remove-component", "remove a component `ID` (repeatable)")
	var start, end rfc3339Flag
	f.Var(&start, "start", "new start, an RFC 3339 `TIME` (it keeps the length unless --duration or --end is given)")
	f.Var(&end, "end", "new end, an RFC 3339 `TIME`")
	var dur durationFlag
	f.Var(&dur, "duration", "new length, a `DURATION` such as 10m")
	ids, err := f.parse(args, "ID")
	if err != nil {
		return err
	}
	if dur.s != "" && end.t != nil {
		return usagef("give --duration or --end, not both")
	}
	req := client.MaintenanceEdit{
		AddComponents: add, RemoveComponents: remove, Start: start.t, End: end.t, Update: *body,
	}
	if f.isSet("title") {
		req.Title = title
	}
	if dur.s != "" {
		req.Duration = &dur.s
	}
	if req.Title == nil && len(add)+len(remove) == 0 && req.Start == nil && req.End == nil && req.Duration == nil && req.Update == "" {
		return usagef("nothing to change (to post an update alone, use: herald maintenance post ID --body TEXT)")
	}
	c, err := f.client()
	if err != nil {
		return err
	}
	m, raw, err := c.EditMaintenance(ctx, ids[0], req)
	if err != nil {
		return err
	}
	return f.print(raw, func(w io.Writer) {
		fmt.Fprintf(w, "Updated maintenance %d, %s, %s: %s\n", m.ID, m.Status, timesOf(c, c.Now()).window(m), m.Title)
	})
}

func runMaintenancePost(ctx context.Context, env *Env, args []string) error {
	f := newAPIFlags(env, "maintenance post", "maintenance post ID --body TEXT")
	body := f.String("body", "", "the update (Markdown)")
	ids, err := f.parse(args, "ID")
	if err != nil {
		return err
	}
	c, err := f.client()
	if err != nil {
		return err
	}
	m, raw, err := c.PostMaintenanceUpdate(ctx, ids[0], *body)
	if err != nil {
		return err
	}
	return f.print(raw, func(w io.Writer) { fmt.Fprintf(w, "Posted an update to maintenance %d: %s\n", m.ID, m.Title) })
}

func runMaintenanceComplete(ctx context.Context, env *Env, args []string) error {
	return endMaintenance(ctx, env, args, "complete", "Completed", (*client.Client).CompleteMaintenance)
}

func runMaintenanceCancel(ctx context.Context, env *Env, args []string) error {
	return endMaintenance(ctx, env, args, "cancel", "Cancelled", (*client.Client).CancelMaintenance)
}

// endMaintenance is complete and cancel, which differ only in the endpoint.
func endMaintenance(ctx context.Context, env *Env, args []string, sub, done string,
	call func(*client.Client, context.Context, int64, string) (client.Maintenance, []byte, error)) error {
	f := newAPIFlags(env, "maintenance "+sub, "maintenance "+sub+" ID [--body TEXT]")
	body := f.String("body", "", "an update to post (Markdown, optional)")
	ids, err := f.parse(args, "ID")
	if err != nil {
		return err
	}
	c, err := f.client()
	if err != nil {
		return err
	}
	m, raw, err := call(c, ctx, ids[0], *body)
	if err != nil {
		return err
	}
	return f.print(raw, func(w io.Writer) { fmt.Fprintf(w, "%s maintenance %d: %s\n", done, m.ID, m.Title) })
}

func runMaintenanceList(ctx context.Context, env *Env, args []string) error {
	f := newAPIFlags(env, "maintenance list", "maintenance list [--state upcoming|active|past|all] [--limit N]")
	state := f.String("state", "", "upcoming, active, past or all (default all)")
	limit := f.Int("limit", 0, "at most `N` windows (default: the server's)")
	if _, err := f.parse(args); err != nil {
		return err
	}
	if err := checkFlagChoice("--state", *state, "upcoming", "active", "past", "all"); err != nil {
		return err
	}
	if *limit < 0 {
		return usagef("--limit must not be negative")
	}
	c, err := f.client()
	if err != nil {
		return err
	}
	ms, raw, err := c.Maintenances(ctx, *state, *limit)
	if err != nil {
		return err
	}
	if f.json {
		return writeRaw(env.Stdout, raw)
	}
	return writeMaintenanceTable(env.Stdout, ms, timesOf(c, c.Now()))
}

func runMaintenanceShow(ctx context.Context, env *Env, args []string) error {
	f := newAPIFlags(env, "maintenance show", "maintenance show ID")
	ids, err := f.parse(args, "ID")
	if err != nil {
		return err
	}
	c, err := f.client()
	if err != nil {
		return err
	}
	m, raw, err := c.Maintenance(ctx, ids[0])
	if err != nil {
		return err
	}
	if f.json {
		return writeRaw(env.Stdout, raw)
	}
	return writeMaintenance(env.Stdout, m, timesOf(c, c.Now()))
}

func writeMaintenanceTable(w io.Writer, ms []client.Maintenance, pt pageTimes) error {
	if len(ms) == 0 {
		_, err := fmt.Fprintln(w, "No maintenance.")
		return err
	}
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "ID\tSTATUS\tSTART\tEND\tCOMPONENTS\tTITLE")
	for _, m := range ms {
		fmt.Fprintf(tw, "%d\t%s\t%s\t%s\t%s\t%s\n", m.ID, m.Status, pt.minute(m.ScheduledFor),
			pt.minute(m.ScheduledUntil), componentIDs(m.Components), singleLine(m.Title))
	}
	return tw.Flush()
}

func writeMaintenance(w io.Writer, m client.Maintenance, pt pageTimes) error {
	fmt.Fprintf(w, "Maintenance %d: %s\n", m.ID, m.Title)
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintf(tw, "Status:\t%s\n", m.Status)
	fmt.Fprintf(tw, "Window:\t%s\n", pt.window(m))
	if m.StartedAt != nil {
		fmt.Fprintf(tw, "Started:\t%s\n", pt.stamp(*m.StartedAt))
	}
	if m.CompletedAt != nil {
		fmt.Fprintf(tw, "Ended:\t%s\n", pt.stamp(*m.CompletedAt))
	}
	fmt.Fprintf(tw, "Components:\t%s\n", componentIDs(m.Components))
	if err := tw.Flush(); err != nil {
		return err
	}
	if strings.TrimSpace(m.Body) != "" {
		fmt.Fprintln(w)
		fmt.Fprint(w, indentText(m.Body, "  "))
	}
	if len(m.Updates) > 0 {
		fmt.Fprintln(w, "\nUpdates (newest first):")
	}
	for _, u := range m.Updates {
		fmt.Fprintf(w, "  %s  %s\n", pt.stamp(u.DisplayAt), u.Status)
		if strings.TrimSpace(u.Body) != "" {
			fmt.Fprint(w, indentText(u.Body, "    "))
		}
	}
	return nil
}

// window is a maintenance window as the pages show it, with its length:
// "Tomorrow, 11:00 to 11:05 PM Pacific time · five minutes".
func (p pageTimes) window(m client.Maintenance) string {
	return p.interval(m.ScheduledFor, &m.ScheduledUntil)
}

func componentIDs(comps []client.ComponentRef) string {
	ids := make([]string, len(comps))
	for i, c := range comps {
		ids[i] = c.ID
	}
	return strings.Join(ids, ",")
}

// durationFlag is a Go duration kept as typed, so the server sees the
// user's words; it is parsed here only to catch typos early.
type durationFlag struct{ s string }

func (f *durationFlag) String() string {
	if f == nil {
		return ""
	}
	return f.s
}

func (f *durationFlag) Set(s string) error {
	s = strings.TrimSpace(s)
	d, err := time.ParseDuration(s)
	if err != nil || d <= 0 {
		return fmt.Errorf("not a positive duration (want e.g. 5m, 1h30m)")
	}
	f.s = s
	return nil
}
