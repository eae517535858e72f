package cli

import (
	"context"
	"flag"
	"fmt"
	"io"
	"slices"
	"strings"

	"github.com/heraldhq/herald/internal/buildinfo"
)

// This file makes the shell completions and the man page from the command
// table (commands() and the groups' tables) and from the flags each command
// really parses, so neither can fall behind the command line.

// cmdDoc describes one command of the tree: a group (subs set) or one that runs.
type cmdDoc struct {
	path    []string // ["incident", "open"]
	summary string
	usage   string // "incident open --title TEXT ..." (from newFlags)
	flags   []flagDoc
	subs    []cmdDoc
}

type flagDoc struct {
	name  string
	arg   string // the value's placeholder ("FILE", "URL"); "" for a boolean flag
	usage string
	def   string // "" when the default is the zero value
}

// describeCommands returns the command tree, sorted by name. It reads each
// command's flags by running it with -h through Env.describe: newFlags then
// hands over the flag set instead of printing help, and the command returns
// before doing anything (the test checks every command reaches newFlags).
func describeCommands(ctx context.Context, cmds map[string]command, path []string) []cmdDoc {
	var out []cmdDoc
	for _, name := range sortedKeys(cmds) {
		c := cmds[name]
		d := cmdDoc{path: append(slices.Clone(path), name), summary: c.summary}
		if c.subs != nil {
			d.subs = describeCommands(ctx, c.subs, d.path)
			out = append(out, d)
			continue
		}
		env := &Env{Stdin: strings.NewReader(""), Stdout: io.Discard, Stderr: io.Discard, Getenv: func(string) string { return "" }}
		env.describe = func(fs *flag.FlagSet, usage string) {
			d.usage = usage
			fs.VisitAll(func(f *flag.Flag) {
				arg, use := flag.UnquoteUsage(f)
				if isBool(f) {
					arg = ""
				} else if arg == "value" {
					arg = "VALUE"
				} else {
					arg = strings.ToUpper(arg)
				}
				def := f.DefValue
				if def == "false" || def == "0" || def == "0s" || def == "[]" {
					def = ""
				}
				d.flags = append(d.flags, flagDoc{name: f.Name, arg: arg, usage: use, def: def})
			})
		}
		_ = c.run(ctx, env, []string{"-h"})
		out = append(out, d)
	}
	return out
}

func isBool(f *flag.Flag) bool {
	b, ok := f.Value.(interface{ IsBoolFlag() bool })
	return ok && b.IsBoolFlag()
}

// walk calls fn for every command of the tree, groups before their subcommands.
func walk(docs []cmdDoc, fn func(cmdDoc)) {
	for _, d := range docs {
		fn(d)
		walk(d.subs, fn)
	}
}

func runCompletion(ctx context.Context, env *Env, args []string) error {
	fs := newFlags(env, "completion", "completion bash|zsh|fish")
	pos, err := parseFlags(fs, args)
	if err != nil {
		return err
	}
	writers := map[string]func(io.Writer, []cmdDoc){"bash": writeBash, "zsh": writeZsh, "fish": writeFish}
	if len(pos) != 1 || writers[pos[0]] == nil {
		return usagef("name one shell: bash, zsh or fish (e.g. herald completion bash > /etc/bash_completion.d/herald)")
	}
	writers[pos[0]](env.Stdout, describeCommands(ctx, commands(), nil))
	return nil
}

func runMan(ctx context.Context, env *Env, args []string) error {
	fs := newFlags(env, "man", "man")
	pos, err := parseFlags(fs, args)
	if err != nil {
		return err
	}
	if len(pos) > 0 {
		return usagef("unexpected argument %q (try: herald man | man -l -)", pos[0])
	}
	writeMan(env.Stdout, describeCommands(ctx, commands(), nil), buildinfo.Read())
	return nil
}

// The word lists for the shells: the names under a path, and a command's flags.
func subNames(subs []cmdDoc) string {
	names := make([]string, len(subs))
	for i, s := range subs {
		names[i] = s.path[len(s.path)-1]
	}
	return strings.Join(names, " ")
}

func flagNames(d cmdDoc) string {
	names := make([]string, len(d.flags))
	for i, f := range d.flags {
		names[i] = "--" + f.name
	}
	return strings.Join(names, " ")
}

