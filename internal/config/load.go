package config

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"reflect"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"
)

// Problem is one thing wrong with a configuration file.
type Problem struct {
	File string
	// Line is 1-based; 0 when the problem is about the file as a whole.
	Line int
	// Column is 1-based; 0 when only the line is known.
	Column int
	Msg    string
}

// String gives FILE:LINE:COLUMN: message, the form editors and grep jump to.
func (p Problem) String() string {
	switch {
	case p.Line <= 0:
		return p.File + ": " + p.Msg
	case p.Column <= 0:
		return p.File + ":" + strconv.Itoa(p.Line) + ": " + p.Msg
	}
	return p.File + ":" + strconv.Itoa(p.Line) + ":" + strconv.Itoa(p.Column) + ": " + p.Msg
}

// Errors is every problem found in a configuration file, in file order.
// Reporting them all at once spares the operator a fix-and-rerun loop.
type Errors []Problem

// Error gives one FILE:LINE: message line per problem.
func (e *Errors) Error() string {
	if e == nil {
		return ""
	}
	lines := make([]string, len(*e))
	for i, p := range *e {
		lines[i] = p.String()
	}
	return strings.Join(lines, "\n")
}

// Load reads and checks the configuration file at path. A file that cannot
// be read gives the *fs.PathError; a file that is wrong gives *Errors.
func Load(path string) (Config, error) { return LoadWith(path, nil) }

// LoadWith is Load with a further check of each monitor (see ParseWith).
func LoadWith(path string, check MonitorCheck) (Config, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return Config{}, err
	}
	return ParseWith(path, data, check)
}

// MonitorCheck is a further check of one monitor that passed this
// package's rules: the server's, which builds the monitor's probe (and so
// finds, say, a heartbeat token missing from the environment). What it
// returns is reported on the monitor's line like any other problem.
type MonitorCheck func(Monitor) error

// Parse decodes and checks a configuration; name is the file name used in
// problems. On success the returned Config has every default filled in.
func Parse(name string, data []byte) (Config, error) { return ParseWith(name, data, nil) }

// ParseWith is Parse with a further check of each monitor, which may be nil.
//
// Every problem in the file is reported in one run, in file order: a YAML
// syntax error stops the reading (nothing after it can be trusted), but
// unknown keys and values of the wrong type do not. The decoder goes past
// them, and the rules are checked on what it read; a rule's complaint on a
// line that already has a decoding problem is left out, since it would be
// about the value we failed to read, not the one the operator wrote.
func ParseWith(name string, data []byte, check MonitorCheck) (Config, error) {
	// The file is read once, into a node tree, which says which keys were
	// written and where; the struct is decoded from the tree, and the keys
	// no field takes are found beside it (unknownKeys: yaml/v3 checks them
	// only when decoding the file's bytes, which would read it again).
	var doc yaml.Node
	dec := yaml.NewDecoder(bytes.NewReader(data))
	if err := dec.Decode(&doc); err != nil {
		if errors.Is(err, io.EOF) {
			return Config{}, &Errors{{File: name, Msg: "the file is empty"}}
		}
		return Config{}, yamlProblems(name, err, nil)
	}
	if isNull(&doc) {
		return Config{}, &Errors{{File: name, Msg: "the file is empty"}}
	}
	var next yaml.Node
	switch err := dec.Decode(&next); {
	case err == nil:
		// A second document would be silently ignored, and with it
		// whatever the operator meant by it.
		return Config{}, &Errors{{File: name, Line: next.Line, Column: next.Column, Msg: "only one YAML document is allowed; remove this \"---\" and what follows, or merge it into the first"}}
	case !errors.Is(err, io.EOF):
		return Config{}, yamlProblems(name, err, nil)
	}

	var (
		c        Config
		decoding Errors
		nodes    *nodeIndex
	)
	err := doc.Decode(&c)
	var te *yaml.TypeError
	if err != nil && !errors.As(err, &te) {
		return Config{}, yamlProblems(name, err, nil)
	}
	if msgs := unknownKeys(&doc, reflect.TypeFor[Config]()); len(msgs) > 0 || te != nil {
		if te != nil {
			msgs = append(msgs, te.Errors...)
		}
		nodes = indexNodes(&doc)
		decoding = *yamlProblems(name, &yaml.TypeError{Errors: msgs}, nodes)
	}

	pos := indexPositions(&doc)
	applyDefaults(&c, pos.has)
	errs := validate(&c, name, pos, check)
	if len(decoding) > 0 {
		bad := map[int]bool{}
		for _, p := range decoding {
			first, last := nodes.faulted(p)
			for l := first; l <= last; l++ {
				bad[l] = true
			}
		}
		errs = slices.DeleteFunc(errs, func(p Problem) bool { return bad[p.Line] })
		errs = append(decoding, errs...)
	}
	if len(errs) > 0 {
		sort.SliceStable(errs, func(i, j int) bool {
			if errs[i].Line != errs[j].Line {
				return errs[i].Line < errs[j].Line
			}
			return errs[i].Column < errs[j].Column
		})
		return Config{}, &errs
	}
	return c, nil
}

