package cli

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"sort"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/heraldhq/herald/internal/client"
)

// incidentCommands are the subcommands of herald incident.
func incidentCommands() map[string]command {
	return map[string]command{
		"open":       {summary: "open an incident", run: runIncidentOpen},
		"update":     {summary: "post an update to an incident", run: runIncidentUpdate},
		"resolve":    {summary: "resolve an incident", run: runIncidentResolve},
		"list":       {summary: "list incidents", run: runIncidentList},
		"show":       {summary: "show an incident and its timeline", run: runIncidentShow},
		"publish":    {summary: "make a draft incident public", run: runIncidentPublish},
		"postmortem": {summary: "set an incident's postmortem from a Markdown file", run: runIncidentPostmortem},
		"edit":       {summary: "change an incident's title, impact or times", run: runIncidentEdit},
		"delete":     {summary: "delete an incident", run: runIncidentDelete},
		"link":       {summary: "link two related incidents (or unlink with --remove)", run: runIncidentLink},
		"templates":  {summary: "list the templates incidents and updates can start from (--template NAME)", run: runIncidentTemplates},
	}
}

func runIncidentOpen(ctx context.Context, env *Env, args []string) error {
	f := newAPIFlags(env, "incident open", "incident open --title TEXT --component ID=STATUS... --body TEXT [--template NAME] [flags]")
	tmpl := f.String("template", "", "start from this incident template (herald incident templates): it fills what the other flags leave out")
	title := f.String("title", "", "the incident's title")
	impact := f.String("impact", "", "none, minor, major or critical (default: from the worst component status)")
	st := f.String("status", "", "investigating, identified or monitoring (default investigating)")
	body := f.String("body", "", "the first update (Markdown)")
	var comps repeatedFlag
	f.Var(&comps, "component", "an affected component as `ID=STATUS`, e.g. flexo/web=major_outage (repeatable)")
	draft := f.Bool("draft", false, "open as a draft that only operators see")
	var started rfc3339Flag
	f.Var(&started, "started-at", "when the trouble began, an RFC 3339 `TIME` (default now)")
	if _, err := f.parse(args); err != nil {
		return err
	}
	statuses, err := componentStatuses(comps)
	if err != nil {
		return err
	}
	c, err := f.client()
	if err != nil {
		return err
	}
	inc, raw, err := c.OpenIncident(ctx, client.IncidentCreate{
		Title: *title, Impact: *impact, Status: *st, Body: *body,
		Components: statuses, StartedAt: started.t, Draft: *draft, Template: *tmpl,
	})
	if err != nil {
		return err
	}
	return f.print(raw, func(w io.Writer) {
		fmt.Fprintf(w, "Opened incident %d (%s, %s): %s\n", inc.ID, inc.Impact, inc.Status, inc.Title)
		if inc.Draft {
			fmt.Fprintf(w, "It is a draft; publish it with: herald incident publish %d\n", inc.ID)
		}
		// Scripts take the id from the last line.
		fmt.Fprintln(w, inc.ID)
	})
}

func runIncidentUpdate(ctx context.Context, env *Env, args []string) error {
	f := newAPIFlags(env, "incident update", "incident update ID --body TEXT [--status STATUS] [--component ID=STATUS...] [--template NAME]")
	tmpl := f.String("template", "", "start from this incident template: it fills the status, text and components not given")
	st := f.String("status", "", "investigating, identified, monitoring or resolved (default: unchanged)")
	body := f.String("body", "", "the update (Markdown)")
	var comps repeatedFlag
	f.Var(&comps, "component", "set a component's status, `ID=STATUS` (repeatable; adds it if new)")
	ids, err := f.parse(args, "ID")
	if err != nil {
		return err
	}
	statuses, err := componentStatuses(comps)
	if err != nil {
		return err
	}
	c, err := f.client()
	if err != nil {
		return err
	}
	req := client.IncidentUpdateRequest{Status: *st, Body: *body, Components: statuses, Template: *tmpl}
	inc, raw, err := c.UpdateIncident(ctx, ids[0], req)
	if err != nil {
		return err
	}
	return f.print(raw, func(w io.Writer) {
		fmt.Fprintf(w, "Updated incident %d, now %s: %s\n", inc.ID, inc.Status, inc.Title)
	})
}

