package store

import (
	"bufio"
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"
)

// Herald's whole state as JSON, and back (herald export, herald import herald).
//
// The export is the records of every table that holds state, column by
// column, so that nothing is lost and a reader needs no knowledge of Go
// types: each table is {"name", "columns", "rows"}, each row an array of
// values in the columns' order (numbers, strings, booleans, null), one row
// per line, rows in key order. The same database exported twice gives the
// same bytes. Imported into an empty database it gives back the same
// records, with the same ids (pages' addresses and /api/v2 ids name them).
//
// What is left out, on purpose: secrets (password hashes, API tokens, the
// keys signing subscribers' links, webhook signing secrets, sessions), what
// is transient (the notification queue, leases, agents' raw pushes and
// heartbeat pings), what the configuration re-makes at each start (the
// operators' alert channels), and the HTML rendered from Markdown (made
// again on import, by the same renderer).

// ExportFormat names the document; ExportVersion is its version.
const (
	ExportFormat  = "herald-export"
	ExportVersion = 1
)

// dumpTable is one table as exported.
type dumpTable struct {
	name  string
	order string // ORDER BY: the rows' key order
	where string // rows kept, when not all
	// omit are columns left out, with the value an import writes in their
	// place (nil: the column's default or NULL).
	omit map[string]any
	// config marks tables the configuration also writes (at each start):
	// an import over rows already there takes the export's.
	config bool
	// fromConfig selects the rows herald serve makes from the
	// configuration in a table that holds others too: an import finds them
	// in a database otherwise empty, and drops them (the export has its own,
	// and the next start makes them again).
	fromConfig string
	// serial tables have an id sequence to move past the imported ids (PostgreSQL).
	serial bool
}

// dumpTables are exported and imported in this order, parents before children.
var dumpTables = []dumpTable{
	{name: "groups", order: "id", config: true},
	{name: "components", order: "id", config: true},
	{name: "monitors", order: "id", config: true},
	{name: "incidents", order: "id", serial: true, omit: map[string]any{"postmortem_html": nil, "postmortem_text": nil}},
	{name: "incident_components", order: "incident_id, component_id"},
	{name: "incident_updates", order: "id", serial: true, omit: map[string]any{"body_html": nil, "body_text": nil}},
	{name: "incident_update_changes", order: "update_id, component_id"},
	{name: "incident_links", order: "a, b"},
	{name: "maintenance_series", order: "id", serial: true},
	{name: "maintenance_series_components", order: "series_id, component_id"},
	{name: "maintenances", order: "id", serial: true, omit: map[string]any{"body_html": nil, "body_text": nil}},
	{name: "maintenance_components", order: "maintenance_id, component_id"},
	{name: "maintenance_updates", order: "id", serial: true, omit: map[string]any{"body_html": nil, "body_text": nil}},
	{name: "outages", order: "id", serial: true},
	{name: "check_results", order: "monitor_id, at, outcome, latency_us, message"},
	{name: "check_rollups", order: "monitor_id, period, start_at"},
	{name: "component_overrides", order: "component_id"},
	{name: "agents", order: "location"},
	{name: "location_states", order: "monitor_id, location"},
	{name: "location_intervals", order: "id", serial: true},
	{name: "subscribers", order: "id", serial: true, where: "operator = FALSE", fromConfig: "operator = TRUE", omit: map[string]any{"secret": ""}},
	{name: "subscriber_components", order: "subscriber_id, component_id",
		where: "subscriber_id IN (SELECT id FROM subscribers WHERE operator = FALSE)"},
	{name: "customers", order: "domain"},
	{name: "users", order: "id", serial: true, omit: map[string]any{"password_hash": "", "totp_secret": "", "totp_step": 0}},
	{name: "changes", order: "id", serial: true, fromConfig: "subject = 'catalog'"},
}

// dumpLeftOut are the tables no export carries (ExportLeftOut says why, in words).
var dumpLeftOut = []string{"api_tokens", "sessions", "notify_keys", "notify_events", "deliveries", "leases",
	"heartbeats", "agent_results", "page_sign_ins", "recovery_codes", "totp_challenges"}

