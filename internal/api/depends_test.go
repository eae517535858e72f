package api

import (
	"encoding/json"
	"testing"

	"github.com/heraldhq/herald/internal/config"
	"github.com/heraldhq/herald/internal/store"
)

// A component's declared dependencies are in its JSON, its group's first;
// none is an empty list, not null.
func TestComponentDependsOn(t *testing.T) {
	cfg, err := config.Parse("c.yaml", []byte(`page: {title: T, zone: UTC}
groups:
  - id: router
    components: [{id: core, name: Core}]
  - id: nas
    components: [{id: nfs, name: NFS}]
  - id: flexo
    depends_on: [router]
    components: [{id: web, name: Web sites, depends_on: [nas/nfs]}]
`))
	if err != nil {
		t.Fatal(err)
	}
	for id, want := range map[string]string{
		"flexo/web":   `["router","nas/nfs"]`,
		"router/core": `[]`,
	} {
		b, err := json.Marshal(componentOut(store.Component{ID: id}, "operational", cfg).DependsOn)
		if err != nil {
			t.Fatal(err)
		}
		if string(b) != want {
			t.Errorf("%s depends_on %s, want %s", id, b, want)
		}
	}
}
