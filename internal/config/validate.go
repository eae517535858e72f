package config

import (
	"fmt"
	"github.com/heraldhq/herald/internal/locale"
	"github.com/heraldhq/herald/internal/status"
	"net"
	"net/mail"
	"net/netip"
	"net/url"
	"reflect"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	// Embedded so page.zone loads on a machine without /usr/share/zoneinfo
	// (a scratch container), where every zone but UTC would fail.
	_ "time/tzdata"
)

// Defaults, named so the rules below and their messages agree.
const (
	defaultInterval       = 30 * time.Second
	defaultTimeout        = 10 * time.Second
	defaultDownAfter      = 2
	defaultNetworkWindow  = 2 * time.Minute
	defaultRawResultsDays = 14
	defaultUpAfter        = 1
	defaultCertExpiryDays = 14
	defaultRecord         = "A"
	defaultEmailTLS       = "starttls"
	defaultRatePerSecond  = 10
	defaultConnections    = 8
	maxConnections        = 100
)

// applyDefaults fills in what the file left out. Text is defaulted when
// empty. Numbers and durations are defaulted only when their key is absent
// (has reports presence by path), because a written 0 is either meaningful
// (cert_expiry_days: 0 turns the warning off) or a mistake the operator
// should hear about (timeout: 0s), never a request for the default.
func applyDefaults(c *Config, has func(path string) bool) {
	if c.Incidents.Auto == "" && !has("incidents.auto") {
		c.Incidents.Auto = AutoDraft
	}
	if c.Monitoring.RawResultsDays == 0 && !has("monitoring.raw_results_days") {
		c.Monitoring.RawResultsDays = defaultRawResultsDays
	}
	if c.Incidents.NetworkWindow == 0 && !has("incidents.network_window") {
		c.Incidents.NetworkWindow = Duration(defaultNetworkWindow)
	}
	if c.Admin.OIDC != nil {
		c.Admin.OIDC.defaults()
	}
	kinds := monitorKinds()
	for gi := range c.Groups {
		g := &c.Groups[gi]
		if g.Name == "" {
			g.Name = g.ID
		}
		for ci := range g.Components {
			cp := &g.Components[ci]
			for mi := range cp.Monitors {
				monitorDefaults(&cp.Monitors[mi], fmt.Sprintf("groups[%d].components[%d].monitors[%d].", gi, ci, mi), has, kinds)
			}
		}
	}
	for i := range c.Agents.References {
		monitorDefaults(&c.Agents.References[i], fmt.Sprintf("agents.references[%d].", i), has, kinds)
	}
	for li := range c.Agents.Locations {
		for i := range c.Agents.Locations[li].References {
			monitorDefaults(&c.Agents.Locations[li].References[i], fmt.Sprintf("agents.locations[%d].references[%d].", li, i), has, kinds)
		}
	}
	if e := c.Notify.Email; e != nil {
		if e.TLS == "" {
			e.TLS = defaultEmailTLS
		}
		// Zero is documented as "the default" for the rate, since no
		// rate at all would mean never sending.
		if e.RatePerSecond == 0 {
			e.RatePerSecond = defaultRatePerSecond
		}
		if e.Connections == 0 {
			e.Connections = defaultConnections
		}
	}
	if c.Maintenance.Reminders == nil && !has("maintenance.reminders") {
		c.Maintenance.Reminders = []Duration{Duration(24 * time.Hour), Duration(time.Hour)}
	}
}

