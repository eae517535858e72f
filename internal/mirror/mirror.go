// Package mirror keeps a static copy of the public site on another host:
// every page, the /api/v2 documents, the feeds, the calendar and the
// stylesheet, as files a plain static file server answers at the paths
// Herald answers (Files), written to a directory, copied with rsync over
// SSH or put into S3-compatible storage (Target), after every change
// (Publisher) or once (`herald publish`).
package mirror

import (
	"context"
	"fmt"
	"path"
	"slices"
	"strings"
	"time"

	"github.com/heraldhq/herald/internal/config"
	"github.com/heraldhq/herald/internal/web"
)

// File is one file of the copy.
type File struct {
	// Name is its path under the copy's root, with slashes:
	// "index.html", "incidents/7/index.html", "api/v2/summary.json".
	Name         string
	ContentType  string
	CacheControl string
	Body         []byte
}

// IndexName is the front page's file: it is put in place last, once every
// page it links to is there.
const IndexName = "index.html"

// NotFoundName is the page a static server answers for addresses the copy
// does not hold (nginx: error_page 404 /404.html).
const NotFoundName = "404.html"

// FileName is the file that answers a document's address on a static
// server: a page at /incidents/7 is incidents/7/index.html (a server
// answers a folder with its index.html), any other document keeps its
// name (api/v2/summary.json, history.atom).
func FileName(d web.Document) (string, error) {
	if d.Path == "404" {
		return NotFoundName, nil
	}
	if !strings.HasPrefix(d.Path, "/") || path.Clean(d.Path) != d.Path || strings.Contains(d.Path, "\\") {
		return "", fmt.Errorf("mirror: %q is not a clean absolute path", d.Path)
	}
	if d.Path == "/" {
		return IndexName, nil
	}
	name := d.Path[1:]
	if strings.HasPrefix(d.ContentType, "text/html") {
		name += "/" + IndexName
	}
	return name, nil
}

// Files lays documents out as files, the front page last.
func Files(docs []web.Document) ([]File, error) {
	files := make([]File, 0, len(docs))
	seen := map[string]bool{}
	for _, d := range docs {
		name, err := FileName(d)
		if err != nil {
			return nil, err
		}
		if seen[name] {
			return nil, fmt.Errorf("mirror: two documents would be %s", name)
		}
		seen[name] = true
		files = append(files, File{Name: name, ContentType: d.ContentType, CacheControl: d.CacheControl, Body: d.Body})
	}
	slices.SortFunc(files, func(a, b File) int {
		switch {
		case a.Name == IndexName:
			return 1
		case b.Name == IndexName:
			return -1
		}
		return strings.Compare(a.Name, b.Name)
	})
	return files, nil
}

// Make is the copy of the documents served now, made at madeAt: the pages
// say so and the JSON carries it (web.Copy), laid out as files.
func Make(docs []web.Document, cfg config.Config, madeAt time.Time) ([]File, error) {
	cp, err := web.Copy(docs, cfg, madeAt)
	if err != nil {
		return nil, err
	}
	return Files(cp)
}

// Target is where a copy is kept. Publish puts files there so that a
// reader never sees a half-written file: every file but the front page
// first, the front page last, then the files no longer in the copy are
// removed.
type Target interface {
	Publish(ctx context.Context, files []File) error
	// String names the target for logs, without secrets.
	String() string
}
