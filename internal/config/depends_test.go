package config

import (
	"slices"
	"testing"
)

func TestDependsOnParents(t *testing.T) {
	c, err := Parse("deps.yaml", []byte(`page: {title: T, zone: UTC}
groups:
  - id: router
    components: [{id: core, name: Core}, {id: edge, name: Edge}]
  - id: nas
    depends_on: [router/core]
    components: [{id: nfs, name: NFS}, {id: web, name: Admin, depends_on: [nas/nfs]}]
  - id: flexo
    depends_on: [nas/nfs]
    components: [{id: web, name: Web sites, depends_on: [router]}, {id: email, name: E-mail}]
  - id: mom
    components: [{id: web, name: Web sites}]
`))
	if err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct {
		id            string
		declared, all []string
	}{
		{"router/core", nil, nil},
		{"nas/nfs", []string{"router/core"}, []string{"router/core"}},
		{"nas/web", []string{"router/core", "nas/nfs"}, []string{"nas/nfs", "router/core"}},
		{"flexo/web", []string{"nas/nfs", "router"}, []string{"nas/nfs", "router/core", "router/edge"}},
		{"flexo/email", []string{"nas/nfs"}, []string{"nas/nfs", "router/core"}},
		{"mom/web", nil, nil},
		{"nobody/web", nil, nil},
	} {
		if got := c.DependsOn(tt.id); !slices.Equal(got, tt.declared) {
			t.Errorf("DependsOn(%s) = %q, want %q", tt.id, got, tt.declared)
		}
		if got := c.Parents(tt.id); !slices.Equal(got, tt.all) {
			t.Errorf("Parents(%s) = %q, want %q", tt.id, got, tt.all)
		}
		// A Config made in code (not parsed) answers the same.
		bare := Config{Groups: c.Groups}
		if got := bare.Parents(tt.id); !slices.Equal(got, tt.all) {
			t.Errorf("unparsed Parents(%s) = %q, want %q", tt.id, got, tt.all)
		}
	}
}
