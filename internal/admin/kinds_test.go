package admin_test

import (
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/heraldhq/herald/internal/service"
	"github.com/heraldhq/herald/internal/status"
	"github.com/heraldhq/herald/internal/store/storetest"
)

// badgeKinds lists the classes of the badges worded label on a page: a
// badge is <span class="badge k-KIND"><svg …>…</svg><span>LABEL</span>.
func badgeKinds(body, label string) []string {
	var kinds []string
	for _, part := range strings.Split(body, `class="badge k-`)[1:] {
		kind, rest, ok := strings.Cut(part, `"`)
		if !ok {
			continue
		}
		_, rest, ok = strings.Cut(rest, "</svg><span>")
		if ok && strings.HasPrefix(rest, label+"</span>") && !slices.Contains(kinds, kind) {
			kinds = append(kinds, kind)
		}
	}
	return kinds
}

// A status reads in the same colour and icon to an operator as to a
// customer: the admin screens and the public pages take the kind from one
// rule (status ... Kind).
func TestStatusKindsAgreeWithThePublicPages(t *testing.T) {
	storetest.Each(t, func(t *testing.T, b storetest.Backend) {
		f := newFixture(t, b, nil)
		ctx := t.Context()
		c := f.as(t, "vic")
		check := func(adminPath, publicPath, label string) {
			t.Helper()
			if err := f.site.Rebuild(ctx); err != nil {
				t.Fatal(err)
			}
			a := c.get(adminPath)
			wantCode(t, adminPath, a, 200)
			p := c.get(publicPath)
			wantCode(t, publicPath, p, 200)
			ak, pk := badgeKinds(a.body, label), badgeKinds(p.body, label)
			if len(ak) != 1 || !slices.Equal(ak, pk) {
				t.Errorf("%q is shown as %v in admin and %v on the public page; want one kind for both", label, ak, pk)
			}
		}
		for _, st := range []status.IncidentStatus{status.Identified, status.Monitoring} {
			if _, err := f.svc.PostIncidentUpdate(ctx, "user:erin", f.open, service.IncidentUpdate{Status: st, Body: "Update."}); err != nil {
				t.Fatal(err)
			}
			check(fmt.Sprintf("/admin/incidents/%d", f.open), fmt.Sprintf("/incidents/%d", f.open), st.Label())
		}
		check(fmt.Sprintf("/admin/maintenance/%d", f.tonight), fmt.Sprintf("/maintenance/%d", f.tonight), status.Scheduled.Label())
		check(fmt.Sprintf("/admin/maintenance/%d", f.active), fmt.Sprintf("/maintenance/%d", f.active), status.InProgress.Label())
	})
}
