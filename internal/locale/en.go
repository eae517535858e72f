package locale

// en holds the English of the messages whose key is an id rather than the
// English itself: patterns whose order or wording differs by language.
// Every other message's key is its English.
var en = map[string]string{
	"zone.after":  "%s",
	"zone.city":   "%s time",
	"snippet.end": ".",
}