// sq quotes s for a POSIX shell (and zsh, and fish) in single quotes.
func sq(s string) string { return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'" }

func writeBash(w io.Writer, docs []cmdDoc) {
	fmt.Fprint(w, `# bash completion for herald; made by "herald completion bash".
_herald() {
  local cur=${COMP_WORDS[COMP_CWORD]} path="" w i words=""
  for ((i = 1; i < COMP_CWORD; i++)); do
    w=${COMP_WORDS[i]}
    case "$path/$w" in
`)
	var cases []string
	walk(docs, func(d cmdDoc) { cases = append(cases, "/"+strings.Join(d.path, "/")) })
	fmt.Fprintf(w, "      %s) path=\"$path/$w\" ;;\n", strings.Join(cases, "|"))
	fmt.Fprint(w, "    esac\n  done\n  case \"$path\" in\n")
	fmt.Fprintf(w, "    \"\") words=%s ;;\n", sq(subNames(docs)))
	walk(docs, func(d cmdDoc) {
		p := "/" + strings.Join(d.path, "/")
		if d.subs != nil {
			fmt.Fprintf(w, "    %s) words=%s ;;\n", p, sq(subNames(d.subs)))
		} else {
			fmt.Fprintf(w, "    %s) [[ $cur == -* ]] && words=%s ;;\n", p, sq(flagNames(d)))
		}
	})
	fmt.Fprint(w, `  esac
  COMPREPLY=($(compgen -W "$words" -- "$cur"))
}
complete -o default -F _herald herald
`)
}

// zdesc escapes a "name:description" pair for zsh's _describe.
func zdesc(name, desc string) string {
	return sq(strings.ReplaceAll(name, ":", `\:`) + ":" + desc)
}

func writeZsh(w io.Writer, docs []cmdDoc) {
	fmt.Fprint(w, `#compdef herald
# zsh completion for herald; made by "herald completion zsh".
_herald() {
  local p="" w i
  local -a items
  for ((i = 2; i < CURRENT; i++)); do
    w=${words[i]}
    case "$p/$w" in
`)
	var cases []string
	walk(docs, func(d cmdDoc) { cases = append(cases, "/"+strings.Join(d.path, "/")) })
	fmt.Fprintf(w, "      (%s) p=\"$p/$w\" ;;\n", strings.Join(cases, "|"))
	fmt.Fprint(w, "    esac\n  done\n  case \"$p\" in\n")
	list := func(subs []cmdDoc) string {
		items := make([]string, len(subs))
		for i, s := range subs {
			items[i] = zdesc(s.path[len(s.path)-1], s.summary)
		}
		return strings.Join(items, " ")
	}
	fmt.Fprintf(w, "    (\"\") items=(%s); _describe -t commands 'herald command' items ;;\n", list(docs))
	walk(docs, func(d cmdDoc) {
		p := "/" + strings.Join(d.path, "/")
		if d.subs != nil {
			fmt.Fprintf(w, "    (%s) items=(%s); _describe -t commands 'herald %s subcommand' items ;;\n", p, list(d.subs), strings.Join(d.path, " "))
			return
		}
		items := make([]string, len(d.flags))
		for i, f := range d.flags {
			items[i] = zdesc("--"+f.name, f.usage)
		}
		fmt.Fprintf(w, "    (%s) if [[ $PREFIX == -* ]]; then items=(%s); _describe -t options 'flag' items; else _files; fi ;;\n", p, strings.Join(items, " "))
	})
	// Autoloaded from fpath (as _herald), the file's first run is the first
	// completion: it defines the function and calls it; sourced, it registers.
	fmt.Fprint(w, `  esac
}
if [ "$funcstack[1]" = "_herald" ]; then
  _herald "$@"
else
  compdef _herald herald
fi
`)
}

func writeFish(w io.Writer, docs []cmdDoc) {
	fmt.Fprintln(w, `# fish completion for herald; made by "herald completion fish".`)
	// __herald_at tells whether the words typed so far name the command at
	// path ("root/incident/open"): words that are no command (flags and
	// their values) are skipped, as bash's does.
	var cases []string
	walk(docs, func(d cmdDoc) { cases = append(cases, "root/"+strings.Join(d.path, "/")) })
	fmt.Fprintf(w, `function __herald_at
    set -l path root
    set -l words (commandline -opc)
    set -e words[1]
    for w in $words
        switch "$path/$w"
            case %s
                set path "$path/$w"
        end
    end
    test "$path" = "$argv[1]"
end
`, strings.Join(cases, " "))
	at := func(path []string) string {
		return sq("__herald_at " + strings.Join(append([]string{"root"}, path...), "/"))
	}
	list := func(path []string, subs []cmdDoc) {
		for _, s := range subs {
			fmt.Fprintf(w, "complete -c herald -f -n %s -a %s -d %s\n", at(path), s.path[len(s.path)-1], sq(s.summary))
		}
	}
	list(nil, docs)
	walk(docs, func(d cmdDoc) {
		if d.subs != nil {
			list(d.path, d.subs)
			return
		}
		for _, f := range d.flags {
			req := ""
			if f.arg != "" {
				req = " -r"
			}
			fmt.Fprintf(w, "complete -c herald -n %s -l %s%s -d %s\n", at(d.path), f.name, req, sq(f.usage))
		}
	})
}

// roff escapes text for a man page line: backslashes, dashes, a leading
// dot or quote that roff would read as a request, and characters beyond
// ASCII (as \[uXXXX], which groff and mandoc both read).
func roff(s string) string {
	s = strings.ReplaceAll(s, `\`, `\e`)
	s = strings.ReplaceAll(s, "-", `\-`)
	if strings.HasPrefix(s, ".") || strings.HasPrefix(s, "'") {
		s = `\&` + s
	}
	var b strings.Builder
	for _, r := range s {
		if r < 128 {
			b.WriteRune(r)
		} else {
			fmt.Fprintf(&b, `\[u%04X]`, r)
		}
	}
	return b.String()
}

func writeMan(w io.Writer, docs []cmdDoc, in buildinfo.Info) {
	day := ""
	if len(in.Date) >= 10 {
		day = in.Date[:10]
	}
	fmt.Fprintf(w, ".TH HERALD 1 %q %q \"Herald manual\"\n", day, "herald "+in.Version)
	fmt.Fprint(w, `.SH NAME
herald \- status page, incident communication and uptime monitoring
.SH SYNOPSIS
.B herald
.I COMMAND
.RI [ SUBCOMMAND ]
.RI [ flags ]
.SH DESCRIPTION
Herald runs a hosting provider's status page: it checks the servers and
services, opens and resolves incidents, tells subscribers, and serves the
page, its feeds and a JSON API. One binary holds the server and every tool
below. Flags may be written with one dash or two, before or after the
arguments.
.SH COMMANDS
`)
	walk(docs, func(d cmdDoc) {
		if d.subs != nil {
			return
		}
		fmt.Fprintf(w, ".SS %s\n%s.\n", roff("herald "+strings.Join(d.path, " ")), roff(d.summary))
		if d.usage != "" {
			fmt.Fprintf(w, ".PP\n.B herald\n%s\n", roff(d.usage))
		}
		for _, f := range d.flags {
			head := `\fB\-\-` + roff(f.name) + `\fR`
			if f.arg != "" {
				head += ` \fI` + roff(f.arg) + `\fR`
			}
			text := roff(f.usage)
			if f.def != "" {
				text += " (default: " + roff(f.def) + ")"
			}
			fmt.Fprintf(w, ".TP\n%s\n%s\n", head, text)
		}
	})
	fmt.Fprint(w, `.SH ENVIRONMENT
.TP
.B HERALD_URL
Herald's base URL for the commands that use the API (incident, maintenance).
.TP
.B HERALD_TOKEN
The API token those commands send.
.SH SIGNALS
.TP
.B SIGTERM, SIGINT
herald serve stops taking requests, finishes those in flight and the
deliveries being sent, and exits.
.TP
.B SIGHUP
herald serve reads its configuration file again.
.TP
.B SIGUSR2
herald serve starts the binary on disk and hands it the listening sockets
(an upgrade without a refused connection).
.SH SEE ALSO
The README and docs/ folder of the release, and
.B herald COMMAND \-h
for a command's flags.
`)
}
