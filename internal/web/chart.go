package web

import (
	"fmt"
	"math"
	"sort"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/heraldhq/herald/internal/store"
)

// chartSeries is one monitor's response times.
type chartSeries struct {
	Name   string
	Points []latencyPoint // latencyBucket steps, oldest first
}

// latencyPoint is a bucket of a monitor's checks as the charts keep it: a
// week of 15-minute buckets of every charted monitor, a large fleet's
// largest live data (17 MB at 1,000 monitors). A store.LatencyPoint holds a
// time.Time, whose zone is a pointer, so the collector went through every
// bucket at each collection, several a write; this holds no pointer, in 24
// bytes instead of 56.
type latencyPoint struct {
	at             int64  // Unix milliseconds
	mean           uint32 // microseconds, of the checks that did not fail
	checks, failed int32
}

// compactLatency is pts as the charts keep them.
func compactLatency(pts []store.LatencyPoint) []latencyPoint {
	out := make([]latencyPoint, len(pts))
	for i, p := range pts {
		out[i] = latencyPoint{at: p.At.UnixMilli(), mean: uint32(min(max(p.Mean.Microseconds(), 0), math.MaxUint32)),
			checks: int32(min(p.Checks, math.MaxInt32)), failed: int32(min(p.Failed, math.MaxInt32))}
	}
	return out
}

// chartView is a response-time chart drawn as inline SVG: mean response
// time per step, one line per monitor, steps with failed checks marked.
type chartView struct {
	ID, Heading, Title, Desc string
	W, H                     int
	Left, Right, Top, Bottom int
	YTicks, XTicks           []chartTick
	Lines                    []chartLine
	Failed                   []chartMark
	Empty                    bool
}

type chartTick struct {
	Pos   string // y for the value axis, x for the time axis
	Label string
}

type chartLine struct {
	Name, Path, Dash string
}

type chartMark struct{ X, Y string }

const (
	chartW, chartH                = 480, 220
	chartLeft, chartRight         = 70, 470
	chartTop, chartBottom         = 14, 184
	failedMarkSize        float64 = 4
)

var chartDashes = []string{"", "6 3", "2 3"}

// chart draws the series over [from, to) in steps of step (a multiple of
// latencyBucket). heading names the period as a caption ("Last 24 hours"),
// over as a sentence does after "in" or "over" ("the last 24 hours").
func (b *builder) chart(id, heading, over string, from, to time.Time, step time.Duration, series []chartSeries) chartView {
	v := chartView{ID: id, Heading: heading, W: chartW, H: chartH, Left: chartLeft, Right: chartRight,
		Top: chartTop, Bottom: chartBottom}
	span := to.Sub(from)
	wr := b.w.wr
	v.Title = b.t("Response time, %s", lowerFirst(heading))
	type point struct {
		at         time.Time
		mean       time.Duration
		ok, failed int
	}
	var (
		all     [][]point
		maxMean time.Duration
		means   []time.Duration
		slowest point
	)
	for _, s := range series {
		byStep := map[time.Time]*point{}
		var sum = map[time.Time]time.Duration{}
		for _, p := range s.Points {
			pAt := time.UnixMilli(p.at).UTC()
			if pAt.Before(from) || !pAt.Before(to) {
				continue
			}
			at := pAt.Truncate(step)
			q := byStep[at]
			if q == nil {
				q = &point{at: at}
				byStep[at] = q
			}
			ok := int(p.checks - p.failed)
			q.ok += ok
			q.failed += int(p.failed)
			sum[at] += time.Duration(p.mean) * time.Microsecond * time.Duration(ok)
		}
		var pts []point
		for at, q := range byStep {
			if q.ok > 0 {
				q.mean = sum[at] / time.Duration(q.ok)
			}
			pts = append(pts, *q)
		}
		sort.Slice(pts, func(i, j int) bool { return pts[i].at.Before(pts[j].at) })
		for _, p := range pts {
			if p.ok > 0 {
				means = append(means, p.mean)
				if p.mean > maxMean {
					maxMean, slowest = p.mean, p
				}
			}
		}
		all = append(all, pts)
	}
	if len(means) == 0 {
		v.Empty = true
		v.Desc = b.t("No response times were measured in %s.", over)
		return v
	}
	top, ticks := niceScale(maxMean)
	x := func(t time.Time) float64 {
		return chartLeft + float64(t.Sub(from))/float64(span)*(chartRight-chartLeft)
	}
	y := func(d time.Duration) float64 {
		return chartBottom - float64(d)/float64(top)*(chartBottom-chartTop)
	}
	for _, t := range ticks {
		label := "0"
		if t > 0 {
			label = wr.Latency(t)
		}
		v.YTicks = append(v.YTicks, chartTick{Pos: num(y(t)), Label: label})
	}
	v.XTicks = b.timeTicks(from, to, x)
	failedSteps := 0
	for i, pts := range all {
		var path strings.Builder
		var prev time.Time
		for _, p := range pts {
			cx := p.at.Add(step / 2)
			if p.failed > 0 {
				failedSteps++
				v.Failed = append(v.Failed, chartMark{X: num(x(cx)), Y: num(chartTop)})
			}
			if p.ok == 0 {
				prev = time.Time{}
				continue
			}
			cmd := "L"
			if prev.IsZero() || p.at.Sub(prev) > step {
				cmd = "M"
			}
			fmt.Fprintf(&path, "%s%s %s ", cmd, num(x(cx)), num(y(p.mean)))
			prev = p.at
		}
		v.Lines = append(v.Lines, chartLine{Name: series[i].Name, Path: strings.TrimSpace(path.String()),
			Dash: chartDashes[i%len(chartDashes)]})
	}
	sort.Slice(means, func(i, j int) bool { return means[i] < means[j] })
	names := make([]string, len(series))
	for i, s := range series {
		names[i] = s.Name
	}
	// English names the slowest moment as a line would ("Today, 9:00 AM
	// Pacific time"), German and Spanish within their sentence ("heute").
	slowestAt := b.w.When(slowest.at)
	if !wr.L.English() {
		slowestAt = b.w.WhenMid(slowest.at)
	}
	v.Desc = b.t("Mean response time of the %s over %s, %s: typically %s (median), fastest %s, slowest %s (%s).",
		wr.List(names), over, b.stepWords(step), wr.Latency(means[len(means)/2]), wr.Latency(means[0]),
		wr.Latency(maxMean), slowestAt)
	switch {
	case failedSteps == 1:
		v.Desc += b.t(" Checks failed in one step, marked with triangles along the top.")
	case failedSteps > 1:
		v.Desc += b.t(" Checks failed in %s steps, marked with triangles along the top.", wr.NumberWord(failedSteps))
	}
	return v
}

