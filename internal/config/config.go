// Package config reads, checks and describes Herald's YAML configuration.
//
// A Config is a plain value: Load returns one, the server passes it down, and a
// reload swaps it whole. Nothing here is global.
package config

import (
	"github.com/heraldhq/herald/internal/locale"
	"net/netip"
	"strings"
	"time"
)

// Config is the whole configuration file.
type Config struct {
	Page Page `yaml:"page"`
	// Pages are more pages served by the same Herald, each on its own host
	// name or path (pages.go); page: is served to requests matching none.
	Pages     []PageEntry `yaml:"pages"`
	Incidents Incidents   `yaml:"incidents"`
	Groups    []Group     `yaml:"groups"`
	Notify    Notify      `yaml:"notify"`
	Channels  []Channel   `yaml:"channels"`
	// IncidentTemplates are named starting points for incidents and their
	// updates, offered in the admin and usable from the API and CLI. They add
	// to (and by name replace) the built-in ones.
	IncidentTemplates []IncidentTemplate `yaml:"incident_templates"`
	// Maintenance holds settings for maintenance windows.
	Maintenance MaintenanceSettings `yaml:"maintenance"`
	// Monitoring holds settings for check results.
	Monitoring MonitoringSettings `yaml:"monitoring"`
	// Server holds how Herald meets the network: its proxies, its metrics.
	Server Server `yaml:"server"`
	// Agents holds what probe agents check besides their monitors.
	Agents Agents `yaml:"agents"`
	// Admin holds how operators sign in: single sign-on, second factors.
	Admin AdminSettings `yaml:"admin"`

	// loc is Page.Zone as loaded by Parse, kept so that pages rendering
	// thousands of times need not load the zone each time.
	loc *time.Location
	// warnings are what Parse took but changed (Warnings).
	warnings Errors
	// parents is every component's transitive parents (depends_on), built
	// by Parse once the declarations are checked; see Parents.
	parents map[string][]string
}

// Warnings are what the file asked for and Herald changed to make it work
// (an accent colour made readable), one FILE:LINE: warning: line each, for
// check-config and the server's log.
func (c Config) Warnings() []Problem { return c.warnings }

// IncidentTemplate is a named starting point for an incident or an update:
// what is given fills what the operator leaves out.
type IncidentTemplate struct {
	Name  string `yaml:"name"`  // the key: lower-case letters, digits, '-' and '_'
	Label string `yaml:"label"` // on the button; default the name
	Title string `yaml:"title"` // for a new incident
	// Status is investigating, identified, monitoring or resolved; default investigating.
	Status string `yaml:"status"`
	// Impact is none, minor, major or critical; empty: from the components.
	Impact string `yaml:"impact"`
	Body   string `yaml:"body"` // Markdown; required
	// Components are component ids and their status (flexo/web: major_outage).
	Components map[string]string `yaml:"components"`
}

// Page describes the public status page.
type Page struct {
	Title string `yaml:"title"`
	// URL is the page's public address, used in links, feeds and e-mail.
	URL string `yaml:"url"`
	// Zone is an IANA time zone name; times are shown in it ("Pacific time").
	Zone string `yaml:"zone"`
	// Description is an optional line under the title.
	Description string `yaml:"description"`

	// The provider's brand (brand.go; README "Your brand"). Files are read
	// when the configuration is loaded, paths relative to its file.
	Logo *Logo `yaml:"logo"`
	// Accent is the colour of links and focus rings, as #rrggbb, in the
	// light scheme; AccentDark in the dark one (default: Accent made
	// readable there).
	Accent     string `yaml:"accent"`
	AccentDark string `yaml:"accent_dark"`
	// AccentContrast says what happens to an accent below 4.5:1 against
	// the page's backgrounds: "adjust" (the default) or "strict" (refused).
	AccentContrast string       `yaml:"accent_contrast"`
	Favicon        string       `yaml:"favicon"` // PNG, ICO, SVG or WebP
	Footer         []FooterLink `yaml:"footer"`
	CSS            string       `yaml:"css"` // a stylesheet served after Herald's own
	// Language is the language of the page's interface and of Herald's
	// drafted texts: en (the default), de or es. Operators' own texts are
	// shown as written.
	Language string `yaml:"language"`
	// FrontBars is how many components the front page may show and still
	// draw each one's 90 days of uptime bars (FrontBarsLimit): above it,
	// each row has the 90-day figure and links to the component's page,
	// which has the bars. 0 never draws them; unset is 100, and an entry
	// of pages: without it takes page:'s.
	FrontBars *int `yaml:"front_bars"`

	// brand is what the brand's keys loaded: nil without any.
	brand *Brand
}

// Logo is the page's logo, for the light scheme and optionally the dark one.
type Logo struct {
	Light string `yaml:"light"`
	Dark  string `yaml:"dark"`
	// Alt is what the logo says, for those who cannot see it; empty when it
	// only repeats the title shown beside it.
	Alt string `yaml:"alt"`
}