// ExportLeftOut says in words what an export does not carry; it is written
// into the document so that whoever reads it knows.
var ExportLeftOut = []string{
	"users' password hashes (set them again with herald user passwd)",
	"users' second factors and recovery codes (each sets up the second factor again)",
	"API tokens (create new ones with herald token create)",
	"admin sessions",
	"the keys that sign subscribers' confirmation and unsubscribe links (links in mail sent before stop working)",
	"webhook subscribers' signing secrets",
	"the notification queue (nothing is sent again)",
	"operators' alert channels (made again from the configuration)",
	"leases, heartbeat pings and probe agents' undecided pushes",
	"private pages' one-time sign-in links (a customer asks for a new one)",
}

// exportHeader is the document's beginning.
type exportHeader struct {
	Format     string   `json:"format"`
	Version    int      `json:"version"`
	Schema     int64    `json:"schema"`
	ExportedAt string   `json:"exported_at"`
	LeftOut    []string `json:"left_out"`
}

// colKind is how a column's values are written: a number, a string or a boolean.
type colKind int

const (
	kindText colKind = iota
	kindInt
	kindBool
)

// kindOf reads a column's kind from its declared type, as either database names it.
func kindOf(dbType string) colKind {
	t := strings.ToUpper(dbType)
	switch {
	case strings.Contains(t, "BOOL"):
		return kindBool
	case strings.Contains(t, "INT"):
		return kindInt
	}
	return kindText
}

// ExportProgress is told, as an export or import goes, the table and the rows done in it.
type ExportProgress func(table string, rows int64)

// Export writes the whole state to w at the time given (the document's exported_at).
func (s *Store) Export(ctx context.Context, w io.Writer, at time.Time, progress ExportProgress) error {
	schema, _, err := s.SchemaVersion(ctx)
	if err != nil {
		return err
	}
	head, err := json.Marshal(exportHeader{Format: ExportFormat, Version: ExportVersion, Schema: schema,
		ExportedAt: at.UTC().Format(time.RFC3339), LeftOut: ExportLeftOut})
	if err != nil {
		return err
	}
	bw := bufio.NewWriterSize(w, 64<<10)
	// One transaction: every table as of one moment (a snapshot on
	// PostgreSQL at REPEATABLE READ; SQLite's reads in a transaction are one).
	err = s.readTx(ctx, func(q *Queries) error {
		bw.Write(head[:len(head)-1])
		bw.WriteString(",\n\"tables\":[\n")
		for i, t := range dumpTables {
			if i > 0 {
				bw.WriteString(",\n")
			}
			if err := q.exportTable(ctx, bw, t, progress); err != nil {
				return err
			}
		}
		_, err := bw.WriteString("\n]}\n")
		return err
	})
	if err != nil {
		return err
	}
	return bw.Flush()
}

// readTx runs fn in a read-only transaction that sees one moment.
func (s *Store) readTx(ctx context.Context, fn func(*Queries) error) error {
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("begin: %w", err)
	}
	defer tx.Rollback()
	if s.dialect == Postgres {
		if _, err := tx.ExecContext(ctx, `SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY`); err != nil {
			return fmt.Errorf("read transaction: %w", err)
		}
	}
	return fn(&Queries{q: tx, tx: tx, dialect: s.dialect, own: s.own, gate: &s.gate})
}

func (q *Queries) exportTable(ctx context.Context, w *bufio.Writer, t dumpTable, progress ExportProgress) error {
	query := `SELECT * FROM ` + t.name
	if t.where != "" {
		query += ` WHERE ` + t.where
	}
	rows, err := q.query(ctx, query+` ORDER BY `+t.order)
	if err != nil {
		return fmt.Errorf("export %s: %w", t.name, err)
	}
	defer rows.Close()
	types, err := rows.ColumnTypes()
	if err != nil {
		return fmt.Errorf("export %s: %w", t.name, err)
	}
	var (
		cols  []string
		kinds []colKind
		keep  []int
	)
	for i, ct := range types {
		if _, ok := t.omit[ct.Name()]; ok {
			continue
		}
		cols = append(cols, ct.Name())
		kinds = append(kinds, kindOf(ct.DatabaseTypeName()))
		keep = append(keep, i)
	}
	head, err := json.Marshal(struct {
		Name    string   `json:"name"`
		Columns []string `json:"columns"`
	}{t.name, cols})
	if err != nil {
		return err
	}
	w.Write(head[:len(head)-1])
	w.WriteString(`,"rows":[`)
	raw := make([]any, len(types))
	ptrs := make([]any, len(types))
	for i := range raw {
		ptrs[i] = &raw[i]
	}
	out := make([]any, len(keep))
	var n int64
	for rows.Next() {
		if err := rows.Scan(ptrs...); err != nil {
			return fmt.Errorf("export %s: %w", t.name, err)
		}
		for j, i := range keep {
			if out[j], err = exportValue(raw[i], kinds[j]); err != nil {
				return fmt.Errorf("export %s.%s: %w", t.name, cols[j], err)
			}
		}
		line, err := json.Marshal(out)
		if err != nil {
			return fmt.Errorf("export %s: %w", t.name, err)
		}
		if n > 0 {
			w.WriteByte(',')
		}
		w.WriteString("\n")
		w.Write(line)
		n++
		if progress != nil && n%10000 == 0 {
			progress(t.name, n)
		}
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("export %s: %w", t.name, err)
	}
	if progress != nil {
		progress(t.name, n)
	}
	_, err = w.WriteString("]}")
	return err
}