// monitorDefaults fills what m leaves out; at is its path ("groups[0]....monitors[1].").
func monitorDefaults(m *Monitor, at string, has func(path string) bool, kinds map[string]monitorKind) {
	unset := func(key string) bool { return !has(at + key) }
	if m.Name == "" {
		m.Name = m.Type
	}
	if m.Interval == 0 && unset("interval") {
		m.Interval = Duration(defaultInterval)
	}
	if m.Timeout == 0 && unset("timeout") {
		m.Timeout = Duration(defaultTimeout)
	}
	if m.DownAfter == 0 && unset("down_after") {
		m.DownAfter = defaultDownAfter
	}
	if m.UpAfter == 0 && unset("up_after") {
		m.UpAfter = defaultUpAfter
	}
	// Type-specific defaults only for the types that take the
	// field, or the field check would reject our own default.
	k := kinds[m.Type]
	if k.takes("cert_expiry_days") && m.CertExpiryDays == 0 && unset("cert_expiry_days") {
		m.CertExpiryDays = defaultCertExpiryDays
	}
	if k.takes("record") && m.Record == "" {
		m.Record = defaultRecord
	}
}

// validator collects problems, each placed on the line of the key at fault.
type validator struct {
	file  string
	pos   positions
	kinds map[string]monitorKind
	check MonitorCheck
	errs  Errors
	// warns are what was taken but changed (an accent made readable).
	warns Errors
}

func (v *validator) warnf(path, format string, a ...any) {
	line, col := v.pos.at(path)
	v.warns = append(v.warns, Problem{File: v.file, Line: line, Column: col, Msg: "warning: " + oneLine(fmt.Sprintf(format, a...))})
}

func (v *validator) addf(path, format string, a ...any) {
	line, col := v.pos.at(path)
	v.errs = append(v.errs, Problem{File: v.file, Line: line, Column: col, Msg: oneLine(fmt.Sprintf(format, a...))})
}

// validate checks a decoded, defaulted Config. It also loads page.zone once
// so that Location need not load it again.
func validate(c *Config, file string, pos positions, check MonitorCheck) Errors {
	v := &validator{file: file, pos: pos, kinds: monitorKinds(), check: check}
	v.page(c)
	if !slices.Contains([]string{AutoPublish, AutoDraft, AutoOff}, c.Incidents.Auto) {
		v.addf("incidents.auto", "incidents.auto %q must be one of publish, draft, off", c.Incidents.Auto)
	}
	if c.Monitoring.RawResultsDays < 1 {
		v.addf("monitoring.raw_results_days", "monitoring.raw_results_days must be at least 1, not %d", c.Monitoring.RawResultsDays)
	}
	if c.Incidents.NetworkWindow <= 0 {
		v.addf("incidents.network_window", "incidents.network_window must be positive (like 2m), not %s", c.Incidents.NetworkWindow.D())
	}
	if c.Incidents.Hold < 0 || c.Incidents.Hold.D() > time.Hour {
		v.addf("incidents.hold", "incidents.hold must be between 0s (the default: the longest monitor interval plus its timeout) and 1h, not %s", c.Incidents.Hold.D())
	}
	if c.Maintenance.Settle < 0 || c.Maintenance.Settle.D() > time.Hour {
		v.addf("maintenance.settle", "maintenance.settle must be between 0s (the default: the longest down_after intervals plus timeout of any monitor) and 1h, not %s", c.Maintenance.Settle.D())
	}
	v.groups(c.Groups)
	v.pages(c)
	v.dependsOn(c)
	if c.Notify.Email != nil {
		v.email(c.Notify.Email)
	}
	v.channels(c.Channels)
	v.templates(c)
	v.server(&c.Server)
	v.agents(c)
	v.admin(c)
	for i, r := range c.Maintenance.Reminders {
		if r <= 0 || r.D() > 30*24*time.Hour {
			v.addf(fmt.Sprintf("maintenance.reminders[%d]", i), "maintenance reminder %s must be more than 0 and at most 30 days (720h)", r)
		}
	}
	v.recurring(c)
	// Rules run section by section; the operator reads the file top down.
	sort.SliceStable(v.errs, func(i, j int) bool { return v.errs[i].Line < v.errs[j].Line })
	c.warnings = v.warns
	return v.errs
}

