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
	// Front marks a page's front page (index.html, or a page of pages:'s
	// FOLDER/index.html): put in place after the documents it links to.
	Front bool
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
	files, err := appendFiles(nil, map[string]bool{}, "", "", docs)
	if err != nil {
		return nil, err
	}
	sortFiles(files)
	return files, nil
}

// appendFiles lays one page's documents out as files under folder (""
// for page:'s), their paths first made relative to the page's path pre.
func appendFiles(files []File, seen map[string]bool, folder, pre string, docs []web.Document) ([]File, error) {
	for _, d := range docs {
		if pre != "" && d.Path != "404" {
			rest, ok := strings.CutPrefix(d.Path, pre+"/")
			if !ok {
				return nil, fmt.Errorf("mirror: %q is not under the page's path %s", d.Path, pre)
			}
			d.Path = "/" + rest
		}
		name, err := FileName(d)
		if err != nil {
			return nil, err
		}
		if folder != "" {
			name = folder + "/" + name
		}
		if seen[name] {
			return nil, fmt.Errorf("mirror: two documents would be %s", name)
		}
		seen[name] = true
		files = append(files, File{Name: name, ContentType: d.ContentType, CacheControl: d.CacheControl, Body: d.Body, Front: d.Path == "/"})
	}
	return files, nil
}

// sortFiles orders files by name, the front pages last, page:'s the very last.
func sortFiles(files []File) {
	rank := func(f File) int {
		switch {
		case f.Name == IndexName:
			return 2
		case f.Front:
			return 1
		}
		return 0
	}
	slices.SortFunc(files, func(a, b File) int {
		if c := rank(a) - rank(b); c != 0 {
			return c
		}
		return strings.Compare(a.Name, b.Name)
	})
}

// Make is the copy of page:'s documents served now, made at madeAt: the
// pages say so and the JSON carries it (web.Copy), laid out as files.
func Make(docs []web.Document, cfg config.Config, madeAt time.Time) ([]File, error) {
	return MakeAll([]web.PageDocs{{Docs: docs}}, cfg, madeAt)
}

// MakeAll is the copy of every public page (web.Site.ServedAll): page:'s
// at the root, each page of pages: in its folder (PageEntry.MirrorFolder:
// a path page's under its path, a host page's in the folder named by its
// mirror, by default its host name). A private page is never copied.
func MakeAll(parts []web.PageDocs, cfg config.Config, madeAt time.Time) ([]File, error) {
	var files []File
	seen := map[string]bool{}
	for _, part := range parts {
		folder, pre := "", ""
		if e := part.Page; e != nil {
			if e.Private != nil {
				return nil, fmt.Errorf("mirror: page %s is private; a private page is never copied", e.ID)
			}
			folder, pre = e.MirrorFolder(), e.Path
		}
		cp, err := web.CopyPage(part.Docs, cfg, part.Page, madeAt)
		if err != nil {
			return nil, err
		}
		if files, err = appendFiles(files, seen, folder, pre, cp); err != nil {
			return nil, err
		}
	}
	sortFiles(files)
	return files, nil
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