// FooterLink is a link the page's footer carries.
type FooterLink struct {
	Text string `yaml:"text"`
	URL  string `yaml:"url"`
}

// Lang is the page's language (English when none is set).
func (p Page) Lang() locale.Lang {
	l, err := locale.Parse(p.Language)
	if err != nil {
		return locale.English
	}
	return l
}

// DefaultFrontBars is how many components a front page may show with
// their uptime bars when page.front_bars is not set.
const DefaultFrontBars = 100

// FrontBarsLimit is how many components the front page may show and still
// draw their uptime bars (page.front_bars, else DefaultFrontBars).
func (p Page) FrontBarsLimit() int {
	if p.FrontBars == nil {
		return DefaultFrontBars
	}
	return *p.FrontBars
}

// FrontBarsFor reports whether a front page showing n components draws
// their uptime bars.
func (p Page) FrontBarsFor(n int) bool { return n <= p.FrontBarsLimit() }

// Incidents holds the policy for incidents Herald opens by itself.
type Incidents struct {
	// Auto is what a measured outage opens: "publish", "draft" or "off".
	Auto string `yaml:"auto"`
	// NetworkWindow is how close together outages on most servers must
	// start to be told as one network incident; default 2m.
	NetworkWindow Duration `yaml:"network_window"`
	// Hold is how long a lone server's outage waits, after it is detected,
	// before its incident is published or anyone is told, so that servers
	// failing together are told as one network incident from its first
	// word. Absent: the longest monitor interval plus its timeout (HoldFor).
	Hold Duration `yaml:"hold"`
}

// SettleFor is how long after a moment the monitors may still learn of an
// outage that began before it: the longest down_after intervals plus the
// timeout of any monitor (the failures that cross the threshold, the last one
// hanging until its timeout). A maintenance window's completion waits this
// long before reporting the downtime measured in it (maintenance.settle
// sets another wait).
func (c Config) SettleFor() time.Duration {
	if c.Maintenance.Settle > 0 {
		return c.Maintenance.Settle.D()
	}
	var settle time.Duration
	for _, g := range c.Groups {
		for _, cp := range g.Components {
			for _, m := range cp.Monitors {
				settle = max(settle, time.Duration(max(m.DownAfter, 1))*m.Interval.D()+m.Timeout.D())
			}
		}
	}
	return settle
}

// HoldFor is the hold the automatic incidents use: incidents.hold when set,
// else the longest round (LongestRound). Monitors are spread over their
// interval, so when every server fails at once each is detected within one
// interval of the first, and a hanging one a timeout later still; after that,
// whoever failed together is known.
func (c Config) HoldFor() time.Duration {
	if c.Incidents.Hold > 0 {
		return c.Incidents.Hold.D()
	}
	return c.LongestRound()
}

// LongestRound is the longest interval plus timeout of any monitor (the
// defaults' when there is none): within it, every monitor has been checked
// once, since monitors are spread over their interval.
func (c Config) LongestRound() time.Duration {
	round := defaultInterval + defaultTimeout
	found := false
	for _, g := range c.Groups {
		for _, cp := range g.Components {
			for _, m := range cp.Monitors {
				d := m.Interval.D() + m.Timeout.D()
				if !found || d > round {
					round, found = d, true
				}
			}
		}
	}
	return round
}

// Auto policies.
const (
	AutoPublish = "publish"
	AutoDraft   = "draft"
	AutoOff     = "off"
)

// Group is a set of components, usually one server.
type Group struct {
	ID          string      `yaml:"id"`
	Name        string      `yaml:"name"`
	Description string      `yaml:"description"`
	Components  []Component `yaml:"components"`
	// DependsOn names what every component of the group needs to work:
	// group ids ("router": any of its components) or component ids
	// ("nas/nfs"). See depends.go.
	DependsOn []string `yaml:"depends_on"`
}

// Component is something with a status. Its full id is GROUP/ID.
type Component struct {
	ID          string    `yaml:"id"`
	Name        string    `yaml:"name"`
	Description string    `yaml:"description"`
	Monitors    []Monitor `yaml:"monitors"`
	// DependsOn is what this component needs besides its group's DependsOn.
	DependsOn []string `yaml:"depends_on"`
}

