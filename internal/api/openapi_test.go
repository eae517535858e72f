package api_test

import (
	"bytes"
	"encoding/json"
	"flag"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"slices"
	"strings"
	"testing"

	"github.com/pb33f/libopenapi"
	validator "github.com/pb33f/libopenapi-validator"

	"github.com/heraldhq/herald/internal/api"
)

var update = flag.Bool("update", false, "rewrite the generated route table in docs/api.md")

// TestOpenAPIDocument checks the description is a valid OpenAPI 3.1
// document, by libopenapi's own check of the 3.1 schema, and that it keeps
// the house's rules: an error answer for every failure a route can give.
func TestOpenAPIDocument(t *testing.T) {
	data, err := api.OpenAPI()
	if err != nil {
		t.Fatal(err)
	}
	doc, err := libopenapi.NewDocument(data)
	if err != nil {
		t.Fatal(err)
	}
	if v := doc.GetSpecInfo().Version; !strings.HasPrefix(v, "3.1") {
		t.Fatalf("openapi version %q, want 3.1", v)
	}
	if _, err := doc.BuildV3Model(); err != nil {
		t.Fatalf("build the model: %v", err)
	}
	v, errs := validator.NewValidator(doc)
	if len(errs) > 0 {
		t.Fatalf("validator: %v", errs)
	}
	if ok, verrs := v.ValidateDocument(); !ok {
		for _, e := range verrs {
			t.Errorf("not a valid OpenAPI 3.1 document: %v", e)
		}
	}

	ops := readOps(t, data)
	if len(ops) < 50 {
		t.Fatalf("only %d operations read from the document", len(ops))
	}
	ids := map[string]bool{}
	for _, op := range ops {
		name := op.method + " " + op.path
		if op.ID == "" || ids[op.ID] {
			t.Errorf("%s: operationId %q missing or not unique", name, op.ID)
		}
		ids[op.ID] = true
		if op.Summary == "" {
			t.Errorf("%s: no summary (docs/api.md's table shows it)", name)
		}
		need := []string{"500"}
		if len(op.scopes) > 0 {
			need = append(need, "401", "403")
		}
		if op.Body != nil {
			need = append(need, "400", "413")
		}
		for _, code := range need {
			if _, ok := op.Responses[code]; !ok {
				if op.path == "/api/v1/heartbeat/{token}" && code == "500" {
					continue // the beat answers 503 for any failure
				}
				t.Errorf("%s: no %s answer described", name, code)
			}
		}
	}
}

// TestServeOpenAPI: the description is served to anyone, as JSON, and a
// client holding its ETag is told it has not changed.
func TestServeOpenAPI(t *testing.T) {
	mux := http.NewServeMux()
	api.NewAdmin(nil, nil).Register(mux)
	rec := httptest.NewRecorder()
	mux.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, api.OpenAPIPath, nil))
	want, _ := api.OpenAPI()
	if rec.Code != http.StatusOK || !bytes.Equal(rec.Body.Bytes(), want) {
		t.Fatalf("GET %s: %d, %d bytes", api.OpenAPIPath, rec.Code, rec.Body.Len())
	}
	if ct := rec.Header().Get("Content-Type"); !strings.HasPrefix(ct, "application/json") {
		t.Errorf("Content-Type %q", ct)
	}
	var doc struct{ OpenAPI string }
	if err := json.Unmarshal(rec.Body.Bytes(), &doc); err != nil || !strings.HasPrefix(doc.OpenAPI, "3.1.") {
		t.Errorf("served document: openapi %q, %v", doc.OpenAPI, err)
	}
	etag := rec.Header().Get("ETag")
	if etag == "" {
		t.Fatal("no ETag")
	}
	req := httptest.NewRequest(http.MethodGet, api.OpenAPIPath, nil)
	req.Header.Set("If-None-Match", etag)
	rec = httptest.NewRecorder()
	mux.ServeHTTP(rec, req)
	if rec.Code != http.StatusNotModified || rec.Body.Len() != 0 {
		t.Errorf("with If-None-Match: %d, %d bytes", rec.Code, rec.Body.Len())
	}
}

// The route table in docs/api.md is made from the description, between
// these two lines; -update rewrites it.
const (
	tableBegin = "<!-- Generated from internal/api/openapi.yaml by go test ./internal/api -run TestAPIDocRoutes -update; do not edit. -->"
	tableEnd   = "<!-- End of the generated table. -->"
)

