package config

import (
	"fmt"
	"net"
	"net/mail"
	"regexp"
	"slices"
	"strings"
	"time"
)

// PageEntry is one more page served by the same Herald (the pages: list):
// the same settings as page:, plus where it is served, which groups it
// shows and who may see it. Requests matching no entry get page:.
type PageEntry struct {
	Page `yaml:",inline"`
	// ID names the page in logs, subscriptions and the admin.
	ID string `yaml:"id"`
	// Host serves the page on a host name (status.reseller.example);
	// Path under a path prefix (/reseller). Exactly one is set.
	Host string `yaml:"host"`
	Path string `yaml:"path"`
	// Groups are the groups (servers) the page shows, in page order.
	Groups []string `yaml:"groups"`
	// Private, when set, makes the page visible only to who may see it.
	Private *Private `yaml:"private"`
	// EmailFrom is the sender of the mail its subscribers get
	// ("Reseller Status <status@reseller.example>"); by default the page's
	// title with notify.email.from's address.
	EmailFrom string `yaml:"email_from"`
	// Mirror is the folder of a public host page's copy in each mirror
	// target (default: its host name). A path page's copy is under its
	// path; a private page is never mirrored.
	Mirror string `yaml:"mirror"`

	loc *time.Location
}

// Private says who may see a private page: whoever knows the password,
// whoever has a signed link, and, with customers, a customer who signs in
// by e-mail (a one-time link to an address at one of their domains), who
// then sees their own server only.
type Private struct {
	// PasswordHash is an argon2id hash (herald page-password prints one).
	PasswordHash string `yaml:"password_hash"`
	// KeyEnv names the environment variable holding the key that signs
	// links and sessions (at least 32 characters).
	KeyEnv string `yaml:"key_env"`
	// Customers lets a customer sign in by e-mail.
	Customers bool `yaml:"customers"`
	// Session is how long a visitor stays signed in; default 12h.
	Session Duration `yaml:"session"`
}

// Location is the entry's time zone (its zone, else page.zone's), never nil.
func (p PageEntry) Location() *time.Location {
	if p.loc != nil {
		return p.loc
	}
	if loc, err := time.LoadLocation(p.Zone); err == nil && p.Zone != "" {
		return loc
	}
	return time.UTC
}

// ForPage is the configuration as page p sees it: p's settings in page:.
func (c Config) ForPage(p PageEntry) Config {
	c.Page = p.Page
	c.loc = p.Location()
	return c
}

// PageByID is the entry of pages: with id.
func (c Config) PageByID(id string) (PageEntry, bool) {
	for _, p := range c.Pages {
		if p.ID == id {
			return p, true
		}
	}
	return PageEntry{}, false
}

// PageBase is a page's public address, where its links lead (no trailing
// slash): its url, else its host over https, else page.url and its path.
func (c Config) PageBase(p PageEntry) (string, error) {
	base := strings.TrimRight(p.URL, "/")
	switch {
	case base == "" && p.Host != "":
		base = "https://" + p.Host
	case base == "" && c.Page.URL != "":
		base = strings.TrimRight(c.Page.URL, "/") + p.Path
	case base == "":
		return "", fmt.Errorf("page %s has no url, nor has page:", p.ID)
	}
	if p.Path != "" && !strings.HasSuffix(base, p.Path) {
		base += p.Path
	}
	return base, nil
}

// MirrorFolder is the folder of the page's copy in a mirror target: a
// host page's mirror (default its host name), a path page's path without
// its slash, "" for a private page (never mirrored).
func (p PageEntry) MirrorFolder() string {
	switch {
	case p.Private != nil:
		return ""
	case p.Path != "":
		return p.Path[1:]
	case p.Mirror != "":
		return p.Mirror
	}
	return p.Host
}

// Shows reports whether the page shows group g.
func (p PageEntry) Shows(g string) bool { return slices.Contains(p.Groups, g) }

// Hidden reports whether group g is on a private page and so left off
// page: (which shows every other group).
func (c Config) Hidden(g string) bool {
	for _, p := range c.Pages {
		if p.Private != nil && p.Shows(g) {
			return true
		}
	}
	return false
}

// defaultSession is how long a private page's visitor stays signed in.
const defaultSession = 12 * time.Hour