// Monitor is a probe attached to one component.
type Monitor struct {
	// Type is one of http, https, tcp, smtp, imap, pop3, dns, icmp, tls, heartbeat.
	Type string `yaml:"type"`
	// Name optionally tells monitors of one component apart; defaults to the type.
	Name string `yaml:"name"`
	// URL is the target of http and https monitors.
	URL string `yaml:"url"`
	// Address is HOST:PORT for tcp, smtp, imap, pop3, tls; HOST for icmp;
	// the DNS server's HOST:PORT for dns.
	Address string `yaml:"address"`

	Interval  Duration `yaml:"interval"`   // default 30s
	Timeout   Duration `yaml:"timeout"`    // default 10s, must be less than interval
	DownAfter int      `yaml:"down_after"` // consecutive failures before down; default 2
	UpAfter   int      `yaml:"up_after"`   // consecutive successes before up; default 1

	// http
	ExpectStatus []int  `yaml:"expect_status"` // default 200-399
	BodyContains string `yaml:"body_contains"`
	BodyMatches  string `yaml:"body_matches"` // a Go regular expression
	// DegradedOver marks a check slower than this as degraded rather than
	// up. Every type but heartbeat takes it: a slow SMTP banner is as much
	// news to customers as a slow web page.
	DegradedOver Duration `yaml:"degraded_over"`
	// tls, https: warn when the certificate expires within this many days.
	CertExpiryDays int `yaml:"cert_expiry_days"` // default 14

	// dns
	Query  string   `yaml:"query"`  // the name to resolve
	Record string   `yaml:"record"` // A, AAAA, CNAME, MX, TXT, NS; default A
	Expect []string `yaml:"expect"` // answers that must be present

	// heartbeat: silence longer than Period is a failure.
	Period Duration `yaml:"period"`
	// Token names the heartbeat URL /api/v1/heartbeat/{token}; give it via TokenEnv in production.
	TokenEnv string `yaml:"token_env"`

	// Locations names the places (herald agent --location) that check this
	// monitor; without it the server checks it itself. See locations.go.
	Locations []string `yaml:"locations"`
	// Quorum is how many of the reporting locations must see the monitor
	// failing for it to be down: majority (the default), any, all or a number.
	Quorum string `yaml:"quorum"`
}

// Notify configures how customers are told.
type Notify struct {
	Email *Email `yaml:"email"`
}

// Email is the SMTP relay Herald sends through.
type Email struct {
	SMTP        string `yaml:"smtp"` // HOST:PORT
	From        string `yaml:"from"`
	TLS         string `yaml:"tls"` // none, starttls, tls; default starttls
	Username    string `yaml:"username"`
	PasswordEnv string `yaml:"password_env"`
	// RatePerSecond caps sending; 0 means the default (10/s).
	RatePerSecond float64 `yaml:"rate_per_second"`
	// Connections is how many connections to the relay send at once;
	// 0 means the default (8). Read when herald starts.
	Connections int `yaml:"connections"`
}

// Channel is an operator alert channel for monitor events, apart from customer notices.
type Channel struct {
	Name string `yaml:"name"`
	// Type is one of ChannelTypes.
	Type string   `yaml:"type"`
	To   []string `yaml:"to"`  // email
	URL  string   `yaml:"url"` // webhook, slack, discord, teams, ntfy, gotify, matrix; telegram and pagerduty: the API's address, when not the public one
	// SecretEnv names the environment variable holding a webhook's signing secret.
	SecretEnv string `yaml:"secret_env"`
	// TokenEnv names the environment variable holding the service's token:
	// Telegram's bot token, ntfy's access token (optional), Gotify's
	// application token, Matrix's access token.
	TokenEnv string `yaml:"token_env"`
	// RoutingKeyEnv names the environment variable holding a PagerDuty
	// integration's routing key.
	RoutingKeyEnv string `yaml:"routing_key_env"`
	// ChatID is the Telegram chat the bot writes to.
	ChatID string `yaml:"chat_id"`
	// Room is the Matrix room ("!abc:example.org") the alerts go to.
	Room string `yaml:"room"`
	// Repeat, when set, sends an open incident's alert again every Repeat
	// until it is resolved.
	Repeat Duration `yaml:"repeat"`
}

// ChannelTypes are the kinds of operator channel, in the order errors list them.
var ChannelTypes = []string{"email", "webhook", "slack", "discord", "teams", "telegram", "ntfy", "gotify", "matrix", "pagerduty"}

// Default API addresses of the services whose address is usually the public one.
const (
	TelegramAPI  = "https://api.telegram.org"
	PagerDutyAPI = "https://events.pagerduty.com/v2/enqueue"
)

// MaintenanceSettings configures maintenance windows.
type MaintenanceSettings struct {
	// Reminders are how long before a window customers are reminded; default 24h and 1h.
	Reminders []Duration `yaml:"reminders"`
	// ExcludeFromUptime, when true, leaves downtime inside maintenance out of uptime figures.
	ExcludeFromUptime bool `yaml:"exclude_from_uptime"`
	// Settle is how long a window's completion waits after its end for the
	// monitors to measure its last minutes; absent: SettleFor's rule.
	Settle Duration `yaml:"settle"`
	// Ahead is how long before its start each occurrence of recurring
	// maintenance becomes a window and is announced; 0: the default, 14
	// days (service.DefaultAhead). A series' next occurrence is made
	// whatever this says.
	Ahead Duration `yaml:"ahead"`
	// Recurring is maintenance that repeats (see recurring.go).
	Recurring []Recurring `yaml:"recurring"`
}

