package importer

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/heraldhq/herald/internal/status"
	"github.com/heraldhq/herald/internal/store"
)

// An Uptime Kuma backup (Settings → Backup → Export, format 1.x): its
// monitors and, where the file has them, their heartbeats.

type kumaBackup struct {
	Version          string          `json:"version"`
	NotificationList json.RawMessage `json:"notificationList"`
	MonitorList      []kumaMonitor   `json:"monitorList"`
	// HeartbeatList is read where a backup carries history: a list of
	// beats, or beats by monitor id.
	HeartbeatList json.RawMessage `json:"heartbeatList"`
}

type kumaMonitor struct {
	ID               int64   `json:"id"`
	Name             string  `json:"name"`
	Type             string  `json:"type"`
	URL              string  `json:"url"`
	Hostname         string  `json:"hostname"`
	Port             int     `json:"port"`
	Interval         int     `json:"interval"`
	Timeout          float64 `json:"timeout"`
	MaxRetries       int     `json:"maxretries"`
	Keyword          string  `json:"keyword"`
	Active           *bool   `json:"active"`
	Parent           *int64  `json:"parent"`
	DNSResolveType   string  `json:"dns_resolve_type"`
	DNSResolveServer string  `json:"dns_resolve_server"`
}

type kumaBeat struct {
	MonitorID  int64   `json:"monitorID"`
	MonitorID2 int64   `json:"monitor_id"`
	Status     int     `json:"status"` // 0 down, 1 up, 2 pending, 3 maintenance
	Time       string  `json:"time"`   // "2026-11-23 17:48:00.123", UTC
	Msg        string  `json:"msg"`
	Ping       float64 `json:"ping"`
}

func (b kumaBeat) monitor() int64 { return max(b.MonitorID, b.MonitorID2) }

// kumaTime reads a heartbeat's time, which Kuma stores in UTC without a zone.
func kumaTime(s string) (time.Time, error) {
	for _, layout := range []string{"2006-01-02 15:04:05.999", "2006-01-02T15:04:05.999Z07:00", "2006-01-02 15:04:05"} {
		if t, err := time.Parse(layout, s); err == nil {
			return t.UTC().Truncate(time.Millisecond), nil
		}
	}
	return time.Time{}, fmt.Errorf("bad heartbeat time %q", s)
}

// UptimeKuma imports an Uptime Kuma backup file: each monitor is mapped to
// the configured component of the same name (in a group named as its
// Kuma group, if it has one), and its heartbeats, where the backup has
// them, become that component's outages: a run of down beats is an outage
// from its first down beat to the next up beat.
func UptimeKuma(ctx context.Context, st *store.Store, path string, o Options) (*Report, error) {
	b, err := readFile(path)
	if err != nil {
		return nil, err
	}
	var kb kumaBackup
	if err := json.Unmarshal(b, &kb); err != nil {
		return nil, fmt.Errorf("%s is not an Uptime Kuma backup: %w", path, err)
	}
	if kb.Version == "" || kb.MonitorList == nil {
		return nil, fmt.Errorf("%s is not an Uptime Kuma backup (no version or monitorList)", path)
	}
	if !strings.HasPrefix(kb.Version, "1.") && !strings.HasPrefix(kb.Version, "2.") {
		return nil, fmt.Errorf("%s: backup version %q is not one Herald reads (1.x)", path, kb.Version)
	}
	beats, err := kumaBeats(kb.HeartbeatList)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	if o.Actor == "" {
		o.Actor = "import:uptime-kuma"
	}
	rep := &Report{Source: "Uptime Kuma " + kb.Version + " backup (" + path + ")", DryRun: o.DryRun}
	if len(beats) == 0 {
		rep.unmapped("history", "the backup carries no heartbeats (Kuma's 1.x backups keep monitors and notifications only); no outages imported")
	}
	names := map[int64]string{}
	for _, km := range kb.MonitorList {
		names[km.ID] = km.Name
	}
	err = run(ctx, st, o, func(q *store.Queries) error {
		cat, err := loadCatalog(ctx, q)
		if err != nil {
			return err
		}
		var sg suggestion
		for _, km := range kb.MonitorList {
			if km.Type == "group" {
				continue
			}
			group := ""
			if km.Parent != nil {
				group = names[*km.Parent]
			}
			id, whyNot := cat.find(group, km.Name)
			if id == "" {
				monitorYAML, why := kumaMonitorYAML(km)
				if why != "" {
					whyNot += fmt.Sprintf("; its type %q: %s (add a monitor for it by hand)", km.Type, why)
				}
				rep.unmapped("monitor "+quote(km.Name), "%s; see the configuration below", whyNot)
				sg.add(group, km.Name, monitorYAML)
				continue
			}
			rep.count("monitors mapped").Imported++
			if err := kumaOutages(ctx, q, o, rep, id, km, beats[km.ID]); err != nil {
				return err
			}
		}
		rep.Config = sg.yaml()
		return nil
	})
	if err != nil {
		return nil, err
	}
	return rep, nil
}