// SessionFor is how long a visitor of a private page stays signed in.
func (p *Private) SessionFor() time.Duration {
	if p == nil || p.Session <= 0 {
		return defaultSession
	}
	return p.Session.D()
}

var (
	pagePath = regexp.MustCompile(`^/[a-z0-9][a-z0-9_-]{0,62}$`)
	// mirrorFolder is one segment a static server and S3 take as they are.
	mirrorFolder = regexp.MustCompile(`^[a-z0-9][a-z0-9._-]{0,252}$`)
	hostName     = regexp.MustCompile(`^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?(\.[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)*$`)
)

// reservedPaths are the first segments of Herald's own addresses, which a
// page's path may not take.
var reservedPaths = []string{"admin", "api", "static", "badges", "feeds", "incidents", "maintenance", "history",
	"components", "subscribe", "manage", "unsubscribe", "lookup", "widget", "widget.js", "widget.css", "robots.txt",
	"metrics", "healthz", "readyz", "history.atom", "history.rss", "maintenance.ics", "login", "logout", "private", "heartbeat"}

// pages checks the pages: list; it runs after groups (it names them).
func (v *validator) pages(c *Config) {
	groups := map[string]bool{}
	for _, g := range c.Groups {
		groups[g.ID] = true
	}
	ids, hosts, paths := map[string]bool{}, map[string]bool{}, map[string]bool{}
	public := map[string]string{} // group -> a public entry showing it
	for i := range c.Pages {
		p := &c.Pages[i]
		at := fmt.Sprintf("pages[%d]", i)
		v.brand(at, &p.Page)
		label := p.ID
		if label == "" {
			label = fmt.Sprintf("#%d", i+1)
		}
		if v.id(at+".id", "page", p.ID) {
			if ids[p.ID] {
				v.addf(at+".id", "page id %q is used twice", p.ID)
			}
			ids[p.ID] = true
		}
		if strings.TrimSpace(p.Title) == "" {
			v.addf(at+".title", "page %s: title is required", label)
		}
		if p.Zone == "" {
			p.Zone = c.Page.Zone
		}
		if p.FrontBars == nil {
			p.FrontBars = c.Page.FrontBars
		} else {
			v.frontBars(at+".front_bars", fmt.Sprintf("page %s: front_bars", label), p.FrontBars)
		}
		if loc, err := time.LoadLocation(p.Zone); err != nil || p.Zone == "Local" {
			v.addf(at+".zone", "page %s: zone %q is not a known time zone (want an IANA name such as America/Los_Angeles)", label, p.Zone)
		} else {
			p.loc = loc
		}
		if p.URL != "" {
			if msg := checkHTTPURL(p.URL, "http", "https"); msg != "" {
				v.addf(at+".url", "page %s: url %q %s", label, p.URL, msg)
			}
		}
		v.pageAddress(at, label, p, hosts, paths)
		if len(p.Groups) == 0 {
			v.addf(at+".groups", "page %s: groups is required (the groups the page shows)", label)
		}
		for gi, g := range p.Groups {
			switch {
			case !groups[g]:
				v.addf(fmt.Sprintf("%s.groups[%d]", at, gi), "page %s: no group %q is configured", label, g)
			case slices.Index(p.Groups, g) != gi:
				v.addf(fmt.Sprintf("%s.groups[%d]", at, gi), "page %s: group %q is listed twice", label, g)
			case p.Private == nil:
				public[g] = p.ID
			}
		}
		if p.EmailFrom != "" {
			if _, err := mail.ParseAddress(p.EmailFrom); err != nil {
				v.addf(at+".email_from", "page %s: email_from %q is not an e-mail address (write it like \"Reseller Status <status@reseller.example>\")", label, p.EmailFrom)
			}
		}
		if p.Private != nil {
			v.private(at+".private", label, p.Private)
			if p.Private.Customers && p.URL == "" && p.Host == "" && c.Page.URL == "" {
				// The mailed link must lead to the page, not to whatever
				// host a request named.
				v.addf(at+".private.customers", "page %s: customers sign in by a mailed link, which needs the page's url (or page.url)", label)
			}
		}
	}
	v.mirrorFolders(c)
	// A private page's servers are shown nowhere else: page: shows every
	// group not on a private page, and a public entry may not list one.
	for i, p := range c.Pages {
		if p.Private == nil {
			continue
		}
		for gi, g := range p.Groups {
			if other, ok := public[g]; ok {
				v.addf(fmt.Sprintf("pages[%d].groups[%d]", i, gi),
					"page %s is private, but its group %q is also on the public page %s; a private page's groups are shown on no public page", p.ID, g, other)
			}
		}
	}
}