// MonitoringSettings configures how long check results are kept.
type MonitoringSettings struct {
	// RawResultsDays is how many days each check's result is kept; older
	// ones are rolled up per hour and per day. Default 14. Outages are kept
	// for ever whatever this says.
	RawResultsDays int `yaml:"raw_results_days"`
}

// Server configures what Herald trusts of the network in front of it.
type Server struct {
	// TrustedProxies are the CIDRs of the reverse proxies in front of
	// Herald ("127.0.0.1/32", "::1/128"). Only a connection from one of them
	// may name the client in X-Forwarded-For or Forwarded; the client is the
	// rightmost address there that is not a trusted proxy. Empty: nobody is
	// trusted and the client is the connection's address.
	TrustedProxies []string `yaml:"trusted_proxies"`
	// MetricsTokenEnv names the environment variable holding the bearer
	// token /metrics asks for. Unset (and no --metrics-listen), /metrics
	// answers only requests made on this machine straight to Herald.
	MetricsTokenEnv string `yaml:"metrics_token_env"`

	// proxies is TrustedProxies as parsed by Parse.
	proxies []netip.Prefix
}

// Proxies is TrustedProxies parsed. A Server built by hand (not by Parse)
// has its entries parsed here; ones that do not parse are left out.
func (s Server) Proxies() []netip.Prefix {
	if s.proxies != nil || len(s.TrustedProxies) == 0 {
		return s.proxies
	}
	var out []netip.Prefix
	for _, t := range s.TrustedProxies {
		if p, err := parseProxy(t); err == nil {
			out = append(out, p)
		}
	}
	return out
}

// parseProxy reads a CIDR, or a bare address as its own /32 or /128.
func parseProxy(s string) (netip.Prefix, error) {
	s = strings.TrimSpace(s)
	if !strings.Contains(s, "/") {
		a, err := netip.ParseAddr(s)
		if err != nil {
			return netip.Prefix{}, err
		}
		return netip.PrefixFrom(a, a.BitLen()), nil
	}
	p, err := netip.ParsePrefix(s)
	if err != nil {
		return netip.Prefix{}, err
	}
	return p.Masked(), nil
}

// Duration is a time.Duration written in YAML as "30s", "5m", "1h30m".
type Duration time.Duration

// D returns the value as a time.Duration.
func (d Duration) D() time.Duration { return time.Duration(d) }

// MonitorID names a configured monitor: its component's id and its name
// (its type by default), "flexo/web/http".
func MonitorID(groupID, componentID string, m Monitor) string {
	name := m.Name
	if name == "" {
		name = m.Type
	}
	return groupID + "/" + componentID + "/" + name
}

// ComponentIDs lists every component as "group/id", in file order.
func (c Config) ComponentIDs() []string {
	var ids []string
	for _, g := range c.Groups {
		for _, cp := range g.Components {
			ids = append(ids, g.ID+"/"+cp.ID)
		}
	}
	return ids
}

// Component finds a component by its full id, "group/id".
func (c Config) Component(id string) (Group, Component, bool) {
	gid, cid, ok := strings.Cut(id, "/")
	if !ok {
		return Group{}, Component{}, false
	}
	for _, g := range c.Groups {
		if g.ID != gid {
			continue
		}
		for _, cp := range g.Components {
			if cp.ID == cid {
				return g, cp, true
			}
		}
	}
	return Group{}, Component{}, false
}

// Location is the page's time zone. It is never nil, so callers can format
// times without a check; a Config built by hand with a bad zone gets UTC.
func (c Config) Location() *time.Location {
	if c.loc != nil {
		return c.loc
	}
	if c.Page.Zone != "" {
		if loc, err := time.LoadLocation(c.Page.Zone); err == nil {
			return loc
		}
	}
	return time.UTC
}

// ZoneName is how pages name a zone: "Pacific time", "Berlin time", "UTC".
// Customers of a US provider know their zones by region, not by city.
func ZoneName(loc *time.Location) string {
	if loc == nil {
		return "UTC"
	}
	name := loc.String()
	switch name {
	case "America/Los_Angeles":
		return "Pacific time"
	case "America/Denver", "America/Phoenix":
		return "Mountain time"
	case "America/Chicago":
		return "Central time"
	case "America/New_York":
		return "Eastern time"
	case "UTC", "Etc/UTC", "":
		return "UTC"
	}
	if i := strings.LastIndex(name, "/"); i >= 0 {
		name = name[i+1:]
	}
	return strings.ReplaceAll(name, "_", " ") + " time"
}