func runIncidentResolve(ctx context.Context, env *Env, args []string) error {
	f := newAPIFlags(env, "incident resolve", "incident resolve ID [--body TEXT] [--resolved-at TIME] [--postmortem-file PATH|-]")
	body := f.String("body", "", "the resolving update (Markdown)")
	var at rfc3339Flag
	f.Var(&at, "resolved-at", "when the trouble ended, an RFC 3339 `TIME` (default now)")
	pmFile := f.String("postmortem-file", "", "read a postmortem (Markdown) from `PATH`, - for stdin")
	ids, err := f.parse(args, "ID")
	if err != nil {
		return err
	}
	req := client.IncidentResolve{Body: *body, ResolvedAt: at.t}
	if *pmFile != "" {
		if req.Postmortem, err = readMarkdown(env, *pmFile); err != nil {
			return err
		}
	}
	c, err := f.client()
	if err != nil {
		return err
	}
	inc, raw, err := c.ResolveIncident(ctx, ids[0], req)
	if err != nil {
		return err
	}
	return f.print(raw, func(w io.Writer) {
		fmt.Fprintf(w, "Resolved incident %d after %s: %s\n", inc.ID, timesOf(c, c.Now()).length(inc.StartedAt, inc.ResolvedAt), inc.Title)
	})
}

func runIncidentPublish(ctx context.Context, env *Env, args []string) error {
	f := newAPIFlags(env, "incident publish", "incident publish ID")
	ids, err := f.parse(args, "ID")
	if err != nil {
		return err
	}
	c, err := f.client()
	if err != nil {
		return err
	}
	inc, raw, err := c.PublishIncident(ctx, ids[0])
	if err != nil {
		return err
	}
	return f.print(raw, func(w io.Writer) { fmt.Fprintf(w, "Published incident %d: %s\n", inc.ID, inc.Title) })
}

func runIncidentPostmortem(ctx context.Context, env *Env, args []string) error {
	f := newAPIFlags(env, "incident postmortem", "incident postmortem ID --file PATH|-")
	file := f.String("file", "", "read the postmortem (Markdown) from `PATH`, - for stdin")
	ids, err := f.parse(args, "ID")
	if err != nil {
		return err
	}
	if *file == "" {
		return usagef("postmortem needs --file PATH (or --file - to read stdin)")
	}
	text, err := readMarkdown(env, *file)
	if err != nil {
		return err
	}
	c, err := f.client()
	if err != nil {
		return err
	}
	inc, raw, err := c.SetPostmortem(ctx, ids[0], text)
	if err != nil {
		return err
	}
	return f.print(raw, func(w io.Writer) { fmt.Fprintf(w, "Set the postmortem of incident %d: %s\n", inc.ID, inc.Title) })
}

func runIncidentEdit(ctx context.Context, env *Env, args []string) error {
	f := newAPIFlags(env, "incident edit", "incident edit ID [--title TEXT] [--impact IMPACT] [--started-at TIME] [--resolved-at TIME]")
	title := f.String("title", "", "new title")
	impact := f.String("impact", "", "new impact: none, minor, major or critical")
	var started, resolved rfc3339Flag
	f.Var(&started, "started-at", "new start, an RFC 3339 `TIME`")
	f.Var(&resolved, "resolved-at", "new end, an RFC 3339 `TIME`")
	ids, err := f.parse(args, "ID")
	if err != nil {
		return err
	}
	req := client.IncidentEdit{StartedAt: started.t, ResolvedAt: resolved.t}
	if f.isSet("title") {
		req.Title = title
	}
	if f.isSet("impact") {
		req.Impact = impact
	}
	if req == (client.IncidentEdit{}) {
		return usagef("nothing to change (give --title, --impact, --started-at or --resolved-at)")
	}
	c, err := f.client()
	if err != nil {
		return err
	}
	inc, raw, err := c.EditIncident(ctx, ids[0], req)
	if err != nil {
		return err
	}
	return f.print(raw, func(w io.Writer) { fmt.Fprintf(w, "Edited incident %d: %s\n", inc.ID, inc.Title) })
}

func runIncidentDelete(ctx context.Context, env *Env, args []string) error {
	f := newAPIFlags(env, "incident delete", "incident delete ID")
	ids, err := f.parse(args, "ID")
	if err != nil {
		return err
	}
	c, err := f.client()
	if err != nil {
		return err
	}
	if err := c.DeleteIncident(ctx, ids[0]); err != nil {
		return err
	}
	// The API answers 204 with no body, so --json has nothing to print.
	if !f.json {
		fmt.Fprintf(env.Stdout, "Deleted incident %d\n", ids[0])
	}
	return nil
}

