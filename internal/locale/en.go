package locale

// en holds the English of the messages whose key is an id rather than the
// English itself: patterns whose order or wording differs by language.
// Every other message's key is its English.
var en = map[string]string{
	"zone.after":  "%s",
	"zone.city":   "%s time",
	"snippet.end": ".",
	// A clock time as a phrase reads it ("9:48 AM"; German adds "Uhr").
	"time.at": "%s",
	// The component pages' notes on where a located check failed:
	// "unreachable from fra-1 from 9:48:10 to 9:52:10 AM" (located.go).
	"located.from":     "from %s %s",
	"located.degraded": "degraded",
	"span.from":        "from %s",
	"span.from.to":     "from %s to %s",
	"where.from":       "from %s",
	// The badges' labels (badge.go), lower case as shields.io's are.
	// A moment with its date in a feed: "since Mar 14, 2026, 1:00 PM Pacific time".
	"since.moment": "since %s",
	// The widget (widget.go, static/widget.js): an open incident's start,
	// and the words between a window's two times.
	"widget.since": "since %s",
	"widget.to":    " to ",
	// One window in the widget, by its status.
	"widget.scheduled":  "Scheduled maintenance",
	"widget.inprogress": "Maintenance in progress",
	"badge.status":      "status",
	"badge.uptime":      "uptime %s",
}
