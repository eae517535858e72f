package status

import "html/template"

// Rendered is a Markdown text (an update, an announcement, a postmortem) as
// Herald shows it: sanitized HTML for pages and feeds, and plain text for
// summaries and excerpts. It is made once, when the text is written, and
// stored beside it; see internal/markdown and internal/store. It is derived
// data: the change log and other JSON of incidents leave it out.
type Rendered struct {
	HTML template.HTML
	Text string
}