// server checks the trusted proxies and keeps them parsed.
func (v *validator) server(s *Server) {
	s.proxies = []netip.Prefix{}
	for i, t := range s.TrustedProxies {
		at := fmt.Sprintf("server.trusted_proxies[%d]", i)
		p, err := parseProxy(t)
		switch {
		case err != nil || strings.Contains(t, "%"):
			v.addf(at, "server.trusted_proxies: %q is not a CIDR (like 127.0.0.1/32 or ::1/128) or an IP address", t)
		case p.Bits() == 0:
			v.addf(at, "server.trusted_proxies: %q trusts every address, so any client could name its own address; list your proxies' addresses", t)
		case p.Addr() != mustPrefix(t).Addr():
			v.addf(at, "server.trusted_proxies: %q has bits set past the prefix length; did you mean %s?", t, p)
		default:
			s.proxies = append(s.proxies, p)
		}
	}
	if s.MetricsTokenEnv != "" && !envName.MatchString(s.MetricsTokenEnv) {
		v.addf("server.metrics_token_env", "server.metrics_token_env %q must be the name of an environment variable (A-Z, 0-9 and _)", s.MetricsTokenEnv)
	}
}

var envName = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`)

// mustPrefix is t's prefix before masking (parseProxy has read it already).
func mustPrefix(t string) netip.Prefix {
	t = strings.TrimSpace(t)
	if p, err := netip.ParsePrefix(t); err == nil {
		return p
	}
	a, _ := netip.ParseAddr(t)
	return netip.PrefixFrom(a, a.BitLen())
}

func (v *validator) page(c *Config) {
	p := c.Page
	if strings.TrimSpace(p.Title) == "" {
		v.addf("page.title", "page.title is required")
	}
	switch loc, err := time.LoadLocation(p.Zone); {
	case p.Zone == "":
		// LoadLocation("") is UTC; an unset zone is more likely an
		// oversight than a wish for UTC, which can be written out.
		v.addf("page.zone", "page.zone is required (an IANA zone such as America/Los_Angeles, or UTC)")
	case err != nil || p.Zone == "Local":
		// "Local" is whatever the server's clock is set to, so the page
		// would change with the machine it runs on.
		v.addf("page.zone", "page.zone %q is not a known time zone (want an IANA name such as America/Los_Angeles)", p.Zone)
	default:
		c.loc = loc
	}
	if p.URL != "" {
		if msg := checkHTTPURL(p.URL, "http", "https"); msg != "" {
			v.addf("page.url", "page.url %q %s", p.URL, msg)
		}
	}
	v.brand("page", &c.Page)
	if _, err := locale.Parse(p.Language); err != nil {
		v.addf("page.language", "page.language %q is not a language Herald writes (want en, de or es)", p.Language)
	}
	v.frontBars("page.front_bars", "page.front_bars", p.FrontBars)
}

// frontBars checks a front_bars setting: a count of components.
func (v *validator) frontBars(at, name string, n *int) {
	if n != nil && *n < 0 {
		v.addf(at, "%s %d must be 0 (never draw the uptime bars on the front page) or more (the most components shown with their bars)", name, *n)
	}
}

var idPattern = regexp.MustCompile(`^[a-z0-9][a-z0-9_-]{0,62}$`)

func (v *validator) id(path, what, id string) bool {
	switch {
	case id == "":
		v.addf(path, "%s id is required", what)
	case !idPattern.MatchString(id):
		v.addf(path, "%s id %q must be 1 to 63 of a-z, 0-9, \"-\" and \"_\", starting with a letter or digit", what, id)
	default:
		return true
	}
	return false
}

func (v *validator) groups(groups []Group) {
	if len(groups) == 0 {
		v.addf("groups", "at least one group is required")
		return
	}
	firstLine := map[string]int{}
	for gi, g := range groups {
		at := fmt.Sprintf("groups[%d]", gi)
		label := g.ID
		if label == "" {
			label = fmt.Sprintf("#%d", gi+1)
		}
		if v.id(at+".id", "group", g.ID) {
			if g.ID == "status" {
				// /badges/status.svg is the whole page's badge.
				v.addf(at+".id", "group id %q is taken: /badges/status.svg is the whole page's badge; choose another", g.ID)
			} else if l, dup := firstLine[g.ID]; dup {
				v.addf(at+".id", "group id %q is used twice (first on line %d)", g.ID, l)
			} else {
				firstLine[g.ID] = v.pos.line(at + ".id")
			}
		}
		if len(g.Components) == 0 {
			v.addf(at+".components", "group %s: at least one component is required", label)
		}
		v.components(at, g)
	}
}

func (v *validator) components(at string, g Group) {
	firstLine := map[string]int{}
	for ci, cp := range g.Components {
		cat := fmt.Sprintf("%s.components[%d]", at, ci)
		full := g.ID + "/" + cp.ID
		if v.id(cat+".id", "component", cp.ID) {
			if l, dup := firstLine[cp.ID]; dup {
				v.addf(cat+".id", "component id %q is used twice in group %s (first on line %d)", cp.ID, g.ID, l)
			} else {
				firstLine[cp.ID] = v.pos.line(cat + ".id")
			}
		}
		if strings.TrimSpace(cp.Name) == "" {
			v.addf(cat+".name", "component %s: name is required", full)
		}
		names := map[string]int{}
		for mi, m := range cp.Monitors {
			mat := fmt.Sprintf("%s.monitors[%d]", cat, mi)
			label := full + "/" + m.Name
			if m.Name == "" {
				label = fmt.Sprintf("%s/#%d", full, mi+1)
			} else if l, dup := names[m.Name]; dup {
				v.addf(mat, "monitor %s: name %q is used twice in component %s (first on line %d); give monitors of one type their own names", label, m.Name, full, l)
			} else {
				names[m.Name] = v.pos.line(mat)
			}
			before := len(v.errs)
			v.monitor(mat, label, m)
			// The further check only sees a monitor that passed the rules
			// here, so one mistake is not reported twice in two wordings.
			if v.check != nil && len(v.errs) == before {
				if err := v.check(m); err != nil {
					v.addf(mat, "monitor %s: %v", label, err)
				}
			}
		}
	}
}

// monitorKind says what a monitor type takes beyond the fields every
// monitor has, and checks the type's own rules.
type monitorKind struct {
	fields []string
	check  func(v *validator, at, label string, m Monitor)
}

func (k monitorKind) takes(field string) bool { return slices.Contains(k.fields, field) }

// monitorKinds is built per call rather than held in a package variable, so
// nothing can change it under a running server.
func monitorKinds() map[string]monitorKind {
	httpFields := []string{"url", "expect_status", "body_contains", "body_matches", "degraded_over", "cert_expiry_days"}
	hostPort := []string{"address", "degraded_over"}
	return map[string]monitorKind{
		"http":      {httpFields, checkHTTPMonitor("http", "https")},
		"https":     {httpFields, checkHTTPMonitor("https")},
		"tcp":       {hostPort, checkHostPortMonitor},
		"smtp":      {hostPort, checkHostPortMonitor},
		"imap":      {hostPort, checkHostPortMonitor},
		"pop3":      {hostPort, checkHostPortMonitor},
		"tls":       {append(slices.Clone(hostPort), "cert_expiry_days"), checkHostPortMonitor},
		"icmp":      {[]string{"address", "degraded_over"}, checkICMPMonitor},
		"dns":       {[]string{"address", "query", "record", "expect", "degraded_over"}, checkDNSMonitor},
		"heartbeat": {[]string{"period", "token_env"}, checkHeartbeatMonitor},
	}
}

func (v *validator) monitor(at, label string, m Monitor) {
	kind, known := v.kinds[m.Type]
	switch {
	case m.Type == "":
		v.addf(at+".type", "monitor %s: type is required (one of %s)", label, strings.Join(sortedKeys(v.kinds), ", "))
	case !known:
		v.addf(at+".type", "monitor %s: type %q is not one of %s", label, m.Type, strings.Join(sortedKeys(v.kinds), ", "))
	default:
		v.monitorFields(at, label, m, kind)
		kind.check(v, at, label, m)
	}
	v.monitorTiming(at, label, m)
	v.monitorLocations(at, label, m)
}

// monitorFields rejects fields that mean nothing for the type: a url on a
// tcp monitor is a sign the operator meant another type, and ignoring it
// would probe something other than what they wrote.
func (v *validator) monitorFields(at, label string, m Monitor, kind monitorKind) {
	common := []string{"type", "name", "interval", "timeout", "down_after", "up_after", "locations", "quorum"}
	rv := reflect.ValueOf(m)
	rt := rv.Type()
	for i := range rt.NumField() {
		key, _, _ := strings.Cut(rt.Field(i).Tag.Get("yaml"), ",")
		if key == "" || key == "-" || slices.Contains(common, key) || kind.takes(key) {
			continue
		}
		if v.pos.has(at+"."+key) || !rv.Field(i).IsZero() {
			v.addf(at+"."+key, "monitor %s: %s does not apply to %s monitors", label, key, m.Type)
		}
	}
}

func (v *validator) monitorTiming(at, label string, m Monitor) {
	switch {
	case m.Interval.D() < time.Second:
		v.addf(at+".interval", "monitor %s: interval %s must be at least 1s", label, m.Interval)
	case m.Interval.D() > 24*time.Hour:
		v.addf(at+".interval", "monitor %s: interval %s must be at most 24h", label, m.Interval)
	}
	switch {
	case m.Timeout <= 0:
		v.addf(at+".timeout", "monitor %s: timeout must be more than 0", label)
	case m.Timeout >= m.Interval && m.Interval > 0:
		written := ""
		if !v.pos.has(at + ".timeout") {
			written = "the default "
		}
		v.addf(at+".timeout", "monitor %s: timeout (%s%s) must be less than interval (%s)", label, written, m.Timeout, m.Interval)
	}
	if m.DownAfter < 1 || m.DownAfter > 100 {
		v.addf(at+".down_after", "monitor %s: down_after %d must be from 1 to 100", label, m.DownAfter)
	}
	if m.UpAfter < 1 || m.UpAfter > 100 {
		v.addf(at+".up_after", "monitor %s: up_after %d must be from 1 to 100", label, m.UpAfter)
	}
	if m.DegradedOver > 0 && m.DegradedOver >= m.Timeout && m.Timeout > 0 {
		v.addf(at+".degraded_over", "monitor %s: degraded_over (%s) must be less than timeout (%s)", label, m.DegradedOver, m.Timeout)
	}
	if m.CertExpiryDays < 0 || m.CertExpiryDays > 3650 {
		v.addf(at+".cert_expiry_days", "monitor %s: cert_expiry_days %d must be from 0 to 3650", label, m.CertExpiryDays)
	}
}

func checkHTTPMonitor(schemes ...string) func(v *validator, at, label string, m Monitor) {
	return func(v *validator, at, label string, m Monitor) {
		if m.URL == "" {
			v.addf(at+".url", "monitor %s: url is required for %s monitors", label, m.Type)
		} else if msg := checkHTTPURL(m.URL, schemes...); msg != "" {
			v.addf(at+".url", "monitor %s: url %q %s", label, m.URL, msg)
		}
		for i, s := range m.ExpectStatus {
			if s < 100 || s > 599 {
				v.addf(fmt.Sprintf("%s.expect_status[%d]", at, i), "monitor %s: expect_status %d is not an HTTP status (100 to 599)", label, s)
			}
		}
		if m.BodyMatches != "" {
			if _, err := regexp.Compile(m.BodyMatches); err != nil {
				v.addf(at+".body_matches", "monitor %s: body_matches is not a valid regular expression: %v", label, err)
			}
		}
	}
}

func checkHostPortMonitor(v *validator, at, label string, m Monitor) {
	if m.Address == "" {
		v.addf(at+".address", "monitor %s: address HOST:PORT is required for %s monitors", label, m.Type)
	} else if msg := checkHostPort(m.Address); msg != "" {
		v.addf(at+".address", "monitor %s: address %q %s", label, m.Address, msg)
	}
}

func checkICMPMonitor(v *validator, at, label string, m Monitor) {
	switch {
	case m.Address == "":
		v.addf(at+".address", "monitor %s: address HOST is required for icmp monitors", label)
	case net.ParseIP(m.Address) != nil:
	case strings.ContainsAny(m.Address, ":/[] \t"):
		v.addf(at+".address", "monitor %s: address %q must be a host name or IP address, without a port", label, m.Address)
	}
}

func checkDNSMonitor(v *validator, at, label string, m Monitor) {
	if m.Address == "" {
		v.addf(at+".address", "monitor %s: address (the DNS server's HOST:PORT) is required for dns monitors", label)
	} else if msg := checkHostPort(m.Address); msg != "" {
		v.addf(at+".address", "monitor %s: address %q %s", label, m.Address, msg)
	}
	if m.Query == "" {
		v.addf(at+".query", "monitor %s: query (the name to resolve) is required for dns monitors", label)
	}
	if !slices.Contains([]string{"A", "AAAA", "CNAME", "MX", "TXT", "NS"}, m.Record) {
		v.addf(at+".record", "monitor %s: record %q must be one of A, AAAA, CNAME, MX, TXT, NS", label, m.Record)
	}
}

func checkHeartbeatMonitor(v *validator, at, label string, m Monitor) {
	if m.Period.D() < time.Second {
		v.addf(at+".period", "monitor %s: period of at least 1s is required for heartbeat monitors", label)
	}
	if strings.TrimSpace(m.TokenEnv) == "" {
		v.addf(at+".token_env", "monitor %s: token_env (the environment variable holding the heartbeat token) is required for heartbeat monitors", label)
	}
}

func (v *validator) email(e *Email) {
	if e.SMTP == "" {
		v.addf("notify.email.smtp", "notify.email.smtp HOST:PORT is required")
	} else if msg := checkHostPort(e.SMTP); msg != "" {
		v.addf("notify.email.smtp", "notify.email.smtp %q %s", e.SMTP, msg)
	}
	if e.From == "" {
		v.addf("notify.email.from", "notify.email.from is required")
	} else if _, err := mail.ParseAddress(e.From); err != nil {
		v.addf("notify.email.from", "notify.email.from %q is not an e-mail address", e.From)
	}
	if !slices.Contains([]string{"none", "starttls", "tls"}, e.TLS) {
		v.addf("notify.email.tls", "notify.email.tls %q must be one of none, starttls, tls", e.TLS)
	}
	if e.Username != "" && e.PasswordEnv == "" {
		v.addf("notify.email.username", "notify.email.username needs password_env, the environment variable holding the password")
	}
	if e.RatePerSecond < 0 {
		v.addf("notify.email.rate_per_second", "notify.email.rate_per_second %g must not be negative", e.RatePerSecond)
	}
	if e.Connections < 0 || e.Connections > maxConnections {
		v.addf("notify.email.connections", "notify.email.connections %d must be between 1 and %d", e.Connections, maxConnections)
	}
}

func (v *validator) channels(chans []Channel) {
	firstLine := map[string]int{}
	for i, ch := range chans {
		at := fmt.Sprintf("channels[%d]", i)
		label := ch.Name
		if ch.Name == "" {
			label = fmt.Sprintf("#%d", i+1)
			v.addf(at+".name", "channel %s: name is required", label)
		} else if l, dup := firstLine[ch.Name]; dup {
			v.addf(at+".name", "channel name %q is used twice (first on line %d)", ch.Name, l)
		} else {
			firstLine[ch.Name] = v.pos.line(at + ".name")
		}
		v.channel(at, label, ch)
	}
}

func (v *validator) templates(c *Config) {
	comps := map[string]bool{}
	for _, g := range c.Groups {
		for _, cp := range g.Components {
			comps[g.ID+"/"+cp.ID] = true
		}
	}
	firstLine := map[string]int{}
	for i, t := range c.IncidentTemplates {
		at := fmt.Sprintf("incident_templates[%d]", i)
		label := t.Name
		switch {
		case t.Name == "":
			label = fmt.Sprintf("#%d", i+1)
			v.addf(at+".name", "incident template %s: name is required", label)
		case !idPattern.MatchString(t.Name):
			v.addf(at+".name", "incident template name %q must be 1 to 63 of a-z, 0-9, \"-\" and \"_\", starting with a letter or digit", t.Name)
		default:
			if l, dup := firstLine[t.Name]; dup {
				v.addf(at+".name", "incident template name %q is used twice (first on line %d)", t.Name, l)
			} else {
				firstLine[t.Name] = v.pos.line(at + ".name")
			}
		}
		if strings.TrimSpace(t.Body) == "" {
			v.addf(at+".body", "incident template %s: body (the update's text, Markdown) is required", label)
		}
		if t.Status != "" {
			if _, err := status.ParseIncidentStatus(t.Status); err != nil {
				v.addf(at+".status", "incident template %s: %s", label, err)
			}
		}
		if t.Impact != "" {
			if _, err := status.ParseImpact(t.Impact); err != nil {
				v.addf(at+".impact", "incident template %s: %s", label, err)
			}
		}
		ids := make([]string, 0, len(t.Components))
		for id := range t.Components {
			ids = append(ids, id)
		}
		sort.Strings(ids)
		for _, id := range ids {
			if !comps[id] {
				v.addf(at+".components."+id, "incident template %s: no component %q in groups (ids look like flexo/web)", label, id)
			} else if _, err := status.ParseComponentStatus(t.Components[id]); err != nil {
				v.addf(at+".components."+id, "incident template %s: %s: %s", label, id, err)
			}
		}
	}
}

// channelKeys are the keys each channel type takes beyond name, type and repeat.
var channelKeys = map[string][]string{
	"email":     {"to"},
	"webhook":   {"url", "secret_env"},
	"slack":     {"url"},
	"discord":   {"url"},
	"teams":     {"url"},
	"telegram":  {"url", "token_env", "chat_id"},
	"ntfy":      {"url", "token_env"},
	"gotify":    {"url", "token_env"},
	"matrix":    {"url", "token_env", "room"},
	"pagerduty": {"url", "routing_key_env"},
}

func (v *validator) channel(at, label string, ch Channel) {
	types := strings.Join(ChannelTypes, ", ")
	keys, ok := channelKeys[ch.Type]
	switch {
	case ch.Type == "":
		v.addf(at+".type", "channel %s: type is required (one of %s)", label, types)
		return
	case !ok:
		v.addf(at+".type", "channel %s: type %q is not one of %s", label, ch.Type, types)
		return
	}
	set := map[string]bool{"to": len(ch.To) > 0, "url": ch.URL != "", "secret_env": ch.SecretEnv != "",
		"token_env": ch.TokenEnv != "", "routing_key_env": ch.RoutingKeyEnv != "", "chat_id": ch.ChatID != "", "room": ch.Room != ""}
	for _, k := range []string{"to", "url", "secret_env", "token_env", "routing_key_env", "chat_id", "room"} {
		if (set[k] || v.pos.has(at+"."+k)) && !slices.Contains(keys, k) {
			v.addf(at+"."+k, "channel %s: %s does not apply to %s channels", label, k, ch.Type)
		}
	}
	// What each type cannot do without.
	need := map[string][]string{"email": {"to"}, "webhook": {"url"}, "slack": {"url"}, "discord": {"url"}, "teams": {"url"},
		"telegram": {"token_env", "chat_id"}, "ntfy": {"url"}, "gotify": {"url", "token_env"}, "matrix": {"url", "token_env", "room"},
		"pagerduty": {"routing_key_env"}}
	what := map[string]string{"to": "to (one or more addresses)", "url": "url", "token_env": "token_env (the environment variable holding the token)",
		"routing_key_env": "routing_key_env (the environment variable holding the integration's routing key)",
		"chat_id":         "chat_id (the chat the bot writes to)", "room": `room (the room's id, like "!abc:example.org")`}
	for _, k := range need[ch.Type] {
		if !set[k] {
			v.addf(at+"."+k, "channel %s: %s is required for %s channels", label, what[k], ch.Type)
		}
	}
	for j, addr := range ch.To {
		if _, err := mail.ParseAddress(addr); err != nil {
			v.addf(fmt.Sprintf("%s.to[%d]", at, j), "channel %s: %q is not an e-mail address", label, addr)
		}
	}
	if ch.URL != "" && slices.Contains(keys, "url") {
		if msg := checkHTTPURL(ch.URL, "http", "https"); msg != "" {
			v.addf(at+".url", "channel %s: url %q %s", label, ch.URL, msg)
		} else if ch.Type == "ntfy" {
			if u, _ := url.Parse(ch.URL); strings.Trim(u.Path, "/") == "" || strings.Contains(strings.Trim(u.Path, "/"), "/") {
				v.addf(at+".url", "channel %s: url %q must name the topic, like https://ntfy.example.net/herald-alerts", label, ch.URL)
			}
		}
	}
	for _, e := range []struct{ key, val string }{{"secret_env", ch.SecretEnv}, {"token_env", ch.TokenEnv}, {"routing_key_env", ch.RoutingKeyEnv}} {
		if e.val != "" && !envName.MatchString(e.val) {
			v.addf(at+"."+e.key, "channel %s: %s %q must be the name of an environment variable (A-Z, 0-9 and _)", label, e.key, e.val)
		}
	}
	if ch.ChatID != "" && !telegramChat.MatchString(ch.ChatID) {
		v.addf(at+".chat_id", "channel %s: chat_id %q must be a chat's number (-1001234567890) or a channel's @name", label, ch.ChatID)
	}
	if ch.Room != "" && !matrixRoom.MatchString(ch.Room) {
		v.addf(at+".room", "channel %s: room %q must be a room id like \"!abc:example.org\" (an alias like #ops:example.org is not taken)", label, ch.Room)
	}
	if r := ch.Repeat.D(); r != 0 && r < MinRepeat {
		v.addf(at+".repeat", "channel %s: repeat %s is shorter than the least, %s", label, r, MinRepeat)
	}
}

// MinRepeat is the shortest interval a channel repeats an open incident's alert at.
const MinRepeat = 5 * time.Minute

var (
	telegramChat = regexp.MustCompile(`^(-?[0-9]{1,20}|@[A-Za-z][A-Za-z0-9_]{3,31})$`)
	matrixRoom   = regexp.MustCompile(`^![^:\s]+:[^\s]+$`)
)

// checkHTTPURL returns what is wrong with an absolute URL, or "".
func checkHTTPURL(raw string, schemes ...string) string {
	u, err := url.Parse(raw)
	want := "must be an absolute " + strings.Join(schemes, " or ") + " URL"
	if err != nil || !slices.Contains(schemes, u.Scheme) || u.Host == "" || u.Hostname() == "" {
		return want
	}
	return ""
}

// checkHostPort returns what is wrong with a HOST:PORT address, or "".
func checkHostPort(addr string) string {
	host, port, err := net.SplitHostPort(addr)
	if err != nil || host == "" {
		return "must be HOST:PORT"
	}
	n, err := strconv.Atoi(port)
	if err != nil || n < 1 || n > 65535 {
		return "must have a port from 1 to 65535"
	}
	return ""
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