func isNull(doc *yaml.Node) bool {
	if len(doc.Content) == 0 {
		return true
	}
	root := doc.Content[0]
	return root.Kind == yaml.ScalarNode && root.ShortTag() == "!!null"
}

// yamlLine matches the "line N: " that yaml/v3 puts before its messages,
// and the "column N: " that Duration adds after it.
var yamlLine = regexp.MustCompile(`(?s)^(?:yaml: )?line (\d+): (?:column (\d+): )?(.*)$`)

// yamlProblems turns a yaml/v3 error into Problems, one per message it
// holds. nodes, when given, finds the column yaml/v3 leaves out.
func yamlProblems(name string, err error, nodes *nodeIndex) *Errors {
	var msgs []string
	var te *yaml.TypeError
	if errors.As(err, &te) {
		msgs = te.Errors
	} else {
		msgs = []string{err.Error()}
	}
	errs := make(Errors, 0, len(msgs))
	for _, m := range msgs {
		p := Problem{File: name, Msg: strings.TrimPrefix(m, "yaml: ")}
		if sub := yamlLine.FindStringSubmatch(m); sub != nil {
			p.Line, _ = strconv.Atoi(sub[1])
			p.Column, _ = strconv.Atoi(sub[2])
			p.Msg = sub[3]
		}
		key := ""
		if p.Column == 0 && p.Line > 0 {
			p.Column, key = nodes.column(p.Line, p.Msg)
		}
		p.Msg = oneLine(plainYAMLMessage(p.Msg))
		if key != "" {
			// "want a whole number" says what; the key says where.
			p.Msg = key + ": " + p.Msg
		}
		errs = append(errs, p)
	}
	return &errs
}

// nodeIndex is every node of the file by line, to place yaml/v3's
// line-only messages on a column; keyOf maps each value to its key.
type nodeIndex struct {
	lines    map[int][]*yaml.Node
	keyOf    map[*yaml.Node]*yaml.Node
	parentOf map[*yaml.Node]*yaml.Node
	lastLine map[*yaml.Node]int
}

func indexNodes(doc *yaml.Node) *nodeIndex {
	idx := &nodeIndex{lines: map[int][]*yaml.Node{}, keyOf: map[*yaml.Node]*yaml.Node{},
		parentOf: map[*yaml.Node]*yaml.Node{}, lastLine: map[*yaml.Node]int{}}
	var walk func(n *yaml.Node, depth int) int
	walk = func(n *yaml.Node, depth int) int {
		last := n.Line
		if depth > maxDepth {
			return last
		}
		idx.lines[n.Line] = append(idx.lines[n.Line], n)
		for i, c := range n.Content {
			if n.Kind == yaml.MappingNode && i%2 == 1 {
				idx.keyOf[c] = n.Content[i-1]
			}
			idx.parentOf[c] = n
			last = max(last, walk(c, depth+1))
		}
		idx.lastLine[n] = last
		return last
	}
	walk(doc, 0)
	return idx
}