func runIncidentLink(ctx context.Context, env *Env, args []string) error {
	f := newAPIFlags(env, "incident link", "incident link ID OTHER [--remove]")
	remove := f.Bool("remove", false, "remove the link instead")
	ids, err := f.parse(args, "ID", "OTHER")
	if err != nil {
		return err
	}
	c, err := f.client()
	if err != nil {
		return err
	}
	do, verb := c.LinkIncidents, "Linked"
	if *remove {
		do, verb = c.UnlinkIncidents, "Unlinked"
	}
	_, raw, err := do(ctx, ids[0], ids[1])
	if err != nil {
		return err
	}
	return f.print(raw, func(w io.Writer) { fmt.Fprintf(w, "%s incidents %d and %d\n", verb, ids[0], ids[1]) })
}

func runIncidentList(ctx context.Context, env *Env, args []string) error {
	f := newAPIFlags(env, "incident list", "incident list [--state open|resolved|draft|all] [--limit N]")
	state := f.String("state", "", "open, resolved, draft or all (default all)")
	limit := f.Int("limit", 0, "at most `N` incidents (default 50, at most 500)")
	if _, err := f.parse(args); err != nil {
		return err
	}
	if err := checkFlagChoice("--state", *state, "open", "resolved", "draft", "all"); err != nil {
		return err
	}
	if *limit < 0 {
		return usagef("--limit must not be negative")
	}
	c, err := f.client()
	if err != nil {
		return err
	}
	incs, raw, err := c.Incidents(ctx, *state, *limit)
	if err != nil {
		return err
	}
	if f.json {
		return writeRaw(env.Stdout, raw)
	}
	return writeIncidentTable(env.Stdout, incs, timesOf(c, c.Now()))
}

func runIncidentShow(ctx context.Context, env *Env, args []string) error {
	f := newAPIFlags(env, "incident show", "incident show ID")
	ids, err := f.parse(args, "ID")
	if err != nil {
		return err
	}
	c, err := f.client()
	if err != nil {
		return err
	}
	inc, raw, err := c.Incident(ctx, ids[0])
	if err != nil {
		return err
	}
	if f.json {
		return writeRaw(env.Stdout, raw)
	}
	return writeIncident(env.Stdout, inc, timesOf(c, c.Now()))
}

// writeIncidentTable prints incidents as the list command shows them; the
// times are a parameter so that tests can pin the zone and the lengths "so
// far".
func writeIncidentTable(w io.Writer, incs []client.Incident, pt pageTimes) error {
	if len(incs) == 0 {
		_, err := fmt.Fprintln(w, "No incidents.")
		return err
	}
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "ID\tSTATUS\tIMPACT\tSTARTED\tDURATION\tTITLE")
	for _, inc := range incs {
		st := inc.Status
		if inc.Draft {
			st += " (draft)"
		}
		fmt.Fprintf(tw, "%d\t%s\t%s\t%s\t%s\t%s\n", inc.ID, st, inc.Impact,
			pt.minute(inc.StartedAt), pt.length(inc.StartedAt, inc.ResolvedAt), singleLine(inc.Title))
	}
	return tw.Flush()
}

