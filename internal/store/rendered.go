package store

import (
	"context"
	"database/sql"
	"fmt"
	"html/template"

	"github.com/heraldhq/herald/internal/markdown"
	"github.com/heraldhq/herald/internal/status"
)

// Every Markdown text is stored with its rendering (status.Rendered), made
// here when the text is written: the store is the one place every write of
// a text goes through, so no writer can forget it, and readers (pages,
// feeds, the API) never render. A row whose rendering is NULL (written
// before migration 6) is rendered when the store migrates; read before
// that, it shows as escaped plain text.

// renderedColumn names a Markdown column and the columns of its rendering.
type renderedColumn struct{ table, src, html, text string }

var (
	postmortemColumns        = renderedColumn{"incidents", "postmortem", "postmortem_html", "postmortem_text"}
	incidentUpdateColumns    = renderedColumn{"incident_updates", "body", "body_html", "body_text"}
	maintenanceBodyColumns   = renderedColumn{"maintenances", "body", "body_html", "body_text"}
	maintenanceUpdateColumns = renderedColumn{"maintenance_updates", "body", "body_html", "body_text"}
	renderedColumns          = []renderedColumn{postmortemColumns, incidentUpdateColumns, maintenanceBodyColumns, maintenanceUpdateColumns}
)

// render renders a Markdown text to store beside it.
func render(src string) status.Rendered {
	d := markdown.Render(src)
	return status.Rendered{HTML: d.HTML, Text: d.Text}
}

// stored is the rendering read with a text: the stored one, or the text as
// typed while it has none.
func stored(src string, html, text sql.NullString) status.Rendered {
	if !html.Valid || !text.Valid {
		d := markdown.Plain(src)
		return status.Rendered{HTML: d.HTML, Text: d.Text}
	}
	return status.Rendered{HTML: template.HTML(html.String), Text: text.String} //nolint:gosec // rendered and sanitized when written
}

// renderPending renders row id's text of c if it has no rendering: after
// a save that changed the text (the save sets the rendering to NULL when
// the text differs from the one stored). It returns the rendering made, if
// it made one.
func (q *Queries) renderPending(ctx context.Context, c renderedColumn, id int64) (status.Rendered, bool, error) {
	done, err := q.renderWhere(ctx, c, ` AND id = ?`, id)
	if err != nil || len(done) == 0 {
		return status.Rendered{}, false, err
	}
	return done[0], true, nil
}

// renderWhere renders (up to a hundred of) the texts of c that have no
// rendering and match the extra condition.
func (q *Queries) renderWhere(ctx context.Context, c renderedColumn, extra string, args ...any) ([]status.Rendered, error) {
	rows, err := q.query(ctx, `SELECT id, `+c.src+` FROM `+c.table+` WHERE `+c.html+` IS NULL`+extra+` ORDER BY id LIMIT 100`, args...)
	if err != nil {
		return nil, fmt.Errorf("find texts to render in %s: %w", c.table, err)
	}
	type pending struct {
		id  int64
		src string
	}
	var unrendered []pending
	err = eachRow(rows, func() error {
		var p pending
		if err := rows.Scan(&p.id, &p.src); err != nil {
			return err
		}
		unrendered = append(unrendered, p)
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("find texts to render in %s: %w", c.table, err)
	}
	done := make([]status.Rendered, 0, len(unrendered))
	for _, p := range unrendered {
		r := render(p.src)
		if _, err := q.exec(ctx, `UPDATE `+c.table+` SET `+c.html+` = ?, `+c.text+` = ? WHERE id = ?`,
			string(r.HTML), r.Text, p.id); err != nil {
			return nil, fmt.Errorf("store the rendered text of %s %d: %w", c.table, p.id, err)
		}
		done = append(done, r)
	}
	return done, nil
}

// RenderPending renders every stored text that has no rendering yet, a
// hundred to a transaction, and returns how many it rendered. Migrate calls
// it, so that the texts written before renderings were stored get theirs,
// once.
func (s *Store) RenderPending(ctx context.Context) (int, error) {
	n := 0
	for _, c := range renderedColumns {
		for {
			var done []status.Rendered
			err := s.Tx(ctx, func(q *Queries) error {
				var err error
				done, err = q.renderWhere(ctx, c, "")
				return err
			})
			if err != nil {
				return n, err
			}
			n += len(done)
			if len(done) == 0 {
				break
			}
		}
	}
	return n, nil
}
