package api

import (
	"bytes"
	"crypto/sha256"
	_ "embed"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"sync"

	"go.yaml.in/yaml/v3"
)

// openAPISource is the OpenAPI 3.1 description of /api/v1/, kept as YAML
// (anchors share the error answers most routes give).
//
//go:embed openapi.yaml
var openAPISource []byte

// OpenAPIPath is where the description is served, to anyone: it tells
// nothing a reader of the repository cannot know.
const OpenAPIPath = "/api/v1/openapi.json"

// OpenAPI returns the description as JSON, converted once.
func OpenAPI() ([]byte, error) { return openAPIDoc() }

var openAPIDoc = sync.OnceValues(func() ([]byte, error) {
	var doc map[string]any
	if err := yaml.Unmarshal(openAPISource, &doc); err != nil {
		return nil, fmt.Errorf("openapi.yaml: %w", err)
	}
	// The anchors' home is no part of the description.
	for k := range doc {
		if strings.HasPrefix(k, "x-herald-") {
			delete(doc, k)
		}
	}
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetIndent("", " ")
	if err := enc.Encode(doc); err != nil {
		return nil, fmt.Errorf("openapi.yaml as JSON: %w", err)
	}
	return buf.Bytes(), nil
})

// serveOpenAPI answers GET /api/v1/openapi.json from the document made
// once; a client holding the current ETag gets a 304.
func (a *Admin) serveOpenAPI() http.Handler {
	doc, err := OpenAPI()
	sum := sha256.Sum256(doc)
	etag := `"` + hex.EncodeToString(sum[:16]) + `"`
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if err != nil { // the embedded file is tested; this is a build gone wrong
			a.fail(w, r, err)
			return
		}
		w.Header().Set("Cache-Control", "public, max-age=300")
		w.Header().Set("ETag", etag)
		if r.Header.Get("If-None-Match") == etag {
			w.WriteHeader(http.StatusNotModified)
			return
		}
		w.Header().Set("Content-Type", "application/json; charset=utf-8")
		w.Header().Set("X-Content-Type-Options", "nosniff")
		_, _ = w.Write(doc)
	})
}
