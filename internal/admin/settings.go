package admin

import (
	"net/http"
	"net/url"
	"strings"

	"go.yaml.in/yaml/v3"
)

type settingsData struct {
	YAML     string
	Database string
	Zone     string
	Error    string
	Channels []channelView
	CanTest  bool
}

func (a *Admin) settings(w http.ResponseWriter, r *http.Request, s *session) error {
	cfg := a.Config()
	d := settingsData{Database: a.Database, Zone: cfg.Page.Zone}
	text, err := redactedYAML(cfg)
	if err != nil {
		return err
	}
	d.YAML = text
	if d.Channels, err = a.channelViews(r.Context()); err != nil {
		return err
	}
	d.CanTest = a.Channels != nil && s.Role.CanEdit()
	a.render(w, r, s, http.StatusOK, "settings", "Settings", "settings", d)
	return nil
}

// redactedYAML is the running configuration as YAML with every secret
// replaced: values of keys that name a password, secret, token or key (but
// not the *_env keys, which only name an environment variable), the
// credentials and query of any URL, and the path of webhook URLs, which
// carry the hook's secret in chat services.
func redactedYAML(cfg any) (string, error) {
	raw, err := yaml.Marshal(cfg)
	if err != nil {
		return "", err
	}
	var doc yaml.Node
	if err := yaml.Unmarshal(raw, &doc); err != nil {
		return "", err
	}
	redactNode(&doc, "")
	out, err := yaml.Marshal(&doc)
	if err != nil {
		return "", err
	}
	return string(out), nil
}

const hidden = "(hidden)"

func secretKey(k string) bool {
	k = strings.ToLower(k)
	if strings.HasSuffix(k, "_env") {
		return false
	}
	for _, w := range []string{"password", "secret", "token", "apikey", "api_key", "private"} {
		if strings.Contains(k, w) {
			return true
		}
	}
	return false
}

func redactNode(n *yaml.Node, parent string) {
	switch n.Kind {
	case yaml.DocumentNode, yaml.SequenceNode:
		for _, c := range n.Content {
			redactNode(c, parent)
		}
	case yaml.MappingNode:
		kept := n.Content[:0]
		for i := 0; i+1 < len(n.Content); i += 2 {
			// Leave out what is empty, so the page shows what was configured.
			if v := n.Content[i+1]; v.Kind == yaml.ScalarNode && v.Tag == "!!str" && v.Value == "" ||
				(v.Kind == yaml.SequenceNode || v.Kind == yaml.MappingNode) && len(v.Content) == 0 {
				continue
			}
			kept = append(kept, n.Content[i], n.Content[i+1])
		}
		n.Content = kept
		for i := 0; i+1 < len(n.Content); i += 2 {
			k, v := n.Content[i], n.Content[i+1]
			switch {
			case secretKey(k.Value) && v.Kind == yaml.ScalarNode && v.Value != "":
				v.Value, v.Tag, v.Style = hidden, "!!str", 0
			case v.Kind == yaml.ScalarNode:
				v.Value = redactURL(v.Value, parent == "channels")
			default:
				redactNode(v, k.Value)
			}
		}
	case yaml.ScalarNode:
		n.Value = redactURL(n.Value, parent == "channels")
	}
}

// redactURL hides a URL's credentials and query, and with hidePath its path.
func redactURL(v string, hidePath bool) string {
	if !strings.Contains(v, "://") {
		return v
	}
	u, err := url.Parse(v)
	if err != nil || u.Host == "" {
		return v
	}
	changed := false
	if u.User != nil {
		u.User, changed = url.User("hidden"), true
	}
	if u.RawQuery != "" {
		u.RawQuery, changed = "hidden", true
	}
	if hidePath && u.Path != "" && u.Path != "/" {
		u.Path, u.RawPath, changed = "/hidden", "", true
	}
	if !changed {
		return v
	}
	return u.String()
}