// kumaBeats reads the heartbeats, by monitor, oldest first.
func kumaBeats(raw json.RawMessage) (map[int64][]kumaBeat, error) {
	out := map[int64][]kumaBeat{}
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 || string(raw) == "null" {
		return out, nil
	}
	var list []kumaBeat
	if raw[0] == '{' {
		var by map[string][]kumaBeat
		if err := json.Unmarshal(raw, &by); err != nil {
			return nil, fmt.Errorf("heartbeatList: %w", err)
		}
		for k, bs := range by {
			id, err := strconv.ParseInt(k, 10, 64)
			if err != nil {
				return nil, fmt.Errorf("heartbeatList: %q is not a monitor id", k)
			}
			for _, b := range bs {
				b.MonitorID = id
				list = append(list, b)
			}
		}
	} else if err := json.Unmarshal(raw, &list); err != nil {
		return nil, fmt.Errorf("heartbeatList: %w", err)
	}
	for _, b := range list {
		out[b.monitor()] = append(out[b.monitor()], b)
	}
	for id := range out {
		sort.SliceStable(out[id], func(i, j int) bool { return out[id][i].Time < out[id][j].Time })
	}
	return out, nil
}

// kumaOutages writes a monitor's runs of down beats as outages of the
// component. They are marked decided ("ignored"): history, not news, so
// the decider opens no incident for them.
func kumaOutages(ctx context.Context, q *store.Queries, o Options, rep *Report, comp string, km kumaMonitor, beats []kumaBeat) error {
	monitorID := comp + "/kuma-" + strconv.FormatInt(km.ID, 10)
	c := rep.count("outages")
	var cur *store.Outage
	flush := func(end time.Time, closed bool) error {
		if cur == nil {
			return nil
		}
		o1 := cur
		cur = nil
		o1.EndedAt = end
		if !closed {
			rep.unmapped("monitor "+quote(km.Name), "its history ends while down; the last outage is closed at its last beat")
		}
		have, err := q.HasOutage(ctx, o1.MonitorID, o1.StartedAt)
		if err != nil {
			return err
		}
		if have {
			c.Already++
			return nil
		}
		if err := q.InsertOutage(ctx, o1); err != nil {
			return err
		}
		c.Imported++
		if o.Progress != nil {
			o.Progress("outages", c.Imported)
		}
		return logImport(ctx, q, o, o1.EndedAt, "outage.import", "outage:"+strconv.FormatInt(o1.ID, 10), "uptime kuma monitor "+strconv.FormatInt(km.ID, 10))
	}
	var first, last time.Time
	for _, b := range beats {
		at, err := kumaTime(b.Time)
		if err != nil {
			rep.unmapped("a heartbeat of "+quote(km.Name), "%v; left out", err)
			continue
		}
		switch b.Status {
		case 0: // down
			if cur == nil {
				cur = &store.Outage{ComponentID: comp, MonitorID: monitorID, Severity: status.MonitorDown, StartedAt: at,
					Cause: b.Msg, Decision: store.DecisionIgnored, DetectedAt: at}
			}
		case 1, 3: // up, or maintenance: either ends a run of down beats
			if err := flush(at, true); err != nil {
				return err
			}
		}
		if first.IsZero() {
			first = at
		}
		last = at
	}
	if cur != nil {
		end := last
		if !end.After(cur.StartedAt) {
			end = cur.StartedAt.Add(time.Second)
		}
		if err := flush(end, false); err != nil {
			return err
		}
	}
	if first.IsZero() {
		return nil
	}
	// The component was measured from the first beat: its uptime counts from there.
	return q.AddPastMonitor(ctx, store.Monitor{ID: monitorID, ComponentID: comp, Kind: "uptime-kuma " + km.Type,
		Target: kumaTarget(km), CreatedAt: first, RemovedAt: last})
}

// kumaTarget is what a Kuma monitor checked, in words.
func kumaTarget(km kumaMonitor) string {
	switch {
	case km.URL != "" && km.URL != "https://":
		return km.URL
	case km.Hostname != "" && km.Port > 0:
		return net.JoinHostPort(km.Hostname, strconv.Itoa(km.Port))
	}
	return km.Hostname
}

// kumaMonitorYAML writes a Herald monitor for a Kuma monitor, or says why
// there is none.
func kumaMonitorYAML(km kumaMonitor) ([]string, string) {
	const ind = "          "
	var lines []string
	add := func(k, v string) {
		prefix := ind + "  "
		if len(lines) == 0 {
			prefix = ind + "- "
		}
		lines = append(lines, prefix+k+": "+v+"\n")
	}
	switch km.Type {
	case "http", "keyword":
		add("type", "http")
		add("url", quote(km.URL))
		if km.Type == "keyword" && km.Keyword != "" {
			add("body_contains", quote(km.Keyword))
		}
	case "port":
		add("type", "tcp")
		add("address", quote(net.JoinHostPort(km.Hostname, strconv.Itoa(km.Port))))
	case "ping":
		add("type", "icmp")
		add("address", quote(km.Hostname))
	case "dns":
		add("type", "dns")
		server := km.DNSResolveServer
		if server == "" {
			server = "127.0.0.1"
		}
		add("address", quote(net.JoinHostPort(server, strconv.Itoa(max(km.Port, 53)))))
		add("query", quote(km.Hostname))
		if km.DNSResolveType != "" {
			add("record", km.DNSResolveType)
		}
	case "push":
		add("type", "heartbeat")
		add("period", fmt.Sprintf("%ds", max(km.Interval, 60)))
		add("token_env", "HERALD_HEARTBEAT_"+strings.ToUpper(strings.ReplaceAll(slug(km.Name), "-", "_")))
	default:
		return nil, "Herald has no such monitor"
	}
	if km.Interval > 0 && km.Type != "push" {
		add("interval", fmt.Sprintf("%ds", km.Interval))
	}
	if km.MaxRetries > 0 {
		add("down_after", strconv.Itoa(km.MaxRetries+1))
	}
	return lines, ""
}