// exportValue turns what the driver scanned into the column's JSON value,
// the same from either database (SQLite keeps booleans as 0 and 1).
func exportValue(v any, k colKind) (any, error) {
	switch v := v.(type) {
	case nil:
		return nil, nil
	case []byte:
		return exportValue(string(v), k)
	case bool:
		if k == kindBool {
			return v, nil
		}
	case int64, int32, int16, int:
		n := toInt64(v)
		if k == kindBool {
			return n != 0, nil
		}
		return n, nil
	case string:
		if k == kindText {
			return v, nil
		}
	}
	return nil, fmt.Errorf("unexpected value %T for its column", v)
}

func toInt64(v any) int64 {
	switch v := v.(type) {
	case int64:
		return v
	case int32:
		return int64(v)
	case int16:
		return int64(v)
	case int:
		return int64(v)
	}
	return 0
}

// ErrNotEmpty is returned by Import when the database already holds records.
var ErrNotEmpty = errors.New("the database already holds records")

// ImportResult counts the rows imported per table.
type ImportResult struct {
	Schema int64
	Tables []TableCount
}

// TableCount is one table's imported rows.
type TableCount struct {
	Name string
	Rows int64
}

// Import reads an export into this database, which must hold no records
// but those the configuration makes (groups, components, monitors, the
// operators' channels): all of it in one transaction, or nothing. The
// Markdown is rendered again afterwards.
func (s *Store) Import(ctx context.Context, r io.Reader, progress ExportProgress) (*ImportResult, error) {
	current, _, err := s.SchemaVersion(ctx)
	if err != nil {
		return nil, err
	}
	dec := json.NewDecoder(bufio.NewReaderSize(r, 64<<10))
	dec.UseNumber()
	res := &ImportResult{}
	err = s.Tx(ctx, func(q *Queries) error {
		if err := q.checkEmpty(ctx); err != nil {
			return err
		}
		return q.importDoc(ctx, dec, current, res, progress)
	})
	if err != nil {
		return nil, err
	}
	if _, err := s.RenderPending(ctx); err != nil {
		return res, err
	}
	return res, nil
}

// checkEmpty refuses a database with records an import would mix with,
// and clears what herald serve made from the configuration (the operators'
// channels, the change log's record of the catalog), which the next start
// makes again.
func (q *Queries) checkEmpty(ctx context.Context) error {
	var full []string
	for _, t := range dumpTables {
		if t.config {
			continue
		}
		query := `SELECT 1 FROM ` + t.name
		if t.fromConfig != "" {
			query += ` WHERE NOT (` + t.fromConfig + `)`
		}
		var one int
		switch err := q.queryRow(ctx, query+` LIMIT 1`).Scan(&one); {
		case err == nil:
			full = append(full, t.name)
		case !errors.Is(err, sql.ErrNoRows):
			return fmt.Errorf("check %s is empty: %w", t.name, err)
		}
	}
	if len(full) > 0 {
		return fmt.Errorf("%w (%s): import into a new, empty database (a fresh --data folder or PostgreSQL database); nothing was imported",
			ErrNotEmpty, strings.Join(full, ", "))
	}
	for _, t := range dumpTables {
		if t.fromConfig != "" {
			if _, err := q.exec(ctx, `DELETE FROM `+t.name+` WHERE `+t.fromConfig); err != nil {
				return fmt.Errorf("clear what the configuration made in %s: %w", t.name, err)
			}
		}
	}
	return nil
}