// faulted is the lines a decoding problem leaves unread: its own line, or
// for a key given twice the whole mapping holding it, which the decoder
// gives up on.
func (idx *nodeIndex) faulted(p Problem) (first, last int) {
	if idx == nil || !strings.Contains(p.Msg, "is given twice") {
		return p.Line, p.Line
	}
	for _, n := range idx.lines[p.Line] {
		if n.Column == p.Column {
			if m := idx.parentOf[n]; m != nil {
				return m.Line, idx.lastLine[m]
			}
		}
	}
	return p.Line, p.Line
}

// column finds the node a yaml/v3 message on line is about: the key an
// "unknown key" names, the value a type error quotes or whose kind it
// names, or else the last node on the line. 0 when it cannot tell. For a
// value, it also gives the key it belongs to.
func (idx *nodeIndex) column(line int, msg string) (col int, key string) {
	if idx == nil || len(idx.lines[line]) == 0 {
		return 0, ""
	}
	nodes := idx.lines[line]
	want, kind := "", yaml.ScalarNode
	if m := notFound.FindStringSubmatch(msg); m != nil {
		want = m[1]
	} else if m := fieldTwice.FindStringSubmatch(msg); m != nil {
		want = m[1]
	} else if m := keyTwice.FindStringSubmatch(msg); m != nil {
		want = m[1]
	} else if m := cannot.FindStringSubmatch(msg); m != nil {
		want = m[2]
		switch m[1] {
		case "!!seq":
			kind = yaml.SequenceNode
		case "!!map":
			kind = yaml.MappingNode
		}
	}
	target := nodes[len(nodes)-1]
	for _, n := range nodes {
		if n.Kind == kind && (kind != yaml.ScalarNode || (want != "" && n.Value == want)) {
			target = n
			break
		}
	}
	if k := idx.keyOf[target]; k != nil && cannot.MatchString(msg) {
		key = k.Value
	}
	return target.Column, key
}

var (
	notFound   = regexp.MustCompile(`(?s)^field (.+) not found in type (\S+)$`)
	cannot     = regexp.MustCompile("(?s)^cannot unmarshal (!!\\w+)(?: `(.*)`)? into (\\S+)$")
	keyTwice   = regexp.MustCompile(`(?s)^mapping key "(.*)" already defined at line (\d+)$`)
	fieldTwice = regexp.MustCompile(`(?s)^field (.+) already set in type (\S+)$`)
)

// plainYAMLMessage rewrites yaml/v3's messages, which speak of Go types,
// into the words of the file the operator wrote. Unknown shapes pass
// through unchanged rather than being lost.
func plainYAMLMessage(msg string) string {
	if m := notFound.FindStringSubmatch(msg); m != nil {
		where, keys := section(m[2])
		s := fmt.Sprintf("unknown key %q %s", m[1], where)
		if near := closest(m[1], keys); near != "" {
			s += fmt.Sprintf(" (did you mean %q?)", near)
		} else if len(keys) > 0 {
			s += "; remove it or use one of " + strings.Join(keys, ", ")
		}
		return s
	}
	if m := cannot.FindStringSubmatch(msg); m != nil {
		got := map[string]string{
			"!!str": "text", "!!int": "a number", "!!float": "a number", "!!bool": "true or false",
			"!!seq": "a list", "!!map": "a mapping", "!!null": "nothing", "!!timestamp": "a date",
			"!!binary": "binary data",
		}[m[1]]
		if got == "" {
			got = m[1]
		}
		if m[2] != "" {
			got += fmt.Sprintf(" %q", m[2])
		}
		return fmt.Sprintf("want %s, got %s", wantWords(m[3]), got)
	}
	if m := keyTwice.FindStringSubmatch(msg); m != nil {
		return fmt.Sprintf("key %q is given twice (first on line %s)", m[1], m[2])
	}
	if m := fieldTwice.FindStringSubmatch(msg); m != nil {
		return fmt.Sprintf("key %q is given twice", m[1])
	}
	return msg
}