func TestAPIDocRoutes(t *testing.T) {
	data, err := api.OpenAPI()
	if err != nil {
		t.Fatal(err)
	}
	const path = "../../docs/api.md"
	md, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	before, rest, ok1 := strings.Cut(string(md), tableBegin+"\n")
	_, after, ok2 := strings.Cut(rest, tableEnd)
	if !ok1 || !ok2 {
		t.Fatalf("%s lacks the generated table's markers:\n%s\n%s", path, tableBegin, tableEnd)
	}
	table := routeTable(readOps(t, data))
	got := before + tableBegin + "\n" + table + tableEnd + after
	if got == string(md) {
		return
	}
	if *update {
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	t.Errorf("%s's route table is not the description's; run go test ./internal/api -run TestAPIDocRoutes -update\nwant:\n%s", path, table)
}

// op is one operation of the description, as the table and the checks read it.
type op struct {
	method, path string
	scopes       []string
	ID           string `json:"operationId"`
	Summary      string
	Security     *[]map[string][]string
	Body         *struct {
		Required bool
		Content  map[string]struct{ Schema json.RawMessage }
	} `json:"requestBody"`
	Responses map[string]json.RawMessage
}

var methods = []string{"get", "put", "post", "patch", "delete"}

// readOps lists the operations by path, then method (GET, PUT, POST, PATCH, DELETE).
func readOps(t *testing.T, data []byte) []op {
	t.Helper()
	var doc struct {
		Security []map[string][]string
		Paths    map[string]map[string]json.RawMessage
	}
	if err := json.Unmarshal(data, &doc); err != nil {
		t.Fatal(err)
	}
	var out []op
	paths := make([]string, 0, len(doc.Paths))
	for p := range doc.Paths {
		paths = append(paths, p)
	}
	slices.Sort(paths)
	for _, p := range paths {
		for _, m := range methods {
			raw, ok := doc.Paths[p][m]
			if !ok {
				continue
			}
			o := op{method: strings.ToUpper(m), path: p}
			if err := json.Unmarshal(raw, &o); err != nil {
				t.Fatalf("%s %s: %v", m, p, err)
			}
			sec := doc.Security
			if o.Security != nil {
				sec = *o.Security
			}
			for _, req := range sec {
				for _, scopes := range req {
					o.scopes = append(o.scopes, scopes...)
				}
			}
			out = append(out, o)
		}
	}
	return out
}

// routeTable is the Markdown table of the operations.
func routeTable(ops []op) string {
	var b strings.Builder
	b.WriteString("| method and path | token | body | answers | errors | what |\n|---|---|---|---|---|---|\n")
	for _, o := range ops {
		token := strings.Join(o.scopes, ", ")
		if token == "" {
			token = "none"
		}
		body := ""
		if o.Body != nil {
			var parts []string
			for _, ct := range sortedKeys(o.Body.Content) {
				s := schemaText(o.Body.Content[ct].Schema)
				if ct != "application/json" {
					s = ct
				}
				parts = append(parts, s)
			}
			body = strings.Join(parts, " or ")
			if !o.Body.Required {
				body += " (optional)"
			}
		}
		var answers, errs []string
		for _, code := range sortedKeys(o.Responses) {
			if code >= "400" {
				errs = append(errs, code)
				continue
			}
			answers = append(answers, strings.TrimSpace(code+" "+responseText(o.Responses[code])))
		}
		fmt.Fprintf(&b, "| `%s %s` | %s | %s | %s | %s | %s |\n", o.method, o.path, token, cell(body),
			cell(strings.Join(answers, "; ")), strings.Join(errs, " "), cell(o.Summary))
	}
	return b.String()
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

// cell escapes what would end a table cell.
func cell(s string) string { return strings.ReplaceAll(s, "|", `\|`) }

// refName is the last part of a $ref ("#/components/schemas/Incident": Incident).
func refName(ref string) string { return ref[strings.LastIndexByte(ref, '/')+1:] }

// responseText names a response's JSON body: a schema's name, or the shape of an inline object.
func responseText(raw json.RawMessage) string {
	var r struct {
		Ref     string `json:"$ref"`
		Content map[string]struct{ Schema json.RawMessage }
	}
	_ = json.Unmarshal(raw, &r) // the document was decoded once already
	if r.Ref != "" {
		return refName(r.Ref)
	}
	var parts []string
	for _, ct := range sortedKeys(r.Content) {
		if ct == "application/json" {
			parts = append(parts, schemaText(r.Content[ct].Schema))
		} else {
			parts = append(parts, ct)
		}
	}
	return strings.Join(parts, " or ")
}

// schemaText is a short form of a schema: Incident, [Incident],
// {incidents: [Incident]}, string.
func schemaText(raw json.RawMessage) string {
	var s struct {
		Ref        string `json:"$ref"`
		Type       any
		Items      json.RawMessage
		Const      any
		Required   []string
		Properties map[string]json.RawMessage
	}
	_ = json.Unmarshal(raw, &s)
	switch {
	case s.Ref != "":
		return refName(s.Ref)
	case s.Const != nil:
		b, _ := json.Marshal(s.Const)
		return string(b)
	case s.Items != nil:
		return "[" + schemaText(s.Items) + "]"
	case s.Properties != nil:
		keys := s.Required
		if len(keys) == 0 {
			keys = sortedKeys(s.Properties)
		}
		var parts []string
		for _, k := range keys {
			parts = append(parts, k+": "+schemaText(s.Properties[k]))
		}
		return "{" + strings.Join(parts, ", ") + "}"
	}
	return fmt.Sprint(s.Type)
}