// importDoc walks the document: the header's fields, then each table.
func (q *Queries) importDoc(ctx context.Context, dec *json.Decoder, current int64, res *ImportResult, progress ExportProgress) error {
	if err := expectDelim(dec, '{', "the document"); err != nil {
		return err
	}
	var head exportHeader
	sawTables := false
	for dec.More() {
		key, err := dec.Token()
		if err != nil {
			return badExport(err)
		}
		switch key {
		case "format":
			err = dec.Decode(&head.Format)
		case "version":
			err = dec.Decode(&head.Version)
		case "schema":
			err = dec.Decode(&head.Schema)
		case "exported_at":
			err = dec.Decode(&head.ExportedAt)
		case "left_out":
			err = dec.Decode(&head.LeftOut)
		case "tables":
			if head.Format != ExportFormat || head.Version != ExportVersion {
				return fmt.Errorf("not a Herald export (format %q version %d; want %q version %d before \"tables\")",
					head.Format, head.Version, ExportFormat, ExportVersion)
			}
			if head.Schema > current {
				return fmt.Errorf("the export is from a newer Herald (schema %d; this one knows up to %d): upgrade Herald first",
					head.Schema, current)
			}
			res.Schema = head.Schema
			sawTables = true
			err = q.importTables(ctx, dec, res, progress)
		default:
			return fmt.Errorf("not a Herald export: unknown field %q", key)
		}
		if err != nil {
			return badExport(err)
		}
	}
	if !sawTables {
		return errors.New("not a Herald export: no \"tables\"")
	}
	return nil
}

func badExport(err error) error {
	var se *json.SyntaxError
	var te *json.UnmarshalTypeError
	if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
		return errors.New("the export is not valid JSON: it ends early (a file cut short?)")
	}
	if errors.As(err, &se) || errors.As(err, &te) {
		return fmt.Errorf("the export is not valid JSON: %w", err)
	}
	return err
}

func expectDelim(dec *json.Decoder, d json.Delim, what string) error {
	tok, err := dec.Token()
	if err != nil {
		return badExport(err)
	}
	if tok != d {
		return fmt.Errorf("%s: want %q, found %v", what, d, tok)
	}
	return nil
}

func (q *Queries) importTables(ctx context.Context, dec *json.Decoder, res *ImportResult, progress ExportProgress) error {
	if err := expectDelim(dec, '[', "tables"); err != nil {
		return err
	}
	known := map[string]dumpTable{}
	for _, t := range dumpTables {
		known[t.name] = t
	}
	seen := map[string]bool{}
	for dec.More() {
		var head struct {
			Name    string   `json:"name"`
			Columns []string `json:"columns"`
		}
		if err := expectDelim(dec, '{', "a table"); err != nil {
			return err
		}
		for _, field := range []string{"name", "columns"} {
			key, err := dec.Token()
			if err != nil {
				return badExport(err)
			}
			if key != field {
				return fmt.Errorf("a table: want the field %q, found %v", field, key)
			}
			dst := any(&head.Name)
			if field == "columns" {
				dst = &head.Columns
			}
			if err := dec.Decode(dst); err != nil {
				return badExport(err)
			}
		}
		t, ok := known[head.Name]
		if !ok {
			return fmt.Errorf("table %q is not one Herald exports", head.Name)
		}
		if seen[t.name] {
			return fmt.Errorf("table %q given twice", t.name)
		}
		seen[t.name] = true
		if key, err := dec.Token(); err != nil {
			return badExport(err)
		} else if key != "rows" {
			return fmt.Errorf("table %s: want the field \"rows\", found %v", t.name, key)
		}
		n, err := q.importRows(ctx, dec, t, head.Columns, progress)
		if err != nil {
			return err
		}
		if err := expectDelim(dec, '}', "table "+t.name); err != nil {
			return err
		}
		res.Tables = append(res.Tables, TableCount{Name: t.name, Rows: n})
	}
	if err := expectDelim(dec, ']', "tables"); err != nil {
		return err
	}
	if q.dialect == Postgres {
		for _, t := range dumpTables {
			if !t.serial {
				continue
			}
			if _, err := q.exec(ctx, `SELECT setval(pg_get_serial_sequence('`+t.name+`', 'id'), MAX(id)) FROM `+t.name+
				` HAVING MAX(id) IS NOT NULL`); err != nil {
				return fmt.Errorf("move %s's id sequence: %w", t.name, err)
			}
		}
	}
	return nil
}