func (v *validator) pageAddress(at, label string, p *PageEntry, hosts, paths map[string]bool) {
	switch {
	case p.Host == "" && p.Path == "":
		v.addf(at, "page %s: give host (a host name such as status.reseller.example) or path (such as /reseller)", label)
	case p.Host != "" && p.Path != "":
		v.addf(at+".path", "page %s: give host or path, not both", label)
	case p.Host != "":
		h := p.Host
		if _, _, err := net.SplitHostPort(h); err == nil || !hostName.MatchString(h) {
			v.addf(at+".host", "page %s: host %q must be a lower-case host name without a port or scheme, such as status.reseller.example", label, h)
		} else if hosts[h] {
			v.addf(at+".host", "page %s: host %q is used by another page", label, h)
		}
		hosts[h] = true
	default:
		switch {
		case !pagePath.MatchString(p.Path):
			v.addf(at+".path", "page %s: path %q must be one segment such as /reseller (a-z, 0-9, \"-\" and \"_\", no trailing slash)", label, p.Path)
		case slices.Contains(reservedPaths, p.Path[1:]):
			v.addf(at+".path", "page %s: path %q is one of Herald's own addresses; choose another", label, p.Path)
		case paths[p.Path]:
			v.addf(at+".path", "page %s: path %q is used by another page", label, p.Path)
		}
		paths[p.Path] = true
	}
}

// mirrorFolders checks where each public page's copy goes in a mirror
// target: beside page:'s files, so in no folder of Herald's own and in no
// other page's.
func (v *validator) mirrorFolders(c *Config) {
	taken := map[string]string{}
	for _, p := range c.Pages {
		if p.Path != "" && p.Private == nil {
			taken[p.Path[1:]] = p.ID
		}
	}
	for i, p := range c.Pages {
		at := fmt.Sprintf("pages[%d]", i)
		if p.Mirror != "" {
			switch {
			case p.Private != nil:
				v.addf(at+".mirror", "page %s: a private page is never mirrored; remove mirror", p.ID)
				continue
			case p.Path != "":
				v.addf(at+".mirror", "page %s: a path page's copy is under its path (%s); mirror is for host pages", p.ID, p.Path)
				continue
			}
			at += ".mirror"
		} else {
			at += ".host"
		}
		if p.Host == "" || p.Path != "" || p.Private != nil || p.Mirror == "" && !hostName.MatchString(p.Host) {
			continue // not a public host page, or its address is refused already
		}
		f := p.MirrorFolder()
		switch {
		case !mirrorFolder.MatchString(f):
			v.addf(at, "page %s: mirror %q must be one folder name (a-z, 0-9, \".\", \"-\" and \"_\")", p.ID, f)
		case slices.Contains(reservedPaths, f) || f == "index.html" || f == "404.html":
			v.addf(at, "page %s: its copy in a mirror would be the folder %q, one of Herald's own; set mirror to another folder", p.ID, f)
		case taken[f] != "":
			v.addf(at, "page %s: its copy in a mirror would be the folder %q, which page %s's copy takes; set mirror to another folder", p.ID, f, taken[f])
		default:
			taken[f] = p.ID
		}
	}
}

func (v *validator) private(at, label string, p *Private) {
	if p.PasswordHash != "" && !strings.HasPrefix(p.PasswordHash, "$argon2id$") {
		v.addf(at+".password_hash", "page %s: password_hash must be an argon2id hash ($argon2id$...), not the password itself", label)
	}
	switch {
	case p.KeyEnv == "":
		v.addf(at+".key_env", "page %s: private needs key_env, the environment variable holding the key that signs its links and sessions", label)
	case !envName.MatchString(p.KeyEnv):
		v.addf(at+".key_env", "page %s: key_env %q is not an environment variable name", label, p.KeyEnv)
	}
	if p.Session < 0 || p.Session.D() > 30*24*time.Hour {
		v.addf(at+".session", "page %s: session must be between 0s (the default, 12h) and 720h, not %s", label, p.Session.D())
	}
}