// wantWords names the Go type yaml/v3 tried to fill in the file's terms.
func wantWords(goType string) string {
	switch {
	case strings.HasPrefix(goType, "[]"):
		return "a list"
	case strings.HasPrefix(goType, "*"):
		return wantWords(goType[1:])
	case goType == "config.Duration":
		return "a duration like 30s, 5m or 1h30m"
	case goType == "string":
		return "text"
	case goType == "bool":
		return "true or false"
	case strings.HasPrefix(goType, "int"), strings.HasPrefix(goType, "uint"):
		return "a whole number"
	case strings.HasPrefix(goType, "float"):
		return "a number"
	case strings.HasPrefix(goType, "config."):
		return "a mapping"
	}
	return goType
}

// section says where in the file a Go type sits and which keys it takes.
func section(goType string) (where string, keys []string) {
	sections := []struct {
		v     any
		where string
	}{
		{Config{}, "at the top level"},
		{Page{}, "in page"},
		{PageEntry{}, "in a page of pages"},
		{Private{}, "in a page's private"},
		{Incidents{}, "in incidents"},
		{Group{}, "in a group"},
		{Component{}, "in a component"},
		{Monitor{}, "in a monitor"},
		{Notify{}, "in notify"},
		{Email{}, "in notify.email"},
		{Channel{}, "in a channel"},
		{MaintenanceSettings{}, "in maintenance"},
		{AdminSettings{}, "in admin"},
		{OIDC{}, "in admin.oidc"},
	}
	for _, s := range sections {
		t := reflect.TypeOf(s.v)
		if t.String() == goType {
			return s.where, yamlKeys(t)
		}
	}
	return "in " + goType, nil
}

// yamlKeys lists the keys a struct accepts, from its yaml tags.
func yamlKeys(t reflect.Type) []string {
	var keys []string
	for i := range t.NumField() {
		name, opts, _ := strings.Cut(t.Field(i).Tag.Get("yaml"), ",")
		if opts == "inline" && t.Field(i).Type.Kind() == reflect.Struct {
			keys = append(keys, yamlKeys(t.Field(i).Type)...)
			continue
		}
		if name != "" && name != "-" {
			keys = append(keys, name)
		}
	}
	return keys
}

// closest returns the key nearest to a misspelt one, if any is near enough
// to be a likely typo ("intervall", "down-after").
func closest(word string, keys []string) string {
	best, bestDist := "", 3
	for _, k := range keys {
		if d := editDistance(strings.ToLower(word), k); d < bestDist {
			best, bestDist = k, d
		}
	}
	return best
}

func editDistance(a, b string) int {
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}

// oneLine keeps a message to the one line the FILE:LINE: format promises,
// whatever text from the file it quotes.
func oneLine(msg string) string {
	return strings.NewReplacer("\r", `\r`, "\n", `\n`).Replace(msg)
}

// UnmarshalYAML reads "30s", "5m", "1h30m". Errors are returned as a
// *yaml.TypeError so that the decoder records them with their line and
// goes on, and every bad duration in a file is reported at once.
func (d *Duration) UnmarshalYAML(n *yaml.Node) error {
	bad := func(format string, a ...any) error {
		return &yaml.TypeError{Errors: []string{fmt.Sprintf("line %d: column %d: ", n.Line, n.Column) + fmt.Sprintf(format, a...)}}
	}
	if n.Kind != yaml.ScalarNode {
		return bad("want a duration like 30s, 5m or 1h30m, got a %s", kindWord(n.Kind))
	}
	v, err := time.ParseDuration(n.Value)
	if err != nil {
		return bad("%q is not a duration; write it like 30s, 5m or 1h30m", n.Value)
	}
	if v < 0 {
		return bad("duration %q must not be negative", n.Value)
	}
	*d = Duration(v)
	return nil
}

// MarshalYAML writes the form UnmarshalYAML reads, so a Config round-trips.
func (d Duration) MarshalYAML() (any, error) { return d.String(), nil }

