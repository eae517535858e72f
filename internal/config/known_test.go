package config

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"
)

// knownFieldsReference is what yaml/v3's own check says of data: the
// unknown-key messages of a Decoder with KnownFields.
func knownFieldsReference(data []byte) []string {
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	var c Config
	var te *yaml.TypeError
	if err := dec.Decode(&c); !errors.As(err, &te) {
		return nil
	}
	var out []string
	for _, m := range te.Errors {
		if strings.Contains(m, " not found in type ") {
			out = append(out, m)
		}
	}
	return out
}

// unknownKeys gives yaml/v3's KnownFields answers: on every configuration
// in the tests and examples, and on each of them with an unknown key
// added, one at a time, to every mapping in it (as a field, under a merge,
// in a list, in a map of structs).
func TestUnknownKeysAsKnownFields(t *testing.T) {
	files, _ := filepath.Glob("testdata/*.yaml")
	// The examples and the bench's configurations, and the OpenAPI
	// description: not a configuration at all, so nearly every key of it
	// is unknown.
	for _, glob := range []string{"../../examples/*.yaml", "../../bench/*.yaml", "../api/openapi.yaml"} {
		more, _ := filepath.Glob(glob)
		files = append(files, more...)
	}
	if len(files) < 20 {
		t.Fatalf("only %d configurations found to compare on", len(files))
	}
	compare := func(name string, data []byte) bool {
		t.Helper()
		var doc yaml.Node
		if err := yaml.Unmarshal(data, &doc); err != nil || len(doc.Content) == 0 {
			return false // not YAML: Parse stops before the check
		}
		want := knownFieldsReference(data)
		got := unknownKeys(&doc, reflect.TypeFor[Config]())
		slices.Sort(want)
		slices.Sort(got)
		if !slices.Equal(got, want) {
			t.Errorf("%s:\n got  %q\n want %q (yaml/v3's KnownFields)", name, got, want)
		}
		return true
	}
	mutations, withUnknown := 0, 0
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		if !compare(f, data) {
			continue
		}
		var doc yaml.Node
		_ = yaml.Unmarshal(data, &doc)
		var maps []*yaml.Node
		var walk func(n *yaml.Node)
		walk = func(n *yaml.Node) {
			if n.Kind == yaml.MappingNode {
				maps = append(maps, n)
			}
			for _, c := range n.Content {
				walk(c)
			}
		}
		walk(&doc)
		// At most about 40 mappings of a file, spread over it.
		step := max(1, len(maps)/40)
		for i := 0; i < len(maps); i += step {
			m := maps[i]
			k := &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!str", Value: "zz_unknown_key"}
			v := &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!int", Value: "1"}
			m.Content = append(m.Content, k, v)
			out, err := yaml.Marshal(&doc)
			m.Content = m.Content[:len(m.Content)-2]
			if err != nil {
				t.Fatal(err)
			}
			mutations++
			if len(knownFieldsReference(out)) > 0 {
				withUnknown++
			}
			compare(fmt.Sprintf("%s with an unknown key in its mapping %d", f, i), out)
		}
	}
	// The comparison means something only if yaml/v3 found unknown keys.
	if withUnknown < mutations/2 {
		t.Fatalf("yaml/v3 found unknown keys in only %d of %d mutated files", withUnknown, mutations)
	}
	t.Logf("%d files and %d mutations compared, %d with unknown keys", len(files), mutations, withUnknown)
}