func writeIncident(w io.Writer, inc client.Incident, pt pageTimes) error {
	fmt.Fprintf(w, "Incident %d: %s\n", inc.ID, inc.Title)
	st := inc.Status
	if inc.Draft {
		st += " (draft, not published)"
	}
	if inc.Auto {
		st += " (opened by a monitor)"
	}
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintf(tw, "Status:\t%s\n", st)
	fmt.Fprintf(tw, "Impact:\t%s\n", inc.Impact)
	// When it ran, in the words of its page; then each moment to the second.
	fmt.Fprintf(tw, "When:\t%s\n", pt.interval(inc.StartedAt, inc.ResolvedAt))
	fmt.Fprintf(tw, "Started:\t%s\n", pt.stamp(inc.StartedAt))
	for _, t := range []struct {
		label string
		at    *time.Time
	}{{"Identified:", inc.IdentifiedAt}, {"Monitoring:", inc.MonitoringAt}, {"Resolved:", inc.ResolvedAt}, {"Published:", inc.PublishedAt}} {
		if t.at != nil {
			fmt.Fprintf(tw, "%s\t%s\n", t.label, pt.stamp(*t.at))
		}
	}
	if len(inc.Links) > 0 {
		fmt.Fprintf(tw, "Links:\t%s\n", joinIDs(inc.Links))
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	writeIncidentComponents(w, inc.Components)
	writeTimeline(w, inc.Updates, pt)
	if strings.TrimSpace(inc.Postmortem) != "" {
		fmt.Fprintln(w, "\nPostmortem:")
		fmt.Fprint(w, indentText(inc.Postmortem, "  "))
	}
	return nil
}

func writeIncidentComponents(w io.Writer, comps []client.ComponentRef) {
	if len(comps) == 0 {
		return
	}
	fmt.Fprintln(w, "\nComponents:")
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	for _, c := range comps {
		fmt.Fprintf(tw, "  %s\t%s\t%s\n", c.ID, c.Name, c.Status)
	}
	tw.Flush()
}

func writeTimeline(w io.Writer, updates []client.IncidentUpdate, pt pageTimes) {
	if len(updates) == 0 {
		return
	}
	// The API sends them newest first; sorting again costs nothing and
	// keeps the promise if an older server did not.
	ups := append([]client.IncidentUpdate(nil), updates...)
	sort.SliceStable(ups, func(i, j int) bool { return ups[i].DisplayAt.After(ups[j].DisplayAt) })
	fmt.Fprintln(w, "\nTimeline (newest first):")
	for _, u := range ups {
		fmt.Fprintf(w, "  %s  %s\n", pt.stamp(u.DisplayAt), u.Status)
		if strings.TrimSpace(u.Body) != "" {
			fmt.Fprint(w, indentText(u.Body, "    "))
		}
		for _, ch := range u.Changes {
			fmt.Fprintf(w, "    %s: %s -> %s\n", ch.Component, ch.Old, ch.New)
		}
	}
}

// The helpers below are shared with maintenance.go.

// apiFlags is a flag set for a command that calls the admin API, with the
// flags they all share.
type apiFlags struct {
	*flag.FlagSet
	env   *Env
	usage string
	url   string
	token string
	json  bool
}

func newAPIFlags(env *Env, name, usage string) *apiFlags {
	f := &apiFlags{FlagSet: newFlags(env, name, usage), env: env, usage: usage}
	// The defaults are read after parsing, not shown by -h: a token printed
	// in a help text ends up in terminal scrollback and screenshots.
	f.StringVar(&f.url, "url", "", "Herald's base `URL` (default $HERALD_URL)")
	f.StringVar(&f.token, "token", "", "an API `token` (default $HERALD_TOKEN)")
	f.BoolVar(&f.json, "json", false, "print the API's JSON answer instead of text")
	return f
}

// parse parses the flags and the positional record ids the command takes,
// named by names (ID, OTHER).
func (f *apiFlags) parse(args []string, names ...string) ([]int64, error) {
	pos, err := parseFlags(f.FlagSet, args)
	if err != nil {
		return nil, err
	}
	if len(pos) < len(names) {
		return nil, usagef("missing %s (usage: herald %s)", names[len(pos)], f.usage)
	}
	if len(pos) > len(names) {
		return nil, usagef("unexpected argument %q (usage: herald %s)", pos[len(names)], f.usage)
	}
	ids := make([]int64, len(pos))
	for i, p := range pos {
		id, err := strconv.ParseInt(strings.TrimPrefix(p, "#"), 10, 64)
		if err != nil || id <= 0 {
			return nil, usagef("%s %q is not an id (want a number such as 12)", names[i], p)
		}
		ids[i] = id
	}
	return ids, nil
}

func (f *apiFlags) isSet(name string) bool {
	set := false
	f.Visit(func(fl *flag.Flag) { set = set || fl.Name == name })
	return set
}

// client makes the API client from the flags or the environment.
func (f *apiFlags) client() (*client.Client, error) {
	if f.url == "" {
		f.url = remoteEnv(f.env, "HERALD_URL")
	}
	if f.token == "" {
		f.token = remoteEnv(f.env, "HERALD_TOKEN")
	}
	var missing []string
	if f.url == "" {
		missing = append(missing, "HERALD_URL (or pass --url)")
	}
	if f.token == "" {
		missing = append(missing, "HERALD_TOKEN (or pass --token)")
	}
	if len(missing) > 0 {
		return nil, usagef("set %s to reach Herald's API", strings.Join(missing, " and "))
	}
	c, err := client.New(f.url, f.token, nil)
	if err != nil {
		return nil, usagef("%v", err)
	}
	return c, nil
}

// print writes the raw answer with --json, the human text otherwise.
func (f *apiFlags) print(raw []byte, human func(w io.Writer)) error {
	if f.json {
		return writeRaw(f.env.Stdout, raw)
	}
	human(f.env.Stdout)
	return nil
}

// remoteEnv reads a variable; tests may leave Getenv nil.
func remoteEnv(env *Env, key string) string {
	if env.Getenv == nil {
		return ""
	}
	return env.Getenv(key)
}

func writeRaw(w io.Writer, raw []byte) error {
	if _, err := w.Write(raw); err != nil {
		return err
	}
	if len(raw) > 0 && raw[len(raw)-1] != '\n' {
		_, err := io.WriteString(w, "\n")
		return err
	}
	return nil
}

// repeatedFlag is a repeatable string flag.
type repeatedFlag []string

func (l *repeatedFlag) String() string { return strings.Join(*l, ", ") }

func (l *repeatedFlag) Set(s string) error {
	if strings.TrimSpace(s) == "" {
		return fmt.Errorf("empty value")
	}
	*l = append(*l, strings.TrimSpace(s))
	return nil
}

// rfc3339Flag is an optional RFC 3339 time; t stays nil when the flag is not given.
type rfc3339Flag struct{ t *time.Time }

func (f *rfc3339Flag) String() string {
	if f == nil || f.t == nil {
		return ""
	}
	return f.t.Format(time.RFC3339)
}

func (f *rfc3339Flag) Set(s string) error {
	t, err := time.Parse(time.RFC3339, strings.TrimSpace(s))
	if err != nil {
		return fmt.Errorf("not an RFC 3339 time (want e.g. 2026-04-03T23:00:00-07:00 or 2026-04-04T06:00:00Z)")
	}
	f.t = &t
	return nil
}

// componentStatuses turns ID=STATUS flags into the map the API takes.
func componentStatuses(flags []string) (map[string]string, error) {
	if len(flags) == 0 {
		return nil, nil
	}
	m := make(map[string]string, len(flags))
	for _, fl := range flags {
		id, st, ok := strings.Cut(fl, "=")
		id, st = strings.TrimSpace(id), strings.TrimSpace(st)
		if !ok || id == "" || st == "" {
			return nil, usagef("--component %q: want ID=STATUS, e.g. flexo/web=major_outage", fl)
		}
		if _, dup := m[id]; dup {
			return nil, usagef("--component %s is given twice", id)
		}
		m[id] = st
	}
	return m, nil
}

func checkFlagChoice(flagName, value string, choices ...string) error {
	if value == "" {
		return nil
	}
	for _, c := range choices {
		if value == c {
			return nil
		}
	}
	return usagef("%s %q: want one of %s", flagName, value, strings.Join(choices, ", "))
}

// readMarkdown reads a Markdown file, or stdin for "-".
func readMarkdown(env *Env, path string) (string, error) {
	if path == "-" {
		if env.Stdin == nil {
			return "", fmt.Errorf("no standard input to read")
		}
		b, err := io.ReadAll(env.Stdin)
		if err != nil {
			return "", fmt.Errorf("reading standard input: %w", err)
		}
		return string(b), nil
	}
	b, err := os.ReadFile(path)
	if err != nil {
		return "", err // already names the file
	}
	return string(b), nil
}

func joinIDs(ids []int64) string {
	s := make([]string, len(ids))
	for i, id := range ids {
		s[i] = strconv.FormatInt(id, 10)
	}
	return strings.Join(s, ", ")
}

// singleLine keeps a table row on one line whatever a title contains.
func singleLine(s string) string { return strings.Join(strings.Fields(s), " ") }

// indent prefixes each line of a Markdown text and ends it with a newline.
func indentText(text, prefix string) string {
	lines := strings.Split(strings.TrimRight(text, "\n"), "\n")
	for i, l := range lines {
		if l != "" {
			lines[i] = prefix + l
		}
	}
	return strings.Join(lines, "\n") + "\n"
}

func runIncidentTemplates(ctx context.Context, env *Env, args []string) error {
	f := newAPIFlags(env, "incident templates", "incident templates")
	if _, err := f.parse(args); err != nil {
		return err
	}
	c, err := f.client()
	if err != nil {
		return err
	}
	ts, raw, err := c.IncidentTemplates(ctx)
	if err != nil {
		return err
	}
	return f.print(raw, func(w io.Writer) {
		tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
		fmt.Fprintln(tw, "NAME\tSTATUS\tFROM\tTEXT")
		for _, t := range ts {
			from := "configuration"
			if t.BuiltIn {
				from = "built in"
			}
			text := t.Body
			if t.Title != "" {
				text = t.Title + ": " + text
			}
			if r := []rune(text); len(r) > 70 {
				text = string(r[:69]) + "…"
			}
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", t.Name, t.Status, from, text)
		}
		tw.Flush()
	})
}
