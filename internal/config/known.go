package config

import (
	"fmt"
	"reflect"
	"strings"
	"sync"

	"go.yaml.in/yaml/v3"
)

// unknownKeys lists the keys of the file that no field of the Go type
// they would be decoded into takes, in the words and order yaml/v3's
// Decoder.KnownFields gives them ("line N: field K not found in type T").
//
// yaml/v3 checks known fields only when decoding from the file's bytes
// (Decoder.KnownFields), which builds a node tree of its own; Parse already
// has the tree, and decodes the struct from it (Node.Decode) with this
// check beside it, rather than reading a file of ten thousand monitors
// twice. It follows yaml/v3's rules for what a key maps to: a field's yaml
// tag, else its lower-cased name; ",inline" structs' fields as the outer
// struct's; "-" and unexported fields taken by nothing; an ",inline" map
// takes any key; merge keys ("<<") add their mappings' keys; a type that
// decodes itself (yaml.Unmarshaler) is not looked into; a node of the
// wrong kind for its type is left to the decoder's own error.
// TestUnknownKeysAsKnownFields holds it to yaml/v3's answers.
func unknownKeys(doc *yaml.Node, t reflect.Type) []string {
	var out []string
	walkKnown(doc, t, &out, 0)
	return out
}

var unmarshalerType = reflect.TypeFor[yaml.Unmarshaler]()

func walkKnown(n *yaml.Node, t reflect.Type, out *[]string, depth int) {
	if n == nil || depth > maxDepth {
		return
	}
	for t.Kind() == reflect.Pointer && !t.Implements(unmarshalerType) {
		t = t.Elem()
	}
	if t.Implements(unmarshalerType) || reflect.PointerTo(t).Implements(unmarshalerType) {
		return
	}
	switch n.Kind {
	case yaml.DocumentNode:
		if len(n.Content) == 1 {
			walkKnown(n.Content[0], t, out, depth+1)
		}
	case yaml.AliasNode:
		walkKnown(n.Alias, t, out, depth+1)
	case yaml.SequenceNode:
		if t.Kind() == reflect.Slice || t.Kind() == reflect.Array {
			for _, item := range n.Content {
				walkKnown(item, t.Elem(), out, depth+1)
			}
		}
	case yaml.MappingNode:
		if repeatsKey(n) {
			return // the decoder gives up on the mapping, and says so
		}
		switch t.Kind() {
		case reflect.Map:
			for i := 1; i < len(n.Content); i += 2 {
				walkKnown(n.Content[i], t.Elem(), out, depth+1)
			}
		case reflect.Struct:
			walkStruct(n, t, out, depth)
		}
	}
}

// walkStruct checks a mapping decoded into the struct type t.
func walkStruct(n *yaml.Node, t reflect.Type, out *[]string, depth int) {
	fields := yamlFieldsOf(t)
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		if isMergeKey(k) {
			walkMerge(v, t, out, depth+1)
			continue
		}
		if ft, ok := fields.byKey[k.Value]; ok {
			walkKnown(v, ft, out, depth+1)
			continue
		}
		if !fields.inlineMap {
			*out = append(*out, fmt.Sprintf("line %d: field %s not found in type %s", k.Line, k.Value, t))
		}
	}
}

// walkMerge checks what a merge key brings into a struct: a mapping, an
// alias of one, or a list of those.
func walkMerge(v *yaml.Node, t reflect.Type, out *[]string, depth int) {
	if depth > maxDepth {
		return
	}
	switch v.Kind {
	case yaml.MappingNode:
		if !repeatsKey(v) {
			walkStruct(v, t, out, depth)
		}
	case yaml.AliasNode:
		walkMerge(v.Alias, t, out, depth+1)
	case yaml.SequenceNode:
		for _, item := range v.Content {
			walkMerge(item, t, out, depth+1)
		}
	}
}

// isMergeKey is yaml/v3's test for "<<".
func isMergeKey(k *yaml.Node) bool {
	return k.Kind == yaml.ScalarNode && k.Value == "<<" && (k.Tag == "" || k.Tag == "!" || k.ShortTag() == "!!merge")
}

// structKeys is what keys a struct type takes.
type structKeys struct {
	byKey     map[string]reflect.Type
	inlineMap bool
}

var structKeysCache sync.Map // reflect.Type -> *structKeys

func yamlFieldsOf(t reflect.Type) *structKeys {
	if c, ok := structKeysCache.Load(t); ok {
		return c.(*structKeys)
	}
	sk := &structKeys{byKey: map[string]reflect.Type{}}
	addFields(sk, t, 0)
	structKeysCache.Store(t, sk)
	return sk
}

func addFields(sk *structKeys, t reflect.Type, depth int) {
	if depth > maxDepth {
		return
	}
	for i := range t.NumField() {
		f := t.Field(i)
		if f.PkgPath != "" && !f.Anonymous {
			continue // unexported
		}
		tag := f.Tag.Get("yaml")
		if tag == "" && !strings.Contains(string(f.Tag), ":") {
			tag = string(f.Tag)
		}
		if tag == "-" {
			continue
		}
		name, flags, _ := strings.Cut(tag, ",")
		if inline := hasFlag(flags, "inline"); inline {
			switch f.Type.Kind() {
			case reflect.Map:
				sk.inlineMap = true
			case reflect.Struct, reflect.Pointer:
				ft := f.Type
				if ft.Kind() == reflect.Pointer {
					ft = ft.Elem()
				}
				addFields(sk, ft, depth+1)
			}
			continue
		}
		if name == "" {
			name = strings.ToLower(f.Name)
		}
		sk.byKey[name] = f.Type
	}
}

func hasFlag(flags, want string) bool {
	for f := range strings.SplitSeq(flags, ",") {
		if f == want {
			return true
		}
	}
	return false
}

// repeatsKey reports whether a mapping has a key twice, which makes
// yaml/v3 report it and decode nothing of the mapping.
func repeatsKey(n *yaml.Node) bool {
	for i := 0; i < len(n.Content); i += 2 {
		for j := i + 2; j < len(n.Content); j += 2 {
			if a, b := n.Content[i], n.Content[j]; a.Kind == b.Kind && a.Value == b.Value {
				return true
			}
		}
	}
	return false
}