// String is time.Duration's form without the zero tails ("25h", not
// "25h0m0s"), so messages echo durations the way operators write them.
func (d Duration) String() string {
	s := time.Duration(d).String()
	if strings.HasSuffix(s, "m0s") {
		s = s[:len(s)-2]
	}
	if strings.HasSuffix(s, "h0m") {
		s = s[:len(s)-2]
	}
	return s
}

func kindWord(k yaml.Kind) string {
	switch k {
	case yaml.SequenceNode:
		return "list"
	case yaml.MappingNode:
		return "mapping"
	}
	return "value"
}

// positions records where each key was written, by path:
// "groups[1].components[0].monitors[2].url". It lets problems found after
// decoding point at a line, and lets defaults tell "left out" from "written
// as zero".
type positions struct {
	keys map[string]lineCol // by path: "groups[0].components[1].id"
	root int
}

// lineCol is where a key was written (one map of both: at ten thousand
// monitors the index holds some seventy thousand keys).
type lineCol struct{ line, col int32 }

func indexPositions(doc *yaml.Node) positions {
	p := positions{keys: map[string]lineCol{}, root: doc.Line}
	if len(doc.Content) > 0 {
		p.root = doc.Content[0].Line
		p.walk("", doc.Content[0], 0)
	}
	return p
}

// maxDepth bounds the walk; Config is a few levels deep, so anything deeper
// was already rejected by the decoder and need not be indexed.
const maxDepth = 16

func (p positions) walk(path string, n *yaml.Node, depth int) {
	if depth > maxDepth {
		return
	}
	switch n.Kind {
	case yaml.AliasNode:
		if n.Alias != nil {
			p.walk(path, n.Alias, depth+1)
		}
	case yaml.SequenceNode:
		for i, item := range n.Content {
			ip := path + "[" + strconv.Itoa(i) + "]"
			p.set(ip, item)
			p.walk(ip, item, depth+1)
		}
	case yaml.MappingNode:
		p.walkMapping(path, n, depth)
	}
}

// walkMapping indexes a mapping's own keys first and merged ("<<") keys
// after, skipping any already seen, because a key written in the mapping
// overrides one merged into it.
func (p positions) walkMapping(path string, n *yaml.Node, depth int) {
	var merges []*yaml.Node
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		if k.Kind == yaml.ScalarNode && k.Value == "<<" && k.ShortTag() == "!!merge" {
			merges = append(merges, v)
			continue
		}
		kp := k.Value
		if path != "" {
			kp = path + "." + k.Value
		}
		if _, seen := p.keys[kp]; seen {
			continue
		}
		p.set(kp, k)
		p.walk(kp, v, depth+1)
	}
	for _, m := range merges {
		if m.Kind == yaml.SequenceNode {
			for _, item := range m.Content {
				p.walkMerge(path, item, depth+1)
			}
			continue
		}
		p.walkMerge(path, m, depth+1)
	}
}

func (p positions) walkMerge(path string, n *yaml.Node, depth int) {
	if depth > maxDepth {
		return
	}
	if n.Kind == yaml.AliasNode && n.Alias != nil {
		n = n.Alias
	}
	if n.Kind == yaml.MappingNode {
		p.walkMapping(path, n, depth)
	}
}

func (p positions) set(path string, n *yaml.Node) {
	if _, ok := p.keys[path]; !ok {
		p.keys[path] = lineCol{int32(n.Line), int32(n.Column)}
	}
}

// has reports whether the file wrote the key at path.
func (p positions) has(path string) bool {
	_, ok := p.keys[path]
	return ok
}

// line gives the line of the key at path or, when the key was left out, of
// the nearest enclosing key that was written: a missing page.zone is
// reported on the "page:" line.
func (p positions) line(path string) int {
	l, _ := p.at(path)
	return l
}

// at is line's line and the column of the same key.
func (p positions) at(path string) (line, col int) {
	for path != "" {
		if at, ok := p.keys[path]; ok {
			return int(at.line), int(at.col)
		}
		i := strings.LastIndexAny(path, ".[")
		if i < 0 {
			break
		}
		path = path[:i]
	}
	return p.root, 0
}