// importRows inserts one table's rows as they are read.
func (q *Queries) importRows(ctx context.Context, dec *json.Decoder, t dumpTable, cols []string, progress ExportProgress) (int64, error) {
	target, err := q.columnKinds(ctx, t.name)
	if err != nil {
		return 0, err
	}
	kinds := make([]colKind, len(cols))
	names := append([]string(nil), cols...)
	given := map[string]bool{}
	for i, c := range cols {
		k, ok := target[c]
		if !ok {
			return 0, fmt.Errorf("table %s: column %q is unknown to this Herald", t.name, c)
		}
		if given[c] {
			return 0, fmt.Errorf("table %s: column %q given twice", t.name, c)
		}
		if _, omitted := t.omit[c]; omitted {
			return 0, fmt.Errorf("table %s: column %q is never exported", t.name, c)
		}
		given[c] = true
		kinds[i] = k
	}
	var fill []any
	for c, v := range t.omit {
		if v != nil {
			names = append(names, c)
			fill = append(fill, v)
		}
	}
	insert := `INSERT INTO ` + t.name + ` (` + strings.Join(names, ", ") + `) VALUES (` + placeholders(len(names)) + `)`
	if t.config {
		// The configuration may have written the row already: the export's wins.
		var set []string
		for _, c := range names[1:] {
			set = append(set, c+" = excluded."+c)
		}
		if names[0] != "id" {
			return 0, fmt.Errorf("table %s: the first column must be id", t.name)
		}
		insert += ` ON CONFLICT (id) DO UPDATE SET ` + strings.Join(set, ", ")
	}
	if err := expectDelim(dec, '[', "table "+t.name+"'s rows"); err != nil {
		return 0, err
	}
	var n int64
	args := make([]any, len(names))
	copy(args[len(cols):], fill)
	for dec.More() {
		var row []any
		if err := dec.Decode(&row); err != nil {
			return n, fmt.Errorf("table %s row %d: %w", t.name, n+1, badExport(err))
		}
		if len(row) != len(cols) {
			return n, fmt.Errorf("table %s row %d: %d values for %d columns", t.name, n+1, len(row), len(cols))
		}
		for i, v := range row {
			if args[i], err = importValue(v, kinds[i]); err != nil {
				return n, fmt.Errorf("table %s row %d, %s: %w", t.name, n+1, cols[i], err)
			}
		}
		if _, err := q.exec(ctx, insert, args...); err != nil {
			return n, fmt.Errorf("table %s row %d: %w", t.name, n+1, err)
		}
		n++
		if progress != nil && n%10000 == 0 {
			progress(t.name, n)
		}
	}
	if err := expectDelim(dec, ']', "table "+t.name+"'s rows"); err != nil {
		return n, err
	}
	if progress != nil {
		progress(t.name, n)
	}
	return n, nil
}

// columnKinds reads a table's columns and their kinds in this database.
func (q *Queries) columnKinds(ctx context.Context, table string) (map[string]colKind, error) {
	rows, err := q.query(ctx, `SELECT * FROM `+table+` WHERE 1 = 0`)
	if err != nil {
		return nil, fmt.Errorf("read %s's columns: %w", table, err)
	}
	defer rows.Close()
	types, err := rows.ColumnTypes()
	if err != nil {
		return nil, fmt.Errorf("read %s's columns: %w", table, err)
	}
	out := make(map[string]colKind, len(types))
	for _, ct := range types {
		out[ct.Name()] = kindOf(ct.DatabaseTypeName())
	}
	return out, rows.Err()
}

// importValue checks a JSON value against its column's kind.
func importValue(v any, k colKind) (any, error) {
	switch v := v.(type) {
	case nil:
		return nil, nil
	case bool:
		if k == kindBool {
			return v, nil
		}
	case json.Number:
		if k == kindInt {
			n, err := v.Int64()
			if err != nil {
				return nil, fmt.Errorf("%s is not a whole number", v)
			}
			return n, nil
		}
	case string:
		if k == kindText {
			return v, nil
		}
	}
	return nil, fmt.Errorf("a %s where the column holds %s", jsonKind(v), [...]string{"text", "whole numbers", "true or false"}[k])
}

func jsonKind(v any) string {
	switch v.(type) {
	case bool:
		return "boolean"
	case json.Number:
		return "number"
	case string:
		return "string"
	}
	return "list or object"
}