func (b *builder) stepWords(step time.Duration) string {
	if step >= time.Hour {
		return b.t("in one-hour steps")
	}
	return b.t("in %d-minute steps", int(step/time.Minute))
}

// lowerFirst writes s with its first letter small, for a caption within a
// title ("Response time, last 24 hours", "Tiempo de respuesta, últimas 24 horas").
func lowerFirst(s string) string {
	r, n := utf8.DecodeRuneInString(s)
	if r == utf8.RuneError {
		return s
	}
	return string(unicode.ToLower(r)) + s[n:]
}

// niceScale picks the value axis's top and ticks: 1, 2 or 5 times a power
// of ten per tick, about four ticks.
func niceScale(max time.Duration) (time.Duration, []time.Duration) {
	if max < time.Millisecond {
		max = time.Millisecond
	}
	step := time.Millisecond
	for {
		for _, m := range []time.Duration{1, 2, 5} {
			if s := step * m; max <= s*4 {
				n := (max + s - 1) / s
				ticks := make([]time.Duration, 0, n+1)
				for i := time.Duration(0); i <= n; i++ {
					ticks = append(ticks, i*s)
				}
				return n * s, ticks
			}
		}
		step *= 10
	}
}

// timeTicks marks the time axis: every six hours over a day, every midnight over a week.
func (b *builder) timeTicks(from, to time.Time, x func(time.Time) float64) []chartTick {
	loc := b.in.Loc
	wr := b.w.wr
	var out []chartTick
	long := to.Sub(from) > 36*time.Hour
	for t := dayStart(from, loc); t.Before(to); {
		if !t.Before(from) {
			label := t.Format("3 PM")
			switch {
			case !wr.L.English() && long:
				label = b.t("date.axis", b.t(t.Format("Mon")), t.Day())
			case !wr.L.English() && t.Hour() == 0:
				label = wr.ShortDate(t)
			case !wr.L.English():
				label = b.t("time.hour", t.Hour())
			case long:
				label = t.Format("Mon 2")
			case t.Hour() == 0:
				label = t.Format("Jan 2")
			}
			out = append(out, chartTick{Pos: num(x(t)), Label: label})
		}
		y, m, d := t.Date()
		if long {
			t = time.Date(y, m, d+1, 0, 0, 0, 0, loc)
		} else {
			t = time.Date(y, m, d, t.Hour()+6, 0, 0, 0, loc)
		}
	}
	return out
}

func num(f float64) string { return strconv.FormatFloat(f, 'f', 1, 64) }
